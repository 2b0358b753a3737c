package terraform

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// iam_policy composed into an iam_custom_role by ID, with tag selectors, a condition and
// max_open_duration: both import back into the same typed grants, a reformatted condition
// writes nothing (the version stays), and a condition outside the language fails the plan.
func TestAccPolicy(t *testing.T) {
	e := setup(t)
	const (
		policy = "iam_policy.dev_envs"
		role   = "iam_custom_role.dev"
	)
	config := func(cond string) string {
		return e.config(`
resource "iam_policy" "dev_envs" {
  name = "dev-envs"
  grant {
    scopes            = ["environment:open", "environment:read"]
    environment_tags  = { env = "dev" }
    max_open_duration = "1h"
  }
}

resource "iam_custom_role" "dev" {
  name = "dev"
  grant {
    permissions = [iam_policy.dev_envs.policy_id]
  }
  grant {
    scopes     = ["stack:read"]
    stack_tags = { env = "dev", team = "web" }
  }
  grant {
    scopes    = ["stack:delete"]
    condition = ` + cond + `
  }
}
`)
	}
	const canonical = `"stack.tags.env == \"dev\" && stack.tags.team in [\"billing\", \"payments\"]"`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			// Plan-time validation first (the last step's configuration is destroyed).
			{
				Config:      config(`"stack.tags.env == \"dev\" && stack.name == \"web\""`),
				ExpectError: regexp.MustCompile(`(?s)at line 1, column 28: stack.name cannot be\s+expressed`),
			},
			{
				Config: config(canonical),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(policy, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`"constraints":\{"MaxOpenDuration":3600\}`))),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("details"), knownvalue.StringRegexp(regexp.MustCompile(`PermissionDescriptorCompose.*PermissionExpressionAnd.*"key":"team"`))),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
				},
			},
			{ResourceName: policy, ImportState: true, ImportStateVerify: true},
			{ResourceName: role, ImportState: true, ImportStateVerify: true},
			// The same condition formatted otherwise (quotes, spaces, list order, duplicates,
			// parentheses): no change planned at all, no write, the version and the recorded
			// spelling stay.
			{
				Config: config(`"(stack.tags['env']=='dev')&&stack.tags.team in ['payments','billing','billing']"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(role, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(role, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(role, tfjsonpath.New("grant").AtSliceIndex(2).AtMapKey("condition"),
						knownvalue.StringExact(`stack.tags.env == "dev" && stack.tags.team in ["billing", "payments"]`)),
				},
			},
			// A different condition is an update.
			{
				Config: config(`"stack.tags.env == \"dev\""`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(role, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(role, tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
				},
			},
		},
	})
}
