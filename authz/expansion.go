package authz

import (
	"fmt"
	"slices"
)

// This file sizes a tree before Compile expands it. Compose multiplies: a set of 2,000
// entries composed 2,000 times is four million nodes, yet only two records. The measurer
// resolves each distinct record once, walks its own tree once, and adds up what the expansion
// would hold, so that the limits fail before the work they bound is done.

// Expansion is what a tree expands to once every Compose is resolved.
type Expansion struct {
	Nodes   int      // descriptor nodes, each composed record counted every time it is reached
	Chain   int      // records on the longest Compose chain (0: composes nothing)
	Records []string // the distinct records it composes, transitively, in the order first reached
}

// Expand resolves root's Compose references through r, each record once, and reports the size
// of the expansion. It fails, as Compile would, on a cycle, a chain deeper than MaxDepth, a
// record r cannot resolve, or more than MaxCompiledGrants nodes, and it stops at the first.
func Expand(root Node, r Resolver) (Expansion, error) {
	m := newMeasurer(r)
	e, err := m.measure(root)
	if err != nil {
		return Expansion{}, err
	}
	e.Records = m.order
	return e, nil
}

// measurer is a memoizing Resolver: it resolves every record once and remembers what each
// expands to.
type measurer struct {
	r     Resolver
	trees map[string]Node
	sizes map[string]Expansion // records fully measured (Records unset)
	order []string
	stack []string // the Compose chain being measured
}

func newMeasurer(r Resolver) *measurer {
	return &measurer{r: r, trees: map[string]Node{}, sizes: map[string]Expansion{}}
}

// Resolve returns the tree of id, resolving it only the first time.
func (m *measurer) Resolve(id string) (Node, error) {
	if n, ok := m.trees[id]; ok {
		return n, nil
	}
	n, err := m.r.Resolve(id)
	if err != nil {
		return nil, err
	}
	m.trees[id] = n
	m.order = append(m.order, id)
	return n, nil
}

// composeAt is a Compose node of one tree and its JSON path in that tree.
type composeAt struct {
	path string
	c    *Compose
}

// ownNodes counts the nodes of n's own tree (not across Compose) and lists its Compose nodes.
type ownNodes struct {
	walker
	nodes    int
	composes []composeAt
}

func (v *ownNodes) enter(n Node) (bool, error) {
	v.nodes++
	if c, ok := n.(*Compose); ok {
		v.composes = append(v.composes, composeAt{v.nodePath(), c})
	}
	return false, nil
}
func (*ownNodes) push(guard) bool { return true }
func (*ownNodes) pop()            {}

// measure sizes the tree n, which belongs to the record on top of m.stack (the root: none).
func (m *measurer) measure(n Node) (Expansion, error) {
	v := &ownNodes{}
	_ = v.walk(n, nil, v) // never fails without a Resolver
	e := Expansion{Nodes: v.nodes}
	for _, at := range v.composes {
		for _, id := range at.c.IDs {
			if slices.Contains(m.stack, id) {
				return Expansion{}, &CycleError{Path: append(slices.Clone(m.stack), id)}
			}
			if len(m.stack) >= MaxDepth {
				return Expansion{}, fmt.Errorf("compose chain deeper than %d", MaxDepth)
			}
			sub, ok := m.sizes[id]
			if !ok {
				tree, err := m.Resolve(id)
				if err != nil {
					return Expansion{}, fmt.Errorf("%s: %w", at.path, err)
				}
				m.stack = append(m.stack, id)
				sub, err = m.measure(tree)
				m.stack = m.stack[:len(m.stack)-1]
				if err != nil {
					return Expansion{}, err
				}
				sub.Chain++ // the record itself
				m.sizes[id] = sub
			} else if len(m.stack)+sub.Chain > MaxDepth {
				return Expansion{}, fmt.Errorf("compose chain deeper than %d", MaxDepth)
			}
			e.Chain = max(e.Chain, sub.Chain)
			e.Nodes += sub.Nodes // both at most MaxCompiledGrants: no overflow
			if e.Nodes > MaxCompiledGrants {
				return Expansion{}, fmt.Errorf("effective tree too large: more than %d nodes after resolving Compose", MaxCompiledGrants)
			}
		}
	}
	return e, nil
}
