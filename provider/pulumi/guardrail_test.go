package pulumi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// prodCond is a condition spelt otherwise than the canonical prodText; prodJSON is the same tree
// in the wire grammar.
const (
	prodCond = `stack.tags["env"]  ==  'prod'`
	prodText = `stack.tags.env == "prod"`
)

const prodJSON = `{"__type": "PermissionExpressionEqual", "left": {"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},
 "right": {"__type":"PermissionLiteralExpressionString","value":"prod"}}`

// TestGuardrailLifecycle: create with a condition in any spelling (state holds the canonical
// one), update in place, delete; the server holds what the inputs say.
func TestGuardrailLifecycle(t *testing.T) {
	e := setup(t)
	var id string
	integration.LifeCycleTest{
		Resource: iampulumi.GuardrailType,
		Create: integration.Operation{
			Inputs: obj(map[string]any{"name": "no-prod-delete", "actions": []string{"stack:delete", "stack:delete"}, "condition": prodCond}),
			Hook: func(in, out property.Map) {
				id = out.Get("guardrailId").AsString()
				if out.Get("version").AsNumber() != 1 || id == "" || out.Get("condition").AsString() != prodText {
					t.Errorf("create outputs %v", out)
				}
				if got := strs(out.Get("actions")); !slices.Equal(got, []string{"stack:delete"}) {
					t.Errorf("actions not normalized: %v", got)
				}
			},
		},
		Updates: []integration.Operation{{
			Inputs: obj(map[string]any{"name": "no-prod-delete", "description": "prod stays", "actions": []string{"stack:delete", "stack:write"}, "condition": prodCond}),
			Hook: func(in, out property.Map) {
				if out.Get("guardrailId").AsString() != id || out.Get("version").AsNumber() != 2 {
					t.Errorf("update was not in place: %v", out)
				}
				g, err := e.srv.Client.GetGuardrail(context.Background(), e.srv.Org, id)
				if err != nil || g.Description != "prod stays" || len(g.Actions) != 2 || !strings.Contains(string(g.Condition), `"key":"env"`) {
					t.Errorf("server guardrail %+v %v", g, err)
				}
			},
		}},
	}.Run(t, e.s)
	if _, err := e.srv.Client.GetGuardrail(context.Background(), e.srv.Org, id); err == nil {
		t.Fatal("the guardrail is still on the server after delete")
	}
}

