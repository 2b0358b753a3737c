package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// ScopeInfo is one catalog entry, as getScopes / iam_scopes return it.
type ScopeInfo struct {
	Name        string
	Description string
	Group       string
	EntityType  string // org, stack, environment or insights-account
}

// Scopes lists the scope catalog (the same authz catalog the server enforces), optionally
// only the scopes acting on one entity type.
func Scopes(entityType string) ([]ScopeInfo, error) {
	var want authz.EntityKind
	if entityType != "" {
		k, err := authz.ParseEntityKind(entityType)
		if err != nil {
			return nil, Problems{problem(Root(FieldEntityType), "%s", err)}
		}
		want = k
	}
	var out []ScopeInfo
	for _, s := range authz.Scopes() {
		if entityType != "" && s.Kind != want {
			continue
		}
		out = append(out, ScopeInfo{Name: s.Name, Description: s.Description, Group: s.Group, EntityType: s.Kind.String()})
	}
	return out, nil
}

// CheckAccessArgs ask whether a role (by ID, or raw details), a member (User, a login) or a
// team (Team, a name) may do an action, on a stack ("project/stack"), an environment
// ("project/env") or an insights account, or org-wide.
type CheckAccessArgs struct {
	Organization    string
	RoleID          string
	Details         string
	User            string
	Team            string
	Action          string
	Stack           string
	Environment     string
	InsightsAccount string
}

// CheckAccessResult is the decision and its reasons.
type CheckAccessResult struct {
	Allowed bool
	Reasons []string
}

// CheckAccess evaluates a role in the provider with package authz — the same compiled decision,
// under the org's guardrails, that the server makes on its routes and its access-check endpoint. A member's or a team's access
// (their effective rights: org role and teams' roles) is the server's answer, from its access
// check; it only reads.
func (p *Provider) CheckAccess(ctx context.Context, a CheckAccessArgs) (CheckAccessResult, error) {
	var ps Problems
	set := 0
	for _, v := range []string{a.RoleID, a.Details, a.User, a.Team} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		ps = append(ps, problem(Root(FieldRoleID), "set exactly one of %s, %s, %s and %s", FieldRoleID, FieldDetails, FieldUser, FieldTeam))
	}
	scope, err := authz.LookupScope(a.Action)
	if err != nil {
		ps = append(ps, problem(Root(FieldAction), "%s", err))
	}
	named := 0
	for _, k := range authz.EntityKinds {
		if _, name := a.target(k); name != "" {
			named++
		}
	}
	if named > 1 {
		ps = append(ps, problem(Root(FieldStack), "name at most one of %s, %s and %s", FieldStack, FieldEnvironment, FieldInsightsAccount))
	}
	if err == nil && scope.Kind != authz.KindOrg {
		field, name := a.target(scope.Kind)
		if name == "" {
			ps = append(ps, problem(Root(field), "%s acts on a %s; name one", a.Action, scope.Kind))
		} else if msg := checkEntityName(scope.Kind, name); msg != "" {
			ps = append(ps, problem(Root(field), "%s", msg))
		}
	}
	if len(ps) > 0 {
		return CheckAccessResult{}, ps
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return CheckAccessResult{}, err
	}
	if a.User != "" || a.Team != "" {
		return p.checkAccessOnServer(ctx, org, a, scope)
	}
	details := []byte(a.Details)
	if a.RoleID != "" {
		r, err := p.client.GetRole(ctx, org, a.RoleID)
		if err != nil {
			return CheckAccessResult{}, apiErr("read role "+a.RoleID, err)
		}
		details = r.Details
	}
	root, err := authz.Parse(details)
	if err != nil {
		return CheckAccessResult{}, Problems{problem(Root(FieldDetails), "%s", err)}
	}
	ix, err := authz.Compile(root, authz.ResolverFunc(func(id string) (authz.Node, error) {
		r, err := p.client.GetRole(ctx, org, id)
		if err != nil {
			return nil, apiErr("read composed record "+id, err)
		}
		return authz.Parse(r.Details)
	}))
	if err != nil {
		return CheckAccessResult{}, err
	}
	ent := authz.OrgEntity
	if scope.Kind != authz.KindOrg {
		_, name := a.target(scope.Kind)
		if ent, err = p.entity(ctx, org, scope.Kind, name); err != nil {
			return CheckAccessResult{}, err
		}
	}
	// The org's guardrails bind the role's holders as on the server (raw details: every one).
	var held []string
	if a.RoleID != "" {
		held = []string{a.RoleID}
	}
	gs, err := p.guardrailsFor(ctx, org, held...)
	if err != nil {
		return CheckAccessResult{}, err
	}
	ex := ix.WithGuardrails(gs).Explain(scope.ID, ent)
	return CheckAccessResult{Allowed: bool(ex.Decision), Reasons: ex.Reasons()}, nil
}

