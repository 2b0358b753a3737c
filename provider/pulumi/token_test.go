package pulumi_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

var tokenValue = regexp.MustCompile(`^pul-[0-9a-f]{40}$`)

// works reports whether a token authenticates.
func (e *env) works(token string) bool {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/user", nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestTokenLifecycle(t *testing.T) {
	e := setup(t)
	var ids, values []string
	record := func(in, out property.Map) {
		v := out.Get("value")
		if !v.Secret() || !tokenValue.MatchString(v.AsString()) {
			t.Errorf("value %v: want a secret pul-… value", v)
		}
		ids, values = append(ids, out.Get("tokenId").AsString()), append(values, v.AsString())
	}
	integration.LifeCycleTest{
		Resource: iampulumi.OrganizationAccessTokenType,
		Create: integration.Operation{
			Inputs: obj(map[string]any{"name": "ci", "admin": true, "expiresIn": "720h"}),
			Hook: func(in, out property.Map) {
				record(in, out)
				exp, err := time.Parse(time.RFC3339, out.Get("expiresAt").AsString())
				if err != nil || time.Until(exp) < 719*time.Hour || out.Get("tokenName").AsString() != "ci" {
					t.Errorf("create outputs %v", out)
				}
			},
		},
		Updates: []integration.Operation{
			{ // rotateBefore only: in place, same token
				Inputs: obj(map[string]any{"name": "ci", "admin": true, "expiresIn": "720h", "rotateBefore": "24h"}),
				Hook: func(in, out property.Map) {
					if out.Get("tokenId").AsString() != ids[0] || out.Get("rotateBefore").AsString() != "24h" || out.Get("value").AsString() != values[0] {
						t.Errorf("rotateBefore update replaced the token: %v", out)
					}
				},
			},
			{ // a new name: a new token (created before the old one is deleted)
				Inputs: obj(map[string]any{"name": "ci-2026", "admin": true, "expiresIn": "720h", "rotateBefore": "24h"}),
				Hook:   record,
			},
		},
	}.Run(t, e.s)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("token IDs %v: the name change did not replace the token", ids)
	}
	for _, v := range values {
		if e.works(v) {
			t.Error("a token still works after the lifecycle ended")
		}
	}
}

func TestTokenReadKeepsValue(t *testing.T) {
	e := setup(t)
	id, in, state := e.create(iampulumi.OrganizationAccessTokenType, obj(map[string]any{"name": "ci", "description": "CI", "admin": true}))
	value := state.Get("value")
	if !value.Secret() || !e.works(value.AsString()) {
		t.Fatalf("value %v", value)
	}
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationAccessTokenType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Properties.Get("value"); !got.Secret() || got.AsString() != value.AsString() || r.ID != id {
		t.Fatalf("refresh lost the value: %v", r.Properties)
	}
	if !r.Inputs.Equals(in) {
		t.Fatalf("refresh changed inputs: %v, want %v", r.Inputs, in)
	}
	// Deleted out of band: gone.
	if err := e.srv.Client.DeleteToken(context.Background(), e.srv.Org, state.Get("tokenId").AsString()); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OrganizationAccessTokenType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.ID != "" {
		t.Fatalf("read after delete: %v %q", err, r.ID)
	}
}

