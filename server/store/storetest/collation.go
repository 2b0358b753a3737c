package storetest

import (
	"testing"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// testByteOrder: listings order names by their bytes (as Go's < on strings), whatever the
// database's collation: "B" < "a" < "b" < "é", and pages seek in the same order. (Records use
// "C" for "B": record names that differ only by case share a display key and cannot coexist.)
func testByteOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	for _, r := range []store.Record{rec(orgA, "r1", "b", "role"), rec(orgA, "r2", "é", "role"), rec(orgA, "r3", "C", "role"), rec(orgA, "r4", "a", "role")} {
		must(t, "CreateRecord "+r.ID, s.CreateRecord(ctx, r))
	}
	rs, err := s.ListRecords(ctx, orgA, "role")
	checkIDs(t, "ListRecords", rs, err, "r3", "r4", "r1", "r2")
	page, err := s.ListRecordsPage(ctx, orgA, "role", &store.RecordPos{Custom: true, Name: "a"}, 10)
	checkIDs(t, "ListRecordsPage after a", page, err, "r1", "r2")
	for _, name := range []string{"b", "é", "B", "a"} {
		must(t, "CreateEntity", s.CreateEntity(ctx, ent(orgA, "e"+name, authz.KindStack, "p", name)))
	}
	es, err := s.ListEntities(ctx, orgA, authz.KindStack, "")
	checkIDs(t, "ListEntities", es, err, "eB", "ea", "eb", "eé")
	ep, err := s.ListEntitiesPage(ctx, orgA, authz.KindStack, "", &store.EntityPos{Project: "p", Name: "B"}, 10)
	checkIDs(t, "ListEntitiesPage after B", ep, err, "ea", "eb", "eé")
}