// checkAccessOnServer asks the server's access check about a member or a team.
func (p *Provider) checkAccessOnServer(ctx context.Context, org string, a CheckAccessArgs, scope authz.Scope) (CheckAccessResult, error) {
	field, principal := FieldUser, "user:"+a.User
	if a.Team != "" {
		field, principal = FieldTeam, "team:"+a.Team
	}
	chk := apitype.AccessCheck{Principal: principal, Action: a.Action}
	at := Root(field)
	if scope.Kind != authz.KindOrg {
		f, name := a.target(scope.Kind)
		at = Root(f)
		chk.Entity = apitype.EntityRef{Kind: scope.Kind.String(), Name: name}
		if scope.Kind != authz.KindInsightsAccount {
			chk.Entity.Project, chk.Entity.Name, _ = splitEntity(name)
		}
	}
	resp, err := p.client.CheckAccess(ctx, org, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{chk}})
	if err != nil {
		return CheckAccessResult{}, apiErr("check access of "+principal, err)
	}
	if len(resp.Results) != 1 {
		return CheckAccessResult{}, fmt.Errorf("check access of %s: the server gave %d results for one check", principal, len(resp.Results))
	}
	res := resp.Results[0]
	if msg, ok := strings.CutPrefix(res.Error, "principal: "); ok {
		return CheckAccessResult{}, Problems{problem(Root(field), "%s", msg)}
	}
	if res.Error != "" { // about the entity (not found)
		return CheckAccessResult{}, Problems{problem(at, "%s", res.Error)}
	}
	return CheckAccessResult{Allowed: res.Allowed, Reasons: res.Reasons}, nil
}

// target is the input that names the entity of kind k: its field and value.
func (a CheckAccessArgs) target(k authz.EntityKind) (field Field, name string) {
	switch k {
	case authz.KindStack:
		return FieldStack, a.Stack
	case authz.KindEnvironment:
		return FieldEnvironment, a.Environment
	case authz.KindInsightsAccount:
		return FieldInsightsAccount, a.InsightsAccount
	}
	return "", ""
}

// guardrailsFor is the org's guardrails that bind a holder of the roles held (none for raw
// details), as the server applies them; a stored guardrail that no longer reads denies its
// kind's scopes (fail closed, as on the server).
func (p *Provider) guardrailsFor(ctx context.Context, org string, held ...string) ([]*authz.Guardrail, error) {
	gs, err := p.client.ListGuardrails(ctx, org)
	if err != nil {
		return nil, apiErr("read the guardrails", err)
	}
	var out []*authz.Guardrail
	for _, g := range gs {
		if slices.ContainsFunc(g.ExemptRoles, func(id string) bool { return slices.Contains(held, id) }) {
			continue
		}
		ag, _, err := authz.NewGuardrail(g.ID, g.Name, g.Actions, g.Condition)
		if err != nil {
			for k := authz.KindOrg; k <= authz.KindInsightsAccount; k++ {
				out = append(out, &authz.Guardrail{ID: g.ID, Name: g.Name, Kind: k, Scopes: authz.ScopesOfKind(k), Broken: err.Error()})
			}
			continue
		}
		out = append(out, ag)
	}
	return out, nil
}

// WhoCanArgs ask which principals may do Action on a stack ("project/stack"), an environment
// ("project/env") or an insights account, or org-wide; Kinds limits the principal kinds
// (org_token, team_token, personal_token, user, team).
type WhoCanArgs struct {
	Organization    string
	Action          string
	Stack           string
	Environment     string
	InsightsAccount string
	Kinds           []string
}

