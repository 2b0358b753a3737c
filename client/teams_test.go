package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// TestMembersAndTeams drives every member, team and personal-token method against the real
// server.
func TestMembersAndTeams(t *testing.T) {
	s := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, org := s.Client, s.Org
	role, err := c.CreateRole(ctx, org, apitype.CreateRoleRequest{Name: "reader",
		Details: []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`)})
	if err != nil {
		t.Fatal(err)
	}

	m, err := c.AddMember(ctx, org, "alice", apitype.AddMemberRequest{Role: apitype.OrgRoleMember, Name: "Alice"})
	if err != nil || m.User.GitHubLogin != "alice" || m.User.Name != "Alice" || m.Role != "member" {
		t.Fatalf("AddMember: %+v, %v", m, err)
	}
	if err := c.UpdateMember(ctx, org, "alice", apitype.UpdateMemberRequest{FGARoleID: &role.ID}); err != nil {
		t.Fatal(err)
	}
	ms, err := c.ListMembers(ctx, org)
	if err != nil || len(ms) != 1 || ms[0].FGARole.ID != role.ID || ms[0].FGARole.Name != "reader" {
		t.Fatalf("ListMembers: %+v, %v", ms, err)
	}
	users, err := c.ListRoleUsers(ctx, org, role.ID)
	if err != nil || len(users) != 1 || users[0].GitHubLogin != "alice" {
		t.Errorf("ListRoleUsers: %+v, %v", users, err)
	}

	team, err := c.CreateTeam(ctx, org, apitype.CreateTeamRequest{Name: "platform", Description: "d"})
	if err != nil || team.Name != "platform" || team.Kind != apitype.TeamKindPulumi {
		t.Fatalf("CreateTeam: %+v, %v", team, err)
	}
	add, alice := apitype.MemberActionAdd, "alice"
	if err := c.UpdateTeam(ctx, org, "platform", apitype.UpdateTeamRequest{Member: &alice, MemberAction: &add}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddTeamRole(ctx, org, "platform", role.ID); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetTeam(ctx, org, "platform")
	if err != nil || len(got.Members) != 1 || got.Members[0].GitHubLogin != "alice" || len(got.RoleIDs) != 1 {
		t.Errorf("GetTeam: %+v, %v", got, err)
	}
	if ts, err := c.ListTeams(ctx, org); err != nil || len(ts) != 1 {
		t.Errorf("ListTeams: %+v, %v", ts, err)
	}
	if ts, err := c.ListRoleTeams(ctx, org, role.ID); err != nil || len(ts) != 1 {
		t.Errorf("ListRoleTeams: %+v, %v", ts, err)
	}
	if rs, err := c.ListTeamRoles(ctx, org, "platform"); err != nil || len(rs) != 1 || rs[0].ID != role.ID {
		t.Errorf("ListTeamRoles: %+v, %v", rs, err)
	}
	tt, err := c.CreateTeamToken(ctx, org, "platform", apitype.CreateTeamTokenRequest{Name: "platform-ci"})
	if err != nil {
		t.Fatal(err)
	}
	if toks, err := c.ListTeamTokens(ctx, org, "platform"); err != nil || len(toks) != 1 || toks[0].Type != apitype.TokenTypeTeam {
		t.Errorf("ListTeamTokens: %+v, %v", toks, err)
	}
	if err := c.DeleteTeamToken(ctx, org, "platform", tt.ID); err != nil {
		t.Error(err)
	}
	if err := c.RemoveTeamRole(ctx, org, "platform", role.ID); err != nil {
		t.Error(err)
	}

	first, err := c.CreateMemberToken(ctx, org, "alice", apitype.CreatePersonalTokenRequest{Description: "first"})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := client.New(client.Config{BaseURL: s.URL, Token: first.TokenValue})
	if err != nil {
		t.Fatal(err)
	}
	me, err := ac.GetCurrentUser(ctx)
	if err != nil || me.GitHubLogin != "alice" || me.TokenInfo != nil {
		t.Errorf("GetCurrentUser as alice: %+v, %v", me, err)
	}
	more, err := ac.CreatePersonalToken(ctx, apitype.CreatePersonalTokenRequest{Description: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if toks, err := ac.ListPersonalTokens(ctx); err != nil || len(toks) != 2 {
		t.Errorf("ListPersonalTokens: %+v, %v", toks, err)
	}
	if err := ac.DeletePersonalToken(ctx, more.ID); err != nil {
		t.Error(err)
	}
	if err := c.DeleteTeam(ctx, org, "platform"); err != nil {
		t.Error(err)
	}
	if err := c.RemoveMember(ctx, org, "alice"); err != nil {
		t.Error(err)
	}
	if _, err := ac.GetCurrentUser(ctx); !client.IsUnauthorized(err) {
		t.Errorf("a removed member's token: %v, want a 401", err)
	}
}
