resource "iam_custom_role" "prod_deployer" {
  name = "prod-deployer"
  grant {
    scopes = ["stack:read", "stack:delete"]
    stacks = ["myapp/prod"]
  }
}

# May the role delete myapp/prod, and why? The server's evaluator answers.
data "iam_access_check" "prod" {
  role_id = iam_custom_role.prod_deployer.role_id
  action  = "stack:delete"
  stack   = "myapp/prod"
}

output "may_delete_prod" {
  value = data.iam_access_check.prod.allowed # true
}

output "why" {
  value = data.iam_access_check.prod.reasons
}
