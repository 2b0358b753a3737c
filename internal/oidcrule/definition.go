package oidcrule

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// Field is a field of a definition, spelled as in the API's JSON; front ends spell it their
// own way (Problem.Args hold Fields).
type Field string

// The fields of a definition.
const (
	FieldDecision              Field = "decision"
	FieldTokenType             Field = "tokenType"
	FieldRoleID                Field = "roleID"
	FieldTeamName              Field = "teamName"
	FieldUserLogin             Field = "userLogin"
	FieldRunnerID              Field = "runnerID"
	FieldAuthorizedPermissions Field = "authorizedPermissions"
	FieldRules                 Field = "rules"
)

func (f Field) String() string { return string(f) }

var (
	// Decisions and TokenTypes are the values a definition may use.
	Decisions   = []string{apitype.PolicyDecisionAllow, apitype.PolicyDecisionDeny}
	TokenTypes  = []string{apitype.PolicyTokenOrganization, apitype.PolicyTokenTeam, apitype.PolicyTokenPersonal}
	Permissions = []string{"admin", "standard"}
)

// Problem is one thing wrong with a list of definitions: where (Policy -1 is the list itself;
// Elem ≥ 0 an element of authorizedPermissions; Claim a rule's key) and what, as a format whose
// Field arguments each front end spells.
type Problem struct {
	Policy int
	Field  Field
	Elem   int
	Claim  string
	Format string
	Args   []any
}

// Msg is the message with fields spelled as in the API.
func (p Problem) Msg() string { return fmt.Sprintf(p.Format, p.Args...) }

// Path is where the problem is, as in the API's JSON: policies[2].rules["sub"].
func (p Problem) Path() string {
	s := "policies"
	if p.Policy < 0 {
		return s
	}
	s += "[" + strconv.Itoa(p.Policy) + "]." + string(p.Field)
	switch {
	case p.Elem >= 0:
		s += "[" + strconv.Itoa(p.Elem) + "]"
	case p.Claim != "":
		s += "[" + strconv.Quote(p.Claim) + "]"
	}
	return s
}

func (p Problem) Error() string { return p.Path() + ": " + p.Msg() }

// Check validates a policy's definitions without looking anything up: 1 to MaxDefinitions of
// them, known decisions and token types (with the closest valid one), the field each token type
// needs for an allow and no field it does not use, well-formed rules, and an allow that pins a
// claim other than aud and iss (without one every ID token of the issuer matches: for GitHub
// Actions, any repository's workflow in the world). It does not check that the role, team or
// user exists or that the caller may hand it out.
func Check(defs []apitype.AuthPolicyDefinition) []Problem {
	switch n := len(defs); {
	case n == 0:
		return []Problem{{Policy: -1, Elem: -1, Format: "empty: give at least one policy; to refuse every exchange, one deny with no rules (what a new issuer's policy holds)"}}
	case n > MaxDefinitions:
		return []Problem{{Policy: -1, Elem: -1, Format: "%d policies; an issuer has at most %d: merge policies that hand out the same token (rules take * and ? wildcards)", Args: []any{n, MaxDefinitions}}}
	}
	var ps []Problem
	for i, d := range defs {
		ps = append(ps, checkDefinition(i, d)...)
	}
	return ps
}

func checkDefinition(i int, d apitype.AuthPolicyDefinition) []Problem {
	var ps []Problem
	add := func(f Field, format string, args ...any) {
		ps = append(ps, Problem{Policy: i, Field: f, Elem: -1, Format: format, Args: args})
	}
	if !slices.Contains(Decisions, d.Decision) {
		add(FieldDecision, "%s", oneOf(d.Decision, Decisions))
	}
	allow := d.Decision == apitype.PolicyDecisionAllow
	unused := func(f Field, set bool) {
		if set {
			add(f, "not used with %s %q: remove it", FieldTokenType, d.TokenType)
		}
	}
	unused(FieldRunnerID, d.RunnerID != "")
	switch d.TokenType {
	case apitype.PolicyTokenOrganization:
		unused(FieldTeamName, d.TeamName != "")
		unused(FieldUserLogin, d.UserLogin != "")
		if d.RoleID != "" && len(d.AuthorizedPermissions) > 0 {
			add(FieldRoleID, "set either %s or %s, not both", FieldRoleID, FieldAuthorizedPermissions)
		}
		if len(d.AuthorizedPermissions) > 1 {
			add(FieldAuthorizedPermissions, "at most one value: \"admin\" or \"standard\"")
		}
		for j, perm := range d.AuthorizedPermissions {
			if !slices.Contains(Permissions, perm) {
				ps = append(ps, Problem{Policy: i, Field: FieldAuthorizedPermissions, Elem: j, Format: "%s", Args: []any{oneOf(perm, Permissions)}})
			}
		}
	case apitype.PolicyTokenTeam:
		unused(FieldRoleID, d.RoleID != "")
		unused(FieldAuthorizedPermissions, len(d.AuthorizedPermissions) > 0)
		unused(FieldUserLogin, d.UserLogin != "")
		if allow && d.TeamName == "" {
			add(FieldTeamName, "required for a team token: the name of the team whose token the exchange hands out")
		}
	case apitype.PolicyTokenPersonal:
		unused(FieldRoleID, d.RoleID != "")
		unused(FieldAuthorizedPermissions, len(d.AuthorizedPermissions) > 0)
		unused(FieldTeamName, d.TeamName != "")
		if allow && d.UserLogin == "" {
			add(FieldUserLogin, "required for a personal token: the login of the member whose token the exchange hands out")
		}
	case apitype.PolicyTokenRunner:
		add(FieldTokenType, "%q (deployment runners) is not supported by this server: use one of %s", d.TokenType, quoted(TokenTypes))
	default:
		add(FieldTokenType, "%s", oneOf(d.TokenType, TokenTypes))
	}
	switch {
	case len(d.Rules) > MaxRules:
		add(FieldRules, "%d rules; at most %d", len(d.Rules), MaxRules)
		return ps
	case allow && !PinsSomething(d.Rules):
		add(FieldRules, "an allow policy needs a rule that is not only wildcards, on a claim other than aud and iss (every ID token for this organization has the same ones): without one every ID token of the issuer matches (for GitHub Actions, any repository's workflow in the world); add one such as sub = \"repo:acme/payments:ref:refs/heads/main\"")
	}
	for _, claim := range slices.Sorted(maps.Keys(d.Rules)) {
		err := CheckPattern(d.Rules[claim])
		if _, perr := ParsePath(claim); perr != nil {
			err = perr
		}
		if err != nil {
			ps = append(ps, Problem{Policy: i, Field: FieldRules, Elem: -1, Claim: claim, Format: "claim %q: %s", Args: []any{claim, err.Error()}})
		}
	}
	return ps
}

// oneOf says that got is not one of valid, suggesting the closest.
func oneOf(got string, valid []string) string {
	if got == "" {
		return "required: one of " + quoted(valid)
	}
	return fmt.Sprintf("%q is not one of %s%s", got, quoted(valid), authz.Suggest(strings.ToLower(got), valid))
}

func quoted(vs []string) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ", "
		}
		out += strconv.Quote(v)
	}
	return out
}
