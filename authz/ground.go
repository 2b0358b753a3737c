package authz

// Ground is Grounds()[i] without building the slice, for servers writing many answers
// (0 ≤ i < len(Grants); the request must be allowed).
func (x Explanation) Ground(i int) Ground {
	g := x.Grants[i]
	names := g.scopeNames // shared: read only
	if names == nil {
		names = g.Scopes.Names()
	}
	out := Ground{Record: g.Source, Path: g.Path, Via: g.Via, Condition: g.Condition, Scopes: names}
	if g.Entities != nil {
		out.Entity = x.Entity.ID
	}
	return out
}
