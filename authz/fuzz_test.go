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
