# A reusable policy: read and open the environments tagged env=dev, for at most an hour.
resource "iam_policy" "dev_environments" {
  name        = "dev-environments"
  description = "Read and open dev environments, for at most an hour at a time."

  grant {
    scopes            = ["environment:read", "environment:open"]
    environment_tags  = { env = "dev" }
    max_open_duration = "1h"
  }
}

# Roles compose it by ID, like a permission set.
resource "iam_custom_role" "dev_deployer" {
  name = "dev-deployer"

  grant {
    permissions = [iam_policy.dev_environments.policy_id]
  }

  # Every stack tagged env=dev, now or later; all pairs of one grant must match.
  grant {
    scopes     = ["stack:read", "stack:write"]
    stack_tags = { env = "dev" }
  }

  # A condition in the condition language (docs/conditions.md).
  grant {
    scopes    = ["stack:delete"]
    condition = "stack.tags.env == \"dev\" && stack.tags.team in [\"payments\", \"billing\"]"
  }
}
