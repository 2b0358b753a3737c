package authz

import (
	"fmt"
	"slices"
	"strconv"
)

// This file holds the one traversal of descriptor trees. The walker knows each node type's
// children, the JSON path of each child and the guard it is reached under, and it resolves
// Compose references, with the cycle check and the depth bound, through a Resolver. What a
// walk does at each node is a visitor's business: Eval evaluates the guards on one entity and
// stops at the first Allow that grants the scope, the compiler collects the guards and indexes
// every Allow, Walk hands each node to a function.

// visitor is told about each node a walk reaches, parents before children.
type visitor interface {
	// enter is called for every node reached; stop ends the whole walk.
	enter(n Node) (stop bool, err error)
	// push is told that the walk is about to descend under g; false skips what g guards
	// (nothing is pushed then). Each successful push is matched by a pop.
	push(g guard) bool
	pop()
}

// guard is a condition a child is reached under: cond, or Equal(cond, value) for a Select
// option; negated for the false branch of an IfThenElse and for the options after a Select's
// earlier ones (first match wins).
type guard struct {
	cond   Expr
	value  Expr // a Select option's value; nil otherwise
	negate bool
}

func (g guard) not() guard { g.negate = !g.negate; return g }

// holds evaluates the guard for a request on e without allocating. On an entity whose
// attributes are unknown a guard that reads tags does not hold, negated or not: neither
// branch of such a condition is reached (what cannot be evaluated grants nothing).
func (g guard) holds(e *Entity) bool {
	if e.Unknown && (readsTags(g.cond) || readsTags(g.value)) {
		return false
	}
	var ok bool
	if g.value != nil {
		ok = evalExpr(g.cond, e).equal(evalExpr(g.value, e))
	} else {
		ok = truthy(evalExpr(g.cond, e))
	}
	return ok != g.negate
}

// readsTags reports whether x reads an entity's tags (HasTag or Tag anywhere in it).
func readsTags(x Expr) bool { return anyExpr(x, isTagRead) }

func isTagRead(x Expr) bool {
	switch x.(type) {
	case *HasTag, *Tag:
		return true
	}
	return false
}

// expr is the guard as an expression of the grammar.
func (g guard) expr() Expr {
	e := g.cond
	if g.value != nil {
		e = &Equal{Left: g.cond, Right: g.value}
	}
	if g.negate {
		e = &Not{X: e}
	}
	return e
}

// walker is the state of one walk: where it stands and how it got there. Visitors embed it,
// so that a walk allocates once.
type walker struct {
	v       visitor
	resolve Resolver // nil: a Compose node is a leaf
	path    []byte   // path[base:] is the JSON path of the current node in its record
	base    int
	source  string   // the record holding the current node; "" = the root tree
	via     []string // Compose chain from the root to source (never modified in place)
	buf     [96]byte // path's first backing array
}

// nodePath is the JSON path of the current node in the tree of record w.source.
func (w *walker) nodePath() string { return string(w.path[w.base:]) }

// walk visits the tree rooted at root with v, resolving Compose through r (nil: not at all).
// w is v's own walker.
func (w *walker) walk(root Node, r Resolver, v visitor) error {
	*w = walker{v: v, resolve: r}
	w.path = append(w.buf[:0], '$')
	_, err := w.node(root)
	return err
}

func (w *walker) node(n Node) (stop bool, err error) {
	if n == nil {
		return false, nil
	}
	if stop, err := w.v.enter(n); stop || err != nil {
		return stop, err
	}
	switch x := n.(type) {
	case *Allow:
		return false, nil
	case *Group:
		for i, e := range x.Entries {
			if stop, err := w.child(e, guard{}, ".entries", i, ""); stop || err != nil {
				return stop, err
			}
		}
		return false, nil
	case *Condition:
		return w.child(x.SubNode, guard{cond: x.Condition}, ".subNode", -1, "")
	case *IfThenElse:
		g := guard{cond: x.Condition}
		if stop, err := w.child(x.True, g, ".subNodeForTrue", -1, ""); stop || err != nil {
			return stop, err
		}
		return w.child(x.False, g.not(), ".subNodeForFalse", -1, "")
	case *Select:
		return w.options(x)
	case *Compose:
		return w.compose(x)
	}
	return false, fmt.Errorf("%s: unknown node %T", w.nodePath(), n)
}

