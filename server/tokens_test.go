package server_test

import (
	"context"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// TestTokenValueShownOnce: the value has Pulumi's format, is returned only by the create, and
// never appears in any listing.
func TestTokenValueShownOnce(t *testing.T) {
	t.Parallel()
	h := start(t)
	role := h.grantRole("r", authz.GrantSpec{Scopes: []string{"stack:list"}})
	id, value := h.token("ci", role.ID)
	if !regexp.MustCompile(`^pul-[0-9a-f]{40}$`).MatchString(value) {
		t.Fatalf("token value %q does not match ^pul-[0-9a-f]{40}$", value)
	}
	if id == "" || strings.Contains(id, value[4:]) {
		t.Fatalf("token ID %q", id)
	}
	_, value2 := h.token("ci2", role.ID)
	if value2 == value {
		t.Fatal("two tokens got the same value")
	}
	h.must(200, "GET", "/api/user/stacks?organization=acme", value, nil)
	for _, path := range []string{
		"/api/orgs/acme/tokens", "/api/orgs/acme/tokens?filter=all", "/api/orgs/acme/tokens?filter=expired",
		"/api/orgs/acme/roles/" + role.ID + "/tokens",
	} {
		r := h.must(200, "GET", path, h.admin(), nil)
		if strings.Contains(string(r.body), value) || strings.Contains(string(r.body), value[4:]) ||
			strings.Contains(string(r.body), "tokenValue") || tokenRE.Match(r.body) {
			t.Errorf("GET %s reveals a token value: %s", path, r.body)
		}
	}
	toks := h.tokens("active")
	tok, ok := findToken(toks, "ci")
	if !ok {
		t.Fatalf("token ci not listed: %+v", toks)
	}
	if tok.ID != id || tok.Type != apitype.TokenTypeOrganization || tok.CreatedBy != "admin" || tok.Role == nil || tok.Role.ID != role.ID || tok.Role.Name != "r" {
		t.Errorf("listed token = %+v (role %+v)", tok, tok.Role)
	}
	if _, err := time.Parse(time.RFC3339, tok.Created); err != nil {
		t.Errorf("created %q is not ISO 8601: %v", tok.Created, err)
	}
	var byRole apitype.ListTokensResponse
	h.must(200, "GET", "/api/orgs/acme/roles/"+role.ID+"/tokens", h.admin(), nil).decode(t, &byRole)
	if len(byRole.Tokens) != 2 {
		t.Errorf("tokens with role r: %+v, want ci and ci2", byRole.Tokens)
	}
}

// TestDeletedTokenRejectedAtOnce: a revoked token fails on the very next request even though
// it was just authenticated (and cached).
func TestDeletedTokenRejectedAtOnce(t *testing.T) {
	t.Parallel()
	h := start(t, testserver.Options{TokenTTL: time.Hour})
	id, value := h.token("short-lived", "")
	for range 3 {
		h.must(200, "GET", "/api/user", value, nil)
	}
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+id, h.admin(), nil)
	if r := h.do("GET", "/api/user", value, nil); r.status != 401 {
		t.Fatalf("deleted token: %s, want 401", r)
	}
	h.must(404, "DELETE", "/api/orgs/acme/tokens/"+id, h.admin(), nil)
	h.must(404, "DELETE", "/api/orgs/acme/tokens/no-such-token", h.admin(), nil)
	if _, ok := findToken(h.tokens("all"), "short-lived"); ok {
		t.Error("deleted token still listed")
	}
}

// TestTokenSelfDelete: a token may revoke itself (with org_token:delete) and is refused after.
func TestTokenSelfDelete(t *testing.T) {
	t.Parallel()
	h := start(t)
	id, value := h.scopedToken("self", authz.GrantSpec{Scopes: []string{"org_token:delete"}})
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+id, value, nil)
	h.must(401, "DELETE", "/api/orgs/acme/tokens/"+id, value, nil)
}

// TestTokenExpiry: an expired token is refused at once, even while its authentication is
// cached, and the list filters follow the clock.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now, TokenTTL: 24 * time.Hour})
	var out apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{
		Name: "hourly", Expires: clk.Now().Add(time.Hour).Unix(),
	}).decode(t, &out)
	h.token("forever", "")
	h.must(200, "GET", "/api/user", out.TokenValue, nil) // now cached for 24 h

	names := func(filter string) map[string]bool {
		m := map[string]bool{}
		for _, tok := range h.tokens(filter) {
			m[tok.Name] = true
		}
		return m
	}
	if a, e := names("active"), names("expired"); !a["hourly"] || !a["forever"] || e["hourly"] || e["forever"] {
		t.Errorf("before expiry: active %v, expired %v", a, e)
	}
	tok, _ := findToken(h.tokens("all"), "hourly")
	if tok.Expires != clk.Now().Add(time.Hour).Unix() {
		t.Errorf("expires = %d, want %d", tok.Expires, clk.Now().Add(time.Hour).Unix())
	}

	clk.Advance(59 * time.Minute)
	h.must(200, "GET", "/api/user", out.TokenValue, nil)
	clk.Advance(time.Minute) // exactly at expiry: refused
	if r := h.do("GET", "/api/user", out.TokenValue, nil); r.status != 401 {
		t.Fatalf("expired (cached) token: %s, want 401", r)
	}
	if a, e, all := names("active"), names("expired"), names("all"); a["hourly"] || !a["forever"] || !e["hourly"] || e["forever"] || !all["hourly"] || !all["forever"] {
		t.Errorf("after expiry: active %v, expired %v, all %v", a, e, all)
	}
	if a := names(""); a["hourly"] || !a["forever"] {
		t.Errorf("default filter after expiry: %v, want active only", a)
	}
	// An expired token can still be deleted; its name stays taken.
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+out.ID, h.admin(), nil)
	h.must(409, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "hourly"})
}

