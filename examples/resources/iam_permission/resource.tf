# A reusable permission: a named set of scopes that custom roles grant on entities.
resource "iam_permission" "stack_deleters" {
  name        = "stack-deleters"
  description = "Read and delete stacks."
  scopes      = ["stack:read", "stack:delete"]

  # Lets an apply that stops using the permission in a role update the role first.
  lifecycle {
    create_before_destroy = true
  }
}
