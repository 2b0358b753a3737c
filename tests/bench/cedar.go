package bench

import (
	"fmt"
	"strings"

	"github.com/cedar-policy/cedar-go"
)

// CedarRequest is a request in cedar-go's native form plus the principal (its number and its
// token, as IamrefRequest) used to slice.
type CedarRequest struct {
	Token string
	P     int
	Req   cedar.Request
}

// Cedar holds the entity graph, one PolicySet per token (sliced) and one PolicySet with
// every role's policies (global).
//
// Modelling: Token::"<token>" is a member of Role::"role-i"; Stack::"<id>" is a member of
// Project::"proj-P"; environments and the organization have no parents. Each role is five
// policies (six with audit):
//
//	permit (principal in Role::"role-i", action == Action::"stack:read", resource in Project::"proj-P");
//	permit (principal in Role::"role-i", action in [Action::"stack:write", Action::"stack:delete"], resource == Stack::"<id>"); // ×3
//	permit (principal in Role::"role-i", action == Action::"environment:open", resource == Environment::"<id>");
//	permit (principal in Role::"role-i", action == Action::"audit_logs:read", resource == Org::"org"); // every 50th role
type Cedar struct {
	Entities cedar.EntityMap
	sliced   map[string]*cedar.PolicySet
	slicedP  []*cedar.PolicySet
	Global   *cedar.PolicySet
	Policies int
	Reqs     []CedarRequest
}

var orgUID = cedar.NewEntityUID("Org", "org")

func stackUID(id string) cedar.EntityUID { return cedar.NewEntityUID("Stack", cedar.String(id)) }
func envUID(id string) cedar.EntityUID   { return cedar.NewEntityUID("Environment", cedar.String(id)) }

// CedarPolicies is the Cedar text of r's policies.
func (w *Workload) CedarPolicies(r *Role) string {
	var b strings.Builder
	p := fmt.Sprintf("permit (principal in Role::%q, ", r.Name)
	fmt.Fprintf(&b, "%saction == Action::\"stack:read\", resource in Project::%q);\n", p, w.Projects[r.Project])
	for _, s := range r.Stacks {
		fmt.Fprintf(&b, "%saction in [Action::\"stack:write\", Action::\"stack:delete\"], resource == Stack::%q);\n", p, w.Stacks[s].ID)
	}
	fmt.Fprintf(&b, "%saction == Action::\"environment:open\", resource == Environment::%q);\n", p, w.Environments[r.Environment].ID)
	if r.Audit {
		fmt.Fprintf(&b, "%saction == Action::\"audit_logs:read\", resource == Org::\"org\");\n", p)
	}
	return b.String()
}

// NewCedar builds the entity graph and the policy sets of w.
func NewCedar(w *Workload) (*Cedar, error) {
	e := &Cedar{
		Entities: cedar.EntityMap{},
		sliced:   make(map[string]*cedar.PolicySet, len(w.Roles)),
		Global:   cedar.NewPolicySet(),
	}
	add := func(uid cedar.EntityUID, parents ...cedar.EntityUID) {
		e.Entities[uid] = cedar.Entity{UID: uid, Parents: cedar.NewEntityUIDSet(parents...)}
	}
	add(orgUID)
	for _, p := range w.Projects {
		add(cedar.NewEntityUID("Project", cedar.String(p)))
	}
	for _, s := range w.Stacks {
		add(stackUID(s.ID), cedar.NewEntityUID("Project", cedar.String(w.Projects[s.Project])))
	}
	for _, env := range w.Environments {
		add(envUID(env.ID))
	}
	for i := range w.Roles {
		r := &w.Roles[i]
		role := cedar.NewEntityUID("Role", cedar.String(r.Name))
		add(role)
		add(cedar.NewEntityUID("Token", cedar.String(r.Token)), role)

		ps, err := cedar.NewPolicySetFromBytes(r.Name+".cedar", []byte(w.CedarPolicies(r)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		e.sliced[r.Token] = ps
		e.slicedP = append(e.slicedP, ps)
		for id, p := range ps.All() {
			e.Global.Add(cedar.PolicyID(r.Name+"/"+string(id)), p)
			e.Policies++
		}
	}
	var actions [numScopes]cedar.EntityUID
	for s := range numScopes {
		actions[s] = cedar.NewEntityUID("Action", cedar.String(s.String()))
	}
	for _, q := range w.Requests {
		n := CedarRequest{Token: q.Token, P: w.tokenRole[q.Token], Req: cedar.Request{
			Principal: cedar.NewEntityUID("Token", cedar.String(q.Token)),
			Action:    actions[q.Scope],
			Resource:  orgUID,
			Context:   cedar.NewRecord(nil),
		}}
		switch q.Scope.Target() {
		case TargetStack:
			n.Req.Resource = stackUID(w.Stacks[q.Entity].ID)
		case TargetEnvironment:
			n.Req.Resource = envUID(w.Environments[q.Entity].ID)
		}
		e.Reqs = append(e.Reqs, n)
	}
	return e, nil
}

// DecideSliced evaluates only the policies of the principal's role.
func (e *Cedar) DecideSliced(q *CedarRequest) (bool, cedar.Diagnostic) {
	return authorizeSliced(e.slicedP[q.P], e.Entities, q)
}

// DecideGlobal evaluates every role's policies; membership comes from the entity graph.
func (e *Cedar) DecideGlobal(q *CedarRequest) (bool, cedar.Diagnostic) {
	d, diag := cedar.Authorize(e.Global, e.Entities, q.Req)
	return d == cedar.Allow, diag
}
