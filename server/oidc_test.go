package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/store"
)

const (
	ghIssuer = "https://token.actions.githubusercontent.com"
	mainSub  = "repo:acme/payments:ref:refs/heads/main"
)

// registerStatic registers a static-JWKS issuer as admin and returns it with its policy.
func (h *harness) registerStatic(name string, idp *testoidc.Issuer) (apitype.Issuer, apitype.AuthPolicy) {
	h.t.Helper()
	var iss apitype.Issuer
	h.must(200, "POST", "/api/orgs/acme/oidc/issuers", h.admin(), apitype.RegisterIssuerRequest{Name: name, URL: idp.URL, JWKS: idp.JWKS()}).decode(h.t, &iss)
	var pol apitype.AuthPolicy
	h.must(200, "GET", "/api/orgs/acme/auth/policies/oidcissuers/"+iss.ID, h.admin(), nil).decode(h.t, &pol)
	return iss, pol
}

func (h *harness) setPolicies(policyID, token string, defs ...apitype.AuthPolicyDefinition) *response {
	h.t.Helper()
	return h.do("PATCH", "/api/orgs/acme/auth/policies/"+policyID, token, apitype.UpdateAuthPolicyRequest{Policies: defs})
}

// exchange posts a form-encoded token exchange, as Pulumi's CLI does.
func (h *harness) exchange(form url.Values) *response {
	h.t.Helper()
	return h.do("POST", "/api/oauth/token", "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

func exchangeForm(subject, tokenType, scope string) url.Values {
	f := url.Values{
		"grant_type": {apitype.GrantTypeTokenExchange}, "audience": {"urn:pulumi:org:acme"},
		"subject_token": {subject}, "subject_token_type": {apitype.SubjectTokenTypeIDToken},
		"requested_token_type": {apitype.RequestedTokenType(tokenType)},
	}
	if scope != "" {
		f.Set("scope", scope)
	}
	return f
}

func oauthErr(t testing.TB, r *response) apitype.OAuthErrorResponse {
	t.Helper()
	var e apitype.OAuthErrorResponse
	r.decode(t, &e)
	if e.Error == "" {
		t.Fatalf("not an RFC 6749 error body: %s", r)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token endpoint answer without Cache-Control: no-store: %v", r.header)
	}
	return e
}

func allowOrg(roleID string, rules map[string]string) apitype.AuthPolicyDefinition {
	return apitype.AuthPolicyDefinition{Decision: "allow", TokenType: "organization", RoleID: roleID, Rules: rules}
}

// TestOIDCExchangeOrganizationToken is the happy path with a static JWKS: a new issuer refuses
// everything; with an allow for main of acme/payments, a GitHub-like ID token becomes an org
// token holding exactly the policy's role, listed among the org's tokens, that expires.
func TestOIDCExchangeOrganizationToken(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	h := start(t, testserver.Options{Now: clk.Now})
	idp := testoidc.Static(t, ghIssuer)
	iss, pol := h.registerStatic("github", idp)
	if iss.Issuer != ghIssuer || iss.MaxExpiration != apitype.DefaultIssuerMaxExpiration || len(iss.JWKS) == 0 || len(iss.Thumbprints) != 0 {
		t.Errorf("registered issuer %+v", iss)
	}
	if len(pol.Policies) != 1 || pol.Policies[0].Decision != "deny" || pol.IssuerID != iss.ID || pol.Version != 1 {
		t.Fatalf("default policy %+v, want one deny", pol)
	}
	claims := idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")
	r := h.exchange(exchangeForm(idp.Mint(t, claims), "organization", ""))
	if r.status != 400 || oauthErr(t, r).Error != "invalid_grant" {
		t.Fatalf("exchange under the default policy: %s, want 400 invalid_grant", r)
	}

	prod := h.stack("payments", "prod", nil)
	reader := h.grantRole("payments-reader", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	var updated apitype.AuthPolicy
	h.setPolicies(pol.ID, h.admin(), allowOrg(reader.ID, map[string]string{"sub": "repo:acme/payments:ref:refs/heads/main", "aud": "urn:pulumi:org:acme"})).decode(t, &updated)
	if updated.Version != 2 || len(updated.Policies) != 1 || updated.Policies[0].RoleID != reader.ID {
		t.Fatalf("updated policy %+v", updated)
	}

	form := exchangeForm(idp.Mint(t, claims), "organization", "")
	form.Set("expiration", "3600")
	r = h.exchange(form)
	if r.status != 200 {
		t.Fatalf("exchange: %s", r)
	}
	var out apitype.TokenExchangeResponse
	r.decode(t, &out)
	if !tokenRE.MatchString(out.AccessToken) || out.IssuedTokenType != "urn:pulumi:token-type:access_token:organization" ||
		out.TokenType != "token" || out.ExpiresIn != 3600 {
		t.Fatalf("exchange answer %+v", out)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("exchange answer may be cached: %v", r.header)
	}
	// Exactly the role's rights: read prod, not delete it, nothing else.
	h.must(200, "GET", "/api/stacks/acme/payments/prod", out.AccessToken, nil)
	h.must(403, "DELETE", "/api/stacks/acme/payments/prod", out.AccessToken, nil)
	h.must(403, "GET", "/api/orgs/acme/oidc/issuers", out.AccessToken, nil)
	var me apitype.User
	h.must(200, "GET", "/api/user", out.AccessToken, nil).decode(t, &me)
	if me.TokenInfo == nil || me.TokenInfo.Organization != "acme" || me.TokenInfo.Team != "" || !strings.HasPrefix(me.TokenInfo.Name, "oidc-") {
		t.Errorf("GET /api/user with the exchanged token: %+v", me)
	}
	// Listed with the org's tokens (and revocable there), with its role and expiry.
	tok, ok := findToken(h.tokens("active"), me.TokenInfo.Name)
	if !ok || tok.Role == nil || tok.Role.ID != reader.ID || tok.CreatedBy != "oidc:github" || tok.Expires != clk.Now().Unix()+3600 {
		t.Errorf("exchanged token in the listing: %+v (found %v)", tok, ok)
	}
	// The issuer records its last use; the audit log the exchange with issuer, sub and policy.
	var got apitype.Issuer
	h.must(200, "GET", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), nil).decode(t, &got)
	if got.LastUsed == "" {
		t.Error("issuer lastUsed not recorded")
	}
	h.waitAudit("of the exchange", func(e apitype.AuditLogEvent) bool {
		return e.Action == "oauth:token_exchange" && e.Decision == "allow" && e.TokenName == me.TokenInfo.Name &&
			strings.Contains(e.Reason, `issuer "github"`) && strings.Contains(e.Reason, mainSub) && strings.Contains(e.Reason, "#0 (allow)")
	})

	// Expiry: an hour later (past the 30 s skew) the token is refused.
	clk.Advance(time.Hour + time.Second)
	h.must(401, "GET", "/api/stacks/acme/payments/prod", out.AccessToken, nil)

	// expiration is capped by the issuer's maxExpiration; the default is 2 h.
	h.must(200, "PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), apitype.UpdateIssuerRequest{Name: "github", MaxExpiration: new(int64(600))})
	claims = idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")
	claims["iat"], claims["nbf"], claims["exp"] = clk.Now().Unix(), clk.Now().Unix(), clk.Now().Add(5*time.Minute).Unix()
	form = exchangeForm(idp.Mint(t, claims), "organization", "")
	form.Set("expiration", "86400")
	h.must(200, "POST", "/api/oauth/token", "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded").decode(t, &out)
	if out.ExpiresIn != 600 {
		t.Errorf("expires_in %d, want the issuer's maxExpiration 600", out.ExpiresIn)
	}
}

// TestOIDCExchangeRefusals: every problem with the ID token or the policy is a 400
// invalid_grant with one and the same description (no oracle), and the audit log records the
// precise reason; problems with the request itself name the parameter.
func TestOIDCExchangeRefusals(t *testing.T) {
	t.Parallel()
	h := start(t, testserver.Options{Config: func(c *server.Config) { c.DenialBurst = -1 }})
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	h.team("deployers", h.builtin("member"))
	h.setPolicies(pol.ID, h.admin(),
		apitype.AuthPolicyDefinition{Decision: "deny", TokenType: "organization", Rules: map[string]string{"ref": "refs/heads/evil*"}},
		allowOrg(h.builtin("member"), map[string]string{"sub": "repo:acme/payments:*"}),
	)
	good := func() map[string]any { return idp.GitHubClaims("acme", "acme/payments", "refs/heads/main") }
	now := time.Now()
	type tc struct {
		name   string
		token  func() string
		form   func(url.Values)
		reason string // in the audit log
	}
	cases := []tc{
		{"wrong sub", func() string { return idp.Mint(t, idp.GitHubClaims("acme", "acme/web", "refs/heads/main")) }, nil, `policy 1: claim sub = "repo:acme/web:ref:refs/heads/main" does not match`},
		{"wrong aud", func() string {
			return idp.Mint(t, testoidc.With(good(), map[string]any{"aud": "urn:pulumi:org:globex"}))
		}, nil, "does not contain \"urn:pulumi:org:acme\""},
		{"expired", func() string {
			return idp.Mint(t, testoidc.With(good(), map[string]any{"exp": now.Add(-time.Minute).Unix(), "iat": now.Add(-10 * time.Minute).Unix(), "nbf": nil}))
		}, nil, "the token expired"},
		{"not yet valid", func() string {
			return idp.Mint(t, testoidc.With(good(), map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}))
		}, nil, "not valid before"},
		{"issued in the future", func() string {
			return idp.Mint(t, testoidc.With(good(), map[string]any{"iat": now.Add(5 * time.Minute).Unix(), "nbf": nil}))
		}, nil, "issued in the future"},
		{"no exp", func() string { return idp.Mint(t, testoidc.With(good(), map[string]any{"exp": nil})) }, nil, "no exp claim"},
		{"bad signature", func() string { return idp.MintForeign(t, good()) }, nil, "signature does not verify"},
		{"unknown kid", func() string { return idp.MintWithKid(t, "nope", good()) }, nil, `no key with kid "nope"`},
		{"alg none", func() string { return idp.MintNone(t, good()) }, nil, "not a JWT signed with RS256 or ES256"},
		{"HMAC with the public key", func() string { return idp.MintHMAC(t, good()) }, nil, "not a JWT signed with RS256 or ES256"},
		{"unknown issuer", func() string {
			return idp.Mint(t, testoidc.With(good(), map[string]any{"iss": "https://gitlab.example"}))
		}, nil, `no registered OIDC issuer has iss "https://gitlab.example"`},
		{"matching deny", func() string { return idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/evil-branch")) }, nil, "policy 0 denies"},
		{"no allow for the team", func() string { return idp.Mint(t, good()) },
			func(f url.Values) {
				f.Set("requested_token_type", apitype.RequestedTokenType("team"))
				f.Set("scope", "team:deployers")
			},
			`no allow policy for this team token (deployers)`},
		{"admin not granted", func() string { return idp.Mint(t, good()) }, func(f url.Values) { f.Set("scope", "admin") }, "policy 1 grants no admin"},
		{"garbage", func() string { return "not.a.jwt" }, nil, "not a JWT"},
		{"too large", func() string { return strings.Repeat("a", 17<<10) }, nil, "at most 16384"},
	}
	var first string
	for _, c := range cases {
		func() {
			form := exchangeForm(c.token(), "organization", "")
			if c.form != nil {
				c.form(form)
			}
			r := h.exchange(form)
			if r.status != 400 {
				t.Errorf("%s: got %s, want 400", c.name, r)
				return
			}
			e := oauthErr(t, r)
			if e.Error != "invalid_grant" {
				t.Errorf("%s: error %q, want invalid_grant", c.name, e.Error)
			}
			if first == "" {
				first = e.ErrorDescription
			} else if e.ErrorDescription != first {
				t.Errorf("%s: description %q differs from %q: an oracle", c.name, e.ErrorDescription, first)
			}
			for _, word := range []string{"kid", "signature", "expire", " aud ", "audience", "polic", "deny", "team", "sub "} {
				if strings.Contains(e.ErrorDescription, word) {
					t.Errorf("%s: the answer says which check failed (%q): %s", c.name, word, r)
				}
			}
			h.waitAudit("refusing "+c.name, func(ev apitype.AuditLogEvent) bool {
				return ev.Action == "oauth:token_exchange" && ev.Decision == "deny" && ev.Status == 400 && strings.Contains(ev.Reason, c.reason)
			})
		}()
	}

	// Replay: the same ID token is exchanged once.
	replayed := idp.Mint(t, good())
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(replayed, "organization", "").Encode(), "Content-Type", "application/x-www-form-urlencoded")
	r := h.exchange(exchangeForm(replayed, "organization", ""))
	if r.status != 400 || oauthErr(t, r).Error != "invalid_grant" {
		t.Errorf("replayed ID token: %s, want 400 invalid_grant", r)
	}
	h.waitAudit("refusing the replay", func(ev apitype.AuditLogEvent) bool {
		return ev.Decision == "deny" && strings.Contains(ev.Reason, "was exchanged before")
	})

	// Problems with the request name the parameter.
	for _, c := range []struct {
		name, code, desc string
		form             func(url.Values)
		raw              string
		ctype            string
	}{
		{name: "refresh grant", code: "unsupported_grant_type", desc: "grant_type", form: func(f url.Values) { f.Set("grant_type", "refresh_token") }},
		{name: "no grant type", code: "invalid_request", desc: "grant_type is required", form: func(f url.Values) { f.Del("grant_type") }},
		{name: "audience of another org", code: "invalid_target", desc: `"globex"`, form: func(f url.Values) { f.Set("audience", "urn:pulumi:org:globex") }},
		{name: "malformed audience", code: "invalid_request", desc: "audience", form: func(f url.Values) { f.Set("audience", "acme") }},
		{name: "access token subject", code: "invalid_request", desc: "subject_token_type", form: func(f url.Values) {
			f.Set("subject_token_type", "urn:ietf:params:oauth:token-type:access_token")
		}},
		{name: "no subject token", code: "invalid_request", desc: "subject_token is required", form: func(f url.Values) { f.Del("subject_token") }},
		{name: "team without name", code: "invalid_scope", desc: "team:NAME", form: func(f url.Values) {
			f.Set("requested_token_type", apitype.RequestedTokenType("team"))
			f.Set("scope", "deployers")
		}},
		{name: "runner", code: "invalid_request", desc: "runner", form: func(f url.Values) { f.Set("requested_token_type", apitype.RequestedTokenType("runner")) }},
		{name: "bad expiration", code: "invalid_request", desc: "expiration", form: func(f url.Values) { f.Set("expiration", "2h") }},
		{name: "negative expiration", code: "invalid_request", desc: "negative", form: func(f url.Values) { f.Set("expiration", "-5") }},
		{name: "repeated parameter", code: "invalid_request", desc: "repeated", form: func(f url.Values) { f.Add("scope", "admin"); f.Add("scope", "") }},
		{name: "XML", code: "invalid_request", desc: "Content-Type", raw: "<x/>", ctype: "text/xml"},
		{name: "huge body", code: "invalid_request", desc: "larger than", raw: "subject_token=" + strings.Repeat("a", 70<<10), ctype: "application/x-www-form-urlencoded"},
	} {
		var r *response
		if c.raw != "" {
			r = h.do("POST", "/api/oauth/token", "", c.raw, "Content-Type", c.ctype)
		} else {
			form := exchangeForm(idp.Mint(t, good()), "organization", "")
			c.form(form)
			r = h.exchange(form)
		}
		if r.status != 400 {
			t.Errorf("%s: got %s, want 400", c.name, r)
			continue
		}
		if e := oauthErr(t, r); e.Error != c.code || !strings.Contains(e.ErrorDescription, c.desc) {
			t.Errorf("%s: %+v, want %s naming %q", c.name, e, c.code, c.desc)
		}
	}

	// JSON works like the form.
	body, _ := json.Marshal(apitype.TokenExchangeRequest{GrantType: apitype.GrantTypeTokenExchange, Audience: "urn:pulumi:org:acme",
		SubjectToken: idp.Mint(t, good()), SubjectTokenType: apitype.SubjectTokenTypeIDToken, RequestedTokenType: apitype.RequestedTokenType("organization"), Expiration: 120})
	var out apitype.TokenExchangeResponse
	h.must(200, "POST", "/api/oauth/token", "", body).decode(t, &out)
	if out.ExpiresIn != 120 {
		t.Errorf("JSON exchange: %+v", out)
	}
	// An ES256 key of the same issuer works too.
	idp.AddKey(t, jose.ES256)
	iss := h.issuerByName("github")
	h.must(200, "PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), apitype.UpdateIssuerRequest{Name: "github", JWKS: idp.JWKS()})
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, good()), "organization", "").Encode(), "Content-Type", "application/x-www-form-urlencoded")

	// Issuer deleted: its tokens are refused from then on.
	h.must(204, "DELETE", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), nil)
	r = h.exchange(exchangeForm(idp.Mint(t, good()), "organization", ""))
	if r.status != 400 || oauthErr(t, r).Error != "invalid_grant" {
		t.Errorf("after the issuer was deleted: %s, want 400 invalid_grant", r)
	}
	h.must(404, "GET", "/api/orgs/acme/auth/policies/oidcissuers/"+iss.ID, h.admin(), nil)
	h.must(404, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{allowOrg("", map[string]string{"sub": "x"})}})
}

