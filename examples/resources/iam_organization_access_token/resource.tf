resource "iam_custom_role" "prod_deployer" {
  name = "prod-deployer"
  grant {
    permissions = ["stack-write"]
    stacks      = ["myapp/prod"]
  }
}

# A CI token acting with one role, valid for 30 days and replaced once less than a week is
# left. create_before_destroy keeps a valid token in existence throughout a replacement.
resource "iam_organization_access_token" "ci" {
  name          = "ci-deployer"
  description   = "GitHub Actions deploys of myapp/prod"
  role_id       = iam_custom_role.prod_deployer.role_id
  expires_in    = "720h"
  rotate_before = "168h"

  lifecycle {
    create_before_destroy = true
  }
}

# The value is a secret: hand it on, e.g.
#   terraform output -raw ci_token | gh secret set IAM_TOKEN --repo acme/myapp
output "ci_token" {
  value     = iam_organization_access_token.ci.value
  sensitive = true
}
