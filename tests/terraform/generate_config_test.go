package terraform_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// providerTF is the provider block of the end-to-end configurations, set from TF_VAR_*.
const providerTF = `terraform {
  required_providers {
    iam = {
      source = "iamref/iam"
    }
  }
}

variable "api_url" {}
variable "access_token" {
  sensitive = true
}
variable "organization" {}

provider "iam" {
  api_url      = var.api_url
  access_token = var.access_token
  organization = var.organization
}
`

// TestGenerateConfigEndToEnd imports a permission, a custom role given as grant blocks and a
// token with a role into an empty configuration with import blocks and
// `terraform plan -generate-config-out`: the generated configuration must pass
// `terraform validate` (it holds both `details` and `grant` for the role, and `admin = false`
// beside `role_id` for the token), apply as an import only, and then plan no changes.
func TestGenerateConfigEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tfBin := terraformPath(t)
	provider := testserver.BinaryPath(t, "terraform-provider-iam")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), dir)
	ctx := context.Background()
	for _, s := range []string{"prod", "dev"} {
		if _, err := srv.Client.CreateStack(ctx, srv.Org, "myapp", apitype.CreateStackRequest{StackName: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client.CreateEnvironment(ctx, srv.Org, apitype.CreateEnvironmentRequest{Project: "myapp", Name: "prod"}); err != nil {
		t.Fatal(err)
	}
	env := tfEnv(t, dir, provider, srv)

	// The resources, made by a first configuration.
	made := filepath.Join(dir, "made")
	mustMkdir(t, made)
	writeFile(t, filepath.Join(made, "main.tf"), providerTF+`
resource "iam_permission" "deleters" {
  name   = "deleters"
  scopes = ["stack:delete"]
}

resource "iam_custom_role" "deployer" {
  name        = "deployer"
  description = "Deploys myapp/prod."
  grant {
    permissions = [iam_permission.deleters.permission_id, "stack-read"]
    stacks      = ["myapp/prod", "myapp/dev"]
  }
  grant {
    scopes       = ["environment:open"]
    environments = ["myapp/prod"]
  }
}

resource "iam_organization_access_token" "ci" {
  name    = "ci"
  role_id = iam_custom_role.deployer.role_id
}

output "ids" {
  value = join(" ", [iam_permission.deleters.id, iam_custom_role.deployer.id, iam_organization_access_token.ci.id])
}
`)
	m := &tf{t: t, bin: tfBin, dir: made, env: env}
	m.run("apply", "-auto-approve", "-no-color")
	out, _ := m.run("output", "-raw", "ids")
	ids := strings.Fields(out)
	if len(ids) != 3 {
		t.Fatalf("ids output %q", out)
	}

	// A second configuration that only imports them and lets Terraform write their resource
	// blocks.
	imp := filepath.Join(dir, "imported")
	mustMkdir(t, imp)
	writeFile(t, filepath.Join(imp, "main.tf"), providerTF+fmt.Sprintf(`
import {
  to = iam_permission.deleters
  id = %q
}

import {
  to = iam_custom_role.deployer
  id = %q
}

import {
  to = iam_organization_access_token.ci
  id = %q
}
`, ids[0], ids[1], ids[2]))
	r := &tf{t: t, bin: tfBin, dir: imp, env: env}
	out, _ = r.run("plan", "-no-color", "-generate-config-out=generated.tf")
	if !strings.Contains(out, "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("plan -generate-config-out:\n%s", out)
	}
	gen, err := os.ReadFile(filepath.Join(imp, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated.tf:\n%s", gen)
	for _, want := range []string{"details = jsonencode(", "grant {", "admin ", "role_id "} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("generated.tf has no %q (the case this test is about)", want)
		}
	}
	r.run("validate", "-no-color")
	out, _ = r.run("apply", "-auto-approve", "-no-color")
	if !strings.Contains(out, "Apply complete! Resources: 3 imported, 0 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply of the imports:\n%s", out)
	}
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after importing with the generated configuration shows changes (exit %d):\n%s", code, out)
	}

	// The generated configuration is a starting point: a changed description updates the role
	// in place and keeps details known (the tree does not change).
	edited := strings.Replace(string(gen), `"Deploys myapp/prod."`, `"Deploys myapp/prod and myapp/dev."`, 1)
	writeFile(t, filepath.Join(imp, "generated.tf"), edited)
	out, code := r.run("plan", "-detailed-exitcode", "-no-color")
	if code != 2 || !strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") || strings.Contains(out, "details") {
		t.Errorf("plan of a description change (exit %d; want an update that does not mention details):\n%s", code, out)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
