package server_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestAuditSaysWhatHappened: an escalation refusal (a 403 from the handler, after the route's
// scope was granted) is recorded as a denial naming the missing rights; an access check with
// denied results is recorded with their count; a valid token probing another org's path is
// recorded as a denial.
func TestAuditSaysWhatHappened(t *testing.T) {
	t.Parallel()
	h := start(t)
	_, tok := h.scopedToken("minter", authz.GrantSpec{Scopes: []string{"org_token:create", "role:read", "role:create", "role:update"}})

	// Escalation: mint an admin token; create a role with more than the caller holds; make admin the default role.
	h.must(403, "POST", "/api/orgs/acme/tokens", tok, apitype.CreateOrgTokenRequest{Name: "stolen", RoleID: h.builtin("admin")})
	h.must(403, "POST", "/api/orgs/acme/roles", tok, apitype.CreateRoleRequest{Name: "big", UXPurpose: apitype.UXPurposeRole,
		Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:delete"}})})
	h.must(403, "PATCH", "/api/orgs/acme/roles/"+h.builtin("admin")+"/default", tok, nil)
	for _, c := range []struct{ what, action, missing string }{
		// admin's missing rights are a long list (cut to 1 KiB in the record): check it starts.
		{"token mint", "org_token:create", "refused: {agent_"},
		{"role create", "role:create", "refused: {stack:delete} on every stack"},
		{"default role", "role:update", "refused: {agent_"},
	} {
		h.waitAudit("denying the escalation by "+c.what, func(e apitype.AuditLogEvent) bool {
			return e.Action == c.action && e.TokenName == "minter" && e.Decision == "deny" && e.Status == 403 &&
				e.Event == "access-denied" && strings.Contains(e.Reason, "privilege escalation") && strings.Contains(e.Reason, c.missing)
		})
	}
	for _, e := range h.auditEvents() {
		if e.TokenName == "minter" && e.Decision == "allow" {
			t.Errorf("a refused request is recorded as allowed: %+v", e)
		}
	}

	// An access check with denied results.
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", tok, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Action: "role:read"}, {Action: "audit_logs:read"}, {Action: "org_token:delete"},
	}}).decode(t, &resp)
	if resp.Results[0].Allowed == false || resp.Results[1].Allowed || resp.Results[2].Allowed {
		t.Fatalf("access check results: %+v", resp.Results)
	}
	h.waitAudit("of the access check", func(e apitype.AuditLogEvent) bool {
		return e.Action == "role:read" && e.TokenName == "minter" && e.Status == 200 &&
			strings.Contains(e.Reason, "2 of 3 checks denied") && strings.Contains(e.Reason, "audit_logs:read")
	})

	// A valid token probing another org.
	h.must(404, "GET", "/api/orgs/globex/roles?uxPurpose=role", tok, nil)
	h.must(404, "DELETE", "/api/stacks/globex/p/s", tok, nil)
	for _, path := range []string{"GET /api/orgs/globex/roles", "DELETE /api/stacks/globex/p/s"} {
		h.waitAudit("of the probe "+path, func(e apitype.AuditLogEvent) bool {
			return e.TokenName == "minter" && e.Decision == "deny" && e.Status == 404 &&
				strings.Contains(e.Description, path) && strings.Contains(e.Reason, `"globex"`)
		})
	}
}
