package terraform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

// TestLeastPrivilegeExportApplies: the Terraform HCL that the console's least-privilege screen
// exports (GET /api/orgs/{org}/usage) applies as is with the real terraform and provider, and
// the role it creates grants exactly the used scopes, where the token held them.
func TestLeastPrivilegeExportApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tfBin := terraformPath(t)
	provider := testserver.BinaryPath(t, "terraform-provider-iam")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), dir)
	ctx := context.Background()
	srv.SeedExample(t, "prod", "dev")
	prod, err := srv.Client.GetStack(ctx, srv.Org, "myapp", "prod")
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token string, body, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
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
	var role apitype.Role
	do("POST", "/api/orgs/acme/roles", srv.AdminToken, apitype.CreateRoleRequest{Name: "wide", UXPurpose: apitype.UXPurposeRole, Details: authz.Format(root)}, &role)
	var tok apitype.CreateTokenResponse
	do("POST", "/api/orgs/acme/tokens", srv.AdminToken, apitype.CreateOrgTokenRequest{Name: "ci", RoleID: role.ID}, &tok)
	do("GET", "/api/stacks/acme/myapp/prod", tok.TokenValue, nil, nil)
	do("GET", "/api/orgs/acme/roles?uxPurpose=role", tok.TokenValue, nil, nil)

	// The binary writes its counters every 10 s (housekeeping): wait for them.
	var usage apitype.ScopeUsageResponse
	for i := 0; ; i++ {
		do("GET", "/api/orgs/acme/usage?principal="+tok.ID+"&days=1", srv.AdminToken, nil, &usage)
		if len(usage.Used) == 2 || i == 30 {
			break
		}
		time.Sleep(time.Second)
	}
	if len(usage.Used) != 2 {
		t.Fatalf("usage after 30 s: %+v", usage.Used)
	}

	work := filepath.Join(dir, "export")
	mustMkdir(t, work)
	writeFile(t, filepath.Join(work, "main.tf"), `terraform {
  required_providers {
    iam = { source = "iamref/iam" }
  }
}
variable "api_url" { type = string }
variable "access_token" {
  type      = string
  sensitive = true
}
variable "organization" { type = string }
provider "iam" {
  api_url      = var.api_url
  access_token = var.access_token
  organization = var.organization
}
`+usage.Suggested.Terraform)
	r := &tf{t: t, bin: tfBin, dir: work, env: tfEnv(t, dir, provider, srv)}
	if out, _ := r.run("apply", "-auto-approve", "-no-color"); !strings.Contains(out, "Apply complete! Resources: 1 added") {
		t.Fatalf("apply:\n%s", out)
	}
	if _, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after apply: exit %d, want no changes", code)
	}

	var roles apitype.ListRolesResponse
	do("GET", "/api/orgs/acme/roles?uxPurpose=role", srv.AdminToken, nil, &roles)
	var narrowed *apitype.Role
	for i := range roles.Roles {
		if roles.Roles[i].Name == "least-privilege-ci" {
			narrowed = &roles.Roles[i]
		}
	}
	if narrowed == nil {
		t.Fatalf("no role least-privilege-ci among %d roles", len(roles.Roles))
	}
	node, err := authz.Parse(narrowed.Details)
	if err != nil {
		t.Fatal(err)
	}
	ix := authz.MustCompile(node, nil)
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
