package mapping

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/oidcrule"
)

// Policy is one definition of an AuthPolicy: which ID tokens of the issuer (Rules: claim path →
// pattern, all must match) get which token (TokenType with RoleID or AuthorizedPermissions,
// TeamName or UserLogin), or are refused (Decision "deny", which wins over any allow).
type Policy struct {
	Decision              string
	TokenType             string
	RoleID                string
	TeamName              string
	UserLogin             string
	AuthorizedPermissions []string // a set
	Rules                 map[string]string
}

// AuthPolicyArgs are the inputs of an AuthPolicy: the complete list of definitions of one
// issuer's authorization policy.
type AuthPolicyArgs struct {
	Organization string
	IssuerID     string
	Policies     []Policy
}

// AuthPolicyState is an AuthPolicy as the server has it.
type AuthPolicyState struct {
	AuthPolicyArgs
	PolicyID string
	Version  int
}

// maxPolicyLoginLen bounds a personal policy's userLogin.
const maxPolicyLoginLen = 100

// CheckAuthPolicy validates inputs offline: the grammar the server applies (oidcrule.Check: 1 to
// 40 definitions, known decisions and token types with the closest valid one, the field each
// token type needs and no field it does not use, well-formed rules, an allow that pins a claim
// other than aud and iss), and what the providers ask for besides: an organization allow names
// its role (roleId, or authorizedPermissions ["admin"]) rather than fall back on the default,
// and team names and logins are well-formed.
func CheckAuthPolicy(a AuthPolicyArgs) Problems {
	var ps Problems
	if strings.TrimSpace(a.IssuerID) == "" {
		ps = append(ps, problem(Root(FieldIssuerID), "required: the ID of the OidcIssuer whose policy this is"))
	}
	// What is wrong with each definition, in field order: the server's grammar on the fields,
	// the providers' own checks, then the rules.
	fields, rules := map[int]Problems{}, map[int]Problems{}
	for _, p := range oidcrule.Check(policyDefinitions(a.Policies)) {
		switch {
		case p.Policy < 0:
			ps = append(ps, ruleProblem(p))
		case p.Field == oidcrule.FieldRules:
			rules[p.Policy] = append(rules[p.Policy], ruleProblem(p))
		default:
			fields[p.Policy] = append(fields[p.Policy], ruleProblem(p))
		}
	}
	for i, pol := range a.Policies {
		ps = append(ps, fields[i]...)
		ps = append(ps, providerChecks(Root(FieldPolicies).At(i), pol)...)
		ps = append(ps, rules[i]...)
	}
	return ps
}

// providerChecks are what the providers ask of a definition beyond the server's grammar.
func providerChecks(at Path, pol Policy) Problems {
	var ps Problems
	if pol.Decision == apitype.PolicyDecisionAllow {
		switch pol.TokenType {
		case apitype.PolicyTokenOrganization:
			if pol.RoleID == "" && len(pol.AuthorizedPermissions) == 0 {
				ps = append(ps, problem(at.Dot(FieldRoleID), "required for an organization token: the ID of the role the token gets (a CustomRole's roleId; the built-in member role's ID for the default), or %s [\"admin\"]", FieldAuthorizedPermissions))
			}
		case apitype.PolicyTokenTeam:
			if pol.TeamName != "" {
				ps = append(ps, checkTeamName(at.Dot(FieldTeamName), pol.TeamName)...)
			}
		case apitype.PolicyTokenPersonal:
			if n := utf8.RuneCountInString(pol.UserLogin); n > maxPolicyLoginLen {
				ps = append(ps, problem(at.Dot(FieldUserLogin), "%d characters; at most %d", n, maxPolicyLoginLen))
			}
		}
	}
	return ps
}

// ruleFields spell oidcrule's fields as mapping does.
var ruleFields = map[oidcrule.Field]Field{
	oidcrule.FieldDecision: FieldDecision, oidcrule.FieldTokenType: FieldTokenType, oidcrule.FieldRoleID: FieldRoleID,
	oidcrule.FieldTeamName: FieldTeamName, oidcrule.FieldUserLogin: FieldUserLogin, oidcrule.FieldRunnerID: FieldTokenType,
	oidcrule.FieldAuthorizedPermissions: FieldAuthorizedPermissions, oidcrule.FieldRules: FieldRules,
}

