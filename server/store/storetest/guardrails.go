package storetest

import (
	"testing"

	"github.com/iamref/iam/server/store"
)

func guardrail(org, id, name string) store.Guardrail {
	return store.Guardrail{
		ID: id, Org: org, Name: name, Description: "d " + name,
		Actions:     []string{"stack:delete"},
		Condition:   `{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"env"}`,
		ExemptRoles: []string{"role-break-glass"},
		Version:     1, Created: t0, Modified: t0, CreatedBy: "admin-token",
	}
}

// testGuardrails: create, read back every field, list by name per org, name conflicts,
// compare-and-swap updates, delete; orgs do not see each other's.
func testGuardrails(t *testing.T, s store.Store) {
	ctx := t.Context()
	ensureOrgs(t, s, orgA, orgB)
	b := guardrail(orgA, "g-b", "no-prod-delete")
	a := guardrail(orgA, "g-a", "audit-lock")
	a.Actions, a.Condition, a.ExemptRoles = []string{"audit_logs:read", "org_token:create"}, "", nil
	must(t, "CreateGuardrail", s.CreateGuardrail(ctx, b))
	must(t, "CreateGuardrail", s.CreateGuardrail(ctx, a))
	must(t, "CreateGuardrail(B)", s.CreateGuardrail(ctx, guardrail(orgB, "g-other", "no-prod-delete")))

	got, err := s.GetGuardrail(ctx, orgA, "g-b")
	must(t, "GetGuardrail", err)
	check(t, "GetGuardrail", got, b)
	_, err = s.GetGuardrail(ctx, orgB, "g-b")
	wantErr(t, "GetGuardrail from another org", err, store.ErrNotFound)

	list, err := s.ListGuardrails(ctx, orgA)
	must(t, "ListGuardrails", err)
	if len(list) != 2 || list[0].ID != "g-a" || list[1].ID != "g-b" {
		t.Fatalf("ListGuardrails = %v, want g-a, g-b (by name)", ids(list))
	}
	check(t, "ListGuardrails[0]", list[0], a)
	if list, _ := s.ListGuardrails(ctx, "empty-org"); list == nil || len(list) != 0 {
		t.Errorf("ListGuardrails of an org without any = %v, want empty", list)
	}

	wantErr(t, "CreateGuardrail duplicate name", s.CreateGuardrail(ctx, guardrail(orgA, "g-c", "no-prod-delete")), store.ErrConflict)
	wantErr(t, "CreateGuardrail duplicate ID", s.CreateGuardrail(ctx, guardrail(orgA, "g-b", "other")), store.ErrConflict)
	bad := guardrail(orgA, "g-v", "v")
	bad.Version = 2
	if err := s.CreateGuardrail(ctx, bad); err == nil {
		t.Error("CreateGuardrail with Version 2 succeeded")
	}

	up := b
	up.Version, up.Description, up.Actions, up.ExemptRoles, up.Modified = 2, "changed", []string{"stack:delete", "stack:write"}, nil, t0.Add(1e9)
	up.CreatedBy = "ignored"
	must(t, "UpdateGuardrail", s.UpdateGuardrail(ctx, up, 1))
	got, _ = s.GetGuardrail(ctx, orgA, "g-b")
	up.CreatedBy = b.CreatedBy // immutable
	check(t, "after UpdateGuardrail", got, up)
	wantErr(t, "UpdateGuardrail stale", s.UpdateGuardrail(ctx, up, 1), store.ErrVersionConflict)
	dup := up
	dup.Version, dup.Name = 3, "audit-lock"
	wantErr(t, "UpdateGuardrail to a taken name", s.UpdateGuardrail(ctx, dup, 2), store.ErrConflict)
	missing := guardrail(orgA, "g-missing", "m")
	missing.Version = 2
	wantErr(t, "UpdateGuardrail missing", s.UpdateGuardrail(ctx, missing, 1), store.ErrNotFound)
	other := guardrail(orgB, "g-b", "x")
	other.Version = 3
	wantErr(t, "UpdateGuardrail through another org", s.UpdateGuardrail(ctx, other, 2), store.ErrNotFound)

	wantErr(t, "DeleteGuardrail through another org", s.DeleteGuardrail(ctx, orgB, "g-b"), store.ErrNotFound)
	must(t, "DeleteGuardrail", s.DeleteGuardrail(ctx, orgA, "g-b"))
	wantErr(t, "DeleteGuardrail again", s.DeleteGuardrail(ctx, orgA, "g-b"), store.ErrNotFound)
	_, err = s.GetGuardrail(ctx, orgA, "g-b")
	wantErr(t, "GetGuardrail deleted", err, store.ErrNotFound)
	if list, _ := s.ListGuardrails(ctx, orgB); len(list) != 1 {
		t.Errorf("org B's guardrails = %v, want its own one", ids(list))
	}
}
