// Package version holds the build version and commit of the iamref binaries, set with
// -ldflags "-X github.com/iamref/iam/internal/version.Version=… -X ….Commit=…" (the Makefile
// and .goreleaser.yaml do); a plain `go build` in a git checkout falls back to the commit Go
// records in the binary (vcs.revision).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version of the iamref binaries.
var Version = "0.1.0-dev"

// Commit is the git commit the binaries were built from ("" when not set by -ldflags).
var Commit = ""

// Revision is the commit the binary was built from: Commit when set, else the vcs.revision Go
// stamps into binaries built in a git checkout (with "-dirty" when vcs.modified), else "unknown".
func Revision() string {
	if Commit != "" {
		return Commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return revisionOf(info)
}

func revisionOf(info *debug.BuildInfo) string {
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// String is the line the binaries print for --version, e.g.
// "iam-server 0.2.0 (commit 1a2b3c4d5e6f, go1.26.8 linux/amd64)".
func String(binary string) string {
	return fmt.Sprintf("%s %s (commit %s, %s %s/%s)", binary, Version, Revision(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
