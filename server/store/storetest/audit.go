package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

func event(org string, i int) store.AuditEvent {
	return store.AuditEvent{
		Org:       org,
		Time:      t0.Add(time.Duration(i) * time.Second),
		Actor:     org,
		TokenID:   "t1",
		TokenName: "ci",
		Method:    "DELETE",
		Path:      fmt.Sprintf("/api/stacks/%s/myapp/s%d", org, i),
		Action:    "stack:delete",
		Entity:    fmt.Sprintf("stack:myapp/s%d", i),
		Decision:  "deny",
		Reason:    "no grant",
		Status:    403,
		SourceIP:  "192.0.2.1",
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, "AppendAudit with no events", s.AppendAudit(ctx))
	got, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, Limit: 10})
	checkIDs(t, "ListAudit of empty log", got, err)

	var want []store.AuditEvent // org A's events, oldest first
	for i := range 5 {
		want = append(want, event(orgA, i))
	}
	must(t, "AppendAudit", s.AppendAudit(ctx, want[:3]...))
	must(t, "AppendAudit(B)", s.AppendAudit(ctx, event(orgB, 100)))
	must(t, "AppendAudit", s.AppendAudit(ctx, want[3]))
	must(t, "AppendAudit(B)", s.AppendAudit(ctx, event(orgB, 101), event(orgB, 102)))
	must(t, "AppendAudit", s.AppendAudit(ctx, want[4]))

	all, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, Limit: 100})
	must(t, "ListAudit", err)
	if len(all) != len(want) {
		t.Fatalf("ListAudit returned %d events, want %d", len(all), len(want))
	}
	for i, ev := range all {
		if ev.ID <= 0 || (i > 0 && ev.ID >= all[i-1].ID) {
			t.Errorf("ListAudit: event %d has ID %d after %d; want positive IDs, newest (highest) first", i, ev.ID, all[max(i-1, 0)].ID)
		}
		w := want[len(want)-1-i]
		w.ID = ev.ID
		check(t, fmt.Sprintf("ListAudit event %d", i), ev, w)
	}

	// Page through three at a time.
	var paged []store.AuditEvent
	q := store.AuditQuery{Org: orgA, Limit: 3}
	for page := 0; ; page++ {
		evs, err := s.ListAudit(ctx, q)
		must(t, "ListAudit page", err)
		if len(evs) > q.Limit {
			t.Fatalf("page %d has %d events, limit %d", page, len(evs), q.Limit)
		}
		if len(evs) == 0 || page > len(want) {
			break
		}
		paged = append(paged, evs...)
		q.BeforeID = evs[len(evs)-1].ID
	}
	checkIDs(t, "paged ListAudit", paged, nil, auditIDs(all)...)

	evs, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, BeforeID: all[1].ID, Limit: 1})
	checkIDs(t, "ListAudit before the second newest", evs, err, auditIDs(all[2:3])...)

	evs, err = s.ListAudit(ctx, store.AuditQuery{Org: orgB, Limit: 10})
	must(t, "ListAudit(B)", err)
	if len(evs) != 3 || evs[0].Path != event(orgB, 102).Path || evs[2].Path != event(orgB, 100).Path {
		t.Errorf("ListAudit(B) = %+v, want org B's 3 events newest first", evs)
	}
}

// auditIDs renders event IDs as strings, for checkIDs.
func auditIDs(evs []store.AuditEvent) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, fmt.Sprint(ev.ID))
	}
	return out
}

