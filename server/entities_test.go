package server_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestStacks: create, get, tags, list (filtered by what the caller may read), delete.
func TestStacks(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := h.stack("web", "prod", map[string]string{"env": "prod"})
	if s.ID == "" || s.OrgName != org || s.ProjectName != "web" || s.StackName != "prod" || s.Tags["env"] != "prod" {
		t.Fatalf("created stack %+v", s)
	}
	other := h.stack("web", "dev", nil)
	h.stack("api", "prod", nil) // same stack name in another project is another stack
	r := h.must(409, "POST", "/api/stacks/acme/web", h.admin(), apitype.CreateStackRequest{StackName: "prod"})
	if eb := r.errorBody(t); len(eb.Errors) == 0 || eb.Errors[0].ErrorType != apitype.ErrorTypeAlreadyExists || eb.Message != "stack acme/web/prod already exists" {
		t.Errorf("duplicate: %s", r)
	}

	var got apitype.Stack
	h.must(200, "GET", "/api/stacks/acme/web/prod", h.admin(), nil).decode(t, &got)
	if got.ID != s.ID || got.Tags["env"] != "prod" {
		t.Errorf("GET = %+v, want %+v", got, s)
	}
	h.must(204, "PATCH", "/api/stacks/acme/web/prod/tags", h.admin(), map[string]string{"env": "staging", "team": "core"})
	h.must(200, "GET", "/api/stacks/acme/web/prod", h.admin(), nil).decode(t, &got)
	if len(got.Tags) != 2 || got.Tags["env"] != "staging" || got.Tags["team"] != "core" {
		t.Errorf("tags after PATCH: %v", got.Tags)
	}
	h.must(400, "PATCH", "/api/stacks/acme/web/prod/tags", h.admin(), map[string]string{"pulumi:x": "y"})

	// The listing shows only what the caller may read.
	_, tok := h.scopedToken("lister",
		authz.GrantSpec{Scopes: []string{"stack:list"}},
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{other.ID}}})
	list := func(token, query string) []string {
		var out apitype.ListStacksResponse
		h.must(200, "GET", "/api/user/stacks?organization=acme"+query, token, nil).decode(t, &out)
		var names []string
		for _, s := range out.Stacks {
			names = append(names, s.ProjectName+"/"+s.StackName)
		}
		sort.Strings(names)
		return names
	}
	if got := strings.Join(list(h.admin(), ""), ","); got != "api/prod,web/dev,web/prod" {
		t.Errorf("admin lists %s", got)
	}
	if got := strings.Join(list(h.admin(), "&project=web"), ","); got != "web/dev,web/prod" {
		t.Errorf("admin lists project web: %s", got)
	}
	if got := strings.Join(list(tok, ""), ","); got != "web/dev" {
		t.Errorf("lister lists %s, want web/dev only", got)
	}
	// Without organization (`pulumi stack ls`), the server's org.
	var all apitype.ListStacksResponse
	h.must(200, "GET", "/api/user/stacks", h.admin(), nil).decode(t, &all)
	if len(all.Stacks) != 3 {
		t.Errorf("listing without organization: %+v, want the server's 3 stacks", all.Stacks)
	}

	h.must(204, "DELETE", "/api/stacks/acme/web/prod", h.admin(), nil)
	h.must(404, "GET", "/api/stacks/acme/web/prod", h.admin(), nil)
	h.must(404, "DELETE", "/api/stacks/acme/web/prod", h.admin(), nil)
	// The name is free again, with a new ID.
	again := h.stack("web", "prod", nil)
	if again.ID == s.ID {
		t.Error("re-created stack reuses the deleted stack's ID")
	}
}

// TestTagConditionFollowsTagUpdates: a grant conditioned on a tag follows the stack's tags
// as they change (no stale entity cache).
func TestTagConditionFollowsTagUpdates(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("p", "s", map[string]string{"env": "prod"})
	root := &authz.Condition{
		Condition: &authz.Equal{Left: &authz.Tag{Context: &authz.Context{Kind: authz.CtxStack}, Key: "env"}, Right: &authz.String{Value: "dev"}},
		SubNode:   &authz.Allow{Permissions: []string{"stack:read"}},
	}
	role := h.role("dev-reader", apitype.UXPurposeRole, "", authz.Format(root))
	_, tok := h.token("dev", role.ID)
	h.must(403, "GET", "/api/stacks/acme/p/s", tok, nil)
	h.must(204, "PATCH", "/api/stacks/acme/p/s/tags", h.admin(), map[string]string{"env": "dev"})
	h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
	h.must(204, "PATCH", "/api/stacks/acme/p/s/tags", h.admin(), map[string]string{})
	h.must(403, "GET", "/api/stacks/acme/p/s", tok, nil)
	// A new stack with the same name and a matching tag is readable; pins by ID are not reused.
	h.must(204, "DELETE", "/api/stacks/acme/p/s", h.admin(), nil)
	h.stack("p", "s", map[string]string{"env": "dev"})
	h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
}

