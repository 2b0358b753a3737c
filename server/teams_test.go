package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
)

// member adds a member with a built-in role as admin and, when roleID is set, gives them that
// role instead.
func (h *harness) member(login, builtin, roleID string) apitype.OrganizationMember {
	h.t.Helper()
	var out apitype.OrganizationMember
	h.must(200, "POST", "/api/orgs/acme/members/"+login, h.admin(), apitype.AddMemberRequest{Role: builtin, Email: login + "@example.com"}).decode(h.t, &out)
	if roleID != "" {
		h.must(204, "PATCH", "/api/orgs/acme/members/"+login, h.admin(), apitype.UpdateMemberRequest{FGARoleID: &roleID})
	}
	return out
}

// personal mints a member's first personal token as admin and returns its value.
func (h *harness) personal(login string) string {
	h.t.Helper()
	var out apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/members/"+login+"/tokens", h.admin(), apitype.CreatePersonalTokenRequest{Description: "first"}).decode(h.t, &out)
	return out.TokenValue
}

func (h *harness) team(name string, roleIDs ...string) {
	h.t.Helper()
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), apitype.CreateTeamRequest{Name: name, DisplayName: strings.ToUpper(name)})
	for _, id := range roleIDs {
		h.must(204, "POST", "/api/orgs/acme/teams/"+name+"/roles/"+id, h.admin(), nil)
	}
}

func (h *harness) teamMember(team, action, login string) {
	h.t.Helper()
	h.must(204, "PATCH", "/api/orgs/acme/teams/"+team, h.admin(), apitype.UpdateTeamRequest{Member: &login, MemberAction: &action})
}

// TestEffectiveRightsFollowTeams: a personal token acts with the user's org role and the
// roles of every team they are in, a team token with its team's roles; every change applies
// on the next request, and the access check names the path.
func TestEffectiveRightsFollowTeams(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	h.stack("payments", "dev", nil)
	nothing := h.grantRole("nothing", authz.GrantSpec{Scopes: []string{"tags:read"}})
	ciProd := h.grantRole("ci-prod", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	devRead := h.grantRole("dev-read", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.member("alice", "member", nothing.ID)
	alice := h.personal("alice")

	const prodPath, devPath = "/api/stacks/acme/payments/prod", "/api/stacks/acme/payments/dev"
	r := h.must(403, "GET", prodPath, alice, nil)
	if msg := r.errorBody(t).Message; !strings.Contains(msg, `personal token of "alice"`) || !strings.Contains(msg, `role "nothing"`) {
		t.Errorf("403 does not say whose rights were considered: %s", msg)
	}

	h.team("platform", ciProd.ID)
	h.teamMember("platform", "add", "alice")
	h.must(200, "GET", prodPath, alice, nil)
	h.must(403, "GET", devPath, alice, nil)

	// The access check names the path: team → role.
	tokens := h.personalTokens(alice)
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: tokens[0].ID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "payments", Name: "prod"}},
	}}).decode(t, &resp)
	res := resp.Results[0]
	if !res.Allowed || len(res.Grounds) != 1 || strings.Join(res.Grounds[0].ViaNames, " → ") != "team platform → role ci-prod" ||
		!strings.HasPrefix(res.Reasons[0], "via team platform → role ci-prod: ") || res.Grounds[0].Record != ciProd.ID {
		t.Errorf("access check through a team: %+v", res)
	}

	// A second team role, then a team token acting as the team.
	h.must(204, "POST", "/api/orgs/acme/teams/platform/roles/"+devRead.ID, h.admin(), nil)
	h.must(204, "POST", "/api/orgs/acme/teams/platform/roles/"+devRead.ID, h.admin(), nil) // held already: no change
	h.must(200, "GET", devPath, alice, nil)
	var tt apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "platform-ci"}).decode(t, &tt)
	h.must(200, "GET", devPath, tt.TokenValue, nil)
	var roles apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/teams/platform/roles", h.admin(), nil).decode(t, &roles)
	if len(roles.Roles) != 2 {
		t.Errorf("team roles: %+v", roles.Roles)
	}
	h.must(204, "DELETE", "/api/orgs/acme/teams/platform/roles/"+devRead.ID, h.admin(), nil)
	h.must(403, "GET", devPath, tt.TokenValue, nil)
	h.must(403, "GET", devPath, alice, nil)
	h.must(200, "GET", prodPath, tt.TokenValue, nil)

	// The role itself changes: both principals follow.
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+ciProd.ID, h.admin(), apitype.UpdateRoleRequest{Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}})})
	h.must(200, "GET", devPath, alice, nil)
	h.must(200, "GET", devPath, tt.TokenValue, nil)

	// Out of the team: the access goes on the next request; the team token keeps it.
	h.teamMember("platform", "remove", "alice")
	h.must(403, "GET", prodPath, alice, nil)
	h.must(200, "GET", prodPath, tt.TokenValue, nil)

	// The org role grants directly too.
	h.must(204, "PATCH", "/api/orgs/acme/members/alice", h.admin(), apitype.UpdateMemberRequest{FGARoleID: &devRead.ID})
	h.must(200, "GET", prodPath, alice, nil)

	// Who am I.
	var me apitype.User
	h.must(200, "GET", "/api/user", alice, nil).decode(t, &me)
	if me.GitHubLogin != "alice" || me.TokenInfo != nil || len(me.Organizations) != 1 || me.Organizations[0].GitHubLogin != "acme" || me.Organizations[0].Role != "member" {
		t.Errorf("GET /api/user for a personal token: %+v", me)
	}
	h.must(200, "GET", "/api/user", tt.TokenValue, nil).decode(t, &me)
	if me.TokenInfo == nil || me.TokenInfo.Team != "platform" || me.TokenInfo.Name != "platform-ci" || me.GitHubLogin != "acme" {
		t.Errorf("GET /api/user for a team token: %+v", me)
	}

	// Deleting the team revokes its token; removing the member revokes theirs.
	h.must(204, "DELETE", "/api/orgs/acme/teams/platform", h.admin(), nil)
	h.must(401, "GET", "/api/user", tt.TokenValue, nil)
	h.must(204, "DELETE", "/api/orgs/acme/members/alice", h.admin(), nil)
	h.must(401, "GET", "/api/user", alice, nil)
}