// WhoCanPrincipal is one principal of the answer.
type WhoCanPrincipal struct {
	Kind    string
	ID      string
	Name    string
	ActsAs  string // "team:<name>" or "user:<login>" for team and personal tokens
	Reasons []string
}

// WhoCanResult is the server's answer: who may, and who a grant would allow but a guardrail
// denies.
type WhoCanResult struct {
	Principals        []WhoCanPrincipal
	DeniedByGuardrail []WhoCanPrincipal
}

// MaxWhoCanPrincipals bounds what whoCan gathers (it follows the server's pages up to it).
const MaxWhoCanPrincipals = 10_000

var whoCanKinds = []string{apitype.PrincipalOrgToken, apitype.PrincipalTeamToken, apitype.PrincipalPersonalToken, apitype.PrincipalUser, apitype.PrincipalTeam}

// WhoCan asks the server which principals may do the action (POST /access/who), page by page;
// it only reads. Needs role:read and the scopes that read each kind's holders.
func (p *Provider) WhoCan(ctx context.Context, a WhoCanArgs) (WhoCanResult, error) {
	var ps Problems
	scope, err := authz.LookupScope(a.Action)
	if err != nil {
		ps = append(ps, problem(Root(FieldAction), "%s", err))
	}
	ca := CheckAccessArgs{Stack: a.Stack, Environment: a.Environment, InsightsAccount: a.InsightsAccount}
	named := 0
	for _, k := range authz.EntityKinds {
		if _, name := ca.target(k); name != "" {
			named++
		}
	}
	if named > 1 {
		ps = append(ps, problem(Root(FieldStack), "name at most one of %s, %s and %s", FieldStack, FieldEnvironment, FieldInsightsAccount))
	}
	var ref apitype.EntityRef
	if err == nil && scope.Kind != authz.KindOrg {
		field, name := ca.target(scope.Kind)
		switch msg := checkEntityName(scope.Kind, name); {
		case name == "":
			ps = append(ps, problem(Root(field), "%s acts on a %s; name one", a.Action, scope.Kind))
		case msg != "":
			ps = append(ps, problem(Root(field), "%s", msg))
		default:
			ref = apitype.EntityRef{Kind: scope.Kind.String(), Name: name}
			if scope.Kind != authz.KindInsightsAccount {
				ref.Project, ref.Name, _ = splitEntity(name)
			}
		}
	}
	for i, k := range a.Kinds {
		if !slices.Contains(whoCanKinds, k) {
			ps = append(ps, problem(Root(FieldKinds).At(i), "unknown principal kind %q (want some of %s)", k, strings.Join(whoCanKinds, ", ")))
		}
	}
	if len(ps) > 0 {
		return WhoCanResult{}, ps
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return WhoCanResult{}, err
	}
	resp, err := p.client.WhoCan(ctx, org, apitype.WhoCanRequest{Action: a.Action, Entity: ref, Kinds: SortedUnique(a.Kinds)}, MaxWhoCanPrincipals)
	if err != nil {
		return WhoCanResult{}, apiErr("ask who may "+a.Action, err)
	}
	if resp.ContinuationToken != "" {
		return WhoCanResult{}, fmt.Errorf("ask who may %s: more than %d principals; narrow %s", a.Action, MaxWhoCanPrincipals, FieldKinds)
	}
	conv := func(in []apitype.WhoCanPrincipal) []WhoCanPrincipal {
		out := make([]WhoCanPrincipal, len(in))
		for i, w := range in {
			out[i] = WhoCanPrincipal{Kind: w.Kind, ID: w.ID, Name: w.Name, ActsAs: w.ActsAs, Reasons: w.Reasons}
		}
		return out
	}
	return WhoCanResult{Principals: conv(resp.Principals), DeniedByGuardrail: conv(resp.DeniedByGuardrail)}, nil
}

// WhoCanNames is "kind:name" of each principal, sorted: what a program asserts on.
func WhoCanNames(ps []WhoCanPrincipal) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Kind + ":" + p.Name
	}
	slices.Sort(out)
	return out
}
