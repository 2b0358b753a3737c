package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/iamref/iam/server/store"
)

// testConcurrentTouchTokens flushes last-use times of the same tokens from several goroutines
// at once, as two replicas serving the same tokens do every few seconds: every flush succeeds
// (no deadlock between transactions updating the same rows in different orders) and each token
// keeps the latest time.
func testConcurrentTouchTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	const tokens, rounds = 50, 3
	for i := range tokens {
		must(t, "CreateToken", s.CreateToken(ctx, tok(orgA, fmt.Sprint("t", i), fmt.Sprint("n", i))))
	}
	u := t0.Unix()
	errs := make([]error, goroutines*rounds)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				m := make(map[string]int64, tokens)
				for i := range tokens {
					m[fmt.Sprint("t", i)] = u + int64(g*rounds+r)
				}
				errs[g*rounds+r] = s.TouchTokens(ctx, m)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("flush %d of %d: %v", i, len(errs), err)
		}
	}
	want := u + int64(goroutines*rounds-1)
	for _, id := range []string{"t0", fmt.Sprint("t", tokens/2), fmt.Sprint("t", tokens-1)} {
		got, err := s.GetToken(ctx, orgA, id)
		if err != nil || got.LastUsed != want {
			t.Errorf("token %s: LastUsed %d (%v), want %d, the latest flushed", id, got.LastUsed, err, want)
		}
	}
}
