// Package console_test drives the web console (/ui) in a real browser: Debian's chromium,
// through chromedp, against a server seeded over its API.
package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// chromiumPath finds the browser the way the README says: $IAMREF_CHROMIUM, else
// /usr/bin/chromium (Debian's package; `make chromium` installs it), else chromium or
// chromium-browser on PATH. Under -short the test skips; without a browser it skips, or fails
// when IAMREF_REQUIRE_BINARIES is set (make test-e2e).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped under -short")
	}
	candidates := []string{os.Getenv("IAMREF_CHROMIUM"), "/usr/bin/chromium"}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	msg := "chromium not found (set IAMREF_CHROMIUM, or run `make chromium` to install Debian's package)"
	if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// syncBuffer is a log sink read by the test while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type api struct {
	t   *testing.T
	url string
}

func (a api) call(method, path, token string, body, out any) int {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, a.url+path, rd)
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (a api) must(method, path, token string, body, out any) {
	a.t.Helper()
	if st := a.call(method, path, token, body, out); st >= 300 {
		a.t.Fatalf("%s %s: %d", method, path, st)
	}
}

func details(t *testing.T, grants ...authz.GrantSpec) json.RawMessage {
	t.Helper()
	n, err := authz.BuildRole(grants)
	if err != nil {
		t.Fatal(err)
	}
	return authz.Format(n)
}

func stacks(ids ...string) authz.Refs {
	var r authz.Refs
	r.Set(authz.KindStack, ids)
	return r
}

