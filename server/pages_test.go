package server_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// walk follows continuation tokens from path (which has a query) and returns every page's
// items as decoded by items, failing on a page larger than max or a walk that does not end.
func walk[T any](h *harness, token, path string, max int, items func(r *response) ([]T, string)) [][]T {
	h.t.Helper()
	var pages [][]T
	next := ""
	for range 1000 {
		p := path
		if next != "" {
			p += "&continuationToken=" + url.QueryEscape(next)
		}
		got, n := items(h.must(200, "GET", p, token, nil))
		if len(got) > max {
			h.t.Fatalf("GET %s: a page of %d, want at most %d", p, len(got), max)
		}
		pages = append(pages, got)
		if n == "" {
			return pages
		}
		next = n
	}
	h.t.Fatalf("GET %s: the pages do not end", path)
	return nil
}

func flat[T any](pages [][]T) []T {
	var all []T
	for _, p := range pages {
		all = append(all, p...)
	}
	return all
}

func tokenPage(t testing.TB) func(r *response) ([]string, string) {
	return func(r *response) ([]string, string) {
		var out apitype.ListTokensResponse
		r.decode(t, &out)
		names := []string{}
		for _, tk := range out.Tokens {
			names = append(names, tk.Name)
		}
		return names, out.ContinuationToken
	}
}

func rolePage(t testing.TB) func(r *response) ([]apitype.Role, string) {
	return func(r *response) ([]apitype.Role, string) {
		var out apitype.ListRolesResponse
		r.decode(t, &out)
		return out.Roles, out.ContinuationToken
	}
}

// TestListsArePaged: every listing honours ?maxResults= and hands out continuation tokens that
// walk each item exactly once; a caller who may read few entities gets only those.
func TestListsArePaged(t *testing.T) {
	t.Parallel()
	h := start(t)
	reader := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:read"}})
	var wantTokens []string = []string{"admin"}
	for i := range 7 {
		name := fmt.Sprintf("tok-%d", i)
		h.token(name, reader.ID)
		wantTokens = append(wantTokens, name)
	}
	pages := walk(h, h.admin(), "/api/orgs/acme/tokens?maxResults=3", 3, tokenPage(t))
	if got := flat(pages); len(pages) != 3 || !slices.Equal(got, wantTokens) {
		t.Errorf("tokens in pages of 3: %d pages %v, want %v", len(pages), got, wantTokens)
	}
	pages = walk(h, h.admin(), "/api/orgs/acme/roles/"+reader.ID+"/tokens?maxResults=2", 2, tokenPage(t))
	if got := flat(pages); len(pages) != 4 || !slices.Equal(got, wantTokens[1:]) {
		t.Errorf("role tokens in pages of 2: %d pages %v", len(pages), got)
	}

	// Roles: built-ins first, so a client that reads one page still finds them.
	for i := range 5 {
		h.grantRole(fmt.Sprintf("custom-%d", i), authz.GrantSpec{Scopes: []string{"stack:read"}})
	}
	rpages := walk(h, h.admin(), "/api/orgs/acme/roles?uxPurpose=role&maxResults=2", 2, rolePage(t))
	roles := flat(rpages)
	var names []string
	builtinsDone := false
	for _, r := range roles {
		names = append(names, r.Name)
		if r.DefaultIdentifier == "" {
			builtinsDone = true
		} else if builtinsDone {
			t.Errorf("built-in %q after a custom role", r.Name)
		}
	}
	if want := []string{"custom-0", "custom-1", "custom-2", "custom-3", "custom-4", "reader"}; !slices.Equal(names[len(names)-6:], want) {
		t.Errorf("roles: %v", names)
	}
	if rpages[0][0].DefaultIdentifier == "" {
		t.Errorf("the first page starts with a custom role: %+v", rpages[0])
	}

	// Stacks, environments, accounts: only what the caller may read, in pages.
	var readable []string
	var grants authz.Refs
	for i := range 9 {
		s := h.stack("p", fmt.Sprintf("s%d", i), nil)
		if i%3 == 0 {
			readable = append(readable, s.StackName)
			grants.Stacks = append(grants.Stacks, s.ID)
		}
		h.env("p", fmt.Sprintf("e%d", i))
		h.account(fmt.Sprintf("a%d", i), nil)
	}
	_, some := h.scopedToken("some", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: grants}, authz.GrantSpec{Scopes: []string{"stack:list"}})
	stackPage := func(r *response) ([]string, string) {
		var out apitype.ListStacksResponse
		r.decode(t, &out)
		var n []string
		for _, s := range out.Stacks {
			n = append(n, s.StackName)
		}
		return n, out.ContinuationToken
	}
	if got := flat(walk(h, some, "/api/user/stacks?organization=acme&maxResults=1", 1, stackPage)); !slices.Equal(got, readable) {
		t.Errorf("visible stacks: %v, want %v", got, readable)
	}
	if got := flat(walk(h, h.admin(), "/api/user/stacks?organization=acme&project=p&maxResults=4", 4, stackPage)); len(got) != 9 {
		t.Errorf("all stacks: %v", got)
	}
	envPages := walk(h, h.admin(), "/api/esc/environments/acme?maxResults=4", 4, func(r *response) ([]string, string) {
		var out apitype.ListEnvironmentsResponse
		r.decode(t, &out)
		var n []string
		for _, e := range out.Environments {
			n = append(n, e.Name)
		}
		return n, out.NextToken
	})
	if got := flat(envPages); len(envPages) != 3 || len(got) != 9 || got[0] != "e0" || got[8] != "e8" {
		t.Errorf("environments: %v", envPages)
	}
	accPages := walk(h, h.admin(), "/api/preview/insights/acme/accounts?maxResults=5", 5, func(r *response) ([]string, string) {
		var out apitype.ListInsightsAccountsResponse
		r.decode(t, &out)
		var n []string
		for _, a := range out.Accounts {
			n = append(n, a.Name)
		}
		return n, out.NextToken
	})
	if got := flat(accPages); len(accPages) != 2 || len(got) != 9 {
		t.Errorf("accounts: %v", accPages)
	}
}

