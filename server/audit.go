package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

// auditWriter appends audit events in batches from one goroutine, so that requests do not
// each wait for a commit. It carries the events that record no change of state: denials, 401s
// and failed requests. A successful mutation's record is not queued here: the store commits it
// in the mutation's own transaction (store.MutationAudit), before the answer, so a crash cannot
// lose it. The queue is bounded; when it is full, requests wait (backpressure) rather than lose
// events. Close (graceful shutdown) drains it; a crash loses what is queued.
type auditWriter struct {
	st      store.Store
	log     *slog.Logger
	metrics *metrics
	queue   chan store.AuditEvent
	mu      sync.RWMutex // guards closed against record
	closed  bool
}

func newAuditWriter(st store.Store, log *slog.Logger, m *metrics) *auditWriter {
	return &auditWriter{st: st, log: log, metrics: m, queue: make(chan store.AuditEvent, 8192)}
}

func (a *auditWriter) record(e store.AuditEvent) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed { // a request that outlived shutdown: keep the event in the log at least
		a.log.Warn("audit event after shutdown", "method", e.Method, "path", e.Path, "token", e.TokenName,
			"action", e.Action, "entity", e.Entity, "decision", e.Decision, "status", e.Status, "reason", e.Reason)
		return
	}
	a.queue <- e
	a.metrics.auditQueued.Inc()
}

func (a *auditWriter) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		close(a.queue)
	}
}

func (a *auditWriter) run(wg *sync.WaitGroup) {
	defer wg.Done()
	batch := make([]store.AuditEvent, 0, 256)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for attempt := 0; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := a.st.AppendAudit(ctx, batch...)
			cancel()
			if err == nil {
				break
			}
			a.log.Error("writing audit events failed; retrying", "events", len(batch), "err", err)
			if attempt >= 5 {
				a.metrics.auditFailed.Add(float64(len(batch)))
				break
			}
			time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
		}
		batch = batch[:0]
	}
	for e := range a.queue {
		batch = append(batch, e)
	drain:
		for len(batch) < cap(batch) {
			select {
			case e, ok := <-a.queue:
				if !ok {
					break drain
				}
				batch = append(batch, e)
			default:
				break drain
			}
		}
		flush()
	}
	flush()
}

func (s *Server) auditEvent(r *http.Request, rt *route, c *call, decision, reason string, status int) store.AuditEvent {
	e := store.AuditEvent{
		Org: s.org.Name, Time: s.now().UTC(), Method: r.Method, Path: r.URL.Path,
		Action: rt.scope.Name, Entity: c.label, Decision: decision, Reason: reason, Status: status,
		SourceIP: sourceIP(r), Actor: s.org.Name,
	}
	if c.principal != nil {
		e.TokenID, e.TokenName = c.principal.token.ID, c.principal.token.Name
		if c.principal.token.Kind == store.TokenPersonal {
			e.Actor = c.principal.subject // a user acts, not the org
		}
	}
	return limitEvent(e)
}

func (s *Server) listAuditLogs(w http.ResponseWriter, r *http.Request, _ *call) error {
	q := store.AuditQuery{Org: s.org.Name, Limit: 100, MaxField: maxAuditText}
	pos, err := s.readContinuation(r, "auditLogs", listName("auditlogs"), 1)
	if err != nil {
		return err
	}
	if pos != nil {
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return invalid("auditLogs", "continuationToken", "not a continuation token returned by this endpoint")
		}
		q.BeforeID = id
	}
	if n := r.URL.Query().Get("pageSize"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 1000 {
			return invalid("auditLogs", "pageSize", "want an integer from 1 to 1000")
		}
		q.Limit = v
	}
	limit := q.Limit
	q.Limit++ // one more than a page tells whether another page follows
	evs, err := s.st.ListAudit(r.Context(), q)
	if err != nil {
		return err
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	if n := pageWithin(evs, maxAuditPageBytes); n < len(evs) {
		evs, more = evs[:n], true
	}
	resp := apitype.ListAuditLogsResponse{}
	for _, e := range evs {
		e = limitEvent(e) // records written before the limits existed
		ev := apitype.AuditLogEvent{
			Timestamp: e.Time.Unix(), SourceIP: e.SourceIP, Event: auditEventName(e),
			Description: auditDescription(e),
			User:        apitype.UserInfo{Name: e.Actor, GitHubLogin: e.Actor},
			TokenID:     e.TokenID, TokenName: e.TokenName, AuthFailure: e.Status == http.StatusUnauthorized,
			Action: e.Action, Decision: e.Decision, Reason: e.Reason, Status: e.Status,
		}
		if kind, name, ok := strings.Cut(e.Entity, ":"); ok {
			ev.Entity = &apitype.EntityRef{Kind: kind, Name: name}
		}
		resp.AuditLogEvents = append(resp.AuditLogEvents, ev)
	}
	if more {
		resp.ContinuationToken = s.continuation(listName("auditlogs"), strconv.FormatInt(evs[len(evs)-1].ID, 10))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func auditEventName(e store.AuditEvent) string {
	if e.Decision == apitype.DecisionDeny {
		return "access-denied"
	}
	return strings.ToLower(e.Method) + ":" + e.Action
}

func auditDescription(e store.AuditEvent) string {
	who := e.TokenName
	switch {
	case who == "" && e.TokenID != "" && e.Actor != "":
		who = "user " + strconv.Quote(e.Actor) + " (personal token)"
	case who == "":
		who = "an unauthenticated caller"
	default:
		who = "token " + strconv.Quote(who)
	}
	if e.Decision == apitype.DecisionDeny {
		return who + " was denied " + e.Method + " " + e.Path + ": " + e.Reason
	}
	if e.Reason != "" {
		return who + " " + e.Method + " " + e.Path + " failed (" + strconv.Itoa(e.Status) + "): " + e.Reason
	}
	return who + " " + e.Method + " " + e.Path + " (" + strconv.Itoa(e.Status) + ")"
}

// pageWithin is how many of evs (at least one) fit in a page of about max bytes of JSON. An
// event's size is estimated from its text, which appears about twice (the fields and the
// description), plus the fixed fields.
func pageWithin(evs []store.AuditEvent, max int) int {
	total := 0
	for i, e := range evs {
		total += 400 + 2*(len(e.Path)+len(e.Reason)+len(e.Entity)+len(e.TokenName)) + len(e.Actor) + len(e.Action) + len(e.SourceIP) + len(e.TokenID)
		if total > max && i > 0 {
			return i
		}
	}
	return len(evs)
}
