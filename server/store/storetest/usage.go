package storetest

import (
	"testing"

	"github.com/iamref/iam/server/store"
)

// testScopeUsage: counters add up across calls, stay per org, token, day and scope, and read
// back ordered from a day on, for the tokens asked only.
func testScopeUsage(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	key := func(org, tok string, day int64, scope string) store.UsageKey {
		return store.UsageKey{Org: org, TokenID: tok, Day: day, Scope: scope}
	}
	must(t, "AddScopeUsage empty", s.AddScopeUsage(ctx, nil))
	must(t, "AddScopeUsage", s.AddScopeUsage(ctx, map[store.UsageKey]int64{
		key(orgA, "t1", 100, "stack:read"):  3,
		key(orgA, "t1", 101, "stack:read"):  1,
		key(orgA, "t1", 101, "role:read"):   2,
		key(orgA, "t2", 101, "stack:write"): 5,
		key(orgB, "t1", 101, "stack:read"):  7, // same token ID in another org: kept apart
	}))
	must(t, "AddScopeUsage again", s.AddScopeUsage(ctx, map[store.UsageKey]int64{
		key(orgA, "t1", 101, "stack:read"): 4,
	}))
	if err := s.AddScopeUsage(ctx, map[store.UsageKey]int64{key(orgA, "t1", 101, "stack:read"): 0}); err == nil {
		t.Errorf("AddScopeUsage with a zero count: no error")
	}

	got, err := s.ListScopeUsage(ctx, orgA, []string{"t1", "t2", "t9"}, 0)
	must(t, "ListScopeUsage", err)
	check(t, "ListScopeUsage all days", got, []store.ScopeUsage{
		{TokenID: "t1", Day: 100, Scope: "stack:read", Count: 3},
		{TokenID: "t1", Day: 101, Scope: "role:read", Count: 2},
		{TokenID: "t1", Day: 101, Scope: "stack:read", Count: 5},
		{TokenID: "t2", Day: 101, Scope: "stack:write", Count: 5},
	})
	got, err = s.ListScopeUsage(ctx, orgA, []string{"t1"}, 101)
	must(t, "ListScopeUsage since", err)
	check(t, "ListScopeUsage from day 101, t1 only", got, []store.ScopeUsage{
		{TokenID: "t1", Day: 101, Scope: "role:read", Count: 2},
		{TokenID: "t1", Day: 101, Scope: "stack:read", Count: 5},
	})
	got, err = s.ListScopeUsage(ctx, orgB, []string{"t1"}, 0)
	must(t, "ListScopeUsage other org", err)
	check(t, "ListScopeUsage of orgB", got, []store.ScopeUsage{{TokenID: "t1", Day: 101, Scope: "stack:read", Count: 7}})
	got, err = s.ListScopeUsage(ctx, orgA, nil, 0)
	must(t, "ListScopeUsage no tokens", err)
	check(t, "ListScopeUsage of no tokens", got, nil)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "x"
	}
	if _, err := s.ListScopeUsage(ctx, orgA, many, 0); err == nil {
		t.Errorf("ListScopeUsage of 1001 token IDs: no error")
	}
}
