# An assignment is imported by {organization}/{team}/{role_id} (or {team}/{role_id}, in the
# provider's organization).
terraform import iam_team_role_assignment.platform_prod_deployer acme/platform/4b1e2a3c-5d6f-4a7b-8c9d-0e1f2a3b4c5d
