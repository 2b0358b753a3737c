package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
)

// TestOIDCLogin drives `pulumi login --oidc-token` against the real iam-server binary with an
// HTTPS test issuer (self-signed certificate, pinned by thumbprint) minting GitHub-Actions-like
// ID tokens: an organization token holding exactly the policy's role (200 where the role
// allows, 403 elsewhere), a team token (--oidc-team) and a personal token (--oidc-user); a token
// from another repository is refused.
func TestOIDCLogin(t *testing.T) {
	pulumi := pulumiCLI(t)
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	ctx := context.Background()
	c := srv.Client

	idp := testoidc.Discovery(t)
	iss, err := c.CreateOIDCIssuer(ctx, srv.Org, apitype.RegisterIssuerRequest{Name: "github-actions", URL: idp.URL, Thumbprints: []string{idp.Thumbprint}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateStack(ctx, srv.Org, "payments", apitype.CreateStackRequest{StackName: "prod"}); err != nil {
		t.Fatal(err)
	}
	tree, err := authz.BuildRole([]authz.GrantSpec{{Scopes: []string{"stack:read", "stack:list"}}})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := c.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "ci-reader", UXPurpose: apitype.UXPurposeRole, Details: authz.Format(tree)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTeam(ctx, srv.Org, apitype.CreateTeamRequest{Name: "deployers", DisplayName: "Deployers"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddTeamRole(ctx, srv.Org, "deployers", reader.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddMember(ctx, srv.Org, "alice", apitype.AddMemberRequest{Role: "member", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetAuthPolicyForIssuer(ctx, srv.Org, iss.ID)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{"sub": "repo:acme/payments:ref:refs/heads/main", "aud": "urn:pulumi:org:acme"}
	if _, err := c.UpdateAuthPolicy(ctx, srv.Org, pol.ID, apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
		{Decision: "allow", TokenType: "organization", RoleID: reader.ID, Rules: rules},
		{Decision: "allow", TokenType: "team", TeamName: "deployers", Rules: rules},
		{Decision: "allow", TokenType: "personal", UserLogin: "alice", Rules: rules},
	}}); err != nil {
		t.Fatal(err)
	}

	// idToken writes a fresh ID token (each is exchanged once) to a file, as a CI step would.
	idToken := func(repo string) string {
		p := filepath.Join(t.TempDir(), "id-token")
		if err := os.WriteFile(p, []byte(idp.Mint(t, idp.GitHubClaims("acme", repo, "refs/heads/main"))), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	// session is a CLI environment with no token of its own: only the exchange logs it in.
	session := func() []string {
		var env []string
		for _, kv := range cliEnv(t, "") {
			if !strings.HasPrefix(kv, "PULUMI_ACCESS_TOKEN=") {
				env = append(env, kv)
			}
		}
		return env
	}
	// storedToken is the access token the CLI stored for the server after login.
	storedToken := func(env []string) string {
		b, err := os.ReadFile(filepath.Join(envValue(env, "PULUMI_HOME"), "credentials.json"))
		if err != nil {
			t.Fatalf("credentials.json: %v", err)
		}
		var creds struct {
			AccessTokens map[string]string `json:"accessTokens"`
		}
		if err := json.Unmarshal(b, &creds); err != nil {
			t.Fatal(err)
		}
		tok := creds.AccessTokens[srv.URL]
		if !strings.HasPrefix(tok, "pul-") {
			t.Fatalf("no token for %s in credentials.json", srv.URL)
		}
		return tok
	}
	status := func(method, path, token string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dir := t.TempDir()

	// Organization token.
	env := session()
	r := run(t, pulumi, dir, env, "login", srv.URL, "--oidc-token", idToken("acme/payments"), "--oidc-org", "acme", "--oidc-expiration", "30m")
	if r.err != nil {
		t.Fatalf("pulumi login --oidc-token failed: %v", r.err)
	}
	r = run(t, pulumi, dir, env, "whoami", "-v")
	if r.err != nil {
		t.Fatalf("pulumi whoami -v: %v", r.err)
	}
	for _, want := range []string{"User: acme", "Token type: organization: acme"} {
		if !hasLine(r.stdout, want) {
			t.Errorf("pulumi whoami -v after the OIDC login: no line %q", want)
		}
	}
	tok := storedToken(env)
	if got := status("GET", "/api/stacks/acme/payments/prod", tok); got != 200 {
		t.Errorf("exchanged org token reading a stack: %d, want 200", got)
	}
	for _, c := range []struct{ method, path string }{
		{"DELETE", "/api/stacks/acme/payments/prod"},
		{"GET", "/api/orgs/acme/tokens"},
		{"GET", "/api/orgs/acme/oidc/issuers"},
	} {
		if got := status(c.method, c.path, tok); got != 403 {
			t.Errorf("exchanged org token: %s %s = %d, want 403 (the role does not grant it)", c.method, c.path, got)
		}
	}
	toks, err := c.ListTokens(ctx, srv.Org, "")
	if err != nil {
		t.Fatal(err)
	}
	var found *apitype.AccessToken
	for i := range toks {
		if toks[i].CreatedBy == "oidc:github-actions" {
			found = &toks[i]
		}
	}
	if found == nil || found.Role == nil || found.Role.ID != reader.ID || found.Expires == 0 {
		t.Errorf("the exchanged token in the org's list: %+v", found)
	} else if created, err := time.Parse(time.RFC3339, found.Created); err != nil {
		t.Errorf("created %q: %v", found.Created, err)
	} else if d := found.Expires - created.Unix(); d < 30*60-2 || d > 30*60+2 {
		t.Errorf("--oidc-expiration 30m: the token lives %d s", d)
	}

	// Team token.
	env = session()
	r = run(t, pulumi, dir, env, "login", srv.URL, "--oidc-token", idToken("acme/payments"), "--oidc-org", "acme", "--oidc-team", "deployers")
	if r.err != nil {
		t.Fatalf("pulumi login --oidc-team failed: %v", r.err)
	}
	r = run(t, pulumi, dir, env, "whoami", "-v")
	if !hasLine(r.stdout, "Token type: team: deployers") {
		t.Errorf("pulumi whoami -v after --oidc-team: no line %q", "Token type: team: deployers")
	}
	tok = storedToken(env)
	if got := status("GET", "/api/stacks/acme/payments/prod", tok); got != 200 {
		t.Errorf("team token reading a stack: %d, want 200", got)
	}
	if got := status("DELETE", "/api/stacks/acme/payments/prod", tok); got != 403 {
		t.Errorf("team token deleting a stack: %d, want 403", got)
	}

	// Personal token.
	env = session()
	r = run(t, pulumi, dir, env, "login", srv.URL, "--oidc-token", idToken("acme/payments"), "--oidc-org", "acme", "--oidc-user", "alice")
	if r.err != nil {
		t.Fatalf("pulumi login --oidc-user failed: %v", r.err)
	}
	r = run(t, pulumi, dir, env, "whoami", "-v")
	if !hasLine(r.stdout, "User: alice") {
		t.Errorf("pulumi whoami -v after --oidc-user: no line %q", "User: alice")
	}
	// The login cached no token type for a personal token ("unknown"); a session without the
	// cache asks the server (GET /api/user), which answers as for any personal token.
	tok = storedToken(env)
	r = run(t, pulumi, dir, append(cliEnv(t, tok), "PULUMI_BACKEND_URL="+srv.URL), "whoami", "-v")
	if !hasLine(r.stdout, "User: alice") || !hasLine(r.stdout, "Token type: personal") {
		t.Errorf("pulumi whoami -v with the exchanged personal token: want User: alice and Token type: personal")
	}
	if got := status("DELETE", "/api/stacks/acme/payments/prod", tok); got != 403 {
		t.Errorf("alice (member) deleting a stack: %d, want 403", got)
	}

	// Another repository's token: refused, and the CLI says so.
	env = session()
	r = run(t, pulumi, dir, env, "login", srv.URL, "--oidc-token", idToken("acme/web"), "--oidc-org", "acme")
	if r.err == nil {
		t.Fatal("pulumi login with another repository's ID token succeeded")
	}
	if !strings.Contains(r.stdout+r.stderr, "invalid_grant") {
		t.Errorf("the refused login does not show the RFC 6749 error:\n%s%s", r.stdout, r.stderr)
	}
}
