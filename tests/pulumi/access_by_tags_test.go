package pulumi_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/internal/testserver"
)

// TestAccessByTags runs examples/access-by-tags: a role granting by stack tags and by a
// condition, with a Policy composed into it by ID, and a token with that role. The token is
// allowed and refused exactly where the tags say; retagging a stack flips its access on the next
// request with the role untouched; a stack created later with the tag is covered; the policy's
// MaxOpenDuration caps opens; refresh then preview shows no changes; destroy leaves nothing.
func TestAccessByTags(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	srv.SeedTagged(t)
	w := newWorkspace(t, srv, "access-by-tags")

	w.must("up", "--yes")
	token := strings.TrimSpace(w.must("stack", "output", "ciToken", "--show-secrets"))
	w.must("preview", "--expect-no-changes")
	// The provider's checkAccess agrees with what the server will answer below.
	if a, b := strings.TrimSpace(w.must("stack", "output", "mayDeleteDev")), strings.TrimSpace(w.must("stack", "output", "mayDeleteDevWeb")); a != "true" || b != "false" {
		t.Errorf("checkAccess: delete dev %s, delete dev-web %s; want true, false", a, b)
	}
	if why := w.must("stack", "output", "whyNotDevWeb"); !strings.Contains(why, "stack:delete") {
		t.Errorf("checkAccess gives no reason for dev-web: %s", why)
	}
	srv.CheckTagAccess(t, token)

	// Refresh reads the role and the policy back into the same typed grants: still no changes.
	w.must("refresh", "--yes")
	w.must("preview", "--expect-no-changes")

	// A condition the language cannot express fails the preview with its position.
	w.edit(`condition: stack.tags.env == "dev" && stack.tags.team in ["payments", "billing"]`,
		`condition: stack.tags.env == "dev" && stack.project == "payments"`)
	out, err := w.run("preview")
	if err == nil || !strings.Contains(out, "grants[1].condition: at line 1, column 28: stack.project cannot be expressed") {
		t.Fatalf("preview of a condition on stack.project: %v\n%s", err, out)
	}

	w.edit(`stack.project == "payments"`, `stack.tags.team in ["payments", "billing"]`)
	w.must("destroy", "--yes")
	if recs, toks := customRecords(t, srv); len(recs) != 0 || len(toks) != 0 {
		t.Fatalf("left behind: %v %v", recs, toks)
	}
}
