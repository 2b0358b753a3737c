package authz

import "slices"

// Selection is where a principal may do one action on entities of one kind, in the terms an
// entity index can answer: every entity, the pinned identities, and the entities carrying all
// the tag pairs of one of Tags. Listings read the candidates it names from an index and
// decide each one with Decide (guardrails, and any rest of a condition, still apply), so that
// their cost follows what the principal may see, not the number of entities.
type Selection struct {
	All  bool                // every entity of the kind: list them all
	IDs  []string            // pinned identities, sorted
	Tags []map[string]string // each: the entities whose tags hold every pair
}

// Select returns the selection of action on kind k, or ok false when some grant of it has a
// condition an index cannot answer (Not, Or, HasTag, In on tags, …): the caller then scans.
func (ix *Index) Select(action ScopeID) (sel Selection, ok bool) {
	k := catalog[action].Kind
	if k == KindOrg {
		return Selection{}, false
	}
	ki := &ix.kinds[k]
	if ki.all.Has(action) {
		return Selection{All: true}, true
	}
	for id, slot := range ki.ids {
		if ki.sets[slot].Has(action) {
			sel.IDs = append(sel.IDs, id)
		}
	}
	for _, g := range ix.residual[k] {
		if !g.Scopes.Has(action) {
			continue
		}
		if g.pin { // a subset of its pinned entities: candidates all the same
			sel.IDs = append(sel.IDs, g.Entities...)
			continue
		}
		if len(g.cond) == 0 {
			return Selection{All: true}, true
		}
		pairs := map[string]string{}
		for _, c := range g.cond {
			key, value, isPair := tagPair(c, k)
			if !isPair {
				return Selection{}, false
			}
			if v, seen := pairs[key]; seen && v != value {
				pairs = nil // contradictory: selects nothing
				break
			}
			pairs[key] = value
		}
		if pairs != nil {
			sel.Tags = append(sel.Tags, pairs)
		}
	}
	slices.Sort(sel.IDs)
	sel.IDs = slices.Compact(sel.IDs)
	return sel, true
}

// tagPair recognises Equal(Tag(context of kind k, key), String) either way round.
func tagPair(e Expr, k EntityKind) (key, value string, ok bool) {
	eq, isEq := e.(*Equal)
	if !isEq {
		return "", "", false
	}
	tag, lok := eq.Left.(*Tag)
	str, rok := eq.Right.(*String)
	if !lok || !rok {
		tag, lok = eq.Right.(*Tag)
		str, rok = eq.Left.(*String)
	}
	if !lok || !rok {
		return "", "", false
	}
	ctx, isCtx := tag.Context.(*Context)
	if !isCtx || ctx.Kind == CtxTeam || ctx.Kind.EntityKind() != k {
		return "", "", false
	}
	return tag.Key, str.Value, true
}
