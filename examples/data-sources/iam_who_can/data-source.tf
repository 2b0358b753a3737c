# Who may delete myapp/prod? Fail the plan unless it is exactly the break-glass token.
data "iam_who_can" "delete_prod" {
  action = "stack:delete"
  stack  = "myapp/prod"
  kinds  = ["org_token", "team_token"]
}

check "only_break_glass_deletes_prod" {
  assert {
    condition     = data.iam_who_can.delete_prod.names == ["org_token:break-glass"]
    error_message = "unexpected principals may delete prod: ${join(", ", data.iam_who_can.delete_prod.names)}"
  }
}

output "why" {
  value = data.iam_who_can.delete_prod.principals[*].reasons
}
