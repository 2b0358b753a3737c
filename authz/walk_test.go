package authz

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestReferencesAndPermissions(t *testing.T) {
	tree := MustParse(`{"__type":"PermissionDescriptorGroup","entries":[
		{"__type":"PermissionDescriptorCompose","permissionDescriptors":["b","a"]},
		{"__type":"PermissionDescriptorIfThenElse","condition":{"__type":"PermissionLiteralExpressionBool","value":true},
		 "subNodeForTrue":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},
		 "subNodeForFalse":{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a","c"]}},
		{"__type":"PermissionDescriptorSelect","selector":{"__type":"PermissionExpressionStack"},"options":[
		 {"value":{"__type":"PermissionLiteralExpressionStack","identity":"s"},"node":{"__type":"PermissionDescriptorAllow","permissions":["stack:delete","stack:read"]}}]}]}`)
	if got := References(tree); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("References = %v", got)
	}
	if got := Permissions(tree); !slices.Equal(got, []string{"stack:delete", "stack:read"}) {
		t.Errorf("Permissions = %v", got)
	}
}

// recorder notes where each node is reached and under which guards.
type recorder struct {
	walker
	guards []string
	seen   []string
}

func (v *recorder) enter(n Node) (bool, error) {
	at := v.nodePath()
	if v.source != "" {
		at = v.source + ":" + at + " via " + strings.Join(v.via, ">")
	}
	v.seen = append(v.seen, TypeName(n)[len("PermissionDescriptor"):]+" "+at+" | "+strings.Join(v.guards, " & "))
	return false, nil
}

func (v *recorder) push(g guard) bool {
	v.guards = append(v.guards, string(FormatExpr(g.expr())))
	return true
}
func (v *recorder) pop() { v.guards = v.guards[:len(v.guards)-1] }

func TestWalkerPathsAndGuards(t *testing.T) {
	const (
		c   = `{"__type":"PermissionLiteralExpressionBool","value":true}`
		tag = `{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"k"}`
		a   = `{"__type":"PermissionLiteralExpressionString","value":"a"}`
		b   = `{"__type":"PermissionLiteralExpressionString","value":"b"}`
	)
	cT := `{"__type":"PermissionLiteralExpressionBool","value":true}`
	notC := `{"__type":"PermissionExpressionNot","node":` + cT + `}`
	eqA := `{"__type":"PermissionExpressionEqual","left":` + tag + `,"right":` + a + `}`
	eqB := `{"__type":"PermissionExpressionEqual","left":` + tag + `,"right":` + b + `}`
	notEqA := `{"__type":"PermissionExpressionNot","node":` + eqA + `}`
	tree := MustParse(group(
		allowOf("stack:read"),
		cond(c, `{"__type":"PermissionDescriptorIfThenElse","condition":`+c+`,"subNodeForTrue":`+allowOf("stack:write")+`,"subNodeForFalse":`+allowOf("stack:delete")+`}`),
		`{"__type":"PermissionDescriptorSelect","selector":`+tag+`,"options":[{"value":`+a+`,"node":`+allowOf("stack:read")+`},{"value":`+b+`,"node":{"__type":"PermissionDescriptorCompose","permissionDescriptors":["outer"]}}]}`,
	))
	records := map[string]Node{
		"outer": MustParse(group(`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["inner"]}`)),
		"inner": MustParse(allowOf("stack:read")),
	}
	want := []string{
		"Group $ | ",
		"Allow $.entries[0] | ",
		"Condition $.entries[1] | ",
		"IfThenElse $.entries[1].subNode | " + cT,
		"Allow $.entries[1].subNode.subNodeForTrue | " + cT + " & " + cT,
		"Allow $.entries[1].subNode.subNodeForFalse | " + cT + " & " + notC,
		"Select $.entries[2] | ",
		"Allow $.entries[2].options[0].node | " + eqA,
		"Compose $.entries[2].options[1].node | " + notEqA + " & " + eqB,
		"Group outer:$ via outer | " + notEqA + " & " + eqB,
		"Compose outer:$.entries[0] via outer | " + notEqA + " & " + eqB,
		"Allow inner:$ via outer>inner | " + notEqA + " & " + eqB,
	}
	v := &recorder{}
	if err := v.walk(tree, ResolverFunc(func(id string) (Node, error) { return records[id], nil }), v); err != nil {
		t.Fatal(err)
	}
	if len(v.guards) != 0 {
		t.Errorf("guards left pushed: %v", v.guards)
	}
	for i := range max(len(want), len(v.seen)) {
		var got, w string
		if i < len(v.seen) {
			got = v.seen[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if got != w {
			t.Errorf("node %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

func TestComposeErrors(t *testing.T) {
	chain := ResolverFunc(func(id string) (Node, error) { // r0 → r1 → … → r99
		var i int
		fmt.Sscanf(id, "r%d", &i)
		return &Compose{IDs: []string{fmt.Sprintf("r%d", i+1)}}, nil
	})
	loop := ResolverFunc(func(id string) (Node, error) {
		return MustParse(group(allowOf("audit_logs:read"), `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a"]}`)), nil
	})
	missing := ResolverFunc(func(id string) (Node, error) { return nil, fmt.Errorf("no record %q", id) })
	tests := []struct {
		name string
		r    Resolver
		root string
		msg  string
	}{
		{"depth", chain, `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["r0"]}`, "compose chain deeper than 64"},
		{"cycle", loop, `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a"]}`, "compose cycle: [a a]"},
		{"missing", missing, group(allowOf("stack:read"), `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["x"]}`), `$.entries[1]: no record "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := MustParse(tt.root)
			_, err := Compile(root, tt.r)
			if err == nil || err.Error() != tt.msg {
				t.Errorf("Compile: %v, want %s", err, tt.msg)
			}
			_, err = Eval(root, tt.r, MustScope("stack:write").ID, prod)
			if err == nil || err.Error() != tt.msg {
				t.Errorf("Eval: %v, want %s", err, tt.msg)
			}
		})
	}
	// Eval stops at the first Allow that grants: a later missing record does not matter.
	if ok, err := Eval(MustParse(tests[2].root), missing, MustScope("stack:read").ID, prod); !ok || err != nil {
		t.Errorf("Eval past a grant: %v, %v", ok, err)
	}
	// Nor does one under a guard that does not hold.
	guarded := MustParse(cond(fmt.Sprintf(stackIs, "s-dev"), `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["x"]}`))
	if ok, err := Eval(guarded, missing, MustScope("stack:read").ID, prod); ok || err != nil {
		t.Errorf("Eval under a false guard: %v, %v", ok, err)
	}
}
