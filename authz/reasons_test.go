package authz

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestGapString(t *testing.T) {
	set := func(names ...string) ScopeSet {
		s, err := SetOf(names...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const c = `{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"k"}`
	tests := []struct {
		gap  Gap
		want string
	}{
		{Gap{Scopes: set("role:update"), Kind: KindOrg}, "{role:update} in the organization"},
		{Gap{Scopes: set("stack:read", "stack:write"), Kind: KindStack}, "{stack:read, stack:write} on every stack"},
		{Gap{Scopes: set("stack:delete"), Kind: KindStack, Entities: []string{"7f3"}}, "{stack:delete} on stack 7f3"},
		{Gap{Scopes: set("environment:open"), Kind: KindEnvironment, Entities: []string{"a", "b"}}, "{environment:open} on 2 environments"},
		{Gap{Scopes: set("role:read"), Kind: KindOrg, Condition: c}, "{role:read} on the organization when " + c},
		{Gap{Scopes: set("stack:read"), Kind: KindStack, Condition: c}, "{stack:read} on every stack when " + c},
		{Gap{Scopes: set("stack:read"), Kind: KindStack, Entities: []string{"s"}, Condition: c}, "{stack:read} on stack s when " + c},
		{Gap{Scopes: set("stack:read"), Kind: KindStack, Entities: []string{"s", "t", "u"}, Condition: c}, "{stack:read} on 3 stacks when " + c},
	}
	for _, tt := range tests {
		if got := tt.gap.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestCoverageGaps(t *testing.T) {
	a := MustCompile(MustParse(cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read"))), NoCompose)
	b := MustCompile(MustParse(group(
		allowOf("role:update"),
		cond(fmt.Sprintf(stackIs, "s-prod"), allowOf("stack:read", "stack:delete")),
		cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")),
	)), NoCompose)
	cov := Covers(a, b)
	if cov.Covered || len(cov.Gaps) != 3 {
		t.Fatalf("coverage %+v", cov)
	}
	want := []string{
		"{role:update} in the organization",
		"{stack:delete} on stack s-prod",
		"{stack:write} on every stack when " + fmt.Sprintf(stackTag, "env", "dev"),
	}
	if got := cov.Missing(); !slices.Equal(got, want) {
		t.Errorf("Missing = %q", got)
	}
	if g := cov.Gaps[1]; g.Kind != KindStack || !slices.Equal(g.Entities, []string{"s-prod"}) || g.Scopes.Names()[0] != "stack:delete" || g.Condition != "" {
		t.Errorf("gap %+v", g)
	}
	if g := cov.Gaps[2]; g.Entities != nil || g.Condition == "" {
		t.Errorf("gap %+v", g)
	}
	if cov := Covers(b, b); !cov.Covered || cov.Gaps != nil || cov.Missing() != nil {
		t.Errorf("self coverage %+v", cov)
	}
}

func TestDenial(t *testing.T) {
	ix := MustCompile(MustParse(group(
		cond(fmt.Sprintf(stackIs, "s-dev"), allowOf("stack:delete")),
		cond(fmt.Sprintf(stackIs, "s-other"), allowOf("stack:delete")),
		cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")),
		allowOf("stack:read"),
	)), NoCompose)
	tests := []struct {
		scope  string
		entity Entity
		ix     *Index
		want   Denial
		text   string
	}{
		{"stack:read", prod, ix, Denial{}, ""},
		{"stack:read", envProd, ix, Denial{Reason: WrongKind}, "stack:read acts on a stack, not on environment app/prod"},
		{"audit_logs:read", OrgEntity, ix, Denial{Reason: GrantedNowhere}, "no grant of audit_logs:read on the organization; the principal's role grants audit_logs:read nowhere"},
		{"stack:write", prod, ix, Denial{Reason: OnlyConditional, Conditional: 1}, "no grant of stack:write on stack app/prod; 1 conditional grant(s) of stack:write do not hold for it"},
		{"stack:delete", prod, ix, Denial{Reason: OnlyElsewhere, Elsewhere: 2}, "no grant of stack:delete on stack app/prod; the role grants it only on 2 other stack(s)"},
		{"stack:delete", prod, nil, Denial{Reason: NoGrant}, "no grant of stack:delete on stack app/prod"},
	}
	for _, tt := range tests {
		t.Run(tt.scope+" "+tt.want.Reason.String(), func(t *testing.T) {
			s := MustScope(tt.scope).ID
			x := Explanation{Action: s, Entity: tt.entity}
			if tt.ix != nil {
				x = tt.ix.Explain(s, tt.entity)
			}
			if got := x.Denial(); got != tt.want {
				t.Errorf("Denial = %+v, want %+v", got, tt.want)
			}
			if tt.text == "" {
				return
			}
			if got := x.String(); got != tt.text {
				t.Errorf("String  = %s\nwant      %s", got, tt.text)
			}
			if got := x.Reasons(); len(got) != 1 || got[0] != tt.text {
				t.Errorf("Reasons = %q", got)
			}
			if got := string(x.AppendReason([]byte("> "), 0)); got != "> "+tt.text || x.ReasonCount() != 1 {
				t.Errorf("AppendReason = %q (%d lines)", got, x.ReasonCount())
			}
			if got := string(x.AppendDenialText(nil, x.Denial())); got != tt.text {
				t.Errorf("AppendDenialText = %q", got)
			}
			if x.Grounds() != nil {
				t.Errorf("a denial has grounds")
			}
		})
	}
	b, _ := json.Marshal(Denial{Reason: OnlyConditional, Conditional: 2})
	if string(b) != `{"reason":"only-conditional","conditional":2}` {
		t.Errorf("denial JSON %s", b)
	}
}

func TestGrounds(t *testing.T) {
	records := ResolverFunc(func(id string) (Node, error) { return MustParse(allowOf("stack:read", "stack:write")), nil })
	ix := MustCompile(MustParse(group(
		allowOf("stack:read"),
		cond(fmt.Sprintf(stackIs, "s-prod"), `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["set"]}`),
		cond(fmt.Sprintf(stackTag, "env", "prod"), allowOf("stack:read")),
	)), records)
	x := ix.Explain(MustScope("stack:read").ID, prod)
	got, err := json.Marshal(x.Grounds())
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"record":"","path":"$.entries[0]","entity":"","scopes":["stack:read"]},` +
		`{"record":"set","path":"$","via":["set"],"entity":"s-prod","scopes":["stack:read","stack:write"]},` +
		`{"record":"","path":"$.entries[2].subNode","entity":"","condition":` + jsonString(fmt.Sprintf(stackTag, "env", "prod")) + `,"scopes":["stack:read"]}]`
	if string(got) != want {
		t.Errorf("grounds\n got %s\nwant %s", got, want)
	}
	reasons := []string{
		"stack:read on stack app/prod is allowed by the grant (at $.entries[0]) on every stack",
		"stack:read on stack app/prod is allowed by the grant (record set at $) on stack app/prod",
		"stack:read on stack app/prod is allowed by the grant (at $.entries[2].subNode) under the condition " + fmt.Sprintf(stackTag, "env", "prod") + " on every stack",
	}
	if got := x.Reasons(); !slices.Equal(got, reasons) {
		t.Errorf("Reasons\n got %q\nwant %q", got, reasons)
	}
	// The append forms say the same, one line and one ground at a time, without allocating.
	grounds := x.Grounds()
	if x.ReasonCount() != len(reasons) {
		t.Fatalf("ReasonCount = %d", x.ReasonCount())
	}
	buf := make([]byte, 0, 1024)
	for i := range reasons {
		if got := string(x.AppendReason([]byte("> "), i)); got != "> "+reasons[i] {
			t.Errorf("AppendReason(%d) = %q", i, got)
		}
		if got := x.Ground(i); !reflect.DeepEqual(got, grounds[i]) {
			t.Errorf("Ground(%d) = %+v, want %+v", i, got, grounds[i])
		}
		if n := testing.AllocsPerRun(10, func() { buf = x.AppendReason(buf[:0], i) }); n != 0 {
			t.Errorf("AppendReason(%d) allocates %v times", i, n)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