func (h *harness) personalTokens(value string) []apitype.AccessToken {
	h.t.Helper()
	var out apitype.ListTokensResponse
	h.must(200, "GET", "/api/user/tokens", value, nil).decode(h.t, &out)
	return out.Tokens
}

// TestMemberRefusals: the last admin can neither be demoted nor removed, nobody removes
// themself, and a member's first token is handed out once.
func TestMemberRefusals(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.member("alice", "admin", "")
	alice := h.personal("alice")
	h.must(409, "POST", "/api/orgs/acme/members/alice/tokens", h.admin(), apitype.CreatePersonalTokenRequest{})
	h.must(409, "POST", "/api/orgs/acme/members/alice", h.admin(), apitype.AddMemberRequest{Role: "member"})
	member := h.builtin("member")
	if r := h.must(409, "PATCH", "/api/orgs/acme/members/alice", h.admin(), apitype.UpdateMemberRequest{FGARoleID: &member}); !strings.Contains(r.errorBody(t).Message, "last member of acme with the admin role") {
		t.Errorf("demoting the last admin: %s", r)
	}
	h.must(409, "DELETE", "/api/orgs/acme/members/alice", h.admin(), nil)
	h.member("bob", "admin", "")
	if r := h.must(400, "DELETE", "/api/orgs/acme/members/alice", alice, nil); !strings.Contains(r.errorBody(t).Message, "yourself") {
		t.Errorf("removing yourself: %s", r)
	}
	h.must(204, "PATCH", "/api/orgs/acme/members/alice", alice, apitype.UpdateMemberRequest{Role: "member"}) // bob is admin now
	h.must(409, "DELETE", "/api/orgs/acme/members/bob", h.admin(), nil)
	h.must(404, "DELETE", "/api/orgs/acme/members/carol", h.admin(), nil)
	h.must(400, "PATCH", "/api/orgs/acme/members/bob", h.admin(), apitype.UpdateMemberRequest{Role: "owner"})
	h.must(400, "POST", "/api/orgs/acme/members/carol", h.admin(), `{"role":"member","nickname":"c"}`) // strict body

	// Paging, and the member shape.
	h.member("carol", "billing-manager", "")
	var page apitype.ListMembersResponse
	h.must(200, "GET", "/api/orgs/acme/members?maxResults=2", h.admin(), nil).decode(t, &page)
	if len(page.Members) != 2 || page.Members[0].User.GitHubLogin != "alice" || page.ContinuationToken == "" {
		t.Fatalf("first page: %+v", page)
	}
	next := page.ContinuationToken
	page = apitype.ListMembersResponse{}
	h.must(200, "GET", "/api/orgs/acme/members?maxResults=2&continuationToken="+next, h.admin(), nil).decode(t, &page)
	if len(page.Members) != 1 || page.Members[0].User.GitHubLogin != "carol" || page.Members[0].Role != "billing-manager" ||
		page.Members[0].FGARole.ID != h.builtin("billing-manager") || page.ContinuationToken != "" {
		t.Errorf("second page: %+v", page)
	}
	var users apitype.ListUsersResponse
	h.must(200, "GET", "/api/orgs/acme/roles/"+h.builtin("admin")+"/users", h.admin(), nil).decode(t, &users)
	if len(users.Users) != 1 || users.Users[0].GitHubLogin != "bob" {
		t.Errorf("users with role admin: %+v", users)
	}
}

