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

// checkMember compares a member's role on the server: role is the built-in name, or "" to
// want fgaRole roleID.
func (e *env) checkMember(login, role, roleID string) error {
	ms, err := e.srv.Client.ListMembers(context.Background(), e.srv.Org)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.User.GitHubLogin != login {
			continue
		}
		if role != "" && m.Role != role || roleID != "" && m.FGARole.ID != roleID {
			return fmt.Errorf("member %s: role %q (%s), want %q %q", login, m.Role, m.FGARole.ID, role, roleID)
		}
		return nil
	}
	if role == "" && roleID == "" {
		return nil
	}
	return fmt.Errorf("%s is not a member", login)
}

func TestAccOrganizationMember(t *testing.T) {
	e := setup(t)
	// Another admin, so that alice is never the last one.
	if _, err := e.srv.Client.AddMember(context.Background(), e.srv.Org, "root", apitype.AddMemberRequest{Role: apitype.OrgRoleAdmin}); err != nil {
		t.Fatal(err)
	}
	const addr = "iam_organization_member.alice"
	var roleID string
	member := func(role string) string {
		return e.config(`
resource "iam_custom_role" "r" {
  name = "auditor"
  grant {
    scopes = ["audit_logs:read"]
  }
}
resource "iam_organization_member" "alice" {
  login = "alice"
  name  = "Alice"
  email = "alice@example.com"
  ` + role + `
}
resource "iam_team" "t" {
  name    = "platform"
  members = [iam_organization_member.alice.login]
}
`)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy: func(s *terraform.State) error {
			if err := e.checkMember("alice", "", ""); err != nil {
				return err
			}
			return e.checkNoTeams(s)
		},
		Steps: []resource.TestStep{
			{Config: member(`role = "owner"`), ExpectError: regexp.MustCompile(`not\s+one\s+of\s+admin`)},
			{Config: member(`role = "member"` + "\n  role_id = \"x\""), ExpectError: regexp.MustCompile(`set\s+either\s+role\s+or\s+role_id`)},
			{
				Config: member(`role = "member"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("acme/alice")),
				},
				Check: resource.ComposeTestCheckFunc(
					capture("iam_custom_role.r", "role_id", &roleID),
					func(*terraform.State) error { return e.checkMember("alice", "member", "") },
					func(*terraform.State) error { return e.checkTeam("platform", []string{"alice"}, nil) },
				),
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			// A custom role, in place.
			{
				Config: member(`role_id = iam_custom_role.r.role_id`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error { return e.checkMember("alice", "", roleID) },
			},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			// Drift: made an admin outside Terraform; apply restores the custom role.
			{
				PreConfig: func() {
					if err := e.srv.Client.UpdateMember(context.Background(), e.srv.Org, "alice", apitype.UpdateMemberRequest{Role: apitype.OrgRoleAdmin}); err != nil {
						t.Fatal(err)
					}
				},
				Config: member(`role_id = iam_custom_role.r.role_id`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error { return e.checkMember("alice", "", roleID) },
			},
			// Built-in admin.
			{
				Config: member(`role = "admin"`),
				Check:  func(*terraform.State) error { return e.checkMember("alice", "admin", "") },
			},
		},
	})
}
