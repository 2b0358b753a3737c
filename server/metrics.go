package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iamref/iam/authz"
)

type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	decisions   *prometheus.CounterVec
	auditQueued prometheus.Counter
	auditFailed prometheus.Counter
	tokens      prometheus.Counter
	// remoteChanges counts the notifications of other replicas' changes (store.ChangeNotifier).
	remoteChanges prometheus.Counter
	handler       http.Handler
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "iamref_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "iamref_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "iamref_authz_decisions_total", Help: "Authorization decisions by result (route guards and access checks).",
		}, []string{"decision"}),
		auditQueued: prometheus.NewCounter(prometheus.CounterOpts{Name: "iamref_audit_events_total", Help: "Audit events recorded."}),
		auditFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "iamref_audit_write_failures_total", Help: "Audit events that could not be written after retries."}),
		tokens:      prometheus.NewCounter(prometheus.CounterOpts{Name: "iamref_tokens_created_total", Help: "Org access tokens created."}),
		remoteChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "iamref_remote_changes_total",
			Help: "Changes committed by other replicas (or missed while listening was down) that emptied this server's caches."}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.decisions, m.auditQueued, m.auditFailed, m.tokens, m.remoteChanges} {
		reg.MustRegister(c)
	}
	// The default process and Go collectors, unless the caller registered them already.
	_ = reg.Register(collectors.NewGoCollector())
	_ = reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) decision(d authz.Decision) {
	m.decisions.WithLabelValues(d.String()).Inc()
}

// decisionsMade counts a request's decisions at once (a batch access check: one label lookup
// per result instead of one per check).
func (m *metrics) decisionsMade(allowed, denied int) {
	if allowed > 0 {
		m.decisions.WithLabelValues(authz.Allowed.String()).Add(float64(allowed))
	}
	if denied > 0 {
		m.decisions.WithLabelValues(authz.Denied.String()).Add(float64(denied))
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *call) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}
