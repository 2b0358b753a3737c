package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// faults sits in front of the real server. For requests that match, it either fails the first
// `drop` of them with 503 before they reach the server, or lets the first `swallow` of them
// through and replaces the server's answer with a 503 (the create happened; the client saw a
// failure). It records the Idempotency-Key of every matching request.
type faults struct {
	match          func(*http.Request) bool
	drop, swallow  int
	mu             sync.Mutex
	seen           int
	keys           []string
	swallowedBody  []string
	swallowedCodes []int
}

func (f *faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.match == nil || !f.match(r) {
			next.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		f.seen++
		n := f.seen
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		f.mu.Unlock()
		switch {
		case n <= f.drop:
			http.Error(w, `{"code":503,"message":"injected: unavailable"}`, http.StatusServiceUnavailable)
		case n <= f.drop+f.swallow:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			f.mu.Lock()
			f.swallowedCodes = append(f.swallowedCodes, rec.Code)
			f.swallowedBody = append(f.swallowedBody, rec.Body.String())
			f.mu.Unlock()
			http.Error(w, `{"code":503,"message":"injected: lost the answer"}`, http.StatusServiceUnavailable)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (f *faults) snapshot() (seen int, keys []string, codes []int, bodies []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen, append([]string(nil), f.keys...), append([]int(nil), f.swallowedCodes...), append([]string(nil), f.swallowedBody...)
}

func isCreate(path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Path == path }
}

func startWith(t *testing.T, f *faults) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Wrap: f.wrap})
}

func countTokens(t *testing.T, s *testserver.Server, name string) int {
	t.Helper()
	toks, err := s.Client.ListTokens(context.Background(), s.Org, apitype.TokenFilterAll)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tok := range toks {
		if tok.Name == name {
			n++
		}
	}
	return n
}

func sameKeys(t *testing.T, keys []string) {
	t.Helper()
	if len(keys) == 0 || keys[0] == "" {
		t.Fatalf("creates carried no Idempotency-Key: %q", keys)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("retries of one create used different keys: %q", keys)
		}
	}
}

// TestCreateRetriedAfterLostAnswerMakesOneToken is the hard case: the server created the
// token but the client saw a 503, retried with the same Idempotency-Key, and got the original
// token back rather than a second one (or a name conflict).
func TestCreateRetriedAfterLostAnswerMakesOneToken(t *testing.T) {
	t.Parallel()
	f := &faults{match: isCreate("/api/orgs/acme/tokens"), swallow: 2}
	s := startWith(t, f)
	out, err := s.Client.CreateToken(context.Background(), s.Org, apitype.CreateOrgTokenRequest{Name: "deployer"})
	if err != nil {
		t.Fatalf("CreateToken through two lost answers: %v", err)
	}
	seen, keys, codes, bodies := f.snapshot()
	if seen != 3 {
		t.Fatalf("server saw %d create attempts, want 3", seen)
	}
	sameKeys(t, keys)
	if codes[0] != http.StatusOK || !strings.Contains(bodies[0], out.ID) || !strings.Contains(bodies[0], out.TokenValue) {
		t.Fatalf("the first (lost) answer was %d %s; the client got %+v", codes[0], bodies[0], out)
	}
	if n := countTokens(t, s, "deployer"); n != 1 {
		t.Fatalf("%d tokens named deployer, want exactly 1", n)
	}
	if _, err := s.NewClient(t, out.TokenValue).GetCurrentUser(context.Background()); err != nil {
		t.Errorf("the returned token does not work: %v", err)
	}
}

