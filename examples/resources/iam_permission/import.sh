# A permission is imported by {organization}/{permission_id} (or the bare ID, in the provider's
# organization).
terraform import iam_permission.stack_deleters acme/4b0c5b8e-2f1d-4f43-9c1e-0d6c2a9f7e11
