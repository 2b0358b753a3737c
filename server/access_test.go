package server_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestAccessCheck: a batch of checks for other tokens and for the caller, with per-item
// errors for what cannot be checked; the endpoint needs role:read.
func TestAccessCheck(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.stack("p", "a", nil)
	h.stack("p", "b", nil)
	e := h.env("p", "e")
	acct := h.account("acct", nil)
	tokID, _ := h.scopedToken("pinned", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{a.ID}}},
		authz.GrantSpec{Scopes: []string{"stack:list"}})
	goneID, _ := h.token("gone", "")
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+goneID, h.admin(), nil)

	stackByName := func(name string) apitype.EntityRef { return apitype.EntityRef{Kind: "stack", Project: "p", Name: name} }
	checks := []struct {
		check    apitype.AccessCheck
		allowed  bool
		errorHas string // "" = a decision is expected
		reason   string // in a reason
	}{
		{apitype.AccessCheck{Action: "stack:delete", Entity: stackByName("b")}, true, "", "stack:delete"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: a.ID}}, true, "", "stack:read"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: stackByName("a")}, true, "", "stack:read"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: stackByName("b")}, false, "", "stack:read"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:delete", Entity: stackByName("a")}, false, "", "stack:delete"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:list"}, true, "", "stack:list"},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:list", Entity: apitype.EntityRef{Kind: "org"}}, true, "", ""},
		{apitype.AccessCheck{Principal: tokID, Action: "environment:open", Entity: apitype.EntityRef{Kind: "environment", ID: e.ID}}, false, "", "environment:open"},
		{apitype.AccessCheck{Action: "insights_account:read", Entity: apitype.EntityRef{Kind: "insights-account", Name: "acct"}}, true, "", ""},
		{apitype.AccessCheck{Action: "insights_account:read", Entity: apitype.EntityRef{Kind: "insights-account", ID: acct.ID}}, true, "", ""},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:delet", Entity: stackByName("a")}, false, `did you mean "stack:delete"`, ""},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: stackByName("missing")}, false, "not found", ""},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: e.ID}}, false, "not found", ""},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read"}, false, "entity", ""},
		{apitype.AccessCheck{Principal: tokID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "bucket", Name: "x"}}, false, "bucket", ""},
		{apitype.AccessCheck{Principal: "no-such-token", Action: "stack:read", Entity: stackByName("a")}, false, "no-such-token", ""},
		{apitype.AccessCheck{Principal: goneID, Action: "stack:list"}, false, goneID, ""},
	}
	req := apitype.AccessCheckRequest{}
	for _, c := range checks {
		req.Checks = append(req.Checks, c.check)
	}
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), req).decode(t, &resp)
	if len(resp.Results) != len(checks) {
		t.Fatalf("%d results for %d checks", len(resp.Results), len(checks))
	}
	for i, c := range checks {
		res := resp.Results[i]
		if c.errorHas != "" {
			if !strings.Contains(res.Error, c.errorHas) || res.Allowed {
				t.Errorf("check %d %+v: %+v, want an error mentioning %q", i, c.check, res, c.errorHas)
			}
			continue
		}
		if res.Error != "" || res.Allowed != c.allowed || len(res.Reasons) == 0 || !strings.Contains(strings.Join(res.Reasons, " "), c.reason) {
			t.Errorf("check %d %+v: %+v, want allowed=%v with reasons naming %q", i, c.check, res, c.allowed, c.reason)
		}
	}

	// The client's method agrees.
	cresp, err := h.ts.Client.CheckAccess(ctx(t), org, req)
	if err != nil || len(cresp.Results) != len(checks) || cresp.Results[1].Allowed != true || cresp.Results[3].Allowed {
		t.Errorf("client CheckAccess: %+v, %v", cresp, err)
	}

	// Needs role:read; with it, a token may check itself.
	_, noRead := h.scopedToken("no-read", authz.GrantSpec{Scopes: []string{"stack:read"}})
	r := h.must(403, "POST", "/api/orgs/acme/access/check", noRead, req)
	if !strings.Contains(firstCustom(r.errorBody(t)), "role:read") {
		t.Errorf("403 does not name role:read: %s", r)
	}
	_, reader := h.scopedToken("reader", authz.GrantSpec{Scopes: []string{"role:read"}})
	var self apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", reader, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Action: "role:read"}, {Action: "stack:read", Entity: stackByName("a")},
	}}).decode(t, &self)
	if !self.Results[0].Allowed || self.Results[1].Allowed || len(self.Results[1].Reasons) == 0 {
		t.Errorf("self checks: %+v", self.Results)
	}
	// At most 1000 checks per request.
	big := apitype.AccessCheckRequest{Checks: make([]apitype.AccessCheck, 1001)}
	for i := range big.Checks {
		big.Checks[i] = apitype.AccessCheck{Action: "stack:list"}
	}
	h.must(400, "POST", "/api/orgs/acme/access/check", h.admin(), big)
}