// ruleProblem is an oidcrule problem at its path, its field arguments spelled by each front end;
// a rule's problem is on the rules (its message names the claim).
func ruleProblem(p oidcrule.Problem) Problem {
	at := Root(FieldPolicies)
	if p.Policy >= 0 {
		at = at.At(p.Policy).Dot(ruleFields[p.Field])
		if p.Elem >= 0 {
			at = at.At(p.Elem)
		}
	}
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		if f, ok := a.(oidcrule.Field); ok {
			a = ruleFields[f]
		}
		args[i] = a
	}
	return problem(at, p.Format, args...)
}

// CheckAuthPolicyWithUnknowns is CheckAuthPolicy at preview/plan: values not known yet (say,
// the ID of an issuer or role created in the same run) get stand-ins, and the problems they
// could cause are dropped.
func CheckAuthPolicyWithUnknowns(a AuthPolicyArgs, u Unknowns) Problems {
	a.IssuerID = u.name(FieldIssuerID, a.IssuerID)
	if u.Has(Root(FieldPolicies)) {
		return u.Drop(CheckAuthPolicy(AuthPolicyArgs{IssuerID: a.IssuerID, Policies: []Policy{{Decision: "deny", TokenType: "organization"}}}))
	}
	pols := make([]Policy, len(a.Policies))
	for i, pol := range a.Policies {
		at := Root(FieldPolicies).At(i)
		fill := func(f Field, v string) string {
			if u.Has(at.Dot(f)) {
				return standInName
			}
			return v
		}
		pol.RoleID = fill(FieldRoleID, pol.RoleID)
		pol.TeamName = fill(FieldTeamName, pol.TeamName)
		pol.UserLogin = fill(FieldUserLogin, pol.UserLogin)
		pol.AuthorizedPermissions = u.list(at.Dot(FieldAuthorizedPermissions), pol.AuthorizedPermissions, "admin")
		pols[i] = pol
	}
	a.Policies = pols
	return u.Drop(CheckAuthPolicy(a))
}

// NormalizePolicy puts a definition in canonical form: authorizedPermissions sorted and unique,
// no rules as an empty map.
func NormalizePolicy(pol Policy) Policy {
	pol.AuthorizedPermissions = SortedUnique(pol.AuthorizedPermissions)
	if len(pol.AuthorizedPermissions) == 0 {
		pol.AuthorizedPermissions = nil
	}
	if pol.Rules == nil {
		pol.Rules = map[string]string{}
	}
	return pol
}

// SamePolicies compares two lists of definitions in order, each canonically.
func SamePolicies(a, b []Policy) bool {
	return slices.EqualFunc(a, b, func(x, y Policy) bool {
		x, y = NormalizePolicy(x), NormalizePolicy(y)
		return x.Decision == y.Decision && x.TokenType == y.TokenType && x.RoleID == y.RoleID && x.TeamName == y.TeamName &&
			x.UserLogin == y.UserLogin && slices.Equal(x.AuthorizedPermissions, y.AuthorizedPermissions) && maps.Equal(x.Rules, y.Rules)
	})
}

func policyDefinitions(pols []Policy) []apitype.AuthPolicyDefinition {
	out := make([]apitype.AuthPolicyDefinition, len(pols))
	for i, pol := range pols {
		pol = NormalizePolicy(pol)
		out[i] = apitype.AuthPolicyDefinition{Decision: pol.Decision, TokenType: pol.TokenType, RoleID: pol.RoleID, TeamName: pol.TeamName,
			UserLogin: pol.UserLogin, AuthorizedPermissions: pol.AuthorizedPermissions, Rules: pol.Rules}
	}
	return out
}

func policiesOf(defs []apitype.AuthPolicyDefinition) []Policy {
	out := make([]Policy, len(defs))
	for i, d := range defs {
		out[i] = NormalizePolicy(Policy{Decision: d.Decision, TokenType: d.TokenType, RoleID: d.RoleID, TeamName: d.TeamName,
			UserLogin: d.UserLogin, AuthorizedPermissions: d.AuthorizedPermissions, Rules: maps.Clone(d.Rules)})
	}
	return out
}

// denyAll is what a new issuer's policy holds and what deleting an AuthPolicy puts back: one deny
// that matches every ID token.
var denyAll = []apitype.AuthPolicyDefinition{{Decision: apitype.PolicyDecisionDeny, TokenType: apitype.PolicyTokenOrganization, Rules: map[string]string{}}}

// allowsAny reports whether a policy hands out any token.
func allowsAny(defs []apitype.AuthPolicyDefinition) bool {
	return slices.ContainsFunc(defs, func(d apitype.AuthPolicyDefinition) bool { return d.Decision != apitype.PolicyDecisionDeny })
}

