package storetest

import (
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

func user(id, login string) store.User {
	return store.User{ID: id, Login: login, Name: "User " + login, Email: login + "@example.com", Created: t0}
}

func teamOf(org, id, name string) store.Team {
	return store.Team{ID: id, Org: org, Name: name, DisplayName: "Team " + name, Description: "the " + name + " team", Created: t0, Modified: t0}
}

func addMember(t *testing.T, s store.Store, org string, u store.User, role string) store.Member {
	t.Helper()
	m, err := s.AddMember(t.Context(), org, u, role, t0)
	must(t, "AddMember "+u.Login, err)
	return m
}

// checkMember compares members, the user's times to the millisecond like check does.
func checkMember(t *testing.T, what string, got, want store.Member) {
	t.Helper()
	check(t, what+" (user)", got.User, want.User)
	got.User = want.User
	check(t, what, got, want)
}

func logins(ms []store.Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.User.Login)
	}
	return out
}

func testMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	alice := user("u1", "alice")
	m := addMember(t, s, orgA, alice, "admin-role")
	checkMember(t, "AddMember", m, store.Member{Org: orgA, User: alice, RoleID: "admin-role", Created: t0})
	got, err := s.GetMember(ctx, orgA, "alice")
	must(t, "GetMember", err)
	checkMember(t, "GetMember", got, m)
	got, err = s.GetMemberByID(ctx, orgA, "u1")
	must(t, "GetMemberByID", err)
	checkMember(t, "GetMemberByID", got, m)
	u, err := s.GetUser(ctx, "alice")
	must(t, "GetUser", err)
	check(t, "GetUser", u, alice)
	u, err = s.GetUserByID(ctx, "u1")
	must(t, "GetUserByID", err)
	check(t, "GetUserByID", u, alice)

	_, err = s.AddMember(ctx, orgA, alice, "member-role", t0)
	wantErr(t, "AddMember twice", err, store.ErrConflict)
	// Another org: the user exists already and is kept as stored (its ID and name win).
	other := store.User{ID: "u-other", Login: "alice", Name: "Someone Else", Created: t0}
	m, err = s.AddMember(ctx, orgB, other, "member-role", t0)
	must(t, "AddMember other org", err)
	check(t, "AddMember existing user", m.User, alice)
	_, err = s.GetMember(ctx, orgB, "bob")
	wantErr(t, "GetMember missing", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, "bob")
	wantErr(t, "GetUser missing", err, store.ErrNotFound)

	for i, login := range []string{"carol", "bob", "dave"} {
		addMember(t, s, orgA, user("u"+string(rune('2'+i)), login), "member-role")
	}
	all, err := s.ListMembers(ctx, orgA, "", 0)
	must(t, "ListMembers", err)
	check(t, "ListMembers", logins(all), []string{"alice", "bob", "carol", "dave"})
	page, err := s.ListMembers(ctx, orgA, "", 2)
	must(t, "ListMembers page 1", err)
	check(t, "ListMembers page 1", logins(page), []string{"alice", "bob"})
	page, err = s.ListMembers(ctx, orgA, "bob", 2)
	must(t, "ListMembers page 2", err)
	check(t, "ListMembers page 2", logins(page), []string{"carol", "dave"})
	byRole, err := s.ListMembersByRole(ctx, orgA, "member-role")
	must(t, "ListMembersByRole", err)
	check(t, "ListMembersByRole", logins(byRole), []string{"bob", "carol", "dave"})
	byRole, err = s.ListMembersByRole(ctx, orgB, "member-role")
	must(t, "ListMembersByRole other org", err)
	check(t, "ListMembersByRole other org", logins(byRole), []string{"alice"})
}