// TestTokenLastUsed: lastUsed is 0 until the token is used, then the time of use, at once
// (merged from memory) and after the server flushed it to the store.
func TestTokenLastUsed(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now})
	h.token("idle", "")
	_, value := h.token("busy", "")
	if tok, _ := findToken(h.tokens("all"), "busy"); tok.LastUsed != 0 {
		t.Fatalf("unused token lastUsed = %d", tok.LastUsed)
	}
	clk.Advance(5 * time.Minute)
	usedAt := clk.Now().Unix()
	h.must(200, "GET", "/api/user", value, nil)
	clk.Advance(10 * time.Second)
	h.must(200, "GET", "/api/user", value, nil)
	busy, _ := findToken(h.tokens("all"), "busy")
	idle, _ := findToken(h.tokens("all"), "idle")
	if busy.LastUsed != usedAt || idle.LastUsed != 0 {
		t.Errorf("lastUsed busy=%d idle=%d, want %d and 0", busy.LastUsed, idle.LastUsed, usedAt)
	}
	// The admin token's own use shows too.
	if admin, _ := findToken(h.tokens("all"), "admin"); admin.LastUsed == 0 {
		t.Error("admin token's lastUsed is 0 although it listed tokens")
	}
	// A later use, beyond the write granularity, moves it forward.
	clk.Advance(2 * time.Minute)
	h.must(200, "GET", "/api/user", value, nil)
	if busy, _ := findToken(h.tokens("all"), "busy"); busy.LastUsed != clk.Now().Unix() {
		t.Errorf("lastUsed after a later use = %d, want %d", busy.LastUsed, clk.Now().Unix())
	}
	// Flushed to the store: a second server on the same database sees it.
	want := clk.Now().Unix()
	if err := h.ts.API.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, testserver.Options{DBPath: h.ts.DBPath, Now: clk.Now})
	if busy, _ := findToken(h2.tokens("all"), "busy"); busy.LastUsed != want {
		t.Errorf("lastUsed after flush and restart = %d, want %d", busy.LastUsed, want)
	}
}

// TestRolelessTokenGetsDefaultRole: a token created without a role holds the org default
// role: the built-in member, or the custom role made default.
func TestRolelessTokenGetsDefaultRole(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("p", "s", nil)
	_, value := h.token("plain", "")
	tok, _ := findToken(h.tokens("all"), "plain")
	if tok.Role == nil || tok.Role.DefaultIdentifier != "member" || tok.Role.Name != "Member" || tok.Admin {
		t.Fatalf("role-less token: %+v role %+v, want the built-in member role", tok, tok.Role)
	}
	h.must(200, "GET", "/api/user/stacks?organization=acme", value, nil) // stack:list
	h.must(403, "GET", "/api/orgs/acme/roles?uxPurpose=role", value, nil)
	h.must(403, "GET", "/api/stacks/acme/p/s", value, nil) // member holds no stack grants

	custom := h.grantRole("ci-default", authz.GrantSpec{Scopes: []string{"role:read"}})
	h.must(204, "PATCH", "/api/orgs/acme/roles/"+custom.ID+"/default", h.admin(), nil)
	_, v2 := h.token("plain2", "")
	tok2, _ := findToken(h.tokens("all"), "plain2")
	if tok2.Role == nil || tok2.Role.ID != custom.ID {
		t.Fatalf("token after changing the default: role %+v, want %s", tok2.Role, custom.ID)
	}
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", v2, nil)
	h.must(403, "GET", "/api/user/stacks?organization=acme", v2, nil)
	// The earlier token keeps the role it was created with.
	h.must(200, "GET", "/api/user/stacks?organization=acme", value, nil)
}

