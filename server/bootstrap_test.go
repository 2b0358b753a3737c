package server_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
