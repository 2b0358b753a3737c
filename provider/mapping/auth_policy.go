package mapping

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
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

// Limits and values of policy definitions.
const (
	maxRules          = 20
	maxRulePattern    = 256
	maxClaimPath      = 256
	maxClaimKeys      = 10
	maxPolicyLoginLen = 100
)

var (
	policyDecisions  = []string{apitype.PolicyDecisionAllow, apitype.PolicyDecisionDeny}
	policyTokenTypes = []string{apitype.PolicyTokenOrganization, apitype.PolicyTokenTeam, apitype.PolicyTokenPersonal}
	policyPerms      = []string{"admin", "standard"}
)

// CheckAuthPolicy validates inputs offline: 1 to 40 definitions, known decisions and token types
// (with the closest valid one), the field each token type needs and no field it does not use,
// and well-formed rules. An allow needs rules (without them every ID token of the issuer would
// match: for GitHub Actions, any repository's workflow) and, for an organization token, a role
// (roleId, or authorizedPermissions ["admin"]).
func CheckAuthPolicy(a AuthPolicyArgs) Problems {
	var ps Problems
	if strings.TrimSpace(a.IssuerID) == "" {
		ps = append(ps, problem(Root(FieldIssuerID), "required: the ID of the OidcIssuer whose policy this is"))
	}
	switch n := len(a.Policies); {
	case n == 0:
		ps = append(ps, problem(Root(FieldPolicies), "empty: give at least one policy (to refuse every exchange, delete the AuthPolicy: the issuer's policy goes back to deny-all)"))
	case n > apitype.MaxAuthPolicies:
		ps = append(ps, problem(Root(FieldPolicies), "%d policies; an issuer has at most %d: merge policies that hand out the same token (rules take * and ? wildcards)", n, apitype.MaxAuthPolicies))
	}
	for i, pol := range a.Policies {
		ps = append(ps, checkPolicy(Root(FieldPolicies).At(i), pol)...)
	}
	return ps
}

func checkPolicy(at Path, pol Policy) Problems {
	var ps Problems
	if !slices.Contains(policyDecisions, pol.Decision) {
		ps = append(ps, problem(at.Dot(FieldDecision), "%s", oneOf(pol.Decision, policyDecisions)))
	}
	allow := pol.Decision == apitype.PolicyDecisionAllow
	unused := func(f Field, set bool) {
		if set {
			ps = append(ps, problem(at.Dot(f), "not used with %s %q: remove it", FieldTokenType, pol.TokenType))
		}
	}
	switch pol.TokenType {
	case apitype.PolicyTokenOrganization:
		unused(FieldTeamName, pol.TeamName != "")
		unused(FieldUserLogin, pol.UserLogin != "")
		switch {
		case pol.RoleID != "" && len(pol.AuthorizedPermissions) > 0:
			ps = append(ps, problem(at.Dot(FieldRoleID), "set either %s or %s, not both", FieldRoleID, FieldAuthorizedPermissions))
		case allow && pol.RoleID == "" && len(pol.AuthorizedPermissions) == 0:
			ps = append(ps, problem(at.Dot(FieldRoleID), "required for an organization token: the ID of the role the token gets (a CustomRole's roleId; the built-in member role's ID for the default), or %s [\"admin\"]", FieldAuthorizedPermissions))
		}
		if len(pol.AuthorizedPermissions) > 1 {
			ps = append(ps, problem(at.Dot(FieldAuthorizedPermissions), "at most one value: \"admin\" or \"standard\""))
		}
		for j, perm := range pol.AuthorizedPermissions {
			if !slices.Contains(policyPerms, perm) {
				ps = append(ps, problem(at.Dot(FieldAuthorizedPermissions).At(j), "%s", oneOf(perm, policyPerms)))
			}
		}
	case apitype.PolicyTokenTeam:
		unused(FieldRoleID, pol.RoleID != "")
		unused(FieldAuthorizedPermissions, len(pol.AuthorizedPermissions) > 0)
		unused(FieldUserLogin, pol.UserLogin != "")
		switch {
		case pol.TeamName == "" && allow:
			ps = append(ps, problem(at.Dot(FieldTeamName), "required for a team token: the name of the team whose token the exchange hands out"))
		case pol.TeamName != "":
			ps = append(ps, checkTeamName(at.Dot(FieldTeamName), pol.TeamName)...)
		}
	case apitype.PolicyTokenPersonal:
		unused(FieldRoleID, pol.RoleID != "")
		unused(FieldAuthorizedPermissions, len(pol.AuthorizedPermissions) > 0)
		unused(FieldTeamName, pol.TeamName != "")
		switch n := utf8.RuneCountInString(pol.UserLogin); {
		case strings.TrimSpace(pol.UserLogin) == "" && allow:
			ps = append(ps, problem(at.Dot(FieldUserLogin), "required for a personal token: the login of the member whose token the exchange hands out"))
		case n > maxPolicyLoginLen:
			ps = append(ps, problem(at.Dot(FieldUserLogin), "%d characters; at most %d", n, maxPolicyLoginLen))
		}
	case apitype.PolicyTokenRunner:
		ps = append(ps, problem(at.Dot(FieldTokenType), "%q (deployment runners) is not supported by this server: use one of %s", pol.TokenType, quoted(policyTokenTypes)))
	default:
		ps = append(ps, problem(at.Dot(FieldTokenType), "%s", oneOf(pol.TokenType, policyTokenTypes)))
	}
	rules := at.Dot(FieldRules)
	switch {
	case allow && !pinsSomething(pol.Rules):
		ps = append(ps, problem(rules, "an allow policy needs a rule that is not only wildcards, on a claim other than aud and iss (every ID token for this organization has the same ones): without one every ID token of the issuer matches (for GitHub Actions, any repository's workflow in the world); add one such as sub = \"repo:acme/payments:ref:refs/heads/main\""))
	case len(pol.Rules) > maxRules:
		ps = append(ps, problem(rules, "%d rules; at most %d", len(pol.Rules), maxRules))
	}
	for _, claim := range slices.Sorted(maps.Keys(pol.Rules)) {
		if msg := CheckClaimPath(claim); msg != "" {
			ps = append(ps, problem(rules, "claim %q: %s", claim, msg))
		}
		switch pat := pol.Rules[claim]; {
		case pat == "":
			ps = append(ps, problem(rules, "claim %q: empty pattern; use \"*\" to accept any value, or remove the rule", claim))
		case len(pat) > maxRulePattern:
			ps = append(ps, problem(rules, "claim %q: the pattern is %d bytes; at most %d", claim, len(pat), maxRulePattern))
		case strings.ContainsFunc(pat, unicode.IsControl):
			ps = append(ps, problem(rules, "claim %q: the pattern holds a control character", claim))
		}
	}
	return ps
}

