package mapping

import (
	"strings"
	"testing"
)

const testJWKS = `{"keys":[{"kty":"RSA","kid":"k1","n":"sXch","e":"AQAB"}]}`

func TestCheckOidcIssuer(t *testing.T) {
	ok := OidcIssuerArgs{Name: "github", URL: "https://token.actions.githubusercontent.com"}
	tp := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name   string
		change func(*OidcIssuerArgs)
		want   string // "" = valid
	}{
		{"valid", func(*OidcIssuerArgs) {}, ""},
		{"static keys", func(a *OidcIssuerArgs) { a.JWKS = testJWKS; a.MaxExpiration = "2h" }, ""},
		{"thumbprints", func(a *OidcIssuerArgs) { a.Thumbprints = []string{tp, strings.ToUpper(tp)} }, ""},
		{"no name", func(a *OidcIssuerArgs) { a.Name = " " }, "name: required"},
		{"long name", func(a *OidcIssuerArgs) { a.Name = strings.Repeat("x", 51) }, "name: 51 characters; issuer names are at most 50"},
		{"no url", func(a *OidcIssuerArgs) { a.URL = "" }, "url: required"},
		{"http", func(a *OidcIssuerArgs) { a.URL = "http://issuer.example" }, "must be https://"},
		{"query", func(a *OidcIssuerArgs) { a.URL = "https://issuer.example/?a=b" }, "no query"},
		{"jwks not json", func(a *OidcIssuerArgs) { a.JWKS = "{keys" }, "jwks: not a JSON Web Key Set"},
		{"jwks empty", func(a *OidcIssuerArgs) { a.JWKS = `{"keys":[]}` }, "jwks: no RS256 or ES256 signing key"},
		{"jwks of encryption keys", func(a *OidcIssuerArgs) { a.JWKS = `{"keys":[{"kty":"RSA","use":"enc"},{"kty":"EC","alg":"ES384"}]}` }, "no RS256 or ES256 signing key"},
		{"jwks symmetric", func(a *OidcIssuerArgs) { a.JWKS = `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}` }, "private or symmetric"},
		{"jwks huge", func(a *OidcIssuerArgs) {
			a.JWKS = `{"keys":[` + strings.Repeat(`{"kty":"RSA"},`, 101) + `{"kty":"RSA"}]}`
		}, "102 keys; at most 100"},
		{"jwks no kty", func(a *OidcIssuerArgs) { a.JWKS = `{"keys":[{"kid":"a"}]}` }, `keys[0] has no "kty"`},
		{"jwks private", func(a *OidcIssuerArgs) { a.JWKS = `{"keys":[{"kty":"RSA","d":"secret"}]}` }, "is a private or symmetric key"},
		{"jwks and thumbprints", func(a *OidcIssuerArgs) { a.JWKS = testJWKS; a.Thumbprints = []string{tp} }, "thumbprints: pin the TLS certificate of a discovered issuer"},
		{"empty thumbprints", func(a *OidcIssuerArgs) { a.Thumbprints = []string{} }, "thumbprints: empty"},
		{"sha1 thumbprint", func(a *OidcIssuerArgs) { a.Thumbprints = []string{strings.Repeat("a", 40)} }, "thumbprints[0]: \"aaaa"},
		{"colons", func(a *OidcIssuerArgs) { a.Thumbprints = []string{strings.TrimSuffix(strings.Repeat("AB:", 32), ":")} }, ""},
		{"not hex", func(a *OidcIssuerArgs) { a.Thumbprints = []string{strings.Repeat("g", 64)} }, "hex digits only"},
		{"bad duration", func(a *OidcIssuerArgs) { a.MaxExpiration = "2 hours" }, "maxExpiration: \"2 hours\": want a duration"},
		{"too short", func(a *OidcIssuerArgs) { a.MaxExpiration = "30s" }, "at least 1m"},
		{"too long", func(a *OidcIssuerArgs) { a.MaxExpiration = "8d" }, "at most 168h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := ok
			c.change(&a)
			got := CheckOidcIssuer(a).Error()
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestOidcIssuerChanges(t *testing.T) {
	tp1, tp2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	old := OidcIssuerState{OidcIssuerArgs: OidcIssuerArgs{Name: "gh", URL: "https://a.example", Thumbprints: []string{tp1, tp2}, MaxExpiration: "25h"}, IssuerID: "i"}
	static := old
	static.JWKS, static.Thumbprints = testJWKS, nil
	for _, c := range []struct {
		name            string
		old             OidcIssuerState
		in              OidcIssuerArgs
		update, replace string
	}{
		{"not given: the server's", old, OidcIssuerArgs{Name: "gh", URL: "https://a.example"}, "", ""},
		{"same set, other order and case", old, OidcIssuerArgs{Name: "gh", URL: "https://a.example", Thumbprints: []string{strings.ToUpper(tp2), tp1}, MaxExpiration: "1500m"}, "", ""},
		{"colons", old, OidcIssuerArgs{Name: "gh", URL: "https://a.example", Thumbprints: []string{tp1, strings.TrimSuffix(strings.Repeat("cd:", 32), ":")}}, "", ""},
		{"thumbprints", old, OidcIssuerArgs{Name: "gh", URL: "https://a.example", Thumbprints: []string{tp1}}, "thumbprints", ""},
		{"name and max", old, OidcIssuerArgs{Name: "github", URL: "https://a.example", MaxExpiration: "2h"}, "name maxExpiration", ""},
		{"url", old, OidcIssuerArgs{Name: "gh", URL: "https://b.example"}, "", "url"},
		{"to static", old, OidcIssuerArgs{Name: "gh", URL: "https://a.example", JWKS: testJWKS}, "", "jwks"},
		{"keys reformatted", static, OidcIssuerArgs{Name: "gh", URL: "https://a.example", JWKS: "{ \"keys\": [ {\"e\":\"AQAB\",\"n\":\"sXch\",\"kid\":\"k1\",\"kty\":\"RSA\"} ] }"}, "", ""},
		{"new keys", static, OidcIssuerArgs{Name: "gh", URL: "https://a.example", JWKS: `{"keys":[{"kty":"EC","kid":"k2"}]}`}, "jwks", ""},
		{"org", old, OidcIssuerArgs{Organization: "other", Name: "gh", URL: "https://a.example"}, "", "organization"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, r := OidcIssuerChanges(c.old, c.in)
			if got := joinFields(u); got != c.update {
				t.Errorf("update %q, want %q", got, c.update)
			}
			if got := joinFields(r); got != c.replace {
				t.Errorf("replace %q, want %q", got, c.replace)
			}
		})
	}
}

func joinFields(fs []Field) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f))
	}
	return strings.Join(s, " ")
}

