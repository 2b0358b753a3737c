package authz

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

const notTag = `{"__type":"PermissionExpressionNot","node":%s}`

func mustGuardrail(t *testing.T, id string, actions []string, condition string) *Guardrail {
	t.Helper()
	g, _, err := NewGuardrail(id, id, actions, []byte(condition))
	if err != nil {
		t.Fatalf("NewGuardrail(%v, %s): %v", actions, condition, err)
	}
	return g
}

func TestGuardrailDecide(t *testing.T) {
	admin := MustCompile(MustParse(allowOf("stack:read", "stack:delete", "environment:open", "org_token:create")), NoCompose)
	noProdDelete := mustGuardrail(t, "g1", []string{"stack:delete"}, fmt.Sprintf(stackTag, "env", "prod"))
	noTokens := mustGuardrail(t, "g2", []string{"org_token:create"}, "")
	noOpen := mustGuardrail(t, "g3", []string{"environment:open"}, "")
	broken := &Guardrail{ID: "g4", Name: "g4", Kind: KindStack, Scopes: scopeSetOf("stack:read"),
		Condition: MustParseExpr(fmt.Sprintf(stackTag, "env", "nowhere")), Broken: "stored condition does not parse"}
	unknownProd := Entity{Kind: KindStack, ID: "s-prod", Unknown: true}

	tests := []struct {
		name   string
		gs     []*Guardrail
		scope  string
		entity Entity
		want   Decision
		by     string // the guardrail Explain names
	}{
		{"no guardrails", nil, "stack:delete", prod, Allowed, ""},
		{"tag matches: denied", []*Guardrail{noProdDelete}, "stack:delete", prod, Denied, "g1"},
		{"tag differs: allowed", []*Guardrail{noProdDelete}, "stack:delete", dev, Allowed, ""},
		{"other action: allowed", []*Guardrail{noProdDelete}, "stack:read", prod, Allowed, ""},
		{"org-level guardrail", []*Guardrail{noTokens}, "org_token:create", OrgEntity, Denied, "g2"},
		{"org-level ignores the entity", []*Guardrail{noTokens}, "org_token:create", prod, Denied, "g2"},
		{"unconditional on a kind", []*Guardrail{noOpen}, "environment:open", envProd, Denied, "g3"},
		{"broken denies everywhere (fail closed)", []*Guardrail{broken}, "stack:read", dev, Denied, "g4"},
		{"unknown attributes: conditional guardrail applies (fail closed)", []*Guardrail{noProdDelete}, "stack:delete", unknownProd, Denied, "g1"},
		{"several: the one that applies is named", []*Guardrail{noOpen, noTokens, noProdDelete}, "stack:delete", prod, Denied, "g1"},
		{"guardrail does not grant", []*Guardrail{noProdDelete}, "stack:write", dev, Denied, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := admin.WithGuardrails(tc.gs)
			id := MustScope(tc.scope).ID
			if got := ix.Decide(id, tc.entity); got != tc.want {
				t.Fatalf("Decide = %v, want %v", got, tc.want)
			}
			x := ix.Explain(id, tc.entity)
			if x.Decision != tc.want {
				t.Fatalf("Explain = %v, want %v", x.Decision, tc.want)
			}
			d := x.Denial()
			if tc.by == "" {
				if d.Reason == DeniedByGuardrail {
					t.Fatalf("denial names a guardrail: %+v", d)
				}
				return
			}
			if d.Reason != DeniedByGuardrail || d.Guardrail != tc.by || d.Overridden == 0 {
				t.Fatalf("denial = %+v, want guardrail %s", d, tc.by)
			}
			if s := x.String(); !strings.Contains(s, `guardrail "`+tc.by+`"`) || !strings.Contains(s, "no grant overrides") {
				t.Fatalf("explanation %q does not name the guardrail", s)
			}
			if x.Grounds() != nil {
				t.Fatal("a denied explanation has grounds")
			}
		})
	}
	// The unguarded index is untouched (it is shared by the cache).
	if admin.Decide(MustScope("stack:delete").ID, prod) != Allowed || len(admin.Guardrails()) != 0 {
		t.Fatal("WithGuardrails changed the index it was given")
	}
}

