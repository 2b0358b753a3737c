package authz

import (
	"fmt"
	"sort"
)

// Coverage is the answer of Covers: whether A holds everything B grants, and if not, what B
// grants beyond A.
type Coverage struct {
	Covered bool
	Missing []string // human-readable, e.g. "stack:delete on stack 7f3…", sorted
}

// Covers reports whether principal a already holds everything b would grant. The server uses
// it so that nobody mints a role or a token beyond their own rights. It is sound but
// conservative: a grant of b with a residual condition (tags, negations) is covered only by an
// unconditional grant of a on every entity of that kind, by the same condition in a, or — when
// pinned to entities — by a's grants on each of those entities.
func Covers(a, b *Index) Coverage {
	var missing []string
	for k := EntityKind(0); k < numKinds; k++ {
		ak, bk := &a.kinds[k], &b.kinds[k]
		if extra := bk.all.Minus(ak.all); !extra.Empty() {
			where := "on every " + k.String()
			if k == KindOrg {
				where = "in the organization"
			}
			missing = append(missing, fmt.Sprintf("%s %s", extra, where))
		}
		for id, slot := range bk.ids {
			aset, _ := ak.lookup(id)
			if extra := bk.sets[slot].Minus(ak.all).Minus(aset); !extra.Empty() {
				missing = append(missing, fmt.Sprintf("%s on %s %s", extra, k, id))
			}
		}
		for _, g := range b.residual[k] {
			extra := g.Scopes.Minus(ak.all)
			if extra.Empty() {
				continue
			}
			for _, ag := range a.residual[k] {
				if ag.Condition == g.Condition && sameEntities(ag, g) {
					extra = extra.Minus(ag.Scopes)
				}
			}
			if g.pin && !extra.Empty() {
				left := ScopeSet{}
				for _, id := range g.Entities {
					aset, _ := ak.lookup(id)
					left.Union(extra.Minus(aset))
				}
				extra = left
			}
			if !extra.Empty() {
				missing = append(missing, fmt.Sprintf("%s on %s when %s", extra, entitiesOf(g), g.Condition))
			}
		}
	}
	sort.Strings(missing)
	return Coverage{Covered: len(missing) == 0, Missing: missing}
}

func sameEntities(a, b *Grant) bool {
	if a.pin != b.pin || len(a.Entities) != len(b.Entities) {
		return false
	}
	for i := range a.Entities {
		if a.Entities[i] != b.Entities[i] {
			return false
		}
	}
	return true
}

func entitiesOf(g *Grant) string {
	switch {
	case g.Kind == KindOrg:
		return "the organization"
	case !g.pin:
		return "every " + g.Kind.String()
	case len(g.Entities) == 1:
		return g.Kind.String() + " " + g.Entities[0]
	}
	return fmt.Sprintf("%d %ss", len(g.Entities), g.Kind)
}