// TestGuardrailCheckAndDiff: typos fail at preview with the field and the closest name (a
// condition with its line and column); a respelt condition, the same tree as conditionDetails
// or reordered actions are no diff; import reads it back as canonical text.
func TestGuardrailCheckAndDiff(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.GuardrailType, property.Map{}, obj(map[string]any{"name": "g", "actions": []string{"stack:delet"}}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, `actions[0]: unknown scope "stack:delet": did you mean "stack:delete"`) {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.GuardrailType, property.Map{}, obj(map[string]any{"name": "g", "actions": []string{"environment:open"}, "condition": prodCond}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, "condition: ") || !strings.Contains(c.Failures[0].Reason, "write environment.tags.KEY") {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.GuardrailType, property.Map{}, obj(map[string]any{"name": "g", "actions": []string{"stack:delete"}, "condition": "stack.tags.env ==\n  prod"}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, "condition: at line 2, column 3: ") {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.GuardrailType, property.Map{}, obj(map[string]any{"name": "g", "actions": []string{"stack:delete"}, "condition": prodJSON}))
	if len(c.Failures) != 1 || !strings.Contains(c.Failures[0].Reason, "move the JSON to conditionDetails") {
		t.Fatalf("failures %+v", c.Failures)
	}
	inputs := obj(map[string]any{"name": "g", "actions": []string{"stack:read", "stack:delete"}, "condition": prodCond})
	id, in, state := e.create(iampulumi.GuardrailType, inputs)
	if state.Get("condition").AsString() != prodText {
		t.Fatalf("state condition %v, want %q", state.Get("condition"), prodText)
	}
	d := e.diff(iampulumi.GuardrailType, id, in, state, obj(map[string]any{"name": "g", "actions": []string{"stack:delete", "stack:read"},
		"condition": strings.ReplaceAll(prodCond, " ", "")}))
	if d.HasChanges {
		t.Fatalf("respelt inputs show a diff: %+v", d)
	}
	d = e.diff(iampulumi.GuardrailType, id, in, state, obj(map[string]any{"name": "g", "actions": []string{"stack:delete", "stack:read"}, "conditionDetails": prodJSON}))
	if d.HasChanges {
		t.Fatalf("the same tree as conditionDetails shows a diff: %+v", d)
	}
	d = e.diff(iampulumi.GuardrailType, id, in, state, obj(map[string]any{"name": "g", "actions": []string{"stack:delete"}, "organization": "elsewhere"}))
	want := map[string]p.DiffKind{"actions": p.Update, "condition": p.Update, "organization": p.UpdateReplace}
	for k, kind := range want {
		if d.DetailedDiff[k].Kind != kind {
			t.Errorf("%s: %s, want %s (%+v)", k, d.DetailedDiff[k].Kind, kind, d.DetailedDiff)
		}
	}
	read, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.GuardrailType, "r"), ID: id})
	if err != nil || read.Properties.Get("name").AsString() != "g" || read.Inputs.Get("condition").AsString() != prodText || read.Inputs.Get("conditionDetails").IsString() {
		t.Fatalf("import read %+v %v", read, err)
	}
}

// TestWhoCanFunction: the function lists who may delete prod, under the guardrail.
func TestWhoCanFunction(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	role, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "deleter",
		Details: []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:delete"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.CreateToken(ctx, e.srv.Org, apitype.CreateOrgTokenRequest{Name: "ci", RoleID: role.ID}); err != nil {
		t.Fatal(err)
	}
	resp, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.WhoCanFunction, Args: obj(map[string]any{"action": "stack:delete", "stack": "myapp/prod", "kinds": []string{"org_token"}})})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatalf("invoke %v %v", err, resp.Failures)
	}
	if got := strs(resp.Return.Get("names")); !slices.Equal(got, []string{"org_token:admin", "org_token:ci"}) {
		t.Fatalf("names %v", got)
	}
}

// TestGuardrailImportRaw: guardrails made with the raw API import into the typed form — text
// when the language can say the tree, conditionDetails when it cannot — and the imported
// inputs show no diff against the imported state.
func TestGuardrailImportRaw(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, wire, text string
	}{
		{"text", prodJSON, prodText},
		{"details", `{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"env","node":{"__type":"PermissionLiteralExpressionBool","value":true}}`, ""},
	} {
		g, err := e.srv.Client.CreateGuardrail(ctx, e.srv.Org, apitype.CreateGuardrailRequest{Name: "raw-" + tc.name, Actions: []string{"stack:delete"}, Condition: []byte(tc.wire)})
		if err != nil {
			t.Fatal(err)
		}
		id := e.srv.Org + "/" + g.ID
		read, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.GuardrailType, "r"), ID: id})
		if err != nil {
			t.Fatalf("%s: import %v", tc.name, err)
		}
		text, details := read.Inputs.Get("condition"), read.Inputs.Get("conditionDetails")
		if tc.text != "" && (!text.IsString() || text.AsString() != tc.text || details.IsString()) ||
			tc.text == "" && (text.IsString() || !details.IsString() || !strings.Contains(details.AsString(), `"node"`)) {
			t.Fatalf("%s: imported condition %v, conditionDetails %v", tc.name, text, details)
		}
		if d := e.diff(iampulumi.GuardrailType, id, read.Inputs, read.Properties, read.Inputs); d.HasChanges {
			t.Fatalf("%s: imported inputs show a diff: %+v", tc.name, d)
		}
	}
}