func idem(org, principal, key string, body string) store.Idempotent {
	return store.Idempotent{
		Org:         org,
		Principal:   principal,
		Key:         key,
		RequestHash: hash("POST /api/orgs/" + org + "/tokens " + body),
		Status:      201,
		Body:        []byte(body),
		Created:     t0,
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetIdempotent(ctx, orgA, "t1", "k1")
	wantErr(t, "GetIdempotent missing", err, store.ErrNotFound)

	first := idem(orgA, "t1", "k1", `{"id":"first"}`)
	existing, found, err := s.PutIdempotent(ctx, first)
	must(t, "PutIdempotent", err)
	if found {
		t.Errorf("first PutIdempotent: found = true, existing %+v", existing)
	}
	got, err := s.GetIdempotent(ctx, orgA, "t1", "k1")
	must(t, "GetIdempotent", err)
	check(t, "GetIdempotent", got, first)

	second := idem(orgA, "t1", "k1", `{"id":"second"}`)
	second.Status, second.Created = 500, t0.Add(time.Minute)
	existing, found, err = s.PutIdempotent(ctx, second)
	must(t, "second PutIdempotent", err)
	if !found {
		t.Error("second PutIdempotent: found = false")
	}
	check(t, "second PutIdempotent", existing, first)
	got, err = s.GetIdempotent(ctx, orgA, "t1", "k1")
	must(t, "GetIdempotent", err)
	check(t, "GetIdempotent after second put", got, first)

	for _, v := range []store.Idempotent{
		idem(orgA, "t2", "k1", "other principal"),
		idem(orgB, "t1", "k1", "other org"),
		idem(orgA, "t1", "k2", ""), // empty body
	} {
		_, found, err := s.PutIdempotent(ctx, v)
		must(t, "PutIdempotent "+string(v.Body), err)
		if found {
			t.Errorf("PutIdempotent(%s, %s, %s): found = true", v.Org, v.Principal, v.Key)
		}
		got, err := s.GetIdempotent(ctx, v.Org, v.Principal, v.Key)
		must(t, "GetIdempotent", err)
		check(t, "GetIdempotent "+v.Org+"/"+v.Principal+"/"+v.Key, got, v)
	}
}

func testPruneIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	ages := map[string]time.Duration{"k1": -2 * time.Hour, "k2": -time.Hour, "k3": 0, "k4": time.Hour}
	for key, age := range ages {
		for _, org := range []string{orgA, orgB} {
			v := idem(org, "t1", key, key)
			v.Created = t0.Add(age)
			if _, _, err := s.PutIdempotent(ctx, v); err != nil {
				t.Fatalf("PutIdempotent: %v", err)
			}
		}
	}
	must(t, "PruneIdempotent", s.PruneIdempotent(ctx, t0.Add(-90*time.Minute)))
	must(t, "PruneIdempotent", s.PruneIdempotent(ctx, t0))
	for key, age := range ages {
		for _, org := range []string{orgA, orgB} {
			_, err := s.GetIdempotent(ctx, org, "t1", key)
			if age < 0 {
				wantErr(t, "GetIdempotent of pruned "+key, err, store.ErrNotFound)
			} else {
				wantErr(t, "GetIdempotent of kept "+key, err, nil)
			}
		}
	}
	// A pruned key can be used again.
	_, found, err := s.PutIdempotent(ctx, idem(orgA, "t1", "k1", "again"))
	if err != nil || found {
		t.Errorf("PutIdempotent of a pruned key: found %v, %v", found, err)
	}
}

// testTimes stores times given in other zones and with nanoseconds; they come back in UTC, equal
// to the millisecond.
func testTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	zone := time.FixedZone("UTC+05:30", 5*3600+1800)
	times := []time.Time{
		time.Date(2025, 6, 1, 17, 30, 0, 999_999_999, zone),
		time.Date(1999, 12, 31, 23, 59, 59, 1_000_000, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 1, zone),
		time.Unix(1_700_000_000, 500_000_000), // time.Local
	}
	for i, at := range times {
		id := fmt.Sprint(i)
		r := rec(orgA, "r"+id, "r"+id, "role")
		r.Created, r.Modified = at, at.Add(time.Millisecond)
		must(t, "CreateRecord", s.CreateRecord(ctx, r))
		gotR, err := s.GetRecord(ctx, orgA, r.ID)
		must(t, "GetRecord", err)
		check(t, "record times", gotR, r)

		tk := tok(orgA, "t"+id, "t"+id)
		tk.Created = at
		must(t, "CreateToken", s.CreateToken(ctx, tk))
		must(t, "DeleteToken", s.DeleteToken(ctx, orgA, tk.ID, at.Add(time.Second)))
		tk.Deleted, tk.DeletedAt = true, at.Add(time.Second)
		gotT, err := s.TokenByHash(ctx, tk.Hash)
		must(t, "TokenByHash", err)
		check(t, "token times", gotT, tk)

		e := ent(orgA, "e"+id, authz.KindStack, "p", id)
		e.Created = at
		must(t, "CreateEntity", s.CreateEntity(ctx, e))
		e.Modified = at.Add(time.Hour)
		gotE, err := s.UpdateEntityTags(ctx, orgA, e.ID, e.Tags, e.Modified)
		must(t, "UpdateEntityTags", err)
		check(t, "entity times", gotE, e)

		v := idem(orgA, "p", id, id)
		v.Created = at
		_, _, err = s.PutIdempotent(ctx, v)
		must(t, "PutIdempotent", err)
		gotV, err := s.GetIdempotent(ctx, orgA, "p", id)
		must(t, "GetIdempotent", err)
		check(t, "idempotency times", gotV, v)

		ev := event(orgA, i)
		ev.Time = at
		must(t, "AppendAudit", s.AppendAudit(ctx, ev))
		evs, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA, Limit: 1})
		must(t, "ListAudit", err)
		if len(evs) == 1 {
			ev.ID = evs[0].ID
			check(t, "audit times", evs[0], ev)
		}
	}
}
