output "role_id" {
  value = iam_custom_role.dev_deployer.role_id
}

output "policy_id" {
  value = iam_policy.dev_environments.policy_id
}

# Sensitive: `terraform output -raw ci_token` hands it to a CI secret store.
output "ci_token" {
  value     = iam_organization_access_token.ci.value
  sensitive = true
}