func (h *harness) issuerByName(name string) apitype.Issuer {
	h.t.Helper()
	var list apitype.ListIssuersResponse
	h.must(200, "GET", "/api/orgs/acme/oidc/issuers", h.admin(), nil).decode(h.t, &list)
	for _, i := range list.OIDCIssuers {
		if i.Name == name {
			return i
		}
	}
	h.t.Fatalf("no issuer %q", name)
	return apitype.Issuer{}
}

// TestOIDCTeamAndPersonalTokens: team and personal exchanges act as the team and the user,
// chosen by the scope; a policy for one team does not hand out another.
func TestOIDCTeamAndPersonalTokens(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	h.team("deployers", reader.ID)
	h.team("others", reader.ID)
	h.member("alice", "member", "")
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	rules := map[string]string{"sub": "repo:acme/payments:*", "repository_owner": "acme"}
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		{Decision: "allow", TokenType: "team", TeamName: "deployers", Rules: rules},
		{Decision: "allow", TokenType: "personal", UserLogin: "alice", Rules: rules},
	}})
	claims := func() map[string]any { return idp.GitHubClaims("acme", "acme/payments", "refs/heads/main") }

	var out apitype.TokenExchangeResponse
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, claims()), "team", "team:deployers").Encode(),
		"Content-Type", "application/x-www-form-urlencoded").decode(t, &out)
	if out.IssuedTokenType != apitype.RequestedTokenType("team") || out.Scope != "team:deployers" {
		t.Errorf("team exchange %+v", out)
	}
	var me apitype.User
	h.must(200, "GET", "/api/user", out.AccessToken, nil).decode(t, &me)
	if me.TokenInfo == nil || me.TokenInfo.Team != "deployers" {
		t.Errorf("team token identity %+v", me)
	}
	h.must(200, "GET", "/api/stacks/acme/payments/prod", out.AccessToken, nil)
	h.must(403, "DELETE", "/api/stacks/acme/payments/prod", out.AccessToken, nil)

	// The CLI sends no requested_token_type for --oidc-user: the scope's prefix decides.
	form := exchangeForm(idp.Mint(t, claims()), "personal", "user:alice")
	form.Del("requested_token_type")
	h.must(200, "POST", "/api/oauth/token", "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded").decode(t, &out)
	me = apitype.User{}
	h.must(200, "GET", "/api/user", out.AccessToken, nil).decode(t, &me)
	if me.GitHubLogin != "alice" || me.TokenInfo != nil {
		t.Errorf("personal token identity %+v", me)
	}

	for _, scope := range []string{"team:others", "user:bob"} {
		typ := map[bool]string{true: "team", false: "personal"}[strings.HasPrefix(scope, "team:")]
		if r := h.exchange(exchangeForm(idp.Mint(t, claims()), typ, scope)); r.status != 400 || oauthErr(t, r).Error != "invalid_grant" {
			t.Errorf("%s: %s, want 400 invalid_grant", scope, r)
		}
	}
	// A team deleted, a member removed, a role deleted after the policy was written: refused,
	// not a token for nothing, and the audit log says which.
	h.must(204, "DELETE", "/api/orgs/acme/teams/deployers", h.admin(), nil)
	if r := h.exchange(exchangeForm(idp.Mint(t, claims()), "team", "team:deployers")); r.status != 400 {
		t.Errorf("team deleted since: %s, want 400", r)
	}
	h.must(204, "DELETE", "/api/orgs/acme/members/alice", h.admin(), nil)
	if r := h.exchange(exchangeForm(idp.Mint(t, claims()), "personal", "user:alice")); r.status != 400 {
		t.Errorf("member removed since: %s, want 400", r)
	}
	temp := h.grantRole("temp", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{allowOrg(temp.ID, rules)}})
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+temp.ID+"?force=true", h.admin(), nil)
	if r := h.exchange(exchangeForm(idp.Mint(t, claims()), "organization", "")); r.status != 400 {
		t.Errorf("role deleted since: %s, want 400", r)
	}
	for _, why := range []string{`team "deployers" no longer exists`, `user "alice" is no longer a member`, "role " + temp.ID + " no longer exists"} {
		h.waitAudit("refusing: "+why, func(e apitype.AuditLogEvent) bool { return e.Decision == "deny" && strings.Contains(e.Reason, why) })
	}
}

