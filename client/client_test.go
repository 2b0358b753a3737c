package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
)

func TestNewValidatesBaseURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"https://iam.example.com/", true},
		{"https://iam.example.com/prefix", true},
		{"", false},
		{"127.0.0.1:8080", false},
		{"localhost", false},
		{"/api", false},
		{"ftp://host", false},
		{"http://", false},
		{"http://host?x=1", false},
		{"http://host/%zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := New(Config{BaseURL: tt.url})
			if (err == nil) != tt.ok {
				t.Fatalf("New(%q) error = %v, want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "BaseURL") {
				t.Errorf("error %q does not name the setting", err)
			}
		})
	}
}

func TestBaseURLPrefixKept(t *testing.T) {
	rec := newRecorder(t, statuses(`{}`, 200))
	c := newTestClient(t, rec, func(cfg *Config) { cfg.BaseURL = rec.srv.URL + "/iam/" })
	if _, err := c.GetCurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.requests()[0].Path; got != "/iam/api/user" {
		t.Errorf("path = %q, want /iam/api/user", got)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestHeaders(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func(*Client) error
		body        bool // Content-Type expected
		idempotency bool
	}{
		{"get", func(c *Client) error { _, err := c.GetCurrentUser(ctx); return err }, false, false},
		{"create role", func(c *Client) error {
			_, err := c.CreateRole(ctx, "acme", apitype.CreateRoleRequest{Name: "r", UXPurpose: apitype.UXPurposeRole, Details: json.RawMessage(`{}`)})
			return err
		}, true, true},
		{"create token", func(c *Client) error {
			_, err := c.CreateToken(ctx, "acme", apitype.CreateOrgTokenRequest{Name: "ci"})
			return err
		}, true, true},
		{"patch", func(c *Client) error {
			_, err := c.UpdateRole(ctx, "acme", "r1", apitype.UpdateRoleRequest{Name: new("x")})
			return err
		}, true, false},
		{"patch without body", func(c *Client) error { return c.SetDefaultRole(ctx, "acme", "r1") }, false, false},
		{"delete", func(c *Client) error { return c.DeleteToken(ctx, "acme", "t1") }, false, false},
		{"check access", func(c *Client) error {
			_, err := c.CheckAccess(ctx, "acme", apitype.AccessCheckRequest{})
			return err
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, statuses(`{"id":"x"}`, 200))
			c := newTestClient(t, rec, func(cfg *Config) { cfg.UserAgent = "test-agent/1" })
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			h := rec.requests()[0].Header
			check := func(key, want string) {
				t.Helper()
				if got := h.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			check("Authorization", "token "+testToken)
			check("Accept", "application/vnd.pulumi+8")
			check("User-Agent", "test-agent/1")
			if tt.body {
				check("Content-Type", "application/json")
			} else {
				check("Content-Type", "")
			}
			key := h.Get("Idempotency-Key")
			if tt.idempotency != (key != "") {
				t.Errorf("Idempotency-Key = %q, want present=%v", key, tt.idempotency)
			}
			if key != "" && !uuidV4.MatchString(key) {
				t.Errorf("Idempotency-Key %q is not a UUIDv4", key)
			}
		})
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	rec := newRecorder(t, statuses(``, 200))
	c := newTestClient(t, rec, func(cfg *Config) { cfg.Token = "" })
	if err := c.Healthz(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := rec.requests()[0].Header
	if _, ok := h["Authorization"]; ok {
		t.Errorf("Authorization sent without a token: %q", h.Get("Authorization"))
	}
	if got := h.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		codes      []int
		retryMax   int
		wantCalls  int
		wantStatus int // 0 = success
	}{
		{"503 then success", []int{503, 200}, 0, 2, 0},
		{"429 then success", []int{429, 200}, 0, 2, 0},
		{"500 502 504 then success", []int{500, 502, 504, 200}, 0, 4, 0},
		{"400 not retried", []int{400, 200}, 0, 1, 400},
		{"401 not retried", []int{401, 200}, 0, 1, 401},
		{"403 not retried", []int{403, 200}, 0, 1, 403},
		{"404 not retried", []int{404, 200}, 0, 1, 404},
		{"409 not retried", []int{409, 200}, 0, 1, 409},
		{"501 not retried", []int{501, 200}, 0, 1, 501},
		{"503 until retries run out", []int{503}, 2, 3, 503},
		{"default RetryMax is 4", []int{503}, 0, 5, 503},
		{"negative RetryMax disables retries", []int{503, 200}, -1, 1, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, statuses(`{"githubLogin":"acme"}`, tt.codes...))
			c := newTestClient(t, rec, func(cfg *Config) { cfg.RetryMax = tt.retryMax })
			u, err := c.GetCurrentUser(context.Background())
			if got := len(rec.requests()); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantStatus == 0 {
				if err != nil || u.GitHubLogin != "acme" {
					t.Fatalf("got %+v, %v", u, err)
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus {
				t.Fatalf("error = %v, want *APIError with status %d", err, tt.wantStatus)
			}
		})
	}
}

func TestCreateRetriesReuseIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	creates := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"role", func(ctx context.Context, c *Client) error {
			_, err := c.CreateRole(ctx, "acme", apitype.CreateRoleRequest{Name: "r", Details: json.RawMessage(`{}`)})
			return err
		}},
		{"token", func(ctx context.Context, c *Client) error {
			_, err := c.CreateToken(ctx, "acme", apitype.CreateOrgTokenRequest{Name: "ci"})
			return err
		}},
		{"stack", func(ctx context.Context, c *Client) error {
			_, err := c.CreateStack(ctx, "acme", "p", apitype.CreateStackRequest{StackName: "dev"})
			return err
		}},
		{"environment", func(ctx context.Context, c *Client) error {
			_, err := c.CreateEnvironment(ctx, "acme", apitype.CreateEnvironmentRequest{Project: "p", Name: "e"})
			return err
		}},
		{"insights account", func(ctx context.Context, c *Client) error {
			_, err := c.CreateInsightsAccount(ctx, "acme", "prod", apitype.CreateInsightsAccountRequest{Provider: "aws"})
			return err
		}},
	}
	for _, tt := range creates {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, statuses(`{"id":"x"}`, 503, 503, 200, 200))
			c := newTestClient(t, rec)
			if err := tt.call(ctx, c); err != nil {
				t.Fatal(err)
			}
			reqs := rec.requests()
			if len(reqs) != 3 {
				t.Fatalf("requests = %d, want 3", len(reqs))
			}
			key := reqs[0].Header.Get("Idempotency-Key")
			if !uuidV4.MatchString(key) {
				t.Fatalf("Idempotency-Key %q is not a UUIDv4", key)
			}
			for i, r := range reqs {
				if r.Method != http.MethodPost {
					t.Errorf("request %d: method %s", i, r.Method)
				}
				if got := r.Header.Get("Idempotency-Key"); got != key {
					t.Errorf("request %d: Idempotency-Key %q, want %q", i, got, key)
				}
				if r.Body != reqs[0].Body || r.Body == "" {
					t.Errorf("request %d: body %q differs from first %q", i, r.Body, reqs[0].Body)
				}
			}

			// A second logical call gets a new key; a caller-supplied key is used as is.
			if err := tt.call(ctx, c); err != nil {
				t.Fatal(err)
			}
			if again := rec.requests()[3].Header.Get("Idempotency-Key"); again == key || again == "" {
				t.Errorf("second call reused key %q", again)
			}
			if err := tt.call(WithIdempotencyKey(ctx, "my-key"), c); err != nil {
				t.Fatal(err)
			}
			if got := rec.requests()[4].Header.Get("Idempotency-Key"); got != "my-key" {
				t.Errorf("caller key: got %q", got)
			}
		})
	}
}