// child walks n, the child at path step[i]suffix of the current node, under g (none when
// g.cond is nil).
func (w *walker) child(n Node, g guard, step string, i int, suffix string) (bool, error) {
	if g.cond != nil {
		if !w.v.push(g) {
			return false, nil
		}
		defer w.v.pop()
	}
	mark := len(w.path)
	w.path = append(w.path, step...)
	if i >= 0 {
		w.path = append(strconv.AppendInt(append(w.path, '['), int64(i), 10), ']')
	}
	w.path = append(w.path, suffix...)
	stop, err := w.node(n)
	w.path = w.path[:mark]
	return stop, err
}

// options walks a Select's options: each under Equal(selector, value) and the negation of
// every earlier option's.
func (w *walker) options(x *Select) (stop bool, err error) {
	pushed := 0
	defer func() {
		for range pushed {
			w.v.pop()
		}
	}()
	for i, o := range x.Options {
		eq := guard{cond: x.Selector, value: o.Value}
		if stop, err := w.child(o.Node, eq, ".options", i, ".node"); stop || err != nil {
			return stop, err
		}
		if !w.v.push(eq.not()) {
			return false, nil
		}
		pushed++
	}
	return false, nil
}

// compose walks the trees of the records a Compose names, each from its own root "$".
func (w *walker) compose(x *Compose) (bool, error) {
	if w.resolve == nil {
		return false, nil
	}
	for _, id := range x.IDs {
		if slices.Contains(w.via, id) {
			return false, &CycleError{Path: append(slices.Clone(w.via), id)}
		}
		if len(w.via) >= MaxDepth {
			return false, fmt.Errorf("compose chain deeper than %d", MaxDepth)
		}
		sub, err := w.resolve.Resolve(id)
		if err != nil {
			return false, fmt.Errorf("%s: %w", w.nodePath(), err)
		}
		base, source, via := w.base, w.source, w.via
		w.base, w.source, w.via = len(w.path), id, append(slices.Clip(via), id)
		w.path = append(w.path, '$')
		stop, err := w.node(sub)
		w.path = w.path[:w.base]
		w.base, w.source, w.via = base, source, via
		if stop || err != nil {
			return stop, err
		}
	}
	return false, nil
}

// CycleError reports Compose references that loop.
type CycleError struct{ Path []string }

func (e *CycleError) Error() string { return fmt.Sprintf("compose cycle: %v", e.Path) }

// Walk calls fn for every descriptor node of the tree rooted at n (not across Compose
// references), parents before children.
func Walk(n Node, fn func(Node)) {
	v := &everyNode{fn: fn}
	v.walk(n, nil, v) // never fails without a Resolver
}

// everyNode is the visitor of Walk: every node, whatever the guards.
type everyNode struct {
	walker
	fn func(Node)
}

func (v *everyNode) enter(n Node) (bool, error) { v.fn(n); return false, nil }
func (*everyNode) push(guard) bool              { return true }
func (*everyNode) pop()                         {}

// References lists the record IDs the tree composes, sorted and without duplicates.
func References(n Node) []string {
	var out []string
	Walk(n, func(n Node) {
		if c, ok := n.(*Compose); ok {
			out = append(out, c.IDs...)
		}
	})
	return sortedSet(out)
}

// Permissions lists every scope an Allow of the tree names, sorted and without duplicates.
func Permissions(n Node) []string {
	var out []string
	Walk(n, func(n Node) {
		if a, ok := n.(*Allow); ok {
			out = append(out, a.Permissions...)
		}
	})
	return sortedSet(out)
}
