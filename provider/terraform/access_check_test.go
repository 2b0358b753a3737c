package terraform

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccAccessCheckUserAndTeam: iam_access_check with user or team answers from the server's
// access check with the member's or team's effective rights, the reasons naming the path; it
// refuses user or team with role_id and names an unknown member.
func TestAccAccessCheckUserAndTeam(t *testing.T) {
	e := setup(t)
	e.addMembers("alice", "bob")
	const program = `
resource "iam_custom_role" "r" {
  name = "prod-deleter"
  grant {
    scopes = ["stack:delete"]
    stacks = ["myapp/prod"]
  }
}

resource "iam_team" "t" {
  name    = "platform"
  members = ["alice"]
}

resource "iam_team_role_assignment" "a" {
  team    = iam_team.t.name
  role_id = iam_custom_role.r.role_id
}
`
	check := func(name, principal, stack string) string {
		return `
data "iam_access_check" "` + name + `" {
  ` + principal + `
  action     = "stack:delete"
  stack      = "` + stack + `"
  depends_on = [iam_team_role_assignment.a]
}
`
	}
	reason := knownvalue.StringRegexp(regexp.MustCompile(`^via team platform → role prod-deleter: `))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{
				Config:      e.config(`data "iam_access_check" "bad" {` + "\n" + `  user = "alice"` + "\n" + `  role_id = "x"` + "\n" + `  action = "role:read"` + "\n}"),
				ExpectError: regexp.MustCompile(`set\s+exactly\s+one\s+of\s+role_id,\s+details,\s+user\s+and\s+team`),
			},
			{
				Config:      e.config(`data "iam_access_check" "bad" {` + "\n" + `  user = "nobody"` + "\n" + `  action = "role:read"` + "\n}"),
				ExpectError: regexp.MustCompile(`"nobody"\s+is\s+not\s+a\s+member`),
			},
			{
				Config: e.config(program + check("alice_prod", `user = "alice"`, "myapp/prod") + check("alice_dev", `user = "alice"`, "myapp/dev") +
					check("bob_prod", `user = "bob"`, "myapp/prod") + check("team_prod", `team = iam_team.t.name`, "myapp/prod")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.iam_access_check.alice_prod", tfjsonpath.New("allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.iam_access_check.alice_prod", tfjsonpath.New("reasons"), knownvalue.ListExact([]knownvalue.Check{reason})),
					statecheck.ExpectKnownValue("data.iam_access_check.alice_dev", tfjsonpath.New("allowed"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.iam_access_check.bob_prod", tfjsonpath.New("allowed"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.iam_access_check.team_prod", tfjsonpath.New("allowed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.iam_access_check.team_prod", tfjsonpath.New("reasons"), knownvalue.ListExact([]knownvalue.Check{reason})),
				},
			},
		},
	})
}
