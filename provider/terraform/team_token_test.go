package terraform

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccTeamAccessToken(t *testing.T) {
	e := setup(t)
	const addr = "iam_team_access_token.ci"
	var value, old, tokenID string
	config := func(desc string) string {
		return e.config(`
resource "iam_custom_role" "r" {
  name = "prod-deployer"
  grant {
    permissions = ["stack-write"]
    stacks      = ["myapp/prod"]
  }
}
resource "iam_team" "t" {
  name = "platform"
}
resource "iam_team_role_assignment" "a" {
  team    = iam_team.t.name
  role_id = iam_custom_role.r.role_id
}
resource "iam_team_access_token" "ci" {
  team          = iam_team_role_assignment.a.team
  name          = "ci"
  description   = "` + desc + `"
  expires_in    = "720h"
  rotate_before = "48h"
  lifecycle {
    create_before_destroy = true
  }
}
`)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNoTeams,
		Steps: []resource.TestStep{
			// The token acts with the team's role.
			{
				Config: config("CI"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expires_at"), knownvalue.StringFunc(expiresIn(e.clock, 720*time.Hour))),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "value", &value),
					capture(addr, "token_id", &tokenID),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
					func(*terraform.State) error { return e.checkStackAccess(value, "dev", false) },
				),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true, ImportStateVerifyIgnore: []string{"value", "expires_in", "rotate_before"}},
			// A new description replaces it, under a new name (names stay reserved).
			{
				Config: config("CI deploys"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-2")),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { old = value; return e.checkRevoked(old) },
					capture(addr, "value", &value),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
				),
			},
			// Early renewal.
			{
				PreConfig: func() { e.clock.Advance(700 * time.Hour) },
				Config:    config("CI deploys"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-3")),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return e.checkRevoked(value) },
					capture(addr, "value", &value),
					capture(addr, "token_id", &tokenID),
				),
			},
			// Revoked outside Terraform: the plan creates it again.
			{
				PreConfig: func() {
					if err := e.srv.Client.DeleteTeamToken(context.Background(), e.srv.Org, "platform", tokenID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config("CI deploys"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}
