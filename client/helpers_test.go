package client

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testToken = "pul-0123456789abcdef0123456789abcdef01234567"

// request is what the test server saw.
type request struct {
	Method  string
	Path    string // escaped path, as sent on the wire
	Query   string
	Header  http.Header
	Body    string
	Attempt int // 1-based, across all requests to the server
}

// recorder is an httptest server that records requests and answers with respond.
type recorder struct {
	mu   sync.Mutex
	reqs []request
	srv  *httptest.Server
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// newRecorder starts a server; respond gets the 1-based request number.
func newRecorder(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.reqs) + 1
		rec.reqs = append(rec.reqs, request{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: string(body), Attempt: n,
		})
		rec.mu.Unlock()
		respond(n, w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

// newTestClient returns a client of rec's server with millisecond retry waits.
func newTestClient(t *testing.T, rec *recorder, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: rec.srv.URL, Token: testToken, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// statuses answers the i-th request with codes[i] (the last one repeats); 2xx answers carry body.
func statuses(body string, codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		code := codes[min(n, len(codes))-1]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code >= 200 && code < 300 {
			_, _ = io.WriteString(w, body)
		} else {
			_, _ = io.WriteString(w, `{"code":`+itoa(code)+`,"message":"status `+itoa(code)+`"}`)
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
