package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// testPages: the paged listings walk every item once, in the documented order, whatever the
// page size, and the counts agree with them.
func testPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)

	// Records: built-ins first, then custom ones, each by name.
	var want []string
	for i, name := range []string{"b-builtin", "a-builtin"} {
		r := rec(orgA, fmt.Sprintf("builtin-%d", i), name, "role")
		r.DefaultIdentifier = name
		must(t, "create", s.CreateRecord(ctx, r))
	}
	want = append(want, "a-builtin", "b-builtin")
	for i := 9; i >= 0; i-- {
		must(t, "create", s.CreateRecord(ctx, rec(orgA, fmt.Sprintf("r%d", i), fmt.Sprintf("custom-%d", i), "role")))
	}
	for i := range 10 {
		want = append(want, fmt.Sprintf("custom-%d", i))
	}
	must(t, "create", s.CreateRecord(ctx, rec(orgA, "set-1", "a-set", "set")))
	must(t, "create", s.CreateRecord(ctx, rec(orgB, "other", "a-other", "role")))
	for _, size := range []int{1, 3, 12, 100} {
		var got []string
		var after *store.RecordPos
		for range 100 {
			page, err := s.ListRecordsPage(ctx, orgA, "role", after, size)
			must(t, "list", err)
			for _, r := range page {
				got = append(got, r.Name)
			}
			if len(page) < size {
				break
			}
			last := page[len(page)-1]
			after = &store.RecordPos{Custom: last.DefaultIdentifier == "", Name: last.Name}
		}
		if !slices.Equal(got, want) {
			t.Errorf("records in pages of %d: %v, want %v", size, got, want)
		}
	}
	if n, err := s.CountRecords(ctx, orgA); err != nil || n != 11 {
		t.Errorf("CountRecords: %d, %v; want 11 (custom records only)", n, err)
	}

	// Tokens: by creation time, then ID; filters and the role apply.
	var wantTokens []string
	for i := range 7 {
		tk := tok(orgA, fmt.Sprintf("t%d", 6-i), fmt.Sprintf("tok-%d", i))
		tk.Created = t0.Add(time.Duration(i/2) * time.Minute) // pairs share a time: the ID decides
		if i == 3 {
			tk.RoleID = "role-2"
		}
		must(t, "create token", s.CreateToken(ctx, tk))
	}
	wantTokens = []string{"t5", "t6", "t3", "t4", "t1", "t2", "t0"}
	must(t, "delete", s.DeleteToken(ctx, orgA, "t1", t0))
	wantTokens = slices.DeleteFunc(wantTokens, func(id string) bool { return id == "t1" })
	must(t, "create token", s.CreateToken(ctx, tok(orgB, "tb", "tok-b")))
	for _, size := range []int{1, 2, 5, 100} {
		var got []string
		q := store.TokenQuery{Org: orgA, Filter: store.TokensAll, Now: t0, Limit: size}
		for range 100 {
			page, err := s.ListTokensPage(ctx, q)
			must(t, "list tokens", err)
			for _, tk := range page {
				got = append(got, tk.ID)
			}
			if len(page) < size {
				break
			}
			q.After = &store.TokenPos{Created: page[len(page)-1].Created, ID: page[len(page)-1].ID}
		}
		if !slices.Equal(got, wantTokens) {
			t.Errorf("tokens in pages of %d: %v, want %v", size, got, wantTokens)
		}
	}
	page, err := s.ListTokensPage(ctx, store.TokenQuery{Org: orgA, Filter: store.TokensAll, RoleID: "role-2", Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != "t3" {
		t.Errorf("tokens of role-2: %v, %v", page, err)
	}
	if n, err := s.CountTokens(ctx, orgA); err != nil || n != 6 {
		t.Errorf("CountTokens: %d, %v; want 6 (deleted excluded)", n, err)
	}

	// Entities: by project, then name.
	for i, pn := range [][2]string{{"b", "x"}, {"a", "y"}, {"a", "x"}, {"c", "a"}} {
		must(t, "create entity", s.CreateEntity(ctx, ent(orgA, fmt.Sprintf("e%d", i), authz.KindStack, pn[0], pn[1])))
	}
	must(t, "create entity", s.CreateEntity(ctx, ent(orgA, "env", authz.KindEnvironment, "a", "x")))
	wantEnts := []string{"a/x", "a/y", "b/x", "c/a"}
	for _, size := range []int{1, 3, 10} {
		var got []string
		var after *store.EntityPos
		for range 100 {
			page, err := s.ListEntitiesPage(ctx, orgA, authz.KindStack, "", after, size)
			must(t, "list entities", err)
			for _, e := range page {
				got = append(got, e.Project+"/"+e.Name)
			}
			if len(page) < size {
				break
			}
			after = &store.EntityPos{Project: page[len(page)-1].Project, Name: page[len(page)-1].Name}
		}
		if !slices.Equal(got, wantEnts) {
			t.Errorf("entities in pages of %d: %v, want %v", size, got, wantEnts)
		}
	}
	if es, err := s.ListEntitiesPage(ctx, orgA, authz.KindStack, "a", &store.EntityPos{Project: "a", Name: "x"}, 10); err != nil || len(es) != 1 || es[0].Name != "y" {
		t.Errorf("entities of project a after a/x: %v, %v", es, err)
	}
	if n, err := s.CountEntities(ctx, orgA); err != nil || n != 5 {
		t.Errorf("CountEntities: %d, %v; want 5", n, err)
	}
}
