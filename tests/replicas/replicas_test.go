// Package replicas tests several iam-server processes (replicas) serving one organization
// from one PostgreSQL database: how fast a change made through one applies on the others,
// idempotency keys and version conflicts across replicas, and what survives a replica killed
// with SIGKILL under load and a database restart. Every test runs the real binary (bin/,
// `make build`) against a throw-away PostgreSQL (internal/testpg).
package replicas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testpg"
	"github.com/iamref/iam/internal/testserver"
)

const org = "acme"

// cluster is a PostgreSQL database and the replicas serving it.
type cluster struct {
	pg       *testpg.Server
	url      string
	dir      string
	bin      string
	args     []string // more flags of every replica
	replicas []*testserver.Server
}

// startCluster starts PostgreSQL and n replicas on one new database, one after the other (the
// first creates the org).
func startCluster(t *testing.T, n int, args ...string) *cluster {
	t.Helper()
	bin := testserver.BinaryPath(t, "iam-server")
	pg := testpg.Start(t)
	c := &cluster{pg: pg, url: pg.NewDatabase(t), dir: t.TempDir(), bin: bin, args: args}
	for range n {
		c.add(t)
	}
	return c
}

// add starts one more replica.
func (c *cluster) add(t *testing.T) *testserver.Server {
	t.Helper()
	s := testserver.StartBinaryWith(t, c.bin, c.dir, testserver.BinaryOptions{DB: c.url, Log: fmt.Sprintf("replica%d.log", len(c.replicas)), Args: c.args})
	c.replicas = append(c.replicas, s)
	return s
}

// status sends one request with token (no retries) and returns the status and body.
func status(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func allow(perms ...string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"__type": "PermissionDescriptorAllow", "permissions": perms})
	return b
}

func createRole(t *testing.T, c *client.Client, name string, perms ...string) *apitype.Role {
	t.Helper()
	r, err := c.CreateRole(context.Background(), org, apitype.CreateRoleRequest{Name: name, UXPurpose: "role", Details: allow(perms...)})
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	return r
}

