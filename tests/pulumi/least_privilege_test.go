package pulumi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// TestLeastPrivilegeExport: the Pulumi YAML that the console's least-privilege screen exports
// (GET /api/orgs/{org}/usage) runs as is with the real pulumi CLI and provider, and the role it
// creates grants exactly the used scopes, where the token held them.
func TestLeastPrivilegeExport(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	srv := testserver.Start(t)
	srv.SeedExample(t, "prod", "dev")
	w := newWorkspace(t, srv, "yaml")
	ctx := context.Background()
	prod, err := srv.Client.GetStack(ctx, srv.Org, "myapp", "prod")
	if err != nil {
		t.Fatal(err)
	}
	var refs authz.Refs
	refs.Set(authz.KindStack, []string{prod.ID})
	root, err := authz.BuildRole([]authz.GrantSpec{
		{Scopes: []string{"stack:read", "stack:delete"}, Refs: refs},
		{Scopes: []string{"role:read", "audit_logs:read"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	role, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "wide", UXPurpose: apitype.UXPurposeRole, Details: authz.Format(root)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Client.CreateToken(ctx, srv.Org, apitype.CreateOrgTokenRequest{Name: "ci", RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, srv, tok.TokenValue, "/api/stacks/acme/myapp/prod"); st != 200 {
		t.Fatalf("ci reads prod: %d", st)
	}
	if st := status(t, srv, tok.TokenValue, "/api/orgs/acme/roles?uxPurpose=role"); st != 200 {
		t.Fatalf("ci lists roles: %d", st)
	}
	srv.API.Housekeep(ctx)
	var usage apitype.ScopeUsageResponse
	if err := srv.Client.Do(ctx, "GET", "/api/orgs/acme/usage?principal="+tok.ID, nil, &usage); err != nil {
		t.Fatal(err)
	}
	if len(usage.Used) != 2 {
		t.Fatalf("usage: %+v", usage.Used)
	}

	plugin := testserver.BinaryPath(t, "pulumi-resource-iam")
	prog := "name: iam-example\nruntime: yaml\nplugins:\n  providers:\n    - name: iam\n      path: " + filepath.Dir(plugin) + "\n" + usage.Suggested.PulumiYAML
	if err := os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	w.must("up", "--yes", "--skip-preview")
	w.must("preview", "--expect-no-changes")

	roles, err := srv.Client.ListRoles(ctx, srv.Org, apitype.UXPurposeRole)
	if err != nil {
		t.Fatal(err)
	}
	var narrowed *apitype.Role
	for i := range roles {
		if roles[i].Name == "least-privilege-ci" {
			narrowed = &roles[i]
		}
	}
	if narrowed == nil {
		t.Fatalf("no role least-privilege-ci among %d roles", len(roles))
	}
	ix := authz.MustCompile(authz.MustParse(string(narrowed.Details)), nil)
	for _, c := range []struct {
		scope string
		e     authz.Entity
		want  authz.Decision
	}{
		{"stack:read", authz.Entity{Kind: authz.KindStack, ID: prod.ID}, authz.Allowed},
		{"stack:read", authz.Entity{Kind: authz.KindStack, ID: "elsewhere"}, authz.Denied},
		{"stack:delete", authz.Entity{Kind: authz.KindStack, ID: prod.ID}, authz.Denied},
		{"role:read", authz.OrgEntity, authz.Allowed},
		{"audit_logs:read", authz.OrgEntity, authz.Denied},
	} {
		if d, _ := ix.DecideName(c.scope, c.e); d != c.want {
			t.Errorf("applied role: %s on %v = %v, want %v", c.scope, c.e, d, c.want)
		}
	}
}
