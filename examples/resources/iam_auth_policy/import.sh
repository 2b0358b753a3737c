# An issuer's policy is imported by {organization}/{issuer_id}: the issuer's ID, not the
# policy's.
terraform import iam_auth_policy.github acme/0b6e2a4e-3f7c-4c55-9f0e-2d1b7e4f9a11
