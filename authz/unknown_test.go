package authz_test

import (
	"testing"

	. "github.com/iamref/iam/authz"
	"github.com/iamref/iam/authz/condition"
)

// TestUnknownEntityMeetsNoCondition: an entity whose attributes are unknown (an access check
// about an entity the caller may not read) meets no condition, negated ones included, even
// when tags were left on it, on Decide, Explain and the reference Eval alike; a grant that
// pins its ID without a condition still holds.
func TestUnknownEntityMeetsNoCondition(t *testing.T) {
	cond := func(src string) Expr {
		x, err := condition.Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	root, err := BuildRole([]GrantSpec{
		{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": "dev"}},
		{Scopes: []string{"stack:write"}, Condition: cond(`!has(stack.tags.env)`)},
		{Scopes: []string{"stack:delete"}, Condition: cond(`stack.tags.env != "prod"`)},
		{Scopes: []string{"stack_tags:update"}, Refs: Refs{Stacks: []string{"s-1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ix := MustCompile(root, NoCompose)
	for _, c := range []struct {
		name   string
		e      Entity
		action string
		want   Decision
	}{
		{"tag grant, tags known", Entity{Kind: KindStack, ID: "s-1", Tags: map[string]string{"env": "dev"}}, "stack:read", Allowed},
		{"tag grant, unknown with tags left on", Entity{Kind: KindStack, ID: "s-1", Tags: map[string]string{"env": "dev"}, Unknown: true}, "stack:read", Denied},
		{"negated condition, known without the tag", Entity{Kind: KindStack, ID: "s-1"}, "stack:write", Allowed},
		{"negated condition, unknown", Entity{Kind: KindStack, ID: "s-1", Unknown: true}, "stack:write", Denied},
		{"inequality, unknown", Entity{Kind: KindStack, ID: "s-1", Unknown: true}, "stack:delete", Denied},
		{"pinned ID, unknown", Entity{Kind: KindStack, ID: "s-1", Unknown: true}, "stack_tags:update", Allowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := LookupScope(c.action)
			if err != nil {
				t.Fatal(err)
			}
			if got := ix.Decide(s.ID, c.e); got != c.want {
				t.Errorf("Decide = %v, want %v", got, c.want)
			}
			if got := ix.Explain(s.ID, c.e).Decision; got != c.want {
				t.Errorf("Explain = %v, want %v", got, c.want)
			}
			got, err := Eval(root, NoCompose, s.ID, c.e)
			if err != nil {
				t.Fatal(err)
			}
			if Decision(got) != c.want {
				t.Errorf("Eval = %v, want %v", got, c.want)
			}
		})
	}
}
