package replicas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// worker is one client of the kill test: it writes through replica A until A is gone, then
// retries (same Idempotency-Key, same expected version) and carries on through replica B.
type worker struct {
	i          int
	a, b       *client.Client
	failedOver bool
	role       *apitype.Role // the role this worker updates and assigns
	version    int

	tokens      map[string]string // acknowledged token creates: name → ID
	lateTokens  []string          // creates carried out by A whose answer was lost with A (B: 409, not run again)
	updates     int               // acknowledged role updates
	lastDesc    string
	teams       []string // acknowledged team creates
	assignments []string // teams that acknowledged holding role
	ops         int
}

// answerLost reports the 409 of a create retried with its Idempotency-Key after the replica
// that carried it out died before storing the answer: the create is not run a second time.
func answerLost(err error) bool {
	return client.IsConflict(err) && strings.Contains(err.Error(), "its answer was lost")
}

// call runs fn on the current replica and, if that replica is gone (no answer, or a 5xx),
// once more on replica B: the retry a client makes against the surviving replica.
func (w *worker) call(fn func(*client.Client) error) error {
	if !w.failedOver {
		err := fn(w.a)
		var ae *client.APIError
		if err == nil || (errors.As(err, &ae) && ae.StatusCode < 500) {
			return err
		}
		w.failedOver = true
	}
	return fn(w.b)
}

