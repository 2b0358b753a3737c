package pulumi_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/internal/testpg"
	"github.com/iamref/iam/internal/testserver"
)

// TestScale times `pulumi up` (create), an unchanged `pulumi up`, and `pulumi destroy` for a
// program of IAMREF_PULUMI_SCALE resources (a third each Permissions, CustomRoles and tokens).
// It is a measurement, not a timed assertion: `make bench-pulumi` runs it with 300. The same
// steps then run on the same graph against a no-op provider (tests/pulumi/noopprovider), the
// floor of the engine and the plugin protocol, and the ratios are logged.
func TestScale(t *testing.T) {
	n := scaleSize(t)
	scale(t, n, "sqlite", testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir()), nil)
}

// TestScalePostgres is TestScale against two replicas of the binary on one PostgreSQL database
// (a throw-away cluster, internal/testpg): `pulumi up` (create) through replica A, then the
// stack's iam:apiUrl is switched to replica B for the second `up`, `refresh` and `destroy`, so
// B reads, updates and deletes what A created; then the same no-op floor.
func TestScalePostgres(t *testing.T) {
	n := scaleSize(t)
	bin := testserver.BinaryPath(t, "iam-server")
	pg := testpg.Start(t)
	db, dir := pg.NewDatabase(t), t.TempDir()
	a := testserver.StartBinaryWith(t, bin, dir, testserver.BinaryOptions{DB: db, Log: "replica-a.log"})
	b := testserver.StartBinaryWith(t, bin, dir, testserver.BinaryOptions{DB: db, Log: "replica-b.log"})
	scale(t, n, "pg-2rep", a, b)
	// The destroy went through B, and what B deleted is gone for A too.
	if da, db := deletes(t, a), deletes(t, b); da != 0 || db < n/3*3 {
		t.Errorf("DELETE requests served: replica A %d, replica B %d; want 0 and at least %d", da, db, n/3*3)
	}
	if recs, toks := customRecords(t, a); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("replica A still lists %d records, %d tokens", len(recs), len(toks))
	}
}

// deletes is how many DELETE requests srv has served (from its /metrics).
func deletes(t *testing.T, srv *testserver.Server) int {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := 0
	for _, m := range regexp.MustCompile(`(?m)^iamref_http_requests_total\{code="2\d\d",route="DELETE [^"]*"\} (\d+)$`).FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

func scaleSize(t *testing.T) int {
	n, _ := strconv.Atoi(os.Getenv("IAMREF_PULUMI_SCALE"))
	if n < 3 {
		t.Skip("set IAMREF_PULUMI_SCALE (e.g. 300) to run")
	}
	return n
}

// scale runs the program of n resources against srv and times each step, then the no-op
// floor, and logs the ratios; when other is set, the steps after the create run against it
// (iam:apiUrl switched). label names the server in the log lines.
func scale(t *testing.T, n int, label string, srv, other *testserver.Server) {
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
	timeAll := func(w *workspace, who string, then *testserver.Server) []time.Duration {
		out := make([]time.Duration, len(steps))
		for i, args := range steps {
			start := time.Now()
			w.must(args...)
			out[i] = time.Since(start)
			t.Logf("%-8s %-24s %d resources: %s", who, labels[i], n/3*3, out[i].Round(10*time.Millisecond))
			if i == 0 && then != nil {
				w.must("config", "set", "iam:apiUrl", then.URL)
				who += "→B"
			}
		}
		return out
	}
	who := "iam"
	if other != nil {
		who = "iam(A)"
	}
	iam := timeAll(w, who, other)
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
	floor := timeAll(nw, "no-op", nil)
	for i := range steps {
		t.Logf("ratio    %-24s %d resources: iam on %s %s / no-op provider %s = %.2f×", labels[i], n/3*3, label,
			iam[i].Round(10*time.Millisecond), floor[i].Round(10*time.Millisecond), float64(iam[i])/float64(floor[i]))
	}
	if other != nil {
		srv = other
	}
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %d records, %d tokens", len(recs), len(toks))
	}
}
