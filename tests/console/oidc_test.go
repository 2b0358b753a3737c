package console_test

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
)

// TestConsoleOIDC signs in through the console's OIDC form: an ID token from a static-JWKS
// issuer whose policy allows a role is exchanged at /api/oauth/token; the matrix then shows
// exactly what that role allows (cell by cell against the access-check API), the requested
// expiration reaches the server, a team token asked for by name gets the team's rights, and an
// ID token the policy refuses shows the RFC 6749 error and signs nothing in. Neither the ID tokens nor the access token appear in any URL, request
// the server received, or log line, and the ID token is not kept in the page.
func TestConsoleOIDC(t *testing.T) {
	browser := chromiumPath(t)
	logs := &syncBuffer{}
	var seenMu sync.Mutex
	var seen []string
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
	ids := map[string]string{}
	for _, name := range []string{"prod", "dev", "staging"} {
		var s apitype.Stack
		a.must("GET", "/api/stacks/acme/myapp/"+name, admin, nil, &s)
		ids[name] = s.ID
	}
	// The role the policy hands out: read prod and dev (not staging), see the org tokens and roles.
	var role apitype.Role
	a.must("POST", "/api/orgs/acme/roles", admin, apitype.CreateRoleRequest{Name: "ci-reader", UXPurpose: apitype.UXPurposeRole, Details: details(t,
		authz.GrantSpec{Scopes: []string{"org_token:read", "role:read"}}, // role:read: access checks about other principals
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stacks(ids["prod"], ids["dev"])})}, &role)
	var other apitype.CreateTokenResponse // a second column, holding nothing
	a.must("POST", "/api/orgs/acme/tokens", admin, apitype.CreateOrgTokenRequest{Name: "other", RoleID: role.ID}, &other)

	// A team token reads myapp/staging only.
	var teamRole apitype.Role
	a.must("POST", "/api/orgs/acme/roles", admin, apitype.CreateRoleRequest{Name: "team-reader", UXPurpose: apitype.UXPurposeRole, Details: details(t,
		authz.GrantSpec{Scopes: []string{"org_token:read", "role:read"}},
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stacks(ids["staging"])})}, &teamRole)
	a.must("POST", "/api/orgs/acme/teams/pulumi", admin, apitype.CreateTeamRequest{Name: "platform"}, nil)
	a.must("POST", "/api/orgs/acme/teams/platform/roles/"+teamRole.ID, admin, nil, nil)

	idp := testoidc.Static(t, "https://ci.example.com")
	var iss apitype.Issuer
	a.must("POST", "/api/orgs/acme/oidc/issuers", admin, apitype.RegisterIssuerRequest{Name: "ci", URL: idp.URL, JWKS: idp.JWKS()}, &iss)
	var pol apitype.AuthPolicy
	a.must("GET", "/api/orgs/acme/auth/policies/oidcissuers/"+iss.ID, admin, nil, &pol)
	mainClaims := idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")
	a.must("PATCH", "/api/orgs/acme/auth/policies/"+pol.ID, admin, apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{{
		Decision: apitype.PolicyDecisionAllow, TokenType: apitype.PolicyTokenOrganization, RoleID: role.ID,
		Rules: map[string]string{"sub": mainClaims["sub"].(string)},
	}, {
		Decision: apitype.PolicyDecisionAllow, TokenType: apitype.PolicyTokenTeam, TeamName: "platform",
		Rules: map[string]string{"sub": mainClaims["sub"].(string)},
	}}}, nil)
	good := idp.Mint(t, mainClaims)
	refused := idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/feature")) // wrong sub

	b, browserURLs := startBrowser(t, browser)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	submit := func(what, idToken string) {
		t.Helper()
		b.do(what,
			setField("oidc-token", idToken),
			setField("oidc-org", "acme"),
			chromedp.SetValue(css("#oidc-type"), "organization"),
			setField("oidc-expiration", "600"),
			chromedp.Click(css("#oidc-signin button[type=submit]")))
	}
	signedInOrRefused := until(`!document.getElementById('explorer').hidden || !document.getElementById('error').hidden`)
	b.do("open the console", chromedp.Navigate(ts.URL+"/ui/"), chromedp.WaitVisible(css("#token")),
		chromedp.Click(css("#oidc-box summary")), chromedp.WaitVisible(css("#oidc-token")))

	// The token type decides which extra field shows.
	b.do("team type", chromedp.SetValue(css("#oidc-type"), "team"),
		script(`document.getElementById('oidc-type').dispatchEvent(new Event('change'))`))
	if label := get(b, "team field", chromedp.Evaluate[string](`document.getElementById('oidc-target').hidden ? 'hidden' : document.getElementById('oidc-target-label').textContent`)); label != "Team name" {
		t.Errorf("team token: target field %q, want the Team name field", label)
	}
	b.do("example values", setField("oidc-org", "acme"), setField("oidc-target", "platform"), setField("oidc-expiration", "900"))
	b.shot("oidc-signin")
	b.do("personal type", chromedp.SetValue(css("#oidc-type"), "personal"),
		script(`document.getElementById('oidc-type').dispatchEvent(new Event('change'))`))
	if label := get(b, "login field", chromedp.Evaluate[string](`document.getElementById('oidc-target-label').textContent`)); label != "Login" {
		t.Errorf("personal token: target label %q, want Login", label)
	}
	b.do("organization type", chromedp.SetValue(css("#oidc-type"), "organization"),
		script(`document.getElementById('oidc-type').dispatchEvent(new Event('change'))`))

	// A token for another branch: the policy refuses it; the console shows the server's
	// description and nothing more, and signs nothing in.
	submit("refused ID token", refused)
	b.do("refusal shown", chromedp.WaitVisible(css("#error")))
	msg := get(b, "refusal message", chromedp.Text(css("#error")))
	if !strings.Contains(msg, "invalid_grant") || !strings.Contains(msg, "the subject token was not accepted for this request") || strings.Contains(msg, "feature") {
		t.Errorf("refused ID token: error box %q", msg)
	}
	if get(b, "still signed out", chromedp.Evaluate[bool](`document.getElementById('tabs').hidden && sessionStorage.length === 0 && document.getElementById('oidc-token').value === ''`)) != true {
		t.Errorf("a refused ID token opened the console, or a token was kept")
	}

	// The allowed token signs in with the exchanged access token.
	submit("good ID token", good)
	b.do("exchanged", signedInOrRefused)
	if msg := get(b, "error box", chromedp.Evaluate[string](`document.getElementById('error').textContent`)); msg != "" {
		t.Fatalf("sign in refused: %s", msg)
	}
	b.do("signed in", chromedp.WaitReady(css("#ex-scope option")))
	if get(b, "error cleared", chromedp.Evaluate[bool](`document.getElementById('error').hidden && document.getElementById('oidc-box').hidden && document.getElementById('oidc-token').value === ''`)) != true {
		t.Errorf("after the exchange the error box or the OIDC form still shows, or the ID token is still in the field")
	}
	access := get(b, "stored token", chromedp.Evaluate[string](`sessionStorage.getItem('iamref.token') || ''`))
	if !strings.HasPrefix(access, "pul-") || strings.Contains(get(b, "storage", chromedp.Evaluate[string](`JSON.stringify(Object.assign({}, sessionStorage))`)), good) {
		t.Fatalf("sessionStorage after the exchange holds %q chars, want only the pul- access token", fmt.Sprint(len(access)))
	}
	var user apitype.User
	a.must("GET", "/api/user", access, nil, &user)
	if user.TokenInfo == nil || user.TokenInfo.Organization != "acme" {
		t.Fatalf("the exchanged token is not an acme org token: %+v", user)
	}
	if who := get(b, "whoami", chromedp.Text(css("#who"))); !strings.Contains(who, user.TokenInfo.Name) || !strings.Contains(who, "acme") {
		t.Errorf("signed in as %q, want token %s of acme", who, user.TokenInfo.Name)
	}
	// The requested expiration (600 s) reached the server.
	var listed apitype.ListTokensResponse
	a.must("GET", "/api/orgs/acme/tokens?maxResults=1000", admin, nil, &listed)
	var exchanged *apitype.AccessToken
	for i := range listed.Tokens {
		if listed.Tokens[i].Name == user.TokenInfo.Name {
			exchanged = &listed.Tokens[i]
		}
	}
	if exchanged == nil {
		t.Fatalf("the exchanged token %q is not listed", user.TokenInfo.Name)
	}
	if left := time.Until(time.Unix(exchanged.Expires, 0)); left <= 0 || left > 600*time.Second+time.Minute {
		t.Errorf("the exchanged token expires in %v, want at most 600 s (the form's expiration)", left)
	}

	// The matrix shows exactly what the role allows: stack:read on myapp/prod and myapp/dev.
	b.do("matrix",
		chromedp.SetValue(css("#ex-entity-kind"), "stack"),
		script(`document.getElementById('ex-entity-kind').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(css("#ex-scope"), "stack:read"),
		setField("ex-project", "myapp"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelectorAll('#matrix tbody tr').length === 2`))
	type cell struct{ Principal, Entity, Allowed, Row string }
	cells := get(b, "read matrix", chromedp.Evaluate[[]cell](`[...document.querySelectorAll('#matrix button.cell')].map(b => ({Principal: b.dataset.principal, Entity: b.dataset.entity, Allowed: b.dataset.allowed, Row: b.closest('tr').querySelector('th').firstChild.textContent}))`))
	rows, principals := map[string]string{}, map[string]bool{}
	var checks []apitype.AccessCheck
	for _, c := range cells {
		rows[c.Entity] = c.Row
		principals[c.Principal] = true
		checks = append(checks, apitype.AccessCheck{Principal: c.Principal, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: c.Entity}})
	}
	if want := []string{"myapp/dev", "myapp/prod"}; !slices.Equal(slices.Sorted(maps.Values(rows)), want) {
		t.Errorf("matrix rows %v, want %v (the role does not read myapp/staging)", slices.Sorted(maps.Values(rows)), want)
	}
	if !principals[exchanged.ID] || !principals[other.ID] {
		t.Errorf("matrix columns %v, want the exchanged token %s and %s", principals, exchanged.ID, other.ID)
	}
	var answers apitype.AccessCheckResponse
	a.must("POST", "/api/orgs/acme/access/check", access, apitype.AccessCheckRequest{Checks: checks}, &answers)
	for i, c := range cells {
		if want := fmt.Sprint(answers.Results[i].Allowed); c.Allowed != want {
			t.Errorf("cell %s × %s: console says allowed=%s, the access check %s", c.Row, c.Principal, c.Allowed, want)
		}
		if c.Principal == exchanged.ID && c.Allowed != "true" {
			t.Errorf("the exchanged token's own cell on %s is %s: its role reads that stack", c.Row, c.Allowed)
		}
	}
	b.do("sign out", chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#token")))

	// A team token: the form sends scope team:platform; the matrix shows the team's stack only.
	teamToken := idp.Mint(t, idp.GitHubClaims("acme", "acme/payments", "refs/heads/main")) // a fresh jti
	b.do("team sign in",
		chromedp.Click(css("#oidc-box summary")), chromedp.WaitVisible(css("#oidc-token")),
		setField("oidc-token", teamToken),
		setField("oidc-org", "acme"),
		chromedp.SetValue(css("#oidc-type"), "team"),
		script(`document.getElementById('oidc-type').dispatchEvent(new Event('change'))`),
		setField("oidc-target", "platform"),
		chromedp.Click(css("#oidc-signin button[type=submit]")),
		signedInOrRefused)
	if msg := get(b, "team error box", chromedp.Evaluate[string](`document.getElementById('error').textContent`)); msg != "" {
		t.Fatalf("team sign in refused: %s", msg)
	}
	b.do("team matrix", chromedp.WaitReady(css("#ex-scope option")),
		chromedp.SetValue(css("#ex-scope"), "stack:read"),
		setField("ex-project", "myapp"),
		chromedp.Click(css("#explorer-form button[type=submit]")),
		until(`document.querySelectorAll('#matrix tbody tr').length === 1`))
	if row := get(b, "team row", chromedp.Evaluate[string](`document.querySelector('#matrix tbody th').firstChild.textContent`)); row != "myapp/staging" {
		t.Errorf("signed in as the team token, the matrix shows %q, want only myapp/staging", row)
	}
	teamAccess := get(b, "team token", chromedp.Evaluate[string](`sessionStorage.getItem('iamref.token') || ''`))
	var teamUser apitype.User
	a.must("GET", "/api/user", teamAccess, nil, &teamUser)
	if teamUser.TokenInfo == nil || teamUser.TokenInfo.Team != "platform" {
		t.Errorf("the token the team form got is not a platform team token: %+v", teamUser.TokenInfo)
	}
	b.do("sign out again", chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#token")))

	// No token (the ID tokens, the access token) in any URL, request line or log line.
	secrets := []string{good, refused, teamToken, strings.Split(good, ".")[2], strings.Split(refused, ".")[2], strings.Split(teamToken, ".")[2],
		access, strings.TrimPrefix(access, "pul-"), teamAccess, strings.TrimPrefix(teamAccess, "pul-")}
	check := func(where string, texts ...string) {
		for _, text := range texts {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("a token appears in %s: %q", where, text)
				}
			}
		}
	}
	urls := browserURLs()
	check("a URL the browser requested", urls...)
	seenMu.Lock()
	check("a request the server received", seen...)
	nSeen := len(seen)
	seenMu.Unlock()
	check("the server log", logs.String())
	check("the page's address", get(b, "location", chromedp.Location()))
	if len(urls) < 5 || nSeen < 5 || !slices.ContainsFunc(urls, func(u string) bool { return strings.HasSuffix(u, "/api/oauth/token") }) {
		t.Errorf("%d browser requests (none to /api/oauth/token?) and %d server requests recorded: the checks above saw nothing", len(urls), nSeen)
	}
}
