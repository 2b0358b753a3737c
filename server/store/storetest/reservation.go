package storetest

import (
	"context"
	"testing"

	"github.com/iamref/iam/server/store"
)

// testIdempotencyReservation: a mutation under a MutationAudit with a reservation commits the
// pending idempotency entry with the change and its audit record; PutIdempotent completes it;
// a second mutation reserving the same key fails with ErrKeyReserved and commits nothing; a
// failing mutation reserves nothing.
func testIdempotencyReservation(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	under := func(key string) (context.Context, *store.MutationAudit) {
		m := store.NewMutationAudit(func() store.AuditEvent { return event(orgA, 1) })
		m.Reserve(idem(orgA, "p1", key, `{"ignored":true}`))
		return store.WithAudit(ctx, m), m
	}
	c1, m1 := under("k1")
	must(t, "CreateToken with a reservation", s.CreateToken(c1, tok(orgA, "t1", "one")))
	got, err := s.GetIdempotent(ctx, orgA, "p1", "k1")
	must(t, "GetIdempotent of the reservation", err)
	want := idem(orgA, "p1", "k1", "")
	want.RequestHash, want.Status, want.Body = idem(orgA, "p1", "k1", `{"ignored":true}`).RequestHash, store.IdempotentPending, nil
	check(t, "reserved entry", got, want)
	if _, ok := m1.Committed(); !ok {
		t.Error("the audit record of the reserving mutation is not committed")
	}

	// The same key again: refused, nothing of it stored.
	c2, m2 := under("k1")
	err = s.CreateToken(c2, tok(orgA, "t2", "two"))
	wantErr(t, "second reservation of k1", err, store.ErrKeyReserved)
	if _, err := s.GetToken(ctx, orgA, "t2"); err == nil {
		t.Error("the token of the refused reservation was stored")
	}
	if _, ok := m2.Committed(); ok {
		t.Error("the refused mutation's audit record counts as committed")
	}
	if evs, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA}); err != nil || len(evs) != 1 {
		t.Errorf("audit after the refused reservation: %d events, %v; want 1", len(evs), err)
	}

	// Completing it: PutIdempotent replaces the pending entry, once.
	final := idem(orgA, "p1", "k1", `{"id":"t1"}`)
	existing, found, err := s.PutIdempotent(ctx, final)
	must(t, "PutIdempotent over the reservation", err)
	if found {
		t.Errorf("PutIdempotent over a pending entry: found, existing %+v", existing)
	}
	got, err = s.GetIdempotent(ctx, orgA, "p1", "k1")
	must(t, "GetIdempotent", err)
	check(t, "completed entry", got, final)
	later := idem(orgA, "p1", "k1", `{"id":"other"}`)
	if existing, found, err := s.PutIdempotent(ctx, later); err != nil || !found {
		t.Errorf("PutIdempotent over a completed entry: found %v, %v", found, err)
	} else {
		check(t, "existing", existing, final)
	}

	// A mutation that fails reserves nothing.
	c3, _ := under("k3")
	wantErr(t, "CreateToken of a taken name", s.CreateToken(c3, tok(orgA, "t3", "one")), store.ErrConflict)
	_, err = s.GetIdempotent(ctx, orgA, "p1", "k3")
	wantErr(t, "GetIdempotent after a failed mutation", err, store.ErrNotFound)

	// Racing reservations of one key: exactly one mutation commits.
	oneWins(t, "racing reservations of one key", func(i int) error {
		c, _ := under("race")
		return s.CreateToken(c, tok(orgA, "race-"+string(rune('a'+i)), "race-"+string(rune('a'+i))))
	}, refusedWith(store.ErrKeyReserved))
}
