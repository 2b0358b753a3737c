package storetest

import (
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
)

func issuerOf(org, id, name string) store.Issuer {
	return store.Issuer{ID: id, Org: org, Name: name, URL: "https://issuer.example/" + name, Issuer: "https://issuer.example/" + name,
		Thumbprints: []string{"ab12"}, MaxExpiration: 3600, Created: t0, Modified: t0}
}

func policyOf(org, id, issuerID string) store.AuthPolicy {
	return store.AuthPolicy{ID: id, Org: org, IssuerID: issuerID, Version: 1, Policies: []byte(`[{"decision":"deny"}]`), Created: t0, Modified: t0}
}

// testIssuers covers issuers and their policies: create together, conflicts, org isolation,
// update, last use, and delete taking the policy along.
func testIssuers(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	gh := issuerOf(orgA, "i1", "github")
	must(t, "CreateIssuer", s.CreateIssuer(ctx, gh, policyOf(orgA, "p1", "i1")))
	static := issuerOf(orgA, "i2", "gitlab")
	static.JWKS, static.Thumbprints = []byte(`{"keys":[]}`), nil
	must(t, "CreateIssuer static", s.CreateIssuer(ctx, static, policyOf(orgA, "p2", "i2")))

	wantErr(t, "CreateIssuer same name", s.CreateIssuer(ctx, issuerOf(orgA, "i3", "github"), policyOf(orgA, "p3", "i3")), store.ErrConflict)
	wantErr(t, "CreateIssuer same ID", s.CreateIssuer(ctx, issuerOf(orgB, "i1", "other"), policyOf(orgB, "p4", "i1")), store.ErrConflict)
	// The failed creates stored nothing, their policies included.
	_, err := s.GetAuthPolicy(ctx, orgA, "p3")
	wantErr(t, "policy of a failed create", err, store.ErrNotFound)
	must(t, "CreateIssuer same name in another org", s.CreateIssuer(ctx, issuerOf(orgB, "i5", "github"), policyOf(orgB, "p5", "i5")))

	got, err := s.GetIssuer(ctx, orgA, "i1")
	must(t, "GetIssuer", err)
	check(t, "GetIssuer", got, gh)
	got, err = s.GetIssuer(ctx, orgA, "i2")
	must(t, "GetIssuer static", err)
	check(t, "GetIssuer static", string(got.JWKS), `{"keys":[]}`)
	_, err = s.GetIssuer(ctx, orgB, "i1")
	wantErr(t, "GetIssuer of another org", err, store.ErrNotFound)
	list, err := s.ListIssuers(ctx, orgA)
	checkIDs(t, "ListIssuers", list, err, "i1", "i2")

	gh.Name, gh.Thumbprints, gh.MaxExpiration, gh.Modified = "github-actions", []string{"cd34", "ef56"}, 60, t0.Add(time.Minute)
	must(t, "UpdateIssuer", s.UpdateIssuer(ctx, gh))
	got, err = s.GetIssuer(ctx, orgA, "i1")
	must(t, "GetIssuer after update", err)
	check(t, "GetIssuer after update", got, gh)
	dup := gh
	dup.Name = "gitlab"
	wantErr(t, "UpdateIssuer to a taken name", s.UpdateIssuer(ctx, dup), store.ErrConflict)
	wantErr(t, "UpdateIssuer of another org", s.UpdateIssuer(ctx, store.Issuer{ID: "i1", Org: orgB, Name: "x"}), store.ErrNotFound)

	must(t, "TouchIssuer", s.TouchIssuer(ctx, orgA, "i1", t0.Add(time.Hour)))
	must(t, "TouchIssuer earlier", s.TouchIssuer(ctx, orgA, "i1", t0))
	got, _ = s.GetIssuer(ctx, orgA, "i1")
	if !sameTime(got.LastUsed, t0.Add(time.Hour)) {
		t.Errorf("LastUsed %v, want %v (never moves back)", got.LastUsed, t0.Add(time.Hour))
	}

	p, err := s.GetIssuerPolicy(ctx, orgA, "i1")
	must(t, "GetIssuerPolicy", err)
	check(t, "GetIssuerPolicy", p, policyOf(orgA, "p1", "i1"))
	_, err = s.GetIssuerPolicy(ctx, orgB, "i1")
	wantErr(t, "GetIssuerPolicy of another org", err, store.ErrNotFound)
	p.Version, p.Policies, p.Modified = 2, []byte(`[{"decision":"allow"}]`), t0.Add(time.Minute)
	must(t, "UpdateAuthPolicy", s.UpdateAuthPolicy(ctx, p, 1))
	wantErr(t, "UpdateAuthPolicy stale", s.UpdateAuthPolicy(ctx, p, 1), store.ErrVersionConflict)
	got2, err := s.GetAuthPolicy(ctx, orgA, "p1")
	must(t, "GetAuthPolicy", err)
	check(t, "GetAuthPolicy after update", got2, p)
	other := p
	other.Org, other.Version = orgB, 3
	wantErr(t, "UpdateAuthPolicy of another org", s.UpdateAuthPolicy(ctx, other, 2), store.ErrNotFound)

	must(t, "DeleteIssuer", s.DeleteIssuer(ctx, orgA, "i1"))
	wantErr(t, "DeleteIssuer again", s.DeleteIssuer(ctx, orgA, "i1"), store.ErrNotFound)
	wantErr(t, "DeleteIssuer of another org", s.DeleteIssuer(ctx, orgB, "i2"), store.ErrNotFound)
	_, err = s.GetAuthPolicy(ctx, orgA, "p1")
	wantErr(t, "policy of a deleted issuer", err, store.ErrNotFound)
	list, err = s.ListIssuers(ctx, orgA)
	checkIDs(t, "ListIssuers after delete", list, err, "i2")
}

