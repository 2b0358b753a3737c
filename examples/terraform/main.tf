# A CI token that may deploy and delete one stack (myapp/prod) and open its environment, and
# nothing else, declared as code. The Terraform twin of examples/yaml.
#
# Needs an iamref server whose organization has stacks myapp/prod and myapp/dev and environment
# myapp/prod (see README.md for installing the provider without a registry).

terraform {
  required_providers {
    iam = {
      source = "iamref/iam"
    }
  }
}

provider "iam" {
  api_url      = var.api_url
  access_token = var.access_token # null: IAM_ACCESS_TOKEN, then PULUMI_ACCESS_TOKEN
  organization = var.organization
}

# A reusable permission: a named scope set.
resource "iam_permission" "stack_deleters" {
  name        = "stack-deleters"
  description = "Read and delete stacks."
  scopes      = ["stack:read", "stack:delete"]

  # When a grant stops using this permission and the permission is removed in the same apply,
  # Terraform then updates the role before destroying the permission (see README.md).
  lifecycle {
    create_before_destroy = true
  }
}

# A role that binds permissions and scopes to specific entities.
resource "iam_custom_role" "prod_deployer" {
  name        = "prod-deployer"
  description = "Deploys ${var.project}/${var.prod_stack} from CI."

  grant {
    permissions = [
      iam_permission.stack_deleters.permission_id,
      "stack-write", # a built-in permission set
    ]
    stacks = ["${var.project}/${var.prod_stack}"]
  }

  grant {
    scopes       = ["environment:open"]
    environments = ["${var.project}/${var.prod_stack}"]
  }
}

# The CI token: scoped to the role, expiring, renewed a week before it expires. Tokens cannot
# be edited, so changes replace them; create_before_destroy keeps a valid token in existence
# throughout (the new one is created, handed on, and only then is the old one revoked).
resource "iam_organization_access_token" "ci" {
  name          = "ci-deployer"
  description   = "GitHub Actions deploys of ${var.project}/${var.prod_stack}"
  role_id       = iam_custom_role.prod_deployer.role_id
  expires_in    = var.token_lifetime
  rotate_before = var.token_renew_before

  lifecycle {
    create_before_destroy = true
  }
}

# What the role may and may not do, evaluated the way the server does.
data "iam_access_check" "prod" {
  role_id = iam_custom_role.prod_deployer.role_id
  action  = "stack:delete"
  stack   = "${var.project}/${var.prod_stack}"
}

data "iam_access_check" "dev" {
  role_id = iam_custom_role.prod_deployer.role_id
  action  = "stack:delete"
  stack   = "${var.project}/${var.dev_stack}"
}
