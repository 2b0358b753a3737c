# The role whose holders may still delete production stacks.
resource "iam_custom_role" "break_glass" {
  name = "break-glass"
  grant {
    scopes = ["stack:read", "stack:delete"]
  }
}

# No token, member or team may delete a stack tagged env=prod, whatever their roles grant,
# unless they hold the break-glass role. Creating it takes full admin.
resource "iam_guardrail" "no_prod_delete" {
  name        = "no-prod-delete"
  description = "Production stacks are deleted only through break-glass."
  actions     = ["stack:delete"]
  # The condition language of grants (docs/conditions.md); stored as the wire grammar's tree.
  condition    = "stack.tags.env == \"prod\""
  exempt_roles = [iam_custom_role.break_glass.role_id]
}
