package terraform

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

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
