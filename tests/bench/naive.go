package bench

import "strings"

// naiveGrant is what a role grants for one scope: exact identities, name prefixes, or all.
type naiveGrant struct {
	exact    map[string]struct{}
	prefixes []string
	all      bool
}

// naiveRole is a role as a table scope → grant.
type naiveRole [numScopes]naiveGrant

// NaiveRequest is a request in the naive checker's form.
type NaiveRequest struct {
	Token string
	P     int // the principal's number (see IamrefRequest)
	Scope Scope
	ID    string // identity of the stack or environment
	Name  string // "proj-P/stack-N": project grants match it by prefix
}

// Naive is the baseline and the oracle: role → scope → {exact set, prefixes, all}. It
// matches project grants by name prefix, not by identity, so it shares no representation
// with the iamref index it checks.
type Naive struct {
	byToken map[string]*naiveRole
	byP     []*naiveRole
	Reqs    []NaiveRequest
}

// NewNaive builds the naive tables of w.
func NewNaive(w *Workload) *Naive {
	e := &Naive{byToken: make(map[string]*naiveRole, len(w.Roles))}
	for i := range w.Roles {
		r := &w.Roles[i]
		nr := &naiveRole{}
		nr[StackRead].prefixes = []string{w.Projects[r.Project] + "/"}
		for _, s := range []Scope{StackWrite, StackDelete} {
			nr[s].exact = map[string]struct{}{}
			for _, si := range r.Stacks {
				nr[s].exact[w.Stacks[si].ID] = struct{}{}
			}
		}
		nr[EnvironmentOpen].exact = map[string]struct{}{w.Environments[r.Environment].ID: {}}
		nr[AuditLogsRead].all = r.Audit
		e.byToken[r.Token] = nr
		e.byP = append(e.byP, nr)
	}
	for _, q := range w.Requests {
		n := NaiveRequest{Token: q.Token, P: w.tokenRole[q.Token], Scope: q.Scope}
		switch q.Scope.Target() {
		case TargetStack:
			n.ID, n.Name = w.Stacks[q.Entity].ID, w.Stacks[q.Entity].Name
		case TargetEnvironment:
			n.ID, n.Name = w.Environments[q.Entity].ID, w.Environments[q.Entity].Name
		}
		e.Reqs = append(e.Reqs, n)
	}
	return e
}

// Decide takes the principal's role and checks all, then the exact set, then the prefixes.
func (e *Naive) Decide(q *NaiveRequest) bool {
	return decideNaive(e.byP[q.P], q)
}

// DecideByToken is Decide with the role looked up by token.
func (e *Naive) DecideByToken(q *NaiveRequest) bool {
	return decideNaive(e.byToken[q.Token], q)
}

func decideNaive(r *naiveRole, q *NaiveRequest) bool {
	if r == nil {
		return false
	}
	g := &r[q.Scope]
	if g.all {
		return true
	}
	if _, ok := g.exact[q.ID]; ok {
		return true
	}
	for _, p := range g.prefixes {
		if strings.HasPrefix(q.Name, p) {
			return true
		}
	}
	return false
}
