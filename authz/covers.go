package authz

import (
	"slices"
	"strings"
)

// Coverage is the answer of Covers: whether A holds everything B grants, and if not, what B
// grants beyond A.
type Coverage struct {
	Covered bool
	Gaps    []Gap // sorted by their text (see Missing)
}

// Gap is a part of B's rights that A lacks: Scopes on the entities it names, under B's
// residual condition if any.
type Gap struct {
	Scopes    ScopeSet
	Kind      EntityKind // KindOrg: in the organization
	Entities  []string   // identities; nil = every entity of Kind (or the organization)
	Condition string     // the residual condition of B's grant (canonical JSON); "" = none
	// MaxOpenDuration is B's bound on opens (seconds), which A does not allow as long; 0 = B's
	// grant is unbounded (A's grants of those scopes are bounded, or missing).
	MaxOpenDuration int64
}

// Covers reports whether principal a already holds everything b would grant. The server uses
// it so that nobody mints a role or a token beyond their own rights. It is sound but
// conservative: a grant of b with a residual condition (tags, negations) is covered only by an
// unconditional grant of a on every entity of that kind, by the same condition in a, or — when
// pinned to entities — by a's grants on each of those entities.
func Covers(a, b *Index) Coverage {
	var gaps []Gap
	for k := EntityKind(0); k < numKinds; k++ {
		ak, bk := &a.kinds[k], &b.kinds[k]
		if extra := bk.all.Minus(ak.all); !extra.Empty() {
			gaps = append(gaps, Gap{Scopes: extra, Kind: k})
		}
		for id, slot := range bk.ids {
			aset, _ := ak.lookup(id)
			if extra := bk.sets[slot].Minus(ak.all).Minus(aset); !extra.Empty() {
				gaps = append(gaps, Gap{Scopes: extra, Kind: k, Entities: []string{id}})
			}
		}
		for _, g := range b.residual[k] {
			extra := g.Scopes.Minus(ak.all)
			if extra.Empty() {
				continue
			}
			for _, ag := range a.residual[k] {
				if grantCovers(ag, g) {
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
				gaps = append(gaps, Gap{Scopes: extra, Kind: k, Entities: g.Entities, Condition: g.Condition, MaxOpenDuration: g.MaxOpenDuration})
			}
		}
	}
	sortGaps(gaps)
	return Coverage{Covered: len(gaps) == 0, Gaps: gaps}
}

// sortGaps orders gaps by their text, so that Missing is sorted.
func sortGaps(gaps []Gap) {
	type keyed struct {
		text string
		gap  Gap
	}
	ks := make([]keyed, len(gaps))
	for i, g := range gaps {
		ks[i] = keyed{g.String(), g}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return strings.Compare(x.text, y.text) })
	for i, k := range ks {
		gaps[i] = k.gap
	}
}