// TestAccessCheckMatchesLocalDecision is a differential test: for random roles (pins, tag
// conditions, negations, if-then-else, composed sets) and random (role, action, entity) cases,
// the endpoint's answer equals authz.Compile(details).Decide computed here from the role's
// details as GET returns them — the evaluation the providers use.
func TestAccessCheckMatchesLocalDecision(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IAMREF_TEST_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set IAMREF_TEST_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	h := start(t)

	tagValues := []string{"prod", "dev"}
	randTags := func() map[string]string {
		m := map[string]string{}
		if rng.IntN(3) > 0 {
			m["env"] = tagValues[rng.IntN(2)]
		}
		if rng.IntN(2) == 0 {
			m["team"] = "core"
		}
		return m
	}
	entities := map[authz.EntityKind][]authz.Entity{}
	for i := range 4 {
		tags := randTags()
		s := h.stack("p", fmt.Sprintf("s%d", i), tags)
		entities[authz.KindStack] = append(entities[authz.KindStack], authz.Entity{Kind: authz.KindStack, ID: s.ID, Tags: s.Tags})
	}
	for i := range 3 {
		e := h.env("p", fmt.Sprintf("e%d", i))
		tags := randTags()
		h.must(204, "PATCH", "/api/esc/environments/acme/p/"+e.Name+"/tags", h.admin(), tags)
		var got apitype.Environment
		h.must(200, "GET", "/api/esc/environments/acme/p/"+e.Name, h.admin(), nil).decode(t, &got)
		entities[authz.KindEnvironment] = append(entities[authz.KindEnvironment], authz.Entity{Kind: authz.KindEnvironment, ID: got.ID, Tags: got.Tags})
	}
	for i := range 3 {
		a := h.account(fmt.Sprintf("a%d", i), randTags())
		var got apitype.InsightsAccount
		h.must(200, "GET", "/api/preview/insights/acme/accounts/"+a.Name, h.admin(), nil).decode(t, &got)
		entities[authz.KindInsightsAccount] = append(entities[authz.KindInsightsAccount], authz.Entity{Kind: authz.KindInsightsAccount, ID: got.ID, Tags: got.Tags})
	}
	sets := map[authz.EntityKind][]string{
		authz.KindStack:           {h.builtin("stack-read"), h.builtin("stack-admin")},
		authz.KindEnvironment:     {h.builtin("environment-open")},
		authz.KindInsightsAccount: {h.builtin("insights-account-write")},
	}
	custom := h.role("custom-set", apitype.UXPurposeSet, "stack", authz.Format(&authz.Allow{Permissions: []string{"stack:read", "stack_tags:update"}}))
	sets[authz.KindStack] = append(sets[authz.KindStack], custom.ID)

	kinds := []authz.EntityKind{authz.KindStack, authz.KindEnvironment, authz.KindInsightsAccount}
	pickScopes := func(k authz.EntityKind, n int) []string {
		names := authz.ScopesOfKind(k).Names()
		out := make([]string, 0, n)
		for range n {
			out = append(out, names[rng.IntN(len(names))])
		}
		return out
	}
	ctxOf := func(k authz.EntityKind) authz.ContextKind { c, _ := authz.ContextFor(k); return c }
	randCond := func(k authz.EntityKind) authz.Expr {
		c := ctxOf(k)
		ents := entities[k]
		pin := &authz.Equal{Left: &authz.Context{Kind: c}, Right: &authz.Identity{Kind: c, ID: ents[rng.IntN(len(ents))].ID}}
		tag := &authz.Equal{Left: &authz.Tag{Context: &authz.Context{Kind: c}, Key: "env"}, Right: &authz.String{Value: tagValues[rng.IntN(2)]}}
		switch rng.IntN(6) {
		case 0:
			return pin
		case 1:
			return &authz.In{Target: &authz.Context{Kind: c}, Values: &authz.IdentitySet{Kind: c, IDs: []string{ents[0].ID, ents[rng.IntN(len(ents))].ID}}}
		case 2:
			return tag
		case 3:
			return &authz.HasTag{Context: &authz.Context{Kind: c}, Key: "team"}
		case 4:
			return &authz.Not{X: pin}
		default:
			return &authz.And{Left: &authz.HasTag{Context: &authz.Context{Kind: c}, Key: "env"}, Right: &authz.Not{X: tag}}
		}
	}
	randBody := func(k authz.EntityKind) authz.Node {
		if rng.IntN(3) == 0 {
			ids := sets[k]
			return &authz.Compose{IDs: []string{ids[rng.IntN(len(ids))]}}
		}
		return &authz.Allow{Permissions: pickScopes(k, 1+rng.IntN(4))}
	}
	randNode := func() authz.Node {
		k := kinds[rng.IntN(len(kinds))]
		switch rng.IntN(6) {
		case 0: // org-level and unconditional entity scopes
			return &authz.Allow{Permissions: append(pickScopes(authz.KindOrg, 2), pickScopes(k, rng.IntN(2))...)}
		case 1:
			return &authz.IfThenElse{Condition: randCond(k), True: randBody(k), False: &authz.Allow{Permissions: pickScopes(k, 1)}}
		default:
			return &authz.Condition{Condition: randCond(k), SubNode: randBody(k)}
		}
	}

	type subject struct {
		tokenID string
		ix      *authz.Index
		root    authz.Node
		scopes  []string // scopes its details mention, to bias actions towards grants
	}
	records := map[string]authz.Node{}
	resolver := authz.ResolverFunc(func(id string) (authz.Node, error) {
		if n, ok := records[id]; ok {
			return n, nil
		}
		var rec apitype.Role
		h.must(200, "GET", "/api/orgs/acme/roles/"+id, h.admin(), nil).decode(t, &rec)
		n, err := authz.Parse(rec.Details)
		if err != nil {
			return nil, err
		}
		records[id] = n
		return n, nil
	})
	var subjects []subject
	for i := range 8 {
		root := &authz.Group{}
		for range 1 + rng.IntN(4) {
			root.Entries = append(root.Entries, randNode())
		}
		role := h.role(fmt.Sprintf("random-%d", i), apitype.UXPurposeRole, "", authz.Format(root))
		tokID, _ := h.token(fmt.Sprintf("random-%d", i), role.ID)
		// Evaluate what the server stored, as a provider would read it back.
		var got apitype.Role
		h.must(200, "GET", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil).decode(t, &got)
		parsed, err := authz.Parse(got.Details)
		if err != nil {
			t.Fatalf("stored details do not parse: %v\n%s", err, got.Details)
		}
		ix, err := authz.Compile(parsed, resolver)
		if err != nil {
			t.Fatalf("compile %s: %v", got.Details, err)
		}
		var mentioned []string
		for _, g := range ix.Grants() {
			mentioned = append(mentioned, g.Scopes.Names()...)
		}
		subjects = append(subjects, subject{tokenID: tokID, ix: ix, root: parsed, scopes: mentioned})
	}

	const n = 200
	type tcase struct {
		sub    subject
		action authz.Scope
		entity authz.Entity
	}
	cases := make([]tcase, n)
	req := apitype.AccessCheckRequest{}
	for i := range cases {
		sub := subjects[rng.IntN(len(subjects))]
		var action authz.Scope
		if len(sub.scopes) > 0 && rng.IntN(10) < 7 {
			action = authz.MustScope(sub.scopes[rng.IntN(len(sub.scopes))])
		} else {
			all := authz.Scopes()
			action = all[rng.IntN(len(all))]
		}
		ent := authz.OrgEntity
		ref := apitype.EntityRef{Kind: "org"}
		if action.Kind != authz.KindOrg {
			k := action.Kind
			if rng.IntN(10) == 0 { // now and then an entity of another kind
				k = kinds[rng.IntN(len(kinds))]
			}
			ents := entities[k]
			ent = ents[rng.IntN(len(ents))]
			ref = apitype.EntityRef{Kind: k.String(), ID: ent.ID}
		}
		cases[i] = tcase{sub: sub, action: action, entity: ent}
		req.Checks = append(req.Checks, apitype.AccessCheck{Principal: sub.tokenID, Action: action.Name, Entity: ref})
	}
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), req).decode(t, &resp)
	if len(resp.Results) != n {
		t.Fatalf("%d results for %d checks", len(resp.Results), n)
	}
	allowed := 0
	for i, c := range cases {
		res := resp.Results[i]
		want := bool(c.sub.ix.Decide(c.action.ID, c.entity))
		ref, err := authz.Eval(c.sub.root, resolver, c.action.ID, c.entity)
		if err != nil {
			t.Fatal(err)
		}
		if ref != want {
			t.Errorf("local Decide %v and Eval %v disagree on %s %v (seed %d)", want, ref, c.action.Name, c.entity, seed)
		}
		if res.Error != "" || res.Allowed != want || len(res.Reasons) == 0 {
			t.Errorf("case %d: %s on %v for role\n%s\nserver %+v, local %v (seed %d)", i, c.action.Name, c.entity, authz.Format(c.sub.root), res, want, seed)
		}
		if res.Allowed {
			allowed++
		}
	}
	t.Logf("%d of %d checks allowed", allowed, n)
	if allowed < 10 || n-allowed < 10 {
		t.Errorf("only %d of %d allowed: the generator does not exercise both answers (seed %d)", allowed, n, seed)
	}
}

