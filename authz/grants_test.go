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
		{"one stack tag", []GrantSpec{{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": "dev"}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"dev"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}]}`, ""},
		{"three environment tags And-ed in key order", []GrantSpec{{Scopes: []string{"environment:read"}, EnvironmentTags: map[string]string{"c": "3", "a": "1", "b": "2"}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionAnd","left":{"__type":"PermissionExpressionAnd","left":` + envTag("a", "1") + `,"right":` + envTag("b", "2") + `},"right":` + envTag("c", "3") + `},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:read"]}}]}`, ""},
		{"tags and a condition of the same kind", []GrantSpec{{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": "dev"}, Condition: &HasTag{Context: &Context{Kind: CtxStack}, Key: "owner"}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionAnd","left":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"dev"}},"right":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}]}`, ""},
		{"a list and a condition of the same kind", []GrantSpec{{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{"s1", "s2"}}, Condition: &HasTag{Context: &Context{Kind: CtxStack}, Key: "owner"}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionAnd","left":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionStack"},"values":{"__type":"PermissionSetExpressionStack","identities":["s1","s2"]}},"right":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}]}`, ""},
		{"a condition alone", []GrantSpec{{Scopes: []string{"environment:open"}, Condition: &Not{X: &HasTag{Context: &Context{Kind: CtxEnvironment}, Key: "prod"}}}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionNot","node":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionEnvironment"},"key":"prod"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"]}}]}`, ""},
		{"max open duration", []GrantSpec{{Scopes: []string{"environment:open", "environment:read"}, EnvironmentTags: map[string]string{"env": "dev"}, MaxOpenDuration: 3600}},
			`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":` + envTag("env", "dev") + `,"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open","environment:read"],"constraints":{"MaxOpenDuration":3600}}}]}`, ""},
		{"tags and a list of the same kind", []GrantSpec{{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{"s"}}, StackTags: map[string]string{"env": "dev"}}}, "", "grants[0].stackTags"},
		{"empty tag name", []GrantSpec{{Scopes: []string{"stack:read"}, StackTags: map[string]string{"": "dev"}}}, "", "grants[0].stackTags"},
		{"condition on two kinds", []GrantSpec{{Scopes: []string{"stack:read"}, Condition: &Or{Left: &HasTag{Context: &Context{Kind: CtxStack}, Key: "a"}, Right: &HasTag{Context: &Context{Kind: CtxEnvironment}, Key: "a"}}}}, "", "grants[0].condition"},
		{"condition on no entity", []GrantSpec{{Scopes: []string{"stack:read"}, Condition: &Bool{Value: true}}}, "", "grants[0].condition"},
		{"tag scopes must fit", []GrantSpec{{Scopes: []string{"environment:read"}, StackTags: map[string]string{"env": "dev"}}}, "", "grants[0].scopes[0]"},
		{"max open duration without open", []GrantSpec{{Scopes: []string{"environment:read"}, MaxOpenDuration: 60}}, "", "grants[0].maxOpenDuration"},
		{"max open duration with sets", []GrantSpec{{Permissions: []string{"p"}, Scopes: []string{"environment:open"}, MaxOpenDuration: 60}}, "", "grants[0].maxOpenDuration"},
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

func envTag(k, v string) string {
	return `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionEnvironment"},"key":"` + k + `"},"right":{"__type":"PermissionLiteralExpressionString","value":"` + v + `"}}`
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
		group(group(allowOf("stack:read"))),
		// Tags of a stack And-ed out of key order: BuildRole would print them sorted.
		group(cond(`{"__type":"PermissionExpressionAnd","left":`+fmt.Sprintf(stackTagEq, "b", "2")+`,"right":`+fmt.Sprintf(stackTagEq, "a", "1")+`}`, allowOf("stack:read"))),
		// A condition over two kinds.
		group(cond(`{"__type":"PermissionExpressionOr","left":`+fmt.Sprintf(stackTagEq, "b", "2")+`,"right":`+envTag("a", "1")+`}`, allowOf("stack:read"))),
	} {
		if g, ok := GrantsOf(MustParse(tree)); ok {
			t.Errorf("GrantsOf(%s) = %v, want not ok", tree, g)
		}
	}
	// A tag grant made with the raw API reads back as a tag selector.
	g, ok := GrantsOf(MustParse(group(cond(fmt.Sprintf(stackTagEq, "env", "dev"), allowOf("stack:read")))))
	if !ok || !reflect.DeepEqual(g, []GrantSpec{{StackTags: map[string]string{"env": "dev"}, Scopes: []string{"stack:read"}}}) {
		t.Fatalf("got %+v", g)
	}
	g, ok = GrantsOf(MustParse(group(cond(fmt.Sprintf(stackIs, "s"), allowOf("stack:read")))))
	if !ok || !reflect.DeepEqual(g, []GrantSpec{{Refs: Refs{Stacks: []string{"s"}}, Scopes: []string{"stack:read"}}}) {
		t.Fatalf("got %+v", g)
	}
}

const stackTagEq = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":%q},"right":{"__type":"PermissionLiteralExpressionString","value":%q}}`
