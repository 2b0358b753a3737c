package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// slowTokenReads widens the race window of revocation: a token read by hash returns what it
// read up to half a millisecond later, as a loaded store might.
type slowTokenReads struct{ store.Store }

func (s slowTokenReads) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := s.Store.TokenByHash(ctx, hash)
	time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
	return t, err
}

// TestRevocationRace hammers GET /api/user with a token from several goroutines while the
// token is deleted: once the DELETE has returned, no request that starts afterwards may
// succeed (a read of the token from before the delete must not be cached after it). It runs a
// few hundred rounds, bounded to about three seconds.
func TestRevocationRace(t *testing.T) {
	t.Parallel()
	h := start(t, testserver.Options{WrapStore: func(st store.Store) store.Store { return slowTokenReads{st} }})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	get := func(value string) (int, error) {
		req, err := http.NewRequest("GET", h.ts.URL+"/api/user", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "token "+value)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	const workers = 6
	deadline := time.Now().Add(3 * time.Second)
	rounds, late := 0, 0
	for ; rounds < 300 && time.Now().Before(deadline); rounds++ {
		id, value := h.token(fmt.Sprintf("racer-%d", rounds), "")
		var deleted atomic.Bool
		var lateOK, errs atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := deleted.Load() // read before the request starts
					status, err := get(value)
					switch {
					case err != nil:
						errs.Add(1)
						return
					case after && status == http.StatusOK:
						lateOK.Add(1)
					}
				}
			}()
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
		h.must(204, "DELETE", "/api/orgs/acme/tokens/"+id, h.admin(), nil)
		deleted.Store(true)
		time.Sleep(3 * time.Millisecond) // requests in flight during the delete finish and try to cache
		close(stop)
		wg.Wait()
		if errs.Load() > 0 {
			t.Fatalf("round %d: %d transport errors", rounds, errs.Load())
		}
		if status, err := get(value); err != nil || status != http.StatusUnauthorized {
			t.Errorf("round %d: a request after the delete settled got %d (%v), want 401", rounds, status, err)
		}
		if n := lateOK.Load(); n > 0 {
			late++
			t.Errorf("round %d: %d requests that started after DELETE returned succeeded", rounds, n)
		}
	}
	t.Logf("%d rounds, %d with a request served after revocation", rounds, late)
	if rounds < 10 { // a loaded machine or -race runs fewer; fewer than this proves little
		t.Errorf("only %d rounds in the time bound", rounds)
	}
}
