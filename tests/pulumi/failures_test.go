package pulumi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// failuresProgram is a permission and a role that grants it on a stack (the diff of a role
// looks the stack up).
const failuresProgram = `name: iam-example
runtime: yaml
plugins:
  providers:
    - name: iam
      path: PLUGIN_DIR
resources:
  readers:
    type: iam:index:Permission
    properties:
      name: readers
      scopes:
        - stack:read
  deployer:
    type: iam:index:CustomRole
    properties:
      name: deployer
      grants:
        - permissions:
            - ${readers.permissionId}
          stacks:
            - myapp/prod
`

// newEnvWorkspace is a workspace for failuresProgram whose provider takes its settings from
// the environment (IAM_API_URL, IAM_ACCESS_TOKEN, IAM_ORGANIZATION), as `pulumi refresh`
// does: a run's own variables (see runWith) then change them.
func newEnvWorkspace(t *testing.T, srv *testserver.Server) *workspace {
	t.Helper()
	w := newWorkspace(t, srv, "yaml")
	for _, k := range []string{"iam:apiUrl", "iam:organization", "iam:accessToken"} {
		w.must("config", "rm", k)
	}
	plugin := testserver.BinaryPath(t, "pulumi-resource-iam")
	prog := strings.Replace(failuresProgram, "PLUGIN_DIR", filepath.Dir(plugin), 1)
	if err := os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	w.env = append(w.env, "IAM_API_URL="+srv.URL, "IAM_ACCESS_TOKEN="+srv.AdminToken, "IAM_ORGANIZATION="+srv.Org)
	return w
}

// runWith runs pulumi with extra environment variables (they win over the workspace's).
func (w *workspace) runWith(env []string, args ...string) (string, error) {
	w.t.Helper()
	saved := w.env
	w.env = append(append([]string(nil), saved...), env...)
	defer func() { w.env = saved }()
	return w.run(args...)
}

// resourcesInState counts the iam resources in the stack's state.
func (w *workspace) resourcesInState() int {
	w.t.Helper()
	var dep struct {
		Deployment struct {
			Resources []struct{ Type string }
		}
	}
	if err := json.Unmarshal([]byte(w.must("stack", "export")), &dep); err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, r := range dep.Deployment.Resources {
		if strings.HasPrefix(r.Type, "iam:index:") {
			n++
		}
	}
	return n
}

