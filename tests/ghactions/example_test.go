// Package ghactions runs the steps of examples/github-actions as written (the `run:` blocks of
// its workflows, with bash, curl and the pulumi CLI) against the real iam-server binary: the
// platform workflow's registration with an admin token, then the application workflow's steps
// with a token of the access program's role, its `pulumi up` of myapp/prod included (the server
// is the state backend). The access program's own `pulumi up` is what tests/pulumi covers.
package ghactions

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// steps returns the run: script of each named step of a workflow file (block or one-line);
// a step with a working-directory runs `cd` to it first.
func steps(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, workdirs := map[string]string{}, map[string]string{}
	defer func() {
		for name, wd := range workdirs {
			if out[name] != "" {
				out[name] = "cd " + wd + "\n" + out[name]
			}
		}
	}()
	lines := strings.Split(string(b), "\n")
	name := ""
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if n, ok := strings.CutPrefix(l, "- name: "); ok {
			name = n
			continue
		}
		if wd, ok := strings.CutPrefix(l, "working-directory: "); ok && name != "" {
			workdirs[name] = wd
			continue
		}
		run, ok := strings.CutPrefix(l, "run: ")
		if !ok || name == "" {
			continue
		}
		if run != "|" {
			out[name] = run
			continue
		}
		indent := -1
		var body []string
		for i+1 < len(lines) {
			next := lines[i+1]
			ni := len(next) - len(strings.TrimLeft(next, " "))
			if strings.TrimSpace(next) != "" && indent < 0 {
				indent = ni
			}
			if strings.TrimSpace(next) != "" && ni < indent {
				break
			}
			i++
			body = append(body, strings.TrimPrefix(next, strings.Repeat(" ", max(indent, 0))))
		}
		out[name] = strings.Join(body, "\n")
	}
	return out
}

func runStep(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("step failed: %v\n%s\n--- output:\n%s", err, script, out)
	}
	return string(out)
}

func TestGitHubActionsExampleAPISteps(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	// The steps run in a copy of the example: `pulumi config set` writes app/Pulumi.prod.yaml.
	dir := filepath.Join(t.TempDir(), "github-actions")
	if out, err := exec.Command("cp", "-r", filepath.Join(testserver.RepoRoot(t), "examples", "github-actions"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the example: %v\n%s", err, out)
	}
	wf := filepath.Join(dir, ".github", "workflows")
	platform, app := steps(t, filepath.Join(wf, "platform-access.yml")), steps(t, filepath.Join(wf, "deploy.yml"))
	base := []string{"IAM_API_URL=" + srv.URL, "IAM_ORG=" + srv.Org, "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567"}

	// Platform: registration, twice (the second run finds everything registered).
	reg := platform["Register the stack and environment the role grants on"]
	if reg == "" {
		t.Fatalf("platform workflow has no registration step: %v", platform)
	}
	for range 2 {
		runStep(t, dir, reg, append(base, "IAM_TOKEN="+srv.AdminToken)...)
	}

	// What `pulumi up` of access/Pulumi.yaml makes, made here through the API: a role of the
	// program's reach on myapp/prod and a token of it.
	ctx := context.Background()
	stack, err := srv.Client.GetStack(ctx, srv.Org, "myapp", "prod")
	if err != nil {
		t.Fatal(err)
	}
	env, err := srv.Client.GetEnvironment(ctx, srv.Org, "myapp", "prod")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := srv.Client.ListRoles(ctx, srv.Org, apitype.UXPurposeSet)
	if err != nil {
		t.Fatal(err)
	}
	stackWrite := ""
	for _, r := range sets {
		if r.DefaultIdentifier == "stack-write" {
			stackWrite = r.ID
		}
	}
	tree, err := authz.BuildRole([]authz.GrantSpec{ // access/Pulumi.yaml's prodDeployer
		{Permissions: []string{stackWrite}, Scopes: []string{"stack:read", "stack:delete"}, Refs: authz.Refs{Stacks: []string{stack.ID}}},
		{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{env.ID}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	role, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "prod-deployer", UXPurpose: "role", ResourceType: "global", Details: json.RawMessage(authz.Format(tree))})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "ci-deployer", RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}

	// Application: every step, with the scoped token; pulumi deploys through the server.
	pulumiBin := filepath.Join(testserver.RepoRoot(t), ".tools", "bin", "pulumi")
	if _, err := os.Stat(pulumiBin); err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatalf("%s missing: run `make tools`", pulumiBin)
		}
		t.Skipf("%s missing: run `make tools`", pulumiBin)
	}
	cli := []string{"PATH=" + filepath.Dir(pulumiBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_SKIP_UPDATE_CHECK=true", "NO_COLOR=1"}
	appEnv := append(append(base, cli...), "IAM_TOKEN="+tok.TokenValue, "PULUMI_ACCESS_TOKEN="+tok.TokenValue, "PULUMI_HOME="+t.TempDir())
	for _, name := range []string{
		"Ask the IAM server whether this token may deploy myapp/prod",
		"Log in to the iamref server as the state backend",
		"Open environment myapp/prod",
		"Deploy myapp/prod",
		"Record the deployed commit on the stack's tags",
	} {
		if app[name] == "" {
			t.Fatalf("application workflow has no step %q: %v", name, app)
		}
		runStep(t, dir, app[name], appEnv...)
	}
	got, err := srv.Client.GetStack(ctx, srv.Org, "myapp", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Tags["commit"] != "0123456789ab" || got.Tags["env"] != "prod" || got.Tags["pulumi:project"] != "myapp" {
		t.Errorf("tags after the deploy: %v", got.Tags)
	}
	// The deploy wrote state: version 1, with the commit the program recorded.
	var state struct {
		Deployment struct {
			Resources []struct {
				Outputs map[string]any `json:"outputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := srv.Client.Do(ctx, "GET", "/api/stacks/acme/myapp/prod/export", nil, &state); err != nil {
		t.Fatal(err)
	}
	if rs := state.Deployment.Resources; len(rs) != 1 || rs[0].Outputs["deployedCommit"] != "0123456789ab" {
		t.Errorf("state after the deploy: %+v", state)
	}
	// The same deploy with a token of a role that does not grant stack:write there is refused.
	deploy := exec.Command("bash", "-euo", "pipefail", "-c", app["Deploy myapp/prod"])
	deploy.Dir = dir
	// The same step with a token outside the role fails, with the server's reason.
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", app["Ask the IAM server whether this token may deploy myapp/prod"])
	cmd.Dir = dir
	envOnly, err := authz.BuildRole([]authz.GrantSpec{{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{env.ID}}}})
	if err != nil {
		t.Fatal(err)
	}
	role2, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "env-only", UXPurpose: "role", ResourceType: "global", Details: json.RawMessage(authz.Format(envOnly))})
	if err != nil {
		t.Fatal(err)
	}
	other, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "env-only", RoleID: role2.ID})
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), append(base, "IAM_TOKEN="+other.TokenValue)...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "::error::GET /api/stacks/acme/myapp/prod answered") {
		t.Errorf("the check with a token of another role: %v\n%s", err, out)
	}
	deploy.Env = append(os.Environ(), append(append(base, cli...), "PULUMI_ACCESS_TOKEN="+other.TokenValue, "PULUMI_HOME="+t.TempDir(),
		"PULUMI_BACKEND_URL="+srv.URL)...)
	if out, err := deploy.CombinedOutput(); err == nil || !strings.Contains(string(out), "[403]") || !strings.Contains(string(out), "env-only") {
		t.Errorf("the deploy with a token of another role: %v\n%s", err, out)
	}
}
