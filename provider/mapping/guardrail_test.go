package mapping_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

const prodCondition = `{ "__type": "PermissionExpressionEqual",
  "left": {"__type": "PermissionExpressionTag", "context": {"__type": "PermissionExpressionStack"}, "key": "env"},
  "right": {"__type": "PermissionLiteralExpressionString", "value": "prod"} }`

// TestGuardrailLifecycle: create, no-op on unchanged (differently spelt) inputs, drift from an
// out-of-band change, update, delete (twice), against the real server; checkAccess and whoCan
// answer under it as the server does.
func TestGuardrailLifecycle(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	glass, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "break-glass", Grants: []mapping.Grant{{Scopes: []string{"stack:delete"}}}})
	if err != nil {
		t.Fatal(err)
	}
	deleter, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "deleter", Grants: []mapping.Grant{{Scopes: []string{"stack:delete"}}}})
	if err != nil {
		t.Fatal(err)
	}
	args := mapping.GuardrailArgs{Name: "no-prod-delete", Actions: []string{"stack:delete", "stack:delete"}, Condition: `stack.tags["env"]  ==  'prod'`, ExemptRoles: []string{glass.RoleID}}
	g, err := p.CreateGuardrail(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != 1 || !slices.Equal(g.Actions, []string{"stack:delete"}) || g.Condition != `stack.tags.env == "prod"` || g.ConditionDetails != "" {
		t.Fatalf("created %+v", g)
	}
	if u, r := mapping.GuardrailChanges(g, args); len(u)+len(r) != 0 {
		t.Fatalf("unchanged inputs (other spelling) show changes %v %v", u, r)
	}
	// The same meaning as wire JSON is no change either.
	if u, _ := mapping.GuardrailChanges(g, mapping.GuardrailArgs{Name: args.Name, Actions: args.Actions, ConditionDetails: prodCondition, ExemptRoles: args.ExemptRoles}); len(u) != 0 {
		t.Fatalf("the same condition as JSON shows changes %v", u)
	}
	if u, _ := mapping.GuardrailChanges(g, mapping.GuardrailArgs{Name: args.Name, Actions: args.Actions, Condition: `stack.tags.env == "dev"`, ExemptRoles: args.ExemptRoles}); !slices.Equal(u, []mapping.Field{mapping.FieldCondition}) {
		t.Fatalf("another condition: changes %v", u)
	}
	read, found, err := p.ReadGuardrail(ctx, "", g.GuardrailID)
	if err != nil || !found || read.Condition != g.Condition || read.ExemptRoles[0] != glass.RoleID {
		t.Fatalf("read %+v %v %v", read, found, err)
	}

	// The provider's checkAccess applies it, as the server does.
	res, err := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: deleter.RoleID, Action: "stack:delete", Stack: "myapp/prod"})
	if err != nil || res.Allowed || !strings.Contains(strings.Join(res.Reasons, " "), `guardrail "no-prod-delete"`) {
		t.Fatalf("checkAccess of deleter on prod: %+v %v", res, err)
	}
	if res, _ := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: glass.RoleID, Action: "stack:delete", Stack: "myapp/prod"}); !res.Allowed {
		t.Fatalf("checkAccess of break-glass on prod: %+v", res)
	}
	if res, _ := p.CheckAccess(ctx, mapping.CheckAccessArgs{RoleID: deleter.RoleID, Action: "stack:delete", Stack: "myapp/dev"}); !res.Allowed {
		t.Fatalf("checkAccess of deleter on dev: %+v", res)
	}

	// whoCan: "only these tokens can delete prod".
	if _, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "glass", RoleID: glass.RoleID}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "ci", RoleID: deleter.RoleID}); err != nil {
		t.Fatal(err)
	}
	who, err := p.WhoCan(ctx, mapping.WhoCanArgs{Action: "stack:delete", Stack: "myapp/prod", Kinds: []string{"org_token"}})
	if err != nil {
		t.Fatal(err)
	}
	var names, denied []string
	for _, w := range who.Principals {
		names = append(names, w.Name)
	}
	for _, w := range who.DeniedByGuardrail {
		denied = append(denied, w.Name)
	}
	if !slices.Equal(names, []string{"glass"}) || !slices.Contains(denied, "ci") || !slices.Contains(denied, "admin") {
		t.Fatalf("whoCan: allowed %v, denied by guardrail %v", names, denied)
	}
	if _, err := p.WhoCan(ctx, mapping.WhoCanArgs{Action: "stack:delte", Stack: "myapp/prod", Kinds: []string{"tokens"}}); err == nil ||
		!strings.Contains(err.Error(), `did you mean "stack:delete"`) || !strings.Contains(err.Error(), "kinds[0]") {
		t.Fatalf("bad whoCan inputs: %v", err)
	}

	// Out-of-band change: drift on read, then the update puts it back.
	if _, err := srv.Client.UpdateGuardrail(ctx, srv.Org, g.GuardrailID, apitype.UpdateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:read"}}); err != nil {
		t.Fatal(err)
	}
	drift, _, err := p.ReadGuardrail(ctx, "", g.GuardrailID)
	if err != nil || drift.Version != 2 || drift.Condition != "" || drift.ConditionDetails != "" || len(drift.ExemptRoles) != 0 {
		t.Fatalf("drift %+v %v", drift, err)
	}
	if u, _ := mapping.GuardrailChanges(drift, args); !slices.Contains(u, mapping.FieldActions) || !slices.Contains(u, mapping.FieldCondition) || !slices.Contains(u, mapping.FieldExemptRoles) {
		t.Fatalf("drift changes %v", u)
	}
	// A stale version is refused with advice.
	if _, err := p.UpdateGuardrail(ctx, g, args); err == nil || !strings.Contains(mapping.Text(err, mapping.Canonical), "refresh") {
		t.Fatalf("stale update: %v", err)
	}
	up, err := p.UpdateGuardrail(ctx, drift, args)
	if err != nil || up.Version != 3 || up.Condition != g.Condition {
		t.Fatalf("update %+v %v", up, err)
	}
	if err := p.DeleteGuardrail(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteGuardrail(ctx, up); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, found, err := p.ReadGuardrail(ctx, "", up.GuardrailID); err != nil || found {
		t.Fatalf("read after delete: %v %v", found, err)
	}
}

