# A guardrail is imported by {organization}/{guardrail_id} (or the bare ID, in the provider's
# organization).
terraform import iam_guardrail.no_prod_delete acme/0d6c2a9f-7e11-4b0c-9c1e-5b8e2f1d4f43
