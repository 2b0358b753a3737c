package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// TestIdempotentCreate: the same Idempotency-Key replays the first outcome; a different body
// under the key is a 422; keys are per caller; failures are not remembered.
func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	h := start(t)
	body := apitype.CreateOrgTokenRequest{Name: "ci", Description: "deploys"}
	var first, second apitype.CreateTokenResponse
	r1 := h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), body, "Idempotency-Key", "key-1")
	r1.decode(t, &first)
	r2 := h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), body, "Idempotency-Key", "key-1")
	r2.decode(t, &second)
	if first.ID == "" || first != second {
		t.Fatalf("replay = %+v, want %+v", second, first)
	}
	if r1.header.Get("Idempotent-Replayed") != "" || r2.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed headers: first %q, replay %q", r1.header.Get("Idempotent-Replayed"), r2.header.Get("Idempotent-Replayed"))
	}
	count := func(name string) int {
		n := 0
		for _, tok := range h.tokens("all") {
			if tok.Name == name {
				n++
			}
		}
		return n
	}
	if n := count("ci"); n != 1 {
		t.Fatalf("%d tokens named ci, want 1", n)
	}
	h.must(200, "GET", "/api/user", second.TokenValue, nil) // the replayed value works

	// Same key, different request.
	r := h.must(422, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "ci-other"}, "Idempotency-Key", "key-1")
	r.errorBody(t)
	// The same key on another route is another request too.
	h.must(422, "POST", "/api/stacks/acme/p", h.admin(), apitype.CreateStackRequest{StackName: "s0"}, "Idempotency-Key", "key-1")

	// Another caller with the same key is independent of the first.
	_, other := h.token("other-admin", h.builtin("admin"))
	var theirs apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", other, apitype.CreateOrgTokenRequest{Name: "theirs"}, "Idempotency-Key", "key-1").decode(t, &theirs)
	if theirs.ID == first.ID {
		t.Fatal("another caller's key replayed the first caller's create")
	}
	// …and the same body under the same key by another caller is a new create (here: a name clash).
	h.must(409, "POST", "/api/orgs/acme/tokens", other, body, "Idempotency-Key", "key-1b")

	// A failed create is not remembered: after the cause is removed the same request succeeds.
	blocker := h.grantRole("taken", authz.GrantSpec{Scopes: []string{"tags:read"}})
	req := apitype.CreateRoleRequest{Name: "taken", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:list"}})}
	h.must(409, "POST", "/api/orgs/acme/roles", h.admin(), req, "Idempotency-Key", "role-1")
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+blocker.ID, h.admin(), nil)
	var made, again apitype.Role
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), req, "Idempotency-Key", "role-1").decode(t, &made)
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), req, "Idempotency-Key", "role-1").decode(t, &again)
	if made.ID == blocker.ID || made.ID != again.ID || again.Version != 1 {
		t.Errorf("role replay: made %s, again %s (v%d)", made.ID, again.ID, again.Version)
	}
	// Without a key every POST is a new create.
	h.must(200, "POST", "/api/stacks/acme/p", h.admin(), apitype.CreateStackRequest{StackName: "s"})
	h.must(409, "POST", "/api/stacks/acme/p", h.admin(), apitype.CreateStackRequest{StackName: "s"})
}

// TestIdempotentCreateConcurrent: simultaneous retries with one key create one token.
func TestIdempotentCreateConcurrent(t *testing.T) {
	t.Parallel()
	h := start(t)
	body := apitype.CreateOrgTokenRequest{Name: "racer"}
	const n = 12
	results := make([]apitype.CreateTokenResponse, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := h.do("POST", "/api/orgs/acme/tokens", h.admin(), body, "Idempotency-Key", "same")
			statuses[i] = r.status
			if r.status == 200 {
				r.decode(t, &results[i])
			}
		})
	}
	wg.Wait()
	for i := range n {
		if statuses[i] != 200 || results[i] != results[0] {
			t.Errorf("request %d: %d %+v, want 200 %+v", i, statuses[i], results[i], results[0])
		}
	}
	if toks := h.tokens("all"); len(toks) != 2 { // admin and racer
		t.Errorf("%d tokens, want 2: %+v", len(toks), toks)
	}
}

