package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// Only the server's answer that the record itself does not exist is "not found"; an unknown
// organization and a path no route matches (an API URL ending in /api) are 404s too, but not
// that answer.
func TestRecordNotFoundOnlyForTheRecord(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t)
	ctx := context.Background()
	const missing = "00000000-0000-0000-0000-00000000abcd"

	_, err := s.Client.GetRole(ctx, s.Org, missing)
	if !client.IsRecordNotFound(err, "role") || client.NotFoundResource(err) != "role" {
		t.Errorf("missing role: %v (resource %q)", err, client.NotFoundResource(err))
	}
	_, err = s.Client.GetStack(ctx, s.Org, "myapp", "nope")
	if !client.IsRecordNotFound(err, "stack") || client.IsRecordNotFound(err, "role") {
		t.Errorf("missing stack: %v (resource %q)", err, client.NotFoundResource(err))
	}

	_, err = s.Client.GetRole(ctx, "globex", missing)
	if !client.IsNotFound(err) || client.IsRecordNotFound(err, "role") || client.NotFoundResource(err) != "organization" {
		t.Errorf("unknown org: %v (resource %q)", err, client.NotFoundResource(err))
	}

	withAPI, err := client.New(client.Config{BaseURL: s.URL + "/api", Token: s.AdminToken})
	if err != nil {
		t.Fatal(err)
	}
	_, err = withAPI.GetRole(ctx, s.Org, missing)
	if !client.IsNotFound(err) || client.IsRecordNotFound(err, "role") || client.NotFoundResource(err) != "" {
		t.Errorf("no route: %v (resource %q)", err, client.NotFoundResource(err))
	}
	if !strings.Contains(err.Error(), "no route for GET /api/api/orgs/") {
		t.Errorf("no route: %v", err)
	}
}

// A server that accepts connections and never answers fails a call after the request timeout
// of each attempt, with a message that names the server.
func TestNoAnswerRequestTimeout(t *testing.T) {
	t.Parallel()
	url := testserver.Silent(t)
	c, err := client.New(client.Config{BaseURL: url, Token: testserver.AdminToken, RequestTimeout: 200 * time.Millisecond,
		RetryMax: 1, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.GetRole(context.Background(), "acme", "r")
	elapsed := time.Since(start)
	var te *client.TransportError
	if !errors.As(err, &te) || !te.TimedOut() || te.Attempts != 2 {
		t.Fatalf("err = %#v", err)
	}
	for _, want := range []string{"GET /api/orgs/acme/roles/r", "no answer from " + url, "within 200ms (the request timeout)", "2 attempt(s)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if elapsed < 400*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("gave up after %v, want about 2×200ms", elapsed)
	}
	if strings.Contains(err.Error(), testserver.AdminToken) {
		t.Error("the error holds the token")
	}
	t.Logf("gave up after %v: %v", elapsed.Round(time.Millisecond), err)
}

// The retry budget bounds a call whatever the per-attempt timeout and retry count.
func TestNoAnswerRetryBudget(t *testing.T) {
	t.Parallel()
	url := testserver.Silent(t)
	c, err := client.New(client.Config{BaseURL: url, Token: testserver.AdminToken, RetryBudget: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.ListStacks(context.Background(), "acme", "")
	elapsed := time.Since(start)
	var te *client.TransportError
	if !errors.As(err, &te) || !te.TimedOut() {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "no answer from "+url+" within 300ms (the retry budget") {
		t.Errorf("message: %v", err)
	}
	if elapsed > 2*time.Second {
		t.Errorf("gave up after %v, want about 300ms", elapsed)
	}
}