// pinsSomething reports whether a rule constrains its claim beyond "any value", on a claim other
// than aud and iss: every ID token the issuer signs for this organization carries the same ones
// (the server checks them itself), whichever repository or job asked for it.
func pinsSomething(rules map[string]string) bool {
	for claim, pat := range rules {
		if claim != "aud" && claim != "iss" && strings.Trim(pat, "*?") != "" {
			return true
		}
	}
	return false
}

// CheckClaimPath checks a rule's claim path: dot-separated keys, a key that contains dots
// double-quoted (`"kubernetes.io".pod.name`). It returns what is wrong, or "".
func CheckClaimPath(path string) string {
	if path == "" {
		return "empty claim path: name a claim such as sub, or a nested one such as \"kubernetes.io\".pod.name"
	}
	if len(path) > maxClaimPath {
		return fmt.Sprintf("%d bytes; at most %d", len(path), maxClaimPath)
	}
	for rest, keys := path, 1; ; keys++ {
		if keys > maxClaimKeys {
			return fmt.Sprintf("more than %d keys", maxClaimKeys)
		}
		var key string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) && !closed {
				switch c := rest[i]; {
				case c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\'):
					b.WriteByte(rest[i+1])
					i += 2
				case c == '"':
					closed = true
					i++
				default:
					b.WriteByte(c)
					i++
				}
			}
			if !closed {
				return "unbalanced quote: close the quoted key with \" (write \\\" for a quote inside it)"
			}
			key, rest = b.String(), rest[i:]
			if key == "" {
				return "empty quoted key \"\""
			}
		} else {
			end := strings.IndexByte(rest, '.')
			if end < 0 {
				end = len(rest)
			}
			key, rest = rest[:end], rest[end:]
			if key == "" {
				return "empty key: two dots in a row, or a leading dot (quote keys that contain dots)"
			}
			if strings.ContainsAny(key, `"`) {
				return fmt.Sprintf("key %q: a quote may only open a quoted key at its start", key)
			}
		}
		if strings.ContainsFunc(key, unicode.IsControl) {
			return fmt.Sprintf("key %q holds a control character", key)
		}
		if rest == "" {
			return ""
		}
		if rest[0] != '.' {
			return "a quoted key must be followed by a dot or the end of the path"
		}
		rest = rest[1:]
		if rest == "" {
			return "trailing dot"
		}
	}
}

// oneOf says that got is not one of valid, suggesting the closest.
func oneOf(got string, valid []string) string {
	if got == "" {
		return "required: one of " + quoted(valid)
	}
	return fmt.Sprintf("%q is not one of %s%s", got, quoted(valid), authz.Suggest(strings.ToLower(got), valid))
}

func quoted(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(out, ", ")
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
