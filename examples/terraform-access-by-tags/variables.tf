variable "api_url" {
  description = "Base URL of the iamref server (null: IAM_API_URL, then http://127.0.0.1:8080)."
  type        = string
  default     = null
}

variable "access_token" {
  description = "Token allowed to manage roles, policies and tokens (null: IAM_ACCESS_TOKEN, then PULUMI_ACCESS_TOKEN)."
  type        = string
  default     = null
  sensitive   = true
}

variable "organization" {
  description = "Organization to manage."
  type        = string
  default     = "acme"
}
