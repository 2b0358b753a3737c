package authz

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every "__type" of the grammar has a rule, and each rule decodes a minimal instance of its
// type (wrapped where an expression is expected) into a value of that type.
func TestEveryTypeHasADecodeRule(t *testing.T) {
	const allow = `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`
	stack := `{"__type":"PermissionExpressionStack"}`
	nodes := map[string]string{
		typeAllow:      allow,
		typeGroup:      `{"__type":"PermissionDescriptorGroup","entries":[]}`,
		typeCondition:  `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionLiteralExpressionBool","value":true},"subNode":` + allow + `}`,
		typeIfThenElse: `{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionLiteralExpressionBool","value":true}}`,
		typeSelect:     `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionLiteralExpressionString","value":"a"},"options":[]}`,
		typeCompose:    `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["x"]}`,
	}
	exprs := map[string]string{
		typeEqual:     `{"__type":"PermissionExpressionEqual","left":` + stack + `,"right":` + stack + `}`,
		typeIn:        `{"__type":"PermissionExpressionIn","target":` + stack + `,"values":{"__type":"PermissionSetExpressionStack","identities":[]}}`,
		typeAnd:       `{"__type":"PermissionExpressionAnd","left":{"__type":"PermissionLiteralExpressionBool","value":true},"right":{"__type":"PermissionLiteralExpressionBool","value":false}}`,
		typeOr:        `{"__type":"PermissionExpressionOr","left":{"__type":"PermissionLiteralExpressionBool","value":true},"right":{"__type":"PermissionLiteralExpressionBool","value":false}}`,
		typeNot:       `{"__type":"PermissionExpressionNot","node":{"__type":"PermissionLiteralExpressionBool","value":true}}`,
		typeHasTag:    `{"__type":"PermissionExpressionHasTag","context":` + stack + `,"key":"k"}`,
		typeTag:       `{"__type":"PermissionExpressionTag","context":` + stack + `,"key":"k"}`,
		typeString:    `{"__type":"PermissionLiteralExpressionString","value":"s"}`,
		typeNumber:    `{"__type":"PermissionLiteralExpressionNumber","value":1}`,
		typeBool:      `{"__type":"PermissionLiteralExpressionBool","value":true}`,
		typeStringSet: `{"__type":"PermissionSetExpressionString","values":["a"]}`,
	}
	for k := ContextKind(0); k < numContextKinds; k++ {
		exprs[contextType(k)] = `{"__type":"` + contextType(k) + `"}`
		exprs[identityType(k)] = `{"__type":"` + identityType(k) + `","identity":"i"}`
		exprs[identitySetType(k)] = `{"__type":"` + identitySetType(k) + `","identities":["i"]}`
	}
	if len(nodeRules) != len(nodes) || len(nodeTypes) != len(nodes) {
		t.Errorf("%d node rules and %d node type names for %d node types", len(nodeRules), len(nodeTypes), len(nodes))
	}
	if len(exprRules) != len(exprs) || len(exprTypes) != len(exprs) {
		t.Errorf("%d expression rules and %d expression type names for %d expression types", len(exprRules), len(exprTypes), len(exprs))
	}
	for typ, in := range nodes {
		t.Run(typ, func(t *testing.T) {
			n, err := Parse([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if TypeName(n) != typ {
				t.Fatalf("decoded a %s", TypeName(n))
			}
		})
	}
	for typ, in := range exprs {
		t.Run(typ, func(t *testing.T) {
			e, err := decodeExpr(mustJSON(t, in), "$", 0)
			if err != nil {
				t.Fatal(err)
			}
			if ExprTypeName(e) != typ {
				t.Fatalf("decoded a %s", ExprTypeName(e))
			}
		})
	}
}

// The array reader serves groups, selects and string lists; its messages name the field.
func TestArrayErrors(t *testing.T) {
	allow := `{"__type":"PermissionDescriptorAllow","permissions":[]}`
	option := `{"value":{"__type":"PermissionLiteralExpressionString","value":"a"},"node":` + allow + `}`
	sel := func(opts string) string {
		return `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionLiteralExpressionString","value":"a"},"options":` + opts + `}`
	}
	tests := []struct{ name, in, path, msg string }{
		{"entries required", `{"__type":"PermissionDescriptorGroup"}`, "$.entries", "required"},
		{"entries not an array", `{"__type":"PermissionDescriptorGroup","entries":{}}`, "$.entries", "want an array, got an object"},
		{"entry path", `{"__type":"PermissionDescriptorGroup","entries":[` + allow + `,1]}`, "$.entries[1]", "want an object"},
		{"options required", `{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionLiteralExpressionString","value":"a"}}`, "$.options", "required"},
		{"options not an array", sel(`"x"`), "$.options", "want an array, got a string"},
		{"too many options", sel(`[` + strings.Repeat(option+",", MaxGroupEntries) + option + `]`), "$.options", "2001 options; a select holds at most 2000"},
		{"too many entries", `{"__type":"PermissionDescriptorGroup","entries":[` + strings.Repeat(allow+",", MaxGroupEntries) + allow + `]}`, "$.entries", "2001 entries; a group holds at most 2000"},
		{"option path", sel(`[` + option + `,{"value":{"__type":"PermissionLiteralExpressionString","value":"b"}}]`), "$.options[1].node", "required"},
		{"option field", sel(`[{"__type":"x"}]`), "$.options[0].__type", "unknown field of a select option (allowed: value, node)"},
		{"string list type", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":"a"}`, "$.permissionDescriptors", "want an array of strings, got a string"},
		{"string list element", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a",true]}`, "$.permissionDescriptors[1]", "want a string, got a boolean"},
		{"empty ID after types", `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["","b"]}`, "$.permissionDescriptors[0]", "empty ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			pe, ok := AsParseError(err)
			if !ok {
				t.Fatalf("want *ParseError, got %v", err)
			}
			if pe.Path != tt.path || pe.Msg != tt.msg && !strings.Contains(pe.Msg, tt.msg) {
				t.Fatalf("got %v; want %s: %s", err, tt.path, tt.msg)
			}
		})
	}
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
