package server_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// A token without a scope anywhere gets the same 403 for existing and missing entities, so it
// cannot probe which stacks exist; so does a token with the scope on some stacks (issue 9,
// item 12: it used to get 404 for a missing one); one that may read every stack gets 404.
func TestEntityExistenceIsNotLeaked(t *testing.T) {
	h := start(t)
	prod := h.stack("app", "prod", nil)
	_, none := h.scopedToken("none", authz.GrantSpec{Scopes: []string{"tags:read"}})
	a := h.must(403, "GET", "/api/stacks/acme/app/prod", none, nil)
	b := h.must(403, "GET", "/api/stacks/acme/app/missing", none, nil)
	if a.errorBody(t).Message != b.errorBody(t).Message {
		t.Fatalf("the answers differ:\n%s\n%s", a, b)
	}
	_, some := h.scopedToken("some", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	h.must(200, "GET", "/api/stacks/acme/app/prod", some, nil)
	h.must(403, "GET", "/api/stacks/acme/app/missing", some, nil)
	_, all := h.scopedToken("all", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(404, "GET", "/api/stacks/acme/app/missing", all, nil)
}

func TestDefaultRoleNeedsTheRightsItGrants(t *testing.T) {
	h := start(t)
	_, tok := h.scopedToken("role-admin", authz.GrantSpec{Scopes: []string{"role:read", "role:update"}})
	e := h.must(403, "PATCH", "/api/orgs/acme/roles/"+h.builtin("admin")+"/default", tok, nil).errorBody(t)
	if !strings.Contains(e.Message, "cannot make") {
		t.Fatalf("message %q", e.Message)
	}
	narrow := h.grantRole("narrow", authz.GrantSpec{Scopes: []string{"role:read"}})
	h.must(204, "PATCH", "/api/orgs/acme/roles/"+narrow.ID+"/default", tok, nil)
}

func TestEmptyPatchKeepsVersion(t *testing.T) {
	h := start(t)
	r := h.grantRole("r", authz.GrantSpec{Scopes: []string{"role:read"}})
	var got apitype.Role
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), map[string]any{}).decode(t, &got)
	if got.Version != r.Version {
		t.Fatalf("an empty PATCH moved the version %d → %d", r.Version, got.Version)
	}
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), map[string]any{"name": "r"}).decode(t, &got)
	if got.Version != r.Version {
		t.Fatalf("a PATCH to the same name moved the version")
	}
}

func TestAccessCheckOfOtherTokensNeedsTokenRead(t *testing.T) {
	h := start(t)
	otherID, _ := h.scopedToken("other", authz.GrantSpec{Scopes: []string{"audit_logs:read"}})
	selfID, tok := h.scopedToken("checker", authz.GrantSpec{Scopes: []string{"role:read"}})
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", tok, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: otherID, Action: "audit_logs:read"},
		{Principal: selfID, Action: "role:read"},
		{Action: "role:read"},
	}}).decode(t, &resp)
	if r := resp.Results[0]; r.Error == "" || !strings.Contains(r.Error, "org_token:read") {
		t.Fatalf("another token's check: %+v", r)
	}
	if !resp.Results[1].Allowed || !resp.Results[2].Allowed {
		t.Fatalf("own checks: %+v", resp.Results)
	}
}
