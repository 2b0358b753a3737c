package terraform

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/iamref/iam/apitype"
)

func TestAccPermission(t *testing.T) {
	e := setup(t)
	const addr = "iam_permission.p"
	var id string
	perm := func(desc, scopes string) string {
		return e.config(`
resource "iam_permission" "p" {
  name        = "deleters"
  description = "` + desc + `"
  scopes      = ` + scopes + `
}
`)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			// Plan-time validation comes first: an error step last would leave the post-test
			// destroy with an invalid configuration.
			{
				Config:      perm("x", `["stack:read", "stack:delet"]`),
				ExpectError: regexp.MustCompile(`did\s+you\s+mean\s+"stack:delete"`),
			},
			{
				Config:      perm("x", `["stack:read", "environment:open"]`),
				ExpectError: regexp.MustCompile(`one\s+entity\s+kind`),
			},
			{
				Config:      perm("x", `[]`),
				ExpectError: regexp.MustCompile(`at\s+least\s+one\s+scope`),
			},
			// Create.
			{
				Config: perm("can delete", `["stack:delete", "stack:read"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^acme/[0-9a-f-]{36}$`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("scopes"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("stack:delete"), knownvalue.StringExact("stack:read")})),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "permission_id", &id),
					func(*terraform.State) error {
						return e.checkPermission(id, "deleters", []string{"stack:delete", "stack:read"})
					},
				),
			},
			// Set order is not a change.
			{
				Config: perm("can delete", `["stack:read", "stack:delete", "stack:read"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Update in place.
			{
				Config: perm("can delete and write", `["stack:delete", "stack:read", "stack:write"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("permission_id"), knownvalue.NotNull()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error {
					return e.checkPermission(id, "deleters", []string{"stack:delete", "stack:read", "stack:write"})
				},
			},
			// Import by "{org}/{id}": the organization stays null (the provider's).
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// Drift: scopes changed outside Terraform show in the plan...
			{
				PreConfig: func() {
					e.updateDetails(id, `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`)
				},
				Config:             perm("can delete and write", `["stack:delete", "stack:read", "stack:write"]`),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
			},
			// ...and apply restores them in place.
			{
				Config: perm("can delete and write", `["stack:delete", "stack:read", "stack:write"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					return e.checkPermission(id, "deleters", []string{"stack:delete", "stack:read", "stack:write"})
				},
			},
			// Deleted outside Terraform: planned again.
			{
				PreConfig: func() {
					if err := e.srv.Client.DeleteRole(context.Background(), e.srv.Org, id, true); err != nil {
						t.Fatal(err)
					}
				},
				Config: perm("can delete and write", `["stack:delete", "stack:read", "stack:write"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// checkPermission verifies the record on the server.
func (e *env) checkPermission(id, name string, scopes []string) error {
	r, err := e.srv.Client.GetRole(context.Background(), e.srv.Org, id)
	if err != nil {
		return err
	}
	want := `{"__type":"PermissionDescriptorAllow","permissions":[`
	for i, s := range scopes {
		if i > 0 {
			want += ","
		}
		want += `"` + s + `"`
	}
	want += `]}`
	if r.Name != name || string(r.Details) != want || r.UXPurpose != apitype.UXPurposeSet {
		return fmt.Errorf("server has permission %q %s (%s), want %q %s", r.Name, r.Details, r.UXPurpose, name, want)
	}
	return nil
}

// updateDetails changes a record's tree outside Terraform.
func (e *env) updateDetails(id, details string) {
	e.t.Helper()
	if _, err := e.srv.Client.UpdateRole(context.Background(), e.srv.Org, id, apitype.UpdateRoleRequest{Details: []byte(details)}); err != nil {
		e.t.Fatal(err)
	}
}

// TestAccOrganization covers the organization attribute: a resource lives in the organization
// of its ID; naming the provider's organization explicitly or not is the same resource (an
// in-place state change without an API call); a different effective organization replaces it;
// an import leaves the attribute null when the organization is the provider's.
func TestAccOrganization(t *testing.T) {
	e := setup(t)
	const addr = "iam_permission.p"
	cfg := func(providerOrg, resourceOrg string) string {
		c := fmt.Sprintf("provider \"iam\" {\n  api_url      = %q\n  access_token = %q\n", e.srv.URL, e.srv.AdminToken)
		if providerOrg != "" {
			c += fmt.Sprintf("  organization = %q\n", providerOrg)
		}
		c += "}\n\nresource \"iam_permission\" \"p\" {\n  name   = \"readers\"\n  scopes = [\"stack:read\"]\n"
		if resourceOrg != "" {
			c += fmt.Sprintf("  organization = %q\n", resourceOrg)
		}
		return c + "}\n"
	}
	var id string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: cfg("", "acme"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization"), knownvalue.StringExact("acme")),
				},
				Check: capture(addr, "permission_id", &id),
			},
			// Imported without a provider organization: organization is set.
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			// The same organization through the provider: no replacement, no API write.
			{
				Config: cfg("acme", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("organization"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
				},
			},
			// Imported in the provider's organization: organization stays null.
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: func(*terraform.State) (string, error) { return "acme/" + id, nil }},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateIdFunc: func(*terraform.State) (string, error) { return id, nil }},
			// Another organization, by attribute or through the provider, is a replacement, which
			// Terraform does delete-first: an organization the server does not serve fails the
			// plan instead of deleting the live permission.
			{
				Config:      cfg("acme", "other"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)organization\s+other\s+exists.*no\s+such\s+organization`),
			},
			{
				Config:      cfg("other", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)organization\s+other\s+exists.*no\s+such\s+organization`),
			},
			// Back to the configuration in state, so the post-test destroy finds it.
			{Config: cfg("acme", "")},
		},
	})
}

// TestAccPermissionInUse removes a permission and its grant in one apply without
// create_before_destroy: Terraform destroys the permission first, the server refuses (409), and
// the error names the role that still grants it and both fixes (mapping's TestRoleLifecycle
// checks the whole text, without the "(roleID already exists)" the client used to add).
func TestAccPermissionInUse(t *testing.T) {
	e := setup(t)
	withGrant := e.config(`
resource "iam_permission" "deleters" {
  name   = "deleters"
  scopes = ["stack:delete"]
}

resource "iam_custom_role" "user" {
  name = "user"
  grant {
    permissions = [iam_permission.deleters.permission_id]
    stacks      = ["myapp/prod"]
  }
}
`)
	without := e.config(`
resource "iam_custom_role" "user" {
  name = "user"
  grant {
    scopes = ["stack:read"]
    stacks = ["myapp/prod"]
  }
}
`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: withGrant},
			{
				Config: without,
				ExpectError: regexp.MustCompile(`(?s)delete\s+permission\s+"deleters":\s+it\s+is\s+still\s+granted\s+by\s+role\s+"user"\s+\(.*\):\s+remove\s+it\s+from\s+their\s+grant\s+first,` +
					`\s+or\s+add\s+` + "`" + `lifecycle\s+\{\s+create_before_destroy\s+=\s+true\s+}` + "`" + `\s+to\s+the\s+iam_permission`),
			},
			// Back to the configuration in state, so the post-test destroy finds it.
			{Config: withGrant},
		},
	})
}