// propagation changes something on replica a with change, then polls replica b every 2 ms
// until ok says b's answer reflects it, and returns how long that took (failing past limit).
func propagation(t *testing.T, what string, change func(), ok func() bool, limit time.Duration) time.Duration {
	t.Helper()
	change()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not applied on the other replica after %v", what, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// TestPropagation deletes a token, changes a role, changes a member's role and creates and
// deletes a guardrail through replica A and measures how long replica B, which had the old state cached, takes to apply each
// (the goal: within 1 s; the cache TTL is 30 s, so only the notification can make it).
func TestPropagation(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	ctx := context.Background()
	reader := createRole(t, a.Client, "reader", "role:read")
	other := createRole(t, a.Client, "other", "stack:read")
	scopes := "/api/orgs/" + org + "/roles/scopes" // needs role:read

	const rounds = 5
	var times = map[string][]time.Duration{}
	for i := range rounds {
		// A token deleted on A is refused by B.
		tok, err := a.Client.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: fmt.Sprint("del-", i), RoleID: reader.ID})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := status(t, "GET", b.URL+scopes, tok.TokenValue, nil); st != 200 {
			t.Fatalf("B before the delete: %d %s", st, body)
		}
		times["token deleted"] = append(times["token deleted"], propagation(t, "token delete",
			func() {
				if err := a.Client.DeleteToken(ctx, org, tok.ID); err != nil {
					t.Fatal(err)
				}
			},
			func() bool { st, _ := status(t, "GET", b.URL+scopes, tok.TokenValue, nil); return st == 401 }, 5*time.Second))

		// A role whose grants change on A changes B's decisions.
		role := createRole(t, a.Client, fmt.Sprint("changing-", i), "role:read")
		tok2, err := a.Client.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: fmt.Sprint("role-", i), RoleID: role.ID})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := status(t, "GET", b.URL+scopes, tok2.TokenValue, nil); st != 200 {
			t.Fatalf("B before the role change: %d %s", st, body)
		}
		times["role changed"] = append(times["role changed"], propagation(t, "role change",
			func() {
				if _, err := a.Client.UpdateRole(ctx, org, role.ID, apitype.UpdateRoleRequest{Details: allow("stack:read")}); err != nil {
					t.Fatal(err)
				}
			},
			func() bool { st, _ := status(t, "GET", b.URL+scopes, tok2.TokenValue, nil); return st == 403 }, 5*time.Second))

		// A member whose role changes on A: their personal token changes rights on B.
		login := fmt.Sprint("user", i)
		if _, err := a.Client.AddMember(ctx, org, login, apitype.AddMemberRequest{Role: "member"}); err != nil {
			t.Fatal(err)
		}
		if err := a.Client.UpdateMember(ctx, org, login, apitype.UpdateMemberRequest{FGARoleID: &reader.ID}); err != nil {
			t.Fatal(err)
		}
		pt, err := a.Client.CreateMemberToken(ctx, org, login, apitype.CreatePersonalTokenRequest{Description: "p"})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := status(t, "GET", b.URL+scopes, pt.TokenValue, nil); st != 200 {
			t.Fatalf("B before the membership change: %d %s", st, body)
		}
		times["membership changed"] = append(times["membership changed"], propagation(t, "membership change",
			func() {
				if err := a.Client.UpdateMember(ctx, org, login, apitype.UpdateMemberRequest{FGARoleID: &other.ID}); err != nil {
					t.Fatal(err)
				}
			},
			func() bool { st, _ := status(t, "GET", b.URL+scopes, pt.TokenValue, nil); return st == 403 }, 5*time.Second))

		// A guardrail created on A denies on B; deleted on A, allows again on B.
		tok3, err := a.Client.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: fmt.Sprint("guarded-", i), RoleID: reader.ID})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := status(t, "GET", b.URL+scopes, tok3.TokenValue, nil); st != 200 {
			t.Fatalf("B before the guardrail: %d %s", st, body)
		}
		var g *apitype.Guardrail
		times["guardrail created"] = append(times["guardrail created"], propagation(t, "guardrail create",
			func() {
				if g, err = a.Client.CreateGuardrail(ctx, org, apitype.CreateGuardrailRequest{Name: fmt.Sprint("no-role-read-", i), Actions: []string{"role:read"}}); err != nil {
					t.Fatal(err)
				}
			},
			func() bool { st, _ := status(t, "GET", b.URL+scopes, tok3.TokenValue, nil); return st == 403 }, 5*time.Second))
		times["guardrail deleted"] = append(times["guardrail deleted"], propagation(t, "guardrail delete",
			func() {
				if err := a.Client.DeleteGuardrail(ctx, org, g.ID); err != nil {
					t.Fatal(err)
				}
			},
			func() bool { st, _ := status(t, "GET", b.URL+scopes, tok3.TokenValue, nil); return st == 200 }, 5*time.Second))
	}
	for _, what := range []string{"token deleted", "role changed", "membership changed", "guardrail created", "guardrail deleted"} {
		ds := times[what]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("A→B propagation, %s: median %v, max %v (%d rounds)", what, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond), len(ds))
		if ds[len(ds)-1] > time.Second {
			t.Errorf("%s: took up to %v to apply on the other replica, want within 1 s", what, ds[len(ds)-1])
		}
	}
}

// TestIdempotencyAcrossReplicas: a create retried on another replica with the same
// Idempotency-Key replays the first answer (same token, same value) and creates nothing more;
// the same key with another body is refused there too.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	ctx := client.WithIdempotencyKey(context.Background(), "4a7d1b2e-0000-4000-8000-000000000001")
	req := apitype.CreateOrgTokenRequest{Name: "ci", Admin: true}
	first, err := a.Client.CreateToken(ctx, org, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Client.CreateToken(ctx, org, req)
	if err != nil {
		t.Fatalf("retry on B: %v", err)
	}
	if again.ID != first.ID || again.TokenValue != first.TokenValue {
		t.Errorf("retry on B answered token %s, want the replay of %s", again.ID, first.ID)
	}
	toks, err := b.Client.ListTokens(context.Background(), org, "all")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tk := range toks {
		if tk.Name == "ci" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d tokens named ci, want 1", n)
	}
	_, err = b.Client.CreateToken(ctx, org, apitype.CreateOrgTokenRequest{Name: "other", Admin: true})
	if client.StatusCode(err) != http.StatusUnprocessableEntity {
		t.Errorf("same key, another body, on B: %v, want 422", err)
	}
}

