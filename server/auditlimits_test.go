package server_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlite"
)

// auditFootprint is the text the audit table holds for org acme (sum of field lengths) and the
// size of the database files.
func auditFootprint(t *testing.T, dbPath string) (fields, files int64) {
	t.Helper()
	st, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ListAudit(ctx(t), store.AuditQuery{Org: org})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		fields += int64(len(e.Org) + len(e.Actor) + len(e.TokenID) + len(e.TokenName) + len(e.Method) + len(e.Path) +
			len(e.Action) + len(e.Entity) + len(e.Decision) + len(e.Reason) + len(e.SourceIP))
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(dbPath + suffix); err == nil {
			files += fi.Size()
		}
	}
	return fields, files
}

// TestUnauthenticatedRequestsCannotFillTheDisk: a request target over 8 KiB is a 414 before
// authentication and is not recorded; 1000 unauthenticated requests with 7 KiB paths from one
// client record the first few with cut fields and one summary with the count, a few KB in all
// (before the limits: 7.2 MB of audit text, 11 MB of database).
func TestUnauthenticatedRequestsCannotFillTheDisk(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now})

	for _, p := range []string{
		"/api/orgs/acme/roles/" + strings.Repeat("a", 9<<10),
		"/api/orgs/acme/roles?uxPurpose=" + strings.Repeat("a", 9<<10),
		"/" + strings.Repeat("a", 9<<10), // no route either
	} {
		if r := h.do("GET", p, "", nil); r.status != 414 {
			t.Errorf("GET with a %d-byte target: %s, want 414", len(p), r)
		} else {
			r.errorBody(t)
		}
		if r := h.do("GET", p, h.admin(), nil); r.status != 414 {
			t.Errorf("GET with a %d-byte target and a valid token: %d, want 414", len(p), r.status)
		}
	}

	fields0, files0 := auditFootprint(t, h.ts.DBPath)
	const n = 1000
	for i := range n {
		p := fmt.Sprintf("/api/orgs/acme/roles/%d-", i) + strings.Repeat("x", 7<<10)
		if r := h.do("GET", p, "", nil); r.status != 401 {
			t.Fatalf("unauthenticated request %d: %s", i, r)
		}
	}
	clk.Advance(2 * time.Minute) // the client's window ends; housekeeping records its summary
	h.ts.API.Housekeep(ctx(t))
	summary := h.waitAudit("summarizing the flood", func(e apitype.AuditLogEvent) bool {
		return e.Status == 401 && strings.Contains(e.Reason, fmt.Sprintf("%d more similar denials (401) from client 127.0.0.1", n-10))
	})
	if !summary.AuthFailure || summary.Decision != "deny" {
		t.Errorf("summary event: %+v", summary)
	}
	individual := 0
	for _, e := range h.auditEvents() {
		if e.Status != 401 || e == summary {
			continue
		}
		individual++
		if len(e.Description) > 3<<10 || !strings.Contains(e.Description, "…[truncated ") {
			t.Errorf("a recorded 401 has a %d-byte description (want the path cut, with a marker): %.200q", len(e.Description), e.Description)
		}
	}
	if individual != 10 {
		t.Errorf("%d unauthenticated requests recorded one by one, want the first 10", individual)
	}
	fields1, files1 := auditFootprint(t, h.ts.DBPath)
	t.Logf("%d unauthenticated requests with 7 KiB paths: audit text +%d bytes (%d per request), database files +%d bytes",
		n, fields1-fields0, (fields1-fields0)/n, files1-files0)
	if grown := fields1 - fields0; grown > 32<<10 {
		t.Errorf("audit text grew by %d bytes for %d unauthenticated requests; want at most 32 KiB", grown, n)
	}
}

// TestAuditPagesAreCappedInBytes: a page holds at most about 1 MiB, then continues; paging
// still returns every event once.
func TestAuditPagesAreCappedInBytes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now})
	const n = 800
	for i := range n {
		if i%10 == 0 {
			clk.Advance(2 * time.Minute) // a new window: every request is recorded
		}
		h.must(401, "GET", fmt.Sprintf("/api/orgs/acme/roles/%04d-", i)+strings.Repeat("y", 4<<10), "", nil)
	}
	h.waitAudit("of the last request", func(e apitype.AuditLogEvent) bool {
		return strings.Contains(e.Description, fmt.Sprintf("/api/orgs/acme/roles/%04d-", n-1))
	})
	r := h.must(200, "GET", "/api/orgs/acme/auditlogs?pageSize=1000", h.admin(), nil)
	var page apitype.ListAuditLogsResponse
	r.decode(t, &page)
	if len(r.body) > 1<<20+64<<10 {
		t.Errorf("one audit page is %d bytes; want about 1 MiB at most", len(r.body))
	}
	if page.ContinuationToken == "" || len(page.AuditLogEvents) >= n {
		t.Errorf("a page of %d events (%d bytes) without a byte cap (continuation %q)", len(page.AuditLogEvents), len(r.body), page.ContinuationToken)
	}
	seen := map[string]bool{}
	for _, e := range h.auditEvents() {
		if seen[e.Description] {
			t.Fatalf("event repeated across pages: %.100s", e.Description)
		}
		seen[e.Description] = true
	}
	if len(seen) != n {
		t.Errorf("paging returned %d events, want %d", len(seen), n)
	}
}

// TestAuditRetention: with AuditRetention set, housekeeping deletes older events and keeps
// newer ones; without it, nothing is deleted.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	for _, retention := range []time.Duration{0, 90 * 24 * time.Hour} {
		clk := newClock()
		h := start(t, testserver.Options{Now: clk.Now, Config: func(c *server.Config) { c.AuditRetention = retention }})
		h.must(401, "GET", "/api/orgs/acme/roles/old", "", nil)
		h.stack("p", "old", nil) // a mutation, recorded with it
		h.waitAudit("of the old request", func(e apitype.AuditLogEvent) bool { return strings.Contains(e.Description, "/roles/old") })
		clk.Advance(91 * 24 * time.Hour)
		h.must(401, "GET", "/api/orgs/acme/roles/new", "", nil)
		h.waitAudit("of the new request", func(e apitype.AuditLogEvent) bool { return strings.Contains(e.Description, "/roles/new") })
		h.ts.API.Housekeep(ctx(t))
		var descs []string
		for _, e := range h.auditEvents() {
			descs = append(descs, e.Description)
		}
		kept := strings.Join(descs, "\n")
		wantOld := retention == 0
		if strings.Contains(kept, "/roles/old") != wantOld || strings.Contains(kept, "POST /api/stacks/acme/p") != wantOld {
			t.Errorf("retention %v: events older than 91 days kept = %v, want %v:\n%s", retention, !wantOld, wantOld, kept)
		}
		if !strings.Contains(kept, "/roles/new") {
			t.Errorf("retention %v: the new event was deleted", retention)
		}
	}
}
