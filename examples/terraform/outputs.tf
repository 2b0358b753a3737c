output "role_id" {
  value = iam_custom_role.prod_deployer.role_id
}

output "token_name" {
  description = "The token's name on the server (ci-deployer, or ci-deployer-2, … after renewals)."
  value       = iam_organization_access_token.ci.token_name
}

output "token_expires_at" {
  value = iam_organization_access_token.ci.expires_at
}

# Sensitive: `terraform output -raw ci_token | gh secret set IAM_TOKEN` hands it to a CI secret
# store without printing it.
output "ci_token" {
  value     = iam_organization_access_token.ci.value
  sensitive = true
}

output "may_delete_prod" {
  value = data.iam_access_check.prod.allowed
}

output "may_delete_dev" {
  value = data.iam_access_check.dev.allowed
}

output "why_not_dev" {
  value = data.iam_access_check.dev.reasons
}
