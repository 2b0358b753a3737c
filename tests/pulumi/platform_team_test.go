package pulumi_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// TestPlatformTeam runs examples/platform-team: a team of two members holding a custom role,
// one member with an extra role of their own, and a team token. The team token and a member's
// personal token reach exactly what their effective rights say; taking the member out of the
// team (a change to the program) removes the team's part of it on the next request; `pulumi
// whoami -v` names each token's type; destroy leaves nothing behind.
func TestPlatformTeam(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	seed(t, srv)
	w := newWorkspace(t, srv, "platform-team")
	ctx := context.Background()

	w.must("up", "--yes")
	teamToken := strings.TrimSpace(w.must("stack", "output", "platformToken", "--show-secrets"))
	if !regexp.MustCompile(`^pul-[0-9a-f]{40}$`).MatchString(teamToken) {
		t.Fatalf("platformToken output %q", teamToken)
	}
	if plain := w.must("stack", "output", "platformToken"); strings.Contains(plain, teamToken) {
		t.Fatal("the team token value is not a secret output")
	}
	w.must("preview", "--expect-no-changes")

	// Personal tokens for both members, minted by the admin.
	personal := map[string]string{}
	for _, login := range []string{"alice", "bob"} {
		tok, err := srv.Client.CreateMemberToken(ctx, srv.Org, login, apitype.CreatePersonalTokenRequest{Description: "platform team test"})
		if err != nil {
			t.Fatalf("personal token for %s: %v", login, err)
		}
		personal[login] = tok.TokenValue
	}

	const (
		prod    = "/api/stacks/acme/myapp/prod"
		dev     = "/api/stacks/acme/myapp/dev"
		openEnv = "/api/esc/environments/acme/myapp/prod/open"
	)
	expect := func(when, who, token, path string, want int) {
		t.Helper()
		method, got := "GET", 0
		if path == openEnv {
			method, got = "POST", postStatus(t, srv, token, path)
		} else {
			got = status(t, srv, token, path)
		}
		if got != want {
			t.Errorf("%s: %s on %s %s: %d, want %d", when, who, method, path, got, want)
		}
	}
	// The team token: the team's role only.
	expect("team", "team token", teamToken, prod, 200)
	expect("team", "team token", teamToken, dev, 403)
	expect("team", "team token", teamToken, openEnv, 200)
	// alice: the team's role and her own (dev-reader); bob: the team's role and member.
	expect("team", "alice", personal["alice"], prod, 200)
	expect("team", "alice", personal["alice"], dev, 200)
	expect("team", "bob", personal["bob"], prod, 200)
	expect("team", "bob", personal["bob"], dev, 403)
	expect("team", "bob", personal["bob"], openEnv, 200)

	// pulumi whoami -v names the token type (a fresh PULUMI_HOME each time: no cached login).
	out := whoami(t, w, srv, teamToken)
	for _, want := range []string{"Token type: team: platform", "Token name: platform-ci", "Access token source: PULUMI_ACCESS_TOKEN"} {
		if !containsLine(out, want) {
			t.Errorf("pulumi whoami -v with the team token: no line %q\n%s", want, out)
		}
	}
	out = whoami(t, w, srv, personal["alice"])
	for _, want := range []string{"User: alice", "Organizations: " + srv.Org, "Token type: personal"} {
		if !containsLine(out, want) {
			t.Errorf("pulumi whoami -v with alice's token: no line %q\n%s", want, out)
		}
	}

	// Take alice out of the team: her team access goes on the next request, her own stays.
	w.edit("        - ${alice.login}\n", "")
	out = w.must("up", "--yes")
	if !strings.Contains(out, "updated") || strings.Contains(out, "replaced") {
		t.Fatalf("removing a member was not an in-place update of the team:\n%s", out)
	}
	expect("alice left", "alice", personal["alice"], prod, 403)
	expect("alice left", "alice", personal["alice"], dev, 200)
	expect("alice left", "alice", personal["alice"], openEnv, 403)
	expect("alice left", "bob", personal["bob"], prod, 200)
	expect("alice left", "team token", teamToken, prod, 200)
	w.must("preview", "--expect-no-changes")

	// Destroy: the team, its token, the roles and the members go.
	w.must("destroy", "--yes")
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %v %v", recs, toks)
	}
	for who, tok := range map[string]string{"team token": teamToken, "alice": personal["alice"], "bob": personal["bob"]} {
		expect("destroyed", who, tok, "/api/user", 401)
	}
	members, err := srv.Client.ListMembers(ctx, srv.Org)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if l := m.User.GitHubLogin; l == "alice" || l == "bob" {
			t.Errorf("member %s left behind", l)
		}
	}
	teams, err := srv.Client.ListTeams(ctx, srv.Org)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 0 {
		t.Errorf("teams left behind: %v", teams)
	}
}

// whoami runs `pulumi whoami -v` against the server with token as PULUMI_ACCESS_TOKEN, in a
// fresh PULUMI_HOME outside the project (so no cached login and no stack config apply).
func whoami(t *testing.T, w *workspace, srv *testserver.Server, token string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(w.pulumi, "whoami", "-v", "--non-interactive")
	cmd.Dir = home
	cmd.Env = append(os.Environ(),
		"PULUMI_HOME="+filepath.Join(home, ".pulumi"),
		"HOME="+home,
		"PULUMI_BACKEND_URL="+srv.URL,
		"PULUMI_ACCESS_TOKEN="+token,
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pulumi whoami -v: %v\n%s", err, out)
	}
	return string(out)
}

// postStatus is status for a POST with no body.
func postStatus(t *testing.T, srv *testserver.Server, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func containsLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
