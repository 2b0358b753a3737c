# A permission made elsewhere (another configuration, a Pulumi program, the API), by name:
# its ID for a custom role's grant, without calling the API yourself.
data "iam_permission" "deleters" {
  name = "stack-deleters"
}

resource "iam_custom_role" "cleanup" {
  name = "cleanup"
  grant {
    permissions = [data.iam_permission.deleters.permission_id]
    stacks      = ["myapp/dev"]
  }
}

output "deleters_scopes" {
  value = data.iam_permission.deleters.scopes # ["stack:delete", "stack:read"]
}
