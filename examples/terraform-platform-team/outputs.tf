output "team_name" {
  value = iam_team.platform.name
}

output "members" {
  value = iam_team.platform.members
}

output "role_id" {
  value = iam_custom_role.prod_reader.role_id
}

output "token_name" {
  value = iam_team_access_token.platform.token_name
}

# Sensitive: `terraform output -raw platform_token` hands it to a CI secret store.
output "platform_token" {
  value     = iam_team_access_token.platform.value
  sensitive = true
}
