package terraform

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/iamref/iam/client"
)

func TestAccOrganizationAccessToken(t *testing.T) {
	e := setup(t)
	const addr = "iam_organization_access_token.ci"
	// token builds the configuration: a role that reads and deletes myapp/prod, and a token
	// with it; lifecycle is an optional lifecycle block.
	const roleHCL = `
resource "iam_custom_role" "reader" {
  name = "prod-reader"
  grant {
    permissions = ["stack-read"]
    stacks      = ["myapp/prod"]
  }
}
`
	token := func(desc, rotateBefore, lifecycle string) string {
		return e.config(roleHCL + `
resource "iam_organization_access_token" "ci" {
  name          = "ci"
  description   = "` + desc + `"
  role_id       = iam_custom_role.reader.role_id
  expires_in    = "720h"
  rotate_before = "` + rotateBefore + `"
` + lifecycle + `
}
`)
	}
	bad := func(body string) string {
		return e.config("resource \"iam_organization_access_token\" \"bad\" {\n" + body + "\n}\n")
	}
	cbd := "  lifecycle {\n    create_before_destroy = true\n  }"
	var value, tokenID string
	sameValue := statecheck.CompareValue(compare.ValuesSame())
	values := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			// Plan-time validation first.
			{
				Config:      bad(`name = "bad"` + "\n" + `admin = true` + "\n" + `role_id = "00000000-0000-0000-0000-000000000000"`),
				ExpectError: regexp.MustCompile(`set\s+either\s+role_id\s+or\s+admin,\s+not\s+both`),
			},
			{
				Config:      bad(`name = "bad"` + "\n" + `rotate_before = "24h"`),
				ExpectError: regexp.MustCompile(`only\s+meaningful\s+with\s+expires_in`),
			},
			{
				Config:      bad(`name = "bad"` + "\n" + `expires_in = "720h"` + "\n" + `rotate_before = "800h"`),
				ExpectError: regexp.MustCompile(`shorter\s+than\s+expires_in`),
			},
			{
				Config:      bad(`name = "a-name-that-is-much-longer-than-forty-characters"`),
				ExpectError: regexp.MustCompile(`at\s+most\s+40`),
			},
			// Create: the value is known, sensitive, and works against the server with the
			// role's access.
			{
				Config: token("deploys prod", "24h", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("value")),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("value")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("value")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value"), knownvalue.StringRegexp(regexp.MustCompile(`^pul-[0-9a-f]{40}$`))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("admin"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expires_at"), knownvalue.StringFunc(expiresIn(e.clock, 720*time.Hour))),
					sameValue.AddStateValue(addr, tfjsonpath.New("value")),
					values.AddStateValue(addr, tfjsonpath.New("value")),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "value", &value),
					capture(addr, "token_id", &tokenID),
					resource.TestCheckResourceAttrPair(addr, "role_id", "iam_custom_role.reader", "role_id"),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
					func(*terraform.State) error { return e.checkStackAccess(value, "dev", false) },
				),
			},
			// Import: everything but the value (and the inputs the server does not keep).
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"value", "expires_in", "rotate_before"},
			},
			// Refresh keeps the value.
			{
				RefreshState: true,
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[addr].Primary.Attributes["value"]; got != value {
						return fmt.Errorf("value after refresh %q, want the created one", got)
					}
					return nil
				},
			},
			// rotate_before changes in place: same token, same value.
			{
				Config: token("deploys prod", "48h", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameValue.AddStateValue(addr, tfjsonpath.New("value")),
				},
			},
			// Any other change replaces the token, destroy-then-create by default. The name is
			// reserved on the server, so the replacement is "ci-2".
			{
				Config: token("deploys prod from CI", "48h", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-2")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("ci")),
					values.AddStateValue(addr, tfjsonpath.New("value")),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return e.checkRevoked(value) },
					capture(addr, "value", &value),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
				),
			},
			// With create_before_destroy the new token exists before the old one is revoked.
			{
				Config: token("deploys prod from CI, rotated", "48h", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-3")),
					values.AddStateValue(addr, tfjsonpath.New("value")),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return e.checkRevoked(value) },
					capture(addr, "value", &value),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
				),
			},
			// Early renewal: 700h later, less than rotate_before (48h) of the 720h remains, so
			// the plan replaces the token (with a warning giving the reason).
			{
				PreConfig: func() { e.clock.Advance(700 * time.Hour) },
				Config:    token("deploys prod from CI, rotated", "48h", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("expires_at")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-4")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expires_at"), knownvalue.StringFunc(expiresIn(e.clock, 720*time.Hour))),
					values.AddStateValue(addr, tfjsonpath.New("value")),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return e.checkRevoked(value) },
					capture(addr, "value", &value),
					capture(addr, "token_id", &tokenID),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
				),
			},
			// Revoked outside Terraform: the plan creates it again.
			{
				PreConfig: func() {
					if err := e.srv.Client.DeleteToken(context.Background(), e.srv.Org, tokenID); err != nil {
						t.Fatal(err)
					}
				},
				Config:             token("deploys prod from CI, rotated", "48h", cbd),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
			},
			{
				Config: token("deploys prod from CI, rotated", "48h", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-5")),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "value", &value),
					capture(addr, "token_id", &tokenID),
					func(*terraform.State) error { return e.checkStackAccess(value, "prod", true) },
				),
			},
			// Forgotten (not destroyed), then imported into state under its server name "ci-5":
			// the configuration's name, and the lifetime inputs the server does not keep, are
			// adopted in place, not replaced.
			{
				Config: e.config(roleHCL + `
removed {
  from = iam_organization_access_token.ci
  lifecycle {
    destroy = false
  }
}
`),
			},
			{
				Config:             token("deploys prod from CI, rotated", "48h", cbd),
				ResourceName:       addr,
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return "acme/" + tokenID, nil },
			},
			{
				Config: token("deploys prod from CI, rotated", "48h", cbd),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("ci")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token_name"), knownvalue.StringExact("ci-5")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value"), knownvalue.Null()),
				},
			},
		},
	})
}