// testLastHolder: the protected role (admin) can neither be taken from nor removed with its
// last member; removing a member also removes them from the org's teams and revokes their
// personal tokens there.
func testLastHolder(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	addMember(t, s, orgA, user("u1", "alice"), "admin")
	addMember(t, s, orgA, user("u2", "bob"), "member")
	addMember(t, s, orgB, user("u2", "bob"), "admin")

	wantErr(t, "demote the last admin", s.SetMemberRole(ctx, orgA, "u1", "member", "admin"), store.ErrLastHolder)
	wantErr(t, "remove the last admin", s.RemoveMember(ctx, orgA, "u1", "admin", t0), store.ErrLastHolder)
	wantErr(t, "admin to admin", s.SetMemberRole(ctx, orgA, "u1", "admin", "admin"), nil)
	wantErr(t, "unprotected demotion", s.SetMemberRole(ctx, orgA, "u2", "other", "admin"), nil)
	wantErr(t, "missing member", s.SetMemberRole(ctx, orgA, "u9", "member", "admin"), store.ErrNotFound)
	wantErr(t, "promote bob", s.SetMemberRole(ctx, orgA, "u2", "admin", "admin"), nil)
	wantErr(t, "demote alice", s.SetMemberRole(ctx, orgA, "u1", "member", "admin"), nil)
	wantErr(t, "demote bob, now last", s.SetMemberRole(ctx, orgA, "u2", "member", "admin"), store.ErrLastHolder)

	must(t, "CreateTeam", s.CreateTeam(ctx, teamOf(orgA, "t1", "platform")))
	must(t, "AddTeamMember", s.AddTeamMember(ctx, orgA, "t1", "u1"))
	pt := tok(orgA, "p1", "")
	pt.Kind, pt.UserID, pt.RoleID = store.TokenPersonal, "u1", ""
	must(t, "CreateToken personal", s.CreateToken(ctx, pt))
	ptB := tok(orgB, "p2", "")
	ptB.Kind, ptB.UserID, ptB.RoleID = store.TokenPersonal, "u1", ""
	must(t, "CreateToken personal other org", s.CreateToken(ctx, ptB))

	must(t, "RemoveMember", s.RemoveMember(ctx, orgA, "u1", "admin", t0))
	_, err := s.GetMember(ctx, orgA, "alice")
	wantErr(t, "GetMember removed", err, store.ErrNotFound)
	us, err := s.ListTeamMembers(ctx, orgA, "t1")
	must(t, "ListTeamMembers", err)
	check(t, "team members after removal", len(us), 0)
	got, err := s.GetToken(ctx, orgA, "p1")
	must(t, "GetToken", err)
	if !got.Deleted || !sameTime(got.DeletedAt, t0) {
		t.Errorf("personal token after RemoveMember: deleted %v at %v", got.Deleted, got.DeletedAt)
	}
	got, err = s.GetToken(ctx, orgB, "p2")
	must(t, "GetToken other org", err)
	if got.Deleted {
		t.Error("RemoveMember revoked a personal token of another org")
	}
	wantErr(t, "RemoveMember again", s.RemoveMember(ctx, orgA, "u1", "admin", t0), store.ErrNotFound)
	// The user stays in the directory.
	_, err = s.GetUser(ctx, "alice")
	must(t, "GetUser after removal", err)
}

