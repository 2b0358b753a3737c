package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/iamref/iam/server/store"
)

// testAuditCommitOrder appends audit events from several goroutines at once (as replicas do)
// while a reader keeps reading the newest page, as an exporter polling for new events does:
// an event must never become visible below an ID the reader has already seen, or a poller that
// resumes from the newest ID it saw would never see it. So IDs must be given in commit order.
func testAuditCommitOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	const perWriter = 60
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perWriter {
				if err := s.AppendAudit(ctx, store.AuditEvent{Org: orgA, Time: t0, Actor: fmt.Sprint("w", g), Method: "POST",
					Path: fmt.Sprint("/", i), Decision: "allow", Status: 200}); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	var late []string
	reader := make(chan struct{})
	go func() {
		defer close(reader)
		seen := map[int64]bool{}
		var high int64
		for !done.Load() {
			page, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, Limit: 200})
			if err != nil {
				late = append(late, "ListAudit: "+err.Error())
				return
			}
			top := high
			for _, e := range page {
				if seen[e.ID] {
					continue
				}
				seen[e.ID] = true
				if e.ID < high && len(late) < 5 {
					late = append(late, fmt.Sprintf("event %d appeared after event %d had been seen", e.ID, high))
				}
				top = max(top, e.ID)
			}
			high = top
		}
	}()
	wg.Wait()
	done.Store(true)
	<-reader
	for g, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", g, err)
		}
	}
	if len(late) > 0 {
		t.Errorf("audit IDs are not in commit order: %v", late)
	}
	page, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, Limit: goroutines*perWriter + 1})
	must(t, "ListAudit", err)
	if len(page) != goroutines*perWriter {
		t.Errorf("%d events stored, want %d", len(page), goroutines*perWriter)
	}
}
