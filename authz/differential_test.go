package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The compiled index must give the reference interpreter's answer on every request. This test
// generates random trees (every node and expression type, Compose across records, tags) and
// random requests, and compares Eval, Decide and Explain.

var (
	diffScopes = []string{
		"stack:read", "stack:write", "stack:delete", "stack_tags:update",
		"environment:read", "environment:open", "environment:write",
		"insights_account:read", "insights_account:scan",
		"audit_logs:read", "role:read", "stack:create",
	}
	diffIDs = map[ContextKind][]string{
		CtxStack:           {"s1", "s2", "s3"},
		CtxEnvironment:     {"e1", "e2"},
		CtxInsightsAccount: {"a1", "a2"},
		CtxTeam:            {"t1"},
	}
	diffTagKeys = []string{"env", "team"}
	diffTagVals = []string{"prod", "dev"}
)

type treeGen struct {
	r       *rand.Rand
	records int // Compose may reference records "r<i>" with i in [minRef, records)
	minRef  int
}

func (g *treeGen) node(depth int) Node {
	choice := g.r.IntN(10)
	if depth <= 0 {
		choice = 0
	}
	switch choice {
	case 0, 1, 2:
		n := 1 + g.r.IntN(3)
		perms := make([]string, n)
		for i := range perms {
			perms[i] = diffScopes[g.r.IntN(len(diffScopes))]
		}
		return &Allow{Permissions: perms}
	case 3, 4:
		n := g.r.IntN(4)
		grp := &Group{Entries: []Node{}}
		for range n {
			grp.Entries = append(grp.Entries, g.node(depth-1))
		}
		return grp
	case 5, 6:
		return &Condition{Condition: g.boolExpr(2), SubNode: g.node(depth - 1)}
	case 7:
		ite := &IfThenElse{Condition: g.boolExpr(2)}
		if g.r.IntN(5) > 0 {
			ite.True = g.node(depth - 1)
		}
		if g.r.IntN(5) > 0 {
			ite.False = g.node(depth - 1)
		}
		return ite
	case 8:
		sel := &Select{}
		if g.r.IntN(2) == 0 {
			k := ContextKind(g.r.IntN(int(numContextKinds)))
			sel.Selector = &Context{Kind: k}
			for range 1 + g.r.IntN(3) {
				sel.Options = append(sel.Options, SelectOption{Value: g.identity(k), Node: g.node(depth - 1)})
			}
		} else {
			sel.Selector = &Tag{Context: g.context(), Key: pick(g.r, diffTagKeys)}
			for range 1 + g.r.IntN(3) {
				sel.Options = append(sel.Options, SelectOption{Value: &String{Value: pick(g.r, diffTagVals)}, Node: g.node(depth - 1)})
			}
		}
		return sel
	default:
		if g.minRef >= g.records {
			return g.node(0)
		}
		n := 1 + g.r.IntN(2)
		c := &Compose{}
		for range n {
			c.IDs = append(c.IDs, fmt.Sprintf("r%d", g.minRef+g.r.IntN(g.records-g.minRef)))
		}
		return c
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *treeGen) context() *Context {
	return &Context{Kind: ContextKind(g.r.IntN(int(numContextKinds)))}
}

func (g *treeGen) identity(k ContextKind) *Identity {
	return &Identity{Kind: k, ID: pick(g.r, diffIDs[k])}
}

func (g *treeGen) boolExpr(depth int) Expr {
	choice := g.r.IntN(9)
	if depth <= 0 && choice >= 5 {
		choice = g.r.IntN(5)
	}
	switch choice {
	case 0, 1: // the indexable shape
		k := ContextKind(g.r.IntN(3))
		if g.r.IntN(2) == 0 {
			return &Equal{Left: &Context{Kind: k}, Right: g.identity(k)}
		}
		return &Equal{Left: g.identity(k), Right: &Context{Kind: k}}
	case 2:
		k := ContextKind(g.r.IntN(int(numContextKinds)))
		set := &IdentitySet{Kind: k}
		for range 1 + g.r.IntN(3) {
			set.IDs = append(set.IDs, pick(g.r, diffIDs[k]))
		}
		return &In{Target: &Context{Kind: k}, Values: set}
	case 3:
		if g.r.IntN(2) == 0 {
			return &HasTag{Context: g.context(), Key: pick(g.r, diffTagKeys)}
		}
		return &Equal{Left: &Tag{Context: g.context(), Key: pick(g.r, diffTagKeys)}, Right: &String{Value: pick(g.r, diffTagVals)}}
	case 4:
		if g.r.IntN(3) == 0 {
			return &Bool{Value: g.r.IntN(2) == 0}
		}
		return &In{Target: &Tag{Context: g.context(), Key: pick(g.r, diffTagKeys)}, Values: &StringSet{Values: []string{pick(g.r, diffTagVals)}}}
	case 5:
		return &And{Left: g.boolExpr(depth - 1), Right: g.boolExpr(depth - 1)}
	case 6:
		return &Or{Left: g.boolExpr(depth - 1), Right: g.boolExpr(depth - 1)}
	default:
		return &Not{X: g.boolExpr(depth - 1)}
	}
}

func (g *treeGen) entity() Entity {
	k := EntityKind(g.r.IntN(int(numKinds)))
	e := Entity{Kind: k}
	if ctx, ok := ContextFor(k); ok {
		e.ID = pick(g.r, append(diffIDs[ctx], "other"))
		e.Tags = map[string]string{}
		for _, key := range diffTagKeys {
			if g.r.IntN(2) == 0 {
				e.Tags[key] = pick(g.r, diffTagVals)
			}
		}
	}
	return e
}

func TestCompiledAgreesWithInterpreter(t *testing.T) {
	trees, requests := 6000, 24
	if testing.Short() {
		trees = 600
	}
	r := rand.New(rand.NewPCG(1, 2))
	compared, allowed, residual, pinned := 0, 0, 0, 0
	for i := range trees {
		// A few records that Compose may reference, acyclic by construction (r<j> only
		// references r<k> with k > j).
		const nrec = 4
		recs := map[string]Node{}
		for j := nrec - 1; j >= 0; j-- {
			g := &treeGen{r: r, records: nrec, minRef: j + 1}
			recs[fmt.Sprintf("r%d", j)] = g.node(2)
		}
		res := ResolverFunc(func(id string) (Node, error) {
			n, ok := recs[id]
			if !ok {
				return nil, fmt.Errorf("no record %s", id)
			}
			return n, nil
		})
		g := &treeGen{r: r, records: nrec}
		root := g.node(4)
		// The tree must survive a print/parse round trip unchanged.
		reparsed, err := Parse(Format(root))
		if err != nil {
			t.Fatalf("tree %d: round trip: %v\n%s", i, err, Format(root))
		}
		if string(Format(reparsed)) != string(Format(root)) {
			t.Fatalf("tree %d: round trip changed the tree", i)
		}
		ix, err := Compile(root, res)
		if err != nil {
			t.Fatalf("tree %d: compile: %v", i, err)
		}
		for range requests {
			scope := MustScope(pick(r, diffScopes)).ID
			e := g.entity()
			if k := ScopeByID(scope).Kind; k != KindOrg && r.IntN(10) > 0 {
				for e.Kind != k {
					e = g.entity()
				}
			}
			want, err := Eval(root, res, scope, e)
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			got := ix.Decide(scope, e)
			ex := ix.Explain(scope, e)
			// The interned form (numbers for the ID and tag pairs) must decide the same.
			in := e.Interned()
			gotIn, exIn := ix.Decide(scope, in), ix.Explain(scope, in)
			if bool(got) != want || bool(ex.Decision) != want || bool(gotIn) != want || bool(exIn.Decision) != want {
				t.Fatalf("tree %d: %s on %+v: interpreter %v, Decide %v (interned %v), Explain %v (interned %v)\ntree: %s\nrecords: %v",
					i, ScopeByID(scope).Name, e, want, got, gotIn, ex.Decision, exIn.Decision, Format(root), formatRecords(recs))
			}
			if want && len(ex.Grants) == 0 {
				t.Fatalf("allowed without grants")
			}
			// Explain names exactly the grants that allow, whatever the entity's form.
			ref := allowingGrants(ix, scope, e)
			for _, x := range []Explanation{ex, exIn} {
				if !sameGrants(x.Grants, ref) {
					t.Fatalf("tree %d: %s on %+v: Explain's grants %v, the grants that allow %v\ntree: %s",
						i, ScopeByID(scope).Name, e, grantPaths(x.Grants), grantPaths(ref), Format(root))
				}
			}
			compared++
			if want {
				allowed++
			}
		}
		for _, gr := range ix.Grants() {
			switch {
			case len(gr.cond) > 0:
				residual++
			case gr.pin:
				pinned++
			}
		}
	}
	if !testing.Short() && compared < 100_000 {
		t.Fatalf("only %d comparisons", compared)
	}
	t.Logf("%d trees, %d requests compared (%d allowed); %d pinned and %d residual grants", trees, compared, allowed, pinned, residual)
	if allowed < compared/10 || compared-allowed < compared/10 || pinned == 0 || residual == 0 {
		t.Fatalf("the generator no longer exercises both answers and all index paths")
	}
}

func formatRecords(recs map[string]Node) map[string]string {
	out := map[string]string{}
	for k, v := range recs {
		out[k] = string(Format(v))
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

// allowingGrants is every grant of ix that allows scope on e, in tree order, read from the
// grants themselves (kind, scopes, pinned entities, each residual conjunct by the tree-walking
// evaluator) rather than from the index's tables.
func allowingGrants(ix *Index, scope ScopeID, e Entity) []*Grant {
	k := ScopeByID(scope).Kind
	if k == KindOrg {
		e = OrgEntity
	} else if e.Kind != k {
		return nil
	}
	var out []*Grant
	for _, g := range ix.Grants() {
		if g.Kind != k || !g.Scopes.Has(scope) || (g.Entities != nil && !slices.Contains(g.Entities, e.ID)) {
			continue
		}
		holds := true
		for _, c := range g.cond {
			if (e.Unknown && readsTags(c)) || !truthy(evalExpr(c, &e)) {
				holds = false
				break
			}
		}
		if holds {
			out = append(out, g)
		}
	}
	return out
}

// sameGrants reports whether a and b hold the same grants, in any order.
func sameGrants(a, b []*Grant) bool {
	if len(a) != len(b) {
		return false
	}
	idx := func(gs []*Grant) []int {
		out := make([]int, len(gs))
		for i, g := range gs {
			out[i] = g.index
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(idx(a), idx(b))
}

func grantPaths(gs []*Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Source + g.Path
	}
	return out
}
