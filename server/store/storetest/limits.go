package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// testDisplayKeys: two records of one org and uxPurpose whose names share a display key
// (store.DisplayKey) cannot coexist, whether created, renamed or raced.
func testDisplayKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	must(t, "CreateRecord Admin", s.CreateRecord(ctx, rec(orgA, "r1", "Admin", "role")))
	for _, tc := range []struct {
		name string
		r    store.Record
		want error
	}{
		{"lower case", rec(orgA, "r2", "admin", "role"), store.ErrConflict},
		{"full width", rec(orgA, "r2", "Ａｄｍｉｎ", "role"), store.ErrConflict},
		{"spacing", rec(orgA, "r2", " Admin ", "role"), store.ErrConflict},
		{"other uxPurpose", rec(orgA, "s1", "admin", "set"), nil},
		{"other org", rec(orgB, "b1", "ADMIN", "role"), nil},
		{"other name", rec(orgA, "r3", "Admins", "role"), nil},
	} {
		wantErr(t, tc.name, s.CreateRecord(ctx, tc.r), tc.want)
		if tc.want != nil { // the record the refusal is for
			got, err := s.RecordHolding(ctx, orgA, tc.r.UXPurpose, tc.r.Name)
			must(t, "RecordHolding "+tc.name, err)
			if got.ID != "r1" {
				t.Errorf("RecordHolding %q: %s %q, want r1 Admin", tc.r.Name, got.ID, got.Name)
			}
		}
	}
	if got, err := s.RecordHolding(ctx, orgA, "set", "ADMIN"); err != nil || got.ID != "s1" {
		t.Errorf("RecordHolding in the set purpose: %+v, %v; want s1", got, err)
	}
	_, err := s.RecordHolding(ctx, orgA, "role", "nobody")
	wantErr(t, "RecordHolding of a free name", err, store.ErrNotFound)
	_, err = s.RecordHolding(ctx, orgB, "role", "admin ")
	must(t, "RecordHolding in another org", err)

	// A rename into a clash is refused; to its own key (case only) it is not.
	r3, err := s.GetRecord(ctx, orgA, "r3")
	must(t, "GetRecord r3", err)
	next := r3
	next.Name, next.Version = "ADMIN", 2
	wantErr(t, "rename into a clash", s.UpdateRecord(ctx, next, 1), store.ErrConflict)
	next.Name = "ADMINS"
	must(t, "rename to a case variant of itself", s.UpdateRecord(ctx, next, 1))
	next.Description, next.Version = "kept name", 3
	must(t, "update keeping the name", s.UpdateRecord(ctx, next, 2))

	// A delete frees the key; a rename frees the old one.
	must(t, "DeleteRecord r1", s.DeleteRecord(ctx, orgA, "r1"))
	must(t, "re-create in another case", s.CreateRecord(ctx, rec(orgA, "r4", "aDMIN", "role")))
	next.Name, next.Version = "Renamed", 4
	must(t, "rename r3", s.UpdateRecord(ctx, next, 3))
	must(t, "create the old name's variant", s.CreateRecord(ctx, rec(orgA, "r5", "admins", "role")))

	// Racing creates of one key: exactly one wins.
	names := []string{"Deploy", "deploy", "DEPLOY", "Ｄｅｐｌｏｙ", "deploy "}
	oneWins(t, "racing creates of one display key", func(i int) error {
		return s.CreateRecord(ctx, rec(orgA, fmt.Sprint("d", i), names[i%len(names)], "role"))
	}, refusedWith(store.ErrConflict))
}

// testLimits: a create under WithLimit is refused once the org holds Max objects of its kind,
// exactly, however many race for the last slot, and a delete frees a slot.
func testLimits(t *testing.T, s store.Store) {
	const max = 5
	type kind struct {
		kind   store.LimitKind
		create func(ctx context.Context, org string, i int) error
		delete func(ctx context.Context, org string, i int) error
	}
	kinds := []kind{
		{store.LimitRecords,
			func(ctx context.Context, org string, i int) error {
				return s.CreateRecord(ctx, rec(org, fmt.Sprint(org, "-r", i), fmt.Sprint("role ", i), "role"))
			},
			func(ctx context.Context, org string, i int) error {
				return s.DeleteRecord(ctx, org, fmt.Sprint(org, "-r", i))
			}},
		{store.LimitTokens,
			func(ctx context.Context, org string, i int) error {
				return s.CreateToken(ctx, tok(org, fmt.Sprint(org, "-t", i), fmt.Sprint("token-", i)))
			},
			func(ctx context.Context, org string, i int) error {
				return s.DeleteToken(ctx, org, fmt.Sprint(org, "-t", i), t0)
			}},
		{store.LimitEntities,
			func(ctx context.Context, org string, i int) error {
				return s.CreateEntity(ctx, ent(org, fmt.Sprint(org, "-e", i), authz.KindStack, "p", fmt.Sprint("s", i)))
			},
			func(ctx context.Context, org string, i int) error {
				return s.DeleteEntity(ctx, org, fmt.Sprint(org, "-e", i))
			}},
		{store.LimitGuardrails,
			func(ctx context.Context, org string, i int) error {
				return s.CreateGuardrail(ctx, guardrail(org, fmt.Sprint(org, "-g", i), fmt.Sprint("guard-", i)))
			},
			func(ctx context.Context, org string, i int) error {
				return s.DeleteGuardrail(ctx, org, fmt.Sprint(org, "-g", i))
			}},
	}
	for _, k := range kinds {
		t.Run(string(k.kind), func(t *testing.T) {
			ctx := t.Context()
			org := "org-" + string(k.kind)
			ensureOrgs(t, s, org)
			limited := store.WithLimit(ctx, store.Limit{Kind: k.kind, Max: max})
			// Two created without a limit (not counted yet), two under it (counted then kept).
			for i := range max - 1 {
				c := ctx
				if i >= 2 {
					c = limited
				}
				must(t, fmt.Sprint("create ", i), k.create(c, org, i))
			}
			// Another kind's limit does not apply.
			other := store.WithLimit(ctx, store.Limit{Kind: "other", Max: 0})
			if _, ok := store.LimitOf(other, k.kind); ok {
				t.Fatalf("LimitOf applies another kind's limit")
			}

			// The last slot: exactly one of the racing creates takes it.
			oneWins(t, "racing creates for the last slot", func(i int) error { return k.create(limited, org, 100+i) }, func(i int, err error) bool {
				var le *store.LimitError
				if !errors.As(err, &le) || !errors.Is(err, store.ErrLimit) {
					return false
				}
				if le.Count != max || le.Max != max || le.Kind != k.kind {
					t.Errorf("create %d: %+v, want count %d of max %d", i, le, max, max)
				}
				return true
			})
			if t.Failed() {
				t.FailNow()
			}
			wantErr(t, "create at the limit", k.create(limited, org, 200), store.ErrLimit)
			must(t, "create without a limit", k.create(ctx, org, 201)) // the server's bootstrap, say

			// Two deletes free one slot (max+1 stored); the next create fills it.
			must(t, "delete 0", k.delete(ctx, org, 0))
			wantErr(t, "create at the limit after one delete", k.create(limited, org, 202), store.ErrLimit)
			must(t, "delete 1", k.delete(ctx, org, 1))
			must(t, "create into the freed slot", k.create(limited, org, 203))
			wantErr(t, "create at the limit again", k.create(limited, org, 204), store.ErrLimit)
			wantErr(t, "another org is not counted", k.create(store.WithLimit(ctx, store.Limit{Kind: k.kind, Max: 1}), orgB+"-"+string(k.kind), 0), nil)
		})
	}
}