func (p *Provider) issuerPolicy(ctx context.Context, org, issuerID string) (*apitype.AuthPolicy, bool, error) {
	pol, err := p.client.GetAuthPolicyForIssuer(ctx, org, issuerID)
	if client.IsRecordNotFound(err, issuerResource, policyResource) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, apiErr("read the authorization policy of OIDC issuer "+issuerID, err)
	}
	return pol, true, nil
}

// policyResource is the `resource` of the server's not-found answer for an auth policy.
const policyResource = "authPolicy"

// CreateAuthPolicy sets the policy of the issuer, which exists since the issuer was registered
// (as a deny-all): it is taken over when it allows nothing, and refused (import it instead) when
// it allows exchanges that this program did not set.
func (p *Provider) CreateAuthPolicy(ctx context.Context, a AuthPolicyArgs) (AuthPolicyState, error) {
	if err := CheckAuthPolicy(a).Err(); err != nil {
		return AuthPolicyState{}, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return AuthPolicyState{}, err
	}
	cur, found, err := p.issuerPolicy(ctx, org, a.IssuerID)
	if err != nil {
		return AuthPolicyState{}, err
	}
	if !found {
		return AuthPolicyState{}, Problems{problem(Root(FieldIssuerID), "no OIDC issuer %q in organization %s: give an OidcIssuer's issuerId", a.IssuerID, org)}
	}
	if allowsAny(cur.Policies) && !SamePolicies(policiesOf(cur.Policies), a.Policies) {
		return AuthPolicyState{}, errorf(nil, "the authorization policy of OIDC issuer %s already allows exchanges (version %d, set elsewhere): import it with the ID %s instead of creating it",
			a.IssuerID, cur.Version, ResourceID(org, a.IssuerID))
	}
	return p.writePolicy(ctx, org, cur.ID, a)
}

func (p *Provider) writePolicy(ctx context.Context, org, policyID string, a AuthPolicyArgs) (AuthPolicyState, error) {
	pol, err := p.client.UpdateAuthPolicy(ctx, org, policyID, apitype.UpdateAuthPolicyRequest{Policies: policyDefinitions(a.Policies)})
	if err != nil {
		return AuthPolicyState{}, apiErr("set the authorization policy of OIDC issuer "+a.IssuerID, err)
	}
	st := AuthPolicyState{AuthPolicyArgs: a, PolicyID: pol.ID, Version: pol.Version}
	if !SamePolicies(policiesOf(pol.Policies), a.Policies) {
		st.Policies = policiesOf(pol.Policies) // the server changed something: show it
	}
	return st, nil
}

// ReadAuthPolicy reads the issuer's policy; found is false when the issuer is gone. Prior
// definitions are kept when they mean what the server has (no drift).
func (p *Provider) ReadAuthPolicy(ctx context.Context, orgOverride, issuerID string, prior []Policy) (st AuthPolicyState, found bool, err error) {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return AuthPolicyState{}, false, err
	}
	pol, found, err := p.issuerPolicy(ctx, org, issuerID)
	if err != nil || !found {
		return AuthPolicyState{}, false, err
	}
	st = AuthPolicyState{AuthPolicyArgs: AuthPolicyArgs{Organization: orgOverride, IssuerID: issuerID, Policies: policiesOf(pol.Policies)}, PolicyID: pol.ID, Version: pol.Version}
	if prior != nil && SamePolicies(prior, st.Policies) {
		st.Policies = prior
	}
	return st, true, nil
}

// UpdateAuthPolicy writes the definitions when they differ from old.
func (p *Provider) UpdateAuthPolicy(ctx context.Context, old AuthPolicyState, a AuthPolicyArgs) (AuthPolicyState, error) {
	if err := CheckAuthPolicy(a).Err(); err != nil {
		return old, err
	}
	if SamePolicies(old.Policies, a.Policies) {
		st := old
		st.Policies = a.Policies
		return st, nil
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return old, err
	}
	return p.writePolicy(ctx, org, old.PolicyID, a)
}

