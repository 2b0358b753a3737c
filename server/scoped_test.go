package server_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestScopedTokenEndToEnd: a role pinned to one stack and one environment, made with
// authz.BuildRole, lets its token act on exactly those.
func TestScopedTokenEndToEnd(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.stack("web", "a", nil)
	h.stack("web", "b", nil)
	ea := h.env("cfg", "ea")
	h.env("cfg", "eb")
	_, tok := h.scopedToken("deployer",
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{a.ID}}},
		authz.GrantSpec{Scopes: []string{"environment:read", "environment:open"}, Refs: authz.Refs{Environments: []string{ea.ID}}},
	)

	var got apitype.Stack
	h.must(200, "GET", "/api/stacks/acme/web/a", tok, nil).decode(t, &got)
	if got.ID != a.ID || got.StackName != "a" || got.ProjectName != "web" || got.OrgName != org {
		t.Errorf("GET stack a = %+v, want %+v", got, a)
	}
	denials := []struct{ method, path, scope string }{
		{"GET", "/api/stacks/acme/web/b", "stack:read"},
		{"DELETE", "/api/stacks/acme/web/a", "stack:delete"},
		{"PATCH", "/api/stacks/acme/web/a/tags", "stack_tags:update"},
		{"POST", "/api/esc/environments/acme/cfg/eb/open", "environment:open"},
		{"GET", "/api/esc/environments/acme/cfg/eb", "environment:read"},
		{"DELETE", "/api/esc/environments/acme/cfg/ea", "environment:delete"},
		{"GET", "/api/orgs/acme/roles?uxPurpose=role", "role:read"},
	}
	for _, d := range denials {
		r := h.must(403, d.method, d.path, tok, nil)
		eb := r.errorBody(t)
		if len(eb.Errors) == 0 || !strings.Contains(eb.Errors[0].CustomMessage, d.scope) {
			t.Errorf("%s %s: errors[0].customMessage does not name %s: %s", d.method, d.path, d.scope, r)
		}
		if !strings.Contains(eb.Message, "deployer") {
			t.Errorf("%s %s: message does not name the token: %s", d.method, d.path, eb.Message)
		}
	}
	var open apitype.OpenEnvironmentResponse
	h.must(200, "POST", "/api/esc/environments/acme/cfg/ea/open", tok, nil).decode(t, &open)
	if open.ID == "" {
		t.Error("open returned no session ID")
	}
	h.must(200, "GET", "/api/esc/environments/acme/cfg/ea", tok, nil)

	var u apitype.User
	h.must(200, "GET", "/api/user", tok, nil).decode(t, &u)
	if u.GitHubLogin != org || u.TokenInfo == nil || u.TokenInfo.Name != "deployer" || u.TokenInfo.Organization != org {
		t.Errorf("GET /api/user = %+v (tokenInfo %+v), want githubLogin %q and tokenInfo.name \"deployer\"", u, u.TokenInfo, org)
	}
	if len(u.Organizations) != 1 || u.Organizations[0].Name != org || u.Organizations[0].Role != "member" {
		t.Errorf("organizations = %+v, want one %q with role member", u.Organizations, org)
	}
	var au apitype.User
	h.must(200, "GET", "/api/user", h.admin(), nil).decode(t, &au)
	if au.Organizations[0].Role != "admin" {
		t.Errorf("admin token's org role = %q, want admin", au.Organizations[0].Role)
	}
}

