package server_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
)

// The only routes that may be served without a token, and the only ones a valid token may
// call without a scope. Adding to either list is a security decision: make it here.
var (
	publicRoutes = map[string]bool{"GET /healthz": true, "GET /metrics": true, "GET /api/openapi.json": true,
		"POST /api/oauth/token": true} // the OIDC ID token in the body is the credential
	// publicStatus is what a public route answers to a request without a token or body (200
	// when not listed): the token exchange refuses an empty request with an RFC 6749 error.
	publicStatus = map[string]int{"POST /api/oauth/token": http.StatusBadRequest}
	// authOnlyRoutes need only a valid token: what an org token (no user) gets from each.
	authOnlyRoutes = map[string]int{
		"GET /api/user":                     http.StatusOK,
		"GET /api/capabilities":             http.StatusOK,
		"GET /api/user/tokens":              http.StatusBadRequest, // personal tokens only
		"POST /api/user/tokens":             http.StatusBadRequest,
		"DELETE /api/user/tokens/{tokenID}": http.StatusBadRequest,
		"GET /api/orgs/{org}/entities":      http.StatusBadRequest, // kind is required; it lists only what the kind's read scope shows
	}
)

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// TestEveryRouteIsGuarded walks the server's own route table: every route that is not in the
// public allowlist answers 401 without a token, with a malformed, an unknown and a revoked
// token; every scoped route answers 403 naming its scope to a valid token whose role grants
// nothing relevant. Path parameters name existing entities, so entity routes reach the
// authorization step instead of stopping at a 404.
func TestEveryRouteIsGuarded(t *testing.T) {
	t.Parallel()
	// Every denial below must be recorded one by one: no aggregation of repeated denials.
	h := start(t, testserver.Options{Config: func(c *server.Config) { c.DenialBurst = -1 }})
	h.stack("guard", "s1", nil)
	h.env("guard", "e1")
	h.account("acct1", nil)
	role := h.grantRole("unrelated", authz.GrantSpec{Scopes: []string{"tags:read"}})
	_, weak := h.token("weak", role.ID)
	revokedID, revoked := h.token("revoked", role.ID)
	h.must(200, "GET", "/api/user", revoked, nil) // cached, then revoked
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+revokedID, h.admin(), nil)

	var unknown [20]byte
	_, _ = rand.Read(unknown[:])
	badTokens := map[string]string{
		"unknown":   "pul-" + hex.EncodeToString(unknown[:]),
		"malformed": "not-a-token",
		"revoked":   revoked,
	}
	params := map[string]string{
		"org": org, "project": "guard", "stack": "s1", "env": "e1", "account": "acct1",
		"roleID": role.ID, "tokenID": revokedID, "login": "nobody", "team": "nobody",
		"version": "1", "updateID": "00000000-0000-4000-8000-000000000000",
		"issuerID": "00000000-0000-4000-8000-000000000000", "policyID": "00000000-0000-4000-8000-000000000000",
		"guardrailID": "no-such-guardrail",
	}

	routes := h.ts.API.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes listed; Routes() looks broken", len(routes))
	}
	seen := map[string]bool{}
	type denial struct{ method, path, scope string }
	var denials []denial // each must be in the audit log
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("route %s listed twice", key)
		}
		seen[key] = true
		path := pathParam.ReplaceAllStringFunc(rt.Pattern, func(m string) string {
			v, ok := params[m[1:len(m)-1]]
			if !ok {
				t.Fatalf("route %s has path parameter %s with no test value; add one to params", key, m)
			}
			return v
		})
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			if rt.Public {
				if !publicRoutes[key] {
					t.Fatalf("route %s is public but not in the public allowlist", key)
				}
				want := http.StatusOK
				if s, ok := publicStatus[key]; ok {
					want = s
				}
				if r := h.do(rt.Method, path, "", nil); r.status != want {
					t.Errorf("public route without a token: %s, want %d", r, want)
				}
				return
			}
			if r := h.do(rt.Method, path, "", nil); r.status != http.StatusUnauthorized {
				t.Errorf("no token: got %s, want 401", r)
			} else {
				r.errorBody(t)
				denials = append(denials, denial{rt.Method, path, ""})
			}
			for name, tok := range badTokens {
				if r := h.do(rt.Method, path, tok, nil); r.status != http.StatusUnauthorized {
					t.Errorf("%s token: got %s, want 401", name, r)
				}
			}
			// "Bearer" is accepted too; a wrong scheme is not a token.
			if r := h.do(rt.Method, path, "", nil, "Authorization", "Basic "+weak); r.status != http.StatusUnauthorized {
				t.Errorf("Basic scheme: got %s, want 401", r)
			}
			if rt.Lease {
				// Calls under an update's lease: no API token is a lease, not even the admin's.
				for name, tok := range map[string]string{"weak": weak, "admin": h.admin()} {
					for _, scheme := range []string{"token ", "Bearer ", "update-token "} {
						if r := h.do(rt.Method, path, "", nil, "Authorization", scheme+tok); r.status != http.StatusUnauthorized {
							t.Errorf("%s token as %q: got %s, want 401", name, scheme, r)
						}
					}
				}
				return
			}
			if rt.AuthOnly {
				want, ok := authOnlyRoutes[key]
				if !ok {
					t.Fatalf("route %s needs only authentication but is not in the allowlist", key)
				}
				if r := h.do(rt.Method, path, weak, nil); r.status != want {
					t.Errorf("authenticated route with a valid org token: %s, want %d", r, want)
				}
				return
			}
			if rt.Scope == "" {
				t.Fatalf("route %s is neither public, authenticated-only nor scoped", key)
			}
			if _, err := authz.LookupScope(rt.Scope); err != nil {
				t.Fatalf("route %s guards with an unknown scope: %v", key, err)
			}
			r := h.do(rt.Method, path, weak, nil)
			if r.status != http.StatusForbidden {
				t.Fatalf("token without %s: got %s, want 403", rt.Scope, r)
			}
			eb := r.errorBody(t)
			if !strings.Contains(eb.Message, rt.Scope) || !strings.Contains(firstCustom(eb), rt.Scope) {
				t.Errorf("403 does not name the scope %s: %s", rt.Scope, r)
			}
			// With Bearer instead of token the same token is authenticated (403, not 401).
			if r := h.do(rt.Method, path, "", nil, "Authorization", "Bearer "+weak); r.status != http.StatusForbidden {
				t.Errorf("Bearer scheme: got %s, want 403", r)
			}
			denials = append(denials, denial{rt.Method, path, rt.Scope})
		})
	}
	// Every denial is audited: 401s as authentication failures, 403s with the token and scope.
	for _, d := range denials {
		path, _, _ := strings.Cut(d.path, "?")
		h.waitAudit(fmt.Sprintf("denying %s %s", d.method, d.path), func(e apitype.AuditLogEvent) bool {
			if d.scope == "" {
				return e.Status == 401 && e.AuthFailure && e.Decision == "deny" && e.Reason == "no token" &&
					strings.Contains(e.Description, "was denied "+d.method+" "+path+":")
			}
			return e.Status == 403 && e.Decision == "deny" && e.TokenName == "weak" && e.Action == d.scope &&
				strings.Contains(e.Description, `token "weak" was denied `+d.method+" "+path+":") && strings.Contains(e.Reason, d.scope)
		})
	}
	for key := range publicRoutes {
		if !seen[key] {
			t.Errorf("allowlisted public route %s is not served", key)
		}
	}
	// A path outside the table is a JSON 404, not an accidental handler.
	if r := h.do("GET", "/api/orgs/acme/secrets", h.admin(), nil); r.status != http.StatusNotFound {
		t.Errorf("unknown route: %s, want 404", r)
	}
}
