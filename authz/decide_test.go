package authz

import (
	"fmt"
	"strings"
	"testing"
)

var (
	prod    = Entity{Kind: KindStack, ID: "s-prod", Name: "app/prod", Tags: map[string]string{"env": "prod"}}
	dev     = Entity{Kind: KindStack, ID: "s-dev", Name: "app/dev", Tags: map[string]string{"env": "dev", "owner": "x"}}
	envProd = Entity{Kind: KindEnvironment, ID: "e-prod", Name: "app/prod", Tags: map[string]string{"env": "prod"}}
	acct    = Entity{Kind: KindInsightsAccount, ID: "a-1", Name: "aws-main"}
)

const (
	stackIs   = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"%s"}}`
	envIs     = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionEnvironment"},"right":{"__type":"PermissionLiteralExpressionEnvironment","identity":"%s"}}`
	stackTag  = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"%s"},"right":{"__type":"PermissionLiteralExpressionString","value":"%s"}}`
	allowJSON = `{"__type":"PermissionDescriptorAllow","permissions":[%s]}`
)

func allowOf(scopes ...string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = `"` + s + `"`
	}
	return fmt.Sprintf(allowJSON, strings.Join(q, ","))
}

func cond(c, sub string) string {
	return `{"__type":"PermissionDescriptorCondition","condition":` + c + `,"subNode":` + sub + `}`
}

func group(entries ...string) string {
	return `{"__type":"PermissionDescriptorGroup","entries":[` + strings.Join(entries, ",") + `]}`
}

// records composed by the trees below
var testRecords = map[string]string{
	"set-stack-admin": allowOf("stack:read", "stack:write", "stack:delete"),
	"set-env-open":    allowOf("environment:read", "environment:open"),
	"policy-nested":   `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["set-env-open"]}`,
	"cycle-a":         `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["cycle-b"]}`,
	"cycle-b":         `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["cycle-a"]}`,
}

var testResolver = ResolverFunc(func(id string) (Node, error) {
	s, ok := testRecords[id]
	if !ok {
		return nil, fmt.Errorf("no permission descriptor %q", id)
	}
	return Parse([]byte(s))
})

func TestDecide(t *testing.T) {
	type req struct {
		scope  string
		entity Entity
		want   Decision
	}
	tests := []struct {
		name string
		tree string
		reqs []req
	}{
		{"empty group denies everything", group(), []req{
			{"stack:read", prod, Denied}, {"audit_logs:read", OrgEntity, Denied},
		}},
		{"unconditional allow covers every entity of the scope's kind", allowOf("stack:read", "audit_logs:read"), []req{
			{"stack:read", prod, Allowed}, {"stack:read", dev, Allowed}, {"stack:write", prod, Denied},
			{"audit_logs:read", OrgEntity, Allowed}, {"audit_logs:read", prod, Allowed}, // org scopes ignore the entity
			{"stack:read", envProd, Denied}, // a stack scope on an environment
		}},
		{"condition pins one stack", cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read", "stack:delete", "audit_logs:read", "environment:open")), []req{
			{"stack:delete", prod, Allowed}, {"stack:delete", dev, Denied},
			{"audit_logs:read", OrgEntity, Denied}, // org scopes under a stack condition never apply
			{"environment:open", envProd, Denied},
		}},
		{"in pins several", cond(`{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionStack"},"values":{"__type":"PermissionSetExpressionStack","identities":["s-prod","s-dev"]}}`, allowOf("stack:read")), []req{
			{"stack:read", prod, Allowed}, {"stack:read", dev, Allowed}, {"stack:read", Entity{Kind: KindStack, ID: "s-other"}, Denied},
		}},
		{"tag condition", cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")), []req{
			{"stack:write", dev, Allowed}, {"stack:write", prod, Denied},
		}},
		{"hasTag", cond(`{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"}`, allowOf("stack:read")), []req{
			{"stack:read", dev, Allowed}, {"stack:read", prod, Denied},
		}},
		{"not", cond(`{"__type":"PermissionExpressionNot","node":`+fmt.Sprintf(stackIs, "s-prod")+`}`, allowOf("stack:write", "audit_logs:read")), []req{
			{"stack:write", dev, Allowed}, {"stack:write", prod, Denied}, {"audit_logs:read", OrgEntity, Allowed},
		}},
		{"and or", cond(`{"__type":"PermissionExpressionAnd","left":`+fmt.Sprintf(stackTag, "env", "dev")+`,"right":{"__type":"PermissionExpressionOr","left":`+fmt.Sprintf(stackIs, "s-dev")+`,"right":`+fmt.Sprintf(stackIs, "s-prod")+`}}`, allowOf("stack:read")), []req{
			{"stack:read", dev, Allowed}, {"stack:read", prod, Denied},
		}},
		{"if then else", `{"__type":"PermissionDescriptorIfThenElse","condition":` + fmt.Sprintf(stackIs, "s-prod") + `,"subNodeForTrue":` + allowOf("stack:read") + `,"subNodeForFalse":` + allowOf("stack:write") + `}`, []req{
			{"stack:read", prod, Allowed}, {"stack:write", prod, Denied}, {"stack:write", dev, Allowed}, {"stack:read", dev, Denied},
		}},
		{"select first match wins", `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"options":[` +
			`{"value":{"__type":"PermissionLiteralExpressionString","value":"dev"},"node":` + allowOf("stack:write") + `},` +
			`{"value":{"__type":"PermissionLiteralExpressionString","value":"dev"},"node":` + allowOf("stack:delete") + `},` +
			`{"value":{"__type":"PermissionLiteralExpressionString","value":"prod"},"node":` + allowOf("stack:read") + `}]}`, []req{
			{"stack:write", dev, Allowed}, {"stack:delete", dev, Denied}, {"stack:read", prod, Allowed}, {"stack:write", prod, Denied},
		}},
		{"select on the stack itself", `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionStack"},"options":[` +
			`{"value":{"__type":"PermissionLiteralExpressionStack","identity":"s-dev"},"node":` + allowOf("stack:delete") + `}]}`, []req{
			{"stack:delete", dev, Allowed}, {"stack:delete", prod, Denied},
		}},
		{"compose under a condition", cond(fmt.Sprintf(stackIs, "s-dev"), `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["set-stack-admin"]}`), []req{
			{"stack:delete", dev, Allowed}, {"stack:delete", prod, Denied},
		}},
		{"nested compose", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["policy-nested"]}`, []req{
			{"environment:open", envProd, Allowed}, {"environment:write", envProd, Denied},
		}},
		{"environment condition", cond(fmt.Sprintf(envIs, "e-prod"), allowOf("environment:open")), []req{
			{"environment:open", envProd, Allowed}, {"environment:open", Entity{Kind: KindEnvironment, ID: "e-dev"}, Denied},
		}},
		{"insights account", allowOf("insights_account:read"), []req{
			{"insights_account:read", acct, Allowed}, {"insights_account:delete", acct, Denied},
		}},
		{"contradicting pins grant nothing", cond(fmt.Sprintf(stackIs, "s-prod"), cond(fmt.Sprintf(stackIs, "s-dev"), allowOf("stack:read"))), []req{
			{"stack:read", prod, Denied}, {"stack:read", dev, Denied},
		}},
		{"team context never holds for tokens", cond(`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTeam"},"right":{"__type":"PermissionLiteralExpressionTeam","identity":"t"}}`, allowOf("stack:read")), []req{
			{"stack:read", prod, Denied},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := MustParse(tt.tree)
			ix, err := Compile(root, testResolver)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.reqs {
				s := MustScope(r.scope)
				if got := ix.Decide(s.ID, r.entity); got != r.want {
					t.Errorf("Decide(%s, %s) = %v, want %v", r.scope, r.entity, got, r.want)
				}
				ex := ix.Explain(s.ID, r.entity)
				if ex.Decision != r.want {
					t.Errorf("Explain(%s, %s) = %v, want %v", r.scope, r.entity, ex.Decision, r.want)
				}
				if ref, err := Eval(root, testResolver, s.ID, r.entity); err != nil || Decision(ref) != r.want {
					t.Errorf("Eval(%s, %s) = %v, %v; want %v", r.scope, r.entity, ref, err, r.want)
				}
				if r.want == Allowed && (len(ex.Grants) == 0 || !strings.Contains(ex.String(), "allowed by")) {
					t.Errorf("allowed without grounds: %s", ex)
				}
				if r.want == Denied && !strings.Contains(ex.String(), r.scope) {
					t.Errorf("denial %q does not name the scope", ex)
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, tree, msg string }{
		{"cycle", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["cycle-a"]}`, "compose cycle"},
		{"missing record", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["nope"]}`, `no permission descriptor "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(MustParse(tt.tree), testResolver)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want error mentioning %q", err, tt.msg)
			}
			if _, err := Eval(MustParse(tt.tree), testResolver, MustScope("stack:read").ID, prod); err == nil {
				t.Fatalf("Eval accepted it")
			}
		})
	}
}

func TestExplain(t *testing.T) {
	tree := group(
		cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read")),
		allowOf("stack:read"),
		cond(fmt.Sprintf(stackTag, "env", "prod"), allowOf("stack:read", "stack:write")),
		cond(fmt.Sprintf(stackIs, "s-dev"), allowOf("stack:delete")),
	)
	ix := MustCompile(MustParse(tree), NoCompose)
	ex := ix.Explain(MustScope("stack:read").ID, prod)
	if !ex.Decision || len(ex.Grants) != 3 {
		t.Fatalf("want 3 grants, got %v: %s", len(ex.Grants), ex)
	}
	paths := []string{}
	for _, g := range ex.Grants {
		paths = append(paths, g.Path)
	}
	if strings.Join(paths, " ") != "$.entries[1] $.entries[0].subNode $.entries[2].subNode" {
		t.Errorf("paths %v", paths)
	}
	if got := ix.Explain(MustScope("stack:write").ID, prod); len(got.Grants) != 1 || got.Grants[0].Condition == "" {
		t.Errorf("tag grant: %s", got)
	}
	deny := ix.Explain(MustScope("stack:delete").ID, prod)
	if deny.Decision == Allowed || !strings.Contains(deny.String(), "only on 1 other stack") {
		t.Errorf("denial: %s", deny)
	}
	none := ix.Explain(MustScope("audit_logs:read").ID, OrgEntity)
	if !strings.Contains(none.String(), "nowhere") {
		t.Errorf("denial: %s", none)
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	ix := MustCompile(MustParse(group(
		cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read")),
		cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")),
	)), NoCompose)
	read, write := MustScope("stack:read").ID, MustScope("stack:write").ID
	allocs := testing.AllocsPerRun(100, func() {
		ix.Decide(read, prod)
		ix.Decide(write, dev)
		ix.Decide(write, prod)
		ix.Explain(read, prod)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decision", allocs)
	}
}
