package authz

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
	if !ix.allows(k, action, &e) {
		return Denied
	}
	if ix.hot[k].guarded && ix.deniedBy(k, action, &e) != nil {
		return Denied
	}
	return Allowed
}

// allows is Decide without the guardrails: does some grant allow action on e. Entity-kind
// scopes are read from the kind's hot line (scopeBit bits); org scopes, kinds of over 32
// scopes and entities without numbers take the string path of allowsSlow.
func (ix *Index) allows(k EntityKind, action ScopeID, e *Entity) bool {
	bit := scopeBit[action]
	if bit == 0 {
		return ix.allowsSlow(k, action, e)
	}
	h := &ix.hot[k]
	if h.all&bit != 0 {
		return true
	}
	if e.in.num != 0 && h.numbered {
		if slot, ok := h.find(e.in.num); ok && h.bitsOf(slot)&bit != 0 {
			return true
		}
	} else if ki := &ix.kinds[k]; ki.ids != nil {
		if slot, ok := ki.ids[e.ID]; ok && ki.sets[slot].Has(action) {
			return true
		}
	}
	for i := range h.inlined {
		if ix.checkHolds(k, int(i), &h.inline[i], bit, e) {
			return true
		}
	}
	if h.cold != nil {
		for i := range h.cold.more {
			if ix.checkHolds(k, hotInline+i, &h.cold.more[i], bit, e) {
				return true
			}
		}
	}
	return false
}

// checkHolds reports whether residual check i of kind k (c, its fast form) grants bit on e.
func (ix *Index) checkHolds(k EntityKind, i int, c *fastCheck, bit uint32, e *Entity) bool {
	if c[0]&bit == 0 {
		return false
	}
	if c[1] != 0 && e.in.tagsOK {
		return c.holds(&e.in)
	}
	return ix.kinds[k].checks[i].holds(e)
}

// allowsSlow is allows on the strings and full scope sets.
func (ix *Index) allowsSlow(k EntityKind, action ScopeID, e *Entity) bool {
	ki := &ix.kinds[k]
	if ki.all.Has(action) {
		return true
	}
	if ki.ids != nil {
		if slot, ok := ki.ids[e.ID]; ok && ki.sets[slot].Has(action) {
			return true
		}
	}
	for i := range ki.checks {
		c := &ki.checks[i]
		if c.scopes.Has(action) && c.holds(e) {
			return true
		}
	}
	return false
}

// holds reports whether the check's condition holds for e, by strings.
func (c *residualCheck) holds(e *Entity) bool {
	if c.n == 0 {
		return c.g.holds(e)
	}
	return !e.Unknown && pairsHold(c.kv[:c.n], e.Tags) // tags nobody may know hold no pair
}

// pairsHold reports whether tags hold every pair.
func pairsHold(pairs []tagKV, tags map[string]string) bool {
	for _, p := range pairs {
		if v, ok := tags[p.key]; !ok || v != p.value {
			return false
		}
	}
	return true
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
	if g.pairs != nil {
		return !e.Unknown && pairsHold(g.pairs, e.Tags)
	}
	for _, c := range g.cond {
		if e.Unknown && readsTags(c) {
			return false // a condition on tags nobody may know does not hold
		}
		if !truthy(evalExpr(c, e)) {
			return false
		}
	}
	return true
}

// Explanation is a decision with its grounds: the grants that allowed it (Grants, and
// Grounds for API bodies), or, when denied, enough to say why (Denial). String and Reasons
// (reasons.go) render both.
type Explanation struct {
	Decision Decision
	Action   ScopeID
	Entity   Entity
	Grants   []*Grant // every grant that allows the request; empty when denied
	// Guardrail is the guardrail that denied a request some grant allows (Overridden of them).
	Guardrail  *Guardrail
	Overridden int
	ix         *Index
}

// Explain decides like Decide and also returns every grant that allowed the request. It
// allocates only when several grants from different places allow the same request.
func (ix *Index) Explain(action ScopeID, e Entity) (x Explanation) {
	// x is filled in place (a named result): the Explanation, with its Entity, is copied once.
	k := catalog[action].Kind
	x.Action, x.ix = action, ix
	if k == KindOrg {
		x.Entity = OrgEntity
	} else {
		x.Entity = e
		if e.Kind != k {
			return x
		}
	}
	var m matches
	if bit := scopeBit[action]; bit != 0 {
		ix.explainHot(k, action, bit, &x.Entity, &m)
	} else {
		ix.explainSlow(k, action, &x.Entity, &m)
	}
	x.Grants = m.result()
	if len(x.Grants) > 0 && ix.hot[k].guarded {
		if g := ix.deniedBy(k, action, &x.Entity); g != nil {
			x.Guardrail, x.Overridden, x.Grants = g, len(x.Grants), nil
		}
	}
	x.Decision = len(x.Grants) > 0
	return x
}