// TestContinuationTokensAreOpaque: a token that was altered, comes from another listing or
// another query, or was made up, is a 400 naming continuationToken; page sizes are bounded.
func TestContinuationTokensAreOpaque(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i := range 3 {
		h.token(fmt.Sprintf("t%d", i), "")
		h.stack("p", fmt.Sprintf("s%d", i), nil)
	}
	first := func(path string) string {
		var out struct {
			ContinuationToken string `json:"continuationToken"`
		}
		h.must(200, "GET", path, h.admin(), nil).decode(t, &out)
		if out.ContinuationToken == "" {
			t.Fatalf("GET %s: no continuation token", path)
		}
		return out.ContinuationToken
	}
	tokens := first("/api/orgs/acme/tokens?maxResults=1")
	stacks := first("/api/user/stacks?organization=acme&maxResults=1")
	roles := first("/api/orgs/acme/roles?uxPurpose=set&maxResults=1")
	for i := range 5 {
		h.token(fmt.Sprintf("audit-%d", i), "")
	}
	for deadline := time.Now().Add(5 * time.Second); len(h.auditEvents()) < 2; time.Sleep(20 * time.Millisecond) { // written asynchronously
		if time.Now().After(deadline) {
			t.Fatal("fewer than 2 audit events after 5s")
		}
	}
	audit := first("/api/orgs/acme/auditlogs?pageSize=1")

	flip := func(s string) string {
		b := []byte(s)
		i := len(b) / 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for _, c := range []struct{ name, path string }{
		{"altered", "/api/orgs/acme/tokens?continuationToken=" + flip(tokens)},
		{"truncated", "/api/orgs/acme/tokens?continuationToken=" + tokens[:len(tokens)-2]},
		{"made up", "/api/orgs/acme/tokens?continuationToken=MTIz"},
		{"not base64", "/api/orgs/acme/tokens?continuationToken=%25%25"},
		{"another listing's", "/api/orgs/acme/tokens?continuationToken=" + stacks},
		{"another query's", "/api/orgs/acme/tokens?filter=all&continuationToken=" + tokens},
		{"roles: another purpose's", "/api/orgs/acme/roles?uxPurpose=role&continuationToken=" + roles},
		{"stacks: another project's", "/api/user/stacks?organization=acme&project=p&continuationToken=" + stacks},
		{"environments: a stacks token", "/api/esc/environments/acme?continuationToken=" + stacks},
		{"audit: an ID", "/api/orgs/acme/auditlogs?continuationToken=3"},
		{"audit: altered", "/api/orgs/acme/auditlogs?continuationToken=" + flip(audit)},
		{"audit: a tokens token", "/api/orgs/acme/auditlogs?continuationToken=" + tokens},
		{"maxResults 0", "/api/orgs/acme/tokens?maxResults=0"},
		{"maxResults over the cap", "/api/orgs/acme/roles?uxPurpose=role&maxResults=1001"},
		{"maxResults not a number", "/api/user/stacks?organization=acme&maxResults=ten"},
	} {
		r := h.do("GET", c.path, h.admin(), nil)
		want := "continuationToken"
		if strings.Contains(c.name, "maxResults") {
			want = "maxResults"
		}
		if r.status != 400 {
			t.Errorf("%s: %s, want 400", c.name, r)
			continue
		}
		if e := r.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != want {
			t.Errorf("%s: %+v, want attribute %s", c.name, e, want)
		}
	}
	// Another server's token (another database, so another key) is refused too.
	other := start(t)
	for i := range 3 {
		other.token(fmt.Sprintf("t%d", i), "")
	}
	if r := other.do("GET", "/api/orgs/acme/tokens?continuationToken="+tokens, other.admin(), nil); r.status != 400 {
		t.Errorf("a token from another server: %s", r)
	}
}

// TestClientWalksEveryPage: the Go client (and so both providers) reads lists longer than one
// default page.
func TestClientWalksEveryPage(t *testing.T) {
	t.Parallel()
	h := start(t)
	for i := range 105 {
		h.grantRole(fmt.Sprintf("r%03d", i), authz.GrantSpec{Scopes: []string{"stack:read"}})
		h.token(fmt.Sprintf("t%03d", i), "")
	}
	roles, err := h.ts.Client.ListRoles(ctx(t), org, apitype.UXPurposeRole)
	if err != nil {
		t.Fatal(err)
	}
	if custom := slices.DeleteFunc(roles, func(r apitype.Role) bool { return r.DefaultIdentifier != "" }); len(custom) != 105 {
		t.Errorf("client.ListRoles: %d custom roles, want 105", len(custom))
	}
	toks, err := h.ts.Client.ListTokens(ctx(t), org, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 106 {
		t.Errorf("client.ListTokens: %d tokens, want 106", len(toks))
	}
}

// TestQuotas: creates past a per-org quota are 409s naming the quota, its limit and the
// setting that raises it; deleting makes room again.
func TestQuotas(t *testing.T) {
	t.Parallel()
	h := start(t, testserver.Options{MaxRoles: 2, MaxTokens: 3, MaxEntities: 3})
	details := buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}})
	check := func(r *response, attribute, limit string) {
		t.Helper()
		if r.status != 409 {
			t.Fatalf("got %s, want 409", r)
		}
		e := r.errorBody(t)
		if len(e.Errors) == 0 || e.Errors[0].Attribute != attribute || !strings.Contains(e.Message, "quota") ||
			!strings.Contains(e.Message, limit) || !strings.Contains(e.Message, "--"+attribute) {
			t.Errorf("error %+v", e)
		}
	}
	r1 := h.grantRole("r1", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.grantRole("r2", authz.GrantSpec{Scopes: []string{"stack:read"}})
	check(h.do("POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: "r3", Details: details}), "max-roles", "2")
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+r1.ID, h.admin(), nil)
	h.grantRole("r3", authz.GrantSpec{Scopes: []string{"stack:read"}})

	// The admin token counts: two more fit.
	t1, _ := h.token("t1", "")
	h.token("t2", "")
	check(h.do("POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "t3"}), "max-tokens", "3")
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+t1, h.admin(), nil)
	h.token("t3", "")

	h.stack("p", "s", nil)
	h.env("p", "e")
	h.account("a", nil)
	check(h.do("POST", "/api/stacks/acme/p", h.admin(), apitype.CreateStackRequest{StackName: "s2"}), "max-entities", "3")
	check(h.do("POST", "/api/preview/insights/acme/accounts/b", h.admin(), apitype.CreateInsightsAccountRequest{Provider: "aws"}), "max-entities", "3")
	h.must(204, "DELETE", "/api/stacks/acme/p/s", h.admin(), nil)
	h.stack("p", "s2", nil)
}

// countingStore counts the COUNT(*) reads behind quota checks.
type countingStore struct {
	store.Store
	n *atomic.Int64
}

func (s countingStore) CountTokens(ctx context.Context, org string) (int, error) {
	s.n.Add(1)
	return s.Store.CountTokens(ctx, org)
}

// The token quota is decided by the store, in the create's transaction (store.WithLimit): the
// server reads no count of its own (far below the limit the store answers from its bound,
// sqlstore's limit_counts, without a COUNT(*) either).
func TestQuotaCheckDoesNotCountEveryCreate(t *testing.T) {
	t.Parallel()
	var counts atomic.Int64
	h := start(t, testserver.Options{WrapStore: func(st store.Store) store.Store { return countingStore{st, &counts} }})
	for i := range 20 {
		h.token(fmt.Sprintf("t%d", i), "")
	}
	if n := counts.Load(); n != 0 {
		t.Errorf("20 token creates counted the tokens %d times through CountTokens, want none", n)
	}
}
