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

// TestImportRawTagGrantsEndToEnd: a role and a policy made with the raw API (tag conditions as
// Pulumi's wire grammar spells them, any formatting) import with `terraform plan
// -generate-config-out` into typed grant blocks (stack_tags, condition, environment_tags,
// max_open_duration); the generated configuration validates, applies as imports only and then
// plans no changes.
func TestImportRawTagGrantsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tfBin := terraformPath(t)
	provider := testserver.BinaryPath(t, "terraform-provider-iam")
	dir := t.TempDir()
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), dir)
	ctx := context.Background()
	tag := func(ctx, k, v string) string {
		return `{ "__type": "PermissionExpressionEqual", "left": { "__type": "PermissionExpressionTag", "context": { "__type": "PermissionExpression` + ctx + `" }, "key": "` + k + `" },
		  "right": { "__type": "PermissionLiteralExpressionString", "value": "` + v + `" } }`
	}
	role, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "raw-tags", UXPurpose: apitype.UXPurposeRole, ResourceType: "global",
		Details: []byte(`{ "__type": "PermissionDescriptorGroup", "entries": [
		  { "__type": "PermissionDescriptorCondition", "condition": { "__type": "PermissionExpressionAnd", "left": ` + tag("Stack", "env", "dev") + `, "right": ` + tag("Stack", "team", "web") + ` },
		    "subNode": { "__type": "PermissionDescriptorAllow", "permissions": ["stack:read", "stack:write"] } },
		  { "__type": "PermissionDescriptorCondition", "condition": { "__type": "PermissionExpressionNot", "node": ` + tag("Stack", "env", "prod") + ` },
		    "subNode": { "__type": "PermissionDescriptorAllow", "permissions": ["stack:delete"] } } ] }`)})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := srv.Client.CreateRole(ctx, srv.Org, apitype.CreateRoleRequest{Name: "raw-policy", UXPurpose: apitype.UXPurposePolicy, ResourceType: "global",
		Details: []byte(`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCondition","condition":` + tag("Environment", "env", "dev") + `,
		  "subNode":{"__type":"PermissionDescriptorAllow","permissions":["environment:open"],"constraints":{"MaxOpenDuration":1800}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}

	imp := filepath.Join(dir, "imported")
	mustMkdir(t, imp)
	writeFile(t, filepath.Join(imp, "main.tf"), providerTF+fmt.Sprintf(`
import {
  to = iam_custom_role.raw
  id = %q
}

import {
  to = iam_policy.raw
  id = %q
}
`, srv.Org+"/"+role.ID, srv.Org+"/"+policy.ID))
	r := &tf{t: t, bin: tfBin, dir: imp, env: tfEnv(t, dir, provider, srv)}
	out, _ := r.run("plan", "-no-color", "-generate-config-out=generated.tf")
	if !strings.Contains(out, "Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("plan -generate-config-out:\n%s", out)
	}
	gen, err := os.ReadFile(filepath.Join(imp, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated.tf:\n%s", gen)
	for _, want := range []string{`env  = "dev"`, `team = "web"`, `condition         = "stack.tags.env != \"prod\""`, `max_open_duration = "30m"`, "environment_tags"} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("generated.tf has no %q", want)
		}
	}
	r.run("validate", "-no-color")
	out, _ = r.run("apply", "-auto-approve", "-no-color")
	if !strings.Contains(out, "Apply complete! Resources: 2 imported, 0 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply of the imports:\n%s", out)
	}
	if out, code := r.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after importing with the generated configuration shows changes (exit %d):\n%s", code, out)
	}
}
