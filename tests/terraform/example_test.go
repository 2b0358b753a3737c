// Package terraform_test runs examples/terraform end to end: the real iam-server binary, the
// real terraform CLI, and the built terraform-provider-iam through a dev_overrides CLI
// configuration (no registry, no `terraform init`).
package terraform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// terraformPath finds the terraform CLI: TF_ACC_TERRAFORM_PATH, else PATH. The test is skipped
// without it, unless IAMREF_REQUIRE_BINARIES is set (as in CI).
func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatal("terraform not found on PATH (set TF_ACC_TERRAFORM_PATH)")
		}
		t.Skip("terraform not found on PATH (set TF_ACC_TERRAFORM_PATH)")
	}
	return p
}

// tf runs terraform commands in a working folder with a fixed environment.
type tf struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

// run runs terraform with args and returns its stdout; the exit code is returned for
// -detailed-exitcode. It fails the test on any other failure.
func (r *tf) run(args ...string) (string, int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r.t.Logf("terraform %s (%s)", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		r.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	if code != 0 && !(slices.Contains(args, "-detailed-exitcode") && code == 2) {
		r.t.Fatalf("terraform %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String(), code
}

// tfEnv is the environment of terraform runs: the provider from bin/ through dev_overrides
// (source address -> folder of the binary; the CLI configuration is written into dir), the
// server in TF_VAR_api_url, TF_VAR_access_token and TF_VAR_organization, and nothing from the
// caller's TF_*, IAM_* or PULUMI_ACCESS_TOKEN.
func tfEnv(t *testing.T, dir, provider string, srv *testserver.Server) []string {
	t.Helper()
	tfrc := filepath.Join(dir, "dev.tfrc")
	writeFile(t, tfrc, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "iamref/iam" = %q
  }
  direct {}
}
`, filepath.Dir(provider)))

	env := []string{
		"TF_CLI_CONFIG_FILE=" + tfrc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0",
		"TF_VAR_api_url=" + srv.URL, "TF_VAR_access_token=" + srv.AdminToken, "TF_VAR_organization=" + srv.Org,
		"HOME=" + dir,
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "IAM_") || k == "PULUMI_ACCESS_TOKEN" || k == "HOME" || k == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func TestExampleEndToEnd(t *testing.T) {
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

	// The example, copied so that its state stays out of the repository.
	work := filepath.Join(dir, "example")
	copyExample(t, filepath.Join(testserver.RepoRoot(t), "examples", "terraform"), work)

	r := &tf{t: t, bin: tfBin, dir: work, env: tfEnv(t, dir, provider, srv)}

	out, _ := r.run("apply", "-auto-approve", "-no-color")
	if !strings.Contains(out, "Apply complete! Resources: 3 added") {
		t.Fatalf("apply:\n%s", out)
	}

	// The token, handed on the way CI gets it, works exactly where the role says.
	token, _ := r.run("output", "-raw", "ci_token")
	if !regexp.MustCompile(`^pul-[0-9a-f]{40}$`).MatchString(token) {
		t.Fatalf("ci_token output %q is not a token value", token)
	}
	if got := getStack(t, srv.URL, token, "prod"); got != http.StatusOK {
		t.Errorf("GET /api/stacks/acme/myapp/prod with the CI token: %d, want 200", got)
	}
	if got := getStack(t, srv.URL, token, "dev"); got != http.StatusForbidden {
		t.Errorf("GET /api/stacks/acme/myapp/dev with the CI token: %d, want 403", got)
	}
	jsonOut, _ := r.run("output", "-json")
	var outputs map[string]struct {
		Sensitive bool `json:"sensitive"`
		Value     any  `json:"value"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &outputs); err != nil {
		t.Fatal(err)
	}
	if !outputs["ci_token"].Sensitive {
		t.Error("ci_token output is not sensitive")
	}
	if outputs["may_delete_prod"].Value != true || outputs["may_delete_dev"].Value != false || outputs["token_name"].Value != "ci-deployer" {
		t.Errorf("outputs: %s", jsonOut)
	}

	// Unchanged configuration: no changes (exit code 0, not 2).
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after apply shows changes (exit %d):\n%s", code, out)
	}

	// A changed lifetime replaces the token (tokens cannot be edited), create-before-destroy
	// as the example asks: the replacement gets the reserved name's "-2" and the old value is
	// revoked.
	out, _ = r.run("apply", "-auto-approve", "-no-color", "-var", "token_lifetime=1440h")
	if !strings.Contains(out, "Resources: 1 added, 0 changed, 1 destroyed") {
		t.Fatalf("apply with a new lifetime:\n%s", out)
	}
	old := token
	token, _ = r.run("output", "-raw", "ci_token")
	name, _ := r.run("output", "-raw", "token_name")
	if token == old || name != "ci-deployer-2" {
		t.Errorf("after replacement: token_name %q, value changed %v", name, token != old)
	}
	if got := getStack(t, srv.URL, old, "prod"); got != http.StatusUnauthorized {
		t.Errorf("the replaced token: %d, want 401", got)
	}
	if got := getStack(t, srv.URL, token, "prod"); got != http.StatusOK {
		t.Errorf("the new token: %d, want 200", got)
	}

	// Destroy leaves the server as it was.
	r.run("destroy", "-auto-approve", "-no-color", "-var", "token_lifetime=1440h")
	if after := serverObjects(t, srv); !slices.Equal(before, after) {
		t.Errorf("server objects before apply:\n  %s\nafter destroy:\n  %s", strings.Join(before, "\n  "), strings.Join(after, "\n  "))
	}
	if got := getStack(t, srv.URL, token, "prod"); got != http.StatusUnauthorized {
		t.Errorf("the CI token after destroy: %d, want 401", got)
	}
}

// getStack reads a stack with a token the way any client does and returns the status.
func getStack(t *testing.T, base, token, stack string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/stacks/acme/myapp/"+stack, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/vnd.pulumi+8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// serverObjects lists the organization's permissions, custom roles and tokens.
func serverObjects(t *testing.T, srv *testserver.Server) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, purpose := range []apitype.UXPurpose{apitype.UXPurposeSet, apitype.UXPurposeRole, apitype.UXPurposePolicy} {
		recs, err := srv.Client.ListRoles(ctx, srv.Org, purpose)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, fmt.Sprintf("%s %s %q", purpose, r.ID, r.Name))
		}
	}
	toks, err := srv.Client.ListTokens(ctx, srv.Org, apitype.TokenFilterAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		out = append(out, fmt.Sprintf("token %s %q", tok.ID, tok.Name))
	}
	slices.Sort(out)
	return out
}

// copyExample copies the example's Terraform files (nothing a previous local run left behind).
func copyExample(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(from, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s: %v", from, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, filepath.Base(f)), string(b))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