// TestVersionConflictAcrossReplicas: two writers that read version 1, one through each
// replica: the first update wins, the second gets 409, whichever replica it goes through.
func TestVersionConflictAcrossReplicas(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	ctx := context.Background()
	r := createRole(t, a.Client, "contested", "role:read")
	if _, err := b.Client.GetRole(ctx, org, r.ID); err != nil { // B has it cached
		t.Fatal(err)
	}
	v, d1, d2 := r.Version, "from A", "from B"
	if _, err := a.Client.UpdateRole(ctx, org, r.ID, apitype.UpdateRoleRequest{Description: &d1, Version: &v}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Client.UpdateRole(ctx, org, r.ID, apitype.UpdateRoleRequest{Description: &d2, Version: &v})
	if !client.IsConflict(err) {
		t.Fatalf("stale update on B: %v, want 409", err)
	}
	got, err := b.Client.GetRole(ctx, org, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != d1 || got.Version != v+1 {
		t.Errorf("role after the race: %q version %d, want %q version %d", got.Description, got.Version, d1, v+1)
	}
}

// names returns the names of the org's tokens (all, expired included) with the prefix.
func tokenNames(t *testing.T, c *client.Client, prefix string) []string {
	t.Helper()
	toks, err := c.ListTokens(context.Background(), org, "all")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tk := range toks {
		if strings.HasPrefix(tk.Name, prefix) {
			out = append(out, tk.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TestUnreachableDatabase: a server pointed at a PostgreSQL that is not there stops at once
// with a message naming the database, never its password.
func TestUnreachableDatabase(t *testing.T) {
	bin := testserver.BinaryPath(t, "iam-server")
	port := strings.TrimPrefix(testserver.FreeAddr(t), "127.0.0.1:")
	url := "postgres://iam:hunter2@127.0.0.1:" + port + "/iam?sslmode=disable"
	start := time.Now()
	out, err := exec.Command(bin, "serve", "--addr", testserver.FreeAddr(t), "--db", url, "--org", org).CombinedOutput()
	if err == nil {
		t.Fatalf("the server started without its database:\n%s", out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("giving up took %v", d)
	}
	if strings.Contains(string(out), "hunter2") {
		t.Errorf("the output shows the password:\n%s", out)
	}
	if !strings.Contains(string(out), "iam@127.0.0.1:"+port+"/iam") {
		t.Errorf("the output does not name the database:\n%s", out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// TestSameKeyConcurrentlyOnTwoReplicas sends each create twice at the same moment, once to
// each replica, with one Idempotency-Key: one of them carries it out, the other waits for its
// answer and replays it (same token, same value); one token per key is stored.
func TestSameKeyConcurrentlyOnTwoReplicas(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	const keys = 20
	type answer struct {
		resp *apitype.CreateTokenResponse
		err  error
	}
	for i := range keys {
		ctx := client.WithIdempotencyKey(context.Background(), fmt.Sprintf("5b0c7e1a-0000-4000-8000-%012d", i))
		req := apitype.CreateOrgTokenRequest{Name: fmt.Sprint("same-", i), Admin: true}
		answers := make(chan answer, 2)
		for _, s := range []*testserver.Server{a, b} {
			go func() {
				r, err := s.Client.CreateToken(ctx, org, req)
				answers <- answer{r, err}
			}()
		}
		x, y := <-answers, <-answers
		if x.err != nil || y.err != nil {
			t.Fatalf("key %d: %v / %v", i, x.err, y.err)
		}
		if x.resp.ID != y.resp.ID || x.resp.TokenValue != y.resp.TokenValue {
			t.Errorf("key %d: the replicas answered tokens %s and %s, want one", i, x.resp.ID, y.resp.ID)
		}
	}
	if n := len(tokenNames(t, a.Client, "same-")); n != keys {
		t.Errorf("%d tokens stored for %d keys, want one each", n, keys)
	}
}
