// Package cli_test drives the real Pulumi CLI (.tools/bin/pulumi, built by `make tools`) against
// the real iam-server binary (bin/iam-server, built by `make build`): `pulumi login <url>` and
// `pulumi whoami` with an org token of a non-admin custom role, then with the token revoked.
package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// pulumiCLI finds .tools/bin/pulumi: a skip with a hint when it is missing, a failure when
// IAMREF_REQUIRE_BINARIES is set (as in CI).
func pulumiCLI(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testserver.RepoRoot(t), ".tools", "bin", "pulumi")
	if _, err := os.Stat(p); err != nil {
		msg := p + " not found; run `make tools` first"
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// cliEnv is the environment of one CLI session: the caller's, minus anything that could point
// the CLI at another backend or token, plus an isolated PULUMI_HOME and no network extras.
func cliEnv(t *testing.T, token string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") {
			continue
		}
		env = append(env, kv)
	}
	home := t.TempDir()
	return append(env,
		"PULUMI_ACCESS_TOKEN="+token,
		"PULUMI_HOME="+filepath.Join(home, ".pulumi"),
		"HOME="+home, // nothing from the real ~/.pulumi or credential helpers
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"NO_COLOR=1",
	)
}

type result struct {
	stdout, stderr string
	err            error
	took           time.Duration
}

func run(t *testing.T, bin, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--non-interactive")...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), err: err, took: time.Since(start)}
	t.Logf("$ pulumi %s  (%v, err=%v)\n%s%s", strings.Join(args, " "), r.took.Round(time.Millisecond), err, r.stdout, r.stderr)
	return r
}

func TestLoginAndWhoAmI(t *testing.T) {
	pulumi := pulumiCLI(t)
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	ctx := context.Background()

	// A non-admin custom role: read any stack, list stacks.
	tree, err := authz.BuildRole([]authz.GrantSpec{{Scopes: []string{"stack:read", "stack:list"}}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{
		Name: "cli-reader", Description: "reads stacks", UXPurpose: apitype.UXPurposeRole, Details: authz.Format(tree),
	})
	if err != nil {
		t.Fatal(err)
	}
	const tokName = "cli-login-test"
	tok, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: tokName, Description: "pulumi CLI test", RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}

	env := cliEnv(t, tok.TokenValue)
	dir := t.TempDir() // no Pulumi.yaml here

	r := run(t, pulumi, dir, env, "login", srv.URL)
	if r.err != nil {
		t.Fatalf("pulumi login %s failed: %v", srv.URL, r.err)
	}
	if !strings.Contains(r.stdout+r.stderr, "Logged in to") || !strings.Contains(r.stdout+r.stderr, srv.Org) {
		t.Errorf("pulumi login output does not say it logged in as %s", srv.Org)
	}

	r = run(t, pulumi, dir, env, "whoami", "-v")
	if r.err != nil {
		t.Fatalf("pulumi whoami -v failed: %v", r.err)
	}
	checkWhoAmI(t, r.stdout, srv.Org, tokName)
	// The logged-in session answers from the account details login cached; a session with no
	// cached login (backend from PULUMI_BACKEND_URL) asks the server's GET /api/user itself.
	r = run(t, pulumi, dir, append(cliEnv(t, tok.TokenValue), "PULUMI_BACKEND_URL="+srv.URL), "whoami", "-v")
	if r.err != nil {
		t.Fatalf("pulumi whoami -v (no cached login) failed: %v", r.err)
	}
	checkWhoAmI(t, r.stdout, srv.Org, tokName)

	r = run(t, pulumi, dir, env, "whoami", "--json")
	if r.err != nil {
		t.Fatalf("pulumi whoami --json failed: %v", r.err)
	}
	var who struct {
		User             string   `json:"user"`
		Organizations    []string `json:"organizations"`
		URL              string   `json:"url"`
		TokenInformation *struct {
			Name         string `json:"name"`
			Organization string `json:"organization"`
			Team         string `json:"team"`
		} `json:"tokenInformation"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &who); err != nil {
		t.Fatalf("pulumi whoami --json: %v\n%s", err, r.stdout)
	}
	// url is the console URL, which the CLI cannot derive for a loopback API host: "".
	if who.User != srv.Org || len(who.Organizations) != 1 || who.Organizations[0] != srv.Org {
		t.Errorf("pulumi whoami --json: %+v", who)
	}
	if ti := who.TokenInformation; ti == nil || ti.Name != tokName || ti.Organization != srv.Org || ti.Team != "" {
		t.Errorf("pulumi whoami --json: tokenInformation %+v, want name %q organization %q", ti, tokName, srv.Org)
	}

	// The CLI stored the login for this backend in the isolated PULUMI_HOME.
	creds, err := os.ReadFile(filepath.Join(envValue(env, "PULUMI_HOME"), "credentials.json"))
	if err != nil {
		t.Errorf("credentials.json: %v", err)
	} else if !strings.Contains(string(creds), srv.URL) {
		t.Errorf("credentials.json does not name %s:\n%s", srv.URL, creds)
	}

	// Revoke the token. `pulumi login` caches the account details (user, orgs, token info) in
	// credentials.json and whoami answers from that cache without calling the server, so the
	// revocation is checked with a session that has no cached login: whoami against the backend
	// (PULUMI_BACKEND_URL), and a new login. Both must be refused by the server (401).
	if err := srv.Client.DeleteToken(ctx, srv.Org, tok.ID); err != nil {
		t.Fatal(err)
	}
	if r = run(t, pulumi, dir, env, "whoami"); r.err == nil {
		t.Logf("note: with the cached login, pulumi whoami still answers %q (CLI cache, no server call)", strings.TrimSpace(r.stdout))
	}
	fresh := append(cliEnv(t, tok.TokenValue), "PULUMI_BACKEND_URL="+srv.URL)
	r = run(t, pulumi, dir, fresh, "whoami", "-v")
	if r.err == nil {
		t.Fatalf("pulumi whoami succeeded with a revoked token:\n%s", r.stdout)
	}
	if !refused(r) {
		t.Errorf("pulumi whoami with a revoked token failed without saying why:\n%s%s", r.stdout, r.stderr)
	}
	r = run(t, pulumi, dir, cliEnv(t, tok.TokenValue), "login", srv.URL)
	if r.err == nil {
		t.Errorf("pulumi login succeeded with a revoked token")
	} else if !refused(r) {
		t.Errorf("pulumi login with a revoked token failed without saying why:\n%s%s", r.stdout, r.stderr)
	}
}

// checkWhoAmI checks the output of `pulumi whoami -v` for an org token. (Its "Backend URL:"
// line is the console URL, which the CLI derives only for api.* hosts or PULUMI_CONSOLE_DOMAIN;
// for a loopback API it is empty, so it is not checked.)
func checkWhoAmI(t *testing.T, out, org, tokName string) {
	t.Helper()
	for _, want := range []string{
		"User: " + org,
		"Organizations: " + org,
		"Token type: organization: " + org,
		"Token name: " + tokName,
		"Access token source: PULUMI_ACCESS_TOKEN",
	} {
		if !hasLine(out, want) {
			t.Errorf("pulumi whoami -v: no line %q", want)
		}
	}
}

// refused reports whether the CLI's output shows the server refusing the token.
func refused(r result) bool {
	out := strings.ToLower(r.stdout + r.stderr)
	return strings.Contains(out, "401") || strings.Contains(out, "unauthorized") || strings.Contains(out, "revoked") ||
		strings.Contains(out, "invalid access token") || strings.Contains(out, "invalid, expired")
}

func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