func TestCheckGuardrail(t *testing.T) {
	tests := []struct {
		args mapping.GuardrailArgs
		want string
	}{
		{mapping.GuardrailArgs{Actions: []string{"stack:delete"}}, "name: required"},
		{mapping.GuardrailArgs{Name: "g"}, "actions: list at least one scope"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read", "stack:delet"}}, `actions[1]: unknown scope "stack:delet": did you mean "stack:delete"?`},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read", "environment:open"}}, "one kind of entity"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, ConditionDetails: `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTagg"}}`}, "conditionDetails.left.__type: unknown expression type"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"environment:open"}, ConditionDetails: prodCondition}, "conditionDetails"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"environment:open"}, Condition: `stack.tags.env == "prod"`}, "condition: the condition reads PermissionExpressionStack, but the actions act on an environment: write environment.tags.KEY or environment.id"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `stack.tags.env == "prod" &&`}, "condition: at line 1, column"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: "stack.tags.env == \"prod\"\n  && stack.project == \"x\""}, "condition: at line 2, column"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `stack.tags.env > "prod"`}, "allowed:"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `stack.tags.env == "` + strings.Repeat("x", 20000) + `"`}, "condition: at line 1, column 1: the condition is 20020 bytes; the limit is 16384"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `stack.tags["bad key!"] == "x"`}, "condition: "},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: prodCondition}, "condition: this looks like a wire-grammar JSON tree"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: `stack.tags.env == "prod"`, ConditionDetails: prodCondition}, "conditionDetails: give the condition once"},
		{mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, ExemptRoles: []string{" "}}, "exemptRoles[0]: empty role ID"},
	}
	for _, tc := range tests {
		got := mapping.Text(mapping.CheckGuardrail(tc.args).Err(), mapping.Canonical)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.args, got, tc.want)
		}
	}
	for _, ok := range []mapping.GuardrailArgs{
		{Name: "g", Actions: []string{"stack:delete"}, ConditionDetails: prodCondition},
		{Name: "g", Actions: []string{"stack:delete"}, Condition: `stack.tags.env == "prod" && !(stack.id in ["a/b/c"])`},
		{Name: "g", Actions: []string{"environment:open"}, Condition: `has(environment.tags.tier)`},
	} {
		if ps := mapping.CheckGuardrail(ok); len(ps) != 0 {
			t.Errorf("valid guardrail %+v: %v", ok, ps)
		}
	}
	// Unknown actions at preview: no problems from them.
	var u mapping.Unknowns
	u.Add(mapping.Root(mapping.FieldActions))
	if ps := mapping.CheckGuardrailWithUnknowns(mapping.GuardrailArgs{Name: "g"}, u); len(ps) != 0 {
		t.Errorf("unknown actions: %v", ps)
	}
	u = mapping.Unknowns{}
	u.Add(mapping.Root(mapping.FieldCondition))
	if ps := mapping.CheckGuardrailWithUnknowns(mapping.GuardrailArgs{Name: "g", Actions: []string{"stack:read"}, Condition: "stand-in"}, u); len(ps) != 0 {
		t.Errorf("unknown condition: %v", ps)
	}
	var c json.RawMessage = []byte(mapping.CanonicalCondition(prodCondition))
	if _, err := authz.ParseExpr(c); err != nil {
		t.Fatal(err)
	}
}

