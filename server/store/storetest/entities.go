package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

func ent(org, id string, kind authz.EntityKind, project, name string) store.Entity {
	return store.Entity{
		ID:       id,
		Org:      org,
		Kind:     kind,
		Project:  project,
		Name:     name,
		Tags:     map[string]string{"owner": "alice"},
		Created:  t0,
		Modified: t0,
	}
}

func testEntities(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	stack := ent(orgA, "e1", authz.KindStack, "myapp", "prod")
	env := ent(orgA, "e2", authz.KindEnvironment, "myapp", "prod")
	account := ent(orgA, "e3", authz.KindInsightsAccount, "", "aws-prod")
	for _, e := range []store.Entity{stack, env, account} {
		must(t, "CreateEntity "+e.ID, s.CreateEntity(ctx, e))
		got, err := s.GetEntity(ctx, orgA, e.Kind, e.Project, e.Name)
		must(t, "GetEntity "+e.ID, err)
		check(t, "GetEntity "+e.ID, got, e)
		got, err = s.GetEntityByID(ctx, orgA, e.ID)
		must(t, "GetEntityByID "+e.ID, err)
		check(t, "GetEntityByID "+e.ID, got, e)
	}

	missing := []struct {
		name            string
		org             string
		kind            authz.EntityKind
		project, entity string
	}{
		{"other org", orgB, authz.KindStack, "myapp", "prod"},
		{"other kind", orgA, authz.KindInsightsAccount, "myapp", "prod"},
		{"other project", orgA, authz.KindStack, "other", "prod"},
		{"other name", orgA, authz.KindStack, "myapp", "dev"},
	}
	for _, tc := range missing {
		_, err := s.GetEntity(ctx, tc.org, tc.kind, tc.project, tc.entity)
		wantErr(t, "GetEntity "+tc.name, err, store.ErrNotFound)
	}
	_, err := s.GetEntityByID(ctx, orgB, stack.ID)
	wantErr(t, "GetEntityByID from another org", err, store.ErrNotFound)
	_, err = s.GetEntityByID(ctx, orgA, "missing")
	wantErr(t, "GetEntityByID missing", err, store.ErrNotFound)

	// Only stacks, environments and insights accounts are entities; nothing else is stored.
	for _, k := range []authz.EntityKind{authz.KindOrg, authz.EntityKind(200)} {
		bad := ent(orgA, "bad", k, "p", "x")
		if err := s.CreateEntity(ctx, bad); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateEntity of kind %s: %v, want an error", k, err)
		}
		_, err = s.GetEntityByID(ctx, orgA, "bad")
		wantErr(t, "GetEntityByID after CreateEntity of kind "+k.String(), err, store.ErrNotFound)
	}
}

func testEntityConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	orig := ent(orgA, "e1", authz.KindStack, "myapp", "prod")
	must(t, "CreateEntity", s.CreateEntity(ctx, orig))
	tests := []struct {
		name string
		e    store.Entity
		want error
	}{
		{"same key", ent(orgA, "e2", authz.KindStack, "myapp", "prod"), store.ErrConflict},
		{"same ID", ent(orgA, "e1", authz.KindStack, "myapp", "dev"), store.ErrConflict},
		{"same ID other kind", ent(orgA, "e1", authz.KindEnvironment, "x", "y"), store.ErrConflict},
		{"same name other project", ent(orgA, "e3", authz.KindStack, "other", "prod"), nil},
		{"same name other kind", ent(orgA, "e4", authz.KindEnvironment, "myapp", "prod"), nil},
		{"same key other org", ent(orgB, "e5", authz.KindStack, "myapp", "prod"), nil},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, s.CreateEntity(ctx, tc.e), tc.want)
	}
	got, err := s.GetEntityByID(ctx, orgA, "e1")
	must(t, "GetEntityByID", err)
	check(t, "entity after conflicts", got, orig)
}

