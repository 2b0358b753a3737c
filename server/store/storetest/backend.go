package storetest

import (
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

func update(org, id, stackID, kind string) store.Update {
	return store.Update{ID: id, Org: org, StackID: stackID, Kind: kind, TokenID: "tok1", Actor: org,
		Program: []byte(`{"name":"p"}`), Created: t0}
}

// testStackUpdates: the life of updates, their versions, the one-writer rule, checkpoints and
// history; updates go with their stack and stay in their org.
func testStackUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	st := ent(orgA, "s1", authz.KindStack, "payments", "prod")
	must(t, "CreateEntity", s.CreateEntity(ctx, st))

	wantErr(t, "CreateUpdate on a missing stack", s.CreateUpdate(ctx, update(orgA, "u0", "nope", "update")), store.ErrNotFound)
	wantErr(t, "CreateUpdate on another org's stack", s.CreateUpdate(ctx, update(orgB, "u0", "s1", "update")), store.ErrNotFound)

	must(t, "CreateUpdate u1", s.CreateUpdate(ctx, update(orgA, "u1", "s1", "update")))
	got, err := s.GetUpdate(ctx, orgA, "u1")
	must(t, "GetUpdate", err)
	if got.Status != store.UpdateNotStarted || got.Version != 0 || string(got.Program) != `{"name":"p"}` {
		t.Errorf("GetUpdate u1: %+v", got)
	}
	_, err = s.GetUpdate(ctx, orgB, "u1")
	wantErr(t, "GetUpdate of another org", err, store.ErrNotFound)
	wantErr(t, "SaveCheckpoint before start", s.SaveCheckpoint(ctx, orgA, "u1", []byte("{}"), 0, t0), store.ErrNotFound)

	u1, err := s.StartUpdate(ctx, orgA, "u1", hash("lease1"), 100, t0)
	must(t, "StartUpdate u1", err)
	if u1.Status != store.UpdateRunning || u1.Version != 1 || string(u1.LeaseHash) != string(hash("lease1")) || u1.LeaseExpires != 100 {
		t.Errorf("StartUpdate u1: %+v", u1)
	}
	_, err = s.StartUpdate(ctx, orgA, "u1", hash("lease1"), 100, t0)
	wantErr(t, "StartUpdate twice", err, store.ErrConflict)

	// A second writer conflicts; a preview does not, and sees the current version.
	must(t, "CreateUpdate u2", s.CreateUpdate(ctx, update(orgA, "u2", "s1", "destroy")))
	_, err = s.StartUpdate(ctx, orgA, "u2", hash("lease2"), 100, t0)
	wantErr(t, "StartUpdate of a second writer", err, store.ErrUpdateConflict)
	must(t, "CreateUpdate p1", s.CreateUpdate(ctx, update(orgA, "p1", "s1", "preview")))
	p1, err := s.StartUpdate(ctx, orgA, "p1", hash("lease3"), 100, t0)
	must(t, "StartUpdate preview", err)
	if p1.Version != 0 {
		t.Errorf("preview version %d, want 0 (nothing written yet)", p1.Version)
	}
	wantErr(t, "SaveCheckpoint of a preview", s.SaveCheckpoint(ctx, orgA, "p1", []byte("{}"), 0, t0), store.ErrNotFound)

	state, err := s.GetStackState(ctx, orgA, "s1")
	must(t, "GetStackState", err)
	if state.ActiveUpdate != "u1" || state.Version != 0 {
		t.Errorf("GetStackState while u1 runs: %+v", state)
	}
	_, err = s.ImportCheckpoint(ctx, update(orgA, "i0", "s1", "import"), []byte(`{}`), 0)
	wantErr(t, "ImportCheckpoint while an update runs", err, store.ErrUpdateConflict)

	// Checkpoints: a later save of the same update replaces the earlier one.
	must(t, "SaveCheckpoint", s.SaveCheckpoint(ctx, orgA, "u1", []byte(`{"v":1}`), 1, t0))
	must(t, "SaveCheckpoint again", s.SaveCheckpoint(ctx, orgA, "u1", []byte(`{"v":2}`), 2, t0))
	cp, err := s.GetCheckpoint(ctx, orgA, "s1", 0)
	must(t, "GetCheckpoint latest", err)
	if cp.Version != 1 || cp.UpdateID != "u1" || string(cp.Deployment) != `{"v":2}` || cp.Resources != 2 {
		t.Errorf("GetCheckpoint: %+v", cp)
	}
	_, err = s.GetCheckpoint(ctx, orgB, "s1", 0)
	wantErr(t, "GetCheckpoint of another org", err, store.ErrNotFound)
	must(t, "AddUpdateEvents", s.AddUpdateEvents(ctx, orgA, "u1", 3))
	must(t, "RenewLease", s.RenewLease(ctx, orgA, "u1", hash("lease1b"), 200))

	ended, err := s.EndUpdate(ctx, orgA, "u1", store.UpdateSucceeded, t0)
	must(t, "EndUpdate", err)
	if ended.Status != store.UpdateSucceeded || ended.Events != 3 || len(ended.LeaseHash) != 0 || ended.Ended.IsZero() {
		t.Errorf("EndUpdate: %+v", ended)
	}
	_, err = s.EndUpdate(ctx, orgA, "u1", store.UpdateFailed, t0)
	wantErr(t, "EndUpdate twice", err, store.ErrNotFound)
	wantErr(t, "RenewLease of an ended update", s.RenewLease(ctx, orgA, "u1", hash("x"), 300), store.ErrNotFound)
	wantErr(t, "SaveCheckpoint of an ended update", s.SaveCheckpoint(ctx, orgA, "u1", []byte("{}"), 0, t0), store.ErrNotFound)
	wantErr(t, "AddUpdateEvents of an ended update", s.AddUpdateEvents(ctx, orgA, "u1", 1), store.ErrNotFound)

	// The slot is free again: the destroy starts with the next version; cancelling ends it.
	u2, err := s.StartUpdate(ctx, orgA, "u2", hash("lease2"), 100, t0)
	must(t, "StartUpdate u2 after u1 ended", err)
	if u2.Version != 2 {
		t.Errorf("u2 version %d, want 2", u2.Version)
	}
	_, err = s.EndUpdate(ctx, orgA, "u2", store.UpdateCancelled, t0)
	must(t, "EndUpdate cancel", err)

	imp, err := s.ImportCheckpoint(ctx, update(orgA, "i1", "s1", "import"), []byte(`{"v":3}`), 3)
	must(t, "ImportCheckpoint", err)
	if imp.Version != 3 || imp.Status != store.UpdateSucceeded {
		t.Errorf("ImportCheckpoint: %+v", imp)
	}
	cp, err = s.GetCheckpoint(ctx, orgA, "s1", 1)
	must(t, "GetCheckpoint version 1", err)
	if string(cp.Deployment) != `{"v":2}` {
		t.Errorf("GetCheckpoint version 1: %s", cp.Deployment)
	}
	_, err = s.GetCheckpoint(ctx, orgA, "s1", 2)
	wantErr(t, "GetCheckpoint of a cancelled version", err, store.ErrNotFound)

	us, err := s.ListUpdates(ctx, orgA, "s1", 0, 10)
	checkIDs(t, "ListUpdates (newest first, no previews)", us, err, "i1", "u2", "u1")
	us, err = s.ListUpdates(ctx, orgA, "s1", 1, 1)
	checkIDs(t, "ListUpdates page 2", us, err, "u2")
	state, err = s.GetStackState(ctx, orgA, "s1")
	must(t, "GetStackState", err)
	if state.ActiveUpdate != "" || state.Version != 3 || state.LastUpdate.IsZero() || state.Resources != 3 {
		t.Errorf("GetStackState after: %+v", state)
	}

	// Rename keeps the ID (and so the state); a taken name conflicts.
	must(t, "CreateEntity s2", s.CreateEntity(ctx, ent(orgA, "s2", authz.KindStack, "payments", "dev")))
	_, err = s.RenameEntity(ctx, orgA, "s1", "payments", "dev", t0)
	wantErr(t, "RenameEntity to a taken name", err, store.ErrConflict)
	ren, err := s.RenameEntity(ctx, orgA, "s1", "billing", "prod", t0)
	must(t, "RenameEntity", err)
	if ren.Project != "billing" || ren.Name != "prod" || ren.ID != "s1" {
		t.Errorf("RenameEntity: %+v", ren)
	}
	_, err = s.RenameEntity(ctx, orgB, "s1", "x", "y", t0)
	wantErr(t, "RenameEntity of another org", err, store.ErrNotFound)

	// Deleting the stack deletes its updates and checkpoints.
	must(t, "DeleteEntity", s.DeleteEntity(ctx, orgA, "s1"))
	_, err = s.GetUpdate(ctx, orgA, "u1")
	wantErr(t, "GetUpdate after the stack's deletion", err, store.ErrNotFound)
	_, err = s.GetCheckpoint(ctx, orgA, "s1", 0)
	wantErr(t, "GetCheckpoint after the stack's deletion", err, store.ErrNotFound)
}

