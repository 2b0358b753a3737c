package oidcrule

import (
	"maps"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
)

func TestCheck(t *testing.T) {
	allow := apitype.AuthPolicyDefinition{Decision: "allow", TokenType: "organization", RoleID: "r1", Rules: map[string]string{"sub": "repo:acme/payments:ref:refs/heads/main"}}
	for _, c := range []struct {
		name   string
		change func(*apitype.AuthPolicyDefinition)
		want   string // a substring of the first problem; "" for none
	}{
		{"valid", func(*apitype.AuthPolicyDefinition) {}, ""},
		{"admin", func(d *apitype.AuthPolicyDefinition) { d.RoleID, d.AuthorizedPermissions = "", []string{"admin"} }, ""},
		{"default role", func(d *apitype.AuthPolicyDefinition) { d.RoleID = "" }, ""},
		{"team", func(d *apitype.AuthPolicyDefinition) { d.TokenType, d.RoleID, d.TeamName = "team", "", "platform" }, ""},
		{"personal", func(d *apitype.AuthPolicyDefinition) { d.TokenType, d.RoleID, d.UserLogin = "personal", "", "alice" }, ""},
		{"deny of everything", func(d *apitype.AuthPolicyDefinition) { d.Decision, d.RoleID, d.Rules = "deny", "", nil }, ""},
		{"deny of any team", func(d *apitype.AuthPolicyDefinition) { d.Decision, d.TokenType, d.RoleID = "deny", "team", "" }, ""},
		{"nested and quoted claims", func(d *apitype.AuthPolicyDefinition) {
			d.Rules = map[string]string{`"kubernetes.io".pod.name`: "web-*", `"a\"b".c`: "x?", "job_workflow_ref": "acme/*"}
		}, ""},
		{"decision typo", func(d *apitype.AuthPolicyDefinition) { d.Decision = "Alow" }, `policies[0].decision: "Alow" is not one of "allow", "deny"; did you mean "allow"?`},
		{"token type typo", func(d *apitype.AuthPolicyDefinition) { d.TokenType = "organisation" }, `policies[0].tokenType: "organisation" is not one of`},
		{"runner", func(d *apitype.AuthPolicyDefinition) { d.TokenType = "runner" }, `"runner" (deployment runners) is not supported`},
		{"runner ID", func(d *apitype.AuthPolicyDefinition) { d.RunnerID = "x" }, `policies[0].runnerID: not used with tokenType "organization"`},
		{"role and admin", func(d *apitype.AuthPolicyDefinition) { d.AuthorizedPermissions = []string{"admin"} }, "policies[0].roleID: set either roleID or authorizedPermissions, not both"},
		{"two permissions", func(d *apitype.AuthPolicyDefinition) {
			d.RoleID, d.AuthorizedPermissions = "", []string{"admin", "standard"}
		}, "at most one value"},
		{"bad permission", func(d *apitype.AuthPolicyDefinition) { d.RoleID, d.AuthorizedPermissions = "", []string{"admn"} }, `policies[0].authorizedPermissions[0]: "admn" is not one of "admin", "standard"; did you mean "admin"?`},
		{"team with a role", func(d *apitype.AuthPolicyDefinition) { d.TokenType, d.TeamName = "team", "t" }, `policies[0].roleID: not used with tokenType "team"`},
		{"team name", func(d *apitype.AuthPolicyDefinition) { d.TokenType, d.RoleID = "team", "" }, "policies[0].teamName: required for a team token"},
		{"user login", func(d *apitype.AuthPolicyDefinition) { d.TokenType, d.RoleID = "personal", "" }, "policies[0].userLogin: required for a personal token"},
		{"personal with a team", func(d *apitype.AuthPolicyDefinition) {
			d.TokenType, d.RoleID, d.UserLogin, d.TeamName = "personal", "", "a", "t"
		}, "policies[0].teamName: not used"},
		{"no rules", func(d *apitype.AuthPolicyDefinition) { d.Rules = nil }, "policies[0].rules: an allow policy needs a rule that is not only wildcards"},
		{"only wildcards", func(d *apitype.AuthPolicyDefinition) { d.Rules = map[string]string{"sub": "*", "ref": "?*"} }, "not only wildcards"},
		{"only aud and iss", func(d *apitype.AuthPolicyDefinition) {
			d.Rules = map[string]string{"aud": "urn:pulumi:org:acme", "iss": "https://token.actions.githubusercontent.com"}
		}, "on a claim other than aud and iss"},
		{"aud and a wildcard sub", func(d *apitype.AuthPolicyDefinition) {
			d.Rules = map[string]string{"aud": "urn:pulumi:org:acme", "sub": "*"}
		}, "not only wildcards"},
		{"empty pattern", func(d *apitype.AuthPolicyDefinition) { d.Rules["ref"] = "" }, `policies[0].rules["ref"]: claim "ref": empty pattern`},
		{"long pattern", func(d *apitype.AuthPolicyDefinition) { d.Rules["ref"] = strings.Repeat("x", 257) }, "at most 256"},
		{"control in pattern", func(d *apitype.AuthPolicyDefinition) { d.Rules["ref"] = "a\nb" }, "control character"},
		{"bad path", func(d *apitype.AuthPolicyDefinition) { d.Rules["a..b"] = "x" }, `claim "a..b": empty key`},
		{"21 rules", func(d *apitype.AuthPolicyDefinition) {
			for i := range 21 {
				d.Rules[strings.Repeat("k", i+1)] = "x"
			}
		}, "rules: 22 rules; at most 20"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := allow
			d.Rules = maps.Clone(allow.Rules)
			c.change(&d)
			ps := Check([]apitype.AuthPolicyDefinition{d})
			switch {
			case c.want == "" && len(ps) > 0:
				t.Fatalf("got %v, want no problem", ps)
			case c.want != "" && (len(ps) == 0 || !strings.Contains(ps[0].Error(), c.want)):
				t.Fatalf("got %v, want first problem containing %q", ps, c.want)
			}
		})
	}
	many := make([]apitype.AuthPolicyDefinition, MaxDefinitions+1)
	for i := range many {
		many[i] = allow
	}
	if ps := Check(many); len(ps) != 1 || ps[0].Error() != "policies: 41 policies; an issuer has at most 40: merge policies that hand out the same token (rules take * and ? wildcards)" {
		t.Errorf("41 definitions: %v", ps)
	}
	if ps := Check(many[:MaxDefinitions]); len(ps) != 0 {
		t.Errorf("40 definitions: %v", ps)
	}
	if ps := Check(nil); len(ps) != 1 || !strings.HasPrefix(ps[0].Error(), "policies: empty") {
		t.Errorf("none: %v", ps)
	}
}

