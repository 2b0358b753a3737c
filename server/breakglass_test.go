package server_test

import (
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/store"
)

// TestBreakGlass: MintAdminToken makes a working admin token of the org, audited with actor
// break-glass; ServerMintedTokens lists it with the bootstrap token and not API-made tokens;
// RevokeToken revokes, audited the same way; an org the store lacks is refused.
func TestBreakGlass(t *testing.T) {
	var st store.Store
	s := testserver.Start(t, testserver.Options{WrapStore: func(in store.Store) store.Store { st = in; return in }})
	c := ctx(t)
	if _, err := s.Client.CreateToken(c, org, apitype.CreateOrgTokenRequest{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.MintAdminToken(c, st, "nosuchorg", "break-glass", ""); err == nil {
		t.Error("MintAdminToken for an org the store lacks succeeded")
	}
	value, tok, err := server.MintAdminToken(c, st, org, "admin", "by test") // "admin" is taken
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "admin-2" || !tokenRE.MatchString(value) {
		t.Errorf("minted %q (%q), want admin-2 and a token value", tok.Name, value)
	}
	glass := s.NewClient(t, value)
	if _, err := glass.CreateToken(c, org, apitype.CreateOrgTokenRequest{Name: "by-glass"}); err != nil {
		t.Fatalf("the break-glass token cannot mint tokens: %v", err)
	}
	minted, err := server.ServerMintedTokens(c, st, org)
	if err != nil {
		t.Fatal(err)
	}
	if len(minted) != 2 || minted[0].Name != "admin" || minted[1].Name != "admin-2" {
		t.Fatalf("ServerMintedTokens = %+v, want admin and admin-2", minted)
	}
	if err := server.RevokeToken(c, st, minted[1], "by test"); err != nil {
		t.Fatal(err)
	}
	page, err := s.Client.ListAuditLogs(c, org, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"org_token:create": true, "org_token:delete": true}
	for _, e := range page.AuditLogEvents {
		if e.User.Name == server.BreakGlassActor && want[e.Action] {
			delete(want, e.Action)
		}
	}
	if len(want) != 0 {
		t.Errorf("no break-glass audit event for %v: %+v", want, page.AuditLogEvents)
	}
}
