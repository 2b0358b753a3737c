variable "api_url" {
  description = "Base URL of the iamref server (null: IAM_API_URL, then http://127.0.0.1:8080)."
  type        = string
  default     = null
}

variable "access_token" {
  description = "Token allowed to manage roles and tokens (null: IAM_ACCESS_TOKEN, then PULUMI_ACCESS_TOKEN)."
  type        = string
  default     = null
  sensitive   = true
}

variable "organization" {
  description = "Organization to manage."
  type        = string
  default     = "acme"
}

variable "project" {
  description = "Project of the stacks and the environment."
  type        = string
  default     = "myapp"
}

variable "prod_stack" {
  description = "The stack (and environment) CI deploys."
  type        = string
  default     = "prod"
}

variable "dev_stack" {
  description = "A stack CI must not touch."
  type        = string
  default     = "dev"
}

variable "token_lifetime" {
  description = "Validity of the CI token."
  type        = string
  default     = "720h"
}

variable "token_renew_before" {
  description = "Renew the CI token on the first apply once less than this validity remains."
  type        = string
  default     = "168h"
}