// The access check sends its reasons as values too: the grants that allowed (record, path,
// entity, scopes) or why it was denied, and the text agrees with them.
func TestAccessCheckStructuredReasons(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.stack("p", "a", nil)
	h.stack("p", "b", nil)
	tokID, _ := h.scopedToken("pinned", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{a.ID}}},
		authz.GrantSpec{Scopes: []string{"stack:list"}})
	ref := func(name string) apitype.EntityRef { return apitype.EntityRef{Kind: "stack", Project: "p", Name: name} }
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: tokID, Action: "stack:read", Entity: ref("a")},
		{Principal: tokID, Action: "stack:read", Entity: ref("b")},
		{Principal: tokID, Action: "stack:delete", Entity: ref("a")},
		{Principal: tokID, Action: "stack:list"},
	}}).decode(t, &resp)
	r := resp.Results
	if len(r) != 4 {
		t.Fatalf("results: %+v", r)
	}
	if g := r[0].Grounds; len(g) != 1 || g[0].Entity != a.ID || g[0].Record != "" || !strings.HasPrefix(g[0].Path, "$.entries[") ||
		!slices.Equal(g[0].Scopes, []string{"stack:read"}) || r[0].Denial != nil || !strings.Contains(r[0].Reasons[0], g[0].Path) {
		t.Errorf("allowed on a: %+v", r[0])
	}
	for i, want := range []apitype.AccessDenial{{Reason: "only-elsewhere", Elsewhere: 1}, {Reason: "granted-nowhere"}} {
		if d := r[i+1].Denial; d == nil || *d != want || r[i+1].Grounds != nil || r[i+1].Allowed {
			t.Errorf("check %d: denial %+v, want %+v (%+v)", i+1, d, want, r[i+1])
		}
	}
	if g := r[3].Grounds; len(g) != 1 || g[0].Entity != "" || r[3].Denial != nil {
		t.Errorf("org-level allowed: %+v", r[3])
	}
}

