# A team is imported by {organization}/{name} (or the bare name, in the provider's
# organization).
terraform import iam_team.platform acme/platform
