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

func TestPermissionLifecycle(t *testing.T) {
	e := setup(t)
	var id string
	integration.LifeCycleTest{
		Resource: iampulumi.PermissionType,
		Create: integration.Operation{
			Inputs: obj(map[string]any{"name": "deleters", "scopes": []string{"stack:read", "stack:delete", "stack:read"}}),
			Hook: func(in, out property.Map) {
				id = out.Get("permissionId").AsString()
				if got := strs(out.Get("scopes")); !slices.Equal(got, []string{"stack:delete", "stack:read"}) {
					t.Errorf("scopes not normalized: %v", got)
				}
				if out.Get("version").AsNumber() != 1 || id == "" {
					t.Errorf("create outputs %v", out)
				}
			},
		},
		Updates: []integration.Operation{
			{ // in place: same ID, new version, new scopes on the server
				Inputs: obj(map[string]any{"name": "deleters", "description": "Read and delete stacks.", "scopes": []string{"stack:delete", "stack:read", "stack:write"}}),
				Hook: func(in, out property.Map) {
					if out.Get("permissionId").AsString() != id || out.Get("version").AsNumber() != 2 {
						t.Errorf("update was not in place: %v", out)
					}
					r, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, id)
					if err != nil {
						t.Fatal(err)
					}
					if r.Description != "Read and delete stacks." || !strings.Contains(string(r.Details), "stack:write") {
						t.Errorf("server record %+v", r)
					}
				},
			},
		},
	}.Run(t, e.s)
	if _, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, id); err == nil {
		t.Fatal("the permission is still on the server after delete")
	}
}

func TestPermissionDiff(t *testing.T) {
	e := setup(t)
	inputs := obj(map[string]any{"name": "deleters", "scopes": []string{"stack:read", "stack:delete"}})
	id, in, state := e.create(iampulumi.PermissionType, inputs)
	if want := e.srv.Org + "/" + state.Get("permissionId").AsString(); id != want {
		t.Fatalf("ID %q, want %q", id, want)
	}
	// Reordered and duplicated scopes: no diff.
	d := e.diff(iampulumi.PermissionType, id, in, state, obj(map[string]any{"name": "deleters", "scopes": []string{"stack:delete", "stack:read", "stack:delete"}}))
	if d.HasChanges {
		t.Fatalf("reordered scopes show a diff: %+v", d)
	}
	// Scopes and name: updates; organization: replace.
	d = e.diff(iampulumi.PermissionType, id, in, state, obj(map[string]any{"name": "other", "scopes": []string{"stack:read"}, "organization": "elsewhere"}))
	want := map[string]p.DiffKind{"name": p.Update, "scopes": p.Update, "organization": p.UpdateReplace}
	if !d.HasChanges || len(d.DetailedDiff) != len(want) {
		t.Fatalf("diff %+v", d)
	}
	for k, kind := range want {
		if d.DetailedDiff[k].Kind != kind {
			t.Errorf("%s: %s, want %s", k, d.DetailedDiff[k].Kind, kind)
		}
	}
}

func TestPermissionCheck(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.PermissionType, property.Map{}, obj(map[string]any{"name": "x", "scopes": []string{"stack:read", "stack:delet"}}))
	if len(c.Failures) != 1 || c.Failures[0].Property != "" ||
		c.Failures[0].Reason != `scopes[1]: unknown scope "stack:delet": did you mean "stack:delete"?` {
		t.Fatalf("failures %+v", c.Failures)
	}
	// Mixed entity kinds.
	c = e.check(iampulumi.PermissionType, property.Map{}, obj(map[string]any{"name": "x", "scopes": []string{"stack:read", "environment:open"}}))
	if len(c.Failures) != 1 || !strings.Contains(c.Failures[0].Reason, "split them") {
		t.Fatalf("failures %+v", c.Failures)
	}
	// An unknown element: the known typo is still reported, the unknown is kept as is.
	c = e.check(iampulumi.PermissionType, property.Map{}, obj(map[string]any{"name": "x", "scopes": []any{"stack:delet", unknown}}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, "scopes[0]: ") {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.PermissionType, property.Map{}, obj(map[string]any{"name": unknown, "scopes": []any{unknown, "stack:read"}}))
	if len(c.Failures) != 0 || !c.Inputs.Get("name").IsComputed() || !c.Inputs.Get("scopes").AsArray().Get(0).IsComputed() {
		t.Fatalf("check with unknowns: %+v %v", c.Failures, c.Inputs)
	}
}

// A preview (DryRun) writes nothing and leaves server-assigned outputs unknown.
func TestPermissionPreview(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.PermissionType, property.Map{}, obj(map[string]any{"name": "deleters", "scopes": []string{"stack:delete"}}))
	resp, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.PermissionType, "r"), Properties: c.Inputs, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Properties.Get("permissionId").IsComputed() || !resp.Properties.Get("version").IsComputed() || resp.Properties.Get("name").AsString() != "deleters" {
		t.Fatalf("preview outputs %v", resp.Properties)
	}
	sets, err := e.srv.Client.ListRoles(context.Background(), e.srv.Org, apitype.UXPurposeSet)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		if s.Name == "deleters" {
			t.Fatal("a preview created the permission")
		}
	}
}

// Offline validation works without an access token.
func TestCheckWithoutToken(t *testing.T) {
	clearEnv(t)
	s := newServer(t, property.Map{})
	c, err := s.Check(p.CheckRequest{Urn: urn(iampulumi.PermissionType, "r"), Inputs: obj(map[string]any{"name": "x", "scopes": []string{"stack:delet"}})})
	if err != nil || len(c.Failures) != 1 || !strings.Contains(c.Failures[0].Reason, `did you mean "stack:delete"`) {
		t.Fatalf("check without a token: %v %+v", err, c.Failures)
	}
}