// TestIdempotencyKeyAfterWindow: within 24 hours a key replays its first outcome (even if the
// object has since been deleted); after that the key starts afresh, and the new outcome is the
// one its retries replay.
func TestIdempotencyKeyAfterWindow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now})
	body := apitype.CreateStackRequest{StackName: "s"}
	var first, replay, fresh, retry apitype.Stack
	h.must(200, "POST", "/api/stacks/acme/p", h.admin(), body, "Idempotency-Key", "k").decode(t, &first)
	h.must(204, "DELETE", "/api/stacks/acme/p/s", h.admin(), nil)
	clk.Advance(23 * time.Hour)
	h.must(200, "POST", "/api/stacks/acme/p", h.admin(), body, "Idempotency-Key", "k").decode(t, &replay)
	if replay.ID != first.ID {
		t.Fatalf("within the window: %s, want the replayed %s", replay.ID, first.ID)
	}
	h.must(404, "GET", "/api/stacks/acme/p/s", h.admin(), nil) // a replay creates nothing

	clk.Advance(2 * time.Hour)
	h.must(200, "POST", "/api/stacks/acme/p", h.admin(), body, "Idempotency-Key", "k").decode(t, &fresh)
	if fresh.ID == first.ID {
		t.Fatal("after the window the key still replays")
	}
	r := h.do("POST", "/api/stacks/acme/p", h.admin(), body, "Idempotency-Key", "k")
	if r.status != 200 {
		t.Fatalf("retry of the fresh create: %s, want 200 (a replay)", r)
	}
	r.decode(t, &retry)
	if retry.ID != fresh.ID || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry of the fresh create = %s (replayed %q), want %s", retry.ID, r.header.Get("Idempotent-Replayed"), fresh.ID)
	}
}

// answerLost fails every PutIdempotent: the process "dies" between committing a create and
// storing its answer.
type answerLost struct{ store.Store }

func (answerLost) PutIdempotent(context.Context, store.Idempotent) (store.Idempotent, bool, error) {
	return store.Idempotent{}, false, errors.New("killed before the answer was stored")
}

// TestIdempotentAnswerLost: the key is reserved with the create itself, so when the answer is
// never stored (a crash right after the commit), a retry with the key is not carried out a
// second time (a personal token, which has no unique name, would be duplicated): it waits for
// the answer, then gets a 409 saying the create happened and its answer is lost.
func TestIdempotentAnswerLost(t *testing.T) {
	t.Parallel()
	var inner store.Store
	h := start(t, testserver.Options{WrapStore: func(st store.Store) store.Store { inner = st; return answerLost{st} }})
	h.must(200, "POST", "/api/orgs/acme/members/u", h.admin(), apitype.AddMemberRequest{Role: "member"})
	body := apitype.CreatePersonalTokenRequest{Description: "laptop"}
	h.must(200, "POST", "/api/orgs/acme/members/u/tokens", h.admin(), body, "Idempotency-Key", "lost-1")
	start := time.Now()
	r := h.must(409, "POST", "/api/orgs/acme/members/u/tokens", h.admin(), body, "Idempotency-Key", "lost-1")
	if msg := r.errorBody(t).Message; !strings.Contains(msg, "carried out") || !strings.Contains(msg, "lost") {
		t.Errorf("retry after a lost answer: %q, want a message saying it was carried out and its answer lost", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("retry took %v", d)
	}
	m, err := inner.GetMember(context.Background(), "acme", "u")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := inner.ListUserTokens(context.Background(), "acme", m.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 {
		t.Errorf("%d personal tokens after the retry, want 1 (the create is not carried out twice)", len(toks))
	}
}
