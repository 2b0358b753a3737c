package condition

import (
	"strings"
	"testing"

	"github.com/iamref/iam/authz"
)

func TestCompilePrint(t *testing.T) {
	tests := []struct {
		src, wire, printed string
	}{
		{`stack.tags.env == "dev"`,
			`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"dev"}}`,
			`stack.tags.env == "dev"`},
		{`stack.tags["team-name"]  ==  'a"b'`, "", `stack.tags["team-name"] == "a\"b"`},
		{`stack.tags.env != "prod"`,
			`{"__type":"PermissionExpressionNot","node":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}}}`,
			`stack.tags.env != "prod"`},
		{`!(stack.tags.env == "prod")`, "", `stack.tags.env != "prod"`},
		{`environment.tags.env in ["test", "dev", "dev"]`,
			`{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionEnvironment"},"key":"env"},"values":{"__type":"PermissionSetExpressionString","values":["dev","test"]}}`,
			`environment.tags.env in ["dev", "test"]`},
		{`stack.id == "abc"`,
			`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"abc"}}`,
			`stack.id == "abc"`},
		{`"abc" == stack.id`, "", `"abc" == stack.id`},
		{`stack.id in ["b", "a"]`,
			`{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionStack"},"values":{"__type":"PermissionSetExpressionStack","identities":["a","b"]}}`,
			`stack.id in ["a", "b"]`},
		{`has(stack.tags.owner)`,
			`{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"}`,
			`has(stack.tags.owner)`},
		{`"owner" in stack.tags`, "", `has(stack.tags.owner)`},
		{`"cost-center" in insights_account.tags`, "", `"cost-center" in insights_account.tags`},
		{`!has(stack.tags.owner)`, "", `!has(stack.tags.owner)`},
		{`!!has(stack.tags.owner)`, "", `has(stack.tags.owner)`},
		{`!(!has(stack.tags.owner))`, "", `!(!has(stack.tags.owner))`},
		{`stack.tags.env == "dev" && stack.tags.team in ["payments", "billing"] || stack.tags.owner == "me"`, "",
			`(stack.tags.env == "dev" && stack.tags.team in ["billing", "payments"]) || stack.tags.owner == "me"`},
		{`a == "b" || true`, "", ""}, // undeclared
		{`true`, `{"__type":"PermissionLiteralExpressionBool","value":true}`, `true`},
		{`stack.tags.if == "x"`, "", `stack.tags["if"] == "x"`}, // a reserved word prints in brackets
		{`stack.tags["if"] == "x"`, "", `stack.tags["if"] == "x"`},
	}
	for _, tt := range tests {
		x, err := Compile(tt.src)
		if tt.printed == "" {
			if err == nil {
				t.Errorf("%s: compiled, want an error", tt.src)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if tt.wire != "" && string(authz.FormatExpr(x)) != tt.wire {
			t.Errorf("%s: wire\n got %s\nwant %s", tt.src, authz.FormatExpr(x), tt.wire)
		}
		got, err := Print(x)
		if err != nil || got != tt.printed {
			t.Errorf("%s: printed %q, %v; want %q", tt.src, got, err, tt.printed)
		}
		y, err := Compile(got)
		if err != nil || string(authz.FormatExpr(y)) != string(authz.FormatExpr(x)) {
			t.Errorf("%s: printed form %q does not compile to the same tree: %v", tt.src, got, err)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct{ src, want string }{
		{`stack.project in ["payments", "billing"]`, `1:1: stack.project cannot be expressed: Pulumi's role grammar knows a stack only by its ID and its tags; tag them instead and test the tag, e.g. stack.tags.project == "payments"`},
		{`stack.tags.env == 1`, `1:16: found no matching overload for '_==_' applied to '(string, int)'`},
		{`stack.tags.env`, `1:1: a condition must be true or false, this one is a string`},
		{`stack.tags.env.startsWith("d")`, `1:26: the function "startsWith" is not part of the condition language; allowed: stack.tags.KEY`},
		{`size(stack.tags) > 1`, `1:18: ordering (>) is not part of the condition language`},
		{`stack.tags.env == "a" ? true : false`, `1:23: the conditional operator (?:) is not part of the condition language`},
		{`stack.tags.env == stack.id`, `1:16: compares an entity's ID with a tag`},
		{`stack.id == environment.id`, `1:10: compares the IDs of two kinds of entity`},
		{`stack.tags.env in stack.tags.x`, `1:16: found no matching overload`},
		{`stack.tags.env in [stack.tags.x]`, `1:30: list elements must be string literals`},
		{`stack.id == ""`, `1:13: empty identity`},
		{`"" in stack.tags`, `1:1: empty tag key`},
		{`team.id == "x"`, `1:1: undeclared reference to 'team'`},
		{`stack.tags.env == "dev" &&`, `1:27: Syntax error: mismatched input '<EOF>'`},
		{``, `1:1: empty condition`},
		{strings.Repeat(`true||`, 2001) + `true`, `more than 2000 terms`},
		{strings.Repeat("x", MaxSourceBytes+1), `the limit is 16384`},
		{strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000), `1:1: expression recursion limit exceeded`},
		{strings.Repeat("a.", 5000) + "b", `1:1: max recursion depth exceeded`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src)
		if err == nil {
			t.Errorf("%.60s: compiled, want an error containing %q", tt.src, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.60s:\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestPrintRefuses(t *testing.T) {
	tag := &authz.Tag{Context: &authz.Context{Kind: authz.CtxStack}, Key: "env"}
	for _, x := range []authz.Expr{
		&authz.Equal{Left: tag, Right: &authz.Number{Value: 1}},
		&authz.Equal{Left: &authz.Bool{Value: true}, Right: &authz.Bool{Value: true}},
		&authz.HasTag{Context: &authz.Context{Kind: authz.CtxStack}, Key: "env", Node: &authz.Bool{Value: true}},
		&authz.Equal{Left: &authz.Context{Kind: authz.CtxTeam}, Right: &authz.Identity{Kind: authz.CtxTeam, ID: "t"}},
		&authz.Equal{Left: &authz.Identity{Kind: authz.CtxStack, ID: "a"}, Right: &authz.Identity{Kind: authz.CtxStack, ID: "b"}},
	} {
		if s, err := Print(x); err == nil {
			t.Errorf("%s printed as %q, want an error", authz.FormatExpr(x), s)
		}
	}
}

func TestKinds(t *testing.T) {
	x, err := Compile(`stack.tags.a == "x" || has(environment.tags.b)`)
	if err != nil {
		t.Fatal(err)
	}
	if got := authz.ExprKinds(x); len(got) != 2 || got[0] != authz.KindStack || got[1] != authz.KindEnvironment {
		t.Fatalf("Kinds = %v", got)
	}
}
