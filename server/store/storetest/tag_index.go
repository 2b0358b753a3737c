package storetest

import (
	"fmt"
	"testing"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// testTagIndex: ListEntitiesByTags finds exactly the entities of a kind holding every pair, in
// project and name order, paged and filtered by project, follows retags and deletes at once,
// and never crosses orgs or kinds; ListEntitiesByIDs returns the named ones in order.
func testTagIndex(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	mk := func(org, id string, kind authz.EntityKind, project, name string, tags map[string]string) {
		e := ent(org, id, kind, project, name)
		e.Tags = tags
		must(t, "CreateEntity "+id, s.CreateEntity(ctx, e))
	}
	prod := map[string]string{"env": "prod", "team": "pay"}
	mk(orgA, "s1", authz.KindStack, "b", "prod", prod)
	mk(orgA, "s2", authz.KindStack, "a", "prod", prod)
	mk(orgA, "s3", authz.KindStack, "a", "dev", map[string]string{"env": "dev", "team": "pay"})
	mk(orgA, "s4", authz.KindStack, "a", "solo", map[string]string{"env": "prod"})
	mk(orgA, "e1", authz.KindEnvironment, "a", "prod", prod)
	mk(orgB, "x1", authz.KindStack, "a", "prod", prod)

	by := func(tags map[string]string, project string, after *store.EntityPos, limit int) ([]store.Entity, error) {
		return s.ListEntitiesByTags(ctx, orgA, authz.KindStack, project, tags, after, limit)
	}
	es, err := by(map[string]string{"env": "prod"}, "", nil, 10)
	checkIDs(t, "env=prod", es, err, "s2", "s4", "s1")
	es, err = by(prod, "", nil, 10)
	checkIDs(t, "env=prod and team=pay", es, err, "s2", "s1")
	es, err = by(prod, "", nil, 1)
	checkIDs(t, "first page", es, err, "s2")
	es, err = by(prod, "", &store.EntityPos{Project: "a", Name: "prod"}, 1)
	checkIDs(t, "second page", es, err, "s1")
	es, err = by(prod, "a", nil, 10)
	checkIDs(t, "project a", es, err, "s2")
	es, err = by(map[string]string{"env": "nope"}, "", nil, 10)
	checkIDs(t, "no match", es, err)
	if len(es) > 0 && es[0].Tags["team"] != "pay" {
		t.Errorf("entity read back without its tags: %+v", es[0])
	}

	_, err = s.UpdateEntityTags(ctx, orgA, "s2", map[string]string{"env": "staging"}, t0)
	must(t, "UpdateEntityTags", err)
	es, err = by(map[string]string{"env": "prod"}, "", nil, 10)
	checkIDs(t, "after retag", es, err, "s4", "s1")
	es, err = by(map[string]string{"env": "staging"}, "", nil, 10)
	checkIDs(t, "the new tag", es, err, "s2")
	must(t, "DeleteEntity", s.DeleteEntity(ctx, orgA, "s4"))
	es, err = by(map[string]string{"env": "prod"}, "", nil, 10)
	checkIDs(t, "after delete", es, err, "s1")

	all := []string{"s1", "s3", "e1", "x1", "missing", "s2"}
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "", all, nil, 10)
	checkIDs(t, "ListEntitiesByIDs", es, err, "s3", "s2", "s1")
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "", all, nil, 2)
	checkIDs(t, "ListEntitiesByIDs, first 2", es, err, "s3", "s2")
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "", all, &store.EntityPos{Project: "a", Name: "prod"}, 2)
	checkIDs(t, "ListEntitiesByIDs after a/prod", es, err, "s1")
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "b", []string{"s1", "s3"}, nil, 10)
	checkIDs(t, "ListEntitiesByIDs in project b", es, err, "s1")
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "", nil, nil, 10)
	checkIDs(t, "ListEntitiesByIDs of none", es, err)
	many := make([]string, 1200) // more than one query's worth of IDs
	for i := range many {
		many[i] = fmt.Sprint("nope-", i)
	}
	many[1100] = "s3"
	es, err = s.ListEntitiesByIDs(ctx, orgA, authz.KindStack, "", append(many, "s1"), nil, 10)
	checkIDs(t, "ListEntitiesByIDs of many", es, err, "s3", "s1")
}
