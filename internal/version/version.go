// Package version holds the build version, set with -ldflags "-X ...Version=...".
package version

// Version of the iamref binaries.
var Version = "0.1.0-dev"
