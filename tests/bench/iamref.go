package bench

import (
	"fmt"

	"github.com/iamref/iam/authz"
)

// IamrefRequest is a request in authz's native form. P is the principal's number (its role's
// index in the workload), Token its token: every engine finds its principal either way, by P
// in the decision benchmarks (a server resolves the principal once per request, not per
// decision) and by Token in the *ByToken variants.
type IamrefRequest struct {
	Token  string
	P      int
	Action authz.ScopeID
	Entity authz.Entity
}

// Iamref holds one compiled *authz.Index per token, as the server does.
type Iamref struct {
	byToken map[string]*authz.Index
	byP     []*authz.Index
	Reqs    []IamrefRequest
}

// RoleGrants are the grants of r as a custom role declares them: stack:read on the
// project's stacks (listed by identity), stack:write+stack:delete on three stacks,
// environment:open on one environment, and audit_logs:read org-wide when r.Audit.
func (w *Workload) RoleGrants(r *Role) []authz.GrantSpec {
	per := len(w.Stacks) / len(w.Projects)
	project := make([]string, 0, per)
	for _, s := range w.Stacks[r.Project*per : (r.Project+1)*per] {
		project = append(project, s.ID)
	}
	grants := []authz.GrantSpec{
		{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: project}},
		{Scopes: []string{"stack:write", "stack:delete"}, Refs: authz.Refs{Stacks: []string{w.Stacks[r.Stacks[0]].ID, w.Stacks[r.Stacks[1]].ID, w.Stacks[r.Stacks[2]].ID}}},
		{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{w.Environments[r.Environment].ID}}},
	}
	if r.Audit {
		grants = append(grants, authz.GrantSpec{Scopes: []string{"audit_logs:read"}})
	}
	return grants
}

// NewIamref builds each role's tree with authz.BuildRole and compiles it.
func NewIamref(w *Workload) (*Iamref, error) {
	e := &Iamref{byToken: make(map[string]*authz.Index, len(w.Roles))}
	for i := range w.Roles {
		r := &w.Roles[i]
		root, err := authz.BuildRole(w.RoleGrants(r))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		ix, err := authz.Compile(root, authz.NoCompose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		e.byToken[r.Token] = ix
		e.byP = append(e.byP, ix)
	}
	var ids [numScopes]authz.ScopeID
	for s := range numScopes {
		ids[s] = authz.MustScope(s.String()).ID
	}
	for _, q := range w.Requests {
		n := IamrefRequest{Token: q.Token, P: w.tokenRole[q.Token], Action: ids[q.Scope], Entity: authz.OrgEntity}
		switch q.Scope.Target() {
		case TargetStack:
			s := w.Stacks[q.Entity]
			n.Entity = authz.Entity{Kind: authz.KindStack, ID: s.ID, Name: s.Name}.Interned()
		case TargetEnvironment:
			env := w.Environments[q.Entity]
			n.Entity = authz.Entity{Kind: authz.KindEnvironment, ID: env.ID, Name: env.Name}.Interned()
		}
		e.Reqs = append(e.Reqs, n)
	}
	return e, nil
}

// Decide takes the principal's index and decides.
func (e *Iamref) Decide(q *IamrefRequest) bool {
	ix := e.byP[q.P]
	return ix != nil && ix.Decide(q.Action, q.Entity) == authz.Allowed
}

// DecideByToken looks the token's index up and decides.
func (e *Iamref) DecideByToken(q *IamrefRequest) bool {
	ix := e.byToken[q.Token]
	return ix != nil && ix.Decide(q.Action, q.Entity) == authz.Allowed
}

// Explain takes the principal's index and explains: the decision and the grants behind it.
func (e *Iamref) Explain(q *IamrefRequest) authz.Explanation {
	ix := e.byP[q.P]
	if ix == nil {
		return authz.Explanation{Action: q.Action, Entity: q.Entity}
	}
	return ix.Explain(q.Action, q.Entity)
}
