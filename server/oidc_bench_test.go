package server_test

import (
	"strconv"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testoidc"
)

// BenchmarkOIDCExchange measures a token exchange (verify an RS256 ID token, apply a 40-policy
// list, record the jti, mint a token with its audit record) beside its peer, minting an org
// token through the API (POST /api/orgs/{org}/tokens), in the same run: the ratio is the cost
// of the exchange's checks. ID tokens are minted before the timer starts.
func BenchmarkOIDCExchange(b *testing.B) {
	h := start(b)
	idp := testoidc.Static(b, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	role := h.builtin("member")
	defs := make([]apitype.AuthPolicyDefinition, 0, apitype.MaxAuthPolicies)
	for i := range apitype.MaxAuthPolicies - 1 {
		defs = append(defs, apitype.AuthPolicyDefinition{Decision: "deny", TokenType: "organization",
			Rules: map[string]string{"sub": "repo:other-" + string(rune('a'+i%26)) + "/*", "ref": "refs/heads/*"}})
	}
	defs = append(defs, allowOrg(role, map[string]string{"sub": "repo:acme/payments:*", "aud": "urn:pulumi:org:acme", "ref": "refs/heads/main"}))
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: defs})

	b.Run("exchange", func(b *testing.B) {
		const batch = 2000 // pre-minted ID tokens, reused across b.Loop rounds by re-minting when exhausted
		forms := make([]string, 0, batch)
		refill := func() {
			b.StopTimer()
			forms = forms[:0]
			for range batch {
				f := exchangeForm(idp.Mint(b, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", "")
				forms = append(forms, f.Encode())
			}
			b.StartTimer()
		}
		refill()
		next := 0
		measured(b, func(int) {
			if next == len(forms) {
				refill()
				next = 0
			}
			h.must(200, "POST", "/api/oauth/token", "", forms[next], "Content-Type", "application/x-www-form-urlencoded")
			next++
		})
	})
	n := 0 // token names must be unique across the runs of the sub-benchmark
	b.Run("peer-mint-org-token", func(b *testing.B) {
		measured(b, func(int) {
			n++
			h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "bench-" + strconv.Itoa(n), RoleID: role})
		})
	})
}
