package pulumi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// TestAccessByTags runs examples/access-by-tags: a role granting by stack tags and by a
// condition, with a Policy composed into it by ID, and a token with that role. The token is
// allowed and refused exactly where the tags say; retagging a stack flips its access on the next
// request with the role untouched; a stack created later with the tag is covered; the policy's
// MaxOpenDuration caps opens; refresh then preview shows no changes; destroy leaves nothing.
func TestAccessByTags(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	seedTagged(t, srv)
	w := newWorkspace(t, srv, "access-by-tags")

	w.must("up", "--yes")
	token := strings.TrimSpace(w.must("stack", "output", "ciToken", "--show-secrets"))
	w.must("preview", "--expect-no-changes")
	checkTagAccess(t, srv, token)

	// Refresh reads the role and the policy back into the same typed grants: still no changes.
	w.must("refresh", "--yes")
	w.must("preview", "--expect-no-changes")

	// A condition the language cannot express fails the preview with its position.
	w.edit(`condition: stack.tags.env == "dev" && stack.tags.team in ["payments", "billing"]`,
		`condition: stack.tags.env == "dev" && stack.project == "payments"`)
	out, err := w.run("preview")
	if err == nil || !strings.Contains(out, "grants[1].condition: at line 1, column 28: stack.project cannot be expressed") {
		t.Fatalf("preview of a condition on stack.project: %v\n%s", err, out)
	}

	w.edit(`stack.project == "payments"`, `stack.tags.team in ["payments", "billing"]`)
	w.must("destroy", "--yes")
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %v %v", recs, toks)
	}
}

// seedTagged creates the stacks and environments the tag examples select from.
func seedTagged(t *testing.T, srv *testserver.Server) {
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

// checkTagAccess calls the server as the token of the access-by-tags examples (Pulumi and
// Terraform declare the same access) and checks every answer, a retag and a later stack.
func checkTagAccess(t *testing.T, srv *testserver.Server, token string) {
	t.Helper()
	ctx := context.Background()
	expect := func(when, method, path string, want int) string {
		t.Helper()
		got, body := request(t, srv, token, method, path, nil)
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
		if code, body := request(t, srv, srv.AdminToken, "PATCH", stacks+"prod/tags", []byte(tags)); code != 204 {
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

// request calls the server as token and returns the status and the body.
func request(t *testing.T, srv *testserver.Server, token, method, path string, body []byte) (int, string) {
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
