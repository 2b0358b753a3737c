# A policy is imported by {organization}/{policy_id} (or the bare ID, in the provider's
# organization). Grants — with tag selectors and conditions — are rebuilt from the server's
# tree when it has the shape grants produce; otherwise the policy is imported with raw `details`.
terraform import iam_policy.dev_environments acme/4b1f0c9e-2d3a-4e5f-8a7b-6c5d4e3f2a1b
