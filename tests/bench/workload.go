// Package bench compares iamref's compiled authz index with cedar-go, casbin and a naive
// map-based checker on one shared, deterministic RBAC workload (see
// /work/shared/reference/authz-anchors.md §3 for the published peer numbers).
//
// The workload lives in its own module so that the peer engines never become dependencies
// of the product. Run it with `make bench` at the repository root.
package bench

import (
	"fmt"
	"math/rand/v2"
)

// Scope is one of the five scopes the workload grants, in a fixed local order.
type Scope uint8

const (
	StackRead Scope = iota
	StackWrite
	StackDelete
	EnvironmentOpen
	AuditLogsRead
	numScopes
)

// scopeNames are the Pulumi Cloud scope names, indexed by Scope.
var scopeNames = [numScopes]string{"stack:read", "stack:write", "stack:delete", "environment:open", "audit_logs:read"}

func (s Scope) String() string { return scopeNames[s] }

// Target is the kind of entity a scope acts on.
type Target uint8

const (
	TargetOrg Target = iota
	TargetStack
	TargetEnvironment
)

// Target is the kind of entity s acts on.
func (s Scope) Target() Target {
	switch s {
	case StackRead, StackWrite, StackDelete:
		return TargetStack
	case EnvironmentOpen:
		return TargetEnvironment
	}
	return TargetOrg
}

// Config sizes the workload.
type Config struct {
	Roles            int
	Projects         int
	StacksPerProject int
	Environments     int
	Requests         int
	AuditEvery       int // every AuditEvery-th role (0, N, 2N, …) also gets audit_logs:read
	Seed             uint64
}

// DefaultConfig is the workload of the issue: 1,000 roles, 100×100 stacks, 100 environments
// and 8,192 requests.
var DefaultConfig = Config{
	Roles:            1000,
	Projects:         100,
	StacksPerProject: 100,
	Environments:     100,
	Requests:         8192,
	AuditEvery:       50,
	Seed:             20261128,
}

// Stack is a stack with an opaque identity and a "proj-P/stack-N" name.
type Stack struct {
	ID      string
	Name    string
	Project int
}

// Environment is an environment with an opaque identity.
type Environment struct {
	ID   string
	Name string
}

// Role is one custom role and the token scoped to it. Its grants are: stack:read on every
// stack of Project, stack:write and stack:delete on Stacks, environment:open on Environment,
// and audit_logs:read in the organization when Audit is set.
type Role struct {
	Name        string
	Token       string
	Project     int
	Stacks      [3]int // indexes into Workload.Stacks
	Environment int    // index into Workload.Environments
	Audit       bool
}

// Request is one decision request. Entity indexes Workload.Stacks or Workload.Environments
// according to Scope.Target(); it is ignored for org-level scopes.
type Request struct {
	Token  string
	Scope  Scope
	Entity int
}

// Workload is the shared input of every engine.
type Workload struct {
	Projects     []string
	Stacks       []Stack
	Environments []Environment
	Roles        []Role
	Requests     []Request

	tokenRole map[string]int
}

// Generate builds the workload of c; the same c always yields the same workload.
func Generate(c Config) *Workload {
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	w := &Workload{tokenRole: make(map[string]int, c.Roles)}
	for p := range c.Projects {
		w.Projects = append(w.Projects, fmt.Sprintf("proj-%d", p))
		for n := range c.StacksPerProject {
			w.Stacks = append(w.Stacks, Stack{ID: uuidish(rng), Name: fmt.Sprintf("proj-%d/stack-%d", p, n), Project: p})
		}
	}
	for n := range c.Environments {
		w.Environments = append(w.Environments, Environment{ID: uuidish(rng), Name: fmt.Sprintf("proj-%d/env-%d", n%c.Projects, n)})
	}
	for i := range c.Roles {
		r := Role{
			Name:        fmt.Sprintf("role-%d", i),
			Token:       fmt.Sprintf("pul-%016x%016x%08x", rng.Uint64(), rng.Uint64(), rng.Uint32()),
			Project:     rng.IntN(c.Projects),
			Environment: rng.IntN(c.Environments),
			Audit:       c.AuditEvery > 0 && i%c.AuditEvery == 0,
		}
		picked := map[int]bool{}
		for j := range r.Stacks {
			s := rng.IntN(len(w.Stacks))
			for picked[s] {
				s = rng.IntN(len(w.Stacks))
			}
			picked[s] = true
			r.Stacks[j] = s
		}
		w.tokenRole[r.Token] = i
		w.Roles = append(w.Roles, r)
	}
	for i := range c.Requests {
		if i%2 == 0 {
			w.Requests = append(w.Requests, w.grantedRequest(rng))
		} else {
			w.Requests = append(w.Requests, w.randomRequest(rng))
		}
	}
	return w
}

// grantedRequest draws a request that one of a random role's grants covers.
func (w *Workload) grantedRequest(rng *rand.Rand) Request {
	r := &w.Roles[rng.IntN(len(w.Roles))]
	grants := 3
	if r.Audit {
		grants = 4
	}
	switch rng.IntN(grants) {
	case 0:
		per := len(w.Stacks) / len(w.Projects)
		return Request{Token: r.Token, Scope: StackRead, Entity: r.Project*per + rng.IntN(per)}
	case 1:
		return Request{Token: r.Token, Scope: StackWrite + Scope(rng.IntN(2)), Entity: r.Stacks[rng.IntN(len(r.Stacks))]}
	case 2:
		return Request{Token: r.Token, Scope: EnvironmentOpen, Entity: r.Environment}
	}
	return Request{Token: r.Token, Scope: AuditLogsRead}
}

// randomRequest draws a random token, a random scope and a random entity of that scope's kind.
func (w *Workload) randomRequest(rng *rand.Rand) Request {
	q := Request{Token: w.Roles[rng.IntN(len(w.Roles))].Token, Scope: Scope(rng.IntN(int(numScopes)))}
	switch q.Scope.Target() {
	case TargetStack:
		q.Entity = rng.IntN(len(w.Stacks))
	case TargetEnvironment:
		q.Entity = rng.IntN(len(w.Environments))
	}
	return q
}

// Expected is the ground truth of q, computed from the role definitions themselves.
func (w *Workload) Expected(q Request) bool {
	ri, ok := w.tokenRole[q.Token]
	if !ok {
		return false
	}
	r := &w.Roles[ri]
	switch q.Scope {
	case StackRead:
		return w.Stacks[q.Entity].Project == r.Project
	case StackWrite, StackDelete:
		return q.Entity == r.Stacks[0] || q.Entity == r.Stacks[1] || q.Entity == r.Stacks[2]
	case EnvironmentOpen:
		return q.Entity == r.Environment
	}
	return r.Audit
}

// uuidish returns an opaque identity shaped like a UUID.
func uuidish(rng *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		rng.Uint32(), rng.Uint32()&0xffff, 0x4000|rng.Uint32()&0x0fff, 0x8000|rng.Uint32()&0x3fff, rng.Uint64()&0xffffffffffff)
}
