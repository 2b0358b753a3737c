package authz

// Walk calls fn for every descriptor node of the tree rooted at n (not across Compose
// references), parents before children.
func Walk(n Node, fn func(Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch x := n.(type) {
	case *Group:
		for _, e := range x.Entries {
			Walk(e, fn)
		}
	case *Condition:
		Walk(x.SubNode, fn)
	case *IfThenElse:
		Walk(x.True, fn)
		Walk(x.False, fn)
	case *Select:
		for _, o := range x.Options {
			Walk(o.Node, fn)
		}
	}
}

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
