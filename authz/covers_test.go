package authz

import (
	"fmt"
	"strings"
	"testing"
)

func TestCovers(t *testing.T) {
	admin, _ := BuiltinByIdentifier("admin")
	adminTree := string(Format(admin.Details))
	onProd := cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read", "stack:write"))
	tagDev := cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:read"))
	tests := []struct {
		name, a, b string
		covered    bool
		missing    string
	}{
		{"admin covers anything", adminTree, group(onProd, tagDev, allowOf("role:create")), true, ""},
		{"same tree", onProd, onProd, true, ""},
		{"subset on the same stack", onProd, cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read")), true, ""},
		{"another stack", onProd, cond(fmt.Sprintf(stackIs, "s-dev"), allowOf("stack:read")), false, "{stack:read} on stack s-dev"},
		{"more scopes", onProd, cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:delete")), false, "{stack:delete} on stack s-prod"},
		{"all stacks covers one", allowOf("stack:read"), cond(fmt.Sprintf(stackIs, "s-dev"), allowOf("stack:read")), true, ""},
		{"one stack does not cover all", onProd, allowOf("stack:read"), false, "{stack:read} on every stack"},
		{"org scope", allowOf("audit_logs:read"), allowOf("audit_logs:read", "role:update"), false, "{role:update} in the organization"},
		{"same residual condition", tagDev, tagDev, true, ""},
		{"residual covered by all", allowOf("stack:read"), tagDev, true, ""},
		{"residual not covered by a pin", onProd, tagDev, false, "when"},
		{"pinned residual covered by the pin", onProd, cond(fmt.Sprintf(stackIs, "s-prod"), tagDev), true, ""},
		{"empty covers empty", group(), group(), true, ""},
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

// Covers must be sound: whenever it says A covers B, every request B allows, A allows too.
func TestCoversIsSound(t *testing.T) {
	g := &treeGen{r: newRand(7)}
	checked := 0
	for range 3000 {
		a, b := g.node(3), g.node(3)
		ia, ib := MustCompile(a, NoCompose), MustCompile(b, NoCompose)
		if !Covers(ia, ib).Covered {
			continue
		}
		checked++
		for range 50 {
			s := MustScope(pick(g.r, diffScopes)).ID
			e := g.entity()
			if ib.Decide(s, e) && !ia.Decide(s, e) {
				t.Fatalf("Covers said yes, but B allows %s on %+v and A does not\nA: %s\nB: %s", ScopeByID(s).Name, e, Format(a), Format(b))
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d covered pairs were checked", checked)
	}
}
