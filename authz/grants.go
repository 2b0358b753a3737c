package authz

import (
	"bytes"
	"fmt"
	"slices"
)

// GrantSpec is one grant of a custom role as the providers declare it: permission sets
// (record IDs) and scopes, on listed entities (identities), on the stacks or environments that
// carry every tag of a selector, on the entities of one kind a condition holds for, or, with
// none of these, org-wide.
type GrantSpec struct {
	Permissions []string // IDs of permission-set records to compose
	Scopes      []string
	Refs        // entity identities by kind; none = org-wide

	StackTags       map[string]string // every pair must match (Equal(Tag{Stack, key}, value)), And-ed
	EnvironmentTags map[string]string
	// Condition narrows the grant to the entities of the one kind it tests (a boolean
	// expression, e.g. compiled from the condition language by authz/condition); And-ed with
	// that kind's list or tag selector, if any.
	Condition Expr
	// MaxOpenDuration (seconds, 0 = unbounded) bounds environment opens under the grant's
	// scopes (the Allow's MaxOpenDuration constraint); it needs environment:open in Scopes.
	MaxOpenDuration int64
}

// MaxSelectorTags bounds the pairs of one tag selector: each is one more level of And, and the
// tree must stay within MaxDepth.
const MaxSelectorTags = 32

// TagsOf is the tag selector of kind k (nil for kinds that have none).
func (g *GrantSpec) TagsOf(k EntityKind) map[string]string {
	switch k {
	case KindStack:
		return g.StackTags
	case KindEnvironment:
		return g.EnvironmentTags
	}
	return nil
}

// SetTags replaces the tag selector of kind k; it panics for kinds that have none.
func (g *GrantSpec) SetTags(k EntityKind, tags map[string]string) {
	switch k {
	case KindStack:
		g.StackTags = tags
	case KindEnvironment:
		g.EnvironmentTags = tags
	default:
		panic("authz: a grant has no tag selector of kind " + k.String())
	}
}

// TagFields are the names of the grant fields that select by tags, by kind ("" = none).
var tagFields = [numKinds]string{"", "stackTags", "environmentTags", ""}

// TagField is the name of the grant field selecting entities of kind k by tags ("stackTags",
// "environmentTags"); "" for kinds without one.
func (k EntityKind) TagField() string {
	if k < numKinds {
		return tagFields[k]
	}
	return ""
}