// testUseTokenID covers replay protection: a jti is accepted once until it expires, per issuer.
func testUseTokenID(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	must(t, "CreateIssuer", s.CreateIssuer(ctx, issuerOf(orgA, "i1", "a"), policyOf(orgA, "p1", "i1")))
	must(t, "CreateIssuer", s.CreateIssuer(ctx, issuerOf(orgA, "i2", "b"), policyOf(orgA, "p2", "i2")))
	exp := t0.Add(time.Hour)
	for _, tc := range []struct {
		what   string
		issuer string
		now    time.Time
		want   bool
	}{
		{"first use", "i1", t0, true},
		{"replay", "i1", t0.Add(time.Minute), false},
		{"same jti of another issuer", "i2", t0, true},
		{"after expiry", "i1", exp, true},
		{"replay after re-use", "i1", exp.Add(time.Second), false},
	} {
		e := exp
		if tc.now.After(t0.Add(30 * time.Minute)) {
			e = exp.Add(time.Hour)
		}
		fresh, err := s.UseTokenID(ctx, orgA, tc.issuer, "jti-1", e, tc.now)
		must(t, "UseTokenID "+tc.what, err)
		if fresh != tc.want {
			t.Errorf("UseTokenID %s: %v, want %v", tc.what, fresh, tc.want)
		}
	}
	// An issuer's used IDs go with it.
	must(t, "DeleteIssuer", s.DeleteIssuer(ctx, orgA, "i2"))
	must(t, "CreateIssuer again", s.CreateIssuer(ctx, issuerOf(orgA, "i2", "b"), policyOf(orgA, "p2", "i2")))
	fresh, err := s.UseTokenID(ctx, orgA, "i2", "jti-1", exp, t0)
	must(t, "UseTokenID after re-create", err)
	if !fresh {
		t.Error("a re-created issuer inherited the used IDs of the deleted one")
	}
}