// TestConflictErrorTypes: a 409 for a name or ID that exists already carries errorType
// already_exists; every other 409 (last admin, in use, …) carries custom, so that the client
// prints the server's explanation and no "(… already exists)".
func TestConflictErrorTypes(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.member("alice", "admin", "")
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.team("platform", reader.ID)
	errorType := func(r *response) string {
		t.Helper()
		e := r.errorBody(t)
		if len(e.Errors) != 1 {
			t.Fatalf("want one field error: %s", r)
		}
		return e.Errors[0].ErrorType
	}
	for _, r := range []*response{
		h.must(409, "POST", "/api/orgs/acme/members/alice", h.admin(), apitype.AddMemberRequest{Role: "member"}),
		h.must(409, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), apitype.CreateTeamRequest{Name: "platform"}),
	} {
		if got := errorType(r); got != apitype.ErrorTypeAlreadyExists {
			t.Errorf("a clash: errorType %q, want already_exists: %s", got, r)
		}
	}
	member := h.builtin("member")
	for _, r := range []*response{
		h.must(409, "PATCH", "/api/orgs/acme/members/alice", h.admin(), apitype.UpdateMemberRequest{FGARoleID: &member}),
		h.must(409, "DELETE", "/api/orgs/acme/members/alice", h.admin(), nil),
		h.must(409, "DELETE", "/api/orgs/acme/roles/"+reader.ID, h.admin(), nil),
	} {
		if got := errorType(r); got != apitype.ErrorTypeCustom {
			t.Errorf("a refusal: errorType %q, want custom: %s", got, r)
		}
	}

	// The client's text is the server's explanation, with what to do.
	err := h.ts.Client.RemoveMember(ctx(t), org, "alice")
	msg := fmt.Sprint(err)
	if !client.IsConflict(err) || strings.Contains(msg, "already exists") || !strings.Contains(msg, "admin org tokens do not count") ||
		!strings.Contains(msg, "make another member an admin first") {
		t.Errorf("removing the last admin: %v", err)
	}
	err = h.ts.Client.DeleteRole(ctx(t), org, reader.ID, false)
	if msg := fmt.Sprint(err); !client.IsConflict(err) || strings.Contains(msg, "already exists") || !strings.Contains(msg, "?force=true") {
		t.Errorf("deleting a held role: %v", err)
	}
	// Once another member is admin, the first may go.
	h.member("bob", "admin", "")
	h.must(204, "DELETE", "/api/orgs/acme/members/alice", h.admin(), nil)
}

// TestPersonalTokens: a user lists, mints and revokes their own tokens, and no one else's.
func TestPersonalTokens(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.member("alice", "member", "")
	h.member("bob", "member", "")
	alice, bob := h.personal("alice"), h.personal("bob")
	var more apitype.CreateTokenResponse
	h.must(200, "POST", "/api/user/tokens", alice, apitype.CreatePersonalTokenRequest{Description: "laptop"}).decode(t, &more)
	toks := h.personalTokens(alice)
	if len(toks) != 2 || toks[1].ID != more.ID || toks[1].Type != apitype.TokenTypePersonal || toks[1].CreatedBy != "alice" || toks[0].CreatedBy != "admin" {
		t.Errorf("alice's tokens: %+v", toks)
	}
	h.must(404, "DELETE", "/api/user/tokens/"+more.ID, bob, nil)
	h.must(200, "GET", "/api/user", more.TokenValue, nil)
	h.must(204, "DELETE", "/api/user/tokens/"+more.ID, alice, nil)
	h.must(401, "GET", "/api/user", more.TokenValue, nil)
	if got := h.personalTokens(alice); len(got) != 1 {
		t.Errorf("after delete: %+v", got)
	}
	// Personal tokens are not org tokens: neither listed nor deleted there.
	var orgToks apitype.ListTokensResponse
	h.must(200, "GET", "/api/orgs/acme/tokens", h.admin(), nil).decode(t, &orgToks)
	for _, tk := range orgToks.Tokens {
		if tk.Type != apitype.TokenTypeOrganization {
			t.Errorf("org token listing holds a %s token", tk.Type)
		}
	}
	h.must(400, "DELETE", "/api/orgs/acme/tokens/"+toks[0].ID, h.admin(), nil)
	h.must(400, "POST", "/api/user/tokens", h.admin(), apitype.CreatePersonalTokenRequest{})
}

