package authz

import (
	"bytes"
	"testing"
)

// FuzzParse: the parser must never panic, and whatever it accepts must print canonically,
// re-parse, and compile.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		allowOf("stack:read"),
		group(cond(`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"x"}}`, allowOf("stack:read"))),
		`{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"options":[{"value":{"__type":"PermissionLiteralExpressionString","value":"dev"},"node":{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]}}]}`,
		`{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionExpressionNot","node":{"__type":"PermissionLiteralExpressionBool","value":true}}}`,
		`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a"]}`,
		`{"__type":"PermissionDescriptorAllow","permissions":[],"constraints":{"MaxOpenDuration":1e3}}`,
		`[[[[[[[[`, `null`, `{"__type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			if _, ok := AsParseError(err); !ok {
				t.Fatalf("error is not a *ParseError: %v", err)
			}
			return
		}
		out := Format(n)
		n2, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, out)
		}
		if !bytes.Equal(Format(n2), out) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", out, Format(n2))
		}
		resolver := ResolverFunc(func(string) (Node, error) { return &Allow{}, nil })
		if _, err := Compile(n, resolver); err != nil {
			t.Fatalf("a parsed tree does not compile: %v", err)
		}
	})
}

// FuzzDecide: for any tree the parser accepts and any entity tags, the compiled index
// (Decide), the explained decision (Explain) and the reference semantics (Eval) agree on
// every scope of the catalog, conditions on tags and identities included.
func FuzzDecide(f *testing.F) {
	for _, s := range []struct{ tree, key, value string }{
		{allowOf("stack:read"), "env", "prod"},
		{group(cond(`{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"env"}`, allowOf("stack:write"))), "env", "dev"},
		{group(cond(`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}}`, allowOf("stack:delete"))), "env", "prod"},
		{group(cond(`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"s1"}}`, allowOf("stack:read"))), "", ""},
		{`{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"options":[{"value":{"__type":"PermissionLiteralExpressionString","value":"dev"},"node":{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]}}]}`, "env", "dev"},
		{`{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionExpressionNot","node":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionEnvironment"},"key":"team"}},"then":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"]}}`, "team", "a"},
	} {
		f.Add([]byte(s.tree), s.key, s.value)
	}
	resolver := ResolverFunc(func(string) (Node, error) { return &Allow{Permissions: []string{"stack:read"}}, nil })
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		root, err := Parse(data)
		if err != nil {
			return
		}
		ix, err := Compile(root, resolver)
		if err != nil {
			t.Fatalf("a parsed tree does not compile: %v", err)
		}
		tags := map[string]string{key: value}
		for _, k := range EntityKinds {
			for _, id := range []string{"s1", "other"} {
				e := Entity{Kind: k, ID: id, Name: "p/" + id, Tags: tags}
				for _, sc := range Scopes() {
					want, err := Eval(root, resolver, sc.ID, e)
					if err != nil {
						continue // the reference stops at errors the index reports at compile time
					}
					if got := ix.Decide(sc.ID, e); bool(got) != want {
						t.Fatalf("Decide(%s, %s %s tags %v) = %v, Eval says %v\n%s", sc.Name, k, id, tags, got, want, data)
					}
					if got := ix.Decide(sc.ID, e.Interned()); bool(got) != want {
						t.Fatalf("Decide(%s, interned %s %s tags %v) = %v, Eval says %v\n%s", sc.Name, k, id, tags, got, want, data)
					}
					if x := ix.Explain(sc.ID, e); x.Decision != Decision(want) {
						t.Fatalf("Explain(%s, %s %s) = %v, Eval says %v\n%s", sc.Name, k, id, x.Decision, want, data)
					}
				}
			}
		}
	})
}
