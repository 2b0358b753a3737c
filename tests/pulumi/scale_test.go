package pulumi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/internal/testserver"
)

// TestScale times `pulumi up` (create), an unchanged `pulumi up`, and `pulumi destroy` for a
// program of IAMREF_PULUMI_SCALE resources (a third each Permissions, CustomRoles and tokens).
// It is a measurement, not a timed assertion: `make bench-pulumi` runs it with 300.
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
	timed := func(label string, args ...string) {
		start := time.Now()
		w.must(args...)
		t.Logf("%-28s %d resources: %s", label, n/3*3, time.Since(start).Round(10*time.Millisecond))
	}
	timed("pulumi up (create)", "up", "--yes")
	timed("pulumi up (no changes)", "up", "--yes", "--expect-no-changes")
	timed("pulumi refresh", "refresh", "--yes")
	timed("pulumi destroy", "destroy", "--yes")
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %d records, %d tokens", len(recs), len(toks))
	}
}
