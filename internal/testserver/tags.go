package testserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
)

// SeedTagged creates the tagged stacks (myapp/dev, dev-web, prod, scratch, untagged) and
// environments (myapp/dev, myapp/prod) that examples/access-by-tags and
// examples/terraform-access-by-tags select from.
func (srv *Server) SeedTagged(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for name, tags := range map[string]map[string]string{
		"dev":      {"env": "dev", "team": "payments"},
		"dev-web":  {"env": "dev", "team": "web"},
		"prod":     {"env": "prod", "team": "payments"},
		"scratch":  {"env": "dev", "team": "billing"},
		"untagged": nil,
	} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: name, Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	for name, tags := range map[string]map[string]string{"dev": {"env": "dev"}, "prod": {"env": "prod"}} {
		if _, err := srv.Client.CreateEnvironment(ctx, srv.Org, apitype.CreateEnvironmentRequest{Project: "myapp", Name: name}); err != nil {
			t.Fatal(err)
		}
		if err := srv.Client.UpdateEnvironmentTags(ctx, srv.Org, "myapp", name, tags); err != nil {
			t.Fatal(err)
		}
	}
}

// CheckTagAccess calls the server as the token of the access-by-tags examples (Pulumi and
// Terraform declare the same access) and checks every answer: stacks by tags, a delete by a
// condition, opens through a composed policy with its MaxOpenDuration; then a retag flips access
// on the next request with the roles untouched, and a stack created later with the tag is
// covered. It deletes myapp/scratch (the condition allows it) and creates myapp/later and
// myapp/later-prod.
func (srv *Server) CheckTagAccess(t testing.TB, token string) {
	t.Helper()
	ctx := context.Background()
	expect := func(when, method, path string, want int) string {
		t.Helper()
		got, body := srv.Request(t, token, method, path, nil)
		if got != want {
			t.Errorf("%s: %s %s: %d, want %d\n%s", when, method, path, got, want, body)
		}
		return body
	}
	const stacks = "/api/stacks/acme/myapp/"
	expect("tags", "GET", stacks+"dev", 200)
	expect("tags", "GET", stacks+"dev-web", 200)
	expect("tags", "GET", stacks+"prod", 403)
	expect("tags", "GET", stacks+"untagged", 403)
	expect("condition", "DELETE", stacks+"dev-web", 403) // team web is not in the condition
	expect("condition", "DELETE", stacks+"prod", 403)
	expect("condition", "DELETE", stacks+"scratch", 204) // env=dev, team=billing
	expect("policy", "POST", "/api/esc/environments/acme/myapp/dev/open", 200)
	expect("policy", "POST", "/api/esc/environments/acme/myapp/prod/open", 403)
	if body := expect("policy", "POST", "/api/esc/environments/acme/myapp/dev/open?duration=3h", 200); !strings.Contains(body, "open duration capped at 1h0m0s") {
		t.Errorf("an open of 3h under a 1h MaxOpenDuration was not capped: %s", body)
	}

	// Retag prod as dev: the token reads it on the next request, with the role untouched.
	roles, err := srv.Client.ListRoles(ctx, srv.Org, apitype.UXPurposeRole)
	if err != nil {
		t.Fatal(err)
	}
	retag := func(tags string) {
		t.Helper()
		if code, body := srv.Request(t, srv.AdminToken, "PATCH", stacks+"prod/tags", []byte(tags)); code != 204 {
			t.Fatalf("retag: %d %s", code, body)
		}
	}
	retag(`{"env":"dev","team":"payments"}`)
	expect("retagged dev", "GET", stacks+"prod", 200)
	retag(`{"env":"prod","team":"payments"}`)
	expect("retagged prod again", "GET", stacks+"prod", 403)
	after, err := srv.Client.ListRoles(ctx, srv.Org, apitype.UXPurposeRole)
	if err != nil {
		t.Fatal(err)
	}
	for i := range roles {
		if roles[i].ID != after[i].ID || roles[i].Version != after[i].Version {
			t.Errorf("a retag changed role %s: version %d → %d", roles[i].Name, roles[i].Version, after[i].Version)
		}
	}

	// A stack created later with the tag is covered, one without it is not.
	for name, env := range map[string]string{"later": "dev", "later-prod": "prod"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: name, Tags: map[string]string{"env": env}}); err != nil {
			t.Fatal(err)
		}
	}
	expect("created later", "GET", stacks+"later", 200)
	expect("created later", "GET", stacks+"later-prod", 403)
}

// Request calls the server as token and returns the status and the body (its first 64 KiB).
func (srv *Server) Request(t testing.TB, token, method, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}
