package authz

import (
	"fmt"
	"slices"
)

// Entity is what a request acts on. For org-level scopes it is ignored.
type Entity struct {
	Kind EntityKind
	ID   string            // opaque identity, compared with PermissionLiteralExpression* identities
	Name string            // "project/stack", "project/env" or the account name; for messages
	Tags map[string]string // for HasTag/Tag conditions
	// Unknown says the entity's attributes (tags) are not known (an access check about an
	// entity the caller may not read): grants conditional on them do not hold, and guardrails
	// conditional on them apply (what cannot be evaluated is refused both ways).
	Unknown bool

	in internedForm // ID and Tags as numbers, when built with Interned
}

// OrgEntity is the entity of org-level requests.
var OrgEntity = Entity{Kind: KindOrg}

// Resolver returns the details tree of a record that a Compose node references.
type Resolver interface {
	Resolve(id string) (Node, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(id string) (Node, error)

func (f ResolverFunc) Resolve(id string) (Node, error) { return f(id) }

// NoCompose is a Resolver for trees that must not reference other records.
var NoCompose Resolver = ResolverFunc(func(id string) (Node, error) {
	return nil, fmt.Errorf("permission descriptor %q: references to other records are not available here", id)
})

// Eval is the reference semantics of a tree: does root grant scope on entity e? It walks the
// tree on every call (resolving Compose through r) and is meant for tests and one-off checks;
// Compile builds the index that answers the same question in constant time. It stops at the
// first Allow that grants the scope, so errors past it (a missing record) do not surface.
func Eval(root Node, r Resolver, scope ScopeID, e Entity) (bool, error) {
	if catalog[scope].Kind == KindOrg {
		e = OrgEntity
	} else if catalog[scope].Kind != e.Kind {
		return false, nil
	}
	v := &evaluator{scope: catalog[scope].Name, entity: e}
	err := v.walk(root, r, v)
	return v.granted, err
}

// evaluator is the visitor of Eval: it descends only where the guards hold for the entity.
type evaluator struct {
	walker
	scope   string
	entity  Entity
	granted bool
}

func (v *evaluator) enter(n Node) (bool, error) {
	if a, ok := n.(*Allow); ok && slices.Contains(a.Permissions, v.scope) {
		v.granted = true
	}
	return v.granted, nil
}

func (v *evaluator) push(g guard) bool { return g.holds(&v.entity) }
func (v *evaluator) pop()              {}

// value is the result of an expression: undefined, an entity, a string, a number or a bool.
type value struct {
	kind valueKind
	ctx  ContextKind // for entities
	s    string      // entity identity or string
	n    float64
	b    bool
}

type valueKind uint8

const (
	vUndefined valueKind = iota
	vEntity
	vString
	vNumber
	vBool
)

func (v value) equal(o value) bool {
	if v.kind == vUndefined || v.kind != o.kind {
		return false
	}
	switch v.kind {
	case vEntity:
		return v.ctx == o.ctx && v.s == o.s
	case vString:
		return v.s == o.s
	case vNumber:
		return v.n == o.n
	}
	return v.b == o.b
}

func truthy(v value) bool { return v.kind == vBool && v.b }

func boolValue(b bool) value { return value{kind: vBool, b: b} }

// contextValue is the entity a context expression refers to, if the request is about one.
func contextValue(k ContextKind, e *Entity) value {
	if k == CtxTeam || k.EntityKind() != e.Kind {
		return value{} // teams are principals: tokens have none in Phase 1
	}
	return value{kind: vEntity, ctx: k, s: e.ID}
}

// evalExpr evaluates x for a request on entity ent. It does not allocate. It stays one type
// switch: a method per expression type, called through the Expr interface, would make ent
// escape and cost Decide an allocation per residual condition.
func evalExpr(x Expr, ent *Entity) value {
	switch x := x.(type) {
	case *Context:
		return contextValue(x.Kind, ent)
	case *Identity:
		return value{kind: vEntity, ctx: x.Kind, s: x.ID}
	case *String:
		return value{kind: vString, s: x.Value}
	case *Number:
		return value{kind: vNumber, n: x.Value}
	case *Bool:
		return boolValue(x.Value)
	case *Equal:
		return boolValue(evalExpr(x.Left, ent).equal(evalExpr(x.Right, ent)))
	case *In:
		t := evalExpr(x.Target, ent)
		switch set := x.Values.(type) {
		case *IdentitySet:
			return boolValue(t.kind == vEntity && t.ctx == set.Kind && slices.Contains(set.IDs, t.s))
		case *StringSet:
			return boolValue(t.kind == vString && slices.Contains(set.Values, t.s))
		}
		return boolValue(false)
	case *And:
		return boolValue(truthy(evalExpr(x.Left, ent)) && truthy(evalExpr(x.Right, ent)))
	case *Or:
		return boolValue(truthy(evalExpr(x.Left, ent)) || truthy(evalExpr(x.Right, ent)))
	case *Not:
		return boolValue(!truthy(evalExpr(x.X, ent)))
	case *HasTag:
		c := evalExpr(x.Context, ent)
		if c.kind != vEntity {
			return boolValue(false)
		}
		_, ok := ent.Tags[x.Key]
		return boolValue(ok)
	case *Tag:
		c := evalExpr(x.Context, ent)
		if c.kind != vEntity {
			return value{}
		}
		if v, ok := ent.Tags[x.Key]; ok {
			return value{kind: vString, s: v}
		}
		return value{}
	}
	return value{}
}
