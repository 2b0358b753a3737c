package pulumi_test

import (
	"context"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// A role and a policy made with the raw API, with tag conditions, import into the typed form
// (stackTags, condition, maxOpenDuration), which then shows no diff: what `pulumi import` needs.
func TestImportTagGrants(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	stackTag := func(k, v string) string {
		return `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"` + k + `"},"right":{"__type":"PermissionLiteralExpressionString","value":"` + v + `"}}`
	}
	role, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "raw-tags", UXPurpose: apitype.UXPurposeRole, ResourceType: "global",
		Details: []byte(`{"__type":"PermissionDescriptorGroup","entries":[
		  {"__type":"PermissionDescriptorCondition","condition":` + stackTag("env", "dev") + `,"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}},
		  {"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionNot","node":` + stackTag("env", "prod") + `},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:delete"]}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "raw-policy", UXPurpose: apitype.UXPurposePolicy, ResourceType: "global",
		Details: []byte(`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionEnvironment"},"key":"team"},` +
			`"subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"],"constraints":{"MaxOpenDuration":5400}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	imported := func(typ, id string) p.ReadResponse {
		t.Helper()
		r, err := e.s.Read(p.ReadRequest{Urn: urn(typ, "imp"), ID: e.srv.Org + "/" + id})
		if err != nil || r.ID != e.srv.Org+"/"+id {
			t.Fatalf("import %s: %v %q", typ, err, r.ID)
		}
		c := e.check(typ, r.Inputs, r.Inputs)
		if len(c.Failures) > 0 {
			t.Fatalf("check imported %s: %+v", typ, c.Failures)
		}
		d, err := e.s.Diff(p.DiffRequest{Urn: urn(typ, "imp"), ID: r.ID, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
		if err != nil || d.HasChanges {
			t.Fatalf("imported %s differs from its state: %v %+v", typ, err, d)
		}
		return r
	}
	r := imported(iampulumi.CustomRoleType, role.ID)
	g := r.Inputs.Get("grants").AsArray()
	if g.Len() != 2 || g.Get(0).AsMap().Get("stackTags").AsMap().Get("env").AsString() != "dev" ||
		g.Get(1).AsMap().Get("condition").AsString() != `stack.tags.env != "prod"` || has(r.Inputs, "details") {
		t.Fatalf("imported role inputs %v", r.Inputs)
	}
	r = imported(iampulumi.PolicyType, policy.ID)
	pg := r.Inputs.Get("grants").AsArray().Get(0).AsMap()
	if pg.Get("condition").AsString() != "has(environment.tags.team)" || pg.Get("maxOpenDuration").AsString() != "1h30m" || r.Properties.Get("policyId").AsString() != policy.ID {
		t.Fatalf("imported policy %v %v", r.Inputs, r.Properties)
	}
	if _, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.PolicyType, "imp"), ID: e.srv.Org + "/" + role.ID}); err == nil || !strings.Contains(err.Error(), "is a role, not a policy") {
		t.Fatalf("a role imported as a policy: %v", err)
	}
}

// Check reports a condition that does not compile at its field, with the position.
func TestCheckCondition(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.PolicyType, property.Map{}, obj(map[string]any{"name": "p", "grants": []any{
		map[string]any{"scopes": []string{"stack:read"}, "condition": `stack.tags.env =~ "dev"`},
	}}))
	if len(c.Failures) != 1 || !strings.Contains(c.Failures[0].Reason, "grants[0].condition: at line 1, column 16: Syntax error") {
		t.Fatalf("failures %+v", c.Failures)
	}
}

// An empty list or tag map (say, from an empty variable) fails Check instead of widening the
// grant to every entity.
func TestCheckEmptySelectors(t *testing.T) {
	e := setup(t)
	for field, v := range map[string]any{"stacks": []string{}, "stackTags": map[string]any{}} {
		c := e.check(iampulumi.CustomRoleType, property.Map{}, obj(map[string]any{"name": "r", "grants": []any{
			map[string]any{"scopes": []string{"stack:read"}, field: v},
		}}))
		if len(c.Failures) != 1 || !strings.Contains(c.Failures[0].Reason, "grants[0]."+field+": empty") {
			t.Errorf("%s empty: failures %+v", field, c.Failures)
		}
	}
}