func TestTokenDiff(t *testing.T) {
	e := setup(t)
	inputs := map[string]any{"name": "ci", "admin": true, "expiresIn": "720h", "rotateBefore": "168h"}
	id, in, state := e.create(iampulumi.OrganizationAccessTokenType, obj(inputs))
	if d := e.diff(iampulumi.OrganizationAccessTokenType, id, in, state, obj(inputs)); d.HasChanges {
		t.Fatalf("unchanged inputs: %+v", d)
	}
	for field, v := range map[string]any{"name": "other", "description": "new", "expiresIn": "2000h", "admin": false, "organization": "elsewhere"} {
		changed := map[string]any{}
		for k, x := range inputs {
			changed[k] = x
		}
		changed[field] = v
		d := e.diff(iampulumi.OrganizationAccessTokenType, id, in, state, obj(changed))
		if d.DetailedDiff[field].Kind != p.UpdateReplace || d.DeleteBeforeReplace {
			t.Errorf("%s changed: %+v", field, d)
		}
	}
	changed := obj(inputs).Set("rotateBefore", property.New("24h"))
	if d := e.diff(iampulumi.OrganizationAccessTokenType, id, in, state, changed); d.DetailedDiff["rotateBefore"].Kind != p.Update || len(d.DetailedDiff) != 1 {
		t.Errorf("rotateBefore changed: %+v", d)
	}
	// A role that is being replaced (its ID unknown in the preview) replaces the token.
	if d := e.diff(iampulumi.OrganizationAccessTokenType, id, in, state, obj(inputs).Set("roleId", unknown)); d.DetailedDiff["roleId"].Kind != p.UpdateReplace {
		t.Errorf("unknown roleId: %+v", d)
	}
	// Rotation due: less than rotateBefore left.
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	d := e.diff(iampulumi.OrganizationAccessTokenType, id, in, state.Set("expiresAt", property.New(soon)), obj(inputs))
	if !d.HasChanges || d.DetailedDiff["expiresAt"].Kind != p.UpdateReplace || d.DeleteBeforeReplace {
		t.Fatalf("rotation due: %+v", d)
	}
}

// A replacement with the same name (rotation) gets a suffixed name, since names stay reserved.
func TestTokenRotationReplacement(t *testing.T) {
	e := setup(t)
	inputs := obj(map[string]any{"name": "ci", "admin": true, "expiresIn": "720h", "rotateBefore": "168h"})
	id, _, old := e.create(iampulumi.OrganizationAccessTokenType, inputs)
	// create-before-delete: the new token while the old one exists, then delete the old.
	_, _, replacement := e.create(iampulumi.OrganizationAccessTokenType, inputs)
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.OrganizationAccessTokenType, "r"), ID: id, Properties: old}); err != nil {
		t.Fatal(err)
	}
	if replacement.Get("tokenName").AsString() != "ci-2" || replacement.Get("name").AsString() != "ci" {
		t.Fatalf("replacement %v", replacement)
	}
	if e.works(old.Get("value").AsString()) || !e.works(replacement.Get("value").AsString()) {
		t.Fatal("the old token still works or the new one does not")
	}
}

func TestTokenCheck(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.OrganizationAccessTokenType, property.Map{}, obj(map[string]any{"name": "ci", "admin": true, "roleId": "r"}))
	if len(c.Failures) != 1 || c.Failures[0].Property != "" || c.Failures[0].Reason != "roleId: set either roleId or admin, not both" {
		t.Fatalf("admin and roleId: %+v", c.Failures)
	}
	c = e.check(iampulumi.OrganizationAccessTokenType, property.Map{}, obj(map[string]any{"name": "ci", "expiresIn": "1d", "rotateBefore": "2d"}))
	if len(c.Failures) != 1 || c.Failures[0].Property != "" {
		t.Fatalf("rotateBefore too long: %+v", c.Failures)
	}
	// An unknown roleId or expiresIn does not fail the check.
	c = e.check(iampulumi.OrganizationAccessTokenType, property.Map{}, obj(map[string]any{"name": "ci", "roleId": unknown, "expiresIn": unknown, "rotateBefore": "7d"}))
	if len(c.Failures) != 0 {
		t.Fatalf("unknowns: %+v", c.Failures)
	}
}

// A token with a role: the role's grants decide what it may do.
func TestTokenWithRole(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	_, _, tok := e.create(iampulumi.OrganizationAccessTokenType, obj(map[string]any{"name": "deployer", "roleId": role.Get("roleId").AsString()}))
	toks, err := e.srv.Client.ListTokens(context.Background(), e.srv.Org, apitype.TokenFilterActive)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(toks, func(x apitype.AccessToken) bool { return x.ID == tok.Get("tokenId").AsString() })
	if i < 0 || toks[i].Role == nil || toks[i].Role.ID != role.Get("roleId").AsString() || toks[i].Admin {
		t.Fatalf("token on the server: %+v", toks)
	}
}