// TestTokenNamespaceShared: org and team token names share one namespace, deleted names
// included, and each kind is deleted only through its own route.
func TestTokenNamespaceShared(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.team("platform")
	orgTok, _ := h.token("ci", "")
	h.must(409, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "ci"})
	var tt apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "deploy"}).decode(t, &tt)
	h.must(409, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "deploy"})
	h.must(400, "DELETE", "/api/orgs/acme/tokens/"+tt.ID, h.admin(), nil)
	h.must(400, "DELETE", "/api/orgs/acme/teams/platform/tokens/"+orgTok, h.admin(), nil)
	var list apitype.ListTokensResponse
	h.must(200, "GET", "/api/orgs/acme/teams/platform/tokens", h.admin(), nil).decode(t, &list)
	if len(list.Tokens) != 1 || list.Tokens[0].Name != "deploy" || list.Tokens[0].Type != apitype.TokenTypeTeam {
		t.Errorf("team tokens: %+v", list.Tokens)
	}
	h.must(204, "DELETE", "/api/orgs/acme/teams/platform/tokens/"+tt.ID, h.admin(), nil)
	h.must(401, "GET", "/api/user", tt.TokenValue, nil)
	h.must(409, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "deploy"})
}

// TestTeamEscalation: every new way to gain rights needs the caller to hold them already.
func TestTeamEscalation(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	admin := []string{"team:list", "team:read", "team:create", "team:update", "team:delete", "team:create_token",
		"org_member:read", "org_member:add", "org_member:update"}
	_, mgr := h.scopedToken("mgr",
		authz.GrantSpec{Scopes: admin},
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	small := h.grantRole("small", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	big := h.grantRole("big", authz.GrantSpec{Scopes: []string{"stack:delete"}})
	h.member("alice", "", small.ID) // the default role (member) first, then small
	h.team("ops", big.ID)
	h.team("readers", small.ID)

	refused := []struct {
		what, method, path string
		body               any
	}{
		{"a role to a team", "POST", "/api/orgs/acme/teams/readers/roles/" + big.ID, nil},
		{"a role to a member", "PATCH", "/api/orgs/acme/members/alice", apitype.UpdateMemberRequest{FGARoleID: &big.ID}},
		{"an admin member", "POST", "/api/orgs/acme/members/bob", apitype.AddMemberRequest{Role: "admin"}},
		{"a member into a team", "PATCH", "/api/orgs/acme/teams/ops", apitype.UpdateTeamRequest{Member: ptr("alice"), MemberAction: ptr("add")}},
		{"a team token", "POST", "/api/orgs/acme/teams/ops/tokens", apitype.CreateTeamTokenRequest{Name: "ops-ci"}},
	}
	for _, tc := range refused {
		r := h.do(tc.method, tc.path, mgr, tc.body)
		if r.status != http.StatusForbidden || !strings.Contains(r.errorBody(t).Errors[0].CustomMessage, "escalation") && !strings.Contains(r.String(), "set_admin") {
			t.Errorf("%s beyond the caller's rights: %s, want a 403 escalation refusal", tc.what, r)
		}
		h.waitAudit("refusal of "+tc.what, func(e apitype.AuditLogEvent) bool {
			return e.Decision == "deny" && e.TokenName == "mgr" && strings.Contains(e.Description, tc.method+" "+tc.path)
		})
	}
	// Alice in ops: her first token acts as her, with ops' rights: more than mgr holds.
	h.teamMember("ops", "add", "alice")
	if r := h.do("POST", "/api/orgs/acme/members/alice/tokens", mgr, apitype.CreatePersonalTokenRequest{}); r.status != http.StatusForbidden {
		t.Errorf("minting a token for a member who may do more: %s, want 403", r)
	}
	h.teamMember("ops", "remove", "alice")

	// Within the caller's rights, all of it works.
	h.must(204, "PATCH", "/api/orgs/acme/teams/readers", mgr, apitype.UpdateTeamRequest{Member: ptr("alice"), MemberAction: ptr("add")})
	h.must(200, "POST", "/api/orgs/acme/teams/readers/tokens", mgr, apitype.CreateTeamTokenRequest{Name: "readers-ci"})
	h.must(200, "POST", "/api/orgs/acme/members/alice/tokens", mgr, apitype.CreatePersonalTokenRequest{})
	h.must(204, "POST", "/api/orgs/acme/teams/ops/roles/"+small.ID, mgr, nil)
}

// TestDeleteHeldRole: a role a member or team holds is deleted only with ?force=true, which
// leaves them without its rights (on the next request).
func TestDeleteHeldRole(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("payments", "prod", nil)
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}})
	nothing := h.grantRole("nothing", authz.GrantSpec{Scopes: []string{"tags:read"}})
	h.member("alice", "", reader.ID)
	h.team("platform", reader.ID)
	var tt apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "platform-ci"}).decode(t, &tt)
	h.must(200, "GET", "/api/stacks/acme/payments/prod", tt.TokenValue, nil)
	r := h.must(409, "DELETE", "/api/orgs/acme/roles/"+reader.ID, h.admin(), nil)
	if msg := r.errorBody(t).Message; !strings.Contains(msg, `member "alice"`) || !strings.Contains(msg, `team "platform"`) {
		t.Errorf("409 does not name the holders: %s", msg)
	}
	h.must(204, "PATCH", "/api/orgs/acme/members/alice", h.admin(), apitype.UpdateMemberRequest{FGARoleID: &nothing.ID})
	h.must(409, "DELETE", "/api/orgs/acme/roles/"+reader.ID, h.admin(), nil) // the team still holds it
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+reader.ID+"?force=true", h.admin(), nil)
	h.must(403, "GET", "/api/stacks/acme/payments/prod", tt.TokenValue, nil)
	var roles apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/teams/platform/roles", h.admin(), nil).decode(t, &roles)
	if len(roles.Roles) != 0 {
		t.Errorf("a force-deleted role is still listed: %+v", roles.Roles)
	}
	var team apitype.Team
	h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &team)
	if len(team.RoleIDs) != 0 {
		t.Errorf("GET team lists a force-deleted role: %v", team.RoleIDs)
	}
	var teams apitype.ListTeamsResponse
	h.must(200, "GET", "/api/orgs/acme/teams", h.admin(), nil).decode(t, &teams)
	if len(teams.Teams) != 1 || len(teams.Teams[0].RoleIDs) != 0 {
		t.Errorf("GET teams lists a force-deleted role: %+v", teams.Teams)
	}
}

