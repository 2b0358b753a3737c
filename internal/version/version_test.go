package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestRevisionOf(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "unknown"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}, "0123456789ab"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, "abc-dirty"},
	} {
		if got := revisionOf(&debug.BuildInfo{Settings: c.settings}); got != c.want {
			t.Errorf("revisionOf(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}

func TestStringHasCommit(t *testing.T) {
	old := Commit
	t.Cleanup(func() { Commit = old })
	Commit = "feedc0ffee12"
	if s := String("iam-server"); !strings.HasPrefix(s, "iam-server "+Version+" (commit feedc0ffee12, go") {
		t.Errorf("String = %q", s)
	}
}
