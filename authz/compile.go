package authz

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sync/atomic"
)

// MaxCompiledGrants bounds the work of compiling one principal's tree: the number of
// descriptor nodes it expands to once every Compose is resolved (a set composed n times counts
// n times). Compile checks it before it builds anything (see expansion.go), so a fan-out past
// it costs one read of each distinct record, not the expansion.
const MaxCompiledGrants = 20_000

// Grant is one Allow of the effective tree as the index holds it: which scopes, on which
// entities, under which residual condition, and where it came from. Explanations cite grants.
type Grant struct {
	Source    string     // ID of the record holding the Allow; "" for the principal's own tree
	Path      string     // JSON path of the Allow in Source's tree
	Via       []string   // Compose chain from the root to Source (record IDs)
	Kind      EntityKind // kind of entity the scopes act on (KindOrg: org-level)
	Entities  []string   // identities the grant is pinned to; nil = every entity of Kind
	Condition string     // residual condition (canonical JSON) evaluated per request; "" = none
	Scopes    ScopeSet
	// MaxOpenDuration (seconds) bounds how long the grant lets an environment be opened; 0 =
	// no bound. Only grants of the open scopes (OpenScopes) carry one: an Allow's constraint
	// splits its open scopes into a grant of their own.
	MaxOpenDuration int64

	cond  []Expr  // residual conjuncts
	pairs []tagKV // cond as tag pairs, when every conjunct is Equal(Tag(context, key), String)
	pin   bool    // Entities is a constraint (possibly with a residual condition)
	index int     // position in Index.grants

	whereText, originText string   // where() and origin(), rendered once at compile time (reasons.go)
	scopeNames            []string // Scopes.Names(), once at compile time (Grounds shares it, clipped)
}

// Index is a principal's compiled effective tree. Decisions are map lookups and bit tests;
// only grants with residual conditions (tags, negations) are evaluated per request.
type Index struct {
	// hot is what Decide reads first, a 128-byte pair of cache lines per kind: a decision
	// about a random principal misses the cache per line. Go puts an 8-byte header before
	// objects of this size, so pad puts hot on a 128-byte boundary (a layout detail: only
	// speed depends on it, see TestHotKindIsOneLine).
	pad      [hotPad]byte
	hot      [numKinds]hotKind
	kinds    [numKinds]kindIndex
	residual [numKinds][]*Grant
	// checks is residual as Decide reads it: scopes and tag pairs inline, so that a decision
	// follows no pointer per grant it skips.
	checks [numKinds][]residualCheck
	grants []*Grant
	// guardrails deny what the grants allow (WithGuardrails), per kind of the actions.
	guardrails [numKinds][]*Guardrail

	// spread is where each scope is granted, for denial messages: built on first use (most
	// principals are never denied) and sorted by scope, a few cache lines where a map was several.
	spread atomic.Pointer[[]scopeSpread]
}

// scopeSpread summarises where a scope is granted: on every entity of its kind, on how many
// distinct pinned entities, and in how many conditional grants.
type scopeSpread struct {
	id          ScopeID
	everywhere  bool
	entities    int32
	conditional int32
}

func (ix *Index) spreadOf(id ScopeID) scopeSpread {
	t := ix.spread.Load()
	if t == nil {
		t = ix.buildSpread() // racing first uses build the same table
		ix.spread.Store(t)
	}
	if i, ok := slices.BinarySearchFunc(*t, id, func(sp scopeSpread, id ScopeID) int { return cmp.Compare(sp.id, id) }); ok {
		return (*t)[i]
	}
	return scopeSpread{id: id}
}

