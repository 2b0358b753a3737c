package server_test

import (
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/authz/condition"
)

// Tag grants through the escalation guard: a token that holds stack rights by a tag selector
// may hand out the same selector, never more (org-wide, another tag, a scope it lacks, in a role
// or a policy); it cannot retag a stack it has no stack_tags:update on to pull it into its grant.
func TestTagGrantsAreGuarded(t *testing.T) {
	h := start(t)
	dev := map[string]string{"env": "dev"}
	h.stack("myapp", "dev", dev)
	h.stack("myapp", "prod", map[string]string{"env": "prod"})
	_, tok := h.scopedToken("tagged",
		authz.GrantSpec{Scopes: []string{"role:create", "role:read"}},
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:write", "stack_tags:update"}, StackTags: dev})

	create := func(name string, purpose apitype.UXPurpose, g authz.GrantSpec) int {
		t.Helper()
		return h.do("POST", "/api/orgs/acme/roles", tok, apitype.CreateRoleRequest{
			Name: name, UXPurpose: purpose, ResourceType: "global", Details: buildDetails(t, g)}).status
	}
	cond, err := condition.Compile(`stack.tags.env == "dev" && stack.tags.team in ["a", "b"]`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		purpose apitype.UXPurpose
		grant   authz.GrantSpec
		want    int
	}{
		{"same-tags", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read"}, StackTags: dev}, 200},
		{"same-tags-policy", apitype.UXPurposePolicy, authz.GrantSpec{Scopes: []string{"stack:write"}, StackTags: dev}, 200},
		{"org-wide", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read"}}, 403},
		{"other-tag", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": "prod"}}, 403},
		{"more-scopes", apitype.UXPurposePolicy, authz.GrantSpec{Scopes: []string{"stack:delete"}, StackTags: dev}, 403},
		{"narrower-condition", apitype.UXPurposeRole, authz.GrantSpec{Scopes: []string{"stack:read"}, Condition: cond}, 403}, // conservative: conditions must match exactly
	} {
		if got := create(c.name, c.purpose, c.grant); got != c.want {
			t.Errorf("%s: create %s: %d, want %d", c.name, c.purpose, got, c.want)
		}
	}

	h.must(403, "PATCH", "/api/stacks/acme/myapp/prod/tags", tok, dev)
	h.must(403, "GET", "/api/stacks/acme/myapp/prod", tok, nil)
	h.must(204, "PATCH", "/api/stacks/acme/myapp/dev/tags", tok, map[string]string{"env": "dev", "team": "a"})
	h.must(200, "GET", "/api/stacks/acme/myapp/dev", tok, nil)
	// Retagging its own stack out of the selector loses it on the next request.
	h.must(204, "PATCH", "/api/stacks/acme/myapp/dev/tags", tok, map[string]string{"env": "qa"})
	h.must(403, "GET", "/api/stacks/acme/myapp/dev", tok, nil)
}
