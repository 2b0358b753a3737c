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

// serverMember is the member's role and FGA role ID on the server.
func (e *env) serverMember(login string) (string, string) {
	e.t.Helper()
	ms, err := e.srv.Client.ListMembers(context.Background(), e.srv.Org)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range ms {
		if m.User.GitHubLogin == login {
			return m.Role, m.FGARole.ID
		}
	}
	return "", ""
}

func TestOrganizationMember(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	roleID := role.Get("roleId").AsString()
	// Another admin, so that alice is never the last one (the server refuses to demote or
	// remove the last admin).
	if _, err := e.srv.Client.AddMember(context.Background(), e.srv.Org, "root", apitype.AddMemberRequest{Role: apitype.OrgRoleAdmin}); err != nil {
		t.Fatal(err)
	}

	program := obj(map[string]any{"login": "alice", "role": "member", "name": "Alice", "email": "alice@example.com"})
	id, in, state := e.create(iampulumi.OrganizationMemberType, program)
	if id != e.srv.Org+"/alice" {
		t.Fatalf("ID %q", id)
	}
	if r, _ := e.serverMember("alice"); r != "member" {
		t.Fatalf("server role %q", r)
	}
	// Refresh without drift keeps the inputs.
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || !r.Inputs.Equals(in) {
		t.Fatalf("read: %v\n%v\n%v", err, r.Inputs, in)
	}
	// role → roleId: an in-place update.
	custom := obj(map[string]any{"login": "alice", "roleId": roleID, "name": "Alice", "email": "alice@example.com"})
	d := e.diff(iampulumi.OrganizationMemberType, id, in, state, custom)
	if d.DetailedDiff["role"].Kind != p.Update || d.DetailedDiff["roleId"].Kind != p.Update || len(d.DetailedDiff) != 2 {
		t.Fatalf("diff %+v", d)
	}
	c := e.check(iampulumi.OrganizationMemberType, in, custom)
	u, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, State: state, OldInputs: in, Inputs: c.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if _, fga := e.serverMember("alice"); fga != roleID {
		t.Fatalf("server role %q, want %q", fga, roleID)
	}
	// Drift: made an admin outside Pulumi.
	if err := e.srv.Client.UpdateMember(context.Background(), e.srv.Org, "alice", apitype.UpdateMemberRequest{Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, Properties: u.Properties, Inputs: c.Inputs})
	if err != nil || r.Inputs.Get("role").AsString() != "admin" || !r.Inputs.Get("roleId").IsNull() {
		t.Fatalf("read after drift: %v %v", err, r.Inputs)
	}
	if d := e.diff(iampulumi.OrganizationMemberType, id, r.Inputs, r.Properties, custom); !d.HasChanges {
		t.Fatal("drift shows no diff")
	}
	// Import: a custom role comes back as roleId, a built-in one as role.
	imp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id})
	if err != nil || imp.Inputs.Get("role").AsString() != "admin" || imp.Inputs.Get("name").AsString() != "Alice" || imp.Inputs.Get("email").AsString() != "alice@example.com" {
		t.Fatalf("import: %v %v", err, imp.Inputs)
	}
	if err := e.srv.Client.UpdateMember(context.Background(), e.srv.Org, "alice", apitype.UpdateMemberRequest{FGARoleID: &roleID}); err != nil {
		t.Fatal(err)
	}
	imp, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id})
	if err != nil || imp.Inputs.Get("roleId").AsString() != roleID || !imp.Inputs.Get("role").IsNull() {
		t.Fatalf("import custom: %v %v", err, imp.Inputs)
	}
	// Adding a member twice is refused.
	c2 := e.check(iampulumi.OrganizationMemberType, property.Map{}, program)
	if _, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.OrganizationMemberType, "r2"), Properties: c2.Inputs}); err == nil || !strings.Contains(err.Error(), "import") {
		t.Fatalf("second add: %v", err)
	}
	// Delete; gone; deleting again is fine.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, Properties: u.Properties}); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.serverMember("alice"); r != "" {
		t.Fatal("alice is still a member")
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, Properties: u.Properties, Inputs: c.Inputs})
	if err != nil || r.ID != "" {
		t.Fatalf("read after delete: %v %q", err, r.ID)
	}
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.OrganizationMemberType, "r"), ID: id, Properties: u.Properties}); err != nil {
		t.Fatal(err)
	}
}

func TestOrganizationMemberCheck(t *testing.T) {
	e := setup(t)
	for _, c := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"login": "alice"}, "role: set role"},
		{map[string]any{"login": "alice", "role": "member", "roleId": "x"}, "roleId: set either role or roleId"},
		{map[string]any{"login": "alice", "role": "owner"}, `role: "owner" is not one of admin, member, billing-manager`},
		{map[string]any{"login": "a b", "role": "member"}, "login: "},
	} {
		resp := e.check(iampulumi.OrganizationMemberType, property.Map{}, obj(c.in))
		if len(resp.Failures) != 1 || !strings.HasPrefix(resp.Failures[0].Reason, c.want) {
			t.Errorf("%v: %+v", c.in, resp.Failures)
		}
	}
	if resp := e.check(iampulumi.OrganizationMemberType, property.Map{}, obj(map[string]any{"login": "alice", "roleId": unknown})); len(resp.Failures) != 0 {
		t.Errorf("unknown roleId: %+v", resp.Failures)
	}
}
