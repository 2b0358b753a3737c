package authz

// This file gives Allow constraints their meaning. MaxOpenDuration (seconds) bounds how long an
// environment may be opened under the grant; an Allow without it (or with 0) does not bound
// opens. A principal may open an environment for the longest duration any of its grants that
// allow the open permits: unbounded if one of them is. The escalation check (Covers) treats an
// unbounded grant as more than a bounded one, and a longer bound as more than a shorter one.

// OpenScopes are the scopes a MaxOpenDuration constraint bounds.
var OpenScopes = func() ScopeSet {
	var s ScopeSet
	s.Add(MustScope("environment:open").ID)
	s.Add(MustScope("environment_version:open").ID)
	return s
}()

// MaxOpenDuration is how long the principal may open environment e with scope (one of
// OpenScopes): seconds and bounded=true when every grant that allows it carries a bound (the
// longest applies), 0 and false when one that allows it is unbounded or none allows it at all
// (Decide says which).
func (ix *Index) MaxOpenDuration(scope ScopeID, e Entity) (seconds int64, bounded bool) {
	k := catalog[scope].Kind
	if k != KindEnvironment || e.Kind != k {
		return 0, false
	}
	ki := &ix.kinds[k]
	if ki.all.Has(scope) {
		return 0, false
	}
	if set, ok := ki.lookup(e.ID); ok && set.Has(scope) {
		return 0, false
	}
	for _, g := range ix.residual[k] {
		if !g.Scopes.Has(scope) || !g.holds(&e) {
			continue
		}
		if g.MaxOpenDuration == 0 {
			return 0, false
		}
		seconds, bounded = max(seconds, g.MaxOpenDuration), true
	}
	return seconds, bounded
}

// boundCovers reports whether a grant bounded by a (0 = unbounded) covers one bounded by b.
func boundCovers(a, b int64) bool { return a == 0 || b != 0 && a >= b }

// grantCovers reports whether grant a of one index allows, wherever grant b of another allows,
// at least as long an open: a's condition is none or b's, and a's entities include b's.
func grantCovers(a, b *Grant) bool {
	if !boundCovers(a.MaxOpenDuration, b.MaxOpenDuration) {
		return false
	}
	if a.Condition != "" && a.Condition != b.Condition {
		return false
	}
	if !a.pin {
		return true
	}
	if !b.pin {
		return false
	}
	for _, id := range b.Entities {
		found := false
		for _, x := range a.Entities {
			if x == id {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
