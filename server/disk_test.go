package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// TestBinaryDiskFull runs the real iam-server with a file size limit (RLIMIT_FSIZE: writes past
// it fail as on a full disk) and creates tokens until the database cannot grow. The create that
// hits the limit is answered 503 with a message that says why, and nothing of it is stored
// (no token, no audit record of a success); every token acknowledged before is there, and
// reads still work.
func TestBinaryDiskFull(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	s := testserver.StartBinaryWith(t, bin, t.TempDir(), testserver.BinaryOptions{FileSizeLimit: 2 << 20})
	ctx := context.Background()
	desc := strings.Repeat("d", 1000)
	var acked []string
	var refused string
	for i := range 5000 {
		name := fmt.Sprint("fill-", i)
		_, err := s.Client.CreateToken(ctx, s.Org, apitype.CreateOrgTokenRequest{Name: name, Description: desc, Admin: true})
		if err == nil {
			acked = append(acked, name)
			continue
		}
		if client.StatusCode(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("create %s: %v, want success or 503", name, err)
		}
		refused = name
		t.Logf("create %d refused: %v", i, err)
		break
	}
	if refused == "" {
		t.Fatalf("%d creates fitted under the 2 MiB limit: the limit did not apply", len(acked))
	}
	// The raw answer: 503 naming the cause, with Retry-After.
	req, _ := http.NewRequest("POST", s.URL+"/api/orgs/acme/tokens", strings.NewReader(`{"name":"raw","admin":true,"description":"`+desc+`"}`))
	req.Header.Set("Authorization", "token "+s.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("create on a full disk: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	toks, err := s.Client.ListTokens(ctx, s.Org, "all")
	if err != nil {
		t.Fatalf("reads on a full disk: %v", err)
	}
	stored := map[string]bool{}
	for _, tk := range toks {
		stored[tk.Name] = true
	}
	for _, name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged token %s is missing", name)
		}
	}
	if stored[refused] || stored["raw"] {
		t.Errorf("a create refused with 503 was stored")
	}
	// One committed audit record per stored token: the refused creates left none of success.
	successes, next := 0, ""
	for {
		page, err := s.Client.ListAuditLogs(ctx, s.Org, next)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.AuditLogEvents {
			if e.Action == "org_token:create" && e.Status == http.StatusOK {
				successes++
			}
		}
		if next = page.ContinuationToken; next == "" {
			break
		}
	}
	if successes != len(acked) {
		t.Errorf("%d audit records of successful token creates, want %d (one per acknowledged create)", successes, len(acked))
	}
	t.Logf("%d tokens acknowledged before the disk filled; the next create answered 503", len(acked))
}