func testListEntities(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	for _, e := range []store.Entity{
		ent(orgA, "s1", authz.KindStack, "p2", "a"),
		ent(orgA, "s2", authz.KindStack, "p1", "b"),
		ent(orgA, "s3", authz.KindStack, "p1", "a"),
		ent(orgA, "s4", authz.KindStack, "p10", "a"),
		ent(orgA, "v1", authz.KindEnvironment, "p1", "c"),
		ent(orgA, "i1", authz.KindInsightsAccount, "", "zz"),
		ent(orgA, "i2", authz.KindInsightsAccount, "", "aa"),
		ent(orgB, "s5", authz.KindStack, "p1", "a"),
	} {
		must(t, "CreateEntity "+e.ID, s.CreateEntity(ctx, e))
	}
	tests := []struct {
		org     string
		kind    authz.EntityKind
		project string
		want    []string
	}{
		{orgA, authz.KindStack, "", []string{"s3", "s2", "s4", "s1"}},
		{orgA, authz.KindStack, "p1", []string{"s3", "s2"}},
		{orgA, authz.KindStack, "p3", nil},
		{orgA, authz.KindEnvironment, "", []string{"v1"}},
		{orgA, authz.KindInsightsAccount, "", []string{"i2", "i1"}},
		{orgA, authz.KindOrg, "", nil}, // not an entity kind: nothing
		{orgB, authz.KindStack, "", []string{"s5"}},
		{"missing", authz.KindStack, "", nil},
	}
	for _, tc := range tests {
		es, err := s.ListEntities(ctx, tc.org, tc.kind, tc.project)
		checkIDs(t, "ListEntities("+tc.org+", "+tc.kind.String()+", "+tc.project+")", es, err, tc.want...)
	}
	es, err := s.ListEntities(ctx, orgB, authz.KindStack, "p1")
	must(t, "ListEntities", err)
	if len(es) == 1 {
		check(t, "listed entity", es[0], ent(orgB, "s5", authz.KindStack, "p1", "a"))
	}
}

func testEntityTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	tests := []struct {
		name string
		tags map[string]string
	}{
		{"nil", nil},
		{"empty", map[string]string{}},
		{"some", map[string]string{"env": "prod", "empty": "", "unicode": "ünï/cødé \"quoted\""}},
	}
	for i, tc := range tests {
		e := ent(orgA, "e"+tc.name, authz.KindStack, "p", tc.name)
		e.Tags = tc.tags
		must(t, "CreateEntity "+tc.name, s.CreateEntity(ctx, e))
		got, err := s.GetEntityByID(ctx, orgA, e.ID)
		must(t, "GetEntityByID "+tc.name, err)
		check(t, "created with "+tc.name+" tags", got, e)

		// Replace the tags with the next case's.
		next := tests[(i+1)%len(tests)].tags
		at := t0.Add(time.Duration(i+1) * time.Minute)
		want := e
		want.Tags, want.Modified = next, at
		updated, err := s.UpdateEntityTags(ctx, orgA, e.ID, next, at)
		must(t, "UpdateEntityTags "+tc.name, err)
		check(t, "UpdateEntityTags result "+tc.name, updated, want)
		got, err = s.GetEntityByID(ctx, orgA, e.ID)
		must(t, "GetEntityByID "+tc.name, err)
		check(t, "after UpdateEntityTags "+tc.name, got, want)
	}
	_, err := s.UpdateEntityTags(ctx, orgA, "missing", nil, t0)
	wantErr(t, "UpdateEntityTags missing", err, store.ErrNotFound)
	_, err = s.UpdateEntityTags(ctx, orgB, "esome", nil, t0)
	wantErr(t, "UpdateEntityTags from another org", err, store.ErrNotFound)
}

