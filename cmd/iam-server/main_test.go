package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "0": 0, "forever": 0, "90d": 90 * 24 * time.Hour, "1d": 24 * time.Hour, "720h": 720 * time.Hour,
	} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1d", "0d", "d", "90", "10m", "abc", "1.5d"} {
		if got, err := parseRetention(in); err == nil {
			t.Errorf("parseRetention(%q) = %v, want an error", in, got)
		}
	}
}

// TestFlagsDocumentEnv: every flag of every subcommand names its environment variable and
// says its default in --help.
func TestFlagsDocumentEnv(t *testing.T) {
	root := rootCmd()
	for _, c := range root.Commands() {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if noEnv(f) {
				return
			}
			line := c.LocalFlags().FlagUsages()
			for _, l := range strings.Split(line, "\n") {
				if l = strings.TrimSpace(l); strings.HasPrefix(l, "--"+f.Name+" ") || strings.HasPrefix(l[min(len(l), 4):], "--"+f.Name+" ") {
					line = l
				}
			}
			if !strings.Contains(line, "(env "+envName(f.Name)+")") || !strings.Contains(line, "(default") {
				t.Errorf("%s --%s: help %q lacks the env variable or the default", c.Name(), f.Name, line)
			}
		})
	}
}

// TestApplyEnv: IAM_<FLAG> sets a flag the command line left unset, never one it set; empty
// variables are ignored; a bad value names the variable.
func TestApplyEnv(t *testing.T) {
	t.Setenv("IAM_ADDR", "0.0.0.0:9")
	t.Setenv("IAM_ORG", "fromenv")
	t.Setenv("IAM_LOG_LEVEL", "")
	cmd := serveCmd()
	if err := cmd.ParseFlags([]string{"--org", "fromflag"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"addr": "0.0.0.0:9", "org": "fromflag", "log-level": "info"} {
		if got := cmd.Flags().Lookup(name).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", name, got, want)
		}
	}
	t.Setenv("IAM_GC_PERCENT", "x")
	if err := applyEnv(serveCmd()); err == nil || !strings.Contains(err.Error(), "IAM_GC_PERCENT") {
		t.Errorf("IAM_GC_PERCENT=x: %v", err)
	}
	if got := envName("admin-token-file"); got != "IAM_ADMIN_TOKEN_FILE" {
		t.Errorf("envName = %q", got)
	}
}
