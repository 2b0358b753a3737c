package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlite"
)

// answerFixture is a served org with what makes access answers differ: tags, conditional and
// pinned grants, a permission set composed by a role (via), a team, a guardrail, and a caller
// that may read only some stacks (blind answers).
type answerFixture struct {
	t          testing.TB
	s          *Server
	url, admin string
	caller     string // token value: role:read, org_token:read, team:read, stack:read on env=dev only
	callerID   string
	principals []string // as a check names them
	roles      []apitype.Role
	refs       []apitype.EntityRef
}

const envTag = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"%s"}}`

// serveAnswers starts a server of the org acme on a new SQLite database, seen through wrap
// (nil: as it is), with an admin token: the fixture's server, and nothing in it yet.
func serveAnswers(t testing.TB, wrap func(store.Store) store.Store) (*answerFixture, *sqlite.DB) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	ctx := context.Background()
	s, err := New(ctx, Config{Org: "acme", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	admin := "pul-0123456789abcdef0123456789abcdef01234567"
	if _, err := s.EnsureToken(ctx, admin, "admin"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); _ = s.Close(ctx); _ = db.Close() })
	return &answerFixture{t: t, s: s, url: hs.URL, admin: admin}, db
}

func newAnswerFixture(t testing.TB) *answerFixture {
	f, _ := serveAnswers(t, nil)
	admin := f.admin

	var ids []string
	for _, st := range []struct{ project, name, env string }{{"web", "prod", "prod"}, {"web", "dev", "dev"}, {"web", "qa", ""}, {"api", "prod", "prod"}} {
		var tags map[string]string
		if st.env != "" {
			tags = map[string]string{"env": st.env}
		}
		var out apitype.Stack
		f.post("/api/stacks/acme/"+st.project, admin, apitype.CreateStackRequest{StackName: st.name, Tags: tags}, &out)
		ids = append(ids, out.ID)
		f.refs = append(f.refs, apitype.EntityRef{Kind: "stack", ID: out.ID}, apitype.EntityRef{Kind: "stack", Project: st.project, Name: st.name})
	}
	var env apitype.Environment
	f.post("/api/esc/environments/acme", admin, apitype.CreateEnvironmentRequest{Project: "web", Name: "cfg"}, &env)
	f.refs = append(f.refs, apitype.EntityRef{Kind: "environment", Project: "web", Name: "cfg"},
		apitype.EntityRef{Kind: "stack", ID: "no-such-stack"}, apitype.EntityRef{Kind: "stack", Project: "web", Name: "gone<&>\"é\u2028"},
		apitype.EntityRef{Kind: "environment", ID: ids[0]}, apitype.EntityRef{}, apitype.EntityRef{Kind: "bogus", ID: "x"})

	dev := map[string]string{"env": "dev"}
	set := f.record("deploy-set", apitype.UXPurposeSet, authz.GrantSpec{Scopes: []string{"stack:read", "stack:write"}, Refs: authz.Refs{Stacks: ids[:2]}})
	roles := []apitype.Role{
		f.record("pinned", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: authz.Refs{Stacks: ids[:1]}}),
		f.record("conditional", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read", "stack:write", "stack:delete"}, StackTags: dev}),
		f.record("composed", apitype.UXPurposeRole, authz.GrantSpec{Permissions: []string{set.ID}}, authz.GrantSpec{Scopes: []string{"stack:read"}}),
		f.record("org-wide", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "environment:read", "role:read"}}),
	}
	f.roles = roles
	for i, r := range roles {
		var tok apitype.CreateTokenResponse
		f.post("/api/orgs/acme/tokens", admin, apitype.CreateOrgTokenRequest{Name: "t" + string(rune('a'+i)), RoleID: r.ID}, &tok)
		f.principals = append(f.principals, tok.ID)
	}
	f.post("/api/orgs/acme/teams/pulumi", admin, apitype.CreateTeamRequest{Name: "platform", DisplayName: "Platform"}, nil)
	f.do("POST", "/api/orgs/acme/teams/platform/roles/"+roles[2].ID, admin, nil, nil, 204)
	f.post("/api/orgs/acme/guardrails", admin, apitype.CreateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:delete"},
		Condition: json.RawMessage(strings.Replace(envTag, "%s", "prod", 1))}, nil)

	callerRole := f.record("checker", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"role:read", "org_token:read", "team:read"}},
		authz.GrantSpec{Scopes: []string{"stack:read"}, StackTags: dev})
	var tok apitype.CreateTokenResponse
	f.post("/api/orgs/acme/tokens", admin, apitype.CreateOrgTokenRequest{Name: "checker", RoleID: callerRole.ID}, &tok)
	f.caller, f.callerID = tok.TokenValue, tok.ID
	f.principals = append(f.principals, "", tok.ID, "team:platform", "team:nobody", "user:nobody", "no-such-token", "user:")
	return f
}

func (f *answerFixture) record(name string, purpose apitype.UXPurpose, grants ...authz.GrantSpec) apitype.Role {
	n, err := authz.BuildRole(grants)
	if err != nil {
		f.t.Fatal(err)
	}
	var out apitype.Role
	f.post("/api/orgs/acme/roles", f.admin, apitype.CreateRoleRequest{Name: name, UXPurpose: purpose, Details: authz.Format(n)}, &out)
	return out
}

func (f *answerFixture) post(path, token string, body, out any) {
	f.do("POST", path, token, body, out, 200)
}

func (f *answerFixture) do(method, path, token string, body, out any, want int) []byte {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatal(err)
		}
	}
	return data
}

// referenceAnswer is the answer as the server built it before it wrote straight from the
// explanations: apitype results (accessResult, the via names prefixed to the reasons, the blind
// reason appended) encoded by encoding/json.
func referenceAnswer(t testing.TB, ac *accessChecker, outs []accessOutcome) []byte {
	resp := apitype.AccessCheckResponse{Results: make([]apitype.AccessCheckResult, len(outs))}
	for i, o := range outs {
		if o.failed {
			resp.Results[i] = apitype.AccessCheckResult{Error: o.err, Reasons: noReasons}
			continue
		}
		res := accessResult(o.ex)
		for j, g := range o.ex.Grants {
			if len(g.Via) == 0 {
				continue
			}
			names, err := ac.viaNames(g.Via)
			if err != nil {
				t.Fatal(err)
			}
			res.Grounds[j].ViaNames = names
			res.Reasons[j] = "via " + strings.Join(names, " → ") + ": " + res.Reasons[j]
		}
		if o.blind {
			res.Reasons = append(res.Reasons, "the caller may not read this "+o.ex.Entity.Kind.String()+
				": answered from the reference as sent, without looking it up (no tags: grants conditional on tags do not hold, guardrails conditional on them apply)")
		}
		if res.Reasons == nil {
			res.Reasons = noReasons
		}
		resp.Results[i] = res
	}
	return encodingJSON(t, resp)
}

// explainAll decides checks as the handler does for the caller (token value and ID).
func (f *answerFixture) explainAll(caller, callerID string, checks []apitype.AccessCheck) (*accessChecker, []accessOutcome) {
	ctx := context.Background()
	ix, err := f.s.principalIndex(ctx, callerID)
	if err != nil {
		f.t.Fatal(err)
	}
	ac := &accessChecker{s: f.s, ctx: ctx, callerID: callerID, principals: map[string]*authz.Index{"": ix, callerID: ix}}
	outs := make([]accessOutcome, len(checks))
	if err := ac.prefetch(checks); err != nil {
		f.t.Fatal(err)
	}
	for i, chk := range checks {
		o, err := ac.explain(chk, ac.pre[i])
		if ae := (*apiError)(nil); errors.As(err, &ae) {
			o, err = accessOutcome{failed: true, err: ae.msg}, nil
		}
		if err != nil {
			f.t.Fatal(err)
		}
		outs[i] = o
	}
	return ac, outs
}

var answerActions = []string{"stack:read", "stack:write", "stack:delete", "environment:read", "role:read", "stack:raed"}

func (f *answerFixture) randomChecks(rng *rand.Rand, n int) []apitype.AccessCheck {
	checks := make([]apitype.AccessCheck, n)
	for i := range checks {
		checks[i] = apitype.AccessCheck{Principal: f.principals[rng.IntN(len(f.principals))],
			Action: answerActions[rng.IntN(len(answerActions))], Entity: f.refs[rng.IntN(len(f.refs))]}
	}
	return checks
}

// TestAccessAnswerMatchesReference: for random batches over a seeded server, the bytes the
// handler sends (written straight from the explanations) are the bytes encoding/json writes for
// the apitype results the server used to build, for the admin and for a caller that may read
// only some stacks (blind answers); every kind of answer occurs.
func TestAccessAnswerMatchesReference(t *testing.T) {
	f := newAnswerFixture(t)
	seen := map[string]bool{}
	for _, caller := range []struct{ value, id string }{{f.admin, ""}, {f.caller, f.callerID}} {
		id := caller.id
		if id == "" {
			tok, err := f.s.tokens.authenticate(context.Background(), caller.value)
			if err != nil {
				t.Fatal(err)
			}
			id = tok.ID
		}
		rng := rand.New(rand.NewPCG(1, uint64(len(id))))
		for i := range 41 {
			checks := f.randomChecks(rng, 1+rng.IntN(60))
			if i == 40 { // the most a request may ask: the answer streams out in several chunks
				checks = f.randomChecks(rng, maxChecks)
			}
			got := f.do("POST", "/api/orgs/acme/access/check", caller.value, apitype.AccessCheckRequest{Checks: checks}, nil, 200)
			ac, outs := f.explainAll(caller.value, id, checks)
			if want := referenceAnswer(t, ac, outs); !bytes.Equal(got, want) {
				t.Fatalf("answer differs from the reference for %+v:\n got %s\nwant %s", checks, got, want)
			}
			for _, o := range outs {
				switch {
				case o.failed:
					seen["error"] = true
				case o.blind:
					seen["blind"] = true
				case bool(o.ex.Decision) && len(o.ex.Grants) > 0 && len(o.ex.Grants[0].Via) > 0:
					seen["via"] = true
				case bool(o.ex.Decision):
					seen["allowed"] = true
				default:
					seen["denied "+o.ex.Denial().Reason.String()] = true
				}
			}
		}
	}
	for _, k := range []string{"error", "blind", "via", "allowed", "denied guardrail", "denied only-conditional", "denied wrong-kind"} {
		if !seen[k] {
			t.Errorf("no %s answer among the random checks: the comparison does not cover it (seen %v)", k, seen)
		}
	}
}

// FuzzAccessAnswer: any batch drawn from the fixture's principals, actions and entities is
// answered byte for byte as the reference path would.
func FuzzAccessAnswer(f *testing.F) {
	fx := newAnswerFixture(f)
	f.Add(uint64(1), uint8(10))
	f.Add(uint64(42), uint8(100))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		fx.t = t // targets run one at a time in a process
		checks := fx.randomChecks(rand.New(rand.NewPCG(seed, 7)), 1+int(n))
		got := fx.do("POST", "/api/orgs/acme/access/check", fx.caller, apitype.AccessCheckRequest{Checks: checks}, nil, 200)
		ac, outs := fx.explainAll(fx.caller, fx.callerID, checks)
		if want := referenceAnswer(t, ac, outs); !bytes.Equal(got, want) {
			t.Fatalf("answer differs from the reference:\n got %s\nwant %s", got, want)
		}
	})
}

// TestAccessCheckPrincipalCacheFailsClosed: the one-probe principal cache never outlives a
// change: after a role update, a team losing a role, a guardrail, a token's deletion or its
// expiry, the very next check (the principal's answer cached just before) says so.
func TestAccessCheckPrincipalCacheFailsClosed(t *testing.T) {
	f := newAnswerFixture(t)
	prod := f.refs[0] // web/prod by ID
	answer := func(principal string) apitype.AccessCheckResult {
		t.Helper()
		var out apitype.AccessCheckResponse
		for range 2 { // the second answer comes from the caches
			f.post("/api/orgs/acme/access/check", f.admin, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{{Principal: principal, Action: "stack:read", Entity: prod}}}, &out)
		}
		return out.Results[0]
	}
	pinned, orgWide := f.principals[0], f.principals[3]
	if r := answer(pinned); !r.Allowed {
		t.Fatalf("pinned: %+v", r)
	}
	n, err := authz.BuildRole([]authz.GrantSpec{{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{f.refs[2].ID}}}})
	if err != nil {
		t.Fatal(err)
	}
	f.do("PATCH", "/api/orgs/acme/roles/"+f.roles[0].ID, f.admin, apitype.UpdateRoleRequest{Details: authz.Format(n)}, nil, 200)
	if r := answer(pinned); r.Allowed || r.Denial == nil {
		t.Fatalf("after the role lost the grant: %+v", r)
	}

	if r := answer("team:platform"); !r.Allowed {
		t.Fatalf("team: %+v", r)
	}
	f.do("DELETE", "/api/orgs/acme/teams/platform/roles/"+f.roles[2].ID, f.admin, nil, nil, 204)
	if r := answer("team:platform"); r.Allowed {
		t.Fatalf("after the team lost its role: %+v", r)
	}

	if r := answer(orgWide); !r.Allowed {
		t.Fatalf("org-wide: %+v", r)
	}
	f.post("/api/orgs/acme/guardrails", f.admin, apitype.CreateGuardrailRequest{Name: "no-prod-read", Actions: []string{"stack:read"},
		Condition: json.RawMessage(strings.Replace(envTag, "%s", "prod", 1))}, nil)
	if r := answer(orgWide); r.Allowed || r.Denial == nil || r.Denial.Reason != "guardrail" {
		t.Fatalf("after a guardrail: %+v", r)
	}
	f.do("DELETE", "/api/orgs/acme/tokens/"+orgWide, f.admin, nil, nil, 204)
	if r := answer(orgWide); r.Allowed || !strings.Contains(r.Error, "no token") {
		t.Fatalf("after the token's deletion: %+v", r)
	}

	var tok apitype.CreateTokenResponse
	expires := time.Now().Unix() + 2
	f.post("/api/orgs/acme/tokens", f.admin, apitype.CreateOrgTokenRequest{Name: "short", RoleID: f.roles[1].ID, Expires: expires}, &tok)
	dev := apitype.EntityRef{Kind: "stack", Project: "web", Name: "dev"}
	check := func() apitype.AccessCheckResult {
		var out apitype.AccessCheckResponse
		f.post("/api/orgs/acme/access/check", f.admin, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{{Principal: tok.ID, Action: "stack:read", Entity: dev}}}, &out)
		return out.Results[0]
	}
	if r := check(); !r.Allowed {
		t.Fatalf("short-lived token: %+v", r)
	}
	for time.Now().Unix() < expires { // cached while valid; the expiry is read from the entry
		time.Sleep(50 * time.Millisecond)
	}
	if r := check(); r.Allowed {
		t.Fatalf("expired token still allowed: %+v", r)
	}
}

// entityReads counts the entity reads that reach the store.
type entityReads struct {
	store.Store
	n atomic.Int64
}

func (s *entityReads) GetEntity(ctx context.Context, org string, kind authz.EntityKind, project, name string) (store.Entity, error) {
	s.n.Add(1)
	return s.Store.GetEntity(ctx, org, kind, project, name)
}

func (s *entityReads) GetEntityByID(ctx context.Context, org, id string) (store.Entity, error) {
	s.n.Add(1)
	return s.Store.GetEntityByID(ctx, org, id)
}

// TestEntityCacheOneReadBothKeys: one store read caches an entity under its ID and its name,
// ready for authz; dropping it (a change) makes the next lookup read again, and a missing
// entity is never cached.
func TestEntityCacheOneReadBothKeys(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	e := store.Entity{ID: "s-1", Org: "acme", Kind: authz.KindStack, Project: "web", Name: "prod", Tags: map[string]string{"env": "prod"}, Created: now, Modified: now}
	if err := db.CreateEntity(ctx, e); err != nil {
		t.Fatal(err)
	}
	reads := &entityReads{Store: db}
	c := newEntityCache(reads, "acme", time.Hour, time.Now)
	var scratch []byte
	byID := func() *cachedEntity {
		ce, err := c.lookup(ctx, authz.KindStack, "s-1", "", "", time.Now(), &scratch)
		if err != nil {
			t.Fatal(err)
		}
		return ce
	}
	byName := func() *cachedEntity {
		ce, err := c.lookup(ctx, authz.KindStack, "", "web", "prod", time.Now(), &scratch)
		if err != nil {
			t.Fatal(err)
		}
		return ce
	}
	if ce := byID(); ce.e.ID != "s-1" || ce.target.Name != "web/prod" || ce.target.Tags["env"] != "prod" {
		t.Fatalf("by ID: %+v", ce)
	}
	if ce := byName(); ce.e.ID != "s-1" || reads.n.Load() != 1 {
		t.Fatalf("by name after by ID: %+v, %d store reads (want 1)", ce, reads.n.Load())
	}
	if n := testing.AllocsPerRun(20, func() { byID(); byName() }); n != 0 {
		t.Errorf("a cached lookup allocates %v times", n)
	}
	c.drop(e)
	byName()
	byID()
	if reads.n.Load() != 2 {
		t.Fatalf("%d store reads after a drop (want 2)", reads.n.Load())
	}
	for range 2 {
		if _, err := c.lookup(ctx, authz.KindStack, "missing", "", "", time.Now(), &scratch); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
	}
	if reads.n.Load() != 4 {
		t.Fatalf("%d store reads (a missing entity must not be cached)", reads.n.Load())
	}
	// Two keys with one hash: the entry of the other key never answers (its full key is
	// compared); the lookup reads the store and the right entity takes the slot.
	for _, key := range []string{idKey("s-1"), nameKey(authz.KindStack, "web", "prod")} {
		other := cached(store.Entity{ID: "s-2", Org: "acme", Kind: authz.KindStack, Project: "web", Name: "other"})
		c.entries.Put(c.entries.Generation(), keyHash(key), newKeyedEntity("\x00s-2", other))
		before := reads.n.Load()
		ce := byID()
		if key[0] != 0 {
			ce = byName()
		}
		if ce.e.ID != "s-1" || reads.n.Load() != before+1 {
			t.Fatalf("a colliding entry answered for %q: %+v (%d store reads)", key, ce.e, reads.n.Load()-before)
		}
	}
}

// TestAccessCheckPooledChecksDoNotLeak: the decoded checks live in pooled memory; a body the
// strict decoder handles (an escape) after a batch naming another principal is answered for
// what it says (no principal: the caller), not with a field left from the batch before.
func TestAccessCheckPooledChecksDoNotLeak(t *testing.T) {
	f := newAnswerFixture(t)
	dev := f.refs[2] // web/dev by ID: the admin may read it, principals[0] may not
	batch := make([]apitype.AccessCheck, 50)
	for i := range batch {
		batch[i] = apitype.AccessCheck{Principal: f.principals[0], Action: "stack:read", Entity: dev}
	}
	body := `{"checks":[{"action":"stack:r\u0065ad","entity":{"kind":"stack","id":"` + dev.ID + `"}},{"entity":{"id":"` + dev.ID + `","kind":"stack"},"action":"stack:read"}]}`
	for range 20 { // the pool may hand out any checker: repeat
		var out apitype.AccessCheckResponse
		f.post("/api/orgs/acme/access/check", f.admin, apitype.AccessCheckRequest{Checks: batch}, &out)
		if out.Results[0].Allowed {
			t.Fatalf("principal 0 on web/dev: %+v", out.Results[0])
		}
		req, _ := http.NewRequest("POST", f.url+"/api/orgs/acme/access/check", strings.NewReader(body))
		req.Header.Set("Authorization", "token "+f.admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || len(out.Results) != 2 || !out.Results[0].Allowed || !out.Results[1].Allowed {
			t.Fatalf("the caller's own checks: %v %+v", err, out)
		}
	}
}

// TestAccessAnswerConcurrent: batches answered at the same time (pooled checkers, buffers and
// slices in use by several requests) are each answered as the reference path would.
func TestAccessAnswerConcurrent(t *testing.T) {
	f := newAnswerFixture(t)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for range 15 {
				checks := f.randomChecks(rng, 1+rng.IntN(80))
				data, _ := json.Marshal(apitype.AccessCheckRequest{Checks: checks})
				req, _ := http.NewRequest("POST", f.url+"/api/orgs/acme/access/check", bytes.NewReader(data))
				req.Header.Set("Authorization", "token "+f.caller)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ac, outs := f.explainAll(f.caller, f.callerID, checks)
				if want := referenceAnswer(t, ac, outs); !bytes.Equal(got, want) {
					errs <- fmt.Sprintf("answer differs:\n got %s\nwant %s", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// An entry compares its full key, held in the entry (up to 47 bytes) or beside it.
func TestKeyedEntityIs(t *testing.T) {
	k47, k48 := strings.Repeat("k", 47), strings.Repeat("k", 48)
	for _, tt := range []struct {
		stored, probe string
		want          bool
	}{
		{"\x00s-1", "\x00s-1", true},
		{"\x00s-1", "\x00s-2", false},
		{"\x00s-1", "\x00s-1x", false},
		{"\x00s-1", "\x00s-", false},
		{k47, k47, true},
		{k47, k47[:46] + "x", false},
		{k48, k48, true},
		{k48, k48[:47] + "x", false},
		{k48, k47, false},
		{k47, k48, false},
	} {
		if got := newKeyedEntity(tt.stored, cachedEntity{}).is([]byte(tt.probe)); got != tt.want {
			t.Errorf("stored %q, probe %q: %v, want %v", tt.stored, tt.probe, got, tt.want)
		}
	}
}

// The principal cache answers only for the token ID stored in the entry: a colliding ID's
// entry under the same hash misses, and an ID too long to be held is never cached.
func TestPrincipalCacheComparesID(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	tokens := newCache[string, store.Token](time.Hour, 10, clock)
	roles := newCache[string, compiledRole](time.Hour, 10, clock)
	pc := newPrincipalCache(tokens, roles, time.Hour)
	ix := &authz.Index{}
	put := func(id string) {
		tok := store.Token{ID: id}
		tokens.Put(tokens.Generation(), id, tok)
		roles.Put(roles.Generation(), "r", compiledRole{})
		pc.put(tok, "r", ix, tokens.Generation(), roles.Generation(), now)
	}
	a := "0192f3a4-5b6c-7d8e-9f01-23456789abcd"
	put(a)
	if got, ok := pc.get(a, now); !ok || got != ix {
		t.Fatalf("stored token: %v %v", got, ok)
	}
	if _, ok := pc.get(a[:35]+"e", now); ok {
		t.Fatal("another ID answered")
	}
	// An entry of another ID under a's hash.
	e := pc.entries[keyHash(a)]
	other := "0192f3a4-5b6c-7d8e-9f01-23456789ffff"
	copy(e.id[:], other)
	pc.entries[keyHash(a)] = e
	if _, ok := pc.get(a, now); ok {
		t.Fatal("a colliding entry answered")
	}
	long := strings.Repeat("t", maxCachedID+1)
	put(long)
	if _, ok := pc.get(long, now); ok || len(pc.entries) != 1 {
		t.Fatalf("a %d-byte ID was cached (%d entries)", len(long), len(pc.entries))
	}
}

// lookupReads counts what reaches the store's entity reads one at a time and in batches.
type lookupReads struct {
	entityReads
	batches, refs atomic.Int64
}

func (s *lookupReads) LookupEntities(ctx context.Context, org string, refs []store.EntityRef) ([]store.Entity, error) {
	s.batches.Add(1)
	s.refs.Add(int64(len(refs)))
	return s.Store.LookupEntities(ctx, org, refs)
}

// TestAccessCheckBatchReadsFewQueries: a batch of 1,000 checks naming uncached and missing
// entities, by ID and by name, resolves them in a few store queries (LookupEntities), not one
// read per check, answers each check as a read per check would, and a repeat reads only what
// is still missing.
func TestAccessCheckBatchReadsFewQueries(t *testing.T) {
	var reads *lookupReads
	f, db := serveAnswers(t, func(st store.Store) store.Store {
		reads = &lookupReads{entityReads: entityReads{Store: st}}
		return reads
	})
	ctx, admin := context.Background(), f.admin

	now := time.Now().UTC()
	var checks []apitype.AccessCheck
	for i := range 1000 {
		e := store.Entity{ID: fmt.Sprintf("s-%04d", i), Org: "acme", Kind: authz.KindStack, Project: fmt.Sprintf("p%d", i%9), Name: fmt.Sprintf("n%04d", i), Created: now, Modified: now}
		if i%10 < 3 { // 300 exist (written to the store directly: not cached)
			if err := db.CreateEntity(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		ref := apitype.EntityRef{Kind: "stack", ID: e.ID}
		if i%2 == 1 {
			ref = apitype.EntityRef{Kind: "stack", Project: e.Project, Name: e.Name}
		}
		checks = append(checks, apitype.AccessCheck{Action: "stack:read", Entity: ref})
	}
	for round := range 2 {
		b0, r0, one0 := reads.batches.Load(), reads.refs.Load(), reads.n.Load()
		var out apitype.AccessCheckResponse
		f.post("/api/orgs/acme/access/check", admin, apitype.AccessCheckRequest{Checks: checks}, &out)
		for i, res := range out.Results {
			exists := i%10 < 3
			if exists != res.Allowed || !exists && !strings.Contains(res.Error, "not found") {
				t.Fatalf("round %d, check %d (exists %v): %+v", round, i, exists, res)
			}
		}
		batches, refs, one := reads.batches.Load()-b0, reads.refs.Load()-r0, reads.n.Load()-one0
		wantRefs := int64(1000)
		if round == 1 {
			wantRefs = 700 // the 300 found are cached
		}
		if one != 0 || refs != wantRefs || batches > 4 {
			t.Errorf("round %d: %d single reads, %d refs in %d LookupEntities calls; want 0, %d in at most 4", round, one, refs, batches, wantRefs)
		}
	}
}

// failingLookups fails every batched entity read, as a database gone away would.
type failingLookups struct{ store.Store }

func (failingLookups) LookupEntities(context.Context, string, []store.EntityRef) ([]store.Entity, error) {
	return nil, fmt.Errorf("lookup: %w", store.ErrUnavailable)
}

// TestAccessCheckLookupFailureFailsClosed: when the batched entity read fails, the request
// fails (503) rather than answering any check as if its entity did not exist.
func TestAccessCheckLookupFailureFailsClosed(t *testing.T) {
	f, db := serveAnswers(t, func(st store.Store) store.Store { return failingLookups{st} })
	now := time.Now().UTC()
	e := store.Entity{ID: "s-1", Org: "acme", Kind: authz.KindStack, Project: "web", Name: "prod", Created: now, Modified: now}
	if err := db.CreateEntity(context.Background(), e); err != nil { // not cached: the read must happen
		t.Fatal(err)
	}
	body := f.do("POST", "/api/orgs/acme/access/check", f.admin, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: "s-1"}},
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "web", Name: "missing"}},
	}}, nil, http.StatusServiceUnavailable)
	if strings.Contains(string(body), "results") {
		t.Errorf("answered despite the failed read: %s", body)
	}
}
