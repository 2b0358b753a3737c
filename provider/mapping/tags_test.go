package mapping_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

// A tag grant made with the raw API (any JSON spelling) imports as the typed form, which then
// shows no change; a condition reads back as canonical text; a Policy composes into a role by
// ID and reads back as that ID.
func TestTagGrantsRoundTrip(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()

	raw := `{ "__type": "PermissionDescriptorGroup", "entries": [
	  { "__type": "PermissionDescriptorCondition",
	    "condition": { "__type": "PermissionExpressionAnd",
	      "left":  { "__type": "PermissionExpressionEqual", "left": { "__type": "PermissionExpressionTag", "context": { "__type": "PermissionExpressionStack" }, "key": "env" }, "right": { "__type": "PermissionLiteralExpressionString", "value": "dev" } },
	      "right": { "__type": "PermissionExpressionEqual", "left": { "__type": "PermissionExpressionTag", "context": { "__type": "PermissionExpressionStack" }, "key": "team" }, "right": { "__type": "PermissionLiteralExpressionString", "value": "web" } } },
	    "subNode": { "__type": "PermissionDescriptorAllow", "permissions": ["stack:read"] } } ] }`
	r, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "by-tags", UXPurpose: apitype.UXPurposeRole, ResourceType: "global", Details: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	imported, found, err := p.ReadRole(ctx, "", r.ID, nil)
	if err != nil || !found || imported.Details != "" || len(imported.Grants) != 1 {
		t.Fatalf("import: %+v %v %v", imported, found, err)
	}
	g := imported.Grants[0]
	if !maps.Equal(g.StackTags, map[string]string{"env": "dev", "team": "web"}) || !slices.Equal(g.Scopes, []string{"stack:read"}) || g.Condition != "" {
		t.Fatalf("imported grant %+v", g)
	}
	if u, rep, err := p.RoleChanges(ctx, imported, imported.CustomRoleArgs); err != nil || len(u)+len(rep) != 0 {
		t.Fatalf("the imported typed form differs from the server's tree: %v %v %v", u, rep, err)
	}

	// A tag no entity can carry reads back as raw details (typed grants would not pass Check).
	reserved := strings.ReplaceAll(strings.Replace(raw, `"key": "team"`, `"key": "pulumi:team"`, 1), `"by-tags"`, `"reserved"`)
	r2, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "reserved", UXPurpose: apitype.UXPurposeRole, ResourceType: "global", Details: []byte(reserved)})
	if err != nil {
		t.Fatal(err)
	}
	if st, _, err := p.ReadRole(ctx, "", r2.ID, nil); err != nil || st.Details == "" || len(st.Grants) != 0 {
		t.Fatalf("a grant on a reserved tag imported as %+v, %v", st, err)
	}

	// A policy with a condition and an open bound, composed into a role by ID.
	pol, err := p.CreatePolicy(ctx, mapping.CustomRoleArgs{Name: "dev-envs", Grants: []mapping.Grant{
		{Scopes: []string{"environment:open", "environment:read"}, Condition: `environment.tags.env in ["dev", "test"] && !has(environment.tags.frozen)`, MaxOpenDuration: "90m"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	readPol, found, err := p.ReadPolicy(ctx, "", pol.RoleID, nil)
	if err != nil || !found || len(readPol.Grants) != 1 {
		t.Fatalf("read policy: %+v %v %v", readPol, found, err)
	}
	if pg := readPol.Grants[0]; pg.Condition != `environment.tags.env in ["dev", "test"] && !has(environment.tags.frozen)` || pg.MaxOpenDuration != "1h30m" {
		t.Fatalf("policy grant read back as %+v", pg)
	}
	if _, _, err := p.ReadRole(ctx, "", pol.RoleID, nil); err == nil || !strings.Contains(err.Error(), "is a policy, not a role") {
		t.Fatalf("a policy read as a role: %v", err)
	}
	role, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "composer", Grants: []mapping.Grant{
		{Permissions: []string{pol.RoleID}},
		{Scopes: []string{"stack:delete"}, Condition: `stack.tags.env != "prod"`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := p.ReadRole(ctx, "", role.RoleID, nil)
	if err != nil || len(back.Grants) != 2 || !slices.Equal(back.Grants[0].Permissions, []string{pol.RoleID}) || back.Grants[1].Condition != `stack.tags.env != "prod"` {
		t.Fatalf("role read back as %+v, %v", back.Grants, err)
	}
	// The policy cannot go while the role composes it.
	if err := p.DeletePolicy(ctx, pol); err == nil || !strings.Contains(err.Error(), "composer") {
		t.Fatalf("delete of a composed policy: %v", err)
	}
}

func TestConditionProblems(t *testing.T) {
	for _, tt := range []struct {
		g    mapping.Grant
		want string
	}{
		{mapping.Grant{Scopes: []string{"stack:read"}, Condition: `stack.tags.env == "dev" && stack.project == "x"`},
			`grants[0].condition: at line 1, column 28: stack.project cannot be expressed`},
		{mapping.Grant{Scopes: []string{"stack:read"}, Condition: `stack.tag.env == "dev"`},
			`grants[0].condition: at line 1, column 1: undeclared reference to 'stack'`},
		{mapping.Grant{Scopes: []string{"environment:open"}, Condition: `stack.tags.env == "dev"`},
			`grants[0].scopes[0]: environment:open acts on environments, but this grant lists no environments`},
		{mapping.Grant{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": "dev"}, Refs: authz.Refs{Stacks: []string{"myapp/dev"}}},
			`grants[0].stackTags: a grant lists stacks or selects them by stackTags, not both`},
		{mapping.Grant{Scopes: []string{"environment:open"}, EnvironmentTags: map[string]string{"env": "dev"}, MaxOpenDuration: "soon"},
			`grants[0].maxOpenDuration: "soon": want a duration`},
		{mapping.Grant{Scopes: []string{"environment:read"}, EnvironmentTags: map[string]string{"env": "dev"}, MaxOpenDuration: "1h"},
			`grants[0].maxOpenDuration: bounds how long environments may be opened under this grant's scopes: add environment:open to scopes`},
		{mapping.Grant{Scopes: []string{"stack:read"}, StackTags: map[string]string{"pulumi:project": "x"}},
			`grants[0].stackTags: tag "pulumi:project": names starting with "pulumi:" are reserved`},
		{mapping.Grant{Scopes: []string{"environment:read"}, EnvironmentTags: map[string]string{"cost center": "x"}},
			`grants[0].environmentTags: tag "cost center": names are letters, digits`},
		{mapping.Grant{Scopes: []string{"stack:read"}, Condition: `stack.tags["pulumi:runtime"] == "go"`},
			`grants[0].condition: tag "pulumi:runtime": names starting with "pulumi:" are reserved`},
		{mapping.Grant{Scopes: []string{"stack:read"}, StackTags: map[string]string{"env": strings.Repeat("x", 257)}},
			`grants[0].stackTags: tag "env": tag values are valid UTF-8 of at most 256 bytes`},
		{mapping.Grant{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{}}},
			`grants[0].stacks: empty: name at least one, or remove it for a grant on every stack`},
		{mapping.Grant{Scopes: []string{"stack:read"}, StackTags: map[string]string{}},
			`grants[0].stackTags: empty: a grant selects by at least one tag`},
		{mapping.Grant{Scopes: []string{"stack:read"}, StackTags: manyTags(33)},
			`grants[0].stackTags: 33 tags; a grant selects by at most 32`},
		{mapping.Grant{Scopes: []string{"stack:read"}, Condition: strings.Repeat("!(", 70) + "true" + strings.Repeat(")", 70) + ` && has(stack.tags.a)`},
			`grants: the grants make a tree the server would refuse: $.entries[0].condition`},
	} {
		err := mapping.CheckRole(mapping.CustomRoleArgs{Name: "r", Grants: []mapping.Grant{tt.g}}).Err()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v:\n got %v\nwant %s", tt.g, err, tt.want)
		}
	}
}

func manyTags(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

// At preview, a condition, tag map or duration not known yet gets a stand-in of the grant's
// kind: the rest of the grant is still checked, and nothing is reported about the unknowns.
func TestTagGrantUnknowns(t *testing.T) {
	at := mapping.Root(mapping.FieldGrants).At(0)
	for _, tt := range []struct {
		g       mapping.Grant
		unknown mapping.Path
		want    string // "" = no problem
	}{
		{mapping.Grant{Scopes: []string{"environment:open"}}, at.Dot(mapping.FieldCondition), ""},
		// The condition will narrow the grant to stacks: an organization-level scope cannot be in it.
		{mapping.Grant{Scopes: []string{"stack:read", "audit_logs:read"}}, at.Dot(mapping.FieldCondition), `grants[0].scopes[1]: audit_logs:read is an organization-level scope`},
		{mapping.Grant{Scopes: []string{"stack:read", "audit_logs:read"}}, at.Dot(mapping.FieldStackTags), `grants[0].scopes[1]: audit_logs:read is an organization-level scope`},
		{mapping.Grant{Scopes: []string{"stack:read"}}, at.Dot(mapping.FieldStackTags), ""},
		{mapping.Grant{Scopes: []string{"environment:read"}, EnvironmentTags: map[string]string{"env": "dev"}}, at.Dot(mapping.FieldMaxOpenDuration), ""},
		{mapping.Grant{Scopes: []string{"stack:reed"}}, at.Dot(mapping.FieldStackTags), `grants[0].scopes[0]: unknown scope "stack:reed"`},
		{mapping.Grant{Scopes: []string{"environment:open"}, Condition: `stack.tags.x == "y"`}, at.Dot(mapping.FieldStackTags), `environment:open acts on environments`},
	} {
		var u mapping.Unknowns
		u.Add(tt.unknown)
		err := mapping.CheckRoleWithUnknowns(mapping.CustomRoleArgs{Name: "r", Grants: []mapping.Grant{tt.g}}, u).Err()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v with %s unknown: %v", tt.g, tt.unknown.Text(mapping.Canonical), err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v with %s unknown:\n got %v\nwant %s", tt.g, tt.unknown.Text(mapping.Canonical), err, tt.want)
		}
	}
}
