package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

const prodTag = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}}`

func (h *harness) guardrail(req apitype.CreateGuardrailRequest) apitype.Guardrail {
	h.t.Helper()
	var out apitype.Guardrail
	h.must(200, "POST", "/api/orgs/acme/guardrails", h.admin(), req).decode(h.t, &out)
	return out
}

func (h *harness) check(token, action string, ent apitype.EntityRef) apitype.AccessCheckResult {
	h.t.Helper()
	var out apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", token, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{{Action: action, Entity: ent}}}).decode(h.t, &out)
	return out.Results[0]
}

// TestGuardrailDeniesOverGrants: "no token may stack:delete on stacks tagged env:prod unless
// it holds role break-glass", end to end over HTTP: the route guard refuses with the
// guardrail's name, the access check reports it, the exempt role passes, a retag or an edit of
// the guardrail takes effect on the next request, deleting it lifts it.
func TestGuardrailDeniesOverGrants(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("app", "prod", map[string]string{"env": "prod"})
	h.stack("app", "dev", map[string]string{"env": "dev"})
	h.stack("app", "prod2", map[string]string{"env": "prod"})
	admin := h.grantRole("stack-deleter", authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "role:read"}})
	glass := h.grantRole("break-glass", authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "role:read"}})
	_, deleter := h.token("deleter", admin.ID)
	_, breaker := h.token("breaker", glass.ID)
	h.must(200, "GET", "/api/stacks/acme/app/prod", deleter, nil) // compiled before the guardrail exists

	g := h.guardrail(apitype.CreateGuardrailRequest{Name: "no-prod-delete", Description: "prod is forever",
		Actions: []string{"stack:delete"}, Condition: json.RawMessage(prodTag), ExemptRoles: []string{glass.ID}})
	if g.ID == "" || g.Version != 1 || g.CreatedBy != "admin" || string(g.Condition) != prodTag || len(g.ExemptRoles) != 1 {
		t.Fatalf("created %+v", g)
	}

	r := h.must(403, "DELETE", "/api/stacks/acme/app/prod", deleter, nil)
	if e := r.errorBody(t); !strings.Contains(firstCustom(e), `guardrail "no-prod-delete"`) || !strings.Contains(firstCustom(e), "no grant overrides") {
		t.Fatalf("refusal does not name the guardrail: %s", r)
	}
	h.waitAudit("of the guardrail refusal", func(e apitype.AuditLogEvent) bool {
		return e.Decision == "deny" && e.Action == "stack:delete" && strings.Contains(e.Reason, "no-prod-delete")
	})
	res := h.check(deleter, "stack:delete", apitype.EntityRef{Kind: "stack", Project: "app", Name: "prod"})
	if res.Allowed || res.Denial == nil || res.Denial.Reason != "guardrail" || res.Denial.Guardrail != g.ID ||
		res.Denial.GuardrailName != "no-prod-delete" || res.Denial.Overridden != 1 {
		t.Fatalf("access check: %+v %+v", res, res.Denial)
	}
	h.must(204, "DELETE", "/api/stacks/acme/app/dev", deleter, nil)   // not tagged prod
	h.must(204, "DELETE", "/api/stacks/acme/app/prod2", breaker, nil) // holds the exempt role
	h.must(204, "PATCH", "/api/stacks/acme/app/prod/tags", h.admin(), map[string]string{"env": "staging"})
	if res := h.check(deleter, "stack:delete", apitype.EntityRef{Kind: "stack", Project: "app", Name: "prod"}); !res.Allowed {
		t.Fatalf("after the retag: %+v", res)
	}
	h.must(204, "PATCH", "/api/stacks/acme/app/prod/tags", h.admin(), map[string]string{"env": "prod"})
	if res := h.check(deleter, "stack:delete", apitype.EntityRef{Kind: "stack", Project: "app", Name: "prod"}); res.Allowed {
		t.Fatalf("retagged prod again: %+v", res)
	}

	// Widen it to stack:read, with no exemption: the next request of either token is refused.
	var up apitype.Guardrail
	h.must(200, "PUT", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), apitype.UpdateGuardrailRequest{
		Name: "no-prod-delete", Actions: []string{"stack:read", "stack:delete"}, Condition: json.RawMessage(prodTag), Version: ptr(1)}).decode(t, &up)
	if up.Version != 2 || len(up.ExemptRoles) != 0 || up.Created != g.Created {
		t.Fatalf("updated %+v", up)
	}
	h.must(403, "GET", "/api/stacks/acme/app/prod", breaker, nil)
	h.must(409, "PUT", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), apitype.UpdateGuardrailRequest{Name: "x", Actions: []string{"stack:read"}, Version: ptr(1)})

	var list apitype.ListGuardrailsResponse
	h.must(200, "GET", "/api/orgs/acme/guardrails", deleter, nil).decode(t, &list)
	if len(list.Guardrails) != 1 || list.Guardrails[0].Version != 2 {
		t.Fatalf("list %+v", list)
	}
	h.must(204, "DELETE", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), nil)
	h.must(200, "GET", "/api/stacks/acme/app/prod", breaker, nil)
	h.must(204, "DELETE", "/api/stacks/acme/app/prod", deleter, nil)
	h.must(404, "GET", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), nil)
}

// TestGuardrailEditsTakeFullAdmin: a caller short of every scope on every entity cannot
// create, change or delete a guardrail (a 403 audited as an escalation); a legacy admin token
// is not a full admin either; reading takes role:read only.
func TestGuardrailEditsTakeFullAdmin(t *testing.T) {
	t.Parallel()
	h := start(t)
	roleAdmin := h.grantRole("role-admin", authz.GrantSpec{Scopes: []string{"role:read", "role:create", "role:update", "role:delete"}})
	_, almost := h.token("almost", roleAdmin.ID)
	g := h.guardrail(apitype.CreateGuardrailRequest{Name: "lock", Actions: []string{"team:create"}})

	body := apitype.CreateGuardrailRequest{Name: "mine", Actions: []string{"stack:delete"}}
	r := h.must(403, "POST", "/api/orgs/acme/guardrails", almost, body)
	if msg := firstCustom(r.errorBody(t)); !strings.Contains(msg, "full admin") {
		t.Fatalf("refusal: %s", r)
	}
	h.must(403, "PUT", "/api/orgs/acme/guardrails/"+g.ID, almost, apitype.UpdateGuardrailRequest{Name: "lock", Actions: []string{"stack:read"}})
	h.must(403, "DELETE", "/api/orgs/acme/guardrails/"+g.ID, almost, nil)
	h.waitAudit("of the refused guardrail edit", func(e apitype.AuditLogEvent) bool {
		return e.Decision == "deny" && strings.Contains(e.Reason, "privilege escalation refused") && strings.Contains(e.Reason, "full admin")
	})
	h.must(200, "GET", "/api/orgs/acme/guardrails/"+g.ID, almost, nil)

	var legacy apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), map[string]any{"name": "legacy", "admin": true}).decode(t, &legacy)
	h.must(403, "POST", "/api/orgs/acme/guardrails", legacy.TokenValue, body)
	// The guardrail binds the legacy admin, and the full admin too (it has no exemption)...
	team := apitype.CreateTeamRequest{Name: "ops"}
	h.must(403, "POST", "/api/orgs/acme/teams/pulumi", legacy.TokenValue, team)
	h.must(403, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), team)
	// ...who may still lift it: guardrails do not hold back their own edits.
	h.must(204, "DELETE", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), nil)
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), team)
}

// TestGuardrailExemptionIsEscalation: handing out a role that exempts from a guardrail is
// gaining rights: a caller the guardrail binds may not bind that role (to a token, a team, a
// member), even when it holds every scope the role grants.
func TestGuardrailExemptionIsEscalation(t *testing.T) {
	t.Parallel()
	h := start(t)
	glass := h.grantRole("break-glass", authz.GrantSpec{Scopes: []string{"stack:delete"}})
	minter := h.grantRole("minter", authz.GrantSpec{Scopes: []string{"stack:delete", "org_token:create", "team:update", "team:create"}})
	_, mint := h.token("mint", minter.ID)
	h.guardrail(apitype.CreateGuardrailRequest{Name: "no-delete", Actions: []string{"stack:delete"}, Condition: json.RawMessage(prodTag), ExemptRoles: []string{glass.ID}})

	r := h.must(403, "POST", "/api/orgs/acme/tokens", mint, apitype.CreateOrgTokenRequest{Name: "escape", RoleID: glass.ID})
	if msg := firstCustom(r.errorBody(t)); !strings.Contains(msg, `lift guardrail(s) "no-delete"`) {
		t.Fatalf("refusal: %s", r)
	}
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", mint, apitype.CreateTeamRequest{Name: "ops"})
	h.must(403, "POST", "/api/orgs/acme/teams/ops/roles/"+glass.ID, mint, nil)
	// A full admin, who may edit the guardrails anyway, may hand the exemption out; another
	// caller the guardrail binds may not, even holding every scope the role grants.
	_, glassTok := h.token("glass-holder", glass.ID)
	holder := h.grantRole("holder", authz.GrantSpec{Scopes: []string{"stack:delete", "org_token:create"}})
	var holderTok apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "holder", RoleID: holder.ID}).decode(t, &holderTok)
	_ = glassTok
	h.must(403, "POST", "/api/orgs/acme/tokens", holderTok.TokenValue, apitype.CreateOrgTokenRequest{Name: "escape3", RoleID: glass.ID})
}

// TestGuardrailValidation: each bad field is a 400 naming it and the fix.
func TestGuardrailValidation(t *testing.T) {
	t.Parallel()
	h := start(t)
	set := h.role("a-set", apitype.UXPurposeSet, "", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}}))
	envCond := strings.ReplaceAll(prodTag, "PermissionExpressionStack", "PermissionExpressionEnvironment")
	tests := []struct {
		body      any
		attribute string
		msg       string
	}{
		{apitype.CreateGuardrailRequest{Actions: []string{"stack:delete"}}, "name", "required"},
		{`{"name":"g"}`, "actions", "required"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delet"}}, "actions[0]", `did you mean "stack:delete"`},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete", "environment:open"}}, "actions[1]", "one kind of entity"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}, Condition: json.RawMessage(envCond)}, "condition", "use the stack context"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"org_token:create"}, Condition: json.RawMessage(prodTag)}, "condition", "org-level"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}, Condition: json.RawMessage(`{"__type":"PermissionExpressionEqul"}`)}, "condition.__type", "did you mean"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}, ExemptRoles: []string{"nope"}}, "exemptRoles[0]", "no role with ID"},
		{apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}, ExemptRoles: []string{set.ID}}, "exemptRoles[0]", "not a role"},
		{apitype.CreateGuardrailRequest{Name: "g\u202e", Actions: []string{"stack:delete"}}, "name", "bidirectional"},
		{`{"name":"g","actions":["stack:delete"],"exempt":[]}`, "exempt", ""},
	}
	for _, tc := range tests {
		r := h.must(400, "POST", "/api/orgs/acme/guardrails", h.admin(), tc.body)
		e := r.errorBody(t)
		if len(e.Errors) == 0 || e.Errors[0].Attribute != tc.attribute || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%v: got %s; want attribute %s with %q", tc.body, r, tc.attribute, tc.msg)
		}
	}
	h.guardrail(apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}})
	h.must(409, "POST", "/api/orgs/acme/guardrails", h.admin(), apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:read"}})
}

// failingGuardrails makes ListGuardrails fail while fail is set.
type failingGuardrails struct {
	store.Store
	fail *atomic.Bool
}

func (f failingGuardrails) ListGuardrails(ctx context.Context, org string) ([]store.Guardrail, error) {
	if f.fail.Load() {
		return nil, errors.New("injected: guardrails unreadable")
	}
	return f.Store.ListGuardrails(ctx, org)
}

// TestGuardrailFailsClosed: a stored guardrail that cannot be evaluated denies its actions
// everywhere, exemptions aside; guardrails that cannot be read mean no compiled rights (the
// request fails) rather than rights without them.
func TestGuardrailFailsClosed(t *testing.T) {
	t.Parallel()
	var st store.Store
	fail := &atomic.Bool{}
	h := start(t, testserver.Options{WrapStore: func(s store.Store) store.Store {
		st = s
		return failingGuardrails{Store: s, fail: fail}
	}})
	h.stack("app", "dev", map[string]string{"env": "dev"})
	role := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "role:read"}})
	now := time.Now().UTC()
	broken := store.Guardrail{ID: "g-broken", Org: "acme", Name: "broken", Actions: []string{"stack:delete", "stack:gone"},
		Condition: `{"__type":"PermissionExpressionNope"}`, Version: 1, Created: now, Modified: now}
	if err := st.CreateGuardrail(context.Background(), broken); err != nil {
		t.Fatal(err)
	}
	_, tok := h.token("reader", role.ID) // compiled after the write
	h.must(200, "GET", "/api/stacks/acme/app/dev", tok, nil)
	r := h.must(403, "DELETE", "/api/stacks/acme/app/dev", tok, nil)
	if !strings.Contains(r.String(), "cannot be evaluated") {
		t.Fatalf("refusal: %s", r)
	}

	role2 := h.grantRole("reader2", authz.GrantSpec{Scopes: []string{"stack:read"}})
	_, tok2 := h.token("reader2", role2.ID) // not compiled for requests yet
	fail.Store(true)
	h.must(500, "GET", "/api/stacks/acme/app/dev", tok2, nil)
	fail.Store(false)
	h.must(200, "GET", "/api/stacks/acme/app/dev", tok2, nil)
}

// TestWhoCan: who may delete prod, and through what; a guardrail moves the non-exempt
// holders to deniedByGuardrail; pages of one principal walk the same set; bad input names the
// field.
func TestWhoCan(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("app", "prod", map[string]string{"env": "prod"})
	deleter := h.grantRole("deleter", authz.GrantSpec{Scopes: []string{"stack:delete"}})
	glass := h.grantRole("break-glass", authz.GrantSpec{Scopes: []string{"stack:delete"}})
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}})
	delID, _ := h.token("ci-deleter", deleter.ID)
	glassID, _ := h.token("glass", glass.ID)
	h.token("ci-reader", reader.ID)
	h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), apitype.CreateTeamRequest{Name: "ops"})
	h.must(204, "POST", "/api/orgs/acme/teams/ops/roles/"+deleter.ID, h.admin(), nil)
	var teamTok apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/teams/ops/tokens", h.admin(), apitype.CreateTeamTokenRequest{Name: "ops-ci"}).decode(t, &teamTok)

	ask := func(req apitype.WhoCanRequest) apitype.WhoCanResponse {
		t.Helper()
		var out apitype.WhoCanResponse
		h.must(200, "POST", "/api/orgs/acme/access/who", h.admin(), req).decode(t, &out)
		return out
	}
	names := func(ps []apitype.WhoCanPrincipal) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Kind+":"+p.Name)
		}
		return out
	}
	prod := apitype.EntityRef{Kind: "stack", Project: "app", Name: "prod"}
	all := ask(apitype.WhoCanRequest{Action: "stack:delete", Entity: prod})
	want := []string{"org_token:admin", "org_token:ci-deleter", "org_token:glass", "team:ops", "team_token:ops-ci"}
	if got := names(all.Principals); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("principals %v, want %v", got, want)
	}
	for _, p := range all.Principals {
		if p.Kind == "team_token" && p.ActsAs != "team:ops" {
			t.Errorf("team token acts as %q", p.ActsAs)
		}
		if p.Kind == "team" && (len(p.Reasons) == 0 || !strings.Contains(p.Reasons[0], "via team ops → role deleter")) {
			t.Errorf("team reasons %v", p.Reasons)
		}
	}

	h.guardrail(apitype.CreateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:delete"}, Condition: json.RawMessage(prodTag), ExemptRoles: []string{glass.ID}})
	guarded := ask(apitype.WhoCanRequest{Action: "stack:delete", Entity: prod})
	if got := names(guarded.Principals); strings.Join(got, ",") != "org_token:glass" {
		t.Fatalf("after the guardrail: principals %v, want only the break-glass token", got)
	}
	if len(guarded.DeniedByGuardrail) != 4 || guarded.DeniedByGuardrail[0].Guardrail == "" {
		t.Fatalf("deniedByGuardrail %v", names(guarded.DeniedByGuardrail))
	}
	_ = delID
	_ = glassID

	// Pages of one: the same principals, examined once each.
	var paged []string
	req := apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, MaxResults: 1}
	pages := 0
	for {
		page := ask(req)
		pages++
		if page.Examined > 1 {
			t.Fatalf("a page of 1 examined %d", page.Examined)
		}
		paged = append(paged, names(page.Principals)...)
		paged = append(paged, names(page.DeniedByGuardrail)...)
		if page.ContinuationToken == "" {
			break
		}
		req.ContinuationToken = page.ContinuationToken
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(paged) != 5 {
		t.Fatalf("paged %v", paged)
	}
	only := ask(apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, Kinds: []string{"team"}})
	if got := names(append(only.Principals, only.DeniedByGuardrail...)); strings.Join(got, ",") != "team:ops" {
		t.Fatalf("kinds [team]: %v", got)
	}

	// Teams page through the store: more teams, pages of one, each team examined once, in order.
	for _, name := range []string{"alpha", "zeta", "mid"} {
		h.must(200, "POST", "/api/orgs/acme/teams/pulumi", h.admin(), apitype.CreateTeamRequest{Name: name})
		h.must(204, "POST", "/api/orgs/acme/teams/"+name+"/roles/"+deleter.ID, h.admin(), nil)
	}
	var teamPages []string
	treq := apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, Kinds: []string{"team"}, MaxResults: 1}
	for range 10 {
		page := ask(treq)
		teamPages = append(teamPages, names(append(page.Principals, page.DeniedByGuardrail...))...)
		if treq.ContinuationToken = page.ContinuationToken; treq.ContinuationToken == "" {
			break
		}
	}
	if got := strings.Join(teamPages, ","); got != "team:alpha,team:mid,team:ops,team:zeta" {
		t.Fatalf("teams in pages of one: %s", got)
	}

	bad := []struct {
		body      any
		status    int
		attribute string
		msg       string
	}{
		{apitype.WhoCanRequest{Entity: prod}, 400, "action", "required"},
		{apitype.WhoCanRequest{Action: "stack:delte", Entity: prod}, 400, "action", `did you mean "stack:delete"`},
		{apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, Kinds: []string{"teams"}}, 400, "kinds[0]", `did you mean "team"`},
		{apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, MaxResults: 5000}, 400, "maxResults", "1 to 1000"},
		{apitype.WhoCanRequest{Action: "stack:delete", Entity: prod, ContinuationToken: "forged"}, 400, "continuationToken", "not a continuation token"},
		{apitype.WhoCanRequest{Action: "stack:delete", Entity: apitype.EntityRef{Kind: "stak", Name: "x"}}, 400, "entity.kind", "unknown entity kind"},
	}
	for _, tc := range bad {
		r := h.must(tc.status, "POST", "/api/orgs/acme/access/who", h.admin(), tc.body)
		e := r.errorBody(t)
		if len(e.Errors) == 0 || e.Errors[0].Attribute != tc.attribute || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%+v: got %s; want attribute %s with %q", tc.body, r, tc.attribute, tc.msg)
		}
	}
	// A caller that may read roles but no holders is refused, naming the scopes.
	_, weak := h.scopedToken("weak", authz.GrantSpec{Scopes: []string{"role:read"}})
	r := h.must(403, "POST", "/api/orgs/acme/access/who", weak, apitype.WhoCanRequest{Action: "stack:delete", Entity: prod})
	if !strings.Contains(r.String(), "org_token:read") {
		t.Fatalf("refusal %s", r)
	}
}

// TestGuardrailKeepsExistenceHidden: a principal that reads every stack but for a guardrail
// learns nothing about which stacks exist: a missing stack is the same 403 as a hidden one.
func TestGuardrailKeepsExistenceHidden(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("app", "prod", map[string]string{"env": "prod"})
	h.must(404, "GET", "/api/stacks/acme/app/missing", h.admin(), nil)
	h.guardrail(apitype.CreateGuardrailRequest{Name: "hide-prod", Actions: []string{"stack:read"}, Condition: json.RawMessage(prodTag)})
	hidden := h.must(403, "GET", "/api/stacks/acme/app/prod", h.admin(), nil)
	missing := h.must(403, "GET", "/api/stacks/acme/app/missing", h.admin(), nil)
	if strings.ReplaceAll(string(hidden.body), "app/prod", "app/X") != strings.ReplaceAll(string(missing.body), "app/missing", "app/X") {
		t.Fatalf("hidden and missing differ:\n%s\n%s", hidden.body, missing.body)
	}
}

// TestGuardrailRace: while other requests of a token compile and use its rights, a guardrail
// created (or deleted) applies to every request that starts after the answer: no compile
// begun before the change is cached past it.
func TestGuardrailRace(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("app", "prod", map[string]string{"env": "prod"})
	role := h.grantRole("deleter", authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "role:read"}})
	prod := apitype.EntityRef{Kind: "stack", Project: "app", Name: "prod"}
	for round := 0; round < 5; round++ {
		_, tok := h.token(fmt.Sprint("t", round), role.ID)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default: // h.do: no t.Fatal off the test's goroutine
						h.do("POST", "/api/orgs/acme/access/check", tok, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{{Action: "stack:delete", Entity: prod}}})
					}
				}
			}()
		}
		g := h.guardrail(apitype.CreateGuardrailRequest{Name: fmt.Sprint("g", round), Actions: []string{"stack:delete"}, Condition: json.RawMessage(prodTag)})
		for i := 0; i < 20; i++ {
			if res := h.check(tok, "stack:delete", prod); res.Allowed {
				t.Fatalf("round %d: allowed after the guardrail was created", round)
			}
		}
		h.must(204, "DELETE", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), nil)
		for i := 0; i < 20; i++ {
			if res := h.check(tok, "stack:delete", prod); !res.Allowed {
				t.Fatalf("round %d: denied after the guardrail was deleted: %v", round, res.Reasons)
			}
		}
		close(stop)
		wg.Wait()
	}
}

// TestGuardrailLimit: racing creates never pass maxGuardrails (the store counts them in the
// create's transaction), the refusal says so, and a delete frees a slot.
func TestGuardrailLimit(t *testing.T) {
	t.Parallel()
	h := start(t)
	const maxGuardrails, extra = 100, 8 // server.maxGuardrails
	codes := make([]int, maxGuardrails+extra)
	bodies := make([]string, len(codes))
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			r := h.do("POST", "/api/orgs/acme/guardrails", h.admin(), apitype.CreateGuardrailRequest{Name: fmt.Sprint("g", i), Actions: []string{"stack:delete"}})
			codes[i], bodies[i] = r.status, string(r.body)
		})
	}
	wg.Wait()
	created, refused := 0, 0
	var one string
	for i, code := range codes {
		switch {
		case code == 200:
			created++
			one = fmt.Sprint("g", i)
		case code == 409 && strings.Contains(bodies[i], "the most it may have"):
			refused++
		default:
			t.Errorf("create %d: %d %s", i, code, bodies[i])
		}
	}
	if created != maxGuardrails || refused != extra {
		t.Fatalf("%d created, %d refused; want %d and %d", created, refused, maxGuardrails, extra)
	}
	var list apitype.ListGuardrailsResponse
	h.must(200, "GET", "/api/orgs/acme/guardrails", h.admin(), nil).decode(t, &list)
	for _, g := range list.Guardrails {
		if g.Name == one {
			h.must(204, "DELETE", "/api/orgs/acme/guardrails/"+g.ID, h.admin(), nil)
		}
	}
	h.must(200, "POST", "/api/orgs/acme/guardrails", h.admin(), apitype.CreateGuardrailRequest{Name: "after-delete", Actions: []string{"stack:delete"}})
	h.must(409, "POST", "/api/orgs/acme/guardrails", h.admin(), apitype.CreateGuardrailRequest{Name: "one-too-many", Actions: []string{"stack:delete"}})
}
