# A role made elsewhere, by name: its ID for a token, and what it grants.
data "iam_custom_role" "deployer" {
  name = "prod-deployer"
}

resource "iam_organization_access_token" "ci" {
  name    = "ci-deployer"
  role_id = data.iam_custom_role.deployer.role_id
}

output "deployer_stacks" {
  value = flatten([for g in data.iam_custom_role.deployer.grants : g.stacks]) # ["myapp/prod"]
}

# Built-in roles are found by name or identifier too.
data "iam_custom_role" "member" {
  name = "member"
}
