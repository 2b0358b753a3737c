package pulumi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	iampulumi "github.com/iamref/iam/provider/pulumi"
)

func TestTeamAccessToken(t *testing.T) {
	e := setup(t)
	e.create(iampulumi.TeamType, obj(map[string]any{"name": "platform"}))
	inputs := map[string]any{"team": "platform", "name": "ci", "description": "CI", "expiresIn": "720h", "rotateBefore": "168h"}
	id, in, state := e.create(iampulumi.TeamAccessTokenType, obj(inputs))
	value := state.Get("value")
	if !value.Secret() || !tokenValue.MatchString(value.AsString()) || !e.works(value.AsString()) || id != e.srv.Org+"/"+state.Get("tokenId").AsString() ||
		state.Get("expiresAt").AsString() == "" {
		t.Fatalf("create: %q %v", id, state)
	}
	// Refresh keeps value and inputs.
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.Properties.Get("value").AsString() != value.AsString() || !r.Inputs.Equals(in) {
		t.Fatalf("refresh: %v %v", err, r.Properties)
	}
	// Diff: same inputs none; team replaces; rotateBefore updates; rotation due replaces.
	if d := e.diff(iampulumi.TeamAccessTokenType, id, in, state, obj(inputs)); d.HasChanges {
		t.Fatalf("no-op diff %+v", d)
	}
	changed := obj(inputs).Set("team", property.New("other"))
	if d := e.diff(iampulumi.TeamAccessTokenType, id, in, state, changed); d.DetailedDiff["team"].Kind != p.UpdateReplace {
		t.Fatalf("team changed %+v", d)
	}
	if d := e.diff(iampulumi.TeamAccessTokenType, id, in, state, obj(inputs).Set("rotateBefore", property.New("24h"))); d.DetailedDiff["rotateBefore"].Kind != p.Update || len(d.DetailedDiff) != 1 {
		t.Fatalf("rotateBefore changed %+v", d)
	}
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if d := e.diff(iampulumi.TeamAccessTokenType, id, in, state.Set("expiresAt", property.New(soon)), obj(inputs)); d.DetailedDiff["expiresAt"].Kind != p.UpdateReplace {
		t.Fatalf("rotation due %+v", d)
	}
	// A replacement with the same name gets a suffix (names are reserved org-wide).
	_, _, repl := e.create(iampulumi.TeamAccessTokenType, obj(inputs))
	if repl.Get("tokenName").AsString() != "ci-2" {
		t.Fatalf("replacement %v", repl)
	}
	// Import by {org}/{tokenId}: the team is found; no value.
	imp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: id})
	if err != nil || imp.Inputs.Get("team").AsString() != "platform" || imp.Inputs.Get("name").AsString() != "ci" || imp.Properties.Get("value").AsString() != "" {
		t.Fatalf("import: %v %v", err, imp.Properties)
	}
	if _, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: e.srv.Org + "/nope"}); err == nil || !strings.Contains(err.Error(), "no team") {
		t.Fatalf("import of an unknown token: %v", err)
	}
	// Delete: the token stops working; gone on refresh; deleting again is fine.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: id, Properties: state}); err != nil {
		t.Fatal(err)
	}
	if e.works(value.AsString()) {
		t.Fatal("the deleted token still works")
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || r.ID != "" {
		t.Fatalf("read after delete: %v %q", err, r.ID)
	}
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: id, Properties: state}); err != nil {
		t.Fatal(err)
	}
	// The team deleted: its tokens are gone too.
	if err := e.srv.Client.DeleteTeam(context.Background(), e.srv.Org, "platform"); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.TeamAccessTokenType, "r"), ID: repl.Get("tokenId").AsString(), Properties: repl, Inputs: in})
	if err != nil || r.ID != "" {
		t.Fatalf("read after team delete: %v %q", err, r.ID)
	}
}

func TestTeamAccessTokenCheck(t *testing.T) {
	e := setup(t)
	c := e.check(iampulumi.TeamAccessTokenType, property.Map{}, obj(map[string]any{"team": "platform", "name": "ci", "rotateBefore": "1h"}))
	if len(c.Failures) != 1 || !strings.HasPrefix(c.Failures[0].Reason, "rotateBefore: only meaningful with expiresIn") {
		t.Fatalf("failures %+v", c.Failures)
	}
	c = e.check(iampulumi.TeamAccessTokenType, property.Map{}, obj(map[string]any{"team": unknown, "name": "ci"}))
	if len(c.Failures) != 0 {
		t.Fatalf("unknown team: %+v", c.Failures)
	}
}