func TestNewGuardrailErrors(t *testing.T) {
	tests := []struct {
		actions   []string
		condition string
		field     string
		msg       string
	}{
		{nil, "", "actions", "required"},
		{[]string{"stack:delet"}, "", "actions[0]", `did you mean "stack:delete"`},
		{[]string{"stack:delete", "environment:open"}, "", "actions[1]", "one kind of entity"},
		{[]string{"org_token:create"}, fmt.Sprintf(stackTag, "env", "prod"), "condition", "org-level"},
		{[]string{"environment:open"}, fmt.Sprintf(stackTag, "env", "prod"), "condition", "use the environment context"},
		{[]string{"stack:delete"}, `{"__type":"PermissionLiteralExpressionString","value":"x"}`, "condition", "not a boolean"},
		{[]string{"stack:delete"}, `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTagg"}}`, "condition.left.__type", "unknown expression type"},
		{[]string{"stack:delete"}, `{"__type":"PermissionExpressionEqual"`, "condition", "invalid JSON"},
	}
	for _, tc := range tests {
		_, _, err := NewGuardrail("id", "n", tc.actions, []byte(tc.condition))
		ge, ok := err.(*GuardrailError)
		if !ok {
			t.Errorf("%v %s: err = %v, want a *GuardrailError", tc.actions, tc.condition, err)
			continue
		}
		if ge.Field != tc.field || !strings.Contains(ge.Msg, tc.msg) {
			t.Errorf("%v %s: got %s: %s; want field %s with %q", tc.actions, tc.condition, ge.Field, ge.Msg, tc.field, tc.msg)
		}
	}
	// The canonical condition prints back the same.
	_, canon, err := NewGuardrail("id", "n", []string{"stack:delete"}, []byte(" "+fmt.Sprintf(notTag, fmt.Sprintf(stackTag, "env", "dev"))+"\n"))
	if err != nil || canon != string(FormatExpr(MustParseExpr(canon))) || strings.ContainsAny(canon, " \n") {
		t.Fatalf("canonical condition %q, %v", canon, err)
	}
}

// TestGuardrailDifferential checks Decide under guardrails against its definition: the
// reference interpreter (Eval) allows and no guardrail denies, on random tags and conditions.
func TestGuardrailDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 14))
	vals := []string{"dev", "prod", "stage"}
	keys := []string{"env", "team", "tier"}
	randCond := func() string {
		c := fmt.Sprintf(stackTag, keys[rng.IntN(3)], vals[rng.IntN(3)])
		if rng.IntN(3) == 0 {
			c = fmt.Sprintf(notTag, c)
		}
		return c
	}
	scopes := []string{"stack:read", "stack:write", "stack:delete"}
	for round := 0; round < 200; round++ {
		tree := group(
			cond(randCond(), allowOf(scopes[rng.IntN(3)], scopes[rng.IntN(3)])),
			cond(randCond(), allowOf(scopes[rng.IntN(3)])),
		)
		root := MustParse(tree)
		var gs []*Guardrail
		for i := 0; i < rng.IntN(3); i++ {
			gs = append(gs, mustGuardrail(t, fmt.Sprintf("g%d", i), []string{scopes[rng.IntN(3)]}, randCond()))
		}
		ix := MustCompile(root, NoCompose).WithGuardrails(gs)
		for i := 0; i < 20; i++ {
			e := Entity{Kind: KindStack, ID: fmt.Sprint("s", i), Tags: map[string]string{}}
			for _, k := range keys {
				if rng.IntN(2) == 0 {
					e.Tags[k] = vals[rng.IntN(3)]
				}
			}
			for _, sc := range scopes {
				id := MustScope(sc).ID
				want, err := Eval(root, NoCompose, id, e)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range gs {
					want = want && !g.Denies(id, e)
				}
				if got := ix.Decide(id, e); bool(got) != want {
					t.Fatalf("round %d: %s on %v: Decide %v, reference %v\ntree %s", round, sc, e.Tags, got, want, tree)
				}
				if x := ix.Explain(id, e); bool(x.Decision) != want {
					t.Fatalf("round %d: Explain disagrees with the reference", round)
				}
			}
		}
	}
}

func TestGuardrailDecideDoesNotAllocate(t *testing.T) {
	ix := MustCompile(MustParse(allowOf("stack:read", "stack:delete")), NoCompose).
		WithGuardrails([]*Guardrail{mustGuardrail(t, "g", []string{"stack:delete"}, fmt.Sprintf(stackTag, "env", "prod"))})
	del := MustScope("stack:delete").ID
	allocs := testing.AllocsPerRun(100, func() {
		ix.Decide(del, prod)
		ix.Decide(del, dev)
		ix.Explain(del, prod)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decision", allocs)
	}
}

func scopeSetOf(names ...string) ScopeSet {
	var s ScopeSet
	for _, n := range names {
		s.Add(MustScope(n).ID)
	}
	return s
}
