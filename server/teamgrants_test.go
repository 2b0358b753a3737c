package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestTeamStackPermissions: Pulumi's legacy per-entity team grants are grants of the team:
// its token and its members' personal tokens gain the level's set on that stack alone, lose it
// on removeStack, GET team lists them, and the access check names the grant.
func TestTeamStackPermissions(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	h.stack("payments", "dev", nil)
	nothing := h.grantRole("nothing", authz.GrantSpec{Scopes: []string{"tags:read"}})
	h.member("alice", "member", nothing.ID)
	alice := h.personal("alice")
	h.team("platform")
	h.teamMember("platform", "add", "alice")
	var tt apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "platform-ci"}).decode(t, &tt)

	const prodPath, devPath = "/api/stacks/acme/payments/prod", "/api/stacks/acme/payments/dev"
	h.must(403, "GET", prodPath, alice, nil)
	h.must(403, "GET", prodPath, tt.TokenValue, nil)

	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		AddStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: apitype.StackPermissionRead}})
	h.must(200, "GET", prodPath, alice, nil)
	h.must(200, "GET", prodPath, tt.TokenValue, nil)
	h.must(403, "GET", devPath, alice, nil)
	h.must(403, "DELETE", prodPath, tt.TokenValue, nil) // read grants no delete

	var team apitype.Team
	h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &team)
	if len(team.Stacks) != 1 || team.Stacks[0] != (apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: 101}) {
		t.Errorf("GET team stacks: %+v", team.Stacks)
	}

	// The access check names the path: team → the grant → the built-in set.
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: tt.ID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "payments", Name: "prod"}},
	}}).decode(t, &resp)
	res := resp.Results[0]
	if !res.Allowed || len(res.Grounds) != 1 ||
		strings.Join(res.Grounds[0].ViaNames, " → ") != "team platform → stack permission read (101) on payments/prod → set Stack Read" {
		t.Errorf("access check through a team grant: %+v", res)
	}

	// editStackPermission raises it; removeStack takes it away on the next request.
	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		EditStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: apitype.StackPermissionAdmin}})
	h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &team)
	if len(team.Stacks) != 1 || team.Stacks[0].Permission != 103 {
		t.Errorf("GET team stacks after edit: %+v", team.Stacks)
	}
	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		RemoveStack: &apitype.TeamStackRef{ProjectName: "payments", StackName: "prod"}})
	h.must(403, "GET", prodPath, alice, nil)
	h.must(403, "GET", prodPath, tt.TokenValue, nil)
	team = apitype.Team{}
	h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &team)
	if len(team.Stacks) != 0 {
		t.Errorf("GET team stacks after removeStack: %+v", team.Stacks)
	}
	h.waitAudit("the team grant change", func(e apitype.AuditLogEvent) bool {
		return e.Decision != "deny" && strings.Contains(e.Description, "PATCH /api/orgs/acme/teams/platform")
	})

	// Refusals: no grant to remove or edit, a bad level, a missing stack.
	for _, tc := range []struct {
		body   apitype.UpdateTeamRequest
		status int
		attr   string
	}{
		{apitype.UpdateTeamRequest{RemoveStack: &apitype.TeamStackRef{ProjectName: "payments", StackName: "prod"}}, 404, "removeStack"},
		{apitype.UpdateTeamRequest{EditStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: 101}}, 404, "editStackPermission"},
		{apitype.UpdateTeamRequest{AddStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: 0}}, 400, "addStackPermission.permission"},
		{apitype.UpdateTeamRequest{AddStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "nope", Permission: 101}}, 404, "addStackPermission"},
	} {
		r := h.do("PATCH", "/api/orgs/acme/teams/platform", h.admin(), tc.body)
		if r.status != tc.status || firstAttr(r.errorBody(t)) != tc.attr {
			t.Errorf("%+v: %s, want %d on %s", tc.body, r, tc.status, tc.attr)
		}
	}
	_ = prod
}

// TestTeamEnvironmentPermissions: environment levels map to the built-in environment sets,
// maxOpenDuration is kept and shown.
func TestTeamEnvironmentPermissions(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.env("p", "e")
	h.team("platform")
	var tt apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/platform/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "platform-ci"}).decode(t, &tt)
	const envPath = "/api/esc/environments/acme/p/e"
	h.must(403, "GET", envPath, tt.TokenValue, nil)
	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		AddEnvironmentPermission: &apitype.TeamEnvironmentPermission{ProjectName: "p", EnvName: "e", Permission: "open", MaxOpenDuration: "1h30m"}})
	h.must(200, "GET", envPath, tt.TokenValue, nil)
	var team apitype.Team
	h.must(200, "GET", "/api/orgs/acme/teams/platform", h.admin(), nil).decode(t, &team)
	if len(team.Environments) != 1 || team.Environments[0] != (apitype.TeamEnvironmentPermission{ProjectName: "p", EnvName: "e", Permission: "open", MaxOpenDuration: "1h30m0s"}) {
		t.Errorf("GET team environments: %+v", team.Environments)
	}
	if r := h.do("PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		AddEnvironmentPermission: &apitype.TeamEnvironmentPermission{ProjectName: "p", EnvName: "e", Permission: "none"}}); r.status != 400 {
		t.Errorf("environment permission none: %s, want 400", r)
	}
	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{
		RemoveEnvironment: &apitype.TeamEnvironmentRef{ProjectName: "p", EnvName: "e"}})
	h.must(403, "GET", envPath, tt.TokenValue, nil)
}

// TestTeamGrantEscalation: granting a team a level on a stack needs the caller to hold that
// level's set there; a level within the caller's rights is accepted.
func TestTeamGrantEscalation(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	read, _ := authz.BuiltinByIdentifier("stack-read")
	_, mgr := h.scopedToken("mgr",
		authz.GrantSpec{Scopes: []string{"team:read", "team:update"}},
		authz.GrantSpec{Scopes: read.Details.(*authz.Allow).Permissions, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	h.team("platform")

	r := h.do("PATCH", "/api/orgs/acme/teams/platform", mgr, apitype.UpdateTeamRequest{
		AddStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: apitype.StackPermissionWrite}})
	if r.status != http.StatusForbidden || !strings.Contains(r.errorBody(t).Errors[0].CustomMessage, "escalation") {
		t.Errorf("a write grant beyond the caller's rights: %s, want a 403 escalation refusal", r)
	}
	h.waitAudit("the refusal", func(e apitype.AuditLogEvent) bool {
		return e.Decision == "deny" && e.TokenName == "mgr" && strings.Contains(e.Description, "PATCH /api/orgs/acme/teams/platform")
	})
	h.must(204, "PATCH", "/api/orgs/acme/teams/platform", mgr, apitype.UpdateTeamRequest{
		AddStackPermission: &apitype.TeamStackPermission{ProjectName: "payments", StackName: "prod", Permission: apitype.StackPermissionRead}})

	// memberAction is add or remove: team admins are not modelled.
	h.member("alice", "member", "")
	r = h.do("PATCH", "/api/orgs/acme/teams/platform", h.admin(), apitype.UpdateTeamRequest{Member: ptr("alice"), MemberAction: ptr("promote")})
	if r.status != 400 || !strings.Contains(r.String(), "add, remove") {
		t.Errorf("memberAction promote: %s, want a 400 naming add and remove", r)
	}
}