// TestPrivilegeEscalation: a token may create roles and tokens only within its own rights.
func TestPrivilegeEscalation(t *testing.T) {
	t.Parallel()
	h := start(t)
	x := h.stack("p", "x", nil)
	y := h.stack("p", "y", nil)
	mgr := authz.GrantSpec{Scopes: []string{"role:create", "role:read", "role:update", "org_token:create"}}
	_, esc := h.scopedToken("escalator", mgr, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{x.ID}}})
	victim := h.grantRole("victim", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{x.ID}}})
	readSet := h.role("just-read", apitype.UXPurposeSet, "stack", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}}))
	adminRole := h.builtin("admin")
	stackAdmin := h.builtin("stack-admin")

	denied := []struct {
		name, method, path string
		body               any
		mention            string // in the message
	}{
		{"role granting stack:delete on its stack", "POST", "/api/orgs/acme/roles",
			apitype.CreateRoleRequest{Name: "more", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: authz.Refs{Stacks: []string{x.ID}}})}, "stack:delete"},
		{"role granting stack:read on another stack", "POST", "/api/orgs/acme/roles",
			apitype.CreateRoleRequest{Name: "other", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{y.ID}}})}, y.ID},
		{"role granting stack:read on every stack", "POST", "/api/orgs/acme/roles",
			apitype.CreateRoleRequest{Name: "all", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}})}, "every stack"},
		{"role granting an org scope it lacks", "POST", "/api/orgs/acme/roles",
			apitype.CreateRoleRequest{Name: "audit", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"audit_logs:read"}})}, "audit_logs:read"},
		{"role composing stack-admin on its stack", "POST", "/api/orgs/acme/roles",
			apitype.CreateRoleRequest{Name: "composed", Details: buildDetails(t, authz.GrantSpec{Permissions: []string{stackAdmin}, Refs: authz.Refs{Stacks: []string{x.ID}}})}, "stack:delete"},
		{"token with the admin role", "POST", "/api/orgs/acme/tokens",
			apitype.CreateOrgTokenRequest{Name: "root", RoleID: adminRole}, "org_token:delete"},
		{"legacy admin token", "POST", "/api/orgs/acme/tokens",
			apitype.CreateOrgTokenRequest{Name: "root2", Admin: true}, "audit_logs:read"},
		{"role-less token (gets member)", "POST", "/api/orgs/acme/tokens",
			apitype.CreateOrgTokenRequest{Name: "member"}, "stack:create"},
		{"update a role to grant more", "PATCH", "/api/orgs/acme/roles/" + victim.ID,
			apitype.UpdateRoleRequest{Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read", "stack:write"}, Refs: authz.Refs{Stacks: []string{x.ID}}})}, "stack:write"},
	}
	for _, d := range denied {
		t.Run(d.name, func(t *testing.T) {
			r := h.do(d.method, d.path, esc, d.body)
			if r.status != 403 {
				t.Fatalf("got %s, want 403", r)
			}
			if eb := r.errorBody(t); !strings.Contains(eb.Message, d.mention) {
				t.Errorf("message does not name %q: %s", d.mention, eb.Message)
			}
		})
	}
	// Nothing was created or changed by the refused calls.
	var v apitype.Role
	h.must(200, "GET", "/api/orgs/acme/roles/"+victim.ID, h.admin(), nil).decode(t, &v)
	if v.Version != 1 {
		t.Errorf("victim role changed to version %d", v.Version)
	}
	for _, n := range []string{"root", "root2", "member"} {
		if _, ok := findToken(h.tokens("all"), n); ok {
			t.Errorf("refused token %q exists", n)
		}
	}

	// Within its own rights it may act: a role with what it holds, a set it holds composed on
	// its stack, and a token with such a role, which then works.
	var sub apitype.Role
	h.must(200, "POST", "/api/orgs/acme/roles", esc, apitype.CreateRoleRequest{
		Name: "reader", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{x.ID}}}),
	}).decode(t, &sub)
	h.must(200, "POST", "/api/orgs/acme/roles", esc, apitype.CreateRoleRequest{
		Name: "composed-reader", Details: buildDetails(t, authz.GrantSpec{Permissions: []string{readSet.ID}, Refs: authz.Refs{Stacks: []string{x.ID}}}),
	})
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+victim.ID, esc, apitype.UpdateRoleRequest{Description: ptr("narrowed")})
	_, child := h.tokenAs(esc, "child", sub.ID)
	h.must(200, "GET", "/api/stacks/acme/p/x", child, nil)
	h.must(403, "GET", "/api/stacks/acme/p/y", child, nil)
	h.must(403, "POST", "/api/orgs/acme/tokens", child, apitype.CreateOrgTokenRequest{Name: "grandchild", RoleID: sub.ID})
}

func ptr[T any](v T) *T { return &v }