// TestConsole signs in with a scoped token and walks every screen: the matrix agrees with the
// access-check API cell by cell and shows only what the token may read, a cell explains itself
// with the evaluator's reasons, a role edit previews the expected diff and saves, a token is
// revoked, least privilege reports used scopes; the token appears in no URL the browser
// requested, in no request the server saw and in no server log line.
func TestConsole(t *testing.T) {
	browser := chromiumPath(t)
	logs := &syncBuffer{}
	var seenMu sync.Mutex
	var seen []string // every request line and Referer the server received
	ts := testserver.Start(t, testserver.Options{
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenMu.Lock()
				seen = append(seen, r.Method+" "+r.URL.String()+" referer="+r.Referer()+" cookie="+r.Header.Get("Cookie"))
				seenMu.Unlock()
				h.ServeHTTP(w, r)
			})
		},
	})
	a := api{t, ts.URL}
	admin := ts.AdminToken
	ts.SeedExample(t, "prod", "dev", "staging")
	var secret apitype.Stack
	a.must("POST", "/api/stacks/acme/secret", admin, apitype.CreateStackRequest{StackName: "vault", Tags: map[string]string{"env": "prod"}}, &secret)
	ids := map[string]string{}
	for _, name := range []string{"prod", "dev", "staging"} {
		var s apitype.Stack
		a.must("GET", "/api/stacks/acme/myapp/"+name, admin, nil, &s)
		ids[name] = s.ID
	}

	// A stack whose tag value is markup: the console must show it as text.
	var evil apitype.Stack
	a.must("POST", "/api/stacks/acme/evil", admin, apitype.CreateStackRequest{StackName: "xss", Tags: map[string]string{"note": `<img src=x id=pwned onerror="document.title='pwned'">`}}, &evil)
	// 60 more stacks in project bulk, for paging.
	var bulk []string
	for i := range 60 {
		var s apitype.Stack
		a.must("POST", "/api/stacks/acme/bulk", admin, apitype.CreateStackRequest{StackName: fmt.Sprintf("s%02d", i)}, &s)
		bulk = append(bulk, s.ID)
	}
	createRole := func(name string, d json.RawMessage) apitype.Role {
		var r apitype.Role
		a.must("POST", "/api/orgs/acme/roles", admin, apitype.CreateRoleRequest{Name: name, UXPurpose: apitype.UXPurposeRole, Details: d}, &r)
		return r
	}
	createToken := func(name, roleID string, expires int64) apitype.CreateTokenResponse {
		var out apitype.CreateTokenResponse
		a.must("POST", "/api/orgs/acme/tokens", admin, apitype.CreateOrgTokenRequest{Name: name, RoleID: roleID, Expires: expires}, &out)
		return out
	}
	// The console's token: reads roles, tokens, teams and members, revokes tokens, and reads
	// the myapp stacks only (not secret/vault).
	consoleRole := createRole("console", details(t,
		authz.GrantSpec{Scopes: []string{"role:read", "role:update", "org_token:read", "org_token:delete", "team:list", "team:read", "org_member:read", "org_member_access:read"}},
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: stacks(append([]string{ids["prod"], ids["dev"], ids["staging"], evil.ID}, bulk...)...)}))
	console := createToken("console", consoleRole.ID, 0)
	deployer := createRole("deployer", details(t, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stacks(ids["prod"])}))
	ci := createToken("ci", deployer.ID, 0)
	victim := createToken("victim", deployer.ID, time.Now().Add(72*time.Hour).Unix())
	a.must("POST", "/api/orgs/acme/teams/pulumi", admin, apitype.CreateTeamRequest{Name: "platform"}, nil)
	a.must("POST", "/api/orgs/acme/teams/platform/roles/"+deployer.ID, admin, nil, nil)
	// release holds more than it uses (least privilege); its counters are flushed.
	releaseRole := createRole("release", details(t,
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "stack:export"}, Refs: stacks(ids["prod"], ids["dev"])},
		authz.GrantSpec{Scopes: []string{"role:read", "audit_logs:read"}}))
	release := createToken("release", releaseRole.ID, 0)
	for range 3 {
		a.must("GET", "/api/stacks/acme/myapp/prod", release.TokenValue, nil, nil)
	}
	a.must("GET", "/api/orgs/acme/roles?uxPurpose=role", release.TokenValue, nil, nil)
	ts.API.Housekeep(context.Background())
	today := time.Now().UTC().Format("2006-01-02")

	b, browserURLs := startBrowser(t, browser)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	shot := b.shot

	// Sign in.
	b.do("open the console", chromedp.Navigate(ts.URL+"/ui/"), chromedp.WaitVisible(css("#token")))
	// A wrong token is refused with the server's message, and nothing else shows.
	wrong := "pul-" + strings.Repeat("0123456789", 4)
	b.do("wrong token", chromedp.SendKeys(css("#token"), wrong), chromedp.Click(css("#signin button[type=submit]")),
		chromedp.WaitVisible(css("#error")))
	if msg := get(b, "wrong token message", chromedp.Text(css("#error"))); !strings.Contains(msg, "invalid, expired or revoked token") {
		t.Errorf("wrong token: error box %q", msg)
	}
	if get(b, "tabs hidden", chromedp.Evaluate[bool](`document.getElementById('tabs').hidden && sessionStorage.length === 0`)) != true {
		t.Errorf("a refused token opened the console or was kept")
	}
	b.do("clear", setField("token", ""))
	b.do("sign in", chromedp.SendKeys(css("#token"), console.TokenValue), chromedp.Click(css("#signin button[type=submit]")))
	b.do("signed in", chromedp.WaitVisible(css("#explorer")), chromedp.WaitReady(css("#ex-scope option")))
	if who := get(b, "whoami", chromedp.Text(css("#who"))); !strings.Contains(who, "console") || !strings.Contains(who, "acme") {
		t.Errorf("signed in as %q", who)
	}

	// Access explorer: server-side paging and filters.
	rowNames := func(what string) []string {
		return get(b, what, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#matrix tbody th')].map(th => th.firstChild.textContent)`))
	}
	b.do("matrix pages",
		chromedp.SetValue(css("#ex-scope"), "stack:read"),
		chromedp.SetValue(css("#ex-project"), "bulk"),
		chromedp.SetValue(css("#ex-size"), "25"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		chromedp.WaitVisible(css("#matrix tbody tr")))
	var paged []string
	for page := 1; ; page++ {
		names := rowNames(fmt.Sprintf("page %d", page))
		if len(names) > 25 || len(names) == 0 {
			t.Fatalf("page %d has %d rows", page, len(names))
		}
		paged = append(paged, names...)
		if get(b, "next enabled", chromedp.Evaluate[bool](`!document.getElementById('ex-next').disabled`)) == false {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
		b.do("next page", chromedp.Click(css("#ex-next")),
			until(fmt.Sprintf(`document.getElementById('ex-page').textContent === 'Page %d'`, page+1)))
	}
	if len(paged) != 60 || paged[0] != "bulk/s00" || paged[59] != "bulk/s59" {
		t.Errorf("pages through project bulk: %d rows %v", len(paged), paged)
	}
	b.do("markup in a tag",
		setField("ex-project", "evil"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelectorAll('#matrix tbody tr').length === 1`))
	if shown := get(b, "markup shown", chromedp.Evaluate[bool](`document.getElementById('pwned') === null && document.title !== 'pwned' && document.querySelector('#matrix tbody .tags').textContent.includes('<img src=x id=pwned')`)); !shown {
		t.Errorf("a tag value with markup was not shown as text")
	}
	b.do("tag filter",
		setField("ex-project", ""),
		chromedp.SetValue(css("#ex-tag"), "env=prod"),
		chromedp.SetValue(css("#ex-size"), "50"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelector('#matrix tbody th').firstChild.textContent === 'myapp/prod'`))
	if names := rowNames("tag filter rows"); !slices.Equal(names, []string{"myapp/prod"}) {
		t.Errorf("tag env=prod: rows %v, want only myapp/prod (secret/vault is tagged env=prod too, but unreadable)", names)
	}

	// Access explorer: stack:read on project myapp, every principal the token may see.
	b.do("matrix",
		setField("ex-tag", ""),
		chromedp.SetValue(css("#ex-project"), "myapp"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelectorAll('#matrix tbody tr').length === 3`))
	type cell struct{ Principal, Entity, Allowed, Row string }
	cells := get(b, "read matrix", chromedp.Evaluate[[]cell](`[...document.querySelectorAll('#matrix button.cell')].map(b => ({Principal: b.dataset.principal, Entity: b.dataset.entity, Allowed: b.dataset.allowed, Row: b.closest('tr').querySelector('th').firstChild.textContent}))`))
	rows, principals := map[string]string{}, map[string]bool{}
	var checks []apitype.AccessCheck
	for _, c := range cells {
		rows[c.Entity] = c.Row
		principals[c.Principal] = true
		checks = append(checks, apitype.AccessCheck{Principal: c.Principal, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: c.Entity}})
	}
	if want := []string{"myapp/dev", "myapp/prod", "myapp/staging"}; !slices.Equal(slices.Sorted(maps.Values(rows)), want) {
		t.Errorf("matrix rows %v, want %v (the token may not read secret/vault)", slices.Sorted(maps.Values(rows)), want)
	}
	for _, p := range []string{ci.ID, victim.ID, console.ID, "team:platform"} {
		if !principals[p] {
			t.Errorf("matrix has no column for %s (columns: %v)", p, principals)
		}
	}
	var answers apitype.AccessCheckResponse
	a.must("POST", "/api/orgs/acme/access/check", console.TokenValue, apitype.AccessCheckRequest{Checks: checks}, &answers)
	allowed := 0
	for i, c := range cells {
		want := fmt.Sprint(answers.Results[i].Allowed)
		if c.Allowed != want {
			t.Errorf("cell %s × %s: console says allowed=%s, the access check %s", c.Row, c.Principal, c.Allowed, want)
		}
		if c.Allowed == "true" {
			allowed++
		}
	}
	if allowed == 0 || allowed == len(cells) {
		t.Errorf("%d of %d cells allowed: the matrix should mix both", allowed, len(cells))
	}
	shot("explorer")

	// An organization-level scope: one row, the organization.
	b.do("org scope",
		chromedp.SetValue(css("#ex-entity-kind"), "org"),
		script(`document.getElementById('ex-entity-kind').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(css("#ex-scope"), "role:read"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelector('#matrix tbody th').firstChild.textContent === 'organization acme'`))
	orgCells := get(b, "org cells", chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('#matrix button.cell')].map(b => [b.dataset.principal, b.dataset.allowed]))`))
	if orgCells[console.ID] != "true" || orgCells[ci.ID] != "false" || orgCells[release.ID] != "true" {
		t.Errorf("role:read on the organization: %v (console and release hold it, ci does not)", orgCells)
	}
	b.do("back to stacks",
		chromedp.SetValue(css("#ex-entity-kind"), "stack"),
		script(`document.getElementById('ex-entity-kind').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(css("#ex-scope"), "stack:read"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelectorAll('#matrix tbody tr').length === 3`))

	// Explanation of ci on myapp/prod: the evaluator's reasons.
	var want apitype.AccessCheckResponse
	a.must("POST", "/api/orgs/acme/access/check", console.TokenValue, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: ci.ID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: ids["prod"]}},
		{Principal: ci.ID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: ids["dev"]}},
	}}, &want)
	b.do("explain allowed",
		chromedp.Click(css(fmt.Sprintf(`#matrix button[data-principal=%q][data-entity=%q]`, ci.ID, ids["prod"]))),
		chromedp.WaitVisible(css("#explain")))
	explained := get(b, "explanation", chromedp.Text(css("#explain")))
	if !want.Results[0].Allowed || !strings.Contains(explained, want.Results[0].Reasons[0]) || !strings.Contains(explained, "Allowed") {
		t.Errorf("explanation:\n%s\nwant it to hold the reason %q", explained, want.Results[0].Reasons)
	}
	shot("explain")
	b.do("explain denied",
		chromedp.Click(css(fmt.Sprintf(`#matrix button[data-principal=%q][data-entity=%q]`, ci.ID, ids["dev"]))),
		chromedp.Sleep(200*time.Millisecond))
	explained = get(b, "denied explanation", chromedp.Text(css("#explain")))
	if want.Results[1].Allowed || !strings.Contains(explained, "Denied") || len(want.Results[1].Reasons) > 0 && !strings.Contains(explained, want.Results[1].Reasons[0]) {
		t.Errorf("denied explanation:\n%s\nwant %+v", explained, want.Results[1])
	}

	// Roles: view deployer, preview granting stack:read on dev too, save.
	edit := details(t, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stacks(ids["prod"], ids["dev"])})
	b.do("view role",
		chromedp.Click(css("#tab-roles")),
		chromedp.WaitVisible(css(fmt.Sprintf(`button[data-role=%q]`, deployer.ID))),
		chromedp.Click(css(fmt.Sprintf(`button[data-role=%q]`, deployer.ID))),
		chromedp.WaitVisible(css("#role-grants .g")))
	if grants := get(b, "grants", chromedp.Text(css("#role-grants"))); !strings.Contains(grants, "allow") || !strings.Contains(grants, "stack:read") || !strings.Contains(grants, "“myapp/prod”") {
		t.Errorf("role grants shown as %q", grants)
	}
	b.do("preview role",
		chromedp.Click(css("#role-edit-box summary")),
		chromedp.SetValue(css("#role-edit"), string(edit)),
		chromedp.Click(css("#role-preview")),
		chromedp.WaitVisible(css("#diff-table")))
	diffRows := get(b, "diff rows", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#diff-table tbody tr')].map(r => [...r.cells].map(c => c.textContent))`))
	wantRows := [][]string{
		{"team platform", "stack myapp/dev", "+ stack:read", ""},
		{"token ci", "stack myapp/dev", "+ stack:read", ""},
		{"token victim", "stack myapp/dev", "+ stack:read", ""},
	}
	if fmt.Sprint(diffRows) != fmt.Sprint(wantRows) {
		t.Errorf("preview diff rows:\n got %q\nwant %q", diffRows, wantRows)
	}
	b.do("show the diff", chromedp.ScrollIntoView(css("#diff-table")))
	shot("roles-preview")
	b.do("save role", chromedp.Click(css("#role-save")), chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(css("#role-name")))
	var role apitype.Role
	a.must("GET", "/api/orgs/acme/roles/"+deployer.ID, admin, nil, &role)
	if role.Version != 2 {
		t.Errorf("after save: role version %d, want 2", role.Version)
	}

	// Tokens: victim expires in 3 days (highlighted); revoke it.
	b.do("tokens",
		chromedp.Click(css("#tab-tokens")),
		chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-token-row=%q]`, victim.ID))))
	soonRows := get(b, "soon rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#token-table tr.soon-row')].map(r => r.dataset.tokenRow)`))
	if !slices.Equal(soonRows, []string{victim.ID}) {
		t.Errorf("rows marked expiring soon: %v, want only victim %s", soonRows, victim.ID)
	}
	shot("tokens")
	revoke := fmt.Sprintf(`button[data-token=%q]`, victim.ID)
	b.do("revoke",
		chromedp.Click(css(revoke)),
		chromedp.WaitVisible(css(revoke+`[data-confirm="1"]`)),
		chromedp.Click(css(revoke)),
		chromedp.WaitNotPresent(css(fmt.Sprintf(`tr[data-token-row=%q]`, victim.ID))))
	if st := a.call("GET", "/api/user", victim.TokenValue, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("the revoked token still authenticates: %d", st)
	}

	// Least privilege for release: stack:read and role:read used, the rest not.
	b.do("least privilege",
		chromedp.Click(css("#tab-least")),
		chromedp.SetValue(css("#lp-principal"), release.ID),
		chromedp.Click(css("#least-form button[type=submit]")),
		chromedp.WaitVisible(css("#lp-yaml")))
	usageRows := get(b, "usage rows", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#usage-table tbody tr')].map(r => [...r.cells].map(c => c.textContent))`))
	wantUsage := [][]string{
		{"audit_logs:read", "yes", "unused", ""},
		{"role:read", "yes", "1", today},
		{"stack:delete", "yes", "unused", ""},
		{"stack:export", "yes", "unused", ""},
		{"stack:read", "yes", "3", today},
	}
	if fmt.Sprint(usageRows) != fmt.Sprint(wantUsage) {
		t.Errorf("usage rows:\n got %q\nwant %q", usageRows, wantUsage)
	}
	yaml := get(b, "yaml", chromedp.Text(css("#lp-yaml")))
	hcl := get(b, "hcl", chromedp.Text(css("#lp-hcl")))
	for _, text := range []string{yaml, hcl} {
		if !strings.Contains(text, "least-privilege-release") || !strings.Contains(text, "stack:read") || !strings.Contains(text, "role:read") ||
			strings.Contains(text, "stack:delete") || strings.Contains(text, "audit_logs:read") {
			t.Errorf("export:\n%s", text)
		}
	}
	if !strings.Contains(yaml, "iam:index:CustomRole") || !strings.Contains(hcl, `resource "iam_custom_role"`) {
		t.Errorf("exports:\n%s\n%s", yaml, hcl)
	}
	shot("least-privilege")

	// Every form control has a label and every button a name (all screens are loaded by now).
	unlabeled := get(b, "labels", chromedp.Evaluate[[]string](`[...document.querySelectorAll('input, select, textarea')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML)
		.concat([...document.querySelectorAll('button')].filter(e => !(e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML))`))
	if len(unlabeled) > 0 {
		t.Errorf("controls without a label or name: %v", unlabeled)
	}

	// Keyboard: the tabs move with the arrow keys.
	b.do("keyboard tabs", chromedp.Focus(css("#tab-least")), chromedp.KeyEvent(kb.ArrowLeft))
	if sel := get(b, "aria-selected", chromedp.AttributeValue(css("#tab-tokens"), "aria-selected")); sel.Value != "true" {
		t.Errorf("ArrowLeft from Least privilege: Tokens aria-selected=%q", sel.Value)
	}

	// A reload keeps the tab signed in (sessionStorage); Sign out forgets the token.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(css("#whoami")), chromedp.WaitVisible(css("#explorer")))
	b.do("sign out", chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#token")))
	if n := get(b, "storage after sign out", chromedp.Evaluate[int](`sessionStorage.length`)); n != 0 {
		t.Errorf("after sign out, sessionStorage holds %d items", n)
	}

	// The token is in no URL, request line, Referer, cookie or log line; the page keeps it out
	// of its address and cookies.
	href := get(b, "location", chromedp.Location())
	cookie := get(b, "cookie", chromedp.Evaluate[string](`document.cookie`))
	secrets := []string{console.TokenValue, strings.TrimPrefix(console.TokenValue, "pul-"), wrong}
	check := func(where string, texts ...string) {
		for _, text := range texts {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("the console token appears in %s: %q", where, text)
				}
			}
		}
	}
	urls := browserURLs()
	check("a URL the browser requested", urls...)
	nURLs := len(urls)
	seenMu.Lock()
	check("a request the server received", seen...)
	nSeen := len(seen)
	seenMu.Unlock()
	check("the server log", logs.String())
	check("the page's address or cookies", href, cookie)
	if nURLs < 10 || nSeen < 10 {
		t.Errorf("only %d browser requests and %d server requests recorded: the checks above saw nothing", nURLs, nSeen)
	}
}

