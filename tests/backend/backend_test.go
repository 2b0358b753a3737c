// Package backend_test drives the real Pulumi CLI against the real iam-server binary used as
// the CLI's state backend (`pulumi login http://<server>`): scoped tokens gate `pulumi up`,
// `preview` and `destroy` per stack, state and secrets round-trip, and a server killed in the
// middle of an update leaves a stack that `pulumi cancel` and a second `up` recover.
package backend_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// program is a YAML program with real resources: permission sets created through the iam
// provider (the repository's build), a secret config value and a secret output.
const program = `name: payments
runtime: yaml
plugins:
  providers:
    - name: iam
      path: %PLUGIN%
config:
  greeting:
    type: string
    default: hello
resources:
  readers:
    type: iam:index:Permission
    properties:
      name: payments-${pulumi.stack}-readers
      scopes: [stack:read]
  writers:
    type: iam:index:Permission
    properties:
      name: payments-${pulumi.stack}-writers
      scopes: [stack:read, stack:write]
outputs:
  readersId: ${readers.permissionId}
  greeting:
    fn::secret: ${greeting}
`

// project is a project folder with an isolated PULUMI_HOME, logged in to the server.
type project struct {
	t      *testing.T
	dir    string
	home   string
	pulumi string
	url    string
}

func newProject(t *testing.T, srv *testserver.Server) *project {
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
	p := &project{t: t, dir: filepath.Join(base, "payments"), home: filepath.Join(base, "home"), pulumi: pulumiBin, url: srv.URL}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(program, "%PLUGIN%", filepath.Dir(plugin), 1)
	if err := os.WriteFile(filepath.Join(p.dir, "Pulumi.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs pulumi with token as the CLI's access token and returns its combined output.
func (p *project) run(token string, args ...string) (string, error) {
	p.t.Helper()
	out, err := p.command(token, args...).CombinedOutput()
	return string(out), err
}

// stdout runs pulumi and returns its standard output alone (exports, outputs).
func (p *project) stdout(token string, args ...string) string {
	p.t.Helper()
	cmd := p.command(token, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func (p *project) command(token string, args ...string) *exec.Cmd {
	cmd := exec.Command(p.pulumi, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(p.pulumi)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+p.home,
		"PULUMI_BACKEND_URL="+p.url,
		"PULUMI_ACCESS_TOKEN="+token,
		"PULUMI_CONFIG_PASSPHRASE=test-passphrase",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"NO_COLOR=1",
		"IAM_API_URL=", "IAM_ACCESS_TOKEN=", "IAM_ORGANIZATION=",
	)
	return cmd
}

func (p *project) must(token string, args ...string) string {
	p.t.Helper()
	out, err := p.run(token, args...)
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// refused runs a command that must fail with a 403 whose message contains each of want.
func (p *project) refused(token string, want []string, args ...string) {
	p.t.Helper()
	out, err := p.run(token, args...)
	if err == nil {
		p.t.Fatalf("pulumi %s succeeded, want a 403:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range append([]string{"[403]"}, want...) {
		if !strings.Contains(out, w) {
			p.t.Errorf("pulumi %s: output does not say %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
}

// initStack creates org/payments/<name> as admin with the program's config: the iam provider
// talks to the server with the admin token, kept as a secret of the stack.
func (p *project) initStack(srv *testserver.Server, name string, extra ...string) {
	p.t.Helper()
	p.initStackRef(srv, "acme/payments/"+name, extra...)
}

// initStackRef is initStack of a full stack reference.
func (p *project) initStackRef(srv *testserver.Server, s string, extra ...string) {
	p.t.Helper()
	p.must(srv.AdminToken, append([]string{"stack", "init", s, "--non-interactive"}, extra...)...)
	p.must(srv.AdminToken, "config", "set", "-s", s, "iam:apiUrl", srv.URL)
	p.must(srv.AdminToken, "config", "set", "-s", s, "iam:organization", "acme")
	p.must(srv.AdminToken, "config", "set", "-s", s, "--secret", "iam:accessToken", srv.AdminToken)
}

// builtin is the ID of a built-in permission set.
func builtin(t *testing.T, srv *testserver.Server, identifier string) string {
	t.Helper()
	sets, err := srv.Client.ListRoles(context.Background(), "acme", apitype.UXPurposeSet)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sets {
		if r.DefaultIdentifier == identifier {
			return r.ID
		}
	}
	t.Fatalf("no built-in set %q", identifier)
	return ""
}

// scopedToken creates a role granting the built-in permission sets on one stack, and a token
// holding it.
func scopedToken(t *testing.T, srv *testserver.Server, name, stackID string, sets ...string) string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, s := range sets {
		ids = append(ids, builtin(t, srv, s))
	}
	n, err := authz.BuildRole([]authz.GrantSpec{{Permissions: ids, Refs: authz.Refs{Stacks: []string{stackID}}}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := srv.Client.CreateRole(ctx, "acme", apitype.CreateRoleRequest{Name: name, UXPurpose: apitype.UXPurposeRole, Details: authz.Format(n)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Client.CreateToken(ctx, "acme", apitype.CreateOrgTokenRequest{Name: name, RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}
	return tok.TokenValue
}

func stackID(t *testing.T, srv *testserver.Server, name string) string {
	t.Helper()
	s, err := srv.Client.GetStack(context.Background(), "acme", "payments", name)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// TestScopedTokensGateUpdates: a CI token whose role grants the built-in stack-write set on
// payments/prod runs `pulumi up` there, and gets a 403 naming the missing scope from `pulumi up`
// on payments/dev and from `pulumi destroy` on payments/prod; a read-only token previews but
// does not update. State, history, tags, export/import and secrets round-trip through the
// server.
func TestScopedTokensGateUpdates(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	p := newProject(t, srv)
	p.initStack(srv, "prod")
	p.initStack(srv, "dev")
	prod := stackID(t, srv, "prod")
	ci := scopedToken(t, srv, "ci-prod", prod, "stack-write")
	reader := scopedToken(t, srv, "reader-prod", prod, "stack-read")
	p.must(srv.AdminToken, "config", "set", "-s", "acme/payments/prod", "--secret", "greeting", "s3cr3t-value")

	out := p.must(ci, "up", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	if !strings.Contains(out, "+ 3 created") {
		t.Errorf("pulumi up by ci on prod:\n%s", out)
	}
	if out := p.must(ci, "refresh", "--yes", "--non-interactive", "-s", "acme/payments/prod"); !strings.Contains(out, "3 unchanged") {
		t.Errorf("pulumi refresh by ci on prod:\n%s", out)
	}
	p.refused(ci, []string{"ci-prod", "payments/dev"}, "up", "--yes", "--non-interactive", "-s", "acme/payments/dev")
	p.refused(ci, []string{"ci-prod", "stack:delete"}, "destroy", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	p.must(reader, "preview", "--non-interactive", "-s", "acme/payments/prod")
	p.refused(reader, []string{"reader-prod", "stack:write"}, "up", "--yes", "--non-interactive", "-s", "acme/payments/prod")

	// Secrets: the config value is ciphertext in Pulumi.prod.yaml, in the state and in the
	// database; the stack's key decrypts it for a token with stack:decrypt.
	if out := p.stdout(ci, "stack", "output", "greeting", "--show-secrets", "-s", "acme/payments/prod"); strings.TrimSpace(out) != "s3cr3t-value" {
		t.Errorf("secret output: %q", out)
	}
	cfg, _ := os.ReadFile(filepath.Join(p.dir, "Pulumi.prod.yaml"))
	export := p.stdout(srv.AdminToken, "stack", "export", "-s", "acme/payments/prod")
	db, _ := os.ReadFile(srv.DBPath)
	wal, _ := os.ReadFile(srv.DBPath + "-wal")
	for what, b := range map[string]string{"Pulumi.prod.yaml": string(cfg), "the export": export, "the database": string(db) + string(wal)} {
		if strings.Contains(b, "s3cr3t-value") {
			t.Errorf("%s holds the secret in plaintext", what)
		}
	}
	if !strings.Contains(string(cfg), "secure:") || !strings.Contains(export, `"ciphertext"`) {
		t.Errorf("the secret is not encrypted by the service provider:\n%s", cfg)
	}

	// export | import round-trips, as a new version.
	file := filepath.Join(t.TempDir(), "prod.json")
	if err := os.WriteFile(file, []byte(export), 0o600); err != nil {
		t.Fatal(err)
	}
	p.must(srv.AdminToken, "stack", "import", "--file", file, "-s", "acme/payments/prod")
	again := p.stdout(srv.AdminToken, "stack", "export", "-s", "acme/payments/prod")
	var before, after struct {
		Deployment struct {
			Resources []struct{ URN string } `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(export), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(again), &after); err != nil {
		t.Fatal(err)
	}
	if len(before.Deployment.Resources) != 4 || len(after.Deployment.Resources) != len(before.Deployment.Resources) {
		t.Errorf("export | import: %d resources, then %d", len(before.Deployment.Resources), len(after.Deployment.Resources))
	}
	hist := p.must(srv.AdminToken, "stack", "history", "-s", "acme/payments/prod")
	if !strings.Contains(hist, "UpdateKind: import") || !strings.Contains(hist, "UpdateKind: update") {
		t.Errorf("history:\n%s", hist)
	}
	// The reader may not import (stack:import is in stack-write).
	p.refused(reader, []string{"stack:import"}, "stack", "import", "--file", file, "-s", "acme/payments/prod")

	// Tags: `pulumi stack tag set` feeds the tags grants can name; `stack ls` filters by them.
	p.must(srv.AdminToken, "stack", "tag", "set", "owner", "payments-team", "-s", "acme/payments/prod")
	st, err := srv.Client.GetStack(context.Background(), "acme", "payments", "prod")
	if err != nil || st.Tags["owner"] != "payments-team" {
		t.Errorf("stack tags after `stack tag set`: %v, %v", st, err)
	}
	ls := p.must(srv.AdminToken, "stack", "ls", "--tag", "owner=payments-team")
	if !strings.Contains(ls, "prod") || strings.Contains(ls, "dev") {
		t.Errorf("stack ls --tag:\n%s", ls)
	}

	// Tag grants see the tags `pulumi stack tag set` writes: a token of a role granting
	// stack-write scopes on stacks tagged team=payments deploys dev once it is tagged.
	teamRole, err := srv.Client.CreateRole(context.Background(), "acme", apitype.CreateRoleRequest{Name: "team-deployer", UXPurpose: apitype.UXPurposeRole,
		Details: json.RawMessage(`{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual",
			"left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"team"},
			"right":{"__type":"PermissionLiteralExpressionString","value":"payments"}},
			"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:export","stack:encrypt","stack:decrypt","stack:write"]}}`)})
	if err != nil {
		t.Fatal(err)
	}
	teamTok, err := srv.Client.CreateToken(context.Background(), "acme", apitype.CreateOrgTokenRequest{Name: "team-deployer", RoleID: teamRole.ID})
	if err != nil {
		t.Fatal(err)
	}
	p.refused(teamTok.TokenValue, []string{"team-deployer"}, "up", "--yes", "--non-interactive", "-s", "acme/payments/dev")
	p.must(srv.AdminToken, "stack", "tag", "set", "team", "payments", "-s", "acme/payments/dev")
	p.must(teamTok.TokenValue, "up", "--yes", "--non-interactive", "-s", "acme/payments/dev")

	// A passphrase stack works too: its secrets never reach the server.
	p.initStack(srv, "qa", "--secrets-provider", "passphrase")
	p.must(srv.AdminToken, "config", "set", "-s", "acme/payments/qa", "--secret", "greeting", "pass-secret")
	p.must(srv.AdminToken, "up", "--yes", "--non-interactive", "-s", "acme/payments/qa")
	if out := p.stdout(srv.AdminToken, "stack", "output", "greeting", "--show-secrets", "-s", "acme/payments/qa"); strings.TrimSpace(out) != "pass-secret" {
		t.Errorf("passphrase stack secret output: %q", out)
	}
	// `pulumi stack rename` keeps the state (and the stack's ID).
	qa := stackID(t, srv, "qa")
	p.must(srv.AdminToken, "stack", "rename", "acme/payments/qa2", "-s", "acme/payments/qa")
	if id := stackID(t, srv, "qa2"); id != qa {
		t.Errorf("renamed stack ID %s, was %s", id, qa)
	}
	if out := p.stdout(srv.AdminToken, "stack", "output", "greeting", "--show-secrets", "-s", "acme/payments/qa2"); strings.TrimSpace(out) != "pass-secret" {
		t.Errorf("the renamed stack's output: %q", out)
	}

	// The admin (stack:delete) destroys and removes prod.
	p.must(srv.AdminToken, "destroy", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	p.must(srv.AdminToken, "stack", "rm", "--yes", "-s", "acme/payments/prod")
	if _, err := srv.Client.GetStack(context.Background(), "acme", "payments", "prod"); err == nil {
		t.Error("prod still exists after stack rm")
	}

	// Every update is in the audit log with the token that ran it.
	evs, err := srv.Client.ListAuditLogs(context.Background(), "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	var ranByCI, refusedDestroy bool
	for _, e := range evs.AuditLogEvents {
		ranByCI = ranByCI || e.TokenName == "ci-prod" && e.Decision == "allow" && strings.Contains(e.Reason, "update") && strings.Contains(e.Reason, "succeeded")
		refusedDestroy = refusedDestroy || e.TokenName == "ci-prod" && e.Decision == "deny" && e.Action == "stack:delete"
	}
	if !ranByCI || !refusedDestroy {
		t.Errorf("audit log: ci's update recorded %v, its refused destroy %v", ranByCI, refusedDestroy)
	}
}

// TestKilledServerMidUpdate: the server is killed (kill -9) while an update runs; after a
// restart the stack is locked by that update (a second `up` is a 409 that says what to do),
// `pulumi cancel` releases it, and a second `up` succeeds.
func TestKilledServerMidUpdate(t *testing.T) {
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, bin, dir)
	addr := strings.TrimPrefix(srv.URL, "http://")
	p := newProject(t, srv)
	p.initStack(srv, "prod")
	// The provider talks to a server that never answers, so the update stays running.
	p.must(srv.AdminToken, "config", "set", "-s", "acme/payments/prod", "iam:apiUrl", testserver.Silent(t))

	cmd := exec.Command(p.pulumi, "up", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+p.home, "PULUMI_BACKEND_URL="+p.url, "PULUMI_ACCESS_TOKEN="+srv.AdminToken,
		"PULUMI_SKIP_UPDATE_CHECK=true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true", "NO_COLOR=1",
		"PATH="+filepath.Dir(p.pulumi)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := srv.Client.GetStack(context.Background(), "acme", "payments", "prod")
		if err == nil && st.ActiveUpdate != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the update never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := srv.Process.Kill(); err != nil { // kill -9
		t.Fatal(err)
	}
	_, _ = srv.Process.Wait()
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()

	srv = testserver.StartBinaryAt(t, bin, dir, addr)
	p.must(srv.AdminToken, "config", "set", "-s", "acme/payments/prod", "iam:apiUrl", srv.URL)
	out, err := p.run(srv.AdminToken, "up", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	if err == nil || !strings.Contains(out, "409") || !strings.Contains(out, "pulumi cancel") {
		t.Fatalf("up while the crashed update holds the stack: %v\n%s", err, out)
	}
	p.must(srv.AdminToken, "cancel", "--yes", "-s", "acme/payments/prod")
	out = p.must(srv.AdminToken, "up", "--yes", "--non-interactive", "-s", "acme/payments/prod")
	if !strings.Contains(out, "created") {
		t.Errorf("up after cancel:\n%s", out)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz after restart: %v", err)
	}
}

// TestSecretsKeyFile: the first start creates the master key beside the database, owner-only,
// and never logs it; a --secrets-key-file that is missing or readable by others stops the start
// with a message that says what to do.
func TestSecretsKeyFile(t *testing.T) {
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, bin, dir)
	key := srv.DBPath + ".secrets-key"
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the master key file: %v, %v; want mode 0600", fi, err)
	}
	value, _ := os.ReadFile(key)
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	if k := strings.TrimSpace(string(value)); len(k) != 64 || strings.Contains(string(log), k) {
		t.Errorf("key %d hex digits; in the log: %v", len(k), strings.Contains(string(log), k))
	}

	other := t.TempDir()
	loose := filepath.Join(other, "loose.key")
	if err := os.WriteFile(loose, []byte(strings.Repeat("ab", 32)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(loose, 0o644)
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(other, "missing.key"), "no such file"},
		{loose, "chmod 600"},
	} {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(other, "iam.db"), "--org", "acme", "--secrets-key-file", tc.file)
		cmd.Env = append(os.Environ(), "IAM_BOOTSTRAP_TOKEN="+testserver.AdminToken)
		done := make(chan struct{})
		var out []byte
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("iam-server started with --secrets-key-file %s", tc.file)
		}
		if err == nil || !strings.Contains(string(out), "--secrets-key-file") || !strings.Contains(string(out), tc.want) {
			t.Errorf("--secrets-key-file %s: %v\n%s", tc.file, err, out)
		}
	}
}

// TestBackendScale measures `pulumi up` (create), an unchanged `up` and `destroy` of a program
// of IAMREF_PULUMI_SCALE permission sets with the iamref server as the state backend, beside
// the same with Pulumi's file backend (the peer) in the same run, and reports the ratio. A
// measurement, not a timed assertion: `make bench-backend` runs it with 300.
func TestBackendScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IAMREF_PULUMI_SCALE"))
	if n < 1 {
		t.Skip("set IAMREF_PULUMI_SCALE (e.g. 300) to run")
	}
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	var b strings.Builder
	b.WriteString("name: payments\nruntime: yaml\nplugins:\n  providers:\n    - name: iam\n      path: " + filepath.Dir(testserver.BinaryPath(t, "pulumi-resource-iam")) + "\nresources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  perm%d:\n    type: iam:index:Permission\n    properties:\n      name: ${pulumi.stack}-perm-%d\n      scopes: [stack:read]\n", i, i)
	}
	steps := [][]string{{"up", "--yes", "--non-interactive"}, {"up", "--yes", "--non-interactive", "--expect-no-changes"}, {"destroy", "--yes", "--non-interactive"}}
	times := map[string][]time.Duration{}
	for _, backend := range []string{"file", "iamref"} {
		p := newProject(t, srv)
		if err := os.WriteFile(filepath.Join(p.dir, "Pulumi.yaml"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		stack := "acme/payments/" + backend
		if backend == "file" {
			state := t.TempDir()
			p.url = "file://" + state
			stack = backend
		}
		p.initStackRef(srv, stack)
		for _, args := range steps {
			start := time.Now()
			p.must(srv.AdminToken, append(args, "-s", stack)...)
			times[backend] = append(times[backend], time.Since(start))
		}
	}
	for i, args := range steps {
		f, s := times["file"][i], times["iamref"][i]
		t.Logf("%-50s %d resources: file backend %s, iamref backend %s, ratio %.2f", "pulumi "+strings.Join(args, " "), n,
			f.Round(10*time.Millisecond), s.Round(10*time.Millisecond), float64(s)/float64(f))
	}
}
