package mapping_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

const prodCondition = `{ "__type": "PermissionExpressionEqual",
  "left": {"__type": "PermissionExpressionTag", "context": {"__type": "PermissionExpressionStack"}, "key": "env"},
  "right": {"__type": "PermissionLiteralExpressionString", "value": "prod"} }`

// TestGuardrailLifecycle: create, no-op on unchanged (differently spelt) inputs, drift from an
// out-of-band change, update, delete (twice), against the real server; checkAccess and whoCan
// answer under it as the server does.
func TestGuardrailLifecycle(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	glass, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "break-glass", Grants: []mapping.Grant{{Scopes: []string{"stack:delete"}}}})
	if err != nil {
		t.Fatal(err)
	}
	deleter, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "deleter", Grants: []mapping.Grant{{Scopes: []string{"stack:delete"}}}})
	if err != nil {
		t.Fatal(err)
	}
	args := mapping.GuardrailArgs{Name: "no-prod-delete", Actions: []string{"stack:delete", "stack:delete"}, Condition: prodCondition, ExemptRoles: []string{glass.RoleID}}
	g, err := p.CreateGuardrail(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != 1 || !slices.Equal(g.Actions, []string{"stack:delete"}) || strings.ContainsAny(g.Condition, " \n") {
		t.Fatalf("created %+v", g)
	}
	if u, r := mapping.GuardrailChanges(g, args); len(u)+len(r) != 0 {
		t.Fatalf("unchanged inputs (other spelling) show changes %v %v", u, r)
	}
	read, found, err := p.ReadGuardrail(ctx, "", g.GuardrailID)
	if err != nil || !found || read.Condition != g.Condition || read.ExemptRoles[0] != glass.RoleID {
		t.Fatalf("read %+v %v %v", read, found, err)
	}

	// The provider's checkAccess applies it, as the server does.
	res, err := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: deleter.RoleID, Action: "stack:delete", Stack: "myapp/prod"})
	if err != nil || res.Allowed || !strings.Contains(strings.Join(res.Reasons, " "), `guardrail "no-prod-delete"`) {
		t.Fatalf("checkAccess of deleter on prod: %+v %v", res, err)
	}
	if res, _ := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: glass.RoleID, Action: "stack:delete", Stack: "myapp/prod"}); !res.Allowed {
		t.Fatalf("checkAccess of break-glass on prod: %+v", res)
	}
	if res, _ := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: deleter.RoleID, Action: "stack:delete", Stack: "myapp/dev"}); !res.Allowed {
		t.Fatalf("checkAccess of deleter on dev: %+v", res)
	}

	// whoCan: "only these tokens can delete prod".
	if _, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "glass", RoleID: glass.RoleID}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "ci", RoleID: deleter.RoleID}); err != nil {
		t.Fatal(err)
	}
	who, err := p.WhoCan(ctx, mapping.WhoCanArgs{Action: "stack:delete", Stack: "myapp/prod", Kinds: []string{"org_token"}})
	if err != nil {
		t.Fatal(err)
	}
	var names, denied []string
	for _, w := range who.Principals {
		names = append(names, w.Name)
	}
	for _, w := range who.DeniedByGuardrail {
		denied = append(denied, w.Name)
	}
	if !slices.Equal(names, []string{"glass"}) || !slices.Contains(denied, "ci") || !slices.Contains(denied, "admin") {
		t.Fatalf("whoCan: allowed %v, denied by guardrail %v", names, denied)
	}
	if _, err := p.WhoCan(ctx, mapping.WhoCanArgs{Action: "stack:delte", Stack: "myapp/prod", Kinds: []string{"tokens"}}); err == nil ||
		!strings.Contains(err.Error(), `did you mean "stack:delete"`) || !strings.Contains(err.Error(), "kinds[0]") {
		t.Fatalf("bad whoCan inputs: %v", err)
	}

	// Out-of-band change: drift on read, then the update puts it back.
	if _, err := srv.Client.UpdateGuardrail(ctx, srv.Org, g.GuardrailID, apitype.UpdateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:read"}}); err != nil {
		t.Fatal(err)
	}
	drift, _, err := p.ReadGuardrail(ctx, "", g.GuardrailID)
	if err != nil || drift.Version != 2 || drift.Condition != "" || len(drift.ExemptRoles) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
	if u, _ := mapping.GuardrailChanges(drift, args); !slices.Contains(u, mapping.FieldActions) || !slices.Contains(u, mapping.FieldCondition) || !slices.Contains(u, mapping.FieldExemptRoles) {
		t.Fatalf("drift changes %v", u)
	}
	// A stale version is refused with advice.
	if _, err := p.UpdateGuardrail(ctx, g, args); err == nil || !strings.Contains(mapping.Text(err, mapping.Canonical), "refresh") {
		t.Fatalf("stale update: %v", err)
	}
	up, err := p.UpdateGuardrail(ctx, drift, args)
	if err != nil || up.Version != 3 || up.Condition != g.Condition {
		t.Fatalf("update %+v %v", up, err)
	}
	if err := p.DeleteGuardrail(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteGuardrail(ctx, up); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, found, err := p.ReadGuardrail(ctx, "", up.GuardrailID); err != nil || found {
		t.Fatalf("read after delete: %v %v", found, err)
	}
}

func TestCheckGuardrail(t *testing.T) {
	tests := []struct {
		args mapping.GuardrailArgs
		want string
	}{
		{mapping.GuardrailArgs{Actions: []string{"stack:delete"}}, "name: required"},
		{mapping.GuardrailArgs{Name: "g"}, "actions: list at least one scope"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read", "stack:delet"}}, `actions[1]: unknown scope "stack:delet": did you mean "stack:delete"?`},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read", "environment:open"}}, "one kind of entity"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTagg"}}`}, "condition.left.__type: unknown expression type"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"environment:open"}, Condition: prodCondition}, "use the environment context"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, ExemptRoles: []string{" "}}, "exemptRoles[0]: empty role ID"},
	}
	for _, tc := range tests {
		got := mapping.Text(mapping.CheckGuardrail(tc.args).Err(), mapping.Canonical)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.args, got, tc.want)
		}
	}
	if ps := mapping.CheckGuardrail(mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:delete"}, Condition: prodCondition}); len(ps) != 0 {
		t.Errorf("valid guardrail: %v", ps)
	}
	// Unknown actions at preview: no problems from them.
	var u mapping.Unknowns
	u.Add(mapping.Root(mapping.FieldActions))
	if ps := mapping.CheckGuardrailWithUnknowns(mapping.GuardrailArgs{Name: "g"}, u); len(ps) != 0 {
		t.Errorf("unknown actions: %v", ps)
	}
	var c json.RawMessage = []byte(mapping.CanonicalCondition(prodCondition))
	if _, err := authz.ParseExpr(c); err != nil {
		t.Fatal(err)
	}
}
