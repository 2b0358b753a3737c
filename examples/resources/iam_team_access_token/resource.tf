resource "iam_team" "platform" {
  name = "platform"
}

# A token acting as the team: it has the team's roles (see iam_team_role_assignment) and
# follows changes to them. Valid for 30 days and replaced once less than a week is left;
# create_before_destroy keeps a valid token in existence throughout a replacement.
resource "iam_team_access_token" "ci" {
  team          = iam_team.platform.name
  name          = "platform-ci"
  description   = "Platform team CI"
  expires_in    = "720h"
  rotate_before = "168h"

  lifecycle {
    create_before_destroy = true
  }
}

output "platform_ci_token" {
  value     = iam_team_access_token.ci.value
  sensitive = true
}