func (ix *Index) buildSpread() *[]scopeSpread {
	spread := map[ScopeID]scopeSpread{}
	seen := map[ScopeID]map[string]bool{}
	for _, g := range ix.grants {
		for _, sid := range g.Scopes.IDs() {
			sp := spread[sid]
			sp.id = sid
			switch {
			case len(g.cond) > 0:
				sp.conditional++
			case g.Entities == nil:
				sp.everywhere = true
			default:
				if seen[sid] == nil {
					seen[sid] = map[string]bool{}
				}
				for _, e := range g.Entities {
					if !seen[sid][e] {
						seen[sid][e] = true
						sp.entities++
					}
				}
			}
			spread[sid] = sp
		}
	}
	t := make([]scopeSpread, 0, len(spread))
	for _, sp := range spread {
		t = append(t, sp)
	}
	slices.SortFunc(t, func(a, b scopeSpread) int { return cmp.Compare(a.id, b.id) })
	return &t
}

type kindIndex struct {
	all ScopeSet // granted on every entity of the kind (for KindOrg: the org-level scopes)
	// checks is the kind's residual grants as Decide reads them: scopes and up to two tag
	// pairs inline, beside all, so that a decision follows few pointers.
	checks    []residualCheck
	allGrants []*Grant
	// What Decide reads, kept small for cache locality: each entity maps to a slot, one per
	// distinct pair of a scope set (sets) and the pinned grants behind it (lists, what Explain
	// reads): most pinned entities share one.
	ids   map[string]uint16
	sets  []ScopeSet
	lists [][]*Grant

	building       map[string]ScopeSet // during Compile only
	buildingGrants map[string][]*Grant // during Compile only
}

// lookup is the scope set granted on entity id (pinned grants without conditions).
func (ki *kindIndex) lookup(id string) (ScopeSet, bool) {
	slot, ok := ki.ids[id]
	if !ok {
		return ScopeSet{}, false
	}
	return ki.sets[slot], true
}

// MaxPinnedCombinations bounds the distinct combinations of pinned grants on the entities of
// one kind of a compiled index (entities named by the same grants share one).
const MaxPinnedCombinations = 1 << 16

// freeze turns the per-entity sets and grants built during Compile into slots of distinct
// (set, grants) pairs.
func (ki *kindIndex) freeze() error {
	if ki.building == nil {
		return nil
	}
	ki.ids = make(map[string]uint16, len(ki.building))
	type slotKey struct {
		set    ScopeSet
		grants string // the grants' positions in Index.grants
	}
	slots := map[slotKey]uint16{}
	var buf []byte
	for id, set := range ki.building {
		gs := ki.buildingGrants[id]
		buf = buf[:0]
		for _, g := range gs {
			buf = binary.AppendUvarint(buf, uint64(g.index))
		}
		key := slotKey{set, string(buf)}
		slot, ok := slots[key]
		if !ok {
			if len(ki.sets) >= MaxPinnedCombinations {
				return fmt.Errorf("effective tree too large: more than %d distinct combinations of grants pin entities of one kind", MaxPinnedCombinations)
			}
			slot = uint16(len(ki.sets))
			slots[key] = slot
			ki.sets = append(ki.sets, set)
			ki.lists = append(ki.lists, slices.Clip(gs))
		}
		ki.ids[id] = slot
	}
	ki.building, ki.buildingGrants = nil, nil
	return nil
}

// Grants lists every grant of the index, in tree order.
func (ix *Index) Grants() []*Grant { return ix.grants }

// Compile builds the index of root, resolving Compose references through r. Each record is
// resolved once, however often it is composed; the limits (MaxCompiledGrants, MaxDepth, cycles)
// are checked on the way, before any grant is built.
func Compile(root Node, r Resolver) (*Index, error) {
	if r != nil {
		m := newMeasurer(r)
		if _, err := m.measure(root); err != nil {
			return nil, err
		}
		r = m
	}
	c := &compiler{ix: &Index{}}
	if err := c.walk(root, r, c); err != nil {
		return nil, err
	}
	for k := range c.ix.kinds {
		ki := &c.ix.kinds[k]
		if err := ki.freeze(); err != nil {
			return nil, err
		}
		c.ix.hot[k].build(EntityKind(k), ki)
	}
	return c.ix, nil
}

