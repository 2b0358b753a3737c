resource "iam_custom_role" "prod_deployer" {
  name = "prod-deployer"
  grant {
    permissions = ["stack-write"]
    stacks      = ["myapp/prod"]
  }
}

resource "iam_team" "platform" {
  name    = "platform"
  members = ["alice", "bob"]
}

# Every member of the team, and every team token, acts with the role. A team may hold
# several roles, one assignment each.
resource "iam_team_role_assignment" "platform_prod_deployer" {
  team    = iam_team.platform.name
  role_id = iam_custom_role.prod_deployer.role_id
}
