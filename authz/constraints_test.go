package authz

import (
	"fmt"
	"strings"
	"testing"
)

func boundedOpen(seconds int64, scopes ...string) string {
	return `{"__type":"PermissionDescriptorAllow","permissions":["` + strings.Join(scopes, `","`) + `"],"constraints":{"MaxOpenDuration":` + fmt.Sprint(seconds) + `}}`
}

// TestCoversConstraints: an unbounded open is more than a bounded one, and a longer bound more
// than a shorter one (issue 9 item 9). Before, constraints were ignored, so a principal allowed
// to open for an hour could hand out opens without any bound.
func TestCoversConstraints(t *testing.T) {
	onProd := func(n string) string { return cond(fmt.Sprintf(envIs, "e-prod"), n) }
	tests := []struct {
		name, a, b string
		covered    bool
		missing    string
	}{
		{"unbounded covers bounded", allowOf("environment:open"), boundedOpen(3600, "environment:open"), true, ""},
		{"bounded does not cover unbounded", boundedOpen(3600, "environment:open"), allowOf("environment:open"), false, "{environment:open} on every environment"},
		{"longer covers shorter", boundedOpen(7200, "environment:open"), boundedOpen(3600, "environment:open"), true, ""},
		{"shorter does not cover longer", boundedOpen(3600, "environment:open"), boundedOpen(7200, "environment:open"), false, "opens of at most 2h0m0s"},
		{"same bound", boundedOpen(3600, "environment:open"), boundedOpen(3600, "environment:open"), true, ""},
		{"bound on every environment covers one", boundedOpen(3600, "environment:open"), onProd(boundedOpen(600, "environment:open")), true, ""},
		{"bound on one environment does not cover every", onProd(boundedOpen(3600, "environment:open")), boundedOpen(600, "environment:open"), false, "every environment"},
		{"bounded on one does not cover unbounded on it", onProd(boundedOpen(3600, "environment:open")), onProd(allowOf("environment:open")), false, "environment e-prod"},
		{"the bound applies to opens only", boundedOpen(60, "environment:open", "environment:read"), allowOf("environment:read"), true, ""},
		{"version opens are bounded too", boundedOpen(60, "environment_version:open"), allowOf("environment_version:open"), false, "environment_version:open"},
		{"zero is no bound", boundedOpen(0, "environment:open"), allowOf("environment:open"), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := MustCompile(MustParse(tt.a), NoCompose)
			b := MustCompile(MustParse(tt.b), NoCompose)
			c := Covers(a, b)
			if c.Covered != tt.covered {
				t.Fatalf("Covered = %v, want %v (missing %v)", c.Covered, tt.covered, c.Missing())
			}
			if tt.missing != "" && !strings.Contains(strings.Join(c.Missing(), "\n"), tt.missing) {
				t.Fatalf("missing %v does not mention %q", c.Missing(), tt.missing)
			}
		})
	}
}

// TestMaxOpenDuration: the longest bound among the grants that allow the open applies; any
// unbounded grant lifts it.
func TestMaxOpenDuration(t *testing.T) {
	open := MustScope("environment:open").ID
	prodEnv := Entity{Kind: KindEnvironment, ID: "e-prod"}
	devEnv := Entity{Kind: KindEnvironment, ID: "e-dev"}
	onProd := func(n string) string { return cond(fmt.Sprintf(envIs, "e-prod"), n) }
	tests := []struct {
		name    string
		tree    string
		e       Entity
		seconds int64
		bounded bool
		allowed bool
	}{
		{"unbounded", allowOf("environment:open"), prodEnv, 0, false, true},
		{"bounded", boundedOpen(3600, "environment:open"), prodEnv, 3600, true, true},
		{"longest bound wins", group(boundedOpen(600, "environment:open"), onProd(boundedOpen(7200, "environment:open"))), prodEnv, 7200, true, true},
		{"only the grants that hold count", group(boundedOpen(600, "environment:open"), onProd(boundedOpen(7200, "environment:open"))), devEnv, 600, true, true},
		{"an unbounded grant lifts the bound", group(boundedOpen(600, "environment:open"), onProd(allowOf("environment:open"))), prodEnv, 0, false, true},
		{"pinned unbounded grant", group(boundedOpen(600, "environment:open"), onProd(allowOf("environment:open"))), devEnv, 600, true, true},
		{"not allowed", onProd(boundedOpen(600, "environment:open")), devEnv, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := MustCompile(MustParse(tt.tree), NoCompose)
			if got := ix.Decide(open, tt.e); bool(got) != tt.allowed {
				t.Fatalf("Decide = %v, want %v", got, tt.allowed)
			}
			s, b := ix.MaxOpenDuration(open, tt.e)
			if s != tt.seconds || b != tt.bounded {
				t.Errorf("MaxOpenDuration = %d, %v; want %d, %v", s, b, tt.seconds, tt.bounded)
			}
		})
	}
}
