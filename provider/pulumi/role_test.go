package pulumi_test

import (
	"context"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// createPermission makes a stack:delete permission and returns its ID.
func (e *env) createPermission() string {
	e.t.Helper()
	_, _, state := e.create(iampulumi.PermissionType, obj(map[string]any{"name": "deleters", "scopes": []string{"stack:delete"}}))
	return state.Get("permissionId").AsString()
}

func roleInputs(permID string, stacks ...string) property.Map {
	return obj(map[string]any{
		"name":        "deployer",
		"description": "Deploys myapp/prod.",
		"grants": []any{
			map[string]any{"permissions": []string{permID, "stack-write"}, "stacks": stacks},
			map[string]any{"scopes": []string{"environment:open"}, "environments": []string{"myapp/prod"}},
		},
	})
}

func TestCustomRoleLifecycle(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	var id string
	integration.LifeCycleTest{
		Resource: iampulumi.CustomRoleType,
		Create: integration.Operation{
			Inputs: roleInputs(perm, "myapp/prod"),
			Hook: func(in, out property.Map) {
				id = out.Get("roleId").AsString()
				if id == "" || out.Get("version").AsNumber() != 1 || !strings.Contains(out.Get("details").AsString(), perm) {
					t.Errorf("create outputs %v", out)
				}
			},
		},
		Updates: []integration.Operation{{
			Inputs: roleInputs(perm, "myapp/prod", "myapp/dev"),
			Hook: func(in, out property.Map) {
				if out.Get("roleId").AsString() != id || out.Get("version").AsNumber() != 2 {
					t.Errorf("update was not in place: %v", out)
				}
				r, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, id)
				if err != nil {
					t.Fatal(err)
				}
				if string(r.Details) != out.Get("details").AsString() {
					t.Errorf("details output %s, server %s", out.Get("details").AsString(), r.Details)
				}
			},
		}},
	}.Run(t, e.s)
	if _, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, id); err == nil {
		t.Fatal("the role is still on the server after delete")
	}
}

func TestCustomRoleDiff(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	id, in, state := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod", "myapp/dev"))

	// The same role written differently (lists inside grants reordered, duplicated): no diff.
	same := obj(map[string]any{
		"name":        "deployer",
		"description": "Deploys myapp/prod.",
		"grants": []any{
			map[string]any{"permissions": []string{"stack-write", perm, perm}, "stacks": []string{"myapp/dev", "myapp/prod"}},
			map[string]any{"environments": []string{"myapp/prod"}, "scopes": []string{"environment:open"}},
		},
	})
	if d := e.diff(iampulumi.CustomRoleType, id, in, state, same); d.HasChanges {
		t.Fatalf("equivalent grants show a diff: %+v", d)
	}
	// The same role as raw details (the canonical tree): no diff either.
	details := obj(map[string]any{"name": "deployer", "description": "Deploys myapp/prod.", "details": state.Get("details").AsString()})
	if d := e.diff(iampulumi.CustomRoleType, id, in, state, details); d.HasChanges {
		t.Fatalf("the canonical details show a diff: %+v", d)
	}
	// A grant change is an in-place update.
	d := e.diff(iampulumi.CustomRoleType, id, in, state, roleInputs(perm, "myapp/prod"))
	if !d.HasChanges || d.DetailedDiff["grants"].Kind != p.Update || len(d.DetailedDiff) != 1 {
		t.Fatalf("diff %+v", d)
	}
	// A permission not created yet (unknown during preview): a change, not a failure.
	withUnknown := roleInputs(perm, "myapp/prod", "myapp/dev")
	grants := withUnknown.Get("grants").AsArray()
	g0 := grants.Get(0).AsMap().Set("permissions", property.New([]property.Value{unknown, property.New("stack-write")}))
	withUnknown = withUnknown.Set("grants", property.New(property.NewArray(append([]property.Value{property.New(g0)}, grants.AsSlice()[1:]...))))
	d = e.diff(iampulumi.CustomRoleType, id, in, state, withUnknown)
	if !d.HasChanges || d.DetailedDiff["grants"].Kind != p.Update {
		t.Fatalf("diff with an unknown permission %+v", d)
	}
	// An unknown organization is a replacement.
	d = e.diff(iampulumi.CustomRoleType, id, in, state, roleInputs(perm, "myapp/prod", "myapp/dev").Set("organization", unknown))
	if d.DetailedDiff["organization"].Kind != p.UpdateReplace {
		t.Fatalf("diff with an unknown organization %+v", d)
	}
}

