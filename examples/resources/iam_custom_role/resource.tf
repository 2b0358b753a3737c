resource "iam_permission" "stack_deleters" {
  name   = "stack-deleters"
  scopes = ["stack:read", "stack:delete"]
}

# A role granting a permission and a built-in permission set on one stack, and one scope on
# one environment.
resource "iam_custom_role" "prod_deployer" {
  name        = "prod-deployer"
  description = "Deploys myapp/prod from CI."

  grant {
    permissions = [
      iam_permission.stack_deleters.permission_id,
      "stack-write", # a built-in permission set, by its identifier
    ]
    stacks = ["myapp/prod"]
  }

  grant {
    scopes       = ["environment:open"]
    environments = ["myapp/prod"]
  }
}

# A role granting by tags and by a condition: every stack tagged env=dev (a stack created or
# retagged later is covered on its next request), and deleting the dev stacks of two teams.
resource "iam_custom_role" "dev_deployer" {
  name = "dev-deployer"

  grant {
    scopes     = ["stack:read", "stack:write"]
    stack_tags = { env = "dev" }
  }

  grant {
    scopes    = ["stack:delete"]
    condition = "stack.tags.env == \"dev\" && stack.tags.team in [\"payments\", \"billing\"]"
  }
}

# A role given as a raw PermissionDescriptor tree (as Pulumi Cloud's API stores it), for
# roles written elsewhere: organization-wide read access to stacks.
resource "iam_custom_role" "stack_reader" {
  name = "stack-reader"
  details = jsonencode({
    __type      = "PermissionDescriptorAllow"
    permissions = ["stack:read", "stack:list"]
  })
}
