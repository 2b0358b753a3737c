package authz

import (
	"fmt"
	"slices"
)

// GrantSpec is one grant of a custom role as the providers declare it: permission sets
// (record IDs) and scopes, on listed entities (identities) or, with no lists, org-wide.
type GrantSpec struct {
	Permissions []string // IDs of permission-set records to compose
	Scopes      []string
	Refs        // entity identities by kind; none = org-wide
}

// GrantError is a problem with one field of one grant; Field is a path such as
// "grants[1].scopes[0]".
type GrantError struct {
	Field string
	Msg   string
	Err   error
}

func (e *GrantError) Error() string { return e.Field + ": " + e.Msg }
func (e *GrantError) Unwrap() error { return e.Err }

// BuildRole turns grants into the canonical descriptor tree of a role:
//
//	Group[ per grant:  body                                  (no entity lists)
//	                   Condition(pin(kind, ids), body(kind))  (one per listed entity kind) ]
//
// where body is Compose(permissions) and/or Allow(scopes), and pin is Equal(context, identity)
// for one entity or In(context, set) for several. Scopes must fit the grant's entity lists:
// entity scopes of a listed kind, or org-level scopes only in grants without lists.
func BuildRole(grants []GrantSpec) (Node, error) {
	root := &Group{Entries: []Node{}}
	for i, g := range grants {
		at := fmt.Sprintf("grants[%d]", i)
		if len(g.Permissions) == 0 && len(g.Scopes) == 0 {
			return nil, &GrantError{Field: at, Msg: "a grant needs at least one of permissions or scopes"}
		}
		listed := [numKinds]bool{}
		anyListed := false
		for _, k := range EntityKinds {
			ids := g.Of(k)
			for j, id := range ids {
				if id == "" {
					return nil, &GrantError{Field: fmt.Sprintf("%s.%s[%d]", at, grantFields[k], j), Msg: "empty identity"}
				}
			}
			if len(ids) > 0 {
				listed[k], anyListed = true, true
			}
		}
		for j, p := range g.Permissions {
			if p == "" {
				return nil, &GrantError{Field: fmt.Sprintf("%s.permissions[%d]", at, j), Msg: "empty permission ID"}
			}
		}
		var byKind [numKinds][]string
		for j, name := range g.Scopes {
			field := fmt.Sprintf("%s.scopes[%d]", at, j)
			s, err := LookupScope(name)
			if err != nil {
				return nil, &GrantError{Field: field, Msg: err.Error(), Err: err}
			}
			switch {
			case !anyListed:
			case s.Kind == KindOrg:
				return nil, &GrantError{Field: field, Msg: fmt.Sprintf("%s is an organization-level scope; put it in a grant without stacks, environments or insightsAccounts", name)}
			case !listed[s.Kind]:
				return nil, &GrantError{Field: field, Msg: fmt.Sprintf("%s acts on %ss, but this grant lists no %s", name, s.Kind, grantFields[s.Kind])}
			}
			byKind[s.Kind] = append(byKind[s.Kind], name)
		}
		if !anyListed {
			root.Entries = append(root.Entries, grantBody(g.Permissions, g.Scopes))
			continue
		}
		for _, k := range EntityKinds {
			if !listed[k] {
				continue
			}
			if len(g.Permissions) == 0 && len(byKind[k]) == 0 {
				return nil, &GrantError{Field: at + "." + grantFields[k], Msg: fmt.Sprintf("no permissions or %s scopes to grant on these %ss", k, k)}
			}
			root.Entries = append(root.Entries, &Condition{
				Condition: pinExpr(k, g.Of(k)),
				SubNode:   grantBody(g.Permissions, byKind[k]),
			})
		}
	}
	return root, nil
}

func grantBody(perms, scopes []string) Node {
	var parts []Node
	if len(perms) > 0 {
		parts = append(parts, &Compose{IDs: sortedSet(perms)})
	}
	if len(scopes) > 0 {
		parts = append(parts, &Allow{Permissions: sortedSet(scopes)})
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &Group{Entries: parts}
}

func pinExpr(k EntityKind, ids []string) Expr {
	ctx, _ := ContextFor(k)
	ids = sortedSet(ids)
	if len(ids) == 1 {
		return &Equal{Left: &Context{Kind: ctx}, Right: &Identity{Kind: ctx, ID: ids[0]}}
	}
	return &In{Target: &Context{Kind: ctx}, Values: &IdentitySet{Kind: ctx, IDs: ids}}
}

// GrantsOf reads a tree of the shape BuildRole produces back into grants (one per org-wide
// body or per entity condition; grants that BuildRole split by kind come back as separate
// grants). ok is false when the tree has any other shape; callers then keep it as raw details.
func GrantsOf(n Node) (grants []GrantSpec, ok bool) {
	g, isGroup := n.(*Group)
	if !isGroup {
		return nil, false
	}
	for _, e := range g.Entries {
		var spec GrantSpec
		body := e
		if c, isCond := e.(*Condition); isCond {
			k, ids, pinned := pinOf(c.Condition)
			if !pinned {
				return nil, false
			}
			if k == KindOrg {
				return nil, false
			}
			spec.Set(k, ids)
			body = c.SubNode
		}
		if !readBody(body, &spec) {
			return nil, false
		}
		grants = append(grants, spec)
	}
	return grants, true
}

func readBody(n Node, spec *GrantSpec) bool {
	switch x := n.(type) {
	case *Compose:
		spec.Permissions = append(spec.Permissions, x.IDs...)
		return true
	case *Allow:
		if x.Constraints != nil {
			return false
		}
		spec.Scopes = append(spec.Scopes, x.Permissions...)
		return true
	case *Group: // BuildRole's only group body: Compose then Allow
		if len(x.Entries) != 2 {
			return false
		}
		c, ok1 := x.Entries[0].(*Compose)
		a, ok2 := x.Entries[1].(*Allow)
		return ok1 && ok2 && readBody(c, spec) && readBody(a, spec)
	}
	return false
}

// ScopeKinds returns the entity kinds of the named scopes (each once, in kind order).
func ScopeKinds(names []string) ([]EntityKind, error) {
	var seen [numKinds]bool
	for _, n := range names {
		s, err := LookupScope(n)
		if err != nil {
			return nil, err
		}
		seen[s.Kind] = true
	}
	var out []EntityKind
	for k := range seen {
		if seen[k] {
			out = append(out, EntityKind(k))
		}
	}
	return slices.Clip(out), nil
}
