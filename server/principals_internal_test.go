package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlite"
)

// countingStore counts record reads and can hold them until released.
type countingStore struct {
	store.Store
	reads atomic.Int64
	hold  chan struct{} // when set, every GetRecord waits for it to close
}

func (s *countingStore) GetRecord(ctx context.Context, org, id string) (store.Record, error) {
	s.reads.Add(1)
	if s.hold != nil {
		<-s.hold
	}
	return s.Store.GetRecord(ctx, org, id)
}

func indexFixture(t *testing.T, recs ...store.Record) (*indexCache, *countingStore) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0).UTC()
	for _, r := range recs {
		r.Org, r.Version, r.Created, r.Modified = "acme", 1, now, now
		if r.ResourceType == "" {
			r.ResourceType = "global"
		}
		if err := db.CreateRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cs := &countingStore{Store: db}
	return newIndexCache(cs, "acme", slog.New(slog.DiscardHandler), time.Hour, time.Now), cs
}

const (
	allowRead = `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`
	setA      = "00000000-0000-0000-0000-00000000000a"
	setB      = "00000000-0000-0000-0000-00000000000b"
	roleA     = "00000000-0000-0000-0000-0000000000a1"
	roleB     = "00000000-0000-0000-0000-0000000000b1"
	roleAB    = "00000000-0000-0000-0000-0000000000ab"
)

func composeJSON(ids ...string) string {
	s := `{"__type":"PermissionDescriptorGroup","entries":[`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["` + id + `"]}`
	}
	return s + `]}`
}

func fixtureRecords() []store.Record {
	return []store.Record{
		{ID: setA, Name: "a", UXPurpose: "set", Details: []byte(allowRead)},
		{ID: setB, Name: "b", UXPurpose: "set", Details: []byte(allowRead)},
		{ID: roleA, Name: "ra", UXPurpose: "role", Details: []byte(composeJSON(setA, setA, setA)), Refs: []string{setA}},
		{ID: roleB, Name: "rb", UXPurpose: "role", Details: []byte(composeJSON(setB)), Refs: []string{setB}},
		{ID: roleAB, Name: "rab", UXPurpose: "role", Details: []byte(composeJSON(setA, setB)), Refs: []string{setA, setB}},
	}
}

// TestCompileReadsEachRecordOnce: a role composing one set three times reads the role and the
// set once each (issue 9 item 3).
func TestCompileReadsEachRecordOnce(t *testing.T) {
	c, cs := indexFixture(t, fixtureRecords()...)
	cr, err := c.role(context.Background(), roleA)
	if err != nil || cr.err != nil {
		t.Fatal(err, cr.err)
	}
	if n := cs.reads.Load(); n != 2 {
		t.Errorf("%d record reads, want 2 (the role and its set once)", n)
	}
}

// TestInvalidationIsTargeted: a write to a record drops only the compiled roles whose tree
// reached it, not every role (issue 9 item 3).
func TestInvalidationIsTargeted(t *testing.T) {
	ctx := context.Background()
	c, cs := indexFixture(t, fixtureRecords()...)
	for _, id := range []string{roleA, roleB, roleAB} {
		if cr, err := c.role(ctx, id); err != nil || cr.err != nil {
			t.Fatal(id, err, cr.err)
		}
	}
	tests := []struct {
		write     string
		recompile []string // roles that must be compiled again
		kept      []string
	}{
		{setB, []string{roleB, roleAB}, []string{roleA}},
		{setA, []string{roleA, roleAB}, []string{roleB}},
		{roleA, []string{roleA}, []string{roleB, roleAB}},
		{"unrelated", nil, []string{roleA, roleB, roleAB}},
	}
	for _, tt := range tests {
		c.invalidate(tt.write)
		for _, id := range tt.kept {
			before := cs.reads.Load()
			if _, err := c.role(ctx, id); err != nil {
				t.Fatal(err)
			}
			if cs.reads.Load() != before {
				t.Errorf("write to %s recompiled %s", tt.write, id)
			}
		}
		for _, id := range tt.recompile {
			before := cs.reads.Load()
			if _, err := c.role(ctx, id); err != nil {
				t.Fatal(err)
			}
			if cs.reads.Load() == before {
				t.Errorf("write to %s kept the stale compiled %s", tt.write, id)
			}
		}
	}
}

// TestConcurrentCompilesAreCoalesced: many requests for a role that is not compiled yet wait
// for one compile (issue 9 item 3).
func TestConcurrentCompilesAreCoalesced(t *testing.T) {
	c, cs := indexFixture(t, fixtureRecords()...)
	cs.hold = make(chan struct{})
	const callers = 20
	var wg sync.WaitGroup
	wg.Add(callers)
	for range callers {
		go func() {
			defer wg.Done()
			if cr, err := c.role(context.Background(), roleA); err != nil || cr.ix == nil {
				t.Error(err, cr.err)
			}
		}()
	}
	// Let every caller reach the cache, then release the one read in progress.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.inflight)
		c.mu.Unlock()
		if n == 1 && cs.reads.Load() == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(cs.hold)
	wg.Wait()
	if n := cs.reads.Load(); n != 2 {
		t.Errorf("%d record reads for %d concurrent callers, want 2 (one compile)", n, callers)
	}
}
