# Access by tags and conditions: a CI token that deploys every stack tagged env=dev (including
# stacks created later), may delete only the dev stacks of two teams, and opens dev
# environments for at most an hour through a reusable policy. The Terraform twin of
# examples/access-by-tags.
#
# Needs an iamref server whose organization has tagged stacks and environments (see README.md).

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

# A reusable policy (uxPurpose: policy), composed into roles by ID like a permission set.
resource "iam_policy" "dev_environments" {
  name        = "dev-environments"
  description = "Read and open dev environments, for at most an hour at a time"

  grant {
    scopes            = ["environment:read", "environment:open"]
    environment_tags  = { env = "dev" }
    max_open_duration = "1h"
  }
}

resource "iam_custom_role" "dev_deployer" {
  name = "dev-deployer"

  # Every stack tagged env=dev, now or later.
  grant {
    scopes     = ["stack:read", "stack:write"]
    stack_tags = { env = "dev" }
  }

  # A condition in the condition language (docs/conditions.md).
  grant {
    scopes    = ["stack:delete"]
    condition = "stack.tags.env == \"dev\" && stack.tags.team in [\"payments\", \"billing\"]"
  }

  grant {
    permissions = [iam_policy.dev_environments.policy_id]
  }
}

resource "iam_organization_access_token" "ci" {
  name    = "dev-ci"
  role_id = iam_custom_role.dev_deployer.role_id
}