// DeleteAuthPolicy puts the issuer's policy back to the deny-all a new issuer has (the policy
// itself lives as long as its issuer). An issuer already gone is fine.
func (p *Provider) DeleteAuthPolicy(ctx context.Context, st AuthPolicyState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	cur, found, err := p.issuerPolicy(ctx, org, st.IssuerID)
	if err != nil || !found {
		return err
	}
	_, err = p.client.UpdateAuthPolicy(ctx, org, cur.ID, apitype.UpdateAuthPolicyRequest{Policies: denyAll})
	if err != nil && !client.IsRecordNotFound(err, issuerResource, policyResource) {
		return apiErr("reset the authorization policy of OIDC issuer "+st.IssuerID+" to deny-all", err)
	}
	return nil
}

// AuthPolicyChanges decides what a change of inputs means: another organization or issuer
// replaces the AuthPolicy; the definitions (compared in order, each canonically) are updated in
// place.
func AuthPolicyChanges(old AuthPolicyState, a AuthPolicyArgs) (update, replace []Field) {
	if old.Organization != a.Organization {
		replace = append(replace, FieldOrganization)
	}
	if old.IssuerID != a.IssuerID {
		replace = append(replace, FieldIssuerID)
	}
	if !SamePolicies(old.Policies, a.Policies) {
		update = append(update, FieldPolicies)
	}
	return update, replace
}

// CheckAuthPolicyRefs looks up, read-only, what the inputs name and the server must know: the
// issuer, and each allow's role, team or member, except values not known yet (u), so that a typo
// fails the preview or plan instead of the apply. What is missing is a Problem at its path; a
// failed lookup is the API's error (the preview fails rather than guess). Without an access
// token nothing is looked up (the apply says so).
func (p *Provider) CheckAuthPolicyRefs(ctx context.Context, a AuthPolicyArgs, u Unknowns) error {
	if u.Has(Root(FieldOrganization)) || u.Has(Root(FieldPolicies)) || p.ready() != nil {
		return nil
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return nil // the create says so
	}
	var ps Problems
	if a.IssuerID != "" && !u.Has(Root(FieldIssuerID)) {
		_, err := p.client.GetOIDCIssuer(ctx, org, a.IssuerID)
		switch {
		case client.IsRecordNotFound(err, issuerResource):
			ps = append(ps, problem(Root(FieldIssuerID), "no OIDC issuer %q in organization %s: give an OidcIssuer's issuerId", a.IssuerID, org))
		case err != nil:
			return apiErr("look up OIDC issuer "+a.IssuerID, err)
		}
	}
	var members []string // logins, listed once
	for i, pol := range a.Policies {
		at := Root(FieldPolicies).At(i)
		if pol.Decision != apitype.PolicyDecisionAllow || u.Has(at) {
			continue
		}
		switch {
		case pol.TokenType == apitype.PolicyTokenOrganization && pol.RoleID != "" && !u.Has(at.Dot(FieldRoleID)):
			r, err := p.client.GetRole(ctx, org, pol.RoleID)
			switch {
			case client.IsRecordNotFound(err, recordResource):
				ps = append(ps, problem(at.Dot(FieldRoleID), "no role with ID %q in organization %s: give a CustomRole's roleId", pol.RoleID, org))
			case err != nil:
				return apiErr("look up role "+pol.RoleID, err)
			case r.UXPurpose != apitype.UXPurposeRole:
				ps = append(ps, problem(at.Dot(FieldRoleID), "%q is a %s, not a role", pol.RoleID, r.UXPurpose))
			}
		case pol.TokenType == apitype.PolicyTokenTeam && pol.TeamName != "" && !u.Has(at.Dot(FieldTeamName)):
			_, err := p.client.GetTeam(ctx, org, pol.TeamName)
			switch {
			case client.IsRecordNotFound(err, teamResource):
				ps = append(ps, problem(at.Dot(FieldTeamName), "no team %q in organization %s (names are case-sensitive)", pol.TeamName, org))
			case err != nil:
				return apiErr("look up team "+pol.TeamName, err)
			}
		case pol.TokenType == apitype.PolicyTokenPersonal && pol.UserLogin != "" && !u.Has(at.Dot(FieldUserLogin)):
			if members == nil {
				ms, err := p.client.ListMembers(ctx, org)
				if err != nil {
					return apiErr("list members", err)
				}
				members = []string{}
				for _, m := range ms {
					members = append(members, m.User.GitHubLogin)
				}
			}
			if !slices.Contains(members, pol.UserLogin) {
				ps = append(ps, problem(at.Dot(FieldUserLogin), "%q is not a member of organization %s%s", pol.UserLogin, org, authz.Suggest(pol.UserLogin, members)))
			}
		}
	}
	return ps.Err()
}
