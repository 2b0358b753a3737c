// Package pulumi_test drives the real Pulumi CLI (YAML runtime, local file backend) with the
// real provider plugin against the real iam-server binary.
package pulumi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// workspace is one Pulumi project directory with an isolated PULUMI_HOME and file backend.
type workspace struct {
	t      *testing.T
	dir    string
	env    []string
	pulumi string
}

func newWorkspace(t *testing.T, srv *testserver.Server, example string) *workspace {
	t.Helper()
	root := testserver.RepoRoot(t)
	pulumiBin := filepath.Join(root, ".tools", "bin", "pulumi")
	if _, err := os.Stat(pulumiBin); err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatalf("%s missing: run `make tools`", pulumiBin)
		}
		t.Skipf("%s missing: run `make tools`", pulumiBin)
	}
	plugin := testserver.BinaryPath(t, "pulumi-resource-iam")
	base := t.TempDir()
	dir := filepath.Join(base, "project")
	for _, d := range []string{dir, filepath.Join(base, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", example, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Point the plugin path at the built provider.
	prog := strings.Replace(string(src), "path: ../../bin", "path: "+filepath.Dir(plugin), 1)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &workspace{t: t, dir: dir, pulumi: pulumiBin, env: append(os.Environ(),
		"PATH="+filepath.Dir(pulumiBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+filepath.Join(base, "home"),
		"PULUMI_BACKEND_URL=file://"+filepath.Join(base, "state"),
		"PULUMI_CONFIG_PASSPHRASE=test-passphrase",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true",
		"NO_COLOR=1",
		// The provider must take its settings from stack config, not from the environment.
		"IAM_API_URL=", "IAM_ACCESS_TOKEN=", "PULUMI_ACCESS_TOKEN=", "IAM_ORGANIZATION=",
	)}
	w.must("stack", "init", "dev")
	w.must("config", "set", "iam:apiUrl", srv.URL)
	w.must("config", "set", "iam:organization", srv.Org)
	w.must("config", "set", "--secret", "iam:accessToken", srv.AdminToken)
	return w
}

// run runs pulumi and returns its combined output.
func (w *workspace) run(args ...string) (string, error) {
	w.t.Helper()
	cmd := exec.Command(w.pulumi, append(args, "--non-interactive")...)
	if args[0] == "stack" && len(args) > 1 && args[1] == "output" || args[0] == "config" {
		cmd = exec.Command(w.pulumi, args...)
	}
	cmd.Dir, cmd.Env = w.dir, w.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (w *workspace) must(args ...string) string {
	w.t.Helper()
	out, err := w.run(args...)
	if err != nil {
		w.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (w *workspace) edit(old, new string) {
	w.t.Helper()
	p := filepath.Join(w.dir, "Pulumi.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		w.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		w.t.Fatalf("Pulumi.yaml has no %q", old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func status(t *testing.T, srv *testserver.Server, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func seed(t *testing.T, srv *testserver.Server) {
	t.Helper()
	ctx := context.Background()
	for _, s := range []string{"prod", "dev"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client.CreateEnvironment(ctx, srv.Org, apitype.CreateEnvironmentRequest{Project: "myapp", Name: "prod"}); err != nil {
		t.Fatal(err)
	}
}

// customRecords lists the org's non-built-in roles and sets, and its tokens other than the
// test's admin token.
func customRecords(t *testing.T, srv *testserver.Server) (records []apitype.Role, tokens []apitype.AccessToken) {
	t.Helper()
	ctx := context.Background()
	for _, purpose := range []apitype.UXPurpose{apitype.UXPurposeRole, apitype.UXPurposeSet} {
		rs, err := srv.Client.ListRoles(ctx, srv.Org, purpose)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.DefaultIdentifier == "" {
				records = append(records, r)
			}
		}
	}
	toks, err := srv.Client.ListTokens(ctx, srv.Org, apitype.TokenFilterAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.Name != "admin" && tok.Name != "bootstrap" { // the test server's own admin token
			tokens = append(tokens, tok)
		}
	}
	return records, tokens
}

func TestExampleLifecycle(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	seed(t, srv)
	w := newWorkspace(t, srv, "yaml")
	ctx := context.Background()

	// A typo'd scope fails at preview, naming the closest valid scope.
	w.edit("        - stack:delete\n", "        - stack:delet\n")
	out, err := w.run("preview")
	if err == nil || !strings.Contains(out, `did you mean \"stack:delete\"`) && !strings.Contains(out, `did you mean "stack:delete"`) {
		t.Fatalf("preview with a typo: err=%v\n%s", err, out)
	}
	w.edit("        - stack:delet\n", "        - stack:delete\n")

	start := time.Now()
	w.must("up", "--yes")
	t.Logf("pulumi up (create, 3 resources + 2 invokes): %s", time.Since(start).Round(10*time.Millisecond))

	token := strings.TrimSpace(w.must("stack", "output", "ciToken", "--show-secrets"))
	if !regexp.MustCompile(`^pul-[0-9a-f]{40}$`).MatchString(token) {
		t.Fatalf("ciToken output %q", token)
	}
	if plain := w.must("stack", "output", "ciToken"); strings.Contains(plain, token) {
		t.Fatal("the token value is not a secret output")
	}
	if got := status(t, srv, token, "/api/stacks/acme/myapp/prod"); got != 200 {
		t.Fatalf("token on myapp/prod: %d", got)
	}
	if got := status(t, srv, token, "/api/stacks/acme/myapp/dev"); got != 403 {
		t.Fatalf("token on myapp/dev: %d", got)
	}
	var outputs map[string]any
	if err := json.Unmarshal([]byte(w.must("stack", "output", "--json")), &outputs); err != nil {
		t.Fatal(err)
	}
	if outputs["mayDeleteProd"] != true || outputs["mayDeleteDev"] != false {
		t.Fatalf("checkAccess outputs: %v", outputs)
	}

	// An unchanged program: no diff, no writes.
	records, _ := customRecords(t, srv)
	w.must("preview", "--expect-no-changes")
	w.must("up", "--yes", "--expect-no-changes")
	after, _ := customRecords(t, srv)
	for i := range records {
		if records[i].Version != after[i].Version {
			t.Fatalf("an unchanged up wrote %s (version %d → %d)", records[i].Name, records[i].Version, after[i].Version)
		}
	}

	// Change the role: an update in place, not a replacement; the token keeps working.
	w.edit("          stacks:\n            - myapp/prod\n", "          stacks:\n            - myapp/prod\n            - myapp/dev\n")
	out = w.must("up", "--yes")
	if !strings.Contains(out, "updated") || strings.Contains(out, "replaced") {
		t.Fatalf("role change was not an in-place update:\n%s", out)
	}
	if got := status(t, srv, token, "/api/stacks/acme/myapp/dev"); got != 200 {
		t.Fatalf("after adding myapp/dev: %d", got)
	}

	// Out-of-band change on the server: refresh reports the drift, up restores the role.
	roleID := strings.TrimSpace(w.must("stack", "output", "roleId"))
	role, err := srv.Client.GetRole(ctx, srv.Org, roleID)
	if err != nil {
		t.Fatal(err)
	}
	drift := `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`
	if _, err := srv.Client.UpdateRole(ctx, srv.Org, roleID, apitype.UpdateRoleRequest{Details: []byte(drift)}); err != nil {
		t.Fatal(err)
	}
	out = w.must("refresh", "--yes")
	if !strings.Contains(out, "prodDeployer") || !strings.Contains(out, "update") {
		t.Fatalf("refresh did not report the drift:\n%s", out)
	}
	if out, err := w.run("preview", "--expect-no-changes"); err == nil {
		t.Fatalf("drift does not show in preview:\n%s", out)
	}
	w.must("up", "--yes")
	restored, err := srv.Client.GetRole(ctx, srv.Org, roleID)
	if err != nil {
		t.Fatal(err)
	}
	if string(restored.Details) != string(role.Details) {
		t.Fatalf("up did not restore the role:\n%s\n%s", restored.Details, role.Details)
	}
	w.must("preview", "--expect-no-changes")

	// Import a role made elsewhere.
	made, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{
		Name: "made-by-hand", UXPurpose: apitype.UXPurposeRole,
		Details: []byte(`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	out = w.must("import", "iam:index:CustomRole", "handMade", srv.Org+"/"+made.ID, "--yes", "--protect=false", "--out", filepath.Join(w.dir, "imported.yaml"))
	gen, _ := os.ReadFile(filepath.Join(w.dir, "imported.yaml"))
	if !strings.Contains(string(gen), "made-by-hand") || !strings.Contains(string(gen), "audit_logs:read") {
		t.Fatalf("import generated:\n%s\n%s", gen, out)
	}

	// Destroy leaves nothing behind on the server (the imported role included).
	w.must("destroy", "--yes")
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %v %v", recs, toks)
	}
	if got := status(t, srv, token, "/api/user"); got != 401 {
		t.Fatalf("the destroyed token still works: %d", got)
	}
}