// testStackKeys: a stack's sealed key is stored once; later calls return the first.
func testStackKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	must(t, "CreateEntity", s.CreateEntity(ctx, ent(orgA, "s1", authz.KindStack, "payments", "prod")))
	_, err := s.EnsureStackKey(ctx, orgA, "missing", []byte("k"))
	wantErr(t, "EnsureStackKey of a missing stack", err, store.ErrNotFound)
	_, err = s.EnsureStackKey(ctx, orgB, "s1", []byte("k"))
	wantErr(t, "EnsureStackKey of another org's stack", err, store.ErrNotFound)
	k, err := s.EnsureStackKey(ctx, orgA, "s1", []byte("first"))
	must(t, "EnsureStackKey", err)
	k2, err := s.EnsureStackKey(ctx, orgA, "s1", []byte("second"))
	must(t, "EnsureStackKey again", err)
	if string(k) != "first" || string(k2) != "first" {
		t.Errorf("EnsureStackKey: %q then %q, want the first both times", k, k2)
	}
}

// testPruneUpdates: previews and never-started updates older than the cutoff go; updates
// that wrote state stay.
func testPruneUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	must(t, "CreateEntity", s.CreateEntity(ctx, ent(orgA, "s1", authz.KindStack, "payments", "prod")))
	for _, u := range []store.Update{update(orgA, "p-old", "s1", "preview"), update(orgA, "n-old", "s1", "update"), update(orgA, "u-old", "s1", "update")} {
		must(t, "CreateUpdate "+u.ID, s.CreateUpdate(ctx, u))
	}
	_, err := s.StartUpdate(ctx, orgA, "p-old", hash("l"), 100, t0)
	must(t, "StartUpdate p-old", err)
	_, err = s.StartUpdate(ctx, orgA, "u-old", hash("l2"), 100, t0)
	must(t, "StartUpdate u-old", err)
	newer := update(orgA, "p-new", "s1", "preview")
	newer.Created = t0.Add(2 * time.Hour)
	must(t, "CreateUpdate p-new", s.CreateUpdate(ctx, newer))

	n, err := s.PruneUpdates(ctx, t0.Add(time.Hour))
	must(t, "PruneUpdates", err)
	if n != 2 {
		t.Errorf("PruneUpdates deleted %d, want 2 (the old preview and the never-started update)", n)
	}
	for id, want := range map[string]error{"p-old": store.ErrNotFound, "n-old": store.ErrNotFound, "u-old": nil, "p-new": nil} {
		_, err := s.GetUpdate(ctx, orgA, id)
		wantErr(t, "GetUpdate "+id+" after pruning", err, want)
	}
}
