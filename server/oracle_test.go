package server_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// sameAnswer fails unless a and b have the same status and the same body once each one's
// entity name is replaced by a placeholder.
func sameAnswer(t *testing.T, what string, a *response, aName string, b *response, bName string) {
	t.Helper()
	na := strings.ReplaceAll(string(a.body), aName, "NAME")
	nb := strings.ReplaceAll(string(b.body), bName, "NAME")
	if a.status != b.status || na != nb {
		t.Errorf("%s: the answers differ:\n  existing: %s\n  missing:  %s", what, a, b)
	}
}

// TestNoExistenceOracle: a principal holding a scope on some entities cannot tell an entity it
// may not touch from a missing one: both are the same 403. Only one that may read every entity
// of the kind gets a 404 for a missing one. Stacks, environments and insights accounts.
func TestNoExistenceOracle(t *testing.T) {
	t.Parallel()
	h := start(t)
	mine := h.stack("app", "mine", nil)
	h.stack("app", "theirs", map[string]string{"env": "dev"})
	myEnv := h.env("app", "mine")
	h.env("app", "theirs")
	myAcc := h.account("mine", nil)
	h.account("theirs", nil)

	// Pinned grants on "mine" of each kind, and stack:read on stacks tagged env=prod.
	someRole := h.role("some-role", apitype.UXPurposeRole, "", tagged("Stack", "env", "prod", "stack:read", buildDetails(t,
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete", "stack_tags:update"}, Refs: authz.Refs{Stacks: []string{mine.ID}}},
		authz.GrantSpec{Scopes: []string{"environment:read", "environment:open"}, Refs: authz.Refs{Environments: []string{myEnv.ID}}},
		authz.GrantSpec{Scopes: []string{"insights_account:read"}, Refs: authz.Refs{InsightsAccounts: []string{myAcc.ID}}})))
	_, some := h.token("some", someRole.ID)
	for _, c := range []struct{ method, existing, missing string }{
		{"GET", "/api/stacks/acme/app/theirs", "/api/stacks/acme/app/nosuch"},
		{"DELETE", "/api/stacks/acme/app/theirs", "/api/stacks/acme/app/nosuch"},
		{"PATCH", "/api/stacks/acme/app/theirs/tags", "/api/stacks/acme/app/nosuch/tags"},
		{"GET", "/api/esc/environments/acme/app/theirs", "/api/esc/environments/acme/app/nosuch"},
		{"POST", "/api/esc/environments/acme/app/theirs/open", "/api/esc/environments/acme/app/nosuch/open"},
		{"GET", "/api/preview/insights/acme/accounts/theirs", "/api/preview/insights/acme/accounts/nosuch"},
	} {
		var body any
		if c.method == "PATCH" {
			body = map[string]string{}
		}
		a := h.do(c.method, c.existing, some, body)
		b := h.do(c.method, c.missing, some, body)
		if a.status != 403 {
			t.Errorf("%s %s: %s, want 403", c.method, c.existing, a)
		}
		sameAnswer(t, c.method+" "+c.existing, a, "theirs", b, "nosuch")
		if strings.Contains(string(a.body), "conditional") || strings.Contains(string(a.body), "env") && !strings.Contains(c.existing, "environments") {
			t.Errorf("the 403 tells about the entity: %s", a)
		}
	}
	// What it may read, it may be told about.
	h.must(200, "GET", "/api/stacks/acme/app/mine", some, nil)

	// May read every stack: a missing one is a 404; one it may read but not delete is a
	// detailed 403.
	_, reader := h.scopedToken("reader", authz.GrantSpec{Scopes: []string{"stack:read"}},
		authz.GrantSpec{Scopes: []string{"stack:delete"}, Refs: authz.Refs{Stacks: []string{mine.ID}}})
	h.must(404, "GET", "/api/stacks/acme/app/nosuch", reader, nil)
	h.must(404, "DELETE", "/api/stacks/acme/app/nosuch", reader, nil)
	if r := h.must(403, "DELETE", "/api/stacks/acme/app/theirs", reader, nil); !strings.Contains(string(r.body), "1 other stack") {
		t.Errorf("detailed 403: %s", r)
	}
}

// TestAccessCheckNoOracle: a caller with role:read but no read on an entity gets the same
// access-check answer for it as for a missing one, and its ID is not turned into a name.
func TestAccessCheckNoOracle(t *testing.T) {
	t.Parallel()
	h := start(t)
	secret := h.stack("hidden", "payroll", map[string]string{"team": "finance"})
	env := h.env("hidden", "payroll-env")
	_, checker := h.scopedToken("checker", authz.GrantSpec{Scopes: []string{"role:read", "org_token:read"}})
	finance := h.role("finance-role", apitype.UXPurposeRole, "", tagged("Stack", "team", "finance", "stack:read", nil))
	otherID, _ := h.token("finance", finance.ID)

	check := func(chk apitype.AccessCheck) *response {
		return h.must(200, "POST", "/api/orgs/acme/access/check", checker, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{chk}})
	}
	const missingID = "00000000-0000-4000-8000-000000000000"
	for _, c := range []struct {
		what              string
		existing, missing apitype.AccessCheck
		existName, noName string
	}{
		{"stack by ID", apitype.AccessCheck{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: secret.ID}},
			apitype.AccessCheck{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: missingID}}, secret.ID, missingID},
		{"stack by name", apitype.AccessCheck{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "hidden", Name: "payroll"}},
			apitype.AccessCheck{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", Project: "hidden", Name: "nosuch"}}, "payroll", "nosuch"},
		{"another token on a tagged stack", apitype.AccessCheck{Principal: otherID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: secret.ID}},
			apitype.AccessCheck{Principal: otherID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: missingID}}, secret.ID, missingID},
		{"environment by ID", apitype.AccessCheck{Action: "environment:read", Entity: apitype.EntityRef{Kind: "environment", ID: env.ID}},
			apitype.AccessCheck{Action: "environment:read", Entity: apitype.EntityRef{Kind: "environment", ID: missingID}}, env.ID, missingID},
	} {
		a, b := check(c.existing), check(c.missing)
		sameAnswer(t, c.what, a, c.existName, b, c.noName)
		if strings.Contains(string(a.body), "payroll") && strings.Contains(c.what, "ID") {
			t.Errorf("%s: the ID was turned into a name: %s", c.what, a)
		}
	}
	// The admin reads everything: names resolved, missing entities reported.
	var resp apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: otherID, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: secret.ID}},
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: missingID}},
	}}).decode(t, &resp)
	if r := resp.Results[0]; !r.Allowed || !strings.Contains(strings.Join(r.Reasons, " "), "hidden/payroll") {
		t.Errorf("admin's check: %+v", r)
	}
	if r := resp.Results[1]; !strings.Contains(r.Error, "not found") {
		t.Errorf("admin's check of a missing stack: %+v", r)
	}
}

// tagged is details granting scope on entities of kind (Stack, Environment, …) whose tag key
// is value, grouped with rest (when not nil).
func tagged(kind, key, value, scope string, rest []byte) []byte {
	cond := `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual",
		"left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpression` + kind + `"},"key":"` + key + `"},
		"right":{"__type":"PermissionLiteralExpressionString","value":"` + value + `"}},
		"subNode":{"__type":"PermissionDescriptorAllow","permissions":["` + scope + `"]}}`
	if rest == nil {
		return []byte(cond)
	}
	return []byte(`{"__type":"PermissionDescriptorGroup","entries":[` + cond + `,` + string(rest) + `]}`)
}