func TestCheckAuthPolicy(t *testing.T) {
	allow := Policy{Decision: "allow", TokenType: "organization", RoleID: "r1", Rules: map[string]string{"sub": "repo:acme/payments:ref:refs/heads/main"}}
	for _, c := range []struct {
		name   string
		change func(*Policy)
		want   string
	}{
		{"valid", func(*Policy) {}, ""},
		{"admin", func(p *Policy) { p.RoleID = ""; p.AuthorizedPermissions = []string{"admin"} }, ""},
		{"team", func(p *Policy) { p.TokenType, p.RoleID, p.TeamName = "team", "", "platform" }, ""},
		{"personal", func(p *Policy) { p.TokenType, p.RoleID, p.UserLogin = "personal", "", "alice" }, ""},
		{"deny without rules or role", func(p *Policy) { p.Decision, p.RoleID, p.Rules = "deny", "", nil }, ""},
		{"deny of any team", func(p *Policy) { p.Decision, p.TokenType, p.RoleID = "deny", "team", "" }, ""},
		{"deny of any user", func(p *Policy) { p.Decision, p.TokenType, p.RoleID = "deny", "personal", "" }, ""},
		{"nested and quoted claims", func(p *Policy) {
			p.Rules = map[string]string{`"kubernetes.io".pod.name`: "web-*", `"a\"b".c`: "x?", "job_workflow_ref": "acme/*"}
		}, ""},
		{"decision typo", func(p *Policy) { p.Decision = "alow" }, `policies[0].decision: "alow" is not one of "allow", "deny"; did you mean "allow"?`},
		{"token type typo", func(p *Policy) { p.TokenType = "organisation" }, `did you mean "organization"?`},
		{"runner", func(p *Policy) { p.TokenType = "runner" }, `"runner" (deployment runners) is not supported`},
		{"no role", func(p *Policy) { p.RoleID = "" }, "policies[0].roleId: required for an organization token"},
		{"role and admin", func(p *Policy) { p.AuthorizedPermissions = []string{"admin"} }, "set either roleId or authorizedPermissions, not both"},
		{"bad permission", func(p *Policy) { p.RoleID = ""; p.AuthorizedPermissions = []string{"admn"} }, `authorizedPermissions[0]: "admn" is not one of "admin", "standard"; did you mean "admin"?`},
		{"team without name", func(p *Policy) { p.TokenType = "team" }, "policies[0].roleId: not used with tokenType \"team\""},
		{"team name", func(p *Policy) { p.TokenType, p.RoleID = "team", "" }, "teamName: required for a team token"},
		{"user login", func(p *Policy) { p.TokenType, p.RoleID = "personal", "" }, "userLogin: required for a personal token"},
		{"no rules", func(p *Policy) { p.Rules = nil }, "policies[0].rules: an allow policy needs a rule that is not only wildcards"},
		{"only wildcards", func(p *Policy) { p.Rules = map[string]string{"sub": "*", "aud": "?*"} }, "not only wildcards"},
		{"only the audience", func(p *Policy) {
			p.Rules = map[string]string{"aud": "urn:pulumi:org:acme", "iss": "https://token.actions.githubusercontent.com"}
		}, "on a claim other than aud and iss"},
		{"empty pattern", func(p *Policy) { p.Rules["ref"] = "" }, `claim "ref": empty pattern`},
		{"long pattern", func(p *Policy) { p.Rules["ref"] = strings.Repeat("x", 257) }, "at most 256"},
		{"empty key", func(p *Policy) { p.Rules["a..b"] = "x" }, `claim "a..b": empty key`},
		{"trailing dot", func(p *Policy) { p.Rules["a."] = "x" }, "trailing dot"},
		{"unbalanced quote", func(p *Policy) { p.Rules[`"a.b`] = "x" }, "unbalanced quote"},
		{"quote inside key", func(p *Policy) { p.Rules[`a"b`] = "x" }, "a quote may only open a quoted key"},
		{"quoted then text", func(p *Policy) { p.Rules[`"a"b`] = "x" }, "must be followed by a dot"},
		{"deep", func(p *Policy) { p.Rules["a.b.c.d.e.f.g.h.i.j.k"] = "x" }, "more than 10 keys"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := allow
			p.Rules = map[string]string{}
			for k, v := range allow.Rules {
				p.Rules[k] = v
			}
			c.change(&p)
			got := CheckAuthPolicy(AuthPolicyArgs{IssuerID: "i", Policies: []Policy{p}}).Error()
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	many := make([]Policy, 41)
	for i := range many {
		many[i] = allow
	}
	if got := CheckAuthPolicy(AuthPolicyArgs{IssuerID: "i", Policies: many}).Error(); !strings.Contains(got, "policies: 41 policies; an issuer has at most 40") {
		t.Errorf("41 policies: %q", got)
	}
	if got := CheckAuthPolicy(AuthPolicyArgs{}).Error(); !strings.Contains(got, "issuerId: required") || !strings.Contains(got, "policies: empty") {
		t.Errorf("nothing: %q", got)
	}
}

func TestCheckAuthPolicyWithUnknowns(t *testing.T) {
	a := AuthPolicyArgs{Policies: []Policy{{Decision: "allow", TokenType: "organization", Rules: map[string]string{"sub": "repo:acme/x:*"}}}}
	var u Unknowns
	u.Add(Root(FieldIssuerID))
	u.Add(Root(FieldPolicies).At(0).Dot(FieldRoleID))
	if ps := CheckAuthPolicyWithUnknowns(a, u); len(ps) > 0 {
		t.Fatalf("unknown issuer and role: %v", ps)
	}
	a.Policies[0].Decision = "maybe"
	if ps := CheckAuthPolicyWithUnknowns(a, u); len(ps) != 1 || !strings.Contains(ps.Error(), "decision") {
		t.Fatalf("a known bad decision beside unknowns: %v", ps)
	}
}

func TestSamePolicies(t *testing.T) {
	a := []Policy{{Decision: "allow", TokenType: "organization", AuthorizedPermissions: []string{"admin", "admin"}, Rules: map[string]string{"sub": "x"}}, {Decision: "deny", TokenType: "organization"}}
	b := []Policy{{Decision: "allow", TokenType: "organization", AuthorizedPermissions: []string{"admin"}, Rules: map[string]string{"sub": "x"}}, {Decision: "deny", TokenType: "organization", Rules: map[string]string{}}}
	if !SamePolicies(a, b) {
		t.Error("canonically equal definitions differ")
	}
	if SamePolicies(a, []Policy{b[1], b[0]}) {
		t.Error("order is ignored")
	}
	b[0].Rules["sub"] = "y"
	if SamePolicies(a, b) {
		t.Error("a changed rule is ignored")
	}
}

func TestFormatSeconds(t *testing.T) {
	for s, want := range map[int64]string{90000: "25h", 5400: "90m", 3601: "3601s", 0: "0s"} {
		if got := FormatSeconds(s); got != want {
			t.Errorf("%d: %q, want %q", s, got, want)
		}
	}
}
