package pulumi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// addMembers makes logins members of the test org.
func (e *env) addMembers(logins ...string) {
	e.t.Helper()
	for _, l := range logins {
		if _, err := e.srv.Client.AddMember(context.Background(), e.srv.Org, l, apitype.AddMemberRequest{Role: apitype.OrgRoleMember}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// serverMembers is the team's member logins on the server, sorted.
func (e *env) serverMembers(team string) []string {
	e.t.Helper()
	tm, err := e.srv.Client.GetTeam(context.Background(), e.srv.Org, team)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range tm.Members {
		out = append(out, m.GitHubLogin)
	}
	slices.Sort(out)
	return out
}

// auditCount is the number of audit events so far (the first page is enough here).
func (e *env) auditCount() int {
	e.t.Helper()
	r, err := e.srv.Client.ListAuditLogs(context.Background(), e.srv.Org, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return len(r.AuditLogEvents)
}

func TestTeamLifecycle(t *testing.T) {
	e := setup(t)
	e.addMembers("alice", "bob", "carol")
	program := obj(map[string]any{"name": "platform", "displayName": "Platform", "members": []string{"bob", "alice", "bob"}})
	id, in, state := e.create(iampulumi.TeamType, program)
	if id != e.srv.Org+"/platform" || !slices.Equal(strs(state.Get("members")), []string{"alice", "bob"}) {
		t.Fatalf("create: %q %v", id, state)
	}
	if got := e.serverMembers("platform"); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("server members %v", got)
	}

	// Same program, reordered: no diff; a refresh keeps the inputs.
	if d := e.diff(iampulumi.TeamType, id, in, state, obj(map[string]any{"name": "platform", "displayName": "Platform", "members": []string{"alice", "bob"}})); d.HasChanges {
		t.Fatalf("no-op diff %+v", d)
	}
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.ID != id || !r.Inputs.Equals(in) {
		t.Fatalf("read without drift: %v\n%v\n%v", err, r.Inputs, in)
	}

	// Drift: carol added and bob removed outside Pulumi show as a members diff.
	for _, ch := range []struct{ login, action string }{{"carol", apitype.MemberActionAdd}, {"bob", apitype.MemberActionRemove}} {
		if err := e.srv.Client.UpdateTeam(context.Background(), e.srv.Org, "platform", apitype.UpdateTeamRequest{Member: &ch.login, MemberAction: &ch.action}); err != nil {
			t.Fatal(err)
		}
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || !slices.Equal(strs(r.Properties.Get("members")), []string{"alice", "carol"}) {
		t.Fatalf("read after drift: %v %v", err, r.Properties)
	}
	d := e.diff(iampulumi.TeamType, id, r.Inputs, r.Properties, program)
	if !d.HasChanges || len(d.DetailedDiff) != 1 || d.DetailedDiff["members"].Kind != p.Update {
		t.Fatalf("diff after drift %+v", d)
	}
	// The update restores the members and changes the description, in place.
	c := e.check(iampulumi.TeamType, r.Inputs, obj(map[string]any{"name": "platform", "displayName": "Platform", "description": "Runs the platform.", "members": []string{"alice", "bob"}}))
	u, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.serverMembers("platform"); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("server members after update %v", got)
	}
	if tm, _ := e.srv.Client.GetTeam(context.Background(), e.srv.Org, "platform"); tm.Description != "Runs the platform." || tm.DisplayName != "Platform" {
		t.Fatalf("server team %+v", tm)
	}
	// An update with nothing to change on the server writes nothing.
	before := e.auditCount()
	if _, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, State: u.Properties, OldInputs: c.Inputs, Inputs: c.Inputs}); err != nil {
		t.Fatal(err)
	}
	if after := e.auditCount(); after != before {
		t.Fatalf("a no-op update wrote %d audit events", after-before)
	}

	// A new name replaces the team.
	d = e.diff(iampulumi.TeamType, id, c.Inputs, u.Properties, obj(map[string]any{"name": "infra", "members": []string{"alice", "bob"}}))
	if d.DetailedDiff["name"].Kind != p.UpdateReplace || d.DetailedDiff["displayName"].Kind != p.Update {
		t.Fatalf("rename diff %+v", d)
	}

	// Import by ID.
	imp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id})
	if err != nil || imp.ID != id || imp.Inputs.Get("name").AsString() != "platform" || !slices.Equal(strs(imp.Inputs.Get("members")), []string{"alice", "bob"}) ||
		!imp.Inputs.Get("organization").IsNull() {
		t.Fatalf("import: %v %v", err, imp.Inputs)
	}

	// Delete; then Read reports it gone, and a second delete is fine.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, Properties: u.Properties}); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, Properties: u.Properties, Inputs: c.Inputs})
	if err != nil || r.ID != "" {
		t.Fatalf("read after delete: %v %q", err, r.ID)
	}
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamType, "r"), ID: id, Properties: u.Properties}); err != nil {
		t.Fatal(err)
	}
}