// TestTeamUpdates: an empty newDisplayName gives the team its name, as on create; taking a
// role the team does not hold is a 404 that names the role, not the team.
func TestTeamUpdates(t *testing.T) {
	t.Parallel()
	h := start(t)
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), apitype.CreateTeamRequest{Name: "platform"})
	getTeam := func() apitype.Team {
		var out apitype.Team
		h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &out)
		return out
	}
	if got := getTeam().DisplayName; got != "platform" {
		t.Errorf("created without a display name: %q, want the name", got)
	}
	for _, name := range []string{"Platform Team", ""} {
		h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{NewDisplayName: &name})
		want := name
		if want == "" {
			want = "platform"
		}
		if got := getTeam().DisplayName; got != want {
			t.Errorf("PATCH newDisplayName %q: display name %q, want %q", name, got, want)
		}
	}

	r := h.must(404, "DELETE", "/api/orgs/acme/teams/platform/roles/"+reader.ID, h.admin(), nil)
	e := r.errorBody(t)
	if want := fmt.Sprintf("team %q does not hold role %q", "platform", reader.ID); e.Message != want ||
		len(e.Errors) != 1 || e.Errors[0].Attribute != "roleID" || e.Errors[0].ErrorType != apitype.ErrorTypeNotFound {
		t.Errorf("taking a role the team does not hold: %s", r)
	}
	err := h.ts.Client.RemoveTeamRole(ctx(t), org, "platform", reader.ID)
	if msg := fmt.Sprint(err); !client.IsNotFound(err) || strings.Contains(msg, "team not found") || !strings.Contains(msg, "does not hold role") {
		t.Errorf("client text for a role the team does not hold: %v", err)
	}
	if r := h.must(404, "DELETE", "/api/orgs/acme/teams/nobody/roles/"+reader.ID, h.admin(), nil); !strings.Contains(r.errorBody(t).Message, `no team "nobody"`) {
		t.Errorf("an unknown team: %s", r)
	}
	h.must(204, "POST", "/api/orgs/acme/teams/platform/roles/"+reader.ID, h.admin(), nil)
	h.must(204, "DELETE", "/api/orgs/acme/teams/platform/roles/"+reader.ID, h.admin(), nil)
}

