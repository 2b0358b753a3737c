package client

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
)

// TestTokenNeverLogged captures everything the client logs at debug level across retries, API
// errors and connection errors, and checks that the token value never appears.
func TestTokenNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The server echoes the Authorization header back in headers and bodies, as a buggy or
	// hostile server might.
	rec := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":503,"message":"unavailable for ` + r.Header.Get("Authorization") + `"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":400,"message":"bad"}`))
	})
	c := newTestClient(t, rec, func(cfg *Config) { cfg.Logger = logger })
	_, err := c.CreateToken(context.Background(), "acme", apitype.CreateOrgTokenRequest{Name: "ci"})
	if StatusCode(err) != http.StatusBadRequest {
		t.Fatalf("error = %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c2, err := New(Config{BaseURL: "http://" + addr, Token: testToken, RetryMax: 1, RetryWaitMin: time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.GetCurrentUser(context.Background()); err == nil {
		t.Fatal("expected a connection error")
	}

	out := buf.String()
	for _, want := range []string{"retrying request", "request failed", "status=400", "path=/api/orgs/acme/tokens"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q; the test would prove nothing:\n%s", want, out)
		}
	}
	for _, secret := range []string{testToken, testToken[4:], "Authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestLogAdapterScrubs(t *testing.T) {
	var buf bytes.Buffer
	l := &logAdapter{logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), secret: "s3cret-value"}
	other := "pul-ffffffffffffffffffffffffffffffffffffffff"
	l.Debug("msg s3cret-value", "url", "http://h/?t=s3cret-value", "error", errors.New("bad "+other), "n", 3, "wait", time.Second, "odd")
	l.Error("e", "k", []string{"s3cret-value"})
	out := buf.String()
	if strings.Contains(out, "s3cret-value") || strings.Contains(out, other) {
		t.Errorf("secret leaked:\n%s", out)
	}
	for _, want := range []string{redacted, "n=3", "wait=1s", "!BADKEY=odd", "level=ERROR"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestNilLoggerIsSilent(t *testing.T) {
	rec := newRecorder(t, statuses(`{}`, 503, 200))
	c := newTestClient(t, rec)
	if c.http.Logger != nil {
		t.Fatalf("retryablehttp logger = %T, want nil", c.http.Logger)
	}
	if _, err := c.GetCurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
}
