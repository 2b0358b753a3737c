package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/iamref/iam/authz"
)

// TestHealthAndMetrics: /healthz answers 200 with no token; /metrics exposes request counts by
// route and authorization decisions by result.
func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	h := start(t)
	r := h.must(200, "GET", "/healthz", "", nil)
	if !strings.Contains(string(r.body), `"ok"`) {
		t.Errorf("healthz body %s", r.body)
	}
	if err := h.ts.Client.Healthz(ctx(t)); err != nil {
		t.Errorf("client Healthz: %v", err)
	}
	h.stack("p", "s", nil)
	_, weak := h.scopedToken("weak", authz.GrantSpec{Scopes: []string{"tags:read"}})
	h.must(403, "GET", "/api/stacks/acme/p/s", weak, nil)
	h.must(401, "GET", "/api/stacks/acme/p/s", "", nil)

	m := string(h.must(200, "GET", "/metrics", "", nil).body)
	for _, re := range []string{
		`(?m)^iamref_http_requests_total\{code="200",route="GET /healthz"\} [1-9]`,
		`(?m)^iamref_http_requests_total\{code="403",route="GET /api/stacks/\{org\}/\{project\}/\{stack\}"\} 1$`,
		`(?m)^iamref_http_requests_total\{code="401",route="GET /api/stacks/\{org\}/\{project\}/\{stack\}"\} 1$`,
		`(?m)^iamref_authz_decisions_total\{decision="allow"\} [1-9]`,
		`(?m)^iamref_authz_decisions_total\{decision="deny"\} [1-9]`,
		`(?m)^iamref_tokens_created_total 1$`,
		`(?m)^# TYPE iamref_http_request_duration_seconds histogram$`,
	} {
		if !regexp.MustCompile(re).MatchString(m) {
			t.Errorf("metrics do not match %s", re)
		}
	}
	if tokenRE.MatchString(m) {
		t.Error("metrics expose a token value")
	}
}
