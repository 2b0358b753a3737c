package authz

import (
	"fmt"
	"testing"
)

// benchTree is a role of the shape the server holds: org scopes, a composed set on a few
// stacks, one environment, and a tag condition that stays residual.
func benchTree() string {
	return group(
		allowOf("audit_logs:read", "role:read"),
		cond(`{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionStack"},"values":{"__type":"PermissionSetExpressionStack","identities":["s-1","s-2","s-3","s-prod"]}}`,
			`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["set-stack-admin"]}`),
		cond(fmt.Sprintf(envIs, "e-prod"), allowOf("environment:open")),
		cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")),
		`{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"},"options":[`+
			`{"value":{"__type":"PermissionLiteralExpressionString","value":"x"},"node":`+allowOf("stack_tags:update")+`}]}`,
	)
}

type benchReq struct {
	name   string
	scope  ScopeID
	entity Entity
}

func benchRequests() []benchReq {
	other := Entity{Kind: KindStack, ID: "s-other", Name: "app/other", Tags: map[string]string{"env": "prod"}}
	return []benchReq{
		{"org", MustScope("audit_logs:read").ID, OrgEntity},
		{"pinned", MustScope("stack:delete").ID, prod},
		{"residual", MustScope("stack:write").ID, dev},
		{"denied", MustScope("stack:delete").ID, other},
	}
}

func BenchmarkDecide(b *testing.B) {
	ix := MustCompile(MustParse(benchTree()), testResolver)
	for _, r := range benchRequests() {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Decide(r.scope, r.entity)
			}
		})
	}
}

func BenchmarkExplain(b *testing.B) {
	ix := MustCompile(MustParse(benchTree()), testResolver)
	for _, r := range benchRequests() {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Explain(r.scope, r.entity)
			}
		})
	}
}

func BenchmarkEval(b *testing.B) {
	root := MustParse(benchTree())
	records := map[string]Node{}
	for id := range testRecords {
		records[id] = MustParse(testRecords[id])
	}
	res := ResolverFunc(func(id string) (Node, error) { return records[id], nil })
	for _, r := range benchRequests() {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Eval(root, res, r.scope, r.entity); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	root := MustParse(benchTree())
	b.ReportAllocs()
	for b.Loop() {
		MustCompile(root, testResolver)
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(benchTree())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