// MustCompile is Compile for trees known to be valid.
func MustCompile(root Node, r Resolver) *Index {
	ix, err := Compile(root, r)
	if err != nil {
		panic(err)
	}
	return ix
}

// compiler is the visitor of Compile: it visits every node, collects the guards on the way
// down and adds a grant for each Allow.
type compiler struct {
	walker
	ix     *Index
	guards []Expr // the guards of the current node, outermost first
	nodes  int
}

func (c *compiler) enter(n Node) (bool, error) {
	c.nodes++
	if c.nodes > MaxCompiledGrants {
		return false, fmt.Errorf("effective tree too large: more than %d nodes after resolving Compose", MaxCompiledGrants)
	}
	if a, ok := n.(*Allow); ok {
		return false, c.emit(a, c.nodePath(), c.source, c.via)
	}
	return false, nil
}

func (c *compiler) push(g guard) bool { c.guards = append(c.guards, g.expr()); return true }
func (c *compiler) pop()              { c.guards = c.guards[:len(c.guards)-1] }

// pinOf recognises a condition that restricts the context to a literal set of entities:
// Equal(context, identity) either way round, In(context, identity set), or an Or of those on
// one kind.
func pinOf(e Expr) (EntityKind, []string, bool) {
	switch x := e.(type) {
	case *Equal:
		ctx, lok := x.Left.(*Context)
		id, rok := x.Right.(*Identity)
		if !lok || !rok {
			ctx, lok = x.Right.(*Context)
			id, rok = x.Left.(*Identity)
		}
		if lok && rok && ctx.Kind == id.Kind && ctx.Kind != CtxTeam {
			return ctx.Kind.EntityKind(), []string{id.ID}, true
		}
	case *In:
		ctx, ok1 := x.Target.(*Context)
		set, ok2 := x.Values.(*IdentitySet)
		if ok1 && ok2 && ctx.Kind == set.Kind && ctx.Kind != CtxTeam {
			return ctx.Kind.EntityKind(), sortedSet(set.IDs), true
		}
	case *Or:
		lk, lids, lok := pinOf(x.Left)
		rk, rids, rok := pinOf(x.Right)
		if lok && rok && lk == rk {
			return lk, sortedSet(append(slices.Clone(lids), rids...)), true
		}
	}
	return 0, nil, false
}

// emit adds an Allow reached under the current guards. Guards that pin the context to literal
// entities go to the per-identity maps; guards that contradict the pin drop the grant;
// whatever else remains is kept as a residual condition evaluated per request.
func (c *compiler) emit(a *Allow, path, source string, via []string) error {
	var conj []Expr
	var flatten func(e Expr)
	flatten = func(e Expr) {
		if and, ok := e.(*And); ok {
			flatten(and.Left)
			flatten(and.Right)
			return
		}
		conj = append(conj, e)
	}
	for _, g := range c.guards {
		flatten(g)
	}

	pinned := false
	var pinKind EntityKind
	var pinIDs []string
	var rest []Expr
	for _, e := range conj {
		k, ids, ok := pinOf(e)
		if !ok {
			rest = append(rest, e)
			continue
		}
		if !pinned {
			pinned, pinKind, pinIDs = true, k, ids
			continue
		}
		if k != pinKind {
			return nil // an entity has one kind: unsatisfiable
		}
		pinIDs = intersect(pinIDs, ids)
	}
	// With a pin, negated pins of the same kind subtract and pins of other kinds are false.
	var residual []Expr
	for _, e := range rest {
		if b, ok := e.(*Bool); ok {
			if !b.Value {
				return nil
			}
			continue
		}
		if not, ok := e.(*Not); ok && pinned {
			if k, ids, ok := pinOf(not.X); ok {
				if k == pinKind {
					pinIDs = subtract(pinIDs, ids)
				}
				continue // a pin of another kind is false under ours, so its negation holds
			}
		}
		residual = append(residual, e)
	}
	if pinned && len(pinIDs) == 0 {
		return nil
	}

	var scopes ScopeSet
	for _, p := range a.Permissions {
		s, err := LookupScope(p)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		scopes.Add(s.ID)
	}
	var limit int64
	if a.Constraints != nil {
		limit = a.Constraints.MaxOpenDuration
	}
	for k := EntityKind(0); k < numKinds; k++ {
		set := scopes.Intersect(kindScopes[k])
		if set.Empty() || (pinned && k != pinKind) {
			continue // a pinned context is never an org request nor another kind's entity
		}
		parts := [2]struct {
			set   ScopeSet
			limit int64
		}{{set, 0}}
		if limit > 0 {
			parts[0].set, parts[1].set, parts[1].limit = set.Minus(OpenScopes), set.Intersect(OpenScopes), limit
		}
		for _, part := range parts {
			if part.set.Empty() {
				continue
			}
			g := &Grant{Source: source, Path: path, Via: via, Kind: k, Scopes: part.set, cond: residual, pin: pinned, MaxOpenDuration: part.limit}
			if pinned {
				g.Entities = pinIDs
			}
			if len(residual) > 0 {
				g.Condition = string(FormatExpr(conjunction(residual)))
				g.pairs = tagPairs(residual, k)
			}
			c.add(g)
		}
	}
	return nil
}

