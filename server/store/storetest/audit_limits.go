package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
)

// testPruneAudit: PruneAudit deletes the org's events older than the cutoff, counts them, and
// leaves newer events and other orgs alone.
func testPruneAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 6 { // t0 … t0+5s
		must(t, "AppendAudit", s.AppendAudit(ctx, event(orgA, i), event(orgB, i)))
	}
	cutoff := t0.Add(3 * time.Second).Truncate(time.Millisecond) // stores may keep only milliseconds
	n, err := s.PruneAudit(ctx, orgA, cutoff)
	must(t, "PruneAudit", err)
	if n != 3 {
		t.Errorf("PruneAudit deleted %d events, want 3", n)
	}
	left, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA})
	must(t, "ListAudit", err)
	if len(left) != 3 {
		t.Fatalf("%d events left, want 3", len(left))
	}
	for _, e := range left {
		if e.Time.Before(cutoff) {
			t.Errorf("event at %v survived pruning before %v", e.Time, cutoff)
		}
	}
	other, err := s.ListAudit(ctx, store.AuditQuery{Org: orgB})
	must(t, "ListAudit(B)", err)
	if len(other) != 6 {
		t.Errorf("pruning org A deleted events of org B: %d left, want 6", len(other))
	}
	n, err = s.PruneAudit(ctx, orgA, t0)
	must(t, "PruneAudit again", err)
	if n != 0 {
		t.Errorf("PruneAudit with nothing to delete deleted %d", n)
	}
}

// testAuditMaxField: ListAudit with MaxField cuts long text fields and marks the cut; short
// fields and queries without MaxField are unchanged.
func testAuditMaxField(t *testing.T, s store.Store) {
	ctx := t.Context()
	long := event(orgA, 1)
	long.Path = "/api/" + strings.Repeat("p", 5000)
	long.Reason = strings.Repeat("r", 3000)
	must(t, "AppendAudit", s.AppendAudit(ctx, long))
	got, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, MaxField: 100})
	must(t, "ListAudit", err)
	if len(got) != 1 {
		t.Fatalf("ListAudit returned %d events", len(got))
	}
	e := got[0]
	if e.Path != long.Path[:100]+store.AuditCutMarker || e.Reason != long.Reason[:100]+store.AuditCutMarker {
		t.Errorf("cut fields: path %q…, reason %q…", e.Path[:min(len(e.Path), 40)], e.Reason[:min(len(e.Reason), 40)])
	}
	if e.Entity != long.Entity || e.TokenName != long.TokenName || e.SourceIP != long.SourceIP || e.Status != long.Status {
		t.Errorf("short fields changed: %+v", e)
	}
	full, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA})
	must(t, "ListAudit", err)
	if full[0].Path != long.Path || full[0].Reason != long.Reason {
		t.Error("ListAudit without MaxField cut a field")
	}
}

// testAuditHostileText: events record what hostile requests sent, NUL bytes and invalid UTF-8
// included. The store accepts them in one batch with ordinary events (none is lost) and reads
// them back either as sent or with each bad byte replaced by U+FFFD (engines whose text
// columns cannot hold them); the valid text around them is kept, and MaxField still cuts.
func testAuditHostileText(t *testing.T, s store.Store) {
	ctx := t.Context()
	hostile := event(orgA, 1)
	hostile.Path = "/api/a\x00b/\xff\xfe" + strings.Repeat("é", 200)
	hostile.Actor = "eve\x00"
	hostile.SourceIP = "\xc3"
	must(t, "AppendAudit", s.AppendAudit(ctx, event(orgA, 0), hostile, event(orgA, 2)))
	got, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA})
	must(t, "ListAudit", err)
	if len(got) != 3 {
		t.Fatalf("ListAudit returned %d events, want 3", len(got))
	}
	e := got[1]
	clean := func(s string) string { return strings.ReplaceAll(strings.ToValidUTF8(s, "\ufffd"), "\x00", "\ufffd") }
	for _, f := range []struct{ name, got, sent string }{
		{"Path", e.Path, hostile.Path},
		{"Actor", e.Actor, hostile.Actor},
		{"SourceIP", e.SourceIP, hostile.SourceIP},
	} {
		if f.got != f.sent && f.got != clean(f.sent) {
			t.Errorf("%s = %q, want %q as sent or %q", f.name, f.got, f.sent, clean(f.sent))
		}
	}
	if e.Entity != hostile.Entity || e.Status != hostile.Status {
		t.Errorf("other fields changed: %+v", e)
	}
	cut, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, MaxField: 50})
	must(t, "ListAudit MaxField", err)
	if len(cut) != 3 || !strings.HasSuffix(cut[1].Path, store.AuditCutMarker) || !strings.HasPrefix(cut[1].Path, "/api/a") {
		t.Errorf("ListAudit MaxField: %d events, hostile path %q", len(cut), cut[1].Path)
	}
}