func TestCustomRoleCheck(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.CustomRoleType, property.Map{}, obj(map[string]any{
		"name":    "r",
		"grants":  []any{map[string]any{"scopes": []string{"stack:read"}}},
		"details": `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`,
	}))
	if len(c.Failures) != 1 || c.Failures[0].Property != "" || c.Failures[0].Reason != "details: set either grants or details, not both" {
		t.Fatalf("grants and details: %+v", c.Failures)
	}
	c = e.check(iampulumi.CustomRoleType, property.Map{}, obj(map[string]any{
		"name":   "r",
		"grants": []any{map[string]any{"scopes": []string{"stack:delet"}, "stacks": []string{"myapp/prod"}}},
	}))
	if len(c.Failures) != 1 || c.Failures[0].Property != "" || !strings.Contains(c.Failures[0].Reason, `grants[0].scopes[0]: unknown scope "stack:delet": did you mean "stack:delete"?`) {
		t.Fatalf("typo: %+v", c.Failures)
	}
	// Unknown permission IDs and stacks are skipped; a typo next to them is still reported.
	c = e.check(iampulumi.CustomRoleType, property.Map{}, obj(map[string]any{
		"name": "r",
		"grants": []any{
			map[string]any{"permissions": []any{unknown}, "stacks": []any{unknown, "myapp/prod"}},
			map[string]any{"scopes": []string{"environment:opn"}, "environments": []string{"myapp/prod"}},
		},
	}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, "grants[1].scopes[0]: ") {
		t.Fatalf("unknowns: %+v", c.Failures)
	}
	perms := c.Inputs.Get("grants").AsArray().Get(0).AsMap().Get("permissions")
	if !perms.AsArray().Get(0).IsComputed() {
		t.Fatalf("check lost the unknown: %v", c.Inputs)
	}
	// Known grants are normalized.
	c = e.check(iampulumi.CustomRoleType, property.Map{}, obj(map[string]any{
		"name":   "r",
		"grants": []any{map[string]any{"scopes": []string{"stack:read", "stack:delete"}, "stacks": []string{"myapp/prod", "myapp/dev"}}},
	}))
	g := c.Inputs.Get("grants").AsArray().Get(0).AsMap()
	if strings.Join(strs(g.Get("scopes")), ",") != "stack:delete,stack:read" || strings.Join(strs(g.Get("stacks")), ",") != "myapp/dev,myapp/prod" {
		t.Fatalf("grant not normalized: %v", g)
	}
}

// An out-of-band change shows up on refresh (Read) and then as a diff against the program.
func TestCustomRoleDrift(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	program := roleInputs(perm, "myapp/prod")
	id, in, state := e.create(iampulumi.CustomRoleType, program)
	roleID := state.Get("roleId").AsString()

	// Refresh without drift keeps the inputs as written.
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.ID != id || !r.Inputs.Equals(in) {
		t.Fatalf("read without drift: %v\n%v\n%v", err, r.Inputs, in)
	}

	drift := `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`
	name := "renamed"
	if _, err := e.srv.Client.UpdateRole(context.Background(), e.srv.Org, roleID, apitype.UpdateRoleRequest{Name: &name, Details: []byte(drift)}); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	server, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, roleID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Properties.Get("details").AsString() != string(server.Details) || r.Properties.Get("name").AsString() != "renamed" ||
		r.Properties.Get("version").AsNumber() != float64(server.Version) {
		t.Fatalf("refreshed state %v", r.Properties)
	}
	g := r.Inputs.Get("grants").AsArray()
	if g.Len() != 1 || strings.Join(strs(g.Get(0).AsMap().Get("scopes")), ",") != "audit_logs:read" {
		t.Fatalf("refreshed inputs %v", r.Inputs)
	}
	d := e.diff(iampulumi.CustomRoleType, id, r.Inputs, r.Properties, program)
	if !d.HasChanges || d.DetailedDiff["grants"].Kind != p.Update || d.DetailedDiff["name"].Kind != p.Update {
		t.Fatalf("diff after drift %+v", d)
	}
	// The update restores the program's role.
	c := e.check(iampulumi.CustomRoleType, r.Inputs, program)
	u, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if u.Properties.Get("details").AsString() != state.Get("details").AsString() {
		t.Fatalf("restored %s, want %s", u.Properties.Get("details").AsString(), state.Get("details").AsString())
	}

	// Deleted out of band: Read reports it gone.
	if err := e.srv.Client.DeleteRole(context.Background(), e.srv.Org, roleID, true); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, Properties: u.Properties, Inputs: c.Inputs})
	if err != nil || r.ID != "" {
		t.Fatalf("read after delete: %v %q", err, r.ID)
	}
}

// In an update preview roleId stays known (tokens using it do not show a replacement) and
// nothing is written.
func TestCustomRoleUpdatePreview(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	id, in, state := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	c := e.check(iampulumi.CustomRoleType, in, roleInputs(perm, "myapp/prod", "myapp/dev"))
	u, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, State: state, OldInputs: in, Inputs: c.Inputs, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Properties.Get("roleId").IsComputed() || u.Properties.Get("roleId").AsString() != state.Get("roleId").AsString() || !u.Properties.Get("version").IsComputed() {
		t.Fatalf("preview outputs %v", u.Properties)
	}
	r, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, state.Get("roleId").AsString())
	if err != nil || r.Version != 1 {
		t.Fatalf("a preview wrote the role: %v %+v", err, r)
	}
}