// FuzzCheckCompiles: whatever one definition holds, Check does not panic, and the rules of a
// definition it accepts compile (the server evaluates what it stored; a stored policy that
// did not compile would refuse every exchange).
func FuzzCheckCompiles(f *testing.F) {
	f.Add("allow", "organization", "r1", "sub", "repo:acme/*", "aud", "urn:pulumi:org:acme")
	f.Add("deny", "team", "", `"a.b".c`, "", "iss", "*")
	f.Add("allow", "personal", "alice", "a..b", "x", "sub", "?")
	f.Fuzz(func(t *testing.T, decision, tokenType, target, k1, p1, k2, p2 string) {
		d := apitype.AuthPolicyDefinition{Decision: decision, TokenType: tokenType, RoleID: target, TeamName: target, UserLogin: target,
			Rules: map[string]string{k1: p1, k2: p2}}
		switch tokenType {
		case apitype.PolicyTokenTeam:
			d.RoleID, d.UserLogin = "", ""
		case apitype.PolicyTokenPersonal:
			d.RoleID, d.TeamName = "", ""
		default:
			d.TeamName, d.UserLogin = "", ""
		}
		if ps := Check([]apitype.AuthPolicyDefinition{d}); len(ps) > 0 {
			for _, p := range ps {
				if p.Path() == "" || p.Msg() == "" {
					t.Fatalf("problem without a path or message: %+v", p)
				}
			}
			return
		}
		if _, err := Compile(d.Rules); err != nil {
			t.Fatalf("Check accepted %+v but its rules do not compile: %v", d, err)
		}
		if d.Decision == apitype.PolicyDecisionAllow && !PinsSomething(d.Rules) {
			t.Fatalf("Check accepted an allow that pins nothing: %+v", d)
		}
	})
}