func (w *worker) step(t *testing.T, n int) error {
	ctx := client.WithIdempotencyKey(context.Background(), fmt.Sprintf("00000000-0000-4000-8000-%04d%08d", w.i, n))
	w.ops++
	switch n % 3 {
	case 0: // token create
		name := fmt.Sprintf("w%d-t%d", w.i, n)
		var id string
		err := w.call(func(c *client.Client) error {
			tok, err := c.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: name, RoleID: w.role.ID})
			if err == nil {
				id = tok.ID
			}
			return err
		})
		switch {
		case err == nil:
			w.tokens[name] = id
		case answerLost(err) && w.failedOver:
			w.lateTokens = append(w.lateTokens, name)
		default:
			return fmt.Errorf("create token %s: %w", name, err)
		}
	case 1: // role update, compare-and-swap on the version
		desc := fmt.Sprintf("w%d-u%d", w.i, n)
		v := w.version
		err := w.call(func(c *client.Client) error {
			r, err := c.UpdateRole(ctx, org, w.role.ID, apitype.UpdateRoleRequest{Description: &desc, Version: &v})
			if err == nil {
				w.version = r.Version
				return nil
			}
			if client.IsConflict(err) {
				// The first attempt may have been applied before A died: read what is stored.
				r, gerr := c.GetRole(context.Background(), org, w.role.ID)
				if gerr == nil && r.Description == desc && r.Version == v+1 {
					w.version = r.Version
					return nil
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("update role: %w", err)
		}
		w.updates++
		w.lastDesc = desc
	case 2: // team create, then a role assignment
		team := fmt.Sprintf("w%d-team%d", w.i, n)
		err := w.call(func(c *client.Client) error {
			_, err := c.CreateTeam(ctx, org, apitype.CreateTeamRequest{Name: team})
			return err
		})
		if err != nil && !(answerLost(err) && w.failedOver) {
			return fmt.Errorf("create team %s: %w", team, err)
		}
		if err == nil {
			w.teams = append(w.teams, team)
		}
		if err := w.call(func(c *client.Client) error { return c.AddTeamRole(context.Background(), org, team, w.role.ID) }); err != nil {
			return fmt.Errorf("assign role to %s: %w", team, err)
		}
		w.assignments = append(w.assignments, team)
	}
	return nil
}

// TestKillReplicaUnderLoad kills replica A with SIGKILL while 4 clients create tokens, update
// roles (compare-and-swap) and create teams and assign roles through it; the clients retry on
// replica B with the same Idempotency-Key. Afterwards every acknowledged write is stored
// exactly once, with its audit record.
func TestKillReplicaUnderLoad(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	ctx := context.Background()
	roles, err := a.Client.ListRoles(ctx, org, "role")
	if err != nil {
		t.Fatal(err)
	}
	var adminRole string
	for _, r := range roles {
		if r.DefaultIdentifier == "admin" {
			adminRole = r.ID
		}
	}
	if adminRole == "" {
		t.Fatal("no built-in admin role")
	}
	const workers = 4
	ws := make([]*worker, workers)
	for i := range ws {
		tok, err := a.Client.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: fmt.Sprint("worker-", i), RoleID: adminRole})
		if err != nil {
			t.Fatal(err)
		}
		cfg := func(url string) *client.Client {
			cl, err := client.New(client.Config{BaseURL: url, Token: tok.TokenValue, RetryMax: 2,
				RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return cl
		}
		role := createRole(t, a.Client, fmt.Sprint("worker-role-", i), "role:read")
		ws[i] = &worker{i: i, a: cfg(a.URL), b: cfg(b.URL), role: role, version: role.Version, tokens: map[string]string{}}
	}

	stop := make(chan struct{})
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := w.step(t, n); err != nil {
					errs[w.i] = err
					return
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	a.Kill()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}

	audit := listAudit(t, b.Client)
	tokenNamesB := map[string]string{}
	toks, err := b.Client.ListTokens(ctx, org, "all")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if _, dup := tokenNamesB[tk.Name]; dup {
			t.Errorf("two tokens named %s", tk.Name)
		}
		tokenNamesB[tk.Name] = tk.ID
	}
	teamsB := map[string]bool{}
	teams, err := b.Client.ListTeams(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		teamsB[tm.Name] = true
	}
	var acked, late, ops int
	for _, w := range ws {
		if !w.failedOver {
			t.Errorf("worker %d never failed over to B", w.i)
		}
		ops += w.ops
		acked += len(w.tokens) + w.updates + len(w.teams) + len(w.assignments)
		late += len(w.lateTokens)
		// Tokens: each acknowledged create stored once, under the acknowledged ID; nothing else.
		prefix := fmt.Sprintf("w%d-t", w.i)
		stored := 0
		for name := range tokenNamesB {
			if strings.HasPrefix(name, prefix) {
				stored++
			}
		}
		for name, id := range w.tokens {
			if got, ok := tokenNamesB[name]; !ok || got != id {
				t.Errorf("acknowledged token %s (%s): stored as %q", name, id, got)
			}
		}
		for _, name := range w.lateTokens {
			if _, ok := tokenNamesB[name]; !ok {
				t.Errorf("token %s, carried out by A according to B, is not stored", name)
			}
		}
		if want := len(w.tokens) + len(w.lateTokens); stored != want {
			t.Errorf("worker %d: %d tokens stored, want %d (acknowledged or already there)", w.i, stored, want)
		}
		// Role: one version per acknowledged update, the last one's description.
		r, err := b.Client.GetRole(ctx, org, w.role.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != w.role.Version+w.updates || (w.updates > 0 && r.Description != w.lastDesc) {
			t.Errorf("worker %d's role: version %d %q, want %d %q", w.i, r.Version, r.Description, w.role.Version+w.updates, w.lastDesc)
		}
		// Teams and assignments.
		for _, tm := range w.teams {
			if !teamsB[tm] {
				t.Errorf("acknowledged team %s is missing", tm)
			}
		}
		for _, tm := range w.assignments {
			rs, err := b.Client.ListTeamRoles(ctx, org, tm)
			if err != nil || len(rs) != 1 || rs[0].ID != w.role.ID {
				t.Errorf("team %s: roles %v, %v; want the acknowledged assignment of %s", tm, rs, err, w.role.ID)
			}
		}
		// Audit: a committed record for every acknowledged mutation.
		worker := fmt.Sprint("worker-", w.i)
		count := func(action, pathPart string) int {
			n := 0
			for _, e := range audit {
				if e.TokenName == worker && e.Action == action && e.Status < 300 && e.Decision == "allow" && strings.Contains(e.Description, pathPart) {
					n++
				}
			}
			return n
		}
		if n := count("org_token:create", "/tokens"); n < len(w.tokens) {
			t.Errorf("worker %d: %d audit records of token creates, want at least %d", w.i, n, len(w.tokens))
		}
		if n := count("role:update", "/roles/"+w.role.ID); n < w.updates {
			t.Errorf("worker %d: %d audit records of role updates, want at least %d", w.i, n, w.updates)
		}
		for _, tm := range w.teams {
			if !hasEntity(audit, worker, "team:create", "team", tm) {
				t.Errorf("no audit record of the acknowledged create of team %s", tm)
			}
		}
		for _, tm := range w.assignments {
			if !hasEntity(audit, worker, "team:update", "team", tm) {
				t.Errorf("no audit record of the acknowledged assignment to team %s", tm)
			}
		}
	}
	t.Logf("kill -9 of replica A 1.5 s into the load (1.5 s more on B): %d operations, %d acknowledged writes all stored once with their audit records; %d creates carried out by A whose answer died with it (B answered 409, not a second create)", ops, acked, late)
	if acked < 20 {
		t.Errorf("only %d writes acknowledged: the load did not run", acked)
	}
}

func hasEntity(audit []apitype.AuditLogEvent, tokenName, action, kind, name string) bool {
	for _, e := range audit {
		if e.TokenName == tokenName && e.Action == action && e.Status < 300 && e.Entity != nil && e.Entity.Kind == kind && e.Entity.Name == name {
			return true
		}
	}
	return false
}

// listAudit reads the org's whole audit log.
func listAudit(t *testing.T, c *client.Client) []apitype.AuditLogEvent {
	t.Helper()
	var out []apitype.AuditLogEvent
	next := ""
	for {
		page, err := c.ListAuditLogs(context.Background(), org, next)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.AuditLogEvents...)
		if page.ContinuationToken == "" {
			return out
		}
		next = page.ContinuationToken
	}
}

