package pulumi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// TestGuardrails runs examples/guardrails with the real pulumi CLI against bin/iam-server: the
// guardrail refuses the CI token's delete of a prod-tagged stack whatever its role grants, lets
// the break-glass token through, follows a retag on the next request, whoCan names only the
// break-glass token, refresh and preview show no change, a condition that does not compile
// fails the preview with its line and column, an out-of-band edit is drift that up repairs
// (back to the readable condition), and destroy lifts it.
func TestGuardrails(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	ctx := context.Background()
	for name, env := range map[string]string{"prod": "prod", "prod2": "prod", "dev": "dev"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: name, Tags: map[string]string{"env": env}}); err != nil {
			t.Fatal(err)
		}
	}
	w := newWorkspace(t, srv, "guardrails")
	w.must("up", "--yes")
	// The readable condition is stored as the wire grammar's tree.
	gs, err := srv.Client.ListGuardrails(ctx, srv.Org)
	if err != nil || len(gs) != 1 || string(gs[0].Condition) != wireProd {
		t.Fatalf("stored guardrails %+v %v, want the condition %s", gs, err, wireProd)
	}
	ci := strings.TrimSpace(w.must("stack", "output", "ciToken", "--show-secrets"))
	glass := strings.TrimSpace(w.must("stack", "output", "glassToken", "--show-secrets"))

	del := func(token, stack string) int {
		t.Helper()
		return deleteStatus(t, srv, token, "/api/stacks/acme/myapp/"+stack)
	}
	if got := del(ci, "prod"); got != 403 {
		t.Fatalf("ci deleting prod: %d, want 403 (the guardrail)", got)
	}
	if got := del(ci, "dev"); got != 204 {
		t.Fatalf("ci deleting dev: %d, want 204", got)
	}
	if got := del(glass, "prod2"); got != 204 {
		t.Fatalf("break-glass deleting prod2: %d, want 204", got)
	}

	// The invoke ran before the tokens existed on the first up; a second up re-evaluates it.
	w.must("up", "--yes")
	if out := strings.TrimSpace(w.must("stack", "output", "prodDeleters", "--json")); strings.Join(strings.Fields(out), "") != `["org_token:glass"]` {
		t.Fatalf("whoCan: %s, want only the break-glass token", out)
	}
	w.must("refresh", "--yes")
	w.must("preview", "--expect-no-changes")
	if out := w.must("stack", "export"); !strings.Contains(out, `"condition": "stack.tags.env == \"prod\""`) || strings.Contains(out, "conditionDetails") {
		t.Fatalf("state after refresh does not hold the readable condition:\n%s", out)
	}

	// A typo in the condition: the preview fails with where and what is allowed; nothing changes.
	w.edit(`condition: stack.tags.env == "prod"`, `condition: stack.tags.env = "prod"`)
	if out, err := w.run("preview"); err == nil || !strings.Contains(out, "condition: at line 1, column") {
		t.Fatalf("bad condition previewed:\n%s", out)
	}
	w.edit(`condition: stack.tags.env = "prod"`, `condition: stack.tags["env"] == 'prod'`)
	w.must("preview", "--expect-no-changes") // another spelling, the same meaning

	// Out-of-band: the guardrail loses its condition (now every stack) — drift, repaired by up.
	if _, err := srv.Client.UpdateGuardrail(ctx, srv.Org, gs[0].ID, apitype.UpdateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:delete"}}); err != nil {
		t.Fatal(err)
	}
	if out, err := w.run("preview", "--refresh", "--expect-no-changes"); err == nil {
		t.Fatalf("drift not shown:\n%s", out)
	}
	w.must("up", "--yes", "--refresh")
	w.must("preview", "--expect-no-changes")
	if gs, _ := srv.Client.ListGuardrails(ctx, srv.Org); len(gs) != 1 || string(gs[0].Condition) != wireProd {
		t.Fatalf("repaired guardrail %+v, want the condition %s", gs, wireProd)
	}

	// Retag prod: the guardrail no longer selects it, on the next request.
	if err := srv.Client.UpdateStackTags(ctx, srv.Org, "myapp", "prod", map[string]string{"env": "staging"}); err != nil {
		t.Fatal(err)
	}
	if got := del(ci, "prod"); got != 204 {
		t.Fatalf("ci deleting retagged prod: %d, want 204", got)
	}

	w.must("destroy", "--yes")
	if gs, _ := srv.Client.ListGuardrails(ctx, srv.Org); len(gs) != 0 {
		t.Fatalf("guardrails left behind: %v", gs)
	}
}

// wireProd is `stack.tags.env == "prod"` in the wire grammar, as the server stores it.
const wireProd = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}}`

// deleteStatus is status for a DELETE.
func deleteStatus(t *testing.T, srv *testserver.Server, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("DELETE", srv.URL+path, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