// TestGuardrailConditionForms: text compiles to the wire tree the server stores and prints back
// canonically; a guardrail made with the raw API reads back in the typed form (text when the
// language can say it, JSON in conditionDetails otherwise) with no change against its inputs.
func TestGuardrailConditionForms(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	tests := []struct {
		name, wire  string // wire: what the raw API is given
		text        string // the canonical text it reads back as ("" = stays JSON)
		spelt       string // another spelling of the same text
		wantDetails bool
	}{
		{name: "tag", wire: prodCondition, text: `stack.tags.env == "prod"`, spelt: `stack.tags['env']  ==  'prod'`},
		{name: "and-in", wire: `{"__type":"PermissionExpressionAnd",
			"left":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}},
			"right":{"__type":"PermissionExpressionNot","node":{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"ok"}}}`,
			text: `stack.tags.env == "prod" && !has(stack.tags.ok)`, spelt: `(stack.tags.env == "prod") && !("ok" in stack.tags)`},
		{name: "hastag-node", wire: `{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"env","node":{"__type":"PermissionLiteralExpressionBool","value":true}}`,
			wantDetails: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g apitype.Guardrail
			err := srv.Client.Do(ctx, "POST", "/api/orgs/"+srv.Org+"/guardrails", map[string]any{"name": "raw-" + tc.name, "actions": []string{"stack:delete"}, "condition": json.RawMessage(tc.wire)}, &g)
			if err != nil {
				t.Fatal(err)
			}
			st, found, err := p.ReadGuardrail(ctx, "", g.ID)
			if err != nil || !found {
				t.Fatalf("read: %v %v", found, err)
			}
			if tc.wantDetails {
				if st.Condition != "" || st.ConditionDetails != mapping.CanonicalCondition(tc.wire) {
					t.Fatalf("read %q / %q, want the JSON in conditionDetails", st.Condition, st.ConditionDetails)
				}
			} else if st.Condition != tc.text || st.ConditionDetails != "" {
				t.Fatalf("read %q / %q, want text %q", st.Condition, st.ConditionDetails, tc.text)
			}
			// Imported as read: no change; written as the user would: no change.
			if u, r := mapping.GuardrailChanges(st, st.GuardrailArgs); len(u)+len(r) != 0 {
				t.Fatalf("read-back inputs show changes %v %v", u, r)
			}
			if tc.text != "" {
				if got := mapping.CanonicalConditionText(tc.spelt); got != tc.text {
					t.Fatalf("canonical text of %q: %q, want %q", tc.spelt, got, tc.text)
				}
				in := st.GuardrailArgs
				in.Condition = tc.spelt
				if u, _ := mapping.GuardrailChanges(st, in); len(u) != 0 {
					t.Fatalf("%q shows changes %v", tc.spelt, u)
				}
				// And the text, created through the provider, is the same tree on the server.
				mine, err := p.CreateGuardrail(ctx, mapping.GuardrailArgs{Name: "typed-" + tc.name, Actions: []string{"stack:delete"}, Condition: tc.spelt})
				if err != nil {
					t.Fatal(err)
				}
				back, err := srv.Client.GetGuardrail(ctx, srv.Org, mine.GuardrailID)
				if err != nil || mapping.CanonicalCondition(string(back.Condition)) != mapping.CanonicalCondition(tc.wire) {
					t.Fatalf("stored %s, want %s (%v)", back.Condition, mapping.CanonicalCondition(tc.wire), err)
				}
			}
		})
	}
}