func testDeleteEntity(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	e := ent(orgA, "e1", authz.KindStack, "myapp", "prod")
	must(t, "CreateEntity", s.CreateEntity(ctx, e))
	wantErr(t, "DeleteEntity from another org", s.DeleteEntity(ctx, orgB, e.ID), store.ErrNotFound)
	if _, err := s.GetEntityByID(ctx, orgA, e.ID); err != nil {
		t.Errorf("GetEntityByID after delete from another org: %v", err)
	}
	must(t, "DeleteEntity", s.DeleteEntity(ctx, orgA, e.ID))
	_, err := s.GetEntityByID(ctx, orgA, e.ID)
	wantErr(t, "GetEntityByID after delete", err, store.ErrNotFound)
	_, err = s.GetEntity(ctx, orgA, e.Kind, e.Project, e.Name)
	wantErr(t, "GetEntity after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteEntity again", s.DeleteEntity(ctx, orgA, e.ID), store.ErrNotFound)
	es, err := s.ListEntities(ctx, orgA, e.Kind, "")
	checkIDs(t, "ListEntities after delete", es, err)
	must(t, "CreateEntity with the deleted key and ID", s.CreateEntity(ctx, e))
}

// testLookupEntities: a batch of refs by ID and by name, of several kinds, across query chunks,
// finds exactly the entities of the org that they name, each once; refs to other orgs, other
// kinds or nothing are left out.
func testLookupEntities(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	const n = 600 // past one query's chunk of refs
	want := map[string]bool{}
	var refs []store.EntityRef
	for i := range n {
		e := ent(orgA, fmt.Sprintf("lk-%03d", i), authz.KindStack, fmt.Sprintf("p%d", i%7), fmt.Sprintf("s%03d", i))
		must(t, "CreateEntity", s.CreateEntity(ctx, e))
		want[e.ID] = true
		if i%2 == 0 {
			refs = append(refs, store.EntityRef{ID: e.ID})
		} else {
			refs = append(refs, store.EntityRef{Kind: authz.KindStack, Project: e.Project, Name: e.Name})
		}
	}
	acct := ent(orgA, "lk-acct", authz.KindInsightsAccount, "", "aws")
	env := ent(orgA, "lk-env", authz.KindEnvironment, "p1", "s001") // the name of a stack, another kind
	other := ent(orgB, "lk-b", authz.KindStack, "p0", "s000")
	for _, e := range []store.Entity{acct, env, other} {
		must(t, "CreateEntity "+e.ID, s.CreateEntity(ctx, e))
	}
	want[acct.ID], want[env.ID] = true, true
	refs = append(refs,
		store.EntityRef{Kind: authz.KindInsightsAccount, Name: "aws"},
		store.EntityRef{ID: env.ID},
		store.EntityRef{ID: "lk-000"},                                                 // twice: once in the answer
		store.EntityRef{Kind: authz.KindStack, Project: "p0", Name: "s000"},           // the same entity by name
		store.EntityRef{ID: "lk-b"},                                                   // another org's
		store.EntityRef{Kind: authz.KindInsightsAccount, Project: "p1", Name: "s001"}, // nothing of that kind
		store.EntityRef{ID: "missing"},
		store.EntityRef{Kind: authz.KindStack, Project: "p0", Name: "missing"},
		store.EntityRef{Kind: authz.KindStack, Project: "it's", Name: "a \"quote\" ; --"},
	)
	got, err := s.LookupEntities(ctx, orgA, refs)
	must(t, "LookupEntities", err)
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.ID] {
			t.Errorf("LookupEntities: %s twice", e.ID)
		}
		seen[e.ID] = true
		if !want[e.ID] {
			t.Errorf("LookupEntities: %s (org %s, %s %s/%s) was not asked for", e.ID, e.Org, e.Kind, e.Project, e.Name)
		}
		if e.ID == "lk-001" {
			check(t, "LookupEntities lk-001", e, ent(orgA, "lk-001", authz.KindStack, "p1", "s001"))
		}
	}
	if len(seen) != len(want) {
		t.Errorf("LookupEntities found %d entities, want %d", len(seen), len(want))
	}
	got, err = s.LookupEntities(ctx, orgA, nil)
	must(t, "LookupEntities of nothing", err)
	if len(got) != 0 {
		t.Errorf("LookupEntities of nothing: %d entities", len(got))
	}
}
