# A token is imported by {organization}/{token_id} (or the bare ID, in the provider's
# organization). The server never returns a token's value again, so an imported token's
# `value` is null: import a token to manage its lifetime, not to read its secret.
terraform import iam_organization_access_token.ci acme/2f6a7b8c-9d0e-4f1a-b2c3-d4e5f6a7b8c9