// TestDatabaseRestart stops PostgreSQL for about 1.5 s under a replica serving 4 clients that
// create tokens (each with an Idempotency-Key, retrying on 503 as the client does): requests
// fail fast with 503 and a message saying the database is unavailable, /healthz says so; once
// PostgreSQL is back, the replica serves again without a restart, every client's creates go
// through, and every acknowledged token is stored exactly once.
func TestDatabaseRestart(t *testing.T) {
	c := startCluster(t, 1)
	a := c.replicas[0]
	ctx := context.Background()
	const workers = 4
	stop := make(chan struct{})
	acked := make([][]string, workers)
	lost := make([][]string, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		cl, err := client.New(client.Config{BaseURL: a.URL, Token: testserver.AdminToken, RetryMax: 40,
			RetryWaitMin: 50 * time.Millisecond, RetryWaitMax: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("r%d-%d", i, n)
				kctx := client.WithIdempotencyKey(ctx, fmt.Sprintf("7c9e6679-0000-4000-8000-%04d%08d", i, n))
				_, err := cl.CreateToken(kctx, org, apitype.CreateOrgTokenRequest{Name: name, Admin: true})
				switch {
				case err == nil:
					acked[i] = append(acked[i], name)
				case answerLost(err):
					lost[i] = append(lost[i], name) // committed, answer lost with the connection
				default:
					errs[i] = fmt.Errorf("create %s: %w", name, err)
					return
				}
			}
		})
	}
	time.Sleep(time.Second)
	if err := c.pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// A write and a read with a token the server has not cached: both need the database.
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/orgs/acme/tokens", apitype.CreateOrgTokenRequest{Name: "during", Admin: true}},
		{"GET", "/api/orgs/acme/tokens", nil},
	} {
		start := time.Now()
		st, body := status(t, req.method, a.URL+req.path, testserver.AdminToken, req.body)
		took := time.Since(start)
		if st != http.StatusServiceUnavailable || !strings.Contains(string(body), "database") {
			t.Errorf("%s %s with the database down: %d %s, want 503 naming the database", req.method, req.path, st, body)
		}
		if took > time.Second {
			t.Errorf("%s %s with the database down took %v, want fast", req.method, req.path, took)
		}
		t.Logf("%s %s with the database down: %d in %v: %s", req.method, req.path, st, took.Round(time.Microsecond), strings.TrimSpace(string(body)))
	}
	if st, _ := status(t, "GET", a.URL+"/healthz", "", nil); st != http.StatusServiceUnavailable {
		t.Errorf("/healthz with the database down: %d, want 503", st)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := c.pg.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d did not recover: %v", i, err)
		}
	}
	if st, _ := status(t, "GET", a.URL+"/healthz", "", nil); st != http.StatusOK {
		t.Errorf("/healthz after the restart: %d, want 200", st)
	}
	stored := map[string]int{}
	for _, name := range tokenNames(t, a.Client, "r") {
		stored[name]++
	}
	total, lostN := 0, 0
	for i := range workers {
		for _, name := range acked[i] {
			if stored[name] != 1 {
				t.Errorf("acknowledged token %s stored %d times, want once", name, stored[name])
			}
		}
		for _, name := range lost[i] {
			if stored[name] != 1 {
				t.Errorf("token %s, carried out according to the server, stored %d times", name, stored[name])
			}
		}
		total += len(acked[i])
		lostN += len(lost[i])
	}
	if len(stored) != total+lostN {
		t.Errorf("%d tokens stored, want %d (acknowledged) + %d (answer lost)", len(stored), total, lostN)
	}
	t.Logf("PostgreSQL stopped 1 s into the load for 1.5 s: %d creates acknowledged, each stored once; %d answers lost with the connection (409, not repeated)", total, lostN)
	if total < 20 {
		t.Errorf("only %d creates acknowledged: the load did not run", total)
	}
}
