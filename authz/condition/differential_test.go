package condition

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/cel-go/cel"

	"github.com/iamref/iam/authz"
)

// Random conditions as trees of the grammar, printed in the condition language, compiled back
// and evaluated three ways on random entities with random tags: by cel-go on the printed text
// (where CEL gives an answer; CEL fails on a missing tag, where the grammar's comparison is
// false), by the tree-walking interpreter authz.Eval and by the compiled index's Decide.

var (
	dKeys = []string{"env", "team", "cost-center", "if"}
	dVals = []string{"dev", "prod", "", "a\"b"}
	dIDs  = []string{"s1", "s2", "e1", "a1"}
	dCtx  = []authz.ContextKind{authz.CtxStack, authz.CtxEnvironment, authz.CtxInsightsAccount}
)

type condGen struct{ r *rand.Rand }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g condGen) ctx() authz.ContextKind { return pick(g.r, dCtx) }

func (g condGen) tag(k authz.ContextKind) authz.Expr {
	return &authz.Tag{Context: &authz.Context{Kind: k}, Key: pick(g.r, dKeys)}
}

func (g condGen) expr(depth int) authz.Expr {
	c := g.r.IntN(10)
	if depth <= 0 {
		c = g.r.IntN(6)
	}
	k := g.ctx()
	switch c {
	case 0:
		return &authz.Equal{Left: g.tag(k), Right: &authz.String{Value: pick(g.r, dVals)}}
	case 1:
		if g.r.IntN(2) == 0 {
			return &authz.Equal{Left: &authz.Context{Kind: k}, Right: &authz.Identity{Kind: k, ID: pick(g.r, dIDs)}}
		}
		return &authz.Equal{Left: g.tag(k), Right: g.tag(k)}
	case 2:
		set := &authz.StringSet{}
		for range g.r.IntN(3) {
			set.Values = append(set.Values, pick(g.r, dVals))
		}
		return &authz.In{Target: g.tag(k), Values: set}
	case 3:
		set := &authz.IdentitySet{Kind: k, IDs: []string{pick(g.r, dIDs)}}
		return &authz.In{Target: &authz.Context{Kind: k}, Values: set}
	case 4:
		return &authz.HasTag{Context: &authz.Context{Kind: k}, Key: pick(g.r, dKeys)}
	case 5:
		if g.r.IntN(4) == 0 {
			return &authz.Bool{Value: g.r.IntN(2) == 0}
		}
		return &authz.Not{X: &authz.Equal{Left: g.tag(k), Right: &authz.String{Value: pick(g.r, dVals)}}}
	case 6, 7:
		return &authz.And{Left: g.expr(depth - 1), Right: g.expr(depth - 1)}
	case 8:
		return &authz.Or{Left: g.expr(depth - 1), Right: g.expr(depth - 1)}
	default:
		return &authz.Not{X: g.expr(depth - 1)}
	}
}

func (g condGen) entity() authz.Entity {
	k := pick(g.r, authz.EntityKinds[:])
	e := authz.Entity{Kind: k, ID: pick(g.r, dIDs), Tags: map[string]string{}}
	for _, key := range dKeys {
		if g.r.IntN(3) > 0 {
			e.Tags[key] = pick(g.r, dVals)
		}
	}
	return e
}

// activation is the CEL variables for a request on e: the entity's kind has its id and tags;
// the other kinds have no tags and an ID no identity equals, as the grammar treats them.
func activation(e authz.Entity) map[string]any {
	vars := map[string]any{}
	for _, s := range subjects {
		vars[s.name+".id"] = "\x00none"
		vars[s.name+".tags"] = map[string]string{}
		if s.ctx.EntityKind() == e.Kind {
			vars[s.name+".id"] = e.ID
			vars[s.name+".tags"] = e.Tags
		}
	}
	return vars
}

func TestConditionsAgree(t *testing.T) {
	conds, entities := 3000, 30
	if testing.Short() {
		conds = 400
	}
	g := condGen{rand.New(rand.NewPCG(7, 14))}
	scopes := map[authz.EntityKind]authz.ScopeID{
		authz.KindStack:           authz.MustScope("stack:read").ID,
		authz.KindEnvironment:     authz.MustScope("environment:read").ID,
		authz.KindInsightsAccount: authz.MustScope("insights_account:read").ID,
	}
	var compared, celCompared, allowed int
	for i := range conds {
		x := g.expr(4)
		src, err := Print(x)
		if err != nil {
			t.Fatalf("condition %d: %s does not print: %v", i, authz.FormatExpr(x), err)
		}
		y, err := Compile(src)
		if err != nil {
			t.Fatalf("condition %d: %q does not compile: %v", i, src, err)
		}
		if string(authz.FormatExpr(y)) != string(authz.FormatExpr(x)) {
			t.Fatalf("condition %d: %q compiles to\n%s\nnot\n%s", i, src, authz.FormatExpr(y), authz.FormatExpr(x))
		}
		root := &authz.Condition{Condition: y, SubNode: &authz.Allow{Permissions: []string{"stack:read", "environment:read", "insights_account:read"}}}
		ix, err := authz.Compile(root, authz.NoCompose)
		if err != nil {
			t.Fatalf("condition %d: %v", i, err)
		}
		ast, iss := Env().Compile(src)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		prg, err := Env().Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		for range entities {
			e := g.entity()
			want, err := authz.Eval(root, authz.NoCompose, scopes[e.Kind], e)
			if err != nil {
				t.Fatal(err)
			}
			if got := bool(ix.Decide(scopes[e.Kind], e)); got != want {
				t.Fatalf("%q on %+v: Eval %v, Decide %v", src, e, want, got)
			}
			compared++
			if want {
				allowed++
			}
			out, _, err := prg.Eval(activation(e))
			if err != nil {
				continue // a missing tag: CEL has no answer, the grammar says false for the comparison
			}
			if out.Type() != cel.BoolType || out.Value().(bool) != want {
				t.Fatalf("%q on %+v: cel-go %v, the grammar %v", src, e, out, want)
			}
			celCompared++
		}
	}
	t.Logf("%d decisions compared (%d allowed), %d of them with cel-go", compared, allowed, celCompared)
	if allowed < compared/10 || compared-allowed < compared/10 || celCompared < compared/3 {
		t.Fatalf("the generator no longer exercises both answers and cel-go")
	}
}

func ExamplePrint() {
	x, _ := Compile(`stack.tags.env == "dev" && stack.tags.team in ["payments", "billing"]`)
	fmt.Println(string(authz.FormatExpr(x)))
	s, _ := Print(x)
	fmt.Println(s)
	// Output:
	// {"__type":"PermissionExpressionAnd","left":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"dev"}},"right":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"team"},"values":{"__type":"PermissionSetExpressionString","values":["billing","payments"]}}}
	// stack.tags.env == "dev" && stack.tags.team in ["billing", "payments"]
}