func TestDoIdempotencyKeyFromContext(t *testing.T) {
	rec := newRecorder(t, statuses(`{}`, 200))
	c := newTestClient(t, rec)
	ctx := context.Background()
	if err := c.Do(ctx, http.MethodPost, "/api/x", map[string]int{"a": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(WithIdempotencyKey(ctx, "k1"), http.MethodPost, "/api/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "" {
		t.Errorf("Do without key sent %q", got)
	}
	if got := reqs[1].Header.Get("Idempotency-Key"); got != "k1" {
		t.Errorf("Do with key sent %q", got)
	}
	if reqs[0].Body != `{"a":1}` {
		t.Errorf("body = %q", reqs[0].Body)
	}
	if err := c.Do(ctx, http.MethodGet, "api/x", nil, nil); err == nil {
		t.Error("Do accepted a relative path")
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	rec := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	// RetryWaitMax 300ms caps Retry-After at 1.2s, so the 1s asked for is honoured in full.
	c := newTestClient(t, rec, func(cfg *Config) { cfg.RetryWaitMax = 300 * time.Millisecond })
	start := time.Now()
	if _, err := c.GetCurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < time.Second || elapsed > 1900*time.Millisecond {
		t.Errorf("elapsed %v, want about 1s", elapsed)
	}
	if n := len(rec.requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	c := &Client{now: func() time.Time { return now }}
	const lo, hi = 100 * time.Millisecond, 2 * time.Second
	withRetryAfter := func(v string) *http.Response {
		return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {v}}}
	}
	tests := []struct {
		name     string
		attempt  int
		resp     *http.Response
		min, max time.Duration
	}{
		{"first retry", 0, nil, lo / 2, lo},
		{"second retry", 1, &http.Response{StatusCode: 503, Header: http.Header{}}, lo, 2 * lo},
		{"fourth retry", 3, nil, 4 * lo, 8 * lo},
		{"capped at RetryWaitMax", 10, nil, hi / 2, hi},
		{"huge attempt", 1000, nil, hi / 2, hi},
		{"Retry-After seconds", 0, withRetryAfter("3"), 3 * time.Second, 3 * time.Second},
		{"Retry-After zero", 2, withRetryAfter("0"), 0, 0},
		{"Retry-After date", 0, withRetryAfter(now.Add(5 * time.Second).Format(http.TimeFormat)), 5 * time.Second, 5 * time.Second},
		{"Retry-After date in the past", 0, withRetryAfter(now.Add(-time.Hour).Format(http.TimeFormat)), 0, 0},
		{"Retry-After capped at 4x RetryWaitMax", 0, withRetryAfter("3600"), 4 * hi, 4 * hi},
		{"Retry-After garbage ignored", 0, withRetryAfter("soon"), lo / 2, lo},
		{"Retry-After negative ignored", 0, withRetryAfter("-5"), lo / 2, lo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				got := c.backoff(lo, hi, tt.attempt, tt.resp)
				if got < tt.min || got > tt.max {
					t.Fatalf("backoff = %v, want in [%v, %v]", got, tt.min, tt.max)
				}
			}
		})
	}
}

// countingTransport counts round trips.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	tr := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := New(Config{
		BaseURL: "http://" + addr, Token: testToken, RetryMax: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		HTTPClient: &http.Client{Transport: tr},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCurrentUser(context.Background())
	if err == nil {
		t.Fatal("expected an error")
	}
	if got := tr.n.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		t.Errorf("connection error reported as APIError: %v", err)
	}
	for _, want := range []string{"GET /api/user", "giving up after 3 attempt(s)", "refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), testToken) {
		t.Error("error contains the token")
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	rec := newRecorder(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newTestClient(t, rec, func(cfg *Config) { cfg.RetryWaitMax = 10 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetCurrentUser(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v after the context ended", elapsed)
	}
}
