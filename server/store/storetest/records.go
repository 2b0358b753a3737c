package storetest

import (
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
)

func testOrgs(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetOrg(ctx, orgA)
	wantErr(t, "GetOrg before EnsureOrg", err, store.ErrNotFound)

	before := time.Now()
	org, created, err := s.EnsureOrg(ctx, orgA)
	must(t, "EnsureOrg", err)
	if !created || org.Name != orgA || org.ID == "" || org.DefaultRoleID != "" {
		t.Errorf("EnsureOrg = %+v, created %v; want a new org named %q with an ID", org, created, orgA)
	}
	if org.Created.Location() != time.UTC || org.Created.Before(before.Add(-time.Second)) || org.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("EnsureOrg: Created %v, want the current time in UTC", org.Created)
	}

	again, created, err := s.EnsureOrg(ctx, orgA)
	must(t, "EnsureOrg again", err)
	if created {
		t.Error("EnsureOrg again: created = true")
	}
	check(t, "EnsureOrg again", again, org)
	got, err := s.GetOrg(ctx, orgA)
	must(t, "GetOrg", err)
	check(t, "GetOrg", got, org)

	other, _, err := s.EnsureOrg(ctx, orgB)
	must(t, "EnsureOrg(B)", err)
	if other.ID == org.ID {
		t.Errorf("two orgs share ID %q", org.ID)
	}

	must(t, "SetDefaultRole", s.SetDefaultRole(ctx, orgA, "role-1"))
	got, err = s.GetOrg(ctx, orgA)
	must(t, "GetOrg", err)
	org.DefaultRoleID = "role-1"
	check(t, "GetOrg after SetDefaultRole", got, org)
	got, err = s.GetOrg(ctx, orgB)
	must(t, "GetOrg(B)", err)
	check(t, "other org after SetDefaultRole", got, other)
	must(t, "SetDefaultRole reset", s.SetDefaultRole(ctx, orgA, ""))
	if got, _ := s.GetOrg(ctx, orgA); got.DefaultRoleID != "" {
		t.Errorf("DefaultRoleID after reset = %q", got.DefaultRoleID)
	}
	wantErr(t, "SetDefaultRole on missing org", s.SetDefaultRole(ctx, "missing", "role-1"), store.ErrNotFound)
}

