package storetest

import (
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
)

func tok(org, id, name string) store.Token {
	return store.Token{
		ID:          id,
		Org:         org,
		Name:        name,
		Description: "token " + name,
		Hash:        hash(org + "/" + id),
		RoleID:      "role-1",
		Created:     t0,
		CreatedBy:   "alice",
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)

	withRole := tok(orgA, "t1", "ci")
	withRole.Expires = t0.Add(24 * time.Hour).Unix()
	admin := tok(orgA, "t2", "admin")
	admin.Admin, admin.RoleID, admin.LastUsed = true, "", t0.Unix()
	for _, tk := range []store.Token{withRole, admin} {
		must(t, "CreateToken "+tk.ID, s.CreateToken(ctx, tk))
		got, err := s.GetToken(ctx, orgA, tk.ID)
		must(t, "GetToken "+tk.ID, err)
		check(t, "GetToken "+tk.ID, got, tk)
		got, err = s.TokenByHash(ctx, tk.Hash)
		must(t, "TokenByHash "+tk.ID, err)
		check(t, "TokenByHash "+tk.ID, got, tk)
	}

	_, err := s.GetToken(ctx, orgA, "missing")
	wantErr(t, "GetToken missing", err, store.ErrNotFound)
	_, err = s.GetToken(ctx, orgB, withRole.ID)
	wantErr(t, "GetToken from another org", err, store.ErrNotFound)
	_, err = s.TokenByHash(ctx, hash("unknown"))
	wantErr(t, "TokenByHash unknown", err, store.ErrNotFound)
	_, err = s.TokenByHash(ctx, nil)
	wantErr(t, "TokenByHash nil", err, store.ErrNotFound)
}

func testTokenConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	must(t, "CreateToken", s.CreateToken(ctx, tok(orgA, "t1", "ci")))
	must(t, "CreateToken", s.CreateToken(ctx, tok(orgA, "t2", "old")))
	must(t, "DeleteToken", s.DeleteToken(ctx, orgA, "t2", t0))

	sameHash := tok(orgA, "t3", "fresh")
	sameHash.Hash = hash(orgA + "/t1")
	tests := []struct {
		name string
		tk   store.Token
		want error
	}{
		{"same name", tok(orgA, "t4", "ci"), store.ErrConflict},
		{"name of a deleted token", tok(orgA, "t5", "old"), store.ErrConflict},
		{"same ID", tok(orgA, "t1", "fresh"), store.ErrConflict},
		{"same hash", sameHash, store.ErrConflict},
		{"same name other org", tok(orgB, "t6", "ci"), nil},
		{"deleted name other org", tok(orgB, "t7", "old"), nil},
		{"new name", tok(orgA, "t8", "fresh"), nil},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, s.CreateToken(ctx, tc.tk), tc.want)
	}
	got, err := s.TokenByHash(ctx, hash(orgA+"/t1"))
	must(t, "TokenByHash", err)
	check(t, "token after conflicts", got, tok(orgA, "t1", "ci"))
}

func testListTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	now := t0
	mk := func(id string, created time.Time, expires int64, deleted bool) store.Token {
		tk := tok(orgA, id, "name-"+id)
		tk.Created, tk.Expires, tk.Deleted = created, expires, deleted
		return tk
	}
	// Created out of order; "a2" and "a1" share a creation time.
	tokens := []store.Token{
		mk("e", now.Add(-30*time.Minute), now.Unix()-1, false),            // expired
		mk("a2", now.Add(-2*time.Hour), now.Add(time.Hour).Unix(), false), // active until now+1h
		mk("z", now.Add(-3*time.Hour), 0, false),                          // never expires
		mk("f", now.Add(-10*time.Minute), 0, true),                        // deleted
		mk("d", now.Add(-time.Hour), now.Unix(), false),                   // expires exactly now
		mk("a1", now.Add(-2*time.Hour), 0, false),                         // never expires
		mk("g", now.Add(-5*time.Minute), now.Unix()-100, true),            // deleted, expired
	}
	for _, tk := range tokens {
		deleted := tk.Deleted
		tk.Deleted = false // deletion goes through DeleteToken
		must(t, "CreateToken "+tk.ID, s.CreateToken(ctx, tk))
		if deleted {
			must(t, "DeleteToken "+tk.ID, s.DeleteToken(ctx, orgA, tk.ID, now))
		}
	}
	other := tok(orgB, "b1", "other")
	must(t, "CreateToken", s.CreateToken(ctx, other))

	tests := []struct {
		name   string
		filter store.TokenFilter
		now    time.Time
		want   []string
	}{
		{"active", store.TokensActive, now, []string{"z", "a1", "a2"}},
		{"expired", store.TokensExpired, now, []string{"d", "e"}},
		{"all", store.TokensAll, now, []string{"z", "a1", "a2", "d", "e"}},
		{"active later", store.TokensActive, now.Add(2 * time.Hour), []string{"z", "a1"}},
		{"expired later", store.TokensExpired, now.Add(2 * time.Hour), []string{"a2", "d", "e"}},
		{"active earlier", store.TokensActive, now.Add(-time.Hour), []string{"z", "a1", "a2", "d", "e"}},
		{"expired earlier", store.TokensExpired, now.Add(-time.Hour), nil},
	}
	for _, tc := range tests {
		ts, err := s.ListTokens(ctx, orgA, tc.filter, tc.now)
		checkIDs(t, "ListTokens "+tc.name, ts, err, tc.want...)
	}

	ts, err := s.ListTokens(ctx, orgB, store.TokensAll, now)
	checkIDs(t, "ListTokens other org", ts, err, "b1")
	if len(ts) == 1 {
		check(t, "listed token", ts[0], other)
	}
	ts, err = s.ListTokens(ctx, "missing", store.TokensAll, now)
	checkIDs(t, "ListTokens missing org", ts, err)
}

func testListTokensByRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	mk := func(org, id, role string, created time.Duration) store.Token {
		tk := tok(org, id, "name-"+id)
		tk.RoleID, tk.Created = role, t0.Add(created)
		return tk
	}
	expired := mk(orgA, "t3", "r1", 0)
	expired.Expires = t0.Unix() - 10
	for _, tk := range []store.Token{
		mk(orgA, "t1", "r1", 2*time.Second),
		mk(orgA, "t2", "r2", 0),
		expired,
		mk(orgA, "t4", "r1", time.Second),
		mk(orgA, "t5", "r1", 3*time.Second),
		mk(orgB, "t6", "r1", 0),
	} {
		must(t, "CreateToken "+tk.ID, s.CreateToken(ctx, tk))
	}
	must(t, "DeleteToken", s.DeleteToken(ctx, orgA, "t5", t0))

	tests := []struct {
		org, role string
		want      []string
	}{
		{orgA, "r1", []string{"t3", "t4", "t1"}},
		{orgA, "r2", []string{"t2"}},
		{orgA, "r3", nil},
		{orgB, "r1", []string{"t6"}},
	}
	for _, tc := range tests {
		ts, err := s.ListTokensByRole(ctx, tc.org, tc.role)
		checkIDs(t, "ListTokensByRole("+tc.org+", "+tc.role+")", ts, err, tc.want...)
	}
}

func testDeleteToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	tk := tok(orgA, "t1", "ci")
	must(t, "CreateToken", s.CreateToken(ctx, tk))
	must(t, "CreateToken", s.CreateToken(ctx, tok(orgA, "t2", "keep")))

	wantErr(t, "DeleteToken from another org", s.DeleteToken(ctx, orgB, tk.ID, t0), store.ErrNotFound)
	if got, err := s.TokenByHash(ctx, tk.Hash); err != nil || got.Deleted {
		t.Errorf("token after delete from another org: %+v, %v", got, err)
	}
	wantErr(t, "DeleteToken missing", s.DeleteToken(ctx, orgA, "missing", t0), store.ErrNotFound)

	at := t0.Add(time.Hour)
	must(t, "DeleteToken", s.DeleteToken(ctx, orgA, tk.ID, at))
	got, err := s.TokenByHash(ctx, tk.Hash)
	must(t, "TokenByHash after delete", err)
	want := tk
	want.Deleted, want.DeletedAt = true, at
	check(t, "TokenByHash after delete", got, want)

	wantErr(t, "DeleteToken again", s.DeleteToken(ctx, orgA, tk.ID, at.Add(time.Hour)), store.ErrNotFound)
	got, err = s.TokenByHash(ctx, tk.Hash)
	must(t, "TokenByHash after second delete", err)
	check(t, "DeletedAt after second delete", got, want)

	for _, f := range []store.TokenFilter{store.TokensActive, store.TokensExpired, store.TokensAll} {
		want := []string{"t2"}
		if f == store.TokensExpired {
			want = nil
		}
		ts, err := s.ListTokens(ctx, orgA, f, t0)
		checkIDs(t, "ListTokens after delete", ts, err, want...)
	}
	ts, err := s.ListTokensByRole(ctx, orgA, tk.RoleID)
	checkIDs(t, "ListTokensByRole after delete", ts, err, "t2")
}

func testTouchTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	for _, tk := range []store.Token{tok(orgA, "t1", "a"), tok(orgA, "t2", "b"), tok(orgA, "t3", "c"), tok(orgB, "t4", "d")} {
		must(t, "CreateToken "+tk.ID, s.CreateToken(ctx, tk))
	}
	lastUsed := func(when string, want map[string]int64) {
		t.Helper()
		for id, w := range want {
			org := orgA
			if id == "t4" {
				org = orgB
			}
			got, err := s.GetToken(ctx, org, id)
			if err != nil {
				t.Errorf("%s: GetToken %s: %v", when, id, err)
			} else if got.LastUsed != w {
				t.Errorf("%s: token %s LastUsed = %d, want %d", when, id, got.LastUsed, w)
			}
		}
	}
	must(t, "TouchTokens empty", s.TouchTokens(ctx, nil))
	lastUsed("initially", map[string]int64{"t1": 0, "t2": 0, "t3": 0, "t4": 0})

	u := t0.Unix()
	must(t, "TouchTokens", s.TouchTokens(ctx, map[string]int64{"t1": u, "t2": u + 5, "t4": u + 7}))
	lastUsed("after touch", map[string]int64{"t1": u, "t2": u + 5, "t3": 0, "t4": u + 7})
	must(t, "TouchTokens again", s.TouchTokens(ctx, map[string]int64{"t1": u + 60}))
	lastUsed("after second touch", map[string]int64{"t1": u + 60, "t2": u + 5, "t3": 0, "t4": u + 7})
}
