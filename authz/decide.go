package authz

import (
	"fmt"
	"strings"
)

// Decision is the outcome of Decide: deny by default, allow when some grant covers the request.
type Decision bool

const (
	Denied  Decision = false
	Allowed Decision = true
)

func (d Decision) String() string {
	if d {
		return "allow"
	}
	return "deny"
}

// Decide reports whether the principal may perform action on e. It does not allocate.
// Org-level scopes ignore e; an entity scope asked about another kind of entity is denied.
func (ix *Index) Decide(action ScopeID, e Entity) Decision {
	k := catalog[action].Kind
	if k == KindOrg {
		e = OrgEntity
	} else if e.Kind != k {
		return Denied
	}
	ki := &ix.kinds[k]
	if ki.all.Has(action) {
		return Allowed
	}
	if ki.ids != nil {
		if slot, ok := ki.ids[e.ID]; ok && ki.sets[slot].Has(action) {
			return Allowed
		}
	}
	for _, g := range ix.residual[k] {
		if g.Scopes.Has(action) && g.holds(&e) {
			return Allowed
		}
	}
	return Denied
}

// GrantsAnywhere reports whether the principal holds action on at least one entity (or under
// some condition). The server asks it before looking an entity up, so that a principal without
// the scope anywhere learns nothing about which entities exist.
func (ix *Index) GrantsAnywhere(action ScopeID) bool {
	k := catalog[action].Kind
	ki := &ix.kinds[k]
	if ki.all.Has(action) {
		return true
	}
	for _, set := range ki.sets {
		if set.Has(action) {
			return true
		}
	}
	for _, g := range ix.residual[k] {
		if g.Scopes.Has(action) {
			return true
		}
	}
	return false
}

// DecideName is Decide for a scope given by name.
func (ix *Index) DecideName(action string, e Entity) (Decision, error) {
	s, err := LookupScope(action)
	if err != nil {
		return Denied, err
	}
	return ix.Decide(s.ID, e), nil
}

// holds evaluates a grant's residual condition (and its pin) for a request on e.
func (g *Grant) holds(e *Entity) bool {
	if g.pin {
		found := false
		for _, id := range g.Entities {
			if id == e.ID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, c := range g.cond {
		if !truthy(evalExpr(c, e)) {
			return false
		}
	}
	return true
}

// Explanation is a decision with its grounds: the grants that allowed it, or, when denied,
// enough to say what is missing (see String).
type Explanation struct {
	Decision Decision
	Action   ScopeID
	Entity   Entity
	Grants   []*Grant // every grant that allows the request; empty when denied
	ix       *Index
}

// Explain decides like Decide and also returns every grant that allowed the request. It
// allocates only when several grants from different places allow the same request.
func (ix *Index) Explain(action ScopeID, e Entity) Explanation {
	k := catalog[action].Kind
	if k == KindOrg {
		e = OrgEntity
	}
	x := Explanation{Action: action, Entity: e, ix: ix}
	if e.Kind != k {
		return x
	}
	ki := &ix.kinds[k]
	var m matches
	m.scan(ki.allGrants, action, nil)
	if ki.ids != nil {
		if set, ok := ki.lookup(e.ID); ok && set.Has(action) {
			m.scan(ki.idGrants[e.ID], action, nil)
		}
	}
	if len(ix.residual[k]) > 0 {
		m.scan(ix.residual[k], action, &e)
	}
	x.Grants = m.result()
	x.Decision = len(x.Grants) > 0
	return x
}

// matches gathers matching grants; one contiguous run is returned as a sub-slice (no copy).
type matches struct {
	first []*Grant // the current contiguous run
	extra []*Grant // allocated once a second run appears
}

func (m *matches) scan(gs []*Grant, action ScopeID, e *Entity) {
	start := -1
	for i, g := range gs {
		ok := g.Scopes.Has(action) && (e == nil || g.holds(e))
		if ok && start < 0 {
			start = i
		}
		if !ok && start >= 0 {
			m.push(gs[start:i])
			start = -1
		}
	}
	if start >= 0 {
		m.push(gs[start:])
	}
}

func (m *matches) push(run []*Grant) {
	switch {
	case m.first == nil && m.extra == nil:
		m.first = run
	case m.extra == nil:
		m.extra = append(append(make([]*Grant, 0, len(m.first)+len(run)), m.first...), run...)
	default:
		m.extra = append(m.extra, run...)
	}
}

func (m *matches) result() []*Grant {
	if m.extra != nil {
		return m.extra
	}
	return m.first
}

// String says why: the grants that allowed, or what is missing and where the scope is granted.
func (x Explanation) String() string {
	scope := catalog[x.Action]
	if x.Decision {
		parts := make([]string, len(x.Grants))
		for i, g := range x.Grants {
			parts[i] = g.String()
		}
		return fmt.Sprintf("%s on %s allowed by: %s", scope.Name, x.Entity, strings.Join(parts, "; "))
	}
	return x.denial()
}

// Reasons is String split into one line per grant (allowed) or a single line (denied).
func (x Explanation) Reasons() []string {
	if !x.Decision {
		return []string{x.denial()}
	}
	scope := catalog[x.Action]
	out := make([]string, len(x.Grants))
	for i, g := range x.Grants {
		cond := ""
		if g.Condition != "" {
			cond = " under the condition " + g.Condition
		}
		where := g.where()
		if len(g.Entities) == 1 && g.Entities[0] == x.Entity.ID {
			where = "on " + x.Entity.String() // name the entity rather than repeat its ID
		}
		out[i] = scope.Name + " on " + x.Entity.String() + " is allowed by the grant " + g.origin() + cond + " " + where
	}
	return out
}

func (x Explanation) denial() string {
	scope := catalog[x.Action]
	if scope.Kind != KindOrg && x.Entity.Kind != scope.Kind {
		return fmt.Sprintf("%s acts on a %s, not on %s", scope.Name, scope.Kind, x.Entity)
	}
	if x.ix == nil {
		return fmt.Sprintf("no grant of %s on %s", scope.Name, x.Entity)
	}
	// Where is the scope granted at all?
	sp := x.ix.spreadOf(x.Action)
	conditional, elsewhere := sp.conditional, sp.entities
	if sp.everywhere {
		elsewhere++
	}
	msg := fmt.Sprintf("no grant of %s on %s", scope.Name, x.Entity)
	switch {
	case elsewhere == 0 && conditional == 0:
		return msg + "; the principal's role grants " + scope.Name + " nowhere"
	case conditional > 0 && elsewhere == 0:
		return fmt.Sprintf("%s; %d conditional grant(s) of %s do not hold for it", msg, conditional, scope.Name)
	default:
		return fmt.Sprintf("%s; the role grants it only on %d other %s(s)", msg, elsewhere, scope.Kind)
	}
}
