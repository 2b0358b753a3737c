package terraform_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iamref/iam/internal/testserver"
)

// TestAccessByTagsEndToEnd runs examples/terraform-access-by-tags with the real terraform: a
// role granting by stack tags and by a condition, with an iam_policy composed into it by ID,
// and a token with that role. The token is allowed and refused exactly where the tags say, a
// retag flips access on the next request with the role untouched, a stack created later with the
// tag is covered (testserver.CheckTagAccess, shared with the Pulumi test), and plan after
// refresh is clean; a condition on stack.project fails the plan with its position.
func TestAccessByTagsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tfBin := terraformPath(t)
	provider := testserver.BinaryPath(t, "terraform-provider-iam")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), dir)
	srv.SeedTagged(t)
	before := serverObjects(t, srv)

	work := filepath.Join(dir, "example")
	copyExample(t, filepath.Join(testserver.RepoRoot(t), "examples", "terraform-access-by-tags"), work)
	r := &tf{t: t, bin: tfBin, dir: work, env: tfEnv(t, dir, provider, srv)}

	out, _ := r.run("apply", "-auto-approve", "-no-color")
	if !strings.Contains(out, "Apply complete! Resources: 3 added") {
		t.Fatalf("apply:\n%s", out)
	}
	token, _ := r.run("output", "-raw", "ci_token")
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after apply shows changes (exit %d):\n%s", code, out)
	}
	srv.CheckTagAccess(t, token)

	if out, code := r.run("apply", "-refresh-only", "-auto-approve", "-no-color"); code != 0 {
		t.Fatalf("refresh (exit %d):\n%s", code, out)
	}
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after refresh shows changes (exit %d):\n%s", code, out)
	}

	main := filepath.Join(work, "main.tf")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	writeFile(t, main, strings.Replace(src, `stack.tags.team in [\"payments\", \"billing\"]`, `stack.project == \"payments\"`, 1))
	plan := exec.Command(r.bin, "plan", "-no-color")
	plan.Dir, plan.Env = r.dir, r.env
	failed, err := plan.CombinedOutput()
	if err == nil || !strings.Contains(string(failed), "at line 1, column 28: stack.project cannot be expressed") {
		t.Errorf("plan of a condition on stack.project: %v\n%s", err, failed)
	}
	writeFile(t, main, src)

	r.run("destroy", "-auto-approve", "-no-color")
	if after := serverObjects(t, srv); !slices.Equal(before, after) {
		t.Errorf("server objects before apply:\n  %s\nafter destroy:\n  %s", strings.Join(before, "\n  "), strings.Join(after, "\n  "))
	}
}
