package authz

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestBuildRole(t *testing.T) {
	tests := []struct {
		name   string
		grants []GrantSpec
		want   string // canonical JSON, or the error's field when errField is set
		field  string
	}{
		{"empty", nil, `{"__type":"PermissionDescriptorGroup","entries":[]}`, ""},
		{"org-wide scopes", []GrantSpec{{Scopes: []string{"audit_logs:read", "stack:read"}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read","stack:read"]}]}`, ""},
		{"one stack with a set and scopes", []GrantSpec{{Permissions: []string{"set-1"}, Scopes: []string{"stack:delete"}, Refs: Refs{Stacks: []string{"s-1"}}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"s-1"}},"subNode":{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCompose","permissionDescriptors":["set-1"]},{"__type":"PermissionDescriptorAllow","permissions":["stack:delete"]}]}}]}`, ""},
		{"several environments", []GrantSpec{{Scopes: []string{"environment:open"}, Refs: Refs{Environments: []string{"e-2", "e-1"}}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionEnvironment"},"values":{"__type":"PermissionSetExpressionEnvironment","identities":["e-1","e-2"]}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"]}}]}`, ""},
		{"nothing to grant", []GrantSpec{{Refs: Refs{Stacks: []string{"s"}}}}, "", "grants[0]"},
		{"unknown scope", []GrantSpec{{Scopes: []string{"stack:read", "stack:delet"}}}, "", "grants[0].scopes[1]"},
		{"org scope with entities", []GrantSpec{{Scopes: []string{"audit_logs:read"}, Refs: Refs{Stacks: []string{"s"}}}}, "", "grants[0].scopes[0]"},
		{"scope of an unlisted kind", []GrantSpec{{Scopes: []string{"environment:open"}, Refs: Refs{Stacks: []string{"s"}}}}, "", "grants[0].scopes[0]"},
		{"listed kind with nothing", []GrantSpec{{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{"s"}, Environments: []string{"e"}}}}, "", "grants[0].environments"},
		{"empty identity", []GrantSpec{{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{""}}}}, "", "grants[0].stacks[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := BuildRole(tt.grants)
			if tt.field != "" {
				ge, ok := err.(*GrantError)
				if !ok || ge.Field != tt.field {
					t.Fatalf("want GrantError at %s, got %v", tt.field, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(Format(n)); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if _, err := Parse(Format(n)); err != nil {
				t.Fatalf("BuildRole made an invalid tree: %v", err)
			}
			back, ok := GrantsOf(n)
			if !ok {
				t.Fatalf("GrantsOf cannot read BuildRole's tree")
			}
			again, _ := BuildRole(back)
			if string(Format(again)) != tt.want {
				t.Fatalf("GrantsOf/BuildRole round trip changed the tree: %s", Format(again))
			}
		})
	}
}

func TestBuildRoleErrorsSuggest(t *testing.T) {
	_, err := BuildRole([]GrantSpec{{Scopes: []string{"stack:delet"}}})
	if err == nil || !strings.Contains(err.Error(), `did you mean "stack:delete"`) {
		t.Fatalf("got %v", err)
	}
}

func TestGrantsOfRejectsOtherShapes(t *testing.T) {
	for _, tree := range []string{
		allowOf("stack:read"),
		group(cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:read"))),
		group(group(allowOf("stack:read"))),
	} {
		if g, ok := GrantsOf(MustParse(tree)); ok {
			t.Errorf("GrantsOf(%s) = %v, want not ok", tree, g)
		}
	}
	g, ok := GrantsOf(MustParse(group(cond(fmt.Sprintf(stackIs, "s"), allowOf("stack:read")))))
	if !ok || !reflect.DeepEqual(g, []GrantSpec{{Refs: Refs{Stacks: []string{"s"}}, Scopes: []string{"stack:read"}}}) {
		t.Fatalf("got %+v", g)
	}
}
