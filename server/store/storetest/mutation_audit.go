package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// testMutationAudit: every mutating call made under store.WithAudit commits the audit record
// with the mutation; a failing call writes none and leaves it pending; one context writes one
// record however many mutations it makes; calls without it write none.
func testMutationAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA)
	must(t, "CreateRecord (no audit)", s.CreateRecord(ctx, rec(orgA, "r0", "base", "role")))

	// under returns a context carrying a fresh audit record tagged with what.
	under := func(what string) (context.Context, *store.MutationAudit) {
		m := store.NewMutationAudit(func() store.AuditEvent {
			e := event(orgA, 1)
			e.Reason, e.Decision, e.Status = what, "allow", 200
			return e
		})
		return store.WithAudit(ctx, m), m
	}
	updated := rec(orgA, "r0", "base", "role")
	updated.Version, updated.Description = 2, "changed"
	ops := []struct {
		what      string
		ok, fails func(context.Context) error
	}{
		{"CreateRecord",
			func(c context.Context) error { return s.CreateRecord(c, rec(orgA, "r1", "one", "role")) },
			func(c context.Context) error { return s.CreateRecord(c, rec(orgA, "r1", "one", "role")) }},
		{"UpdateRecord",
			func(c context.Context) error { return s.UpdateRecord(c, updated, 1) },
			func(c context.Context) error { return s.UpdateRecord(c, updated, 1) }},
		{"SetDefaultRole",
			func(c context.Context) error { return s.SetDefaultRole(c, orgA, "r0") },
			func(c context.Context) error { return s.SetDefaultRole(c, "no-such-org", "r0") }},
		{"DeleteRecord",
			func(c context.Context) error { return s.DeleteRecord(c, orgA, "r1") },
			func(c context.Context) error { return s.DeleteRecord(c, orgA, "r1") }},
		{"CreateToken",
			func(c context.Context) error { return s.CreateToken(c, tok(orgA, "t1", "ci")) },
			func(c context.Context) error { return s.CreateToken(c, tok(orgA, "t1", "ci")) }},
		{"DeleteToken",
			func(c context.Context) error { return s.DeleteToken(c, orgA, "t1", t0) },
			func(c context.Context) error { return s.DeleteToken(c, orgA, "t1", t0) }},
		{"CreateEntity",
			func(c context.Context) error { return s.CreateEntity(c, ent(orgA, "e1", authz.KindStack, "p", "s")) },
			func(c context.Context) error { return s.CreateEntity(c, ent(orgA, "e1", authz.KindStack, "p", "s")) }},
		{"UpdateEntityTags",
			func(c context.Context) error {
				_, err := s.UpdateEntityTags(c, orgA, "e1", map[string]string{"a": "b"}, t0)
				return err
			},
			func(c context.Context) error {
				_, err := s.UpdateEntityTags(c, orgA, "missing", map[string]string{"a": "b"}, t0)
				return err
			}},
		{"DeleteEntity",
			func(c context.Context) error { return s.DeleteEntity(c, orgA, "e1") },
			func(c context.Context) error { return s.DeleteEntity(c, orgA, "e1") }},
		{"AddMember",
			func(c context.Context) error {
				_, err := s.AddMember(c, orgA, user("u1", "alice"), "r0", t0)
				return err
			},
			func(c context.Context) error {
				_, err := s.AddMember(c, orgA, user("u1", "alice"), "r0", t0)
				return err
			}},
		{"SetMemberRole",
			func(c context.Context) error { return s.SetMemberRole(c, orgA, "u1", "r1", "") },
			func(c context.Context) error { return s.SetMemberRole(c, orgA, "u1", "r0", "r1") }},
		{"CreateTeam",
			func(c context.Context) error { return s.CreateTeam(c, teamOf(orgA, "t1", "platform")) },
			func(c context.Context) error { return s.CreateTeam(c, teamOf(orgA, "t1", "platform")) }},
		{"UpdateTeam",
			func(c context.Context) error { return s.UpdateTeam(c, teamOf(orgA, "t1", "platform")) },
			func(c context.Context) error { return s.UpdateTeam(c, teamOf(orgA, "t9", "nope")) }},
		{"AddTeamMember",
			func(c context.Context) error { return s.AddTeamMember(c, orgA, "t1", "u1") },
			func(c context.Context) error { return s.AddTeamMember(c, orgA, "t1", "u1") }},
		{"RemoveTeamMember",
			func(c context.Context) error { return s.RemoveTeamMember(c, orgA, "t1", "u1") },
			func(c context.Context) error { return s.RemoveTeamMember(c, orgA, "t1", "u1") }},
		{"AddTeamRole",
			func(c context.Context) error { return s.AddTeamRole(c, orgA, "t1", "r0") },
			func(c context.Context) error { return s.AddTeamRole(c, orgA, "t1", "r0") }},
		{"RemoveTeamRole",
			func(c context.Context) error { return s.RemoveTeamRole(c, orgA, "t1", "r0") },
			func(c context.Context) error { return s.RemoveTeamRole(c, orgA, "t1", "r0") }},
		{"DeleteTeam",
			func(c context.Context) error { return s.DeleteTeam(c, orgA, "t1", t0) },
			func(c context.Context) error { return s.DeleteTeam(c, orgA, "t1", t0) }},
		{"CreateGuardrail",
			func(c context.Context) error { return s.CreateGuardrail(c, guardrail(orgA, "g1", "guard")) },
			func(c context.Context) error { return s.CreateGuardrail(c, guardrail(orgA, "g1", "guard")) }},
		{"UpdateGuardrail",
			func(c context.Context) error {
				g := guardrail(orgA, "g1", "guard")
				g.Version = 2
				return s.UpdateGuardrail(c, g, 1)
			},
			func(c context.Context) error {
				g := guardrail(orgA, "g1", "guard")
				g.Version = 2
				return s.UpdateGuardrail(c, g, 1)
			}},
		{"DeleteGuardrail",
			func(c context.Context) error { return s.DeleteGuardrail(c, orgA, "g1") },
			func(c context.Context) error { return s.DeleteGuardrail(c, orgA, "g1") }},
		{"RemoveMember",
			func(c context.Context) error { return s.RemoveMember(c, orgA, "u1", "", t0) },
			func(c context.Context) error { return s.RemoveMember(c, orgA, "u1", "", t0) }},
	}
	count := func(what string) int {
		evs, err := s.ListAudit(ctx, store.AuditQuery{Org: orgA})
		must(t, "ListAudit", err)
		n := 0
		for _, e := range evs {
			if e.Reason == what {
				n++
			}
		}
		return n
	}
	for _, op := range ops {
		c, m := under(op.what)
		must(t, op.what, op.ok(c))
		if _, ok := m.Committed(); !ok {
			t.Errorf("%s under WithAudit: the record is not marked committed", op.what)
		}
		if n := count(op.what); n != 1 {
			t.Errorf("%s under WithAudit: %d audit records, want 1", op.what, n)
		}
		// The same call again fails (conflict, version, missing): no record, still pending.
		failed := op.what + " (failed)"
		c, m = under(failed)
		if err := op.fails(c); err == nil {
			t.Fatalf("%s: the failing variant succeeded", op.what)
		}
		if _, ok := m.Committed(); ok {
			t.Errorf("%s failed under WithAudit: the record is marked committed", op.what)
		}
		if n := count(failed); n != 0 {
			t.Errorf("%s failed under WithAudit: %d audit records, want 0", op.what, n)
		}
	}

	// A failed call leaves the record pending for the next; two successful calls write one.
	c, m := under("two writes")
	if err := s.DeleteToken(c, orgA, "missing", t0); err == nil {
		t.Fatal("DeleteToken of a missing token succeeded")
	}
	must(t, "CreateToken", s.CreateToken(c, tok(orgA, "t2", "two")))
	must(t, "DeleteToken", s.DeleteToken(c, orgA, "t2", t0))
	if n := count("two writes"); n != 1 {
		t.Errorf("one context, a failed and two successful mutations: %d audit records, want 1", n)
	}
	if ev, ok := m.Committed(); !ok || ev.Reason != "two writes" {
		t.Errorf("Committed() = %+v, %v", ev, ok)
	}

	// Housekeeping writes ignore it.
	c, _ = under("housekeeping")
	must(t, "TouchTokens", s.TouchTokens(c, map[string]int64{"t2": 5}))
	_, _, err := s.PutIdempotent(c, idem(orgA, "t2", "k", "body"))
	must(t, "PutIdempotent", err)
	must(t, "PruneIdempotent", s.PruneIdempotent(c, t0))
	if n := count("housekeeping"); n != 0 {
		t.Errorf("housekeeping writes under WithAudit wrote %d audit records, want 0", n)
	}
	if m := store.AuditOf(ctx); m != nil {
		t.Error(fmt.Sprint("AuditOf a plain context = ", m))
	}
}
