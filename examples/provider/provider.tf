terraform {
  required_providers {
    iam = {
      source = "iamref/iam"
    }
  }
}

# Every setting may come from the environment instead: IAM_API_URL, IAM_ACCESS_TOKEN (then
# PULUMI_ACCESS_TOKEN) and IAM_ORGANIZATION.
provider "iam" {
  api_url      = "http://127.0.0.1:8080"
  access_token = var.iam_access_token # an organization token, pul-…
  organization = "acme"
}

variable "iam_access_token" {
  type      = string
  sensitive = true
}