// The usual mistakes, with the real CLI: refresh never drops live resources, preview fails with
// the real message instead of showing a change, nothing hangs, the token never goes over plain
// HTTP to another machine, and check failures print paths and values as written.
func TestMistakes(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	seed(t, srv)
	w := newEnvWorkspace(t, srv)
	w.must("up", "--yes")
	if n := w.resourcesInState(); n != 2 {
		t.Fatalf("%d iam resources in state after up", n)
	}

	expired, err := srv.Client.CreateToken(context.Background(), srv.Org, apitype.CreateOrgTokenRequest{Name: "short-lived", Admin: true, Expires: time.Now().Add(2 * time.Second).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)

	silent := testserver.Silent(t)
	for _, c := range []struct {
		name    string
		env     []string
		cmd     []string
		want    []string
		maxTime time.Duration
	}{
		// Read finds the resources where they live (their ID), but the refresh's diff
		// compiles the role's inputs in the provider's organization, which does not exist.
		{"refresh, wrong organization", []string{"IAM_ORGANIZATION=globex"}, []string{"refresh", "--yes"},
			[]string{`organization "globex" not found (this server serves "acme")`, "check iam:organization"}, 0},
		{"refresh, API URL ending in /api", []string{"IAM_API_URL=" + srv.URL + "/api"}, []string{"refresh", "--yes"},
			[]string{"no API route", "check iam:apiUrl, the server's base URL such as http://127.0.0.1:8080 (without /api)", "no route for GET /api/api/orgs/acme/"}, 0},
		{"refresh, refused token", []string{"IAM_ACCESS_TOKEN=pul-" + strings.Repeat("f", 40)}, []string{"refresh", "--yes"},
			[]string{"the access token was refused (401): check iam:accessToken"}, 0},
		{"refresh, silent server", []string{"IAM_API_URL=" + silent, "IAM_REQUEST_TIMEOUT=1s", "IAM_MAX_RETRIES=1"}, []string{"refresh", "--yes"},
			[]string{"the IAM server did not answer", "raise iam:requestTimeout or iam:maxRetries", "no answer from " + silent + " within 1s"}, 20 * time.Second},
		{"preview, wrong organization", []string{"IAM_ORGANIZATION=globex"}, []string{"preview"},
			[]string{`organization "globex" not found`, "check iam:organization"}, 0},
		{"preview, wrong token", []string{"IAM_ACCESS_TOKEN=pul-" + strings.Repeat("f", 40)}, []string{"preview"},
			[]string{"the access token was refused (401): check iam:accessToken", "invalid, expired or revoked token"}, 0},
		{"preview, expired token", []string{"IAM_ACCESS_TOKEN=" + expired.TokenValue}, []string{"preview"},
			[]string{"the access token was refused (401): check iam:accessToken"}, 0},
		{"preview, no token", []string{"IAM_ACCESS_TOKEN=", "PULUMI_ACCESS_TOKEN="}, []string{"preview"},
			[]string{"no access token: set iam:accessToken, or IAM_ACCESS_TOKEN / PULUMI_ACCESS_TOKEN"}, 0},
		{"preview, server down", []string{"IAM_API_URL=http://" + testserver.FreeAddr(t), "IAM_MAX_RETRIES=0"}, []string{"preview"},
			[]string{"cannot reach the IAM server: check that it is running and that iam:apiUrl is its URL", "connection refused"}, 0},
		{"preview, silent server", []string{"IAM_API_URL=" + silent, "IAM_REQUEST_TIMEOUT=1s", "IAM_MAX_RETRIES=0"}, []string{"preview"},
			[]string{"no answer from " + silent + " within 1s (the request timeout)"}, 15 * time.Second},
		{"preview, plain HTTP elsewhere", []string{"IAM_API_URL=http://iam.example.com:8080"}, []string{"preview"},
			[]string{`iam:apiUrl "http://iam.example.com:8080" is plain HTTP to another machine`, "set iam:insecure to true (or IAM_INSECURE=true)"}, 0},
	} {
		start := time.Now()
		out, err := w.runWith(c.env, c.cmd...)
		took := time.Since(start)
		if err == nil {
			t.Errorf("%s: succeeded:\n%s", c.name, out)
			continue
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, want := range c.want {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: output does not say %q:\n%s", c.name, want, out)
			}
		}
		if strings.Contains(out, "[diff: ") || strings.Contains(out, "~ update") {
			t.Errorf("%s: shows a change:\n%s", c.name, out)
		}
		if strings.Contains(out, srv.AdminToken) {
			t.Errorf("%s: the output holds the token", c.name)
		}
		if c.maxTime > 0 && took > c.maxTime {
			t.Errorf("%s: took %v", c.name, took)
		}
		t.Logf("%s: failed in %v: %s", c.name, took.Round(10*time.Millisecond), firstError(out))
		if n := w.resourcesInState(); n != 2 {
			t.Fatalf("%s: %d iam resources left in state", c.name, n)
		}
	}

	// The same settings from stack config (typed values) work too.
	w.must("config", "set", "iam:requestTimeout", "1s")
	w.must("config", "set", "iam:maxRetries", "0")
	start := time.Now()
	out, err := w.runWith([]string{"IAM_API_URL=" + silent}, "preview")
	if err == nil || !strings.Contains(out, "within 1s (the request timeout); gave up after 1 attempt(s)") {
		t.Errorf("preview with iam:requestTimeout and iam:maxRetries in stack config: %v\n%s", err, out)
	}
	t.Logf("preview against a silent server with iam:requestTimeout 1s, iam:maxRetries 0: failed in %v", time.Since(start).Round(10*time.Millisecond))
	w.must("config", "rm", "iam:requestTimeout")
	w.must("config", "rm", "iam:maxRetries")

	// Everything is still there: no changes.
	w.must("refresh", "--yes", "--expect-no-changes")
	w.must("preview", "--expect-no-changes")

	// A stack that does not exist fails the preview (not the update), naming it and the fix:
	// stacks are not managed by this provider, so it would not exist at apply either.
	w.edit("            - myapp/prod\n", "            - myapp/prod\n            - web/qa\n")
	out, err = w.run("preview")
	flat := strings.ReplaceAll(strings.Join(strings.Fields(out), " "), `\"`, `"`)
	want := `grants[0].stacks[1]: stack "web/qa" does not exist in organization acme: stacks are not managed by this provider, ` +
		"so create it first (`pulumi stack init`, or register it with the IAM server) or correct the name"
	if err == nil || !strings.Contains(flat, want) || strings.Contains(out, "~ update") {
		t.Errorf("a stack that does not exist: %v\n%s", err, out)
	}
	t.Logf("a stack that does not exist: %s", firstError(out))
	w.edit("            - myapp/prod\n            - web/qa\n", "            - myapp/prod\n")

	// A check failure names the path and the value as written, never a Go value.
	w.edit("        - permissions:\n", "        - scopes:\n            - stack:delet\n          permissions:\n")
	out, err = w.run("preview")
	if err == nil || !strings.Contains(out, `grants[0].scopes[0]: unknown scope \"stack:delet\": did you mean \"stack:delete\"?`) &&
		!strings.Contains(out, `grants[0].scopes[0]: unknown scope "stack:delet": did you mean "stack:delete"?`) {
		t.Errorf("typo in a grant: %v\n%s", err, out)
	}
	if strings.Contains(out, "map[") || strings.Contains(out, "property grants value") {
		t.Errorf("a check failure prints a Go value:\n%s", out)
	}
	t.Logf("typo in a grant: %s", firstError(out))
	w.edit("        - scopes:\n            - stack:delet\n          permissions:\n", "        - permissions:\n")

	w.must("destroy", "--yes")
	if recs, _ := customRecords(t, srv); len(recs) != 0 {
		t.Fatalf("left behind: %v", recs)
	}
}

// firstError is the first `error:` line of pulumi's diagnostics.
func firstError(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "error: ") && l != "error: preview failed" && l != "error: update failed" {
			return l
		}
	}
	return ""
}