// A member that cannot be added fails the create, but the team is recorded (partial state),
// so it is not leaked.
func TestTeamCreateUnknownMember(t *testing.T) {
	e := setup(t)
	e.addMembers("alice")
	c := e.check(iampulumi.TeamType, property.Map{}, obj(map[string]any{"name": "platform", "members": []string{"alice", "nobody"}}))
	resp, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.TeamType, "r"), Properties: c.Inputs})
	if err == nil || resp.PartialState == nil || !strings.Contains(strings.Join(resp.PartialState.Reasons, " "), `"nobody"`) {
		t.Fatalf("create: %v %+v", err, resp.PartialState)
	}
	if resp.ID != e.srv.Org+"/platform" || !slices.Equal(strs(resp.Properties.Get("members")), []string{"alice"}) {
		t.Fatalf("partial create: %+v", resp)
	}
}

func TestTeamCheck(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.TeamType, property.Map{}, obj(map[string]any{"name": "my team", "members": []string{""}}))
	if len(c.Failures) != 2 || !strings.HasPrefix(c.Failures[0].Reason, "name: ") || c.Failures[1].Reason != "members[0]: empty login" {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.TeamType, property.Map{}, obj(map[string]any{"name": unknown, "members": []any{unknown}}))
	if len(c.Failures) != 0 {
		t.Fatalf("failures with unknowns %+v", c.Failures)
	}
}

func TestTeamRoleAssignment(t *testing.T) {
	e := setup(t)
	// Without a display name the server uses the name; a refresh shows no change.
	tid, tin, tstate := e.create(iampulumi.TeamType, obj(map[string]any{"name": "platform"}))
	if r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamType, "t"), ID: tid, Properties: tstate, Inputs: tin}); err != nil || !r.Inputs.Equals(tin) {
		t.Fatalf("team refresh: %v %v %v", err, r.Inputs, tin)
	}
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	roleID := role.Get("roleId").AsString()

	program := obj(map[string]any{"team": "platform", "roleId": roleID})
	id, in, state := e.create(iampulumi.TeamRoleAssignmentType, program)
	if id != e.srv.Org+"/platform/"+roleID {
		t.Fatalf("ID %q", id)
	}
	roles, err := e.srv.Client.ListTeamRoles(context.Background(), e.srv.Org, "platform")
	if err != nil || len(roles) != 1 || roles[0].ID != roleID {
		t.Fatalf("team roles %v %+v", err, roles)
	}
	// A second assignment of the same role is refused.
	c := e.check(iampulumi.TeamRoleAssignmentType, property.Map{}, program)
	if _, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r2"), Properties: c.Inputs}); err == nil || !strings.Contains(err.Error(), "import") {
		t.Fatalf("duplicate assignment: %v", err)
	}
	// Every change replaces it; none is no diff.
	if d := e.diff(iampulumi.TeamRoleAssignmentType, id, in, state, program); d.HasChanges {
		t.Fatalf("no-op diff %+v", d)
	}
	d := e.diff(iampulumi.TeamRoleAssignmentType, id, in, state, obj(map[string]any{"team": "other", "roleId": roleID}))
	if d.DetailedDiff["team"].Kind != p.UpdateReplace {
		t.Fatalf("diff %+v", d)
	}
	// Import, refresh.
	imp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r"), ID: id})
	if err != nil || imp.ID != id || !imp.Inputs.Equals(in) {
		t.Fatalf("import: %v %v %v", err, imp.Inputs, in)
	}
	// Removed outside Pulumi: gone.
	if err := e.srv.Client.RemoveTeamRole(context.Background(), e.srv.Org, "platform", roleID); err != nil {
		t.Fatal(err)
	}
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.ID != "" {
		t.Fatalf("read after removal: %v %q", err, r.ID)
	}
	// Delete of an assignment already gone is fine; so is one whose team is gone.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r"), ID: id, Properties: state}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Client.DeleteTeam(context.Background(), e.srv.Org, "platform"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r"), ID: id, Properties: state}); err != nil {
		t.Fatal(err)
	}
	// A bad import ID says what it wants.
	if _, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamRoleAssignmentType, "r"), ID: "a/b/c/d"}); err == nil || !strings.Contains(err.Error(), "{team}/{roleId}") {
		t.Fatalf("bad ID: %v", err)
	}
}
