package server_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// weakBootstrapTokens are values a person types by hand; each is refused at start.
var weakBootstrapTokens = []string{
	"pul-0000000000000000000000000000000000000000",
	"pul-abababababababababababababababababababab",
	"pul-0123456789012345678901234567890123456789",
	"pul-1111111111aaaaaaaaaa2222222222bbbbbbbbbb",
	"pul-00000000000000000000000000000000deadbeef",
}

// TestBootstrapTokenEntropy: a low-entropy bootstrap token is refused with a reason; the
// harness's own token (16 distinct digits) and random values are accepted.
func TestBootstrapTokenEntropy(t *testing.T) {
	t.Parallel()
	h := start(t)
	for _, v := range weakBootstrapTokens {
		_, err := h.ts.API.EnsureToken(ctx(t), v, "weak")
		if err == nil || !strings.Contains(err.Error(), "guessable") {
			t.Errorf("%s: err %v, want a refusal naming why", v, err)
		}
		h.must(401, "GET", "/api/user", v, nil)
	}
	if _, err := h.ts.API.EnsureToken(ctx(t), "pul-3f9c1e7a20b4d8566e1a9c0f47d2b83e51c6a0d9", "strong"); err != nil {
		t.Fatalf("a random-looking value: %v", err)
	}
}

// TestBinaryRefusesWeakBootstrapToken: `iam-server serve` with IAM_BOOTSTRAP_TOKEN=pul-000…
// exits non-zero with the reason instead of serving.
func TestBinaryRefusesWeakBootstrapToken(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	for _, v := range weakBootstrapTokens[:2] {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "iam.db"), "--org", org)
		cmd.Env = append(cmd.Environ(), "IAM_BOOTSTRAP_TOKEN="+v)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%s: iam-server kept running with a weak bootstrap token\n%s", v, out)
		}
		if err == nil || !strings.Contains(string(out), "IAM_BOOTSTRAP_TOKEN") || !strings.Contains(string(out), "guessable") {
			t.Errorf("%s: exit %v, output:\n%s", v, err, out)
		}
	}
}

// TestBinaryQuotaFlag: `iam-server serve --max-tokens 2` holds the org to two tokens (the
// bootstrap token is one) and says which setting raises the limit.
func TestBinaryQuotaFlag(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	addr := testserver.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", filepath.Join(t.TempDir(), "iam.db"), "--org", org, "--max-tokens", "2")
	cmd.Env = append(cmd.Environ(), "IAM_BOOTSTRAP_TOKEN="+testserver.AdminToken)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := (&testserver.Server{URL: "http://" + addr, AdminToken: testserver.AdminToken}).NewClient(t, testserver.AdminToken)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.GetCurrentUser(ctx(t)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("iam-server did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := c.CreateToken(ctx(t), org, apitype.CreateOrgTokenRequest{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateToken(ctx(t), org, apitype.CreateOrgTokenRequest{Name: "two"})
	if err == nil || !strings.Contains(err.Error(), "--max-tokens") || !strings.Contains(err.Error(), "409") && !strings.Contains(err.Error(), "quota") {
		t.Fatalf("third token: %v", err)
	}
}

// TestPatchWithoutVersionIsLastWriteWins: Pulumi's own provider sends neither version nor
// If-Match, so a PATCH without them applies over whatever changed since; one that sends a
// stale version is a 409.
func TestPatchWithoutVersionIsLastWriteWins(t *testing.T) {
	t.Parallel()
	h := start(t)
	r := h.grantRole("lww", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptrTo("first")})
	var got apitype.Role
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptrTo("second")}).decode(t, &got)
	if got.Description != "second" || got.Version != 3 {
		t.Fatalf("after two PATCHes without a version: %+v", got)
	}
	h.must(409, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptrTo("stale"), Version: ptrTo(1)})
	h.must(409, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptrTo("stale")}, "If-Match", `"2"`)
}