// testPruneExchangedTokens: only exchanged tokens (IssuerID set) that expired before the cutoff
// are deleted; API-minted expired tokens and live exchanged ones stay.
func testPruneExchangedTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	cut := t0.Add(-time.Hour)
	mk := func(org, id string, expires time.Time, issuer string) {
		must(t, "CreateToken "+id, s.CreateToken(ctx, store.Token{ID: id, Org: org, Name: id, Hash: hash(id), Expires: expires.Unix(),
			Created: t0.Add(-48 * time.Hour), IssuerID: issuer}))
	}
	mk(orgA, "old-exchanged", cut.Add(-time.Minute), "i1")
	mk(orgA, "recent-exchanged", cut.Add(time.Minute), "i1")
	mk(orgA, "old-minted", cut.Add(-time.Minute), "")
	mk(orgB, "other-org", cut.Add(-time.Minute), "i9")
	got, err := s.GetToken(ctx, orgA, "old-exchanged")
	must(t, "GetToken", err)
	check(t, "IssuerID round trip", got.IssuerID, "i1")
	n, err := s.PruneExchangedTokens(ctx, orgA, cut, t0)
	must(t, "PruneExchangedTokens", err)
	check(t, "pruned", n, int64(1))
	for id, deleted := range map[string]bool{"old-exchanged": true, "recent-exchanged": false, "old-minted": false} {
		tok, err := s.GetToken(ctx, orgA, id)
		must(t, "GetToken "+id, err)
		if tok.Deleted != deleted {
			t.Errorf("%s: deleted %v, want %v", id, tok.Deleted, deleted)
		}
	}
	tok, err := s.GetToken(ctx, orgB, "other-org")
	must(t, "GetToken other-org", err)
	if tok.Deleted {
		t.Error("pruning acme deleted a token of globex")
	}
	n, err = s.PruneExchangedTokens(ctx, orgA, cut, t0)
	must(t, "PruneExchangedTokens again", err)
	check(t, "pruned again", n, int64(0))
}

// testDeleteRoleRevokesExchanged: deleting a role marks deleted, in the same transaction, the
// exchanged tokens (IssuerID set) of that org holding it, expired or not; API-minted tokens,
// tokens holding another role and other orgs' tokens stay. ListTokensPage with Minted leaves
// the exchanged ones out.
func testDeleteRoleRevokesExchanged(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	must(t, "CreateRecord r1", s.CreateRecord(ctx, rec(orgA, "r1", "deployer", "role")))
	must(t, "CreateRecord r2", s.CreateRecord(ctx, rec(orgA, "r2", "reader", "role")))
	mk := func(org, id, role, issuer string, expires time.Time) {
		tk := tok(org, id, "name-"+id)
		tk.RoleID, tk.IssuerID, tk.Expires = role, issuer, expires.Unix()
		must(t, "CreateToken "+id, s.CreateToken(ctx, tk))
	}
	live, gone := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	mk(orgA, "exchanged", "r1", "i1", live)
	mk(orgA, "exchanged-expired", "r1", "i1", gone)
	mk(orgA, "minted", "r1", "", live)
	mk(orgA, "other-role", "r2", "i1", live)
	mk(orgB, "other-org", "r1", "i9", live)

	page, err := s.ListTokensPage(ctx, store.TokenQuery{Org: orgA, Filter: store.TokensAll, RoleID: "r1", Minted: true, Limit: 10})
	checkIDs(t, "ListTokensPage minted", page, err, "minted")
	page, err = s.ListTokensPage(ctx, store.TokenQuery{Org: orgA, Filter: store.TokensAll, RoleID: "r1", Limit: 10})
	checkIDs(t, "ListTokensPage all", page, err, "exchanged", "exchanged-expired", "minted")

	must(t, "DeleteRecord r1", s.DeleteRecord(ctx, orgA, "r1"))
	for org, want := range map[string]map[string]bool{
		orgA: {"exchanged": true, "exchanged-expired": true, "minted": false, "other-role": false},
		orgB: {"other-org": false},
	} {
		for id, deleted := range want {
			got, err := s.GetToken(ctx, org, id)
			must(t, "GetToken "+id, err)
			if got.Deleted != deleted {
				t.Errorf("%s after deleting r1: deleted %v, want %v", id, got.Deleted, deleted)
			}
		}
	}
	// A failed delete (the record is gone) revokes nothing more and writes nothing.
	mk(orgA, "late", "r1", "i1", live)
	wantErr(t, "DeleteRecord r1 again", s.DeleteRecord(ctx, orgA, "r1"), store.ErrNotFound)
	if got, err := s.GetToken(ctx, orgA, "late"); err != nil || got.Deleted {
		t.Errorf("a failed DeleteRecord revoked a token: %+v, %v", got, err)
	}
}