// TestLegacyAdminToken: admin:true is the admin role except for creating and deleting tokens.
func TestLegacyAdminToken(t *testing.T) {
	t.Parallel()
	h := start(t)
	var out apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "legacy", Admin: true}).decode(t, &out)
	tok, _ := findToken(h.tokens("all"), "legacy")
	if !tok.Admin || tok.Role != nil {
		t.Errorf("legacy token listed as %+v", tok)
	}
	h.must(200, "GET", "/api/orgs/acme/auditlogs", out.TokenValue, nil)
	h.must(200, "POST", "/api/stacks/acme/p", out.TokenValue, apitype.CreateStackRequest{StackName: "s"})
	h.must(403, "POST", "/api/orgs/acme/tokens", out.TokenValue, apitype.CreateOrgTokenRequest{Name: "x"})
	h.must(403, "DELETE", "/api/orgs/acme/tokens/"+out.ID, out.TokenValue, nil)
	var u apitype.User
	h.must(200, "GET", "/api/user", out.TokenValue, nil).decode(t, &u)
	if u.Organizations[0].Role != "admin" {
		t.Errorf("legacy admin's org role = %q", u.Organizations[0].Role)
	}
}

// TestNoSecretsAtRest: no token value is in the database files (WAL included) or in the debug
// log of the server and the client, including values returned under an Idempotency-Key
// (whose stored response must be sealed).
func TestNoSecretsAtRest(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := start(t, testserver.Options{Logger: logger})
	cl, err := client.New(client.Config{BaseURL: h.ts.URL, Token: h.admin(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	c := ctx(t)
	h.stack("p", "s", nil)
	role := h.grantRole("reader", authz.GrantSpec{Scopes: []string{"stack:list", "org_token:create", "stack:read"}})
	values := []string{h.admin()}
	names := []string{}
	for i, key := range []string{"", "", "k-1", "k-2"} {
		name := "secret-" + string(rune('a'+i))
		cc := c
		if key != "" {
			cc = client.WithIdempotencyKey(c, key)
		}
		out, err := cl.CreateToken(cc, org, apitype.CreateOrgTokenRequest{Name: name, RoleID: role.ID})
		if err != nil {
			t.Fatal(err)
		}
		if key != "" { // replayed: the stored response is read back
			again, err := cl.CreateToken(cc, org, apitype.CreateOrgTokenRequest{Name: name, RoleID: role.ID})
			if err != nil || again.TokenValue != out.TokenValue {
				t.Fatalf("replay: %+v, %v", again, err)
			}
		}
		values = append(values, out.TokenValue)
		names = append(names, name)
	}
	// Use every token, a token minting another under a key, a denial, a bad token, a deletion.
	for _, v := range values[1:] {
		h.must(200, "GET", "/api/stacks/acme/p/s", v, nil)
		h.must(403, "DELETE", "/api/stacks/acme/p/s", v, nil)
	}
	var minted apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", values[1], apitype.CreateOrgTokenRequest{Name: "minted", RoleID: role.ID},
		"Idempotency-Key", "mint-1").decode(t, &minted)
	values = append(values, minted.TokenValue)
	names = append(names, "minted")
	h.must(401, "GET", "/api/user", "pul-"+strings.Repeat("ab", 20), nil)
	toks := h.tokens("all")
	d, _ := findToken(toks, "secret-a")
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+d.ID, h.admin(), nil)
	h.must(401, "GET", "/api/user", values[1], nil)
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+role.ID+"?force=true", h.admin(), nil)
	h.must(403, "GET", "/api/stacks/acme/p/s", values[2], nil) // role gone: logged as a warning
	h.waitAudit("of the role deletion", func(e apitype.AuditLogEvent) bool { return e.Action == "role:delete" })
	if err := h.ts.API.Close(context.Background()); err != nil { // flush audit and usage
		t.Fatal(err)
	}

	var db []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(h.ts.DBPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	// The files do hold the tokens (so a missing value is meaningful), just not their values.
	for _, n := range names {
		if !strings.Contains(string(db), n) {
			t.Fatalf("database files do not contain the token name %q; is this the right file?", n)
		}
	}
	logText := logs.String()
	if !strings.Contains(logText, "level=DEBUG") || !strings.Contains(logText, "level=WARN") {
		t.Fatalf("expected debug and warning records in the log, got:\n%s", logText)
	}
	for where, data := range map[string]string{"database": string(db), "log": logText} {
		for _, v := range values {
			if strings.Contains(data, v) || strings.Contains(data, v[4:]) {
				t.Errorf("%s contains token value %s", where, v)
			}
		}
		if m := tokenRE.FindString(data); m != "" {
			t.Errorf("%s contains something shaped like a token: %s", where, m)
		}
	}
}

// TestRevocationReachesOtherReplicas: two servers on one database; a token deleted through one
// is refused by the other once that one's token cache entry is older than TokenTTL.
func TestRevocationReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := start(t, testserver.Options{Now: clk.Now, TokenTTL: time.Minute})
	b := start(t, testserver.Options{Now: clk.Now, TokenTTL: time.Minute, DBPath: a.ts.DBPath})
	id, value := a.token("shared", "")
	b.must(200, "GET", "/api/user", value, nil) // cached by b
	a.must(204, "DELETE", "/api/orgs/acme/tokens/"+id, a.admin(), nil)
	a.must(401, "GET", "/api/user", value, nil)
	clk.Advance(time.Minute + time.Second)
	if r := b.do("GET", "/api/user", value, nil); r.status != 401 {
		t.Fatalf("other replica after TokenTTL: %s, want 401", r)
	}
}