// TestCreateRetriedAfter503MakesOneToken: the first attempts never reach the server.
func TestCreateRetriedAfter503MakesOneToken(t *testing.T) {
	t.Parallel()
	f := &faults{match: isCreate("/api/orgs/acme/tokens"), drop: 3}
	s := startWith(t, f)
	out, err := s.Client.CreateToken(context.Background(), s.Org, apitype.CreateOrgTokenRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	seen, keys, _, _ := f.snapshot()
	if seen != 4 {
		t.Errorf("server saw %d attempts, want 4", seen)
	}
	sameKeys(t, keys)
	if n := countTokens(t, s, "ci"); n != 1 || out.ID == "" {
		t.Errorf("%d tokens named ci (id %q), want 1", n, out.ID)
	}
}

// TestRoleCreateRetriedAfterLostAnswer: the same holds for roles.
func TestRoleCreateRetriedAfterLostAnswer(t *testing.T) {
	t.Parallel()
	f := &faults{match: isCreate("/api/orgs/acme/roles"), swallow: 1}
	s := startWith(t, f)
	details := []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:list"]}`)
	role, err := s.Client.CreateRole(context.Background(), s.Org, apitype.CreateRoleRequest{Name: "ops", Details: details})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := s.Client.ListRoles(context.Background(), s.Org, apitype.UXPurposeRole)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range roles {
		if r.Name == "ops" {
			n++
			if r.ID != role.ID {
				t.Errorf("listed ops %s, client got %s", r.ID, role.ID)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d roles named ops, want 1", n)
	}
}

// TestRetryWithoutKeyWouldDuplicate shows that the fault injection above is real: a POST sent
// through Do without an Idempotency-Key is retried too, and its retry runs the create again
// (here it hits the name the lost first attempt took).
func TestRetryWithoutKeyWouldDuplicate(t *testing.T) {
	t.Parallel()
	f := &faults{match: isCreate("/api/orgs/acme/tokens"), swallow: 1}
	s := startWith(t, f)
	var out apitype.CreateTokenResponse
	err := s.Client.Do(context.Background(), http.MethodPost, "/api/orgs/acme/tokens", apitype.CreateOrgTokenRequest{Name: "dup"}, &out)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict {
		t.Fatalf("keyless retry after a lost answer: %v, want a 409 name conflict", err)
	}
	if _, keys, _, _ := f.snapshot(); keys[0] != "" {
		t.Errorf("Do sent an Idempotency-Key without being asked: %q", keys)
	}
}

// TestCallerKeyAcrossCalls: WithIdempotencyKey makes separate calls (as after a process
// restart) return the same token; a different body under that key is refused with 422.
func TestCallerKeyAcrossCalls(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t)
	c := client.WithIdempotencyKey(context.Background(), "deploy-2026-11-28")
	a, err := s.Client.CreateToken(c, s.Org, apitype.CreateOrgTokenRequest{Name: "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.NewClient(t, s.AdminToken).CreateToken(c, s.Org, apitype.CreateOrgTokenRequest{Name: "nightly"})
	if err != nil || *a != *b {
		t.Fatalf("second call: %+v, %v; first %+v", b, err, a)
	}
	_, err = s.Client.CreateToken(c, s.Org, apitype.CreateOrgTokenRequest{Name: "nightly-2"})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("same key, other body: %v, want 422", err)
	}
	if n := countTokens(t, s, "nightly"); n != 1 {
		t.Errorf("%d tokens named nightly", n)
	}
}

// TestRetryGivesUpWithAPIError: when every attempt fails the client reports the last 503 as an
// APIError after its retries, and has created nothing.
func TestRetryGivesUpWithAPIError(t *testing.T) {
	t.Parallel()
	f := &faults{match: isCreate("/api/orgs/acme/tokens"), drop: 100}
	s := startWith(t, f)
	start := time.Now()
	_, err := s.Client.CreateToken(context.Background(), s.Org, apitype.CreateOrgTokenRequest{Name: "never"})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want a 503 APIError", err)
	}
	if seen, _, _, _ := f.snapshot(); seen != 1+client.DefaultRetryMax {
		t.Errorf("%d attempts, want %d", seen, 1+client.DefaultRetryMax)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("gave up after %v", time.Since(start))
	}
	if n := countTokens(t, s, "never"); n != 0 {
		t.Errorf("%d tokens named never", n)
	}
}
