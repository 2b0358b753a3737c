package pulumi_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/internal/testserver"
)

// TestScale times `pulumi up` (create), an unchanged `pulumi up`, and `pulumi destroy` for a
// program of IAMREF_PULUMI_SCALE resources (a third each Permissions, CustomRoles and tokens).
// It is a measurement, not a timed assertion: `make bench-pulumi` runs it with 300. The same
// steps then run on the same graph against a no-op provider (tests/pulumi/noopprovider), the
// floor of the engine and the plugin protocol, and the ratios are logged.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IAMREF_PULUMI_SCALE"))
	if n < 3 {
		t.Skip("set IAMREF_PULUMI_SCALE (e.g. 300) to run")
	}
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	seed(t, srv)
	w := newWorkspace(t, srv, "yaml")
	var b strings.Builder
	b.WriteString("name: iam-example\nruntime: yaml\nplugins:\n  providers:\n    - name: iam\n      path: " + filepath.Dir(testserver.BinaryPath(t, "pulumi-resource-iam")) + "\nresources:\n")
	for i := range n / 3 {
		fmt.Fprintf(&b, "  perm%d:\n    type: iam:index:Permission\n    properties:\n      name: perm-%d\n      scopes: [stack:read, stack:delete]\n", i, i)
		fmt.Fprintf(&b, "  role%d:\n    type: iam:index:CustomRole\n    properties:\n      name: role-%d\n      grants:\n        - permissions: [\"${perm%d.permissionId}\"]\n          stacks: [myapp/prod]\n        - scopes: [audit_logs:read]\n", i, i, i)
		fmt.Fprintf(&b, "  token%d:\n    type: iam:index:OrganizationAccessToken\n    properties:\n      name: token-%d\n      roleId: ${role%d.roleId}\n      expiresIn: 720h\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{{"up", "--yes"}, {"up", "--yes", "--expect-no-changes"}, {"refresh", "--yes"}, {"destroy", "--yes"}}
	labels := []string{"pulumi up (create)", "pulumi up (no changes)", "pulumi refresh", "pulumi destroy"}
	timeAll := func(w *workspace, who string) []time.Duration {
		out := make([]time.Duration, len(steps))
		for i, args := range steps {
			start := time.Now()
			w.must(args...)
			out[i] = time.Since(start)
			t.Logf("%-8s %-24s %d resources: %s", who, labels[i], n/3*3, out[i].Round(10*time.Millisecond))
		}
		return out
	}
	iam := timeAll(w, "iam")
	// The floor: the same graph (a third each, every resource referencing an output of the
	// previous one) against a provider that does nothing, in the same run.
	noopDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(noopDir, "pulumi-resource-noop"), "./tests/pulumi/noopprovider")
	build.Dir = testserver.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the no-op provider: %v\n%s", err, out)
	}
	nw := newWorkspace(t, srv, "yaml")
	b.Reset()
	b.WriteString("name: iam-example\nruntime: yaml\nplugins:\n  providers:\n    - name: noop\n      path: " + noopDir + "\nresources:\n")
	for i := range n / 3 {
		fmt.Fprintf(&b, "  perm%d:\n    type: noop:index:Thing\n    properties:\n      name: perm-%d\n      scopes: [stack:read, stack:delete]\n", i, i)
		fmt.Fprintf(&b, "  role%d:\n    type: noop:index:Thing\n    properties:\n      name: role-%d\n      refs: [\"${perm%d.thingId}\", myapp/prod, audit_logs:read]\n", i, i, i)
		fmt.Fprintf(&b, "  token%d:\n    type: noop:index:Thing\n    properties:\n      name: token-%d\n      refs: [\"${role%d.thingId}\"]\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(nw.dir, "Pulumi.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	floor := timeAll(nw, "no-op")
	for i := range steps {
		t.Logf("ratio    %-24s %d resources: iam %s / no-op provider %s = %.2f×", labels[i], n/3*3,
			iam[i].Round(10*time.Millisecond), floor[i].Round(10*time.Millisecond), float64(iam[i])/float64(floor[i]))
	}
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %d records, %d tokens", len(recs), len(toks))
	}
}