func (c *compiler) add(g *Grant) {
	g.whereText, g.originText = g.describeWhere(), g.describeOrigin()
	g.scopeNames = slices.Clip(g.Scopes.Names())
	ix := c.ix
	g.index = len(ix.grants)
	ix.grants = append(ix.grants, g)
	ki := &ix.kinds[g.Kind]
	switch {
	case len(g.cond) > 0 || g.MaxOpenDuration > 0: // bounded grants are kept apart from the bitmaps
		ix.residual[g.Kind] = append(ix.residual[g.Kind], g)
		rc := residualCheck{scopes: g.Scopes, g: g}
		if g.pairs != nil && !g.pin && len(g.pairs) <= len(rc.kv) {
			rc.n = uint8(len(g.pairs))
			copy(rc.kv[:], g.pairs)
			rc.numbered = true
			for i, p := range g.pairs {
				if rc.pid[i] = internPair(p); rc.pid[i] == 0 {
					rc.numbered = false
				}
			}
		}
		ki.checks = append(ki.checks, rc)
	case g.pin:
		if ki.building == nil {
			ki.building, ki.buildingGrants = map[string]ScopeSet{}, map[string][]*Grant{}
		}
		for _, id := range g.Entities {
			set := ki.building[id]
			set.Union(g.Scopes)
			ki.building[id] = set
			ki.buildingGrants[id] = append(ki.buildingGrants[id], g)
		}
	default:
		ki.all.Union(g.Scopes)
		ki.allGrants = append(ki.allGrants, g)
	}
}

// conjunction joins expressions with And (left-nested, in order).
func conjunction(es []Expr) Expr {
	e := es[0]
	for _, x := range es[1:] {
		e = &And{Left: e, Right: x}
	}
	return e
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func subtract(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// tagKV is one tag pair of a grant's condition.
type tagKV struct{ key, value string }

// tagPairs is conds as tag pairs on entities of kind k, or nil when some conjunct is not one:
// Decide then checks the pairs with map lookups instead of walking the expressions.
func tagPairs(conds []Expr, k EntityKind) []tagKV {
	out := make([]tagKV, 0, len(conds))
	for _, c := range conds {
		key, value, ok := tagPair(c, k)
		if !ok {
			return nil
		}
		out = append(out, tagKV{key, value})
	}
	return out
}

// residualCheck is one residual grant as Decide reads it: when its condition is one or two
// tag pairs and nothing else (n > 0), they are checked here; otherwise through g.
type residualCheck struct {
	scopes   ScopeSet
	pid      [2]uint32 // kv's interned numbers, compared with an interned entity's
	n        uint8
	numbered bool // pid holds every pair of kv
	kv       [2]tagKV
	g        *Grant
}
