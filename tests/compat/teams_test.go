package compat_test

import (
	"context"
	"testing"
	"time"

	papi "github.com/pulumi/pulumi-cloud-sdk/go/apitype"

	"github.com/iamref/iam/internal/testserver"
)

// TestOfficialClientMembersAndTeams: the official client's member and team calls decode.
func TestOfficialClientMembersAndTeams(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	org := srv.Org
	admin := official(t, srv.URL, srv.AdminToken, "application/vnd.pulumi+9")

	m, err := admin.AddOrganizationMember(ctx, org, "alice", papi.AddOrganizationMemberRequest{Role: papi.OrganizationRoleMember})
	if err != nil || m.User.GitHubLogin != "alice" || m.Role != papi.OrganizationRoleMember || m.FGARole.Name != "Member" || m.Created.IsZero() {
		t.Fatalf("AddOrganizationMember: %+v, %v", m, err)
	}
	role, err := admin.CreateRole(ctx, org, nil, papi.PermissionDescriptorBase{
		Name: "ci-prod", UxPurpose: papi.PermissionDescriptorUXPurposeRole,
		Details: papi.PermissionDescriptorAllowBuilder{Permissions: papi.RbacPermissionSlice{papi.RbacPermissionStackRead}}.Build(),
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if err := admin.UpdateOrganizationMember(ctx, org, "alice", papi.UpdateOrganizationMemberRequest{FGARoleID: &role.ID}); err != nil {
		t.Fatalf("UpdateOrganizationMember: %v", err)
	}
	members, err := admin.ListOrganizationMembers(ctx, org, nil, nil, nil)
	if err != nil || len(members.Members) != 1 || members.Members[0].FGARole.ID != role.ID || members.Members[0].FGARole.ModifiedAt.IsZero() {
		t.Fatalf("ListOrganizationMembers: %+v, %v", members, err)
	}
	users, err := admin.ListUsersWithRole(ctx, org, role.ID)
	if err != nil || len(users.Users) != 1 || users.Users[0].GitHubLogin != "alice" {
		t.Errorf("ListUsersWithRole: %+v, %v", users, err)
	}

	team, err := admin.CreatePulumiTeam(ctx, org, papi.CreatePulumiTeamRequest{Name: "platform", DisplayName: "Platform", Description: "d"})
	if err != nil || team.Name != "platform" || team.Kind != papi.TeamKindPulumi {
		t.Fatalf("CreatePulumiTeam: %+v, %v", team, err)
	}
	add, login := papi.MemberActionAdd, "alice"
	if err := admin.UpdateTeam(ctx, org, "platform", papi.UpdateTeamRequest{Member: &login, MemberAction: &add}); err != nil {
		t.Fatalf("UpdateTeam: %v", err)
	}
	if err := admin.UpdateTeamRoles(ctx, org, "platform", role.ID); err != nil {
		t.Fatalf("UpdateTeamRoles: %v", err)
	}
	got, err := admin.GetTeam(ctx, org, "platform")
	if err != nil || len(got.Members) != 1 || got.Members[0].GitHubLogin != "alice" || got.Members[0].TeamRole != papi.TeamRoleMember ||
		len(got.RoleIDs) != 1 || got.RoleIDs[0] != role.ID {
		t.Errorf("GetTeam: %+v, %v", got, err)
	}
	teams, err := admin.ListTeams(ctx, org)
	if err != nil || len(teams.Teams) != 1 {
		t.Errorf("ListTeams: %+v, %v", teams, err)
	}
	withRole, err := admin.ListTeamsWithRole(ctx, org, role.ID)
	if err != nil || len(withRole.Teams) != 1 {
		t.Errorf("ListTeamsWithRole: %+v, %v", withRole, err)
	}
	roles, err := admin.ListTeamRoles(ctx, org, "platform")
	if err != nil || len(roles.Roles) != 1 || roles.Roles[0].ID != role.ID {
		t.Errorf("ListTeamRoles: %+v, %v", roles, err)
	}
	tok, err := admin.CreateTeamToken(ctx, org, "platform", nil, papi.CreateTeamAccessTokenRequest{Name: "platform-ci"})
	if err != nil || !tokenValue.MatchString(tok.TokenValue) {
		t.Errorf("CreateTeamToken: %+v, %v", tok, err)
	}
	if err := admin.DeleteTeamRole(ctx, org, "platform", role.ID); err != nil {
		t.Errorf("DeleteTeamRole: %v", err)
	}
	if err := admin.DeleteTeam(ctx, org, "platform"); err != nil {
		t.Errorf("DeleteTeam: %v", err)
	}
	if err := admin.DeleteOrganizationMember(ctx, org, "alice"); err != nil {
		t.Errorf("DeleteOrganizationMember: %v", err)
	}
}
