# An issuer is imported by {organization}/{issuer_id} (or the bare ID, in the provider's
# organization).
terraform import iam_oidc_issuer.github acme/0b6e2a4e-3f7c-4c55-9f0e-2d1b7e4f9a11
