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

// TestAccGuardrail: plan-time validation (a condition that does not compile: its line and
// column), create with a readable condition stored as the wire tree, no diff on a respelt
// condition, the same tree given as condition_details (no server change), who may delete prod under it (iam_who_can),
// import, drift and its repair, destroy — with the real terraform binary.
func TestAccGuardrail(t *testing.T) {
	e := setup(t)
	const addr = "iam_guardrail.g"
	var id, ciID, glassID string
	cfg := func(actions, condition string) string {
		return e.config(`
resource "iam_custom_role" "glass" {
  name = "break-glass"
  grant {
    scopes = ["stack:delete", "stack:read"]
  }
}

resource "iam_organization_access_token" "glass" {
  name    = "glass"
  role_id = iam_custom_role.glass.role_id
}

resource "iam_custom_role" "deleter" {
  name = "deleter"
  grant {
    scopes = ["stack:delete", "stack:read"]
  }
}

resource "iam_organization_access_token" "ci" {
  name    = "ci"
  role_id = iam_custom_role.deleter.role_id
}

resource "iam_guardrail" "g" {
  name         = "no-prod-delete"
  actions      = ` + actions + `
  ` + condition + `
  exempt_roles = [iam_custom_role.glass.role_id]
}

data "iam_who_can" "prod" {
  action     = "stack:delete"
  stack      = "myapp/prod"
  kinds      = ["org_token"]
  depends_on = [iam_guardrail.g, iam_organization_access_token.glass, iam_organization_access_token.ci]
}

output "who" { value = data.iam_who_can.prod.names }
`)
	}
	hcl := `condition = "stack.tags.env == \"prod\""`
	respelt := `condition = <<-EOT
    stack.tags["env"]  ==
      'prod'
  EOT`
	raw := `condition_details = jsonencode({
    __type = "PermissionExpressionEqual"
    left   = { __type = "PermissionExpressionTag", context = { __type = "PermissionExpressionStack" }, key = "env" }
    right  = { __type = "PermissionLiteralExpressionString", value = "prod" }
  })`
	const wire = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"env"},"right":{"__type":"PermissionLiteralExpressionString","value":"prod"}}`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy: func(s *terraform.State) error {
			gs, err := e.srv.Client.ListGuardrails(context.Background(), e.srv.Org)
			if err != nil || len(gs) != 0 {
				return fmt.Errorf("guardrails left after destroy: %v %v", gs, err)
			}
			return e.checkNothingLeft(s)
		},
		Steps: []resource.TestStep{
			{Config: cfg(`["stack:delet"]`, hcl), ExpectError: regexp.MustCompile(`did\s+you\s+mean\s+"stack:delete"`)},
			{Config: cfg(`["environment:open"]`, hcl), ExpectError: regexp.MustCompile(`write\s+environment.tags.KEY\s+or\s+environment.id`)},
			{Config: cfg(`["stack:delete"]`, `condition = "stack.tags.env == \"prod\" &&\n stack.project == \"x\""`), ExpectError: regexp.MustCompile(`Invalid condition[\s\S]*at\s+line\s+2,\s+column\s+2:`)},
			{Config: cfg(`["stack:delete"]`, hcl+"\n"+raw), ExpectError: regexp.MustCompile(`give\s+the\s+condition\s+once`)},
			{
				Config: cfg(`["stack:delete"]`, hcl),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("condition"), knownvalue.StringExact(`stack.tags.env == "prod"`)),
					statecheck.ExpectKnownOutputValue("who", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("org_token:glass")})),
					statecheck.ExpectKnownValue("data.iam_who_can.prod", tfjsonpath.New("denied_by_guardrail").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("admin")),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "guardrail_id", &id),
					capture("iam_organization_access_token.ci", "token_id", &ciID),
					capture("iam_organization_access_token.glass", "token_id", &glassID),
					func(*terraform.State) error {
						if g, err := e.srv.Client.GetGuardrail(context.Background(), e.srv.Org, id); err != nil || string(g.Condition) != wire {
							return fmt.Errorf("stored condition %s (%v), want %s", g.Condition, err, wire)
						}
						return nil
					},
					// The server refuses and allows where the guardrail says.
					func(*terraform.State) error {
						for _, c := range []struct {
							token, stack string
							want         bool
						}{{ciID, "prod", false}, {ciID, "dev", true}, {glassID, "prod", true}} {
							resp, err := e.srv.Client.CheckAccess(context.Background(), e.srv.Org, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
								{Principal: c.token, Action: "stack:delete", Entity: apitype.EntityRef{Kind: "stack", Project: "myapp", Name: c.stack}}}})
							if err != nil {
								return err
							}
							if r := resp.Results[0]; r.Allowed != c.want || !c.want && (r.Denial == nil || r.Denial.Reason != "guardrail") {
								return fmt.Errorf("token %s on %s: %+v", c.token, c.stack, r)
							}
						}
						return nil
					},
				),
			},
			// The same condition spelt otherwise: no change.
			{
				Config:           cfg(`["stack:delete", "stack:delete"]`, respelt),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop)}},
			},
			// The same tree as wire JSON: the attributes move, the server is not written.
			{
				Config: cfg(`["stack:delete"]`, raw),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("condition"), knownvalue.Null()),
				},
			},
			{Config: cfg(`["stack:delete"]`, raw), PlanOnly: true},
			{Config: cfg(`["stack:delete"]`, hcl), ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
			}},
			// Import prints the readable condition: the same as the configuration.
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			// Drift: changed outside Terraform, shown in the plan and repaired in place.
			{
				PreConfig: func() {
					if _, err := e.srv.Client.UpdateGuardrail(context.Background(), e.srv.Org, id, apitype.UpdateGuardrailRequest{Name: "no-prod-delete", Actions: []string{"stack:read"}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:             cfg(`["stack:delete"]`, hcl),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           cfg(`["stack:delete"]`, hcl),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
				Check: func(*terraform.State) error {
					g, err := e.srv.Client.GetGuardrail(context.Background(), e.srv.Org, id)
					if err != nil || len(g.Actions) != 1 || g.Actions[0] != "stack:delete" || len(g.Condition) == 0 || len(g.ExemptRoles) != 1 {
						return fmt.Errorf("server guardrail after repair: %+v %v", g, err)
					}
					return nil
				},
			},
		},
	})
}
