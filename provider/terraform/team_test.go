package terraform

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/iamref/iam/apitype"
)

// addMembers makes logins members of the test org.
func (e *env) addMembers(logins ...string) {
	e.t.Helper()
	for _, l := range logins {
		if _, err := e.srv.Client.AddMember(context.Background(), e.srv.Org, l, apitype.AddMemberRequest{Role: apitype.OrgRoleMember}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// teamMember adds or removes a member of a team outside Terraform.
func (e *env) teamMember(team, login, action string) {
	e.t.Helper()
	if err := e.srv.Client.UpdateTeam(context.Background(), e.srv.Org, team, apitype.UpdateTeamRequest{Member: &login, MemberAction: &action}); err != nil {
		e.t.Fatal(err)
	}
}

// checkTeam compares a team's members and roles on the server.
func (e *env) checkTeam(name string, members, roles []string) error {
	tm, err := e.srv.Client.GetTeam(context.Background(), e.srv.Org, name)
	if err != nil {
		return err
	}
	var got []string
	for _, m := range tm.Members {
		got = append(got, m.GitHubLogin)
	}
	slices.Sort(got)
	if !slices.Equal(got, members) || !slices.Equal(tm.RoleIDs, roles) {
		return fmt.Errorf("team %s: members %v roles %v, want %v %v", name, got, tm.RoleIDs, members, roles)
	}
	return nil
}

// checkNoTeams is checkNothingLeft that also wants no teams.
func (e *env) checkNoTeams(s *terraform.State) error {
	ts, err := e.srv.Client.ListTeams(context.Background(), e.srv.Org)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return fmt.Errorf("%d teams left after destroy", len(ts))
	}
	return e.checkNothingLeft(s)
}

func TestAccTeam(t *testing.T) {
	e := setup(t)
	e.addMembers("alice", "bob", "carol")
	const addr, assign = "iam_team.t", "iam_team_role_assignment.a"
	var roleID string
	team := func(desc, members string) string {
		return e.config(`
resource "iam_permission" "p" {
  name   = "deleters"
  scopes = ["stack:delete"]
}
resource "iam_custom_role" "r" {
  name = "deployer"
  grant {
    permissions = [iam_permission.p.permission_id]
    stacks      = ["myapp/prod"]
  }
}
resource "iam_team" "t" {
  name         = "platform"
  display_name = "Platform"
  description  = "` + desc + `"
  members      = ` + members + `
}
resource "iam_team_role_assignment" "a" {
  team    = iam_team.t.name
  role_id = iam_custom_role.r.role_id
}
`)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNoTeams,
		Steps: []resource.TestStep{
			{
				Config:      e.config(`resource "iam_team" "t" { name = "my team" }`),
				ExpectError: regexp.MustCompile(`letters,\s+digits`),
			},
			// Create.
			{
				Config: team("", `["bob", "alice"]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("acme/platform")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("members"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("alice"), knownvalue.StringExact("bob")})),
				},
				Check: resource.ComposeTestCheckFunc(
					capture("iam_custom_role.r", "role_id", &roleID),
					func(*terraform.State) error {
						return e.checkTeam("platform", []string{"alice", "bob"}, []string{roleID})
					},
					resource.TestCheckResourceAttrPtr(assign, "role_id", &roleID),
					func(s *terraform.State) error {
						if id := s.RootModule().Resources[assign].Primary.ID; id != "acme/platform/"+roleID {
							return fmt.Errorf("assignment ID %q", id)
						}
						return nil
					},
				),
			},
			// Same set, reordered: no change.
			{
				Config:           team("", `["alice", "bob", "alice"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			// Import both.
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			{ResourceName: assign, ImportState: true, ImportStateVerify: true},
			// Drift: members changed outside Terraform show as an in-place update...
			{
				PreConfig: func() {
					e.teamMember("platform", "carol", apitype.MemberActionAdd)
					e.teamMember("platform", "bob", apitype.MemberActionRemove)
				},
				Config:             team("", `["alice", "bob"]`),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(assign, plancheck.ResourceActionNoop),
				}},
			},
			// ...that apply restores, along with a new description.
			{
				Config: team("Runs the platform.", `["alice", "bob"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					return e.checkTeam("platform", []string{"alice", "bob"}, []string{roleID})
				},
			},
			// The role taken away outside Terraform: the assignment is created again.
			{
				PreConfig: func() {
					if err := e.srv.Client.RemoveTeamRole(context.Background(), e.srv.Org, "platform", roleID); err != nil {
						t.Fatal(err)
					}
				},
				Config: team("Runs the platform.", `["alice", "bob"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(assign, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				Check: func(*terraform.State) error {
					return e.checkTeam("platform", []string{"alice", "bob"}, []string{roleID})
				},
			},
			// No members: all removed.
			{
				Config: team("Runs the platform.", `[]`),
				Check:  func(*terraform.State) error { return e.checkTeam("platform", nil, []string{roleID}) },
			},
		},
	})
}