// TestAccessCheckUserAndTeam: the principal may be a member (user:<login>) or a team
// (team:<name>), answered with their effective rights and the path; asking needs
// org_member_access:read or team:read besides role:read; an unknown one fails its check alone.
func TestAccessCheckUserAndTeam(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", nil)
	h.stack("payments", "dev", nil)
	nothing := h.grantRole("nothing", authz.GrantSpec{Scopes: []string{"tags:read"}})
	ciProd := h.grantRole("ci-prod", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	h.member("alice", "member", nothing.ID)
	h.member("bob", "member", nothing.ID)
	h.team("platform", ciProd.ID)
	h.teamMember("platform", "add", "alice")

	stack := func(name string) apitype.EntityRef {
		return apitype.EntityRef{Kind: "stack", Project: "payments", Name: name}
	}
	checks := []apitype.AccessCheck{
		{Principal: "user:alice", Action: "stack:read", Entity: stack("prod")},
		{Principal: "user:alice", Action: "stack:read", Entity: stack("dev")},
		{Principal: "user:bob", Action: "stack:read", Entity: stack("prod")},
		{Principal: "team:platform", Action: "stack:read", Entity: stack("prod")},
		{Principal: "team:platform", Action: "stack:delete", Entity: stack("prod")},
		{Principal: "user:nobody", Action: "stack:read", Entity: stack("prod")},
		{Principal: "team:nothere", Action: "stack:read", Entity: stack("prod")},
		{Principal: "user:", Action: "stack:read", Entity: stack("prod")},
		{Principal: "user:alice", Action: "tags:read"},
	}
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: checks}).decode(t, &resp)
	res := resp.Results
	for i, want := range []bool{true, false, false, true, false, false, false, false, true} {
		if res[i].Allowed != want {
			t.Errorf("check %d %+v: %+v, want allowed=%v", i, checks[i], res[i], want)
		}
	}
	for _, i := range []int{0, 3} {
		if len(res[i].Grounds) != 1 || strings.Join(res[i].Grounds[0].ViaNames, " → ") != "team platform → role ci-prod" ||
			!strings.HasPrefix(res[i].Reasons[0], "via team platform → role ci-prod: ") || res[i].Grounds[0].Record != ciProd.ID {
			t.Errorf("check %d does not name the path: %+v", i, res[i])
		}
	}
	for i, has := range map[int]string{5: `"nobody" is not a member`, 6: `no team named "nothere"`, 7: "user:<login>"} {
		if !strings.Contains(res[i].Error, has) {
			t.Errorf("check %d: error %q, want it to mention %q", i, res[i].Error, has)
		}
	}
	for _, i := range []int{1, 2, 4} {
		if res[i].Error != "" || res[i].Denial == nil || len(res[i].Reasons) == 0 {
			t.Errorf("check %d: want a denial with reasons: %+v", i, res[i])
		}
	}

	// Answers follow the team's membership on the next request.
	h.teamMember("platform", "remove", "alice")
	resp = apitype.AccessCheckResponse{}
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: checks[:1]}).decode(t, &resp)
	if resp.Results[0].Allowed {
		t.Errorf("alice out of the team is still allowed: %+v", resp.Results[0])
	}

	// The same answers through the client.
	cresp, err := h.ts.Client.CheckAccess(ctx(t), org, apitype.AccessCheckRequest{Checks: checks[3:5]})
	if err != nil || len(cresp.Results) != 2 || !cresp.Results[0].Allowed || cresp.Results[1].Allowed {
		t.Errorf("client CheckAccess: %+v, %v", cresp, err)
	}

	// Asking about a member needs org_member_access:read, about a team team:read; each
	// failing check fails alone, and asking about oneself needs neither.
	only := func(name string, scopes ...string) string {
		_, v := h.scopedToken(name, authz.GrantSpec{Scopes: append([]string{"role:read"}, scopes...)})
		return v
	}
	ask := []apitype.AccessCheck{checks[0], checks[3], {Action: "role:read"}}
	for _, c := range []struct {
		token string
		errs  []string // per check: "" = answered
	}{
		{only("plain"), []string{"org_member_access:read", "team:read", ""}},
		{only("members", "org_member_access:read"), []string{"", "team:read", ""}},
		{only("teams", "team:read"), []string{"org_member_access:read", "", ""}},
	} {
		var resp apitype.AccessCheckResponse // fresh: decoding into used results would keep their errors
		h.must(200, "POST", "/api/orgs/acme/access/check", c.token, apitype.AccessCheckRequest{Checks: ask}).decode(t, &resp)
		for i, want := range c.errs {
			got := resp.Results[i].Error
			if want == "" && got != "" || want != "" && (!strings.Contains(got, want) || resp.Results[i].Allowed) {
				t.Errorf("check %d: error %q, want %q", i, got, want)
			}
		}
	}
}

