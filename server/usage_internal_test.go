package server

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store/sqlite"
)

// TestScopeUsageBounded: a flood of distinct counters (a hostile or runaway client minting
// keys) holds at most maxPendingUsage in memory; the rest are counted as dropped, reported by
// the flush, and the kept ones reach the store. Counts of one key add up.
func TestScopeUsageBounded(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := newScopeUsage(db, "acme")
	read := authz.MustScope("stack:read")
	const day = 20_000 * secondsPerDay
	for range 3 {
		u.add("tok-0", read, day+5)
	}
	for i := 1; i < maxPendingUsage+10; i++ {
		u.add("tok-"+itoa(i), read, day)
	}
	if len(u.pending) != maxPendingUsage || u.dropped != 10 {
		t.Fatalf("pending %d, dropped %d; want %d and 10", len(u.pending), u.dropped, maxPendingUsage)
	}
	u.add("tok-0", read, day) // an existing key still counts
	err = u.flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "10 scope uses were not counted") {
		t.Errorf("flush after drops: %v", err)
	}
	rows, err := db.ListScopeUsage(t.Context(), "acme", []string{"tok-0", "tok-1", "tok-" + itoa(maxPendingUsage+5)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].TokenID != "tok-0" || rows[0].Count != 4 || rows[0].Day != 20_000 || rows[1].Count != 1 {
		t.Errorf("stored counters: %+v", rows)
	}
	if len(u.pending) != 0 || u.dropped != 0 {
		t.Errorf("after flush: pending %d, dropped %d", len(u.pending), u.dropped)
	}
	if err := u.flush(t.Context()); err != nil {
		t.Errorf("empty flush: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
