package ghactions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
)

// pulumiProject is examples/github-actions-oidc as a Pulumi project in a temporary folder, with
// a file backend, an isolated PULUMI_HOME and the built provider plugin.
type pulumiProject struct {
	t        *testing.T
	dir, bin string
	env      []string
}

func newPulumiProject(t *testing.T, srv *testserver.Server, example string) *pulumiProject {
	t.Helper()
	root := testserver.RepoRoot(t)
	bin := filepath.Join(root, ".tools", "bin", "pulumi")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatalf("%s missing: run `make tools`", bin)
		}
		t.Skipf("%s missing: run `make tools`", bin)
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
	prog := strings.Replace(string(src), "path: ../../bin", "path: "+filepath.Dir(plugin), 1)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &pulumiProject{t: t, dir: dir, bin: bin, env: append(cleanEnv(),
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+filepath.Join(base, "home"),
		"PULUMI_BACKEND_URL=file://"+filepath.Join(base, "state"),
		"PULUMI_CONFIG_PASSPHRASE=test-passphrase",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"NO_COLOR=1",
	)}
	p.must("stack", "init", "dev")
	p.must("config", "set", "iam:apiUrl", srv.URL)
	p.must("config", "set", "iam:organization", srv.Org)
	p.must("config", "set", "--secret", "iam:accessToken", srv.AdminToken)
	return p
}