func rec(org, id, name, purpose string, refs ...string) store.Record {
	return store.Record{
		ID:           id,
		Org:          org,
		Name:         name,
		Description:  "the " + name + " " + purpose,
		ResourceType: "stack",
		UXPurpose:    purpose,
		Details:      []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`),
		Refs:         refs,
		Version:      1,
		Created:      t0,
		Modified:     t0,
	}
}

func testRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)

	custom := rec(orgA, "r1", "deployer", "role", "s1", "s2")
	builtin := rec(orgA, "r2", "Stack Admin", "set")
	builtin.DefaultIdentifier = "stack-admin"
	builtin.IsOrgDefault = true
	builtin.ResourceType = "global"
	bare := store.Record{ID: "r3", Org: orgA, Name: "bare", UXPurpose: "policy", Version: 1}
	for _, r := range []store.Record{custom, builtin, bare} {
		must(t, "CreateRecord "+r.ID, s.CreateRecord(ctx, r))
		got, err := s.GetRecord(ctx, orgA, r.ID)
		must(t, "GetRecord "+r.ID, err)
		check(t, "GetRecord "+r.ID, got, r)
	}

	_, err := s.GetRecord(ctx, orgA, "missing")
	wantErr(t, "GetRecord missing", err, store.ErrNotFound)
	_, err = s.GetRecord(ctx, orgB, custom.ID)
	wantErr(t, "GetRecord from another org", err, store.ErrNotFound)

	v2 := rec(orgA, "r4", "v2", "role")
	v2.Version = 2
	if err := s.CreateRecord(ctx, v2); err == nil {
		t.Error("CreateRecord with Version 2 succeeded")
	}
	_, err = s.GetRecord(ctx, orgA, v2.ID)
	wantErr(t, "GetRecord after rejected create", err, store.ErrNotFound)
}

func testRecordConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	must(t, "CreateRecord", s.CreateRecord(ctx, rec(orgA, "r1", "admin", "role")))

	tests := []struct {
		name string
		r    store.Record
		want error
	}{
		{"same name and purpose", rec(orgA, "r2", "admin", "role"), store.ErrConflict},
		{"same ID", rec(orgA, "r1", "other", "role"), store.ErrConflict},
		{"same ID other purpose", rec(orgA, "r1", "other", "set"), store.ErrConflict},
		{"same name other purpose", rec(orgA, "r3", "admin", "set"), nil},
		{"same name other org", rec(orgB, "r4", "admin", "role"), nil},
		{"other name", rec(orgA, "r5", "viewer", "role"), nil},
	}
	for _, tc := range tests {
		wantErr(t, tc.name, s.CreateRecord(ctx, tc.r), tc.want)
	}
	got, err := s.GetRecord(ctx, orgA, "r1")
	must(t, "GetRecord", err)
	check(t, "record after conflicts", got, rec(orgA, "r1", "admin", "role"))
}

func testListRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	for _, r := range []store.Record{
		rec(orgA, "r1", "zeta", "role"),
		rec(orgA, "r2", "alpha", "set"),
		rec(orgA, "r3", "mid", "role"),
		rec(orgA, "r4", "beta", "role"),
		rec(orgA, "r5", "gamma", "policy"),
		rec(orgB, "r6", "aaa", "role"),
	} {
		must(t, "CreateRecord "+r.ID, s.CreateRecord(ctx, r))
	}
	tests := []struct {
		org, purpose string
		want         []string
	}{
		{orgA, "", []string{"r2", "r4", "r5", "r3", "r1"}},
		{orgA, "role", []string{"r4", "r3", "r1"}},
		{orgA, "set", []string{"r2"}},
		{orgA, "role_private", nil},
		{orgB, "", []string{"r6"}},
		{"missing", "", nil},
	}
	for _, tc := range tests {
		rs, err := s.ListRecords(ctx, tc.org, tc.purpose)
		checkIDs(t, "ListRecords("+tc.org+", "+tc.purpose+")", rs, err, tc.want...)
	}
	rs, err := s.ListRecords(ctx, orgB, "role")
	must(t, "ListRecords", err)
	if len(rs) == 1 {
		check(t, "listed record", rs[0], rec(orgB, "r6", "aaa", "role"))
	}
}

func testUpdateRecord(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	orig := rec(orgA, "r1", "deployer", "role", "s1")
	must(t, "CreateRecord", s.CreateRecord(ctx, orig))
	must(t, "CreateRecord", s.CreateRecord(ctx, rec(orgA, "r2", "taken", "role")))
	must(t, "CreateRecord", s.CreateRecord(ctx, rec(orgA, "r3", "taken-set", "set")))

	next := orig
	next.Name = "deployer-2"
	next.Description = "new description"
	next.Details = []byte(`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["s2"]}`)
	next.Refs = []string{"s2", "s3"}
	next.IsOrgDefault = true
	next.Version = 2
	next.Modified = t0.Add(time.Hour)
	must(t, "UpdateRecord", s.UpdateRecord(ctx, next, 1))
	got, err := s.GetRecord(ctx, orgA, orig.ID)
	must(t, "GetRecord", err)
	check(t, "updated record", got, next)

	tests := []struct {
		name     string
		mutate   func(r *store.Record)
		expected int
		want     error
	}{
		{"stale expected version", func(r *store.Record) { r.Version = 2 }, 1, store.ErrVersionConflict},
		{"future expected version", func(r *store.Record) { r.Version = 4 }, 3, store.ErrVersionConflict},
		{"new version not expected+1", func(r *store.Record) { r.Version = 4 }, 2, store.ErrVersionConflict},
		{"new version unchanged", func(r *store.Record) { r.Version = 2 }, 2, store.ErrVersionConflict},
		{"missing record", func(r *store.Record) { r.ID = "missing"; r.Version = 3 }, 2, store.ErrNotFound},
		{"other org", func(r *store.Record) { r.Org = orgB; r.Version = 3 }, 2, store.ErrNotFound},
		{"duplicate name", func(r *store.Record) { r.Name = "taken"; r.Version = 3 }, 2, store.ErrConflict},
		{"duplicate name after purpose change", func(r *store.Record) {
			r.Name, r.UXPurpose, r.Version = "taken-set", "set", 3
		}, 2, store.ErrConflict},
	}
	for _, tc := range tests {
		r := next
		r.Description = tc.name
		tc.mutate(&r)
		wantErr(t, tc.name, s.UpdateRecord(ctx, r, tc.expected), tc.want)
		got, err := s.GetRecord(ctx, orgA, orig.ID)
		must(t, "GetRecord", err)
		check(t, "record after failed update "+tc.name, got, next)
	}

	last := next
	last.Name, last.UXPurpose, last.Refs, last.Version = "deployer", "set", nil, 3
	must(t, "UpdateRecord to version 3", s.UpdateRecord(ctx, last, 2))
	got, err = s.GetRecord(ctx, orgA, orig.ID)
	must(t, "GetRecord", err)
	check(t, "record at version 3", got, last)
}

func testDeleteRecord(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	r := rec(orgA, "r1", "deployer", "role", "s1")
	must(t, "CreateRecord", s.CreateRecord(ctx, r))

	wantErr(t, "DeleteRecord from another org", s.DeleteRecord(ctx, orgB, r.ID), store.ErrNotFound)
	if _, err := s.GetRecord(ctx, orgA, r.ID); err != nil {
		t.Errorf("GetRecord after delete from another org: %v", err)
	}
	must(t, "DeleteRecord", s.DeleteRecord(ctx, orgA, r.ID))
	_, err := s.GetRecord(ctx, orgA, r.ID)
	wantErr(t, "GetRecord after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteRecord again", s.DeleteRecord(ctx, orgA, r.ID), store.ErrNotFound)
	wantErr(t, "DeleteRecord missing", s.DeleteRecord(ctx, orgA, "missing"), store.ErrNotFound)
	rs, err := s.ListRecords(ctx, orgA, "")
	checkIDs(t, "ListRecords after delete", rs, err)

	// The name and the ID are free again.
	must(t, "CreateRecord with the deleted name and ID", s.CreateRecord(ctx, r))
}

func testReferrers(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	for _, r := range []store.Record{
		rec(orgA, "target", "target", "set"),
		rec(orgA, "c", "c-role", "role", "target", "x"),
		rec(orgA, "b", "b-role", "role", "target"),
		rec(orgA, "d", "d-role", "role", "x"),
		rec(orgB, "e", "a-role", "role", "target"),
	} {
		must(t, "CreateRecord "+r.ID, s.CreateRecord(ctx, r))
	}
	referrers := func(what, org, id string, want ...string) {
		t.Helper()
		rs, err := s.Referrers(ctx, org, id)
		checkIDs(t, what+": Referrers("+org+", "+id+")", rs, err, want...)
	}
	referrers("initially", orgA, "target", "b", "c")
	referrers("initially", orgA, "x", "c", "d")
	referrers("initially", orgA, "nothing")
	referrers("initially", orgB, "target", "e")

	rs, err := s.Referrers(ctx, orgA, "x")
	must(t, "Referrers", err)
	if len(rs) == 2 {
		check(t, "referrer", rs[0], rec(orgA, "c", "c-role", "role", "target", "x"))
	}

	b := rec(orgA, "b", "b-role", "role", "x")
	b.Version = 2
	must(t, "UpdateRecord", s.UpdateRecord(ctx, b, 1))
	referrers("after update", orgA, "target", "c")
	referrers("after update", orgA, "x", "b", "c", "d")

	must(t, "DeleteRecord", s.DeleteRecord(ctx, orgA, "c"))
	referrers("after delete", orgA, "target")
	referrers("after delete", orgA, "x", "b", "d")
	referrers("after delete", orgB, "target", "e")

	// A reference named twice makes one referrer.
	must(t, "CreateRecord with a repeated ref", s.CreateRecord(ctx, rec(orgA, "f", "f-role", "role", "y", "x", "y")))
	referrers("repeated ref", orgA, "y", "f")
	referrers("repeated ref", orgA, "x", "b", "d", "f")
}