// ExprKinds lists the entity kinds an expression refers to (through contexts, identities or
// tags), each once, in kind order.
func ExprKinds(x Expr) []EntityKind {
	var seen [numKinds]bool
	anyExpr(x, func(x Expr) bool {
		switch x := x.(type) {
		case *Context:
			seen[x.Kind.EntityKind()] = true
		case *Identity:
			seen[x.Kind.EntityKind()] = true
		case *IdentitySet:
			seen[x.Kind.EntityKind()] = true
		}
		return false
	})
	var out []EntityKind
	for k := range seen {
		if seen[k] {
			out = append(out, EntityKind(k))
		}
	}
	return out
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
//	Group[ per grant:  body                                      (no selector)
//	                   Condition(selector(kind), body(kind))      (one per selected entity kind) ]
//
// where body is Compose(permissions) and/or Allow(scopes) (with the MaxOpenDuration
// constraint, if any), and selector is one of pin(kind, ids) — Equal(context, identity) for one
// entity or In(context, set) for several —, tags(kind) — Equal(Tag{context, key}, String) per
// pair, in key order, And-ed left to right —, the grant's condition, or And(pin or tags,
// condition) when the condition tests a kind that is also listed or tag-selected. Scopes must fit
// the grant's selectors: entity scopes of a selected kind, or org-level scopes only in grants
// without selectors.
func BuildRole(grants []GrantSpec) (Node, error) {
	root := &Group{Entries: []Node{}}
	for i, g := range grants {
		at := fmt.Sprintf("grants[%d]", i)
		if len(g.Permissions) == 0 && len(g.Scopes) == 0 {
			return nil, &GrantError{Field: at, Msg: "a grant needs at least one of permissions or scopes"}
		}
		listed := [numKinds]bool{}
		var selector [numKinds]Expr
		anyListed := false
		for _, k := range EntityKinds {
			ids := g.Of(k)
			for j, id := range ids {
				if id == "" {
					return nil, &GrantError{Field: fmt.Sprintf("%s.%s[%d]", at, grantFields[k], j), Msg: "empty identity"}
				}
			}
			tags := g.TagsOf(k)
			if len(ids) > 0 && len(tags) > 0 {
				return nil, &GrantError{Field: at + "." + tagFields[k], Msg: fmt.Sprintf("a grant lists %s or selects them by %s, not both: use two grants (they add up), or a condition", grantFields[k], tagFields[k])}
			}
			if len(tags) > MaxSelectorTags {
				return nil, &GrantError{Field: at + "." + tagFields[k], Msg: fmt.Sprintf("%d tags; a grant selects by at most %d (they are And-ed, one level of the tree each)", len(tags), MaxSelectorTags)}
			}
			for key := range tags {
				if key == "" {
					return nil, &GrantError{Field: at + "." + tagFields[k], Msg: "empty tag name"}
				}
			}
			switch {
			case len(ids) > 0:
				selector[k] = pinExpr(k, ids)
			case len(tags) > 0:
				selector[k] = tagsExpr(k, tags)
			}
			if selector[k] != nil {
				listed[k], anyListed = true, true
			}
		}
		if g.Condition != nil {
			if !isBoolExpr(g.Condition) {
				return nil, &GrantError{Field: at + ".condition", Msg: fmt.Sprintf("%s is not a boolean expression", g.Condition.exprType())}
			}
			kinds := ExprKinds(g.Condition)
			if len(kinds) != 1 || kinds[0] == KindOrg {
				return nil, &GrantError{Field: at + ".condition", Msg: "a condition tests the tags or IDs of one kind of entity (stack, environment or insights_account); write one grant per kind"}
			}
			k := kinds[0]
			if selector[k] == nil {
				selector[k] = g.Condition
			} else {
				selector[k] = &And{Left: selector[k], Right: g.Condition}
			}
			listed[k], anyListed = true, true
		}
		var constraints *Constraints
		if g.MaxOpenDuration < 0 {
			return nil, &GrantError{Field: at + ".maxOpenDuration", Msg: "must not be negative"}
		}
		if g.MaxOpenDuration > 0 {
			if !slices.Contains(g.Scopes, "environment:open") {
				return nil, &GrantError{Field: at + ".maxOpenDuration", Msg: "bounds how long environments may be opened under this grant's scopes: add environment:open to scopes"}
			}
			if len(g.Permissions) > 0 {
				return nil, &GrantError{Field: at + ".maxOpenDuration", Msg: "bounds this grant's scopes only; the permission sets it composes would still open without a bound: move them to another grant"}
			}
			constraints = &Constraints{MaxOpenDuration: g.MaxOpenDuration}
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
			root.Entries = append(root.Entries, grantBody(g.Permissions, g.Scopes, constraints))
			continue
		}
		for _, k := range EntityKinds {
			if !listed[k] {
				continue
			}
			if len(g.Permissions) == 0 && len(byKind[k]) == 0 {
				return nil, &GrantError{Field: at + "." + grantFields[k], Msg: fmt.Sprintf("no permissions or %s scopes to grant on these %ss", k, k)}
			}
			c := constraints
			if k != KindEnvironment {
				c = nil
			}
			root.Entries = append(root.Entries, &Condition{
				Condition: selector[k],
				SubNode:   grantBody(g.Permissions, byKind[k], c),
			})
		}
	}
	return root, nil
}

func grantBody(perms, scopes []string, c *Constraints) Node {
	var parts []Node
	if len(perms) > 0 {
		parts = append(parts, &Compose{IDs: sortedSet(perms)})
	}
	if len(scopes) > 0 {
		parts = append(parts, &Allow{Permissions: sortedSet(scopes), Constraints: c})
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

// tagsExpr is the selector of a tag map: Equal(Tag{context, key}, String(value)) per pair, in
// key order, And-ed left to right.
func tagsExpr(k EntityKind, tags map[string]string) Expr {
	ctx, _ := ContextFor(k)
	keys := make([]string, 0, len(tags))
	for key := range tags {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	var out Expr
	for _, key := range keys {
		eq := &Equal{Left: &Tag{Context: &Context{Kind: ctx}, Key: key}, Right: &String{Value: tags[key]}}
		if out == nil {
			out = eq
		} else {
			out = &And{Left: out, Right: eq}
		}
	}
	return out
}

// tagsOf reads a selector that tagsExpr produces back into its kind and map.
func tagsOf(e Expr) (EntityKind, map[string]string, bool) {
	switch x := e.(type) {
	case *Equal:
		t, ok1 := x.Left.(*Tag)
		v, ok2 := x.Right.(*String)
		if !ok1 || !ok2 {
			return 0, nil, false
		}
		c, ok := t.Context.(*Context)
		if !ok || (c.Kind != CtxStack && c.Kind != CtxEnvironment) {
			return 0, nil, false
		}
		return c.Kind.EntityKind(), map[string]string{t.Key: v.Value}, true
	case *And:
		lk, l, ok1 := tagsOf(x.Left)
		rk, r, ok2 := tagsOf(x.Right)
		if !ok1 || !ok2 || lk != rk || len(r) != 1 {
			return 0, nil, false
		}
		for key, v := range r {
			if _, dup := l[key]; dup {
				return 0, nil, false
			}
			l[key] = v
		}
		return lk, l, true
	}
	return 0, nil, false
}

// GrantsOf reads a tree of the shape BuildRole produces back into grants (one per org-wide
// body or per entity condition; grants that BuildRole split by kind come back as separate
// grants). A condition that is neither an identity pin nor a tag selector, alone or And-ed
// after one, comes back as the grant's Condition. ok is false when the tree has any other
// shape, or when the grants read would not build the very same tree; callers then keep it as
// raw details.
func GrantsOf(n Node) (grants []GrantSpec, ok bool) {
	g, isGroup := n.(*Group)
	if !isGroup {
		return nil, false
	}
	for _, e := range g.Entries {
		var spec GrantSpec
		body := e
		if c, isCond := e.(*Condition); isCond {
			if !readSelector(c.Condition, &spec) {
				return nil, false
			}
			body = c.SubNode
		}
		if !readBody(body, &spec) {
			return nil, false
		}
		grants = append(grants, spec)
	}
	// The reading is right only if it builds the same tree: anything else stays raw details.
	again, err := BuildRole(grants)
	if err != nil || !bytes.Equal(Format(again), Format(n)) {
		return nil, false
	}
	return grants, true
}

// readSelector reads the condition of one grant entry: a pin, a tag selector, a pin And-ed
// with a condition of the same kind, or a condition alone.
func readSelector(e Expr, spec *GrantSpec) bool {
	if k, ids, ok := pinOf(e); ok && k != KindOrg {
		if _, isOr := e.(*Or); isOr {
			return false // BuildRole pins several entities with In, never Or
		}
		spec.Set(k, ids)
		return true
	}
	if k, tags, ok := tagsOf(e); ok {
		spec.SetTags(k, tags)
		return true
	}
	// A pin And-ed with a condition reads back as the list and the condition; tags And-ed with
	// one read back as one condition (as people write them: stack.tags.env == "dev" && …).
	if a, ok := e.(*And); ok {
		if k, ids, pinned := pinOf(a.Left); pinned && k != KindOrg && sameKind(a.Left, a.Right) {
			if _, isOr := a.Left.(*Or); !isOr {
				spec.Set(k, ids)
				spec.Condition = a.Right
				return true
			}
		}
	}
	if kinds := ExprKinds(e); len(kinds) == 1 && kinds[0] != KindOrg && isBoolExpr(e) {
		spec.Condition = e
		return true
	}
	return false
}

func sameKind(a, b Expr) bool {
	ka, kb := ExprKinds(a), ExprKinds(b)
	return len(ka) == 1 && len(kb) == 1 && ka[0] == kb[0]
}

func readBody(n Node, spec *GrantSpec) bool {
	switch x := n.(type) {
	case *Compose:
		spec.Permissions = append(spec.Permissions, x.IDs...)
		return true
	case *Allow:
		if x.Constraints != nil {
			if x.Constraints.MaxOpenDuration == 0 || spec.MaxOpenDuration != 0 {
				return false
			}
			spec.MaxOpenDuration = x.Constraints.MaxOpenDuration
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