// explainHot gathers the grants allowing action (bit among the kind's scopes) on e, reading
// what allows reads (the kind's hot line, and the pinned table by number) to learn which
// grants match, so that a request nothing allows touches no grant, and one that is allowed
// touches only the grants that allow it.
func (ix *Index) explainHot(k EntityKind, action ScopeID, bit uint32, e *Entity, m *matches) {
	h := &ix.hot[k]
	if h.all&bit != 0 {
		m.scanSure(ix.kinds[k].allGrants, action)
	}
	if e.in.num != 0 && h.numbered {
		if slot, ok := h.find(e.in.num); ok && h.bitsOf(slot)&bit != 0 {
			m.scanSure(ix.kinds[k].lists[slot], action)
		}
	} else if ki := &ix.kinds[k]; ki.ids != nil {
		if slot, ok := ki.ids[e.ID]; ok && ki.sets[slot].Has(action) {
			m.scan(ki.lists[slot], action, nil)
		}
	}
	start, n := -1, h.checks()
	for i := range n {
		ok := ix.checkHolds(k, i, h.check(i), bit, e)
		if ok && start < 0 {
			start = i
		}
		if !ok && start >= 0 {
			m.push(ix.residual[k][start:i])
			start = -1
		}
	}
	if start >= 0 {
		m.push(ix.residual[k][start:n])
	}
}

// explainSlow is explainHot on the strings and full scope sets (org scopes, kinds of over 32
// scopes).
func (ix *Index) explainSlow(k EntityKind, action ScopeID, e *Entity, m *matches) {
	ki := &ix.kinds[k]
	m.scan(ki.allGrants, action, nil)
	if ki.ids != nil {
		if slot, ok := ki.ids[e.ID]; ok && ki.sets[slot].Has(action) {
			m.scan(ki.lists[slot], action, nil)
		}
	}
	if len(ix.residual[k]) > 0 {
		m.scan(ix.residual[k], action, e)
	}
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

// scanSure is scan of unconditional grants some of which is known to hold action: a lone grant
// is taken without reading it.
func (m *matches) scanSure(gs []*Grant, action ScopeID) {
	if len(gs) == 1 {
		m.push(gs)
		return
	}
	m.scan(gs, action, nil)
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

// Denial says why a request was denied, as values (the zero Denial when it was allowed);
// String and Reasons render it. It reads where the index grants the scope at all, which is
// worked out once per index, on the first denial explained.
func (x Explanation) Denial() Denial {
	if x.Decision {
		return Denial{}
	}
	scope := catalog[x.Action]
	if scope.Kind != KindOrg && x.Entity.Kind != scope.Kind {
		return Denial{Reason: WrongKind}
	}
	if x.Guardrail != nil {
		return Denial{Reason: DeniedByGuardrail, Guardrail: x.Guardrail.ID, GuardrailName: x.Guardrail.Name, Overridden: x.Overridden}
	}
	if x.ix == nil {
		return Denial{Reason: NoGrant}
	}
	sp := x.ix.spreadOf(x.Action)
	elsewhere := int(sp.entities)
	if sp.everywhere {
		elsewhere++
	}
	switch {
	case elsewhere == 0 && sp.conditional == 0:
		return Denial{Reason: GrantedNowhere}
	case elsewhere == 0:
		return Denial{Reason: OnlyConditional, Conditional: int(sp.conditional)}
	}
	return Denial{Reason: OnlyElsewhere, Elsewhere: elsewhere}
}

// Denial is why a request was denied.
type Denial struct {
	Reason      DenialReason `json:"reason"`
	Conditional int          `json:"conditional,omitempty"` // OnlyConditional: grants of the scope whose conditions do not hold
	Elsewhere   int          `json:"elsewhere,omitempty"`   // OnlyElsewhere: other entities the scope is granted on
	// DeniedByGuardrail: the guardrail's ID and name, and how many grants it overrode.
	Guardrail     string `json:"guardrail,omitempty"`
	GuardrailName string `json:"guardrailName,omitempty"`
	Overridden    int    `json:"overridden,omitempty"`
}

// DenialReason is the kind of a denial; its String is a stable token for API bodies.
type DenialReason uint8

const (
	NotDenied         DenialReason = iota // the request was allowed
	WrongKind                             // the scope acts on another kind of entity than the request's
	NoGrant                               // no grant covers the request (no index to say more)
	GrantedNowhere                        // the principal holds the scope nowhere
	OnlyConditional                       // only under conditions, none of which holds for the entity
	OnlyElsewhere                         // only on other entities
	DeniedByGuardrail                     // granted, but an organization guardrail denies it
)

// Grounds are the grants that allowed the request, as values for API bodies; nil when denied.
func (x Explanation) Grounds() []Ground {
	if !x.Decision {
		return nil
	}
	out := make([]Ground, len(x.Grants))
	for i, g := range x.Grants {
		names := g.scopeNames // shared by every explanation of the grant: read only (clipped, so an append copies)
		if names == nil {
			names = g.Scopes.Names()
		}
		out[i] = Ground{Record: g.Source, Path: g.Path, Via: g.Via, Condition: g.Condition, Scopes: names}
		if g.Entities != nil {
			out[i].Entity = x.Entity.ID
		}
	}
	return out
}

// Ground is one grant that allowed a request.
type Ground struct {
	Record    string   `json:"record"`              // ID of the record holding the Allow; "" for the principal's own tree
	Path      string   `json:"path"`                // JSON path of the Allow in that tree
	Via       []string `json:"via,omitempty"`       // Compose chain from the principal's tree to Record
	Entity    string   `json:"entity"`              // the request's entity, which the grant names; "" when it covers every entity of the kind (or is org-level)
	Condition string   `json:"condition,omitempty"` // residual condition that held (canonical JSON); "" = none
	Scopes    []string `json:"scopes"`              // every scope of the grant, sorted
}
