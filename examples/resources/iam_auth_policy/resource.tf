resource "iam_custom_role" "deployer" {
  name = "payments-deployer"
  grant {
    scopes = ["stack:read", "stack:write"]
    stacks = ["payments/prod"]
  }
}

resource "iam_oidc_issuer" "github" {
  name = "github-actions"
  url  = "https://token.actions.githubusercontent.com"
}

# Jobs of acme/payments on main get an organization token with the deployer role; a workflow run
# by a pull request never does (a matching deny wins). Everything else matches no allow and is
# refused. Destroying this resource puts the issuer's deny-all policy back.
resource "iam_auth_policy" "github" {
  issuer_id = iam_oidc_issuer.github.issuer_id
  policies = [
    {
      decision   = "allow"
      token_type = "organization"
      role_id    = iam_custom_role.deployer.role_id
      rules      = { sub = "repo:acme/payments:ref:refs/heads/main" }
    },
    {
      decision   = "deny"
      token_type = "organization"
      rules      = { event_name = "pull_request*" }
    },
  ]
}