func TestAccOrganizationAccessTokenAdmin(t *testing.T) {
	e := setup(t)
	const addr = "iam_organization_access_token.admin"
	var value string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config: e.config(`
resource "iam_organization_access_token" "admin" {
  name  = "break-glass"
  admin = true
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("role_id"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					capture(addr, "value", &value),
					func(*terraform.State) error { return e.checkStackAccess(value, "dev", true) },
				),
			},
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"value"},
			},
		},
	})
}

// expiresIn checks an RFC 3339 expiry about d after the provider clock's now.
func expiresIn(c *clock, d time.Duration) func(string) error {
	return func(v string) error {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return err
		}
		if left := at.Sub(c.Now()); left > d || left < d-time.Minute {
			return fmt.Errorf("expires_at %s is %s from now, want about %s", v, left, d)
		}
		return nil
	}
}

// checkStackAccess reads stack myapp/<stack> with a token: 200 when allowed, 403 when not.
func (e *env) checkStackAccess(token, stack string, allowed bool) error {
	_, err := e.srv.NewClient(e.t, token).GetStack(context.Background(), e.srv.Org, "myapp", stack)
	switch {
	case allowed && err != nil:
		return fmt.Errorf("token cannot read myapp/%s: %v", stack, err)
	case !allowed && !client.IsForbidden(err):
		return fmt.Errorf("token reading myapp/%s: got %v, want 403", stack, err)
	}
	return nil
}

// checkRevoked verifies that an old token value no longer works.
func (e *env) checkRevoked(token string) error {
	_, err := e.srv.NewClient(e.t, token).GetStack(context.Background(), e.srv.Org, "myapp", "prod")
	if !client.IsUnauthorized(err) {
		return fmt.Errorf("old token after replacement: got %v, want 401", err)
	}
	return nil
}
