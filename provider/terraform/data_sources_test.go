package terraform

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccDataSources(t *testing.T) {
	e := setup(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config:      e.config(`data "iam_scopes" "bad" { entity_type = "stak" }`),
				ExpectError: regexp.MustCompile(`Invalid\s+entity_type`),
			},
			{
				Config: e.config(`
data "iam_access_check" "bad" {
  details = jsonencode({ __type = "PermissionDescriptorAllow", permissions = ["stack:read"] })
  action  = "stack:delet"
  stack   = "myapp/prod"
}`),
				ExpectError: regexp.MustCompile(`did\s+you\s+mean\s+"stack:delete"`),
			},
			{
				Config: e.config(`
data "iam_access_check" "bad" {
  details = jsonencode({ __type = "PermissionDescriptorAllow", permissions = ["stack:read"] })
  action  = "stack:read"
}`),
				ExpectError: regexp.MustCompile(`acts\s+on\s+a\s+stack`),
			},
			{
				Config: e.config(`
data "iam_scopes" "stack" {
  entity_type = "stack"
}

data "iam_scopes" "all" {}

resource "iam_custom_role" "r" {
  name = "prod-deployer"
  grant {
    permissions = ["stack-write"]
    stacks      = ["myapp/prod"]
  }
}

data "iam_access_check" "prod" {
  role_id = iam_custom_role.r.role_id
  action  = "stack:write"
  stack   = "myapp/prod"
}

data "iam_access_check" "dev" {
  role_id = iam_custom_role.r.role_id
  action  = "stack:write"
  stack   = "myapp/dev"
}

data "iam_access_check" "raw" {
  details     = jsonencode({ __type = "PermissionDescriptorAllow", permissions = ["environment:open"] })
  action      = "environment:open"
  environment = "myapp/prod"
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.iam_access_check.prod", tfjsonpath.New("allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.iam_access_check.prod", tfjsonpath.New("reasons"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue("data.iam_access_check.dev", tfjsonpath.New("allowed"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.iam_access_check.raw", tfjsonpath.New("allowed"), knownvalue.Bool(true)),
				},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckTypeSetElemNestedAttrs("data.iam_scopes.stack", "scopes.*", map[string]string{
						"name": "stack:delete", "entity_type": "stack",
					}),
					resource.TestCheckTypeSetElemNestedAttrs("data.iam_scopes.all", "scopes.*", map[string]string{
						"name": "audit_logs:read", "entity_type": "org",
					}),
					func(s *terraform.State) error {
						stack := s.RootModule().Resources["data.iam_scopes.stack"].Primary.Attributes
						all := s.RootModule().Resources["data.iam_scopes.all"].Primary.Attributes
						n, _ := strconv.Atoi(stack["scopes.#"])
						total, _ := strconv.Atoi(all["scopes.#"])
						if n == 0 || n >= total {
							return fmt.Errorf("%d stack scopes of %d", n, total)
						}
						for i := range n {
							if et := stack[fmt.Sprintf("scopes.%d.entity_type", i)]; et != "stack" {
								return fmt.Errorf("scopes.%d.entity_type = %q in the stack list", i, et)
							}
						}
						return nil
					},
				),
			},
		},
	})
}

// TestAccLookupDataSources finds a permission and a custom role by name (their IDs, scopes,
// tree and named grants), built-in ones by identifier, and fails the plan for a name that
// does not exist, listing the names there are.
func TestAccLookupDataSources(t *testing.T) {
	e := setup(t)
	const perm, role = "data.iam_permission.deleters", "data.iam_custom_role.deployer"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config:      e.config(`data "iam_permission" "nope" { name = "nope" }`),
				ExpectError: regexp.MustCompile(`(?s)Invalid\s+name.*no\s+permission\s+named\s+"nope"\s+in\s+organization\s+acme\s+\(there\s+are:.*"Stack\s+Read"`),
			},
			{
				Config:      e.config(`data "iam_custom_role" "nope" { name = "Deployer" }`),
				ExpectError: regexp.MustCompile(`no\s+role\s+named\s+"Deployer"`),
			},
			{
				Config: e.config(`
resource "iam_permission" "deleters" {
  name        = "deleters"
  description = "May delete stacks."
  scopes      = ["stack:delete", "stack:read"]
}

resource "iam_custom_role" "deployer" {
  name = "deployer"
  grant {
    permissions = [iam_permission.deleters.permission_id, "stack-read"]
    stacks      = ["myapp/prod"]
  }
}

# Names that refer to the resources: read once they exist (at apply).
data "iam_permission" "deleters" {
  name = iam_permission.deleters.name
}

data "iam_custom_role" "deployer" {
  name = iam_custom_role.deployer.name
}

# Built-in ones, by identifier.
data "iam_permission" "stack_read" {
  name = "stack-read"
}

data "iam_custom_role" "member" {
  name = "member"
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(perm, tfjsonpath.New("permission_id"), "iam_permission.deleters", tfjsonpath.New("permission_id"), compare.ValuesSame()),
					statecheck.CompareValuePairs(perm, tfjsonpath.New("id"), "iam_permission.deleters", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(perm, tfjsonpath.New("description"), knownvalue.StringExact("May delete stacks.")),
					statecheck.ExpectKnownValue(perm, tfjsonpath.New("scopes"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("stack:delete"), knownvalue.StringExact("stack:read")})),
					statecheck.CompareValuePairs(role, tfjsonpath.New("role_id"), "iam_custom_role.deployer", tfjsonpath.New("role_id"), compare.ValuesSame()),
					statecheck.CompareValuePairs(role, tfjsonpath.New("version"), "iam_custom_role.deployer", tfjsonpath.New("version"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`PermissionDescriptorCompose`))),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("grants").AtSliceIndex(0).AtMapKey("stacks"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("myapp/prod")})),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("grants").AtSliceIndex(0).AtMapKey("environments"), knownvalue.SetExact(nil)),
					statecheck.CompareValueCollection(role, []tfjsonpath.Path{tfjsonpath.New("grants"), tfjsonpath.New("permissions")},
						"iam_permission.deleters", tfjsonpath.New("permission_id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.iam_permission.stack_read", tfjsonpath.New("permission_id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					statecheck.ExpectKnownValue("data.iam_custom_role.member", tfjsonpath.New("role_id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
				},
			},
		},
	})
}
