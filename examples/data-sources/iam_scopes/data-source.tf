# Every scope that acts on stacks, from the catalog the server enforces (no API call).
data "iam_scopes" "stack" {
  entity_type = "stack"
}

output "stack_scopes" {
  value = [for s in data.iam_scopes.stack.scopes : s.name]
}