// TestTeamAndPersonalTokenPages: team and personal token listings are paged like the org's
// (?maxResults=, continuation tokens bound to the listing: another team's is a 400).
func TestTeamAndPersonalTokenPages(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.team("platform")
	h.team("data")
	h.member("alice", "admin", "")
	alice := h.personal("alice")
	for i := range 3 {
		h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: fmt.Sprintf("platform-%d", i)})
		h.must(200, "POST", "/api/user/tokens", alice, apitype.CreatePersonalTokenRequest{Description: fmt.Sprintf("laptop-%d", i)})
	}
	h.must(200, "POST", "/api/orgs/acme/teams/data/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "data-0"})

	pages := func(path, token string) (first, second apitype.ListTokensResponse) {
		t.Helper()
		h.must(200, "GET", path+"?maxResults=2", token, nil).decode(t, &first)
		if len(first.Tokens) != 2 || first.ContinuationToken == "" {
			t.Fatalf("%s first page: %+v", path, first)
		}
		h.must(200, "GET", path+"?maxResults=2&continuationToken="+first.ContinuationToken, token, nil).decode(t, &second)
		if len(second.Tokens) != 2 && len(second.Tokens) != 1 || second.ContinuationToken != "" {
			t.Fatalf("%s second page: %+v", path, second)
		}
		return first, second
	}
	first, second := pages("/api/orgs/acme/teams/platform/tokens", h.admin())
	if len(second.Tokens) != 1 || first.Tokens[0].Name != "platform-0" || first.Tokens[1].Name != "platform-1" || second.Tokens[0].Name != "platform-2" {
		t.Errorf("team token pages: %+v then %+v", first.Tokens, second.Tokens)
	}
	if r := h.must(400, "GET", "/api/orgs/acme/teams/data/tokens?continuationToken="+first.ContinuationToken, h.admin(), nil); firstAttr(r.errorBody(t)) != "continuationToken" {
		t.Errorf("another team's continuation token: %s", r)
	}
	h.must(400, "GET", "/api/orgs/acme/teams/platform/tokens?maxResults=0", h.admin(), nil)

	first, second = pages("/api/user/tokens", alice) // the first token, minted by the admin, and three more
	if len(second.Tokens) != 2 || first.Tokens[0].Description != "first" || second.Tokens[1].Description != "laptop-2" {
		t.Errorf("personal token pages: %+v then %+v", first.Tokens, second.Tokens)
	}
	h.must(400, "GET", "/api/orgs/acme/teams/platform/tokens?continuationToken="+first.ContinuationToken, h.admin(), nil)

	// The client follows the pages.
	toks, err := h.ts.Client.ListTeamTokens(ctx(t), org, "platform")
	if err != nil || len(toks) != 3 {
		t.Errorf("client.ListTeamTokens: %d tokens, %v", len(toks), err)
	}
}

func firstAttr(e apitype.ErrorResponse) string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Attribute
}

// Pulumi's own provider creates a team with organization and teamType in the body (found by
// running pulumi-pulumiservice against the server): accepted when they agree with the request.
func TestCreateTeamWithPulumiClientFields(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(),
		`{"organization":"acme","teamType":"pulumi","name":"devs","displayName":"Developers","description":"compat"}`)
	for _, c := range []struct{ body, attr string }{
		{`{"organization":"globex","teamType":"pulumi","name":"a"}`, "organization"},
		{`{"organization":"acme","teamType":"github","name":"b"}`, "teamType"},
		{`{"name":"c","githubTeamID":42}`, "githubTeamID"},
	} {
		resp := h.do("POST", "/api/orgs/acme/teams/pulumi", h.admin(), c.body)
		if e := resp.errorBody(t); resp.status != 400 || len(e.Errors) == 0 || e.Errors[0].Attribute != c.attr {
			t.Errorf("%s: %s, want a 400 naming %s", c.body, resp, c.attr)
		}
	}
}
