package server_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// betaAdmin is the bootstrap token of the second org in the two-org tests.
const betaAdmin = "pul-5f3a9c0e7b2d4816a0c3e5f7091b2d4c6e8fa1b3"

// TestTokensBelongToTheirOrg: two orgs share one database. A token of one org (its bootstrap
// admin, a role token, a legacy admin:true token) is a 401 at the server of the other, whatever
// org the path names, and is audited there as a token of another organization; the other
// server's bootstrap cannot "ensure" a value that belongs to the first org.
func TestTokensBelongToTheirOrg(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "iam.db")
	acme := start(t, testserver.Options{DBPath: db})
	beta := start(t, testserver.Options{DBPath: db, Org: "beta", AdminToken: betaAdmin})

	var legacy, member apitype.CreateTokenResponse
	beta.must(200, "POST", "/api/orgs/beta/tokens", beta.admin(), apitype.CreateOrgTokenRequest{Name: "legacy", Admin: true}).decode(t, &legacy)
	beta.must(200, "POST", "/api/orgs/beta/tokens", beta.admin(), apitype.CreateOrgTokenRequest{Name: "member"}).decode(t, &member)

	for name, v := range map[string]string{"bootstrap admin": beta.admin(), "legacy admin": legacy.TokenValue, "member": member.TokenValue} {
		beta.must(200, "GET", "/api/user", v, nil) // valid at home
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/user"},
			{"GET", "/api/orgs/acme/roles"},
			{"GET", "/api/orgs/acme/auditlogs"},
			{"GET", "/api/orgs/beta/roles"},
			{"GET", "/api/user/stacks?organization=acme"},
		} {
			if r := acme.do(req.method, req.path, v, nil); r.status != 401 {
				t.Errorf("%s token of beta at acme: %s %s = %s, want 401", name, req.method, req.path, r)
			}
		}
		if r := acme.do("POST", "/api/stacks/acme/p", v, apitype.CreateStackRequest{StackName: "s-" + strings.ReplaceAll(name, " ", "-")}); r.status != 401 {
			t.Errorf("%s token of beta creates a stack at acme: %s, want 401", name, r)
		}
	}
	acme.must(200, "GET", "/api/user", acme.admin(), nil)
	beta.must(401, "GET", "/api/user", acme.admin(), nil)

	if _, err := acme.ts.API.EnsureToken(ctx(t), betaAdmin, "bootstrap"); err == nil {
		t.Error("acme's bootstrap accepted a token value that belongs to beta as already ensured")
	}
	acme.waitAudit("of a foreign token", func(e apitype.AuditLogEvent) bool {
		return e.Status == 401 && e.Decision == "deny" && strings.Contains(e.Reason, "another organization")
	})
}
