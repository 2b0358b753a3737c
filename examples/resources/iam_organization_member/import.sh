# A member is imported by {organization}/{login} (or the bare login, in the provider's
# organization). A custom role comes back as role_id, a built-in one as role.
terraform import iam_organization_member.alice acme/alice