// startBrowser starts chromium headless for the test (stopped when it ends) and returns a tab
// with a 90 s budget, and a function that lists every URL the browser requested so far.
func startBrowser(t *testing.T, browser string) (*page, func() []string) {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 860),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true)) // small /dev/shm in containers
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser (no timeout on this context)
		t.Fatalf("start %s: %v", browser, err)
	}
	var urlsMu sync.Mutex
	var urls []string // every URL the browser requested
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			urlsMu.Lock()
			urls = append(urls, e.Request.URL)
			urlsMu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	tctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	b := &page{t: t, ctx: tctx}
	b.do("enable network events", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	return b, func() []string {
		urlsMu.Lock()
		defer urlsMu.Unlock()
		return slices.Clone(urls)
	}
}

// shot writes a PNG of the page to $IAMREF_SCREENSHOTS/name.png when that folder is set.
func (p *page) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("IAMREF_SCREENSHOTS")
	if dir == "" {
		return
	}
	p.do("settle before "+name, chromedp.Sleep(150*time.Millisecond))
	png := get(p, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// page runs actions in the browser tab, failing the test with the console's error box.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	box, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('error').textContent`))
	p.t.Fatalf("%s: %v (console error box: %q)", what, err, box)
}

func get[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.fail(what, err)
	}
	return v
}

// until waits until the JavaScript expression is true.
func until(expression string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expression, chromedp.WithPollingTimeout(20*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// setField sets the value of the form field with this id (an empty value too).
func setField(id, value string) chromedp.Action[chromedp.Void] {
	expr := fmt.Sprintf(`(document.getElementById(%q).value = %q, true)`, id, value)
	eval := chromedp.Evaluate[bool](expr)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}

// script runs JavaScript in the page for its effect.
func script(js string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool]("(" + js + ", true)")
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}