// TestEnvironments: create, get, open, tags, list (filtered), delete.
func TestEnvironments(t *testing.T) {
	t.Parallel()
	h := start(t)
	e := h.env("cfg", "prod")
	if e.ID == "" || e.Organization != org || e.Project != "cfg" || e.Name != "prod" || e.Created == "" {
		t.Fatalf("created %+v", e)
	}
	dev := h.env("cfg", "dev")
	h.must(409, "POST", "/api/esc/environments/acme", h.admin(), apitype.CreateEnvironmentRequest{Project: "cfg", Name: "prod"})
	var got apitype.Environment
	r := h.must(200, "GET", "/api/esc/environments/acme/cfg/prod", h.admin(), nil)
	r.decode(t, &got)
	if got.ID != e.ID || !strings.Contains(string(r.body), `"tags":{}`) {
		t.Errorf("GET = %s", r.body)
	}
	var open apitype.OpenEnvironmentResponse
	h.must(200, "POST", "/api/esc/environments/acme/cfg/prod/open", h.admin(), nil).decode(t, &open)
	if open.ID == "" {
		t.Error("no open session ID")
	}
	h.must(204, "PATCH", "/api/esc/environments/acme/cfg/prod/tags", h.admin(), map[string]string{"tier": "1"})
	h.must(200, "GET", "/api/esc/environments/acme/cfg/prod", h.admin(), nil).decode(t, &got)
	if got.Tags["tier"] != "1" {
		t.Errorf("tags after PATCH: %v", got.Tags)
	}

	_, tok := h.scopedToken("env-lister",
		authz.GrantSpec{Scopes: []string{"environment:list"}},
		authz.GrantSpec{Scopes: []string{"environment:read"}, Refs: authz.Refs{Environments: []string{dev.ID}}})
	list := func(token string) string {
		var out apitype.ListEnvironmentsResponse
		h.must(200, "GET", "/api/esc/environments/acme", token, nil).decode(t, &out)
		var names []string
		for _, e := range out.Environments {
			names = append(names, e.Project+"/"+e.Name)
		}
		sort.Strings(names)
		return strings.Join(names, ",")
	}
	if got := list(h.admin()); got != "cfg/dev,cfg/prod" {
		t.Errorf("admin lists %s", got)
	}
	if got := list(tok); got != "cfg/dev" {
		t.Errorf("env-lister lists %s", got)
	}
	h.must(403, "POST", "/api/esc/environments/acme/cfg/dev/open", tok, nil) // read is not open

	h.must(204, "DELETE", "/api/esc/environments/acme/cfg/prod", h.admin(), nil)
	h.must(404, "GET", "/api/esc/environments/acme/cfg/prod", h.admin(), nil)
	h.must(404, "POST", "/api/esc/environments/acme/cfg/prod/open", h.admin(), nil)
}

// TestInsightsAccounts: create, get, list (filtered), delete; the provider is kept apart from
// the tags.
func TestInsightsAccounts(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.account("aws-prod", map[string]string{"env": "prod"})
	if a.ID == "" || a.Name != "aws-prod" || a.Provider != "aws" || len(a.Tags) != 1 || a.Tags["env"] != "prod" {
		t.Fatalf("created %+v", a)
	}
	b := h.account("aws-dev", nil)
	r := h.must(409, "POST", "/api/preview/insights/acme/accounts/aws-prod", h.admin(), apitype.CreateInsightsAccountRequest{Provider: "gcp"})
	if msg := r.errorBody(t).Message; msg != "insights-account acme/aws-prod already exists" {
		t.Errorf("duplicate account: %q", msg)
	}
	var got apitype.InsightsAccount
	h.must(200, "GET", "/api/preview/insights/acme/accounts/aws-prod", h.admin(), nil).decode(t, &got)
	if got.ID != a.ID || got.Provider != "aws" || len(got.Tags) != 1 {
		t.Errorf("GET = %+v", got)
	}
	_, tok := h.scopedToken("acct-lister",
		authz.GrantSpec{Scopes: []string{"insights_account:list"}},
		authz.GrantSpec{Scopes: []string{"insights_account:read"}, Refs: authz.Refs{InsightsAccounts: []string{b.ID}}})
	list := func(token string) string {
		var out apitype.ListInsightsAccountsResponse
		h.must(200, "GET", "/api/preview/insights/acme/accounts", token, nil).decode(t, &out)
		var names []string
		for _, a := range out.Accounts {
			names = append(names, a.Name)
		}
		return strings.Join(names, ",")
	}
	if got := list(h.admin()); got != "aws-dev,aws-prod" {
		t.Errorf("admin lists %s", got)
	}
	if got := list(tok); got != "aws-dev" {
		t.Errorf("acct-lister lists %s", got)
	}
	h.must(403, "GET", "/api/preview/insights/acme/accounts/aws-prod", tok, nil)
	h.must(200, "GET", "/api/preview/insights/acme/accounts/aws-dev", tok, nil)
	h.must(204, "DELETE", "/api/preview/insights/acme/accounts/aws-prod", h.admin(), nil)
	h.must(404, "GET", "/api/preview/insights/acme/accounts/aws-prod", h.admin(), nil)
}

// TestNotFound: missing entities and other orgs are 404s with an error body.
func TestNotFound(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("p", "s", nil)
	h.env("p", "e")
	for _, p := range [][2]string{
		{"GET", "/api/stacks/acme/p/missing"},
		{"GET", "/api/stacks/acme/missing/s"},
		{"DELETE", "/api/stacks/acme/p/missing"},
		{"GET", "/api/esc/environments/acme/p/missing"},
		{"GET", "/api/preview/insights/acme/accounts/missing"},
		{"GET", "/api/stacks/other/p/s"},
		{"GET", "/api/esc/environments/other/p/e"},
		{"GET", "/api/orgs/other/roles?uxPurpose=role"},
		{"GET", "/api/orgs/other/tokens"},
		{"POST", "/api/stacks/other/p"},
		{"GET", "/api/user/stacks?organization=other"},
	} {
		r := h.do(p[0], p[1], h.admin(), nil)
		if r.status != 404 {
			t.Errorf("%s %s: %s, want 404", p[0], p[1], r)
			continue
		}
		r.errorBody(t)
	}
	// Another org's path is a 404 even for a token that holds nothing, not a 403.
	_, weak := h.scopedToken("weak", authz.GrantSpec{Scopes: []string{"tags:read"}})
	h.must(404, "GET", "/api/orgs/other/roles?uxPurpose=role", weak, nil)
}
