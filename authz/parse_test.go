package authz

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFormatRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" = same as in
	}{
		{"allow", `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`, ""},
		{"allow sorts and dedupes", `{"permissions":["stack:write","stack:read","stack:write"],"__type":"PermissionDescriptorAllow"}`,
			`{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:write"]}`},
		{"allow constraints", `{"__type":"PermissionDescriptorAllow","permissions":["environment:open"],"constraints":{"MaxOpenDuration":3600}}`, ""},
		{"null field is absent", `{"__type":"PermissionDescriptorAllow","permissions":[],"constraints":null}`,
			`{"__type":"PermissionDescriptorAllow","permissions":[]}`},
		{"group keeps order", `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]},{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`, ""},
		{"condition equal", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"s-1"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`, ""},
		{"in with identity set", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionEnvironment"},"values":{"__type":"PermissionSetExpressionEnvironment","identities":["b","a","b"]}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"]}}`,
			`{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionEnvironment"},"values":{"__type":"PermissionSetExpressionEnvironment","identities":["a","b"]}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"]}}`},
		{"if then else", `{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"prod"},"subNodeForTrue":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},"subNodeForFalse":{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]}}`, ""},
		{"select on tag", `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"options":[{"value":{"__type":"PermissionLiteralExpressionString","value":"dev"},"node":{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]}}]}`, ""},
		{"compose sorts ids", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["b","a"]}`,
			`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a","b"]}`},
		{"and or not bool number", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionAnd","left":{"__type":"PermissionExpressionOr","left":{"__type":"PermissionLiteralExpressionBool","value":true},"right":{"__type":"PermissionExpressionNot","node":{"__type":"PermissionLiteralExpressionBool","value":false}}},"right":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionLiteralExpressionNumber","value":1.5},"right":{"__type":"PermissionLiteralExpressionNumber","value":1.5}}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["role:read"]}}`, ""},
		{"hasTag keeps node", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"k","node":{"__type":"PermissionExpressionStack"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`, ""},
		{"team literal", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTeam"},"right":{"__type":"PermissionLiteralExpressionTeam","identity":"t"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`, ""},
		{"string escaping is stable, without HTML escaping", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a\"b<c>&\u003c"]}`,
			`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a\"b<c>&<"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got := string(Format(n))
			if got != want {
				t.Fatalf("Format:\n got %s\nwant %s", got, want)
			}
			again, err := Parse([]byte(got))
			if err != nil || string(Format(again)) != got {
				t.Fatalf("canonical form does not round-trip: %v", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	allow := `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`
	tests := []struct {
		name, in, path, msg string
	}{
		{"not json", `{`, "$", "invalid JSON"},
		{"trailing", allow + `{}`, "$", "trailing data"},
		{"not an object", `[]`, "$", "want an object"},
		{"no type", `{}`, "$", `missing "__type"`},
		{"unknown type suggests", `{"__type":"PermissionDescriptorAlow","permissions":[]}`, "$.__type", `did you mean "PermissionDescriptorAllow"`},
		{"expression as node", `{"__type":"PermissionExpressionStack"}`, "$.__type", "is an expression"},
		{"node as expression", `{"__type":"PermissionDescriptorCondition","condition":` + allow + `,"subNode":` + allow + `}`, "$.condition.__type", "is a descriptor node"},
		{"unknown scope suggests", `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:delet"]}]}`, "$.entries[0].permissions[1]", `did you mean "stack:delete"`},
		{"unknown field", `{"__type":"PermissionDescriptorAllow","permision":["stack:read"]}`, "$.permision", "unknown field"},
		{"missing permissions", `{"__type":"PermissionDescriptorAllow"}`, "$.permissions", "required"},
		{"permission not string", `{"__type":"PermissionDescriptorAllow","permissions":[1]}`, "$.permissions[0]", "want a string"},
		{"bad constraint", `{"__type":"PermissionDescriptorAllow","permissions":[],"constraints":{"MaxOpenDuration":-1}}`, "$.constraints.MaxOpenDuration", "non-negative"},
		{"condition not boolean", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionStack"},"subNode":` + allow + `}`, "$.condition", "not a boolean"},
		{"missing subNode", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionLiteralExpressionBool","value":true}}`, "$.subNode", "required"},
		{"kind mismatch", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionEnvironment","identity":"e"}},"subNode":` + allow + `}`, "$.condition", "never match"},
		{"in needs a set", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionStack"},"values":{"__type":"PermissionLiteralExpressionStack","identity":"s"}},"subNode":` + allow + `}`, "$.condition.values", "want a set"},
		{"set outside in", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionSetExpressionStack","identities":["s"]}},"subNode":` + allow + `}`, "$.condition.right", "is a set"},
		{"hasTag context", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionLiteralExpressionString","value":"x"},"key":"k"},"subNode":` + allow + `}`, "$.condition.context", "context expression"},
		{"empty identity", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":""}},"subNode":` + allow + `}`, "$.condition.right.identity", "empty identity"},
		{"empty compose", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":[]}`, "$.permissionDescriptors", "at least one"},
		{"context with field", `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack","x":1},"right":{"__type":"PermissionLiteralExpressionStack","identity":"s"}},"subNode":` + allow + `}`, "$.condition.left.x", "has no fields"},
		{"group too large", `{"__type":"PermissionDescriptorGroup","entries":[` + strings.Repeat(allow+",", MaxGroupEntries) + allow + `]}`, "$.entries", "at most 2000"},
		{"too deep", strings.Repeat(`{"__type":"PermissionDescriptorGroup","entries":[`, MaxDepth+2) + allow + strings.Repeat(`]}`, MaxDepth+2), "", "deeper than"},
		{"too big", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["` + strings.Repeat("x", MaxDetailsBytes) + `"]}`, "$", "the limit is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			pe, ok := AsParseError(err)
			if !ok {
				t.Fatalf("want *ParseError, got %v", err)
			}
			if tt.path != "" && pe.Path != tt.path {
				t.Errorf("path %q, want %q (%v)", pe.Path, tt.path, err)
			}
			if !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("message %q does not mention %q", pe.Msg, tt.msg)
			}
		})
	}
}

func TestParseUnknownScopeIsTyped(t *testing.T) {
	_, err := Parse([]byte(`{"__type":"PermissionDescriptorAllow","permissions":["audit_log:read"]}`))
	var us *UnknownScopeError
	if !errors.As(err, &us) || us.Suggestion != "audit_logs:read" {
		t.Fatalf("want UnknownScopeError suggesting audit_logs:read, got %v", err)
	}
	if pe, _ := AsParseError(err); pe.Field("details") != "details.permissions[0]" {
		t.Fatalf("field %q", pe.Field("details"))
	}
}

func TestLookupScopeSuggestions(t *testing.T) {
	tests := []struct{ in, want string }{
		{"stack:delet", "stack:delete"},
		{"stack:update", "stack:write"}, // the launch blog's name
		{"audit_log:read", "audit_logs:read"},
		{"enviroment:open", "environment:open"},
		{"ORG_TOKEN:CREATE", "org_token:create"},
		{"stack:delete_everything", ""},
		{"completely-unrelated-words", ""},
	}
	for _, tt := range tests {
		_, err := LookupScope(tt.in)
		var us *UnknownScopeError
		if !errors.As(err, &us) {
			t.Fatalf("%s: want UnknownScopeError, got %v", tt.in, err)
		}
		if tt.want != "" && us.Suggestion != tt.want {
			t.Errorf("%s: suggestion %q, want %q", tt.in, us.Suggestion, tt.want)
		}
		if tt.want == "" && us.Suggestion != "" {
			t.Errorf("%s: suggests %q, want no suggestion", tt.in, us.Suggestion)
		}
		if !strings.Contains(err.Error(), tt.in) {
			t.Errorf("error %q does not name the input", err)
		}
	}
}
