# Members are logins of organization members; the list is the whole membership, so members
# added or removed outside Terraform show in the next plan.
resource "iam_team" "platform" {
  name         = "platform"
  display_name = "Platform"
  description  = "Runs the deployment pipelines."
  members      = ["alice", "bob"]
}
