package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/iamref/iam/server/store"
)

const goroutines = 16

// oneWins runs op(0) … op(goroutines-1) at once and fails the test unless exactly one
// succeeds; each other must fail with an error that lost reports as the expected refusal
// (the error is given as it came). what names the race in messages.
func oneWins(t *testing.T, what string, op func(i int) error, lost func(i int, err error) bool) {
	t.Helper()
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() { errs[i] = op(i) })
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !lost(i, err):
			t.Errorf("%s %d: unexpected error %v", what, i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d %s succeeded, want 1", wins, goroutines, what)
	}
}

// refusedWith is a lost for oneWins: the error is (wraps) want.
func refusedWith(want error) func(int, error) bool {
	return func(_ int, err error) bool { return errors.Is(err, want) }
}

// testConcurrentTokenName races creates of one token name: exactly one wins.
func testConcurrentTokenName(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	oneWins(t, "creates of one token name", func(i int) error {
		return s.CreateToken(ctx, tok(orgA, fmt.Sprint("t", i), "contested"))
	}, refusedWith(store.ErrConflict))
	ts, err := s.ListTokens(ctx, orgA, store.TokensAll, t0)
	if err != nil || len(ts) != 1 {
		t.Errorf("ListTokens after race: %d tokens, %v; want 1", len(ts), err)
	}
}

// testConcurrentRecordUpdate races compare-and-swap updates from one version: exactly one wins.
func testConcurrentRecordUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	r := rec(orgA, "r1", "role", "role")
	must(t, "CreateRecord", s.CreateRecord(ctx, r))
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			next := r
			next.Version = 2
			next.Description = fmt.Sprint("writer ", i)
			errs[i] = s.UpdateRecord(ctx, next, 1)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("goroutines %d and %d both updated version 1", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrVersionConflict):
			t.Errorf("goroutine %d: %v, want nil or ErrVersionConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update succeeded")
	}
	got, err := s.GetRecord(ctx, orgA, r.ID)
	must(t, "GetRecord", err)
	if got.Version != 2 || got.Description != fmt.Sprint("writer ", winner) {
		t.Errorf("record after race: version %d, description %q; want 2 and the winner's", got.Version, got.Description)
	}
}

// testConcurrentIdempotency races puts of one key: one stores, all others get its value.
func testConcurrentIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	type result struct {
		v     store.Idempotent
		found bool
		err   error
	}
	results := make([]result, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			v, found, err := s.PutIdempotent(ctx, idem(orgA, "t1", "k", fmt.Sprint("body ", i)))
			results[i] = result{v, found, err}
		})
	}
	wg.Wait()
	winner := -1
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("goroutine %d: %v", i, r.err)
		case !r.found && winner >= 0:
			t.Errorf("goroutines %d and %d both stored the key", winner, i)
		case !r.found:
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no put stored the key")
	}
	want := idem(orgA, "t1", "k", fmt.Sprint("body ", winner))
	for i, r := range results {
		if r.found {
			check(t, fmt.Sprint("goroutine ", i, " existing"), r.v, want)
		}
	}
}

// testConcurrentReadWrite mixes creates and reads; none may fail (no SQLITE_BUSY and the like).
func testConcurrentReadWrite(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	const perWriter = 20
	errs := make(chan error, 2*goroutines*perWriter)
	var wg sync.WaitGroup
	for w := range goroutines {
		wg.Go(func() {
			for i := range perWriter {
				tk := tok(orgA, fmt.Sprintf("t%d-%d", w, i), fmt.Sprintf("n%d-%d", w, i))
				if err := s.CreateToken(ctx, tk); err != nil {
					errs <- err
				}
				if _, err := s.TokenByHash(ctx, tk.Hash); err != nil {
					errs <- fmt.Errorf("read own write: %w", err)
				}
			}
		})
		wg.Go(func() {
			for range perWriter {
				if _, err := s.ListTokens(ctx, orgA, store.TokensActive, t0); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ts, err := s.ListTokens(ctx, orgA, store.TokensAll, t0)
	if err != nil || len(ts) != goroutines*perWriter {
		t.Errorf("ListTokens: %d tokens, %v; want %d", len(ts), err, goroutines*perWriter)
	}
}
