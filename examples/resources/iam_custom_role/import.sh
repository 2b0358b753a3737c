# A custom role is imported by {organization}/{role_id} (or the bare ID, in the provider's
# organization). Grants are rebuilt from the server's tree when it has the shape grants
# produce; otherwise the role is imported with raw `details`.
terraform import iam_custom_role.prod_deployer acme/9d3e1f0a-6b7c-4d2e-8f90-1a2b3c4d5e6f
