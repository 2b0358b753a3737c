# GitHub Actions as a trusted identity provider. The server fetches its discovery document and
# keys over HTTPS and pins the TLS certificate (see thumbprints); a new issuer's policy refuses
# every exchange until an iam_auth_policy allows some.
resource "iam_oidc_issuer" "github" {
  name           = "github-actions"
  url            = "https://token.actions.githubusercontent.com"
  max_expiration = "2h"
}

# An issuer the server cannot reach, with its public keys given as a static JWKS.
resource "iam_oidc_issuer" "internal" {
  name = "internal-ci"
  url  = "https://ci.internal.example.com"
  jwks = jsonencode({
    keys = [{ kty = "EC", crv = "P-256", kid = "ci-1", use = "sig", alg = "ES256",
      x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }]
  })
}
