package terraform

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/iamref/iam/provider/mapping"
)

func TestAccCustomRole(t *testing.T) {
	e := setup(t)
	const addr = "iam_custom_role.deployer"
	var roleID string
	// role builds the configuration: a permission plus a role whose first grant composes it
	// with a built-in set on stacks, and whose second grant opens an environment.
	role := func(name, stacks, extra string) string {
		return e.config(`
resource "iam_permission" "deleters" {
  name   = "deleters"
  scopes = ["stack:delete"]
  # Removing the permission and its use in one apply: Terraform then updates the role before
  # it destroys the permission (without it, the destroy comes first and the server refuses).
  lifecycle {
    create_before_destroy = true
  }
}

resource "iam_custom_role" "deployer" {
  name = "` + name + `"
  grant {
    permissions = [iam_permission.deleters.permission_id, "stack-read"]
    stacks      = ` + stacks + `
  }
  grant {
    scopes       = ["environment:open"]
    environments = ["myapp/prod"]
  }
` + extra + `
}
`)
	}
	bad := func(body string) string { return e.config(`resource "iam_custom_role" "bad" {` + body + "\n}\n") }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			// Plan-time validation first.
			{
				Config: bad(`
  name = "bad"
  grant {
    scopes = ["stack:read", "stack:delet"]
    stacks = ["myapp/prod"]
  }`),
				ExpectError: regexp.MustCompile(`did\s+you\s+mean\s+"stack:delete"`),
			},
			{
				Config: bad(`
  name    = "bad"
  details = jsonencode({ __type = "PermissionDescriptorAllow", permissions = ["stack:read"] })
  grant {
    scopes = ["audit_logs:read"]
  }`),
				ExpectError: regexp.MustCompile(`either\s+grant\s+or\s+details`),
			},
			{
				Config: bad(`
  name = "bad"
  grant {
    scopes       = ["stack:read"]
    environments = ["myapp/prod"]
  }`),
				ExpectError: regexp.MustCompile(`this\s+grant\s+lists\s+no\s+stacks`),
			},
			{
				Config: bad(`
  name = "bad"
  grant {
    permissions = ["stack-reader"]
    stacks      = ["prod"]
  }`),
				ExpectError: regexp.MustCompile(`(?s)neither\s+a\s+Permission\s+or\s+Policy\s+ID.*want\s+"project/name"`),
			},
			{
				Config:      bad("\n" + `name = "bad"` + "\n" + `details = "{\"__type\": \"PermissionDescriptorAllow\", \"permissions\": [\"stack:reed\"]}"`),
				ExpectError: regexp.MustCompile(`did\s+you\s+mean\s+"stack:read"`),
			},
			// A stack that does not exist fails the plan, not the apply: stacks are not managed
			// by this provider, so it would not exist at apply either.
			{
				Config: bad(`
  name = "bad"
  grant {
    scopes = ["stack:read"]
    stacks = ["myapp/prod", "web/qa"]
  }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid\s+stacks.*stack\s+"web/qa"\s+does\s+not\s+exist\s+in\s+organization\s+acme:\s+stacks\s+are\s+not\s+managed\s+by\s+this\s+provider,\s+so\s+create\s+it\s+first`),
			},
			// Create, with a permission ID not known until apply.
			{
				Config: role("deployer", `["myapp/prod"]`, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`PermissionDescriptorCompose`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("grant").AtSliceIndex(0).AtMapKey("stacks"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("myapp/prod")})),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "role_id", &roleID),
					resource.TestCheckResourceAttrWith(addr, "id", func(v string) error {
						if v != "acme/"+roleID {
							return fmt.Errorf("id %q, want acme/%s", v, roleID)
						}
						return nil
					}),
					func(*terraform.State) error { return e.checkAccess(roleID, "stack:delete", "myapp/prod", true) },
					func(*terraform.State) error { return e.checkAccess(roleID, "stack:delete", "myapp/dev", false) },
				),
			},
			// ...and so does an update that names one (the plan step fails; nothing changes).
			{
				Config:      role("deployer", `["myapp/prod", "web/qa"]`, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`stack\s+"web/qa"\s+does\s+not\s+exist`),
			},
			// Unchanged configuration written differently (set order, duplicates): no diff.
			{
				Config: role("deployer", `["myapp/prod", "myapp/prod"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			// Update in place: another stack. details is recomputed.
			{
				Config: role("deployer", `["myapp/dev", "myapp/prod"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("details")),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("role_id"), knownvalue.NotNull()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error { return e.checkAccess(roleID, "stack:delete", "myapp/dev", true) },
			},
			// A rename keeps details known in the plan (the tree does not change).
			{
				Config: role("deployer-2", `["myapp/dev", "myapp/prod"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`PermissionDescriptorCompose`))),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("deployer-2")),
				},
			},
			// Import: grants come back with stack names and built-in set identifiers.
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			// Drift: a tree changed outside Terraform shows in the plan...
			{
				PreConfig: func() {
					e.updateDetails(roleID, `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`)
				},
				Config:             role("deployer-2", `["myapp/dev", "myapp/prod"]`, ""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
			},
			// ...and apply restores it in place.
			{
				Config: role("deployer-2", `["myapp/dev", "myapp/prod"]`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error { return e.checkAccess(roleID, "environment:open", "", true) },
			},
			// Raw details instead of grants, spelled non-canonically: the state keeps the
			// configured spelling and the next plan is empty (the framework checks that after
			// every apply step).
			{
				Config: e.config(`
resource "iam_custom_role" "deployer" {
  name    = "deployer-2"
  details = <<-EOT
    {
      "entries": [
        { "permissions": ["stack:read", "audit_logs:read", "stack:read"], "__type": "PermissionDescriptorAllow" }
      ],
      "__type": "PermissionDescriptorGroup"
    }
  EOT
}
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("iam_permission.deleters", plancheck.ResourceActionDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`(?s)^\{\n\s+"entries"`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("grant"), knownvalue.ListExact(nil)),
				},
				Check: func(*terraform.State) error { return e.checkAccess(roleID, "audit_logs:read", "", true) },
			},
			// Refresh keeps the configured spelling too.
			{
				RefreshState: true,
				Check:        resource.TestMatchResourceAttr(addr, "details", regexp.MustCompile(`(?s)^\{\n\s+"entries"`)),
			},
			// Same tree, another spelling (jsonencode, canonical order): recorded without an API
			// write (version unchanged).
			{
				Config: e.config(`
resource "iam_custom_role" "deployer" {
  name    = "deployer-2"
  details = jsonencode({ __type = "PermissionDescriptorGroup", entries = [{ __type = "PermissionDescriptorAllow", permissions = ["audit_logs:read", "stack:read"] }] })
}
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(6)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(6)),
				},
			},
			// Deleted outside Terraform: planned again.
			{
				PreConfig: func() {
					if err := e.srv.Client.DeleteRole(context.Background(), e.srv.Org, roleID, true); err != nil {
						t.Fatal(err)
					}
				},
				Config: e.config(`
resource "iam_custom_role" "deployer" {
  name    = "deployer-2"
  details = jsonencode({ __type = "PermissionDescriptorGroup", entries = [{ __type = "PermissionDescriptorAllow", permissions = ["audit_logs:read", "stack:read"] }] })
}
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// checkAccess evaluates the role stored on the server (the same compiled decision the server
// makes): action on stack, or on environment myapp/prod, or org-wide.
func (e *env) checkAccess(roleID, action, stack string, want bool) error {
	p, err := mapping.New(mapping.Config{APIURL: e.srv.URL, AccessToken: e.srv.AdminToken, Organization: e.srv.Org}, nil)
	if err != nil {
		return err
	}
	args := mapping.CheckAccessArgs{RoleID: roleID, Action: action}
	switch {
	case strings.HasPrefix(action, "stack:"):
		args.Stack = stack
	case strings.HasPrefix(action, "environment:"):
		args.Environment = "myapp/prod"
	}
	res, err := p.CheckAccess(context.Background(), args)
	if err != nil {
		return err
	}
	if res.Allowed != want {
		return fmt.Errorf("role %s allows %s on %q: %v, want %v (%s)", roleID, action, stack, res.Allowed, want, strings.Join(res.Reasons, "; "))
	}
	return nil
}
