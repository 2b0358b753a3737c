package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
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
			return nil, Problems{{"entityType", err.Error()}}
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

// CheckAccessArgs ask whether a role (by ID, or raw details) allows an action, on a stack
// ("project/stack"), an environment ("project/env") or an insights account, or org-wide.
type CheckAccessArgs struct {
	Organization    string
	RoleID          string
	Details         string
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

// CheckAccess evaluates in the provider with package authz — the same compiled decision the
// server makes on its routes and its access-check endpoint.
func (p *Provider) CheckAccess(ctx context.Context, a CheckAccessArgs) (CheckAccessResult, error) {
	var ps Problems
	if (a.RoleID == "") == (a.Details == "") {
		ps = append(ps, Problem{"roleId", "set exactly one of roleId and details"})
	}
	scope, err := authz.LookupScope(a.Action)
	if err != nil {
		ps = append(ps, Problem{"action", err.Error()})
	}
	named := 0
	for _, v := range []string{a.Stack, a.Environment, a.InsightsAccount} {
		if v != "" {
			named++
		}
	}
	if named > 1 {
		ps = append(ps, Problem{"stack", "name at most one of stack, environment and insightsAccount"})
	}
	if err == nil {
		want := map[authz.EntityKind]string{authz.KindStack: a.Stack, authz.KindEnvironment: a.Environment, authz.KindInsightsAccount: a.InsightsAccount}
		if scope.Kind != authz.KindOrg && want[scope.Kind] == "" {
			field := map[authz.EntityKind]string{authz.KindStack: "stack", authz.KindEnvironment: "environment", authz.KindInsightsAccount: "insightsAccount"}[scope.Kind]
			ps = append(ps, Problem{field, fmt.Sprintf("%s acts on a %s; name one", a.Action, scope.Kind)})
		}
	}
	if len(ps) > 0 {
		return CheckAccessResult{}, ps
	}
	org, err := p.Org(a.Organization)
	if err != nil {
		return CheckAccessResult{}, err
	}
	if err := p.ready(); err != nil {
		return CheckAccessResult{}, err
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
		return CheckAccessResult{}, Problems{{"details", err.Error()}}
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
		if ent, err = p.entity(ctx, org, scope.Kind, a); err != nil {
			return CheckAccessResult{}, err
		}
	}
	ex := ix.Explain(scope.ID, ent)
	return CheckAccessResult{Allowed: bool(ex.Decision), Reasons: ex.Reasons()}, nil
}

// entity loads the entity a check names, with its ID and tags.
func (p *Provider) entity(ctx context.Context, org string, kind authz.EntityKind, a CheckAccessArgs) (authz.Entity, error) {
	var e authz.Entity
	var err error
	switch kind {
	case authz.KindStack:
		project, name, ok := splitEntity(a.Stack)
		if !ok {
			return e, Problems{{"stack", fmt.Sprintf("%q: want \"project/stack\"", a.Stack)}}
		}
		var s *apitype.Stack
		if s, err = p.client.GetStack(ctx, org, project, name); err == nil {
			e = authz.Entity{Kind: kind, ID: s.ID, Name: a.Stack, Tags: s.Tags}
		}
	case authz.KindEnvironment:
		project, name, ok := splitEntity(a.Environment)
		if !ok {
			return e, Problems{{"environment", fmt.Sprintf("%q: want \"project/env\"", a.Environment)}}
		}
		var env *apitype.Environment
		if env, err = p.client.GetEnvironment(ctx, org, project, name); err == nil {
			e = authz.Entity{Kind: kind, ID: env.ID, Name: a.Environment, Tags: env.Tags}
		}
	case authz.KindInsightsAccount:
		var acct *apitype.InsightsAccount
		if acct, err = p.client.GetInsightsAccount(ctx, org, a.InsightsAccount); err == nil {
			e = authz.Entity{Kind: kind, ID: acct.ID, Name: a.InsightsAccount, Tags: acct.Tags}
		}
	default:
		return e, errors.New("unknown entity kind")
	}
	if client.IsNotFound(err) {
		return e, fmt.Errorf("%s not found in organization %s", kind, org)
	}
	if err != nil {
		return e, apiErr("look up "+kind.String(), err)
	}
	return e, nil
}
