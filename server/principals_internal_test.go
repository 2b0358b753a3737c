package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
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

// TestPrincipalInvalidationIsTargeted: users' and teams' compiled rights are dropped exactly
// when something they were built from changes: the user's membership (their key), a team
// they are in (the team key), or a role record their tree reaches.
func TestPrincipalInvalidationIsTargeted(t *testing.T) {
	ctx := context.Background()
	c, cs := indexFixture(t, fixtureRecords()...)
	now := time.Unix(1_900_000_000, 0).UTC()
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := cs.AddMember(ctx, "acme", store.User{ID: "u-" + u, Login: u, Created: now}, roleA, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, tm := range []string{"platform", "web"} {
		if err := cs.CreateTeam(ctx, store.Team{ID: "t-" + tm, Org: "acme", Name: tm, Created: now, Modified: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []error{
		cs.AddTeamRole(ctx, "acme", "t-platform", roleB),
		cs.AddTeamRole(ctx, "acme", "t-web", roleAB),
		cs.AddTeamMember(ctx, "acme", "t-platform", "u-alice"),
		cs.AddTeamMember(ctx, "acme", "t-web", "u-bob"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	keys := []string{userKey("u-alice"), userKey("u-bob"), userKey("u-carol"), teamKey("t-platform"), teamKey("t-web")}
	tests := []struct {
		write string
		drops []string
	}{
		{userKey("u-alice"), []string{userKey("u-alice")}},                                              // alice's role or teams changed
		{teamKey("t-platform"), []string{teamKey("t-platform"), userKey("u-alice")}},                    // platform's roles changed
		{roleB, []string{teamKey("t-platform"), userKey("u-alice")}},                                    // rb is platform's role
		{setB, []string{teamKey("t-platform"), teamKey("t-web"), userKey("u-alice"), userKey("u-bob")}}, // rb and rab compose b
		{roleA, []string{userKey("u-alice"), userKey("u-bob"), userKey("u-carol")}},                     // everyone's org role
	}
	for _, tt := range tests {
		for _, k := range keys {
			cr, err := c.role(ctx, k)
			if err != nil || cr.err != nil {
				t.Fatal(k, err, cr.err)
			}
		}
		c.invalidate(tt.write)
		for _, k := range keys {
			_, cached := c.roles.Get(k)
			if want := !slices.Contains(tt.drops, k); cached != want {
				t.Errorf("after a write to %s: %s cached = %v, want %v", tt.write, k, cached, want)
			}
		}
	}
	// A grant reached through a team names the team, then the role.
	cr, err := c.role(ctx, userKey("u-alice"))
	if err != nil || cr.err != nil {
		t.Fatal(err, cr.err)
	}
	var paths []string
	for _, g := range cr.ix.Grants() {
		paths = append(paths, strings.Join(g.Via, " → "))
	}
	want := []string{roleA + " → " + setA, teamKey("t-platform") + " → " + roleB + " → " + setB}
	if paths = slices.Compact(paths); !slices.Equal(paths, want) { // ra composes a three times
		t.Errorf("alice's grants come via %q, want %q", paths, want)
	}
	if cr.name != `user "alice": role "ra"; team "platform": roles "rb"` || cr.subject != "alice" {
		t.Errorf("alice's rights are described as %q (%q)", cr.name, cr.subject)
	}
}
