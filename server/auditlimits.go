package server

import (
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

// Limits that keep what a request costs the audit log bounded, whoever sends it.
const (
	// maxRequestURI bounds the request target (path and query). Longer ones are answered 414
	// before routing and authentication, and are not recorded (only counted in metrics).
	maxRequestURI = 8 << 10
	// maxAuditPath and maxAuditText bound the fields of a recorded event; longer values are cut
	// and end in a marker saying how much was cut (truncate).
	maxAuditPath = 1 << 10
	maxAuditText = 1 << 10
	// defaultDenialBurst denials per client (source IP and token) per deniedWindow are recorded
	// one by one (Config.DenialBurst); further ones in the window are counted and recorded as
	// one summary event when the window ends.
	defaultDenialBurst = 10
	deniedWindow       = time.Minute
	// maxDenialClients bounds the aggregator's memory; beyond it, new clients share one bucket.
	maxDenialClients = 10_000
	// maxAuditPageBytes caps one audit log page (roughly, the JSON it answers) besides its count.
	maxAuditPageBytes = 1 << 20
)

// truncate cuts s to at most max bytes (at a UTF-8 boundary) and marks the cut with how many
// bytes were dropped, so that a reader sees the value was longer.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	marker := fmt.Sprintf("…[truncated %d bytes]", len(s)-max)
	cut := max - len(marker)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}

// limitEvent bounds the text fields of an event (at write, and on read for old records).
func limitEvent(e store.AuditEvent) store.AuditEvent {
	e.Path = truncate(e.Path, maxAuditPath)
	e.Reason = truncate(e.Reason, maxAuditText)
	e.Entity = truncate(e.Entity, maxAuditText)
	e.Action = truncate(e.Action, 128)
	e.Method = truncate(e.Method, 32)
	e.TokenName = truncate(e.TokenName, 256)
	e.SourceIP = truncate(e.SourceIP, 64)
	return e
}

// limitRequestURI answers 414 for a request target longer than maxRequestURI, before anything
// else looks at the request.
func (s *Server) limitRequestURI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.RequestURI)
		if n == 0 {
			n = len(r.URL.RequestURI())
		}
		if n > maxRequestURI {
			s.metrics.observe("uri too long", http.StatusRequestURITooLong, 0)
			writeError(w, errorf(http.StatusRequestURITooLong, "the request path and query are %d bytes; at most %d", n, maxRequestURI))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// denialAggregator records the first deniedBurst denials of each client per window and folds
// the rest into one summary event per client and window, so that a client repeating a refused
// request (a flood of 401s with long paths, a misconfigured job) adds a bounded number of
// records per minute.
type denialAggregator struct {
	record func(store.AuditEvent)
	burst  int // < 0: record every denial

	mu      sync.Mutex
	clients map[denialKey]*denialWindow
}

type denialKey struct {
	ip, tokenID string
	status      int
}

type denialWindow struct {
	start      time.Time
	seen       int              // denials in this window
	suppressed int              // of those, not recorded one by one
	last       store.AuditEvent // the latest suppressed one
}

func newDenialAggregator(record func(store.AuditEvent), burst int) *denialAggregator {
	if burst == 0 {
		burst = defaultDenialBurst
	}
	return &denialAggregator{record: record, burst: burst, clients: map[denialKey]*denialWindow{}}
}

// add records e, or counts it when its client is over the burst in this window.
func (a *denialAggregator) add(e store.AuditEvent) {
	if a.burst < 0 {
		a.record(e)
		return
	}
	key := denialKey{ip: e.SourceIP, tokenID: e.TokenID, status: e.Status}
	a.mu.Lock()
	w, ok := a.clients[key]
	var due []store.AuditEvent
	switch {
	case ok && e.Time.Sub(w.start) >= deniedWindow:
		if s, ok := w.summary(key); ok {
			due = append(due, s)
		}
		*w = denialWindow{start: e.Time}
	case !ok && len(a.clients) >= maxDenialClients:
		key = denialKey{ip: "*", status: e.Status} // one shared bucket for the overflow
		if w, ok = a.clients[key]; !ok {
			w = &denialWindow{start: e.Time}
			a.clients[key] = w
		}
	case !ok:
		w = &denialWindow{start: e.Time}
		a.clients[key] = w
	}
	w.seen++
	if w.seen > a.burst {
		w.suppressed++
		w.last = e
		e = store.AuditEvent{}
	}
	a.mu.Unlock()
	for _, s := range due {
		a.record(s)
	}
	if e.Org != "" {
		a.record(e)
	}
}

// flush records the summaries of windows that ended before now (all of them when now is zero)
// and forgets those clients.
func (a *denialAggregator) flush(now time.Time) {
	a.mu.Lock()
	var due []store.AuditEvent
	for key, w := range a.clients {
		if !now.IsZero() && now.Sub(w.start) < deniedWindow {
			continue
		}
		if s, ok := w.summary(key); ok {
			due = append(due, s)
		}
		delete(a.clients, key)
	}
	a.mu.Unlock()
	for _, s := range due {
		a.record(s)
	}
}

// summary is the event that stands for the suppressed denials of a window.
func (w *denialWindow) summary(key denialKey) (store.AuditEvent, bool) {
	if w.suppressed == 0 {
		return store.AuditEvent{}, false
	}
	e := w.last
	who := "client " + e.SourceIP
	if key.ip == "*" {
		who = "clients beyond the aggregator's limit"
	}
	what := "events"
	if e.Decision == apitype.DecisionDeny {
		what = "denials"
	}
	e.Reason = truncate(fmt.Sprintf("%d more similar %s (%d) from %s since %s were not recorded one by one; the last: %s",
		w.suppressed, what, key.status, who, w.start.UTC().Format(time.RFC3339), e.Reason), maxAuditText)
	return e, true
}
