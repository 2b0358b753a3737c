# A team token is imported by {organization}/{token_id} (or the bare ID, in the provider's
# organization); the provider finds its team. An imported token's `value` is null.
terraform import iam_team_access_token.ci acme/2f6a7b8c-9d0e-4f1a-b2c3-d4e5f6a7b8c9
