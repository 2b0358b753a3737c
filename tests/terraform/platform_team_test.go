package terraform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// TestPlatformTeamEndToEnd runs examples/terraform-platform-team: a team of two members holding
// a custom role, one member with an extra role of their own, and a team token. The team token
// and the members' personal tokens reach exactly what their effective rights say; taking a
// member out of the team (a changed variable) removes the team's part on the next request;
// GET /api/user (what `pulumi whoami -v` reads) names each token's type; destroy leaves the
// server as it was.
func TestPlatformTeamEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tfBin := terraformPath(t)
	provider := testserver.BinaryPath(t, "terraform-provider-iam")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), dir)
	ctx := context.Background()
	for _, s := range []string{"prod", "dev"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client.CreateEnvironment(ctx, srv.Org, apitype.CreateEnvironmentRequest{Project: "myapp", Name: "prod"}); err != nil {
		t.Fatal(err)
	}
	before := serverObjects(t, srv)
	beforeMembers := memberLogins(t, srv)

	work := filepath.Join(dir, "example")
	copyExample(t, filepath.Join(testserver.RepoRoot(t), "examples", "terraform-platform-team"), work)
	r := &tf{t: t, bin: tfBin, dir: work, env: tfEnv(t, dir, provider, srv)}

	out, _ := r.run("apply", "-auto-approve", "-no-color")
	if !strings.Contains(out, "Apply complete! Resources: 7 added") {
		t.Fatalf("apply:\n%s", out)
	}
	teamToken, _ := r.run("output", "-raw", "platform_token")
	if !regexp.MustCompile(`^pul-[0-9a-f]{40}$`).MatchString(teamToken) {
		t.Fatalf("platform_token output %q is not a token value", teamToken)
	}
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after apply shows changes (exit %d):\n%s", code, out)
	}

	personal := map[string]string{}
	for _, login := range []string{"alice", "bob"} {
		tok, err := srv.Client.CreateMemberToken(ctx, srv.Org, login, apitype.CreatePersonalTokenRequest{Description: "platform team test"})
		if err != nil {
			t.Fatalf("personal token for %s: %v", login, err)
		}
		personal[login] = tok.TokenValue
	}

	expect := func(when, who, token, method, path string, want int) {
		t.Helper()
		if got := call(t, srv.URL, token, method, path); got != want {
			t.Errorf("%s: %s on %s %s: %d, want %d", when, who, method, path, got, want)
		}
	}
	const (
		prod    = "/api/stacks/acme/myapp/prod"
		dev     = "/api/stacks/acme/myapp/dev"
		openEnv = "/api/esc/environments/acme/myapp/prod/open"
	)
	expect("team", "team token", teamToken, "GET", prod, 200)
	expect("team", "team token", teamToken, "GET", dev, 403)
	expect("team", "team token", teamToken, "POST", openEnv, 200)
	expect("team", "alice", personal["alice"], "GET", prod, 200)
	expect("team", "alice", personal["alice"], "GET", dev, 200)
	expect("team", "bob", personal["bob"], "GET", prod, 200)
	expect("team", "bob", personal["bob"], "GET", dev, 403)
	expect("team", "bob", personal["bob"], "POST", openEnv, 200)

	// What `pulumi whoami -v` reads: a team token names its team, a personal token its user.
	if u := currentUser(t, srv.URL, teamToken); u.TokenInfo == nil || u.TokenInfo.Team != "platform" || u.TokenInfo.Name != "platform-ci" {
		t.Errorf("GET /api/user with the team token: %+v", u)
	}
	if u := currentUser(t, srv.URL, personal["alice"]); u.TokenInfo != nil || u.GitHubLogin != "alice" {
		t.Errorf("GET /api/user with alice's token: %+v", u)
	}

	// Take alice out of the team: an in-place update; her team access goes, her own role stays.
	out, _ = r.run("apply", "-auto-approve", "-no-color", "-var", `team_members=["bob"]`)
	if !strings.Contains(out, "Resources: 0 added, 1 changed, 0 destroyed") {
		t.Fatalf("apply without alice:\n%s", out)
	}
	expect("alice left", "alice", personal["alice"], "GET", prod, 403)
	expect("alice left", "alice", personal["alice"], "POST", openEnv, 403)
	expect("alice left", "alice", personal["alice"], "GET", dev, 200)
	expect("alice left", "bob", personal["bob"], "GET", prod, 200)
	expect("alice left", "team token", teamToken, "GET", prod, 200)
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color", "-var", `team_members=["bob"]`); code != 0 {
		t.Errorf("plan after removing alice shows changes (exit %d):\n%s", code, out)
	}

	r.run("destroy", "-auto-approve", "-no-color", "-var", `team_members=["bob"]`)
	if after := serverObjects(t, srv); !slices.Equal(before, after) {
		t.Errorf("server objects before apply:\n  %s\nafter destroy:\n  %s", strings.Join(before, "\n  "), strings.Join(after, "\n  "))
	}
	if after := memberLogins(t, srv); !slices.Equal(beforeMembers, after) {
		t.Errorf("members before apply %v, after destroy %v", beforeMembers, after)
	}
	teams, err := srv.Client.ListTeams(ctx, srv.Org)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 0 {
		t.Errorf("teams left behind: %v", teams)
	}
	for who, tok := range map[string]string{"team token": teamToken, "alice": personal["alice"], "bob": personal["bob"]} {
		expect("destroyed", who, tok, "GET", "/api/user", 401)
	}
}

// call sends a request with no body and returns the status.
func call(t *testing.T, base, token, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func currentUser(t *testing.T, base, token string) apitype.User {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/user", nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u apitype.User
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/user: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		t.Fatal(err)
	}
	return u
}

func memberLogins(t *testing.T, srv *testserver.Server) []string {
	t.Helper()
	ms, err := srv.Client.ListMembers(context.Background(), srv.Org)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.User.GitHubLogin)
	}
	slices.Sort(out)
	return out
}