// cleanEnv is the environment without anything that points the CLI or the provider elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") || strings.HasPrefix(k, "IAM_") || strings.HasPrefix(k, "ACTIONS_") || k == "GITHUB_ENV" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// editProgram replaces old by new in the project's Pulumi.yaml.
func (p *pulumiProject) editProgram(old, new string) {
	p.t.Helper()
	f := filepath.Join(p.dir, "Pulumi.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		p.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		p.t.Fatalf("Pulumi.yaml has no %q", old)
	}
	if err := os.WriteFile(f, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pulumiProject) run(args ...string) (string, error) {
	p.t.Helper()
	if args[0] != "config" && !(args[0] == "stack" && len(args) > 1 && args[1] == "output") {
		args = append(args, "--non-interactive")
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *pulumiProject) must(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// githubTokenService stands in for GitHub's ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL):
// it answers the job's request token with the ID token next returns, for the audience asked.
func githubTokenService(t *testing.T, requestToken string, next func(audience string) string) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+requestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": next(r.URL.Query().Get("audience"))})
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/token?api-version=2.0"
}

// TestGitHubActionsOIDCExample applies examples/github-actions-oidc with the real pulumi CLI and
// provider against the real server, with a test issuer's keys in place of GitHub's (same
// issuer URL, static JWKS by config), then runs the deploy workflow's steps as written (bash,
// curl, jq and the real `pulumi login --oidc-token`) with ID tokens minted like GitHub's: the
// job of acme/payments on main gets a token that may read and write payments/prod and nothing
// else; another branch, a pull request and a foreign repository are refused; every exchange is
// in the audit log; a policy widened outside Pulumi is put back by the next `pulumi up`; and
// after `pulumi destroy` no exchange succeeds.
func TestGitHubActionsOIDCExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
				t.Fatalf("%s not on PATH (the workflow's steps use it; see make prereqs)", tool)
			}
			t.Skipf("%s not on PATH", tool)
		}
	}
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	ctx := context.Background()
	for _, s := range []string{"prod", "dev"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "payments", apitype.CreateStackRequest{StackName: s}); err != nil {
			t.Fatal(err)
		}
	}
	github := testoidc.Static(t, "https://token.actions.githubusercontent.com")

	// The platform side: the program, with the test issuer's keys.
	p := newPulumiProject(t, srv, "github-actions-oidc")
	// Its keys as a static JWKS (the program's comment says where), the issuer URL unchanged.
	p.editProgram("      url: ${issuerUrl}\n", "      url: ${issuerUrl}\n      jwks: '"+string(github.JWKS())+"'\n")
	p.must("up", "--yes")
	p.must("preview", "--expect-no-changes")
	issuerID := strings.TrimSpace(p.must("stack", "output", "issuerId"))
	if got := strings.TrimSpace(p.must("stack", "output", "issuer")); got != github.URL {
		t.Fatalf("issuer output %q", got)
	}

	// The CI side: the workflow's steps, as written.
	root := testserver.RepoRoot(t)
	wf := steps(t, filepath.Join(root, "examples", "github-actions-oidc", ".github", "workflows", "deploy.yml"))
	getToken, login, check := wf["Get an ID token for the organization from GitHub"], wf["Log in to the IAM server with the ID token"],
		wf["Ask the IAM server whether this job may deploy payments/prod"]
	if getToken == "" || login == "" || check == "" {
		t.Fatalf("the workflow lacks a step: %v", wf)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "examples", "github-actions-oidc", ".github", "workflows", "deploy.yml")); !strings.Contains(string(b), "id-token: write") ||
		strings.Contains(string(b), "secrets.") {
		t.Fatal("the workflow must ask for id-token: write and use no stored secret")
	}
	var claims map[string]any
	var audiences []string
	tokenURL := githubTokenService(t, "job-request-token", func(aud string) string {
		audiences = append(audiences, aud)
		return github.Mint(t, claims)
	})
	// job runs the three steps in a fresh runner; it returns the login step's output and error.
	job := func(c map[string]any) (home, out string, err error) {
		t.Helper()
		claims = c
		home = t.TempDir()
		env := append(cleanEnv(),
			"PATH="+filepath.Dir(p.bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+home, "PULUMI_HOME="+filepath.Join(home, ".pulumi"), "RUNNER_TEMP="+t.TempDir(),
			"PULUMI_SKIP_UPDATE_CHECK=true", "NO_COLOR=1",
			"ACTIONS_ID_TOKEN_REQUEST_URL="+tokenURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=job-request-token",
			"IAM_API_URL="+srv.URL, "PULUMI_ORG="+srv.Org, "GITHUB_SHA=0123456789abcdef")
		runStep(t, home, getToken, env...)
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", login)
		cmd.Dir, cmd.Env = home, env
		b, err := cmd.CombinedOutput()
		if err == nil {
			runStep(t, home, check, env...)
		}
		return home, string(b), err
	}
	mainClaims := func() map[string]any { return github.GitHubClaims(srv.Org, "acme/payments", "refs/heads/main") }

	home, out, err := job(mainClaims())
	if err != nil {
		t.Fatalf("login of a main job: %v\n%s", err, out)
	}
	if len(audiences) != 1 || audiences[0] != "urn:pulumi:org:"+srv.Org {
		t.Fatalf("the workflow asked GitHub for audiences %q", audiences)
	}
	if !strings.Contains(out, "Token type: organization") {
		t.Errorf("pulumi whoami -v after the login:\n%s", out)
	}
	t.Logf("the login step:\n%s", out)
	// The exchanged token, as the CLI stored it: allowed where the role says, refused elsewhere.
	var creds struct {
		Current      string            `json:"current"`
		AccessTokens map[string]string `json:"accessTokens"`
	}
	b, err := os.ReadFile(filepath.Join(home, ".pulumi", "credentials.json"))
	if err != nil || json.Unmarshal(b, &creds) != nil || creds.AccessTokens[creds.Current] == "" {
		t.Fatalf("credentials after login: %v %s", err, b)
	}
	tok := creds.AccessTokens[creds.Current]
	for path, want := range map[string]int{
		"/api/stacks/acme/payments/prod": 200, "/api/stacks/acme/payments/dev": 403,
		"/api/orgs/acme/oidc/issuers": 403, "/api/orgs/acme/tokens": 403,
	} {
		if got := status(t, srv.URL, tok, path); got != want {
			t.Errorf("exchanged token: GET %s: %d, want %d", path, got, want)
		}
	}

	// Refused: another branch, a pull request (the deny wins), another repository, another
	// organization's audience; each leaves the login failing with an RFC 6749 error.
	for name, c := range map[string]map[string]any{
		"feature branch":   testoidc.With(mainClaims(), map[string]any{"sub": "repo:acme/payments:ref:refs/heads/feature", "ref": "refs/heads/feature"}),
		"pull request":     testoidc.With(mainClaims(), map[string]any{"event_name": "pull_request"}),
		"other repository": github.GitHubClaims(srv.Org, "evil/payments", "refs/heads/main"),
		"other audience":   testoidc.With(mainClaims(), map[string]any{"aud": "urn:pulumi:org:other"}),
	} {
		if _, out, err := job(c); err == nil || !strings.Contains(out, "invalid_grant") {
			t.Errorf("%s: login %v, want a refusal with invalid_grant\n%s", name, err, out)
		}
	}

	// Every exchange is in the audit log, the refusals with their reason (refusals are written
	// in batches: wait for them).
	var exchanges []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		logs, err := srv.Client.ListAuditLogs(ctx, srv.Org, "")
		if err != nil {
			t.Fatal(err)
		}
		exchanges = exchanges[:0]
		for _, ev := range logs.AuditLogEvents {
			if ev.Action == "oauth:token_exchange" {
				exchanges = append(exchanges, ev.Decision+": "+ev.Reason)
			}
		}
		if len(exchanges) >= 5 || time.Now().After(deadline) {
			break
		}
	}
	allowed, refused := 0, 0
	for _, e := range exchanges {
		switch {
		case strings.HasPrefix(e, "allow: ") && strings.Contains(e, `sub "repo:acme/payments:ref:refs/heads/main"`):
			allowed++
		case strings.HasPrefix(e, "deny: "):
			refused++
		}
	}
	if allowed != 1 || refused != 4 {
		t.Errorf("audit log: %d allowed and %d refused exchanges, want 1 and 4:\n%s", allowed, refused, strings.Join(exchanges, "\n"))
	}
	t.Logf("audit log of the exchanges:\n%s", strings.Join(exchanges, "\n"))

	// Drift: the rule widened outside Pulumi is reported and put back.
	pol, err := srv.Client.GetAuthPolicyForIssuer(ctx, srv.Org, issuerID)
	if err != nil {
		t.Fatal(err)
	}
	widened := pol.Policies
	widened[0].Rules = map[string]string{"sub": "repo:acme/*"}
	if _, err := srv.Client.UpdateAuthPolicy(ctx, srv.Org, pol.ID, apitype.UpdateAuthPolicyRequest{Policies: widened}); err != nil {
		t.Fatal(err)
	}
	if out, err := p.run("preview", "--refresh", "--expect-no-changes"); err == nil {
		t.Fatalf("preview after the policy was widened shows no changes:\n%s", out)
	}
	p.must("up", "--refresh", "--yes")
	if pol, err = srv.Client.GetAuthPolicyForIssuer(ctx, srv.Org, issuerID); err != nil || pol.Policies[0].Rules["sub"] != "repo:acme/payments:ref:refs/heads/main" {
		t.Fatalf("policy after up: %v %+v", err, pol)
	}
	p.must("preview", "--expect-no-changes")

	// Destroy while the job's token is still valid: deleting the role revokes the tokens
	// exchanged for it (no 409 until they expire), and the token is refused at once.
	if got := status(t, srv.URL, tok, "/api/stacks/acme/payments/prod"); got != 200 {
		t.Fatalf("the job's token before destroy: %d, want 200", got)
	}
	p.must("destroy", "--yes")
	if got := status(t, srv.URL, tok, "/api/stacks/acme/payments/prod"); got != 401 {
		t.Errorf("the job's token after destroy: %d, want 401", got)
	}
	if is, err := srv.Client.ListOIDCIssuers(ctx, srv.Org); err != nil || len(is) != 0 {
		t.Fatalf("issuers after destroy: %v %+v", err, is)
	}
	if _, out, err := job(mainClaims()); err == nil {
		t.Fatalf("login after destroy succeeded:\n%s", out)
	}
}

func status(t *testing.T, base, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