// Over HTTP the same body is a 400 naming the field and the limit.
func TestAccessCheckTooManyChecksHTTP(t *testing.T) {
	t.Parallel()
	h := start(t)
	body := `{"checks":[` + strings.TrimSuffix(strings.Repeat(`{},`, (2<<20-64)/3), ",") + `]}`
	r := h.do("POST", "/api/orgs/acme/access/check", h.admin(), body)
	if r.status != 400 || !strings.Contains(string(r.body), "checks") || !strings.Contains(string(r.body), "at most 1000 per request") {
		t.Fatalf("got %s", r)
	}
}

// A check naming something longer than any real principal or entity fails alone, naming the
// field, before any lookup, and does not echo the value back; the other checks are answered.
func TestAccessCheckOverlongReference(t *testing.T) {
	t.Parallel()
	h := start(t)
	long := strings.Repeat("x", 513) // one byte over the limit
	checks := []apitype.AccessCheck{
		{Principal: long, Action: "audit_logs:read"},
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: apitype.EntityStack, ID: long}},
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: apitype.EntityStack, Project: long, Name: "s"}},
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: apitype.EntityStack, Project: "p", Name: long}},
		{Action: "audit_logs:read"},
	}
	var resp apitype.AccessCheckResponse
	r := h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: checks})
	r.decode(t, &resp)
	if strings.Contains(string(r.body), long) {
		t.Errorf("the answer echoes the overlong value")
	}
	for i, field := range []string{"principal", "entity.id", "entity.project", "entity.name"} {
		if got := resp.Results[i].Error; !strings.HasPrefix(got, field+": ") || !strings.Contains(got, "at most 512") || resp.Results[i].Allowed {
			t.Errorf("check %d: %+v, want an error on %s", i, resp.Results[i], field)
		}
	}
	if last := resp.Results[4]; !last.Allowed || last.Error != "" {
		t.Errorf("the good check: %+v", last)
	} // Who-can resolves its entity the same way: a 400 naming the field.
	w := h.do("POST", "/api/orgs/acme/access/who", h.admin(), apitype.WhoCanRequest{Action: "stack:read", Entity: apitype.EntityRef{Kind: apitype.EntityStack, ID: long}})
	if w.status != 400 || !strings.Contains(string(w.body), `"attribute":"entity.id"`) || strings.Contains(string(w.body), long) {
		t.Errorf("who-can with an overlong entity ID: %s", w)
	}
}