func testTeams(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	platform, web := teamOf(orgA, "t1", "platform"), teamOf(orgA, "t2", "web")
	for _, tm := range []store.Team{web, platform} {
		must(t, "CreateTeam "+tm.Name, s.CreateTeam(ctx, tm))
	}
	wantErr(t, "CreateTeam same name", s.CreateTeam(ctx, teamOf(orgA, "t3", "web")), store.ErrConflict)
	wantErr(t, "CreateTeam same ID", s.CreateTeam(ctx, teamOf(orgA, "t1", "other")), store.ErrConflict)
	wantErr(t, "CreateTeam same name other org", s.CreateTeam(ctx, teamOf(orgB, "t4", "web")), nil)

	got, err := s.GetTeam(ctx, orgA, "platform")
	must(t, "GetTeam", err)
	check(t, "GetTeam", got, platform)
	got, err = s.GetTeamByID(ctx, orgA, "t1")
	must(t, "GetTeamByID", err)
	check(t, "GetTeamByID", got, platform)
	_, err = s.GetTeamByID(ctx, orgB, "t1")
	wantErr(t, "GetTeamByID other org", err, store.ErrNotFound)
	teams, err := s.ListTeams(ctx, orgA, "", 0)
	checkIDs(t, "ListTeams", teams, err, "t1", "t2")
	teams, err = s.ListTeams(ctx, orgA, "", 1)
	checkIDs(t, "ListTeams first page", teams, err, "t1")
	teams, err = s.ListTeams(ctx, orgA, teams[0].Name, 1)
	checkIDs(t, "ListTeams after the first page", teams, err, "t2")
	teams, err = s.ListTeams(ctx, orgA, "web", 10)
	checkIDs(t, "ListTeams after the last", teams, err)

	platform.DisplayName, platform.Description, platform.Modified = "Platform", "changed", t0.Add(1e9)
	must(t, "UpdateTeam", s.UpdateTeam(ctx, platform))
	got, err = s.GetTeam(ctx, orgA, "platform")
	must(t, "GetTeam after update", err)
	check(t, "GetTeam after update", got, platform)
	wantErr(t, "UpdateTeam missing", s.UpdateTeam(ctx, teamOf(orgA, "t9", "nope")), store.ErrNotFound)

	// Members.
	addMember(t, s, orgA, user("u1", "alice"), "r")
	addMember(t, s, orgA, user("u2", "bob"), "r")
	addMember(t, s, orgB, user("u3", "carol"), "r")
	must(t, "AddTeamMember bob", s.AddTeamMember(ctx, orgA, "t1", "u2"))
	must(t, "AddTeamMember alice", s.AddTeamMember(ctx, orgA, "t1", "u1"))
	must(t, "AddTeamMember alice web", s.AddTeamMember(ctx, orgA, "t2", "u1"))
	wantErr(t, "AddTeamMember twice", s.AddTeamMember(ctx, orgA, "t1", "u1"), store.ErrConflict)
	wantErr(t, "AddTeamMember not an org member", s.AddTeamMember(ctx, orgA, "t1", "u3"), store.ErrNotFound)
	wantErr(t, "AddTeamMember missing team", s.AddTeamMember(ctx, orgA, "t9", "u1"), store.ErrNotFound)
	wantErr(t, "AddTeamMember team of another org", s.AddTeamMember(ctx, orgB, "t1", "u3"), store.ErrNotFound)
	us, err := s.ListTeamMembers(ctx, orgA, "t1")
	checkIDs(t, "ListTeamMembers", us, err, "u1", "u2")
	ts, err := s.ListUserTeams(ctx, orgA, "u1")
	checkIDs(t, "ListUserTeams", ts, err, "t1", "t2")
	must(t, "RemoveTeamMember", s.RemoveTeamMember(ctx, orgA, "t1", "u2"))
	wantErr(t, "RemoveTeamMember again", s.RemoveTeamMember(ctx, orgA, "t1", "u2"), store.ErrNotFound)
	us, err = s.ListTeamMembers(ctx, orgA, "t1")
	checkIDs(t, "ListTeamMembers after remove", us, err, "u1")

	// Roles: several per team.
	must(t, "AddTeamRole r2", s.AddTeamRole(ctx, orgA, "t1", "r2"))
	must(t, "AddTeamRole r1", s.AddTeamRole(ctx, orgA, "t1", "r1"))
	must(t, "AddTeamRole web r1", s.AddTeamRole(ctx, orgA, "t2", "r1"))
	wantErr(t, "AddTeamRole twice", s.AddTeamRole(ctx, orgA, "t1", "r1"), store.ErrConflict)
	wantErr(t, "AddTeamRole missing team", s.AddTeamRole(ctx, orgA, "t9", "r1"), store.ErrNotFound)
	wantErr(t, "AddTeamRole team of another org", s.AddTeamRole(ctx, orgB, "t1", "r1"), store.ErrNotFound)
	roles, err := s.ListTeamRoles(ctx, orgA, "t1")
	must(t, "ListTeamRoles", err)
	check(t, "ListTeamRoles", roles, []string{"r1", "r2"})
	ts, err = s.ListTeamsByRole(ctx, orgA, "r1")
	checkIDs(t, "ListTeamsByRole", ts, err, "t1", "t2")
	must(t, "RemoveTeamRole", s.RemoveTeamRole(ctx, orgA, "t1", "r2"))
	wantErr(t, "RemoveTeamRole again", s.RemoveTeamRole(ctx, orgA, "t1", "r2"), store.ErrNotFound)
	roles, err = s.ListTeamRoles(ctx, orgA, "t1")
	must(t, "ListTeamRoles after remove", err)
	check(t, "ListTeamRoles after remove", roles, []string{"r1"})

	// Per-entity grants: one per team and entity (set replaces), gone with the entity.
	must(t, "CreateEntity g1", s.CreateEntity(ctx, ent(orgA, "g1", authz.KindStack, "app", "prod")))
	must(t, "CreateEntity g2", s.CreateEntity(ctx, ent(orgA, "g2", authz.KindEnvironment, "app", "cfg")))
	must(t, "SetTeamGrant stack", s.SetTeamGrant(ctx, orgA, store.TeamGrant{TeamID: "t1", EntityID: "g1", Permission: "101"}))
	must(t, "SetTeamGrant stack again", s.SetTeamGrant(ctx, orgA, store.TeamGrant{TeamID: "t1", EntityID: "g1", Permission: "103"}))
	must(t, "SetTeamGrant env", s.SetTeamGrant(ctx, orgA, store.TeamGrant{TeamID: "t1", EntityID: "g2", Permission: "open", MaxOpenDuration: 60}))
	wantErr(t, "SetTeamGrant missing entity", s.SetTeamGrant(ctx, orgA, store.TeamGrant{TeamID: "t1", EntityID: "g9", Permission: "101"}), store.ErrNotFound)
	wantErr(t, "SetTeamGrant team of another org", s.SetTeamGrant(ctx, orgB, store.TeamGrant{TeamID: "t1", EntityID: "g1", Permission: "101"}), store.ErrNotFound)
	gs, err := s.ListTeamGrants(ctx, orgA, "t1")
	must(t, "ListTeamGrants", err)
	if len(gs) != 2 || gs[1] != (store.TeamGrant{TeamID: "t1", EntityID: "g1", Kind: authz.KindStack, Project: "app", Name: "prod", Permission: "103"}) ||
		gs[0] != (store.TeamGrant{TeamID: "t1", EntityID: "g2", Kind: authz.KindEnvironment, Project: "app", Name: "cfg", Permission: "open", MaxOpenDuration: 60}) {
		t.Errorf("ListTeamGrants: %+v", gs)
	}
	wantErr(t, "RemoveTeamGrant team of another org", s.RemoveTeamGrant(ctx, orgB, "t1", "g2"), store.ErrNotFound)
	must(t, "RemoveTeamGrant", s.RemoveTeamGrant(ctx, orgA, "t1", "g2"))
	wantErr(t, "RemoveTeamGrant again", s.RemoveTeamGrant(ctx, orgA, "t1", "g2"), store.ErrNotFound)
	must(t, "DeleteEntity g1", s.DeleteEntity(ctx, orgA, "g1"))
	gs, err = s.ListTeamGrants(ctx, orgA, "t1")
	must(t, "ListTeamGrants after DeleteEntity", err)
	if len(gs) != 0 {
		t.Errorf("ListTeamGrants after the entity's deletion: %+v", gs)
	}

	// Team tokens share the org token namespace; delete revokes them and reserves the name.
	orgTok := tok(orgA, "k1", "ci")
	teamTok := tok(orgA, "k2", "platform-ci")
	teamTok.Kind, teamTok.TeamID, teamTok.RoleID = store.TokenTeam, "t1", ""
	must(t, "CreateToken org", s.CreateToken(ctx, orgTok))
	must(t, "CreateToken team", s.CreateToken(ctx, teamTok))
	clash := tok(orgA, "k3", "ci")
	clash.Kind, clash.TeamID, clash.RoleID = store.TokenTeam, "t2", ""
	wantErr(t, "team token named like an org token", s.CreateToken(ctx, clash), store.ErrConflict)
	wantErr(t, "org token named like a team token", s.CreateToken(ctx, tok(orgA, "k4", "platform-ci")), store.ErrConflict)
	for i, id := range []string{"p1", "p2"} { // personal tokens have no name
		pt := tok(orgA, id, "")
		pt.Kind, pt.UserID, pt.RoleID, pt.Created = store.TokenPersonal, "u1", "", t0.Add(1e9*time.Duration(i))
		must(t, "CreateToken personal "+id, s.CreateToken(ctx, pt))
	}
	got2, err := s.GetToken(ctx, orgA, "k2")
	must(t, "GetToken team", err)
	check(t, "GetToken team", got2, teamTok)
	toks, err := s.ListTokens(ctx, orgA, store.TokensAll, t0)
	checkIDs(t, "ListTokens: organization tokens only", toks, err, "k1")
	toks, err = s.ListTokensPage(ctx, store.TokenQuery{Org: orgA, Kind: store.TokenTeam, TeamID: "t1", Filter: store.TokensAll, Limit: 100})
	checkIDs(t, "ListTokensPage of a team", toks, err, "k2")
	toks, err = s.ListUserTokens(ctx, orgA, "u1")
	checkIDs(t, "ListUserTokens", toks, err, "p1", "p2")
	toks, err = s.ListUserTokens(ctx, orgB, "u1")
	checkIDs(t, "ListUserTokens other org", toks, err)

	must(t, "DeleteTeam", s.DeleteTeam(ctx, orgA, "t1", t0))
	wantErr(t, "DeleteTeam again", s.DeleteTeam(ctx, orgA, "t1", t0), store.ErrNotFound)
	_, err = s.GetTeam(ctx, orgA, "platform")
	wantErr(t, "GetTeam deleted", err, store.ErrNotFound)
	roles, err = s.ListTeamRoles(ctx, orgA, "t1")
	must(t, "ListTeamRoles deleted team", err)
	check(t, "ListTeamRoles deleted team", len(roles), 0)
	ts, err = s.ListUserTeams(ctx, orgA, "u1")
	checkIDs(t, "ListUserTeams after team delete", ts, err, "t2")
	got2, err = s.GetToken(ctx, orgA, "k2")
	must(t, "GetToken team after delete", err)
	if !got2.Deleted {
		t.Error("DeleteTeam left its token live")
	}
	toks, err = s.ListTokensPage(ctx, store.TokenQuery{Org: orgA, Kind: store.TokenTeam, TeamID: "t1", Filter: store.TokensAll, Limit: 100})
	checkIDs(t, "ListTokensPage of a team after delete", toks, err)
	wantErr(t, "a deleted team token's name stays reserved", s.CreateToken(ctx, tok(orgA, "k5", "platform-ci")), store.ErrConflict)
	// A new team of the same name starts empty.
	must(t, "CreateTeam again", s.CreateTeam(ctx, teamOf(orgA, "t5", "platform")))
	us, err = s.ListTeamMembers(ctx, orgA, "t5")
	checkIDs(t, "ListTeamMembers new team", us, err)
}