// TestOIDCPolicyValidation: each bad definition is a 400 naming the field and the fix.
func TestOIDCPolicyValidation(t *testing.T) {
	t.Parallel()
	h := start(t)
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	set := h.role("a-set", apitype.UXPurposeSet, "stack", []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`))
	sub := map[string]string{"sub": "repo:acme/*"}
	many := make([]apitype.AuthPolicyDefinition, 41)
	for i := range many {
		many[i] = apitype.AuthPolicyDefinition{Decision: "deny", TokenType: "organization"}
	}
	tooManyRules := map[string]string{}
	for i := range 21 {
		tooManyRules[strings.Repeat("k", i+1)] = "v"
	}
	for _, c := range []struct {
		name       string
		defs       []apitype.AuthPolicyDefinition
		attr, want string
	}{
		{"empty", []apitype.AuthPolicyDefinition{}, "policies", "at least one"},
		{"41 policies", many, "policies", "at most 40"},
		{"decision typo", []apitype.AuthPolicyDefinition{{Decision: "alow", TokenType: "organization", Rules: sub}}, "policies[0].decision", `did you mean "allow"`},
		{"token type typo", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organisation"}}, "policies[0].tokenType", `did you mean "organization"`},
		{"runner", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "runner"}}, "policies[0].tokenType", "not supported"},
		{"bad path", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organization", Rules: map[string]string{"a..b": "x"}}}, `policies[0].rules["a..b"]`, "empty key"},
		{"too many rules", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organization", Rules: tooManyRules}}, "policies[0].rules", "at most 20"},
		{"allow without rules", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "organization"}}, "policies[0].rules", "not only wildcards"},
		{"allow pinning only aud and iss", []apitype.AuthPolicyDefinition{allowOrg("", map[string]string{"aud": "urn:pulumi:org:acme", "iss": ghIssuer})}, "policies[0].rules", "on a claim other than aud and iss"},
		{"empty pattern", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organization", Rules: map[string]string{"ref": ""}}}, `policies[0].rules["ref"]`, `use "*" to accept any value`},
		{"allow with wildcards only", []apitype.AuthPolicyDefinition{allowOrg("", map[string]string{"sub": "*", "aud": "?*"})}, "policies[0].rules", "not only wildcards"},
		{"unknown role", []apitype.AuthPolicyDefinition{allowOrg("nope", sub)}, "policies[0].roleID", `no role with ID "nope"`},
		{"set as role", []apitype.AuthPolicyDefinition{allowOrg(set.ID, sub)}, "policies[0].roleID", "a policy hands out a role"},
		{"role and permissions", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "organization", RoleID: set.ID, AuthorizedPermissions: []string{"admin"}, Rules: sub}}, "policies[0].roleID", "not both"},
		{"permission typo", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "organization", AuthorizedPermissions: []string{"admn"}, Rules: sub}}, "policies[0].authorizedPermissions[0]", `did you mean "admin"`},
		{"team missing name", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "team", Rules: sub}}, "policies[0].teamName", "required"},
		{"unknown team", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "team", TeamName: "ghosts", Rules: sub}}, "policies[0].teamName", `no team "ghosts"`},
		{"unknown user", []apitype.AuthPolicyDefinition{{Decision: "allow", TokenType: "personal", UserLogin: "ghost", Rules: sub}}, "policies[0].userLogin", "not a member"},
		{"org policy with team", []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organization", TeamName: "x"}}, "policies[0].teamName", `not used with tokenType "organization": remove it`},
	} {
		r := h.setPolicies(pol.ID, h.admin(), c.defs...)
		if r.status != 400 {
			t.Errorf("%s: got %s, want 400", c.name, r)
			continue
		}
		e := r.errorBody(t)
		if len(e.Errors) == 0 || e.Errors[0].Attribute != c.attr || !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %s, want attribute %s and %q", c.name, r, c.attr, c.want)
		}
	}
	// Unknown fields are refused strictly, with the closest field named.
	r := h.do("PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), `{"policies":[{"decision":"deny","tokenType":"organization","rule":{}}]}`)
	if r.status != 400 || !strings.Contains(r.String(), "rule") {
		t.Errorf("unknown field: %s", r)
	}
	// Nothing above changed the policy.
	var got apitype.AuthPolicy
	h.must(200, "GET", "/api/orgs/acme/auth/policies/oidcissuers/"+pol.IssuerID, h.admin(), nil).decode(t, &got)
	if got.Version != 1 {
		t.Errorf("policy version %d after refused updates, want 1", got.Version)
	}
}

// TestOIDCPolicyEscalation: a policy may only hand out what its editor holds: a role, the
// built-in admin role (authorizedPermissions admin), a team's or a user's rights.
func TestOIDCPolicyEscalation(t *testing.T) {
	t.Parallel()
	h := start(t)
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	prod := h.stack("payments", "prod", nil)
	editorRole := h.grantRole("oidc-editor",
		authz.GrantSpec{Scopes: []string{"auth_policies:update", "auth_policies:read", "oidc_issuers:read"}},
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	_, editor := h.token("oidc-editor", editorRole.ID)
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	deleter := h.grantRole("deleter", authz.GrantSpec{Scopes: []string{"stack:delete"}})
	h.team("admins", h.builtin("admin"))
	h.member("root", "admin", "")
	sub := map[string]string{"sub": "repo:acme/payments:*"}
	for _, c := range []struct {
		name string
		def  apitype.AuthPolicyDefinition
		attr string
	}{
		{"a role with more", allowOrg(deleter.ID, sub), "policies[0].roleID"},
		{"admin", apitype.AuthPolicyDefinition{Decision: "allow", TokenType: "organization", AuthorizedPermissions: []string{"admin"}, Rules: sub}, "policies[0].authorizedPermissions"},
		{"an admin team", apitype.AuthPolicyDefinition{Decision: "allow", TokenType: "team", TeamName: "admins", Rules: sub}, "policies[0].teamName"},
		{"an admin user", apitype.AuthPolicyDefinition{Decision: "allow", TokenType: "personal", UserLogin: "root", Rules: sub}, "policies[0].userLogin"},
	} {
		r := h.setPolicies(pol.ID, editor, c.def)
		if r.status != 403 {
			t.Errorf("%s: got %s, want 403", c.name, r)
			continue
		}
		if e := r.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != c.attr || !strings.Contains(e.Errors[0].CustomMessage, "privilege escalation") {
			t.Errorf("%s: %s", c.name, r)
		}
	}
	h.waitAudit("of the escalation refusal", func(e apitype.AuditLogEvent) bool {
		return e.Decision == "deny" && e.Status == 403 && e.Action == "auth_policies:update" && strings.Contains(e.Reason, "privilege escalation")
	})
	// Within its own rights it may; denies hand out nothing and are always allowed.
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, editor, apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(reader.ID, sub),
		{Decision: "deny", TokenType: "organization", AuthorizedPermissions: []string{"admin"}, Rules: map[string]string{}},
	}})
	// Issuers need their own scopes.
	h.must(403, "POST", "/api/orgs/acme/oidc/issuers", editor, apitype.RegisterIssuerRequest{Name: "x", URL: "https://x.example", JWKS: idp.JWKS()})
	h.must(403, "DELETE", "/api/orgs/acme/oidc/issuers/"+pol.IssuerID, editor, nil)
}

// TestOIDCIssuerRegistration covers registration input and the HTTPS discovery issuer:
// pinned thumbprints replace CA trust (a self-signed issuer works), a wrong pin is refused,
// without pins the chain is verified (OIDCRootCAs) and the certificate seen is pinned, keys are
// fetched and cached, rotated keys are picked up on an unknown kid, at most once a minute.
func TestOIDCIssuerRegistration(t *testing.T) {
	t.Parallel()
	idp := testoidc.Discovery(t)
	h := start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs = idp.CertPool }})
	plain := start(t) // trusts only the system's CAs

	// Input errors name the field.
	for _, c := range []struct {
		name string
		req  apitype.RegisterIssuerRequest
		attr string
	}{
		{"no name", apitype.RegisterIssuerRequest{URL: idp.URL}, "name"},
		{"http", apitype.RegisterIssuerRequest{Name: "x", URL: "http://example.com"}, "url"},
		{"query", apitype.RegisterIssuerRequest{Name: "x", URL: "https://example.com/?a=b"}, "url"},
		{"bad thumbprint", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, Thumbprints: []string{"abc"}}, "thumbprints[0]"},
		{"expiration", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, MaxExpiration: 1}, "maxExpiration"},
		{"not a JWKS", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, JWKS: json.RawMessage(`{"keys":"no"}`)}, "jwks"},
		{"empty JWKS", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, JWKS: json.RawMessage(`{"keys":[]}`)}, "jwks"},
		{"HMAC key", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, JWKS: json.RawMessage(`{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}`)}, "jwks"},
		{"wrong pin", apitype.RegisterIssuerRequest{Name: "x", URL: idp.URL, Thumbprints: []string{strings.Repeat("ab", 32)}}, "url"},
		{"unreachable", apitype.RegisterIssuerRequest{Name: "x", URL: "https://127.0.0.1:1"}, "url"},
	} {
		r := h.do("POST", "/api/orgs/acme/oidc/issuers", h.admin(), c.req)
		if r.status != 400 {
			t.Errorf("%s: got %s, want 400", c.name, r)
			continue
		}
		if e := r.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != c.attr {
			t.Errorf("%s: %s, want attribute %s", c.name, r, c.attr)
		}
	}
	// Without pins and without trust in its CA: refused, saying what to do.
	r := plain.do("POST", "/api/orgs/acme/oidc/issuers", plain.admin(), apitype.RegisterIssuerRequest{Name: "self-signed", URL: idp.URL})
	if r.status != 400 || !strings.Contains(r.String(), "thumbprints") {
		t.Errorf("self-signed issuer without pins: %s, want 400 suggesting thumbprints", r)
	}
	// Pinned: works without any CA trust; upper case with colons is normalised.
	pin := strings.ToUpper(idp.Thumbprint)
	var colons []string
	for i := 0; i < len(pin); i += 2 {
		colons = append(colons, pin[i:i+2])
	}
	var pinned apitype.Issuer
	plain.must(200, "POST", "/api/orgs/acme/oidc/issuers", plain.admin(), apitype.RegisterIssuerRequest{Name: "pinned", URL: idp.URL, Thumbprints: []string{strings.Join(colons, ":")}}).decode(t, &pinned)
	if pinned.Issuer != idp.URL || len(pinned.Thumbprints) != 1 || pinned.Thumbprints[0] != idp.Thumbprint || pinned.JWKS != nil {
		t.Errorf("pinned issuer %+v", pinned)
	}
	plain.must(409, "POST", "/api/orgs/acme/oidc/issuers", plain.admin(), apitype.RegisterIssuerRequest{Name: "pinned", URL: idp.URL, Thumbprints: []string{idp.Thumbprint}})
	// Static issuers cannot regenerate thumbprints.
	static, _ := plain.registerStatic("static", testoidc.Static(t, "https://static.example"))
	if r := plain.do("POST", "/api/orgs/acme/oidc/issuers/"+static.ID+"/regenerate-thumbprints", plain.admin(), nil); r.status != 400 {
		t.Errorf("regenerate on a static issuer: %s, want 400", r)
	}

	// Trusted CA, no pins: the certificate seen is pinned (trust on first use after the check).
	var iss apitype.Issuer
	h.must(200, "POST", "/api/orgs/acme/oidc/issuers", h.admin(), apitype.RegisterIssuerRequest{Name: "ci", URL: idp.URL}).decode(t, &iss)
	if len(iss.Thumbprints) != 1 || iss.Thumbprints[0] != idp.Thumbprint {
		t.Fatalf("thumbprints %v, want [%s]", iss.Thumbprints, idp.Thumbprint)
	}
	var regen apitype.Issuer
	h.must(200, "POST", "/api/orgs/acme/oidc/issuers/"+iss.ID+"/regenerate-thumbprints", h.admin(), nil).decode(t, &regen)
	if len(regen.Thumbprints) != 1 || regen.Thumbprints[0] != idp.Thumbprint {
		t.Errorf("regenerated thumbprints %v", regen.Thumbprints)
	}
	var pol apitype.AuthPolicy
	h.must(200, "GET", "/api/orgs/acme/auth/policies/oidcissuers/"+iss.ID, h.admin(), nil).decode(t, &pol)
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(h.builtin("member"), map[string]string{"sub": mainSub})}})
	claims := func() map[string]any { return idp.GitHubClaims("acme", "acme/payments", "refs/heads/main") }
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, claims()), "organization", "").Encode(), "Content-Type", "application/x-www-form-urlencoded")
	_, before := idp.Fetches()
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, claims()), "organization", "").Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if _, after := idp.Fetches(); after != before {
		t.Errorf("keys fetched again (%d → %d) although cached", before, after)
	}
	// Rotation: a token signed by a new key makes the server fetch the keys again.
	idp.AddKey(t, jose.RS256)
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, claims()), "organization", "").Encode(), "Content-Type", "application/x-www-form-urlencoded")
	_, rotated := idp.Fetches()
	if rotated != before+1 {
		t.Errorf("JWKS fetches %d after rotation, want %d", rotated, before+1)
	}
	// Made-up kids do not make the server hammer the issuer: within a minute, no new fetch.
	for range 5 {
		if r := h.exchange(exchangeForm(idp.MintWithKid(t, "made-up", claims()), "organization", "")); r.status != 400 {
			t.Fatalf("unknown kid: %s", r)
		}
	}
	if _, now := idp.Fetches(); now != rotated {
		t.Errorf("JWKS fetched %d times for unknown kids within a minute, want none", now-rotated)
	}

	// Update: name required, URL fixed, static JWKS only for static issuers.
	h.must(400, "PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), apitype.UpdateIssuerRequest{})
	h.must(400, "PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), apitype.UpdateIssuerRequest{Name: "ci", JWKS: idp.JWKS()})
	r = h.do("PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), `{"name":"ci","url":"https://elsewhere.example"}`)
	if r.status != 400 || !strings.Contains(r.String(), "url") {
		t.Errorf("changing the url: %s, want 400", r)
	}
	// A wrong pin set later makes the fetch fail: exchanges with new kids are refused.
	h.must(200, "PATCH", "/api/orgs/acme/oidc/issuers/"+iss.ID, h.admin(), apitype.UpdateIssuerRequest{Name: "ci", Thumbprints: []string{strings.Repeat("cd", 32)}})
	if r := h.exchange(exchangeForm(idp.Mint(t, claims()), "organization", "")); r.status != 400 {
		t.Errorf("exchange through a wrong pin: %s, want 400", r)
	}
}

// TestOIDCCrossOrg: another org's issuers and policies are not found, and a token whose
// audience names another org is refused.
func TestOIDCCrossOrg(t *testing.T) {
	t.Parallel()
	h := start(t)
	globex := start(t, testserver.Options{Org: "globex", DBPath: h.ts.DBPath, AdminToken: "pul-9876543210fedcba9876543210fedcba98765432"})
	idp := testoidc.Static(t, ghIssuer)
	iss, pol := h.registerStatic("github", idp)
	h.setPolicies(pol.ID, h.admin(), allowOrg(h.builtin("admin"), map[string]string{"sub": mainSub}))
	g := globex.admin()
	globex.must(404, "GET", "/api/orgs/globex/oidc/issuers/"+iss.ID, g, nil)
	globex.must(404, "DELETE", "/api/orgs/globex/oidc/issuers/"+iss.ID, g, nil)
	globex.must(404, "GET", "/api/orgs/globex/auth/policies/oidcissuers/"+iss.ID, g, nil)
	globex.must(404, "PATCH", "/api/orgs/globex/auth/policies/"+pol.ID, g, apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "organization"}}})
	var list apitype.ListIssuersResponse
	globex.must(200, "GET", "/api/orgs/globex/oidc/issuers", g, nil).decode(t, &list)
	if len(list.OIDCIssuers) != 0 {
		t.Errorf("globex sees acme's issuers: %+v", list)
	}
	globex.must(401, "GET", "/api/orgs/globex/oidc/issuers", h.admin(), nil)
	// acme's admin-granting token, sent to globex: no issuer there, whatever the audience.
	claims := idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")
	if r := globex.exchange(exchangeForm(idp.Mint(t, claims), "organization", "")); r.status != 400 || oauthErr(t, r).Error != "invalid_target" {
		t.Errorf("acme audience at globex: %s, want invalid_target", r)
	}
	form := exchangeForm(idp.Mint(t, testoidc.With(claims, map[string]any{"aud": "urn:pulumi:org:globex"})), "organization", "")
	form.Set("audience", "urn:pulumi:org:globex")
	if r := globex.exchange(form); r.status != 400 || oauthErr(t, r).Error != "invalid_grant" {
		t.Errorf("globex audience, acme's issuer: %s, want invalid_grant", r)
	}
	// And an exchanged acme token is no token of globex.
	var out apitype.TokenExchangeResponse
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", "").Encode(),
		"Content-Type", "application/x-www-form-urlencoded").decode(t, &out)
	globex.must(401, "GET", "/api/orgs/globex/oidc/issuers", out.AccessToken, nil)
}

// TestOIDCReplayRace: one ID token sent by many clients at once is exchanged exactly once.
func TestOIDCReplayRace(t *testing.T) {
	t.Parallel()
	h := start(t)
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(h.builtin("member"), map[string]string{"sub": mainSub})}})
	body := exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", "").Encode()
	const n = 12
	codes := make(chan int, n)
	for range n {
		go func() {
			resp, err := http.Post(h.ts.URL+"/api/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	if got[200] != 1 || got[400] != n-1 {
		t.Errorf("answers %v, want one 200 and %d 400s", got, n-1)
	}
	var list apitype.ListTokensResponse
	h.must(200, "GET", "/api/orgs/acme/tokens", h.admin(), nil).decode(t, &list)
	issued := 0
	for _, tok := range list.Tokens {
		if tok.CreatedBy == "oidc:github" {
			issued++
		}
	}
	if issued != 1 {
		t.Errorf("%d tokens issued for one ID token", issued)
	}
}

// TestOIDCExpiredTokensArePruned: a careless CI job exchanging on every run does not fill the
// token quota: exchanged tokens are deleted a day after they expire; minted ones stay.
func TestOIDCExpiredTokensArePruned(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	h := start(t, testserver.Options{Now: clk.Now})
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(h.builtin("member"), map[string]string{"sub": mainSub})}})
	var out apitype.TokenExchangeResponse
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", "").Encode(),
		"Content-Type", "application/x-www-form-urlencoded").decode(t, &out)
	var minted apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "short", Expires: clk.Now().Add(time.Hour).Unix()}).decode(t, &minted)
	names := func() map[string]bool {
		got := map[string]bool{}
		for _, tok := range h.tokens("all") {
			got[tok.CreatedBy+"/"+tok.Name] = true
		}
		return got
	}
	before := names()
	listed := 0
	for k := range before {
		if strings.HasPrefix(k, "oidc:github/oidc-") {
			listed++
		}
	}
	if listed != 1 || !before["admin/short"] {
		t.Fatalf("tokens before expiry: %v", before)
	}
	clk.Advance(2*time.Hour + time.Minute) // both expired, less than a day ago
	h.ts.API.Housekeep(ctx(t))
	if got := names(); len(got) != len(before) {
		t.Fatalf("tokens pruned before a day had passed: %v → %v", before, got)
	}
	clk.Advance(24 * time.Hour)
	h.ts.API.Housekeep(ctx(t))
	after := names()
	exchanged, kept := 0, false
	for k := range after {
		if strings.HasPrefix(k, "oidc:github/") {
			exchanged++
		}
		if k == "admin/short" {
			kept = true
		}
	}
	if exchanged != 0 || !kept {
		t.Errorf("after a day: %v; want the exchanged token gone and the minted one kept", after)
	}
}

// faultyOIDCStore fails the OIDC reads and writes the exchange depends on, when armed.
type faultyOIDCStore struct {
	store.Store
	fail *atomic.Value // the method name to fail, or ""
}

var errInjected = errors.New("injected store failure")

func (f faultyOIDCStore) failing(name string) bool { s, _ := f.fail.Load().(string); return s == name }

func (f faultyOIDCStore) ListIssuers(ctx context.Context, org string) ([]store.Issuer, error) {
	if f.failing("ListIssuers") {
		return nil, errInjected
	}
	return f.Store.ListIssuers(ctx, org)
}

func (f faultyOIDCStore) GetIssuerPolicy(ctx context.Context, org, id string) (store.AuthPolicy, error) {
	if f.failing("GetIssuerPolicy") {
		return store.AuthPolicy{}, errInjected
	}
	return f.Store.GetIssuerPolicy(ctx, org, id)
}

func (f faultyOIDCStore) UseTokenID(ctx context.Context, org, issuerID, jti string, exp, now time.Time) (bool, error) {
	if f.failing("UseTokenID") {
		return false, errInjected
	}
	return f.Store.UseTokenID(ctx, org, issuerID, jti, exp, now)
}

func (f faultyOIDCStore) CreateToken(ctx context.Context, t store.Token) error {
	if f.failing("CreateToken") && t.IssuerID != "" {
		return errInjected
	}
	return f.Store.CreateToken(ctx, t)
}

// TestOIDCExchangeFailsClosed: when the server cannot read the issuers or the policy, or
// record the jti or the token, the exchange is a 500 server_error, no token is issued, and the
// failure is audited.
func TestOIDCExchangeFailsClosed(t *testing.T) {
	t.Parallel()
	fail := &atomic.Value{}
	fail.Store("")
	h := start(t, testserver.Options{WrapStore: func(st store.Store) store.Store { return faultyOIDCStore{st, fail} },
		Config: func(c *server.Config) { c.DenialBurst = -1 }})
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(h.builtin("member"), map[string]string{"sub": mainSub})}})
	count := func() int {
		n := 0
		for _, tok := range h.tokens("all") {
			if tok.CreatedBy == "oidc:github" {
				n++
			}
		}
		return n
	}
	for _, method := range []string{"ListIssuers", "GetIssuerPolicy", "UseTokenID", "CreateToken"} {
		fail.Store(method)
		r := h.exchange(exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", ""))
		fail.Store("")
		if r.status != 500 || oauthErr(t, r).Error != "server_error" || strings.Contains(r.String(), "injected") {
			t.Errorf("%s failing: %s, want 500 server_error without internals", method, r)
		}
		h.waitAudit("of the failure in "+method, func(e apitype.AuditLogEvent) bool {
			return e.Decision == "deny" && e.Status == 500 && strings.Contains(e.Reason, "injected store failure")
		})
	}
	if n := count(); n != 0 {
		t.Errorf("%d tokens issued while the store failed", n)
	}
	h.must(200, "POST", "/api/oauth/token", "", exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", "").Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	if n := count(); n != 1 {
		t.Errorf("%d tokens after the store recovered, want 1", n)
	}
}

// TestOIDCDeleteRoleRevokesExchangedTokens: a role held only by exchanged tokens is deleted
// (no 409 until they expire); the delete revokes them at once, named in its audit record. A
// token minted through the API still blocks the delete with the usual 409.
func TestOIDCDeleteRoleRevokesExchangedTokens(t *testing.T) {
	t.Parallel()
	h := start(t, testserver.Options{})
	idp := testoidc.Static(t, ghIssuer)
	_, pol := h.registerStatic("github", idp)
	prod := h.stack("payments", "prod", nil)
	grant := authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}}
	ci := h.grantRole("ci-deployer", grant)
	kept := h.grantRole("kept", grant)
	h.must(200, "PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, h.admin(), apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		allowOrg(ci.ID, map[string]string{"sub": "repo:acme/payments:*"}),
	}})
	var out apitype.TokenExchangeResponse
	for range 2 {
		r := h.exchange(exchangeForm(idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")), "organization", ""))
		if r.status != 200 {
			t.Fatalf("exchange: %s", r)
		}
		r.decode(t, &out)
	}
	h.must(200, "GET", "/api/stacks/acme/payments/prod", out.AccessToken, nil)

	// An API-minted token on the other role still blocks its delete.
	h.token("nightly", kept.ID)
	if r := h.must(409, "DELETE", "/api/orgs/acme/roles/"+kept.ID, h.admin(), nil); !strings.Contains(r.String(), "nightly") {
		t.Errorf("409 does not name the minted token: %s", r)
	}

	h.must(204, "DELETE", "/api/orgs/acme/roles/"+ci.ID, h.admin(), nil)
	h.must(401, "GET", "/api/stacks/acme/payments/prod", out.AccessToken, nil)
	for _, tk := range h.tokens("all") {
		if tk.Role != nil && tk.Role.ID == ci.ID {
			t.Errorf("exchanged token %s of the deleted role is still listed", tk.ID)
		}
	}
	ev := h.waitAudit("of the role delete", func(e apitype.AuditLogEvent) bool {
		return e.Action == "role:delete" && e.Status == 204
	})
	if !strings.Contains(ev.Reason, "revoked the tokens exchanged for OIDC ID tokens") || strings.Count(ev.Reason, ",") != 1 {
		t.Errorf("audit record of the delete: %+v, want the two revoked exchanged tokens named", ev)
	}
}

// TestOIDCIssuerFetchRefusesInternalAddresses: without --oidc-allow-private-issuers the server
// does not fetch from loopback, private or link-local addresses, whether the URL names the
// address or a host name resolving to it (checked when dialling), and never reaches the issuer;
// the 400 names the field and the fix and no address. With the opt-in the same issuer
// registers, and a failed connection is reported without its system error.
func TestOIDCIssuerFetchRefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	idp := testoidc.Discovery(t)
	h := start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs, c.OIDCAllowPrivateIssuers = idp.CertPool, false }})
	u, err := url.Parse(idp.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{
		idp.URL, // https://127.0.0.1:port
		"https://localhost:" + u.Port(),
		"https://169.254.169.254",
		"https://10.0.0.1",
		"https://[::1]:" + u.Port(),
	} {
		for _, pinned := range [][]string{nil, {idp.Thumbprint}} {
			r := h.do("POST", "/api/orgs/acme/oidc/issuers", h.admin(), apitype.RegisterIssuerRequest{Name: "internal", URL: target, Thumbprints: pinned})
			if r.status != 400 {
				t.Errorf("%s (pins %v): %s, want 400", target, pinned, r)
				continue
			}
			e := r.errorBody(t)
			if len(e.Errors) == 0 || e.Errors[0].Attribute != "url" || !strings.Contains(e.Message, "internal address") ||
				!strings.Contains(e.Message, "--oidc-allow-private-issuers") || strings.Contains(e.Message, "dial") || strings.Contains(e.Message, "thumbprints") {
				t.Errorf("%s: %s, want the url named, the fix, and no connection details", target, r)
			}
		}
	}
	if d, j := idp.Fetches(); d != 0 || j != 0 {
		t.Errorf("the issuer was reached %d+%d times although refused", d, j)
	}

	open := start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs = idp.CertPool }}) // the opt-in, as testserver sets it
	open.must(200, "POST", "/api/orgs/acme/oidc/issuers", open.admin(), apitype.RegisterIssuerRequest{Name: "internal", URL: idp.URL})
	closed := "https://127.0.0.1:" + strconv.Itoa(freePort(t))
	r := open.must(400, "POST", "/api/orgs/acme/oidc/issuers", open.admin(), apitype.RegisterIssuerRequest{Name: "closed", URL: closed})
	if s := r.String(); !strings.Contains(s, "connection or TLS handshake failed") || strings.Contains(s, "refused") || strings.Contains(s, "dial") {
		t.Errorf("unreachable issuer: %s, want a failure without system details", r)
	}
}

// freePort is a TCP port on loopback that nothing listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
