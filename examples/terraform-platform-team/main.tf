# A platform team of two members: the team may read the myapp/prod stack and open its
# environment, one member may also read myapp/dev, and the team has its own token for CI.
# The Terraform twin of examples/platform-team.
#
# Needs an iamref server whose organization has stacks myapp/prod and myapp/dev and environment
# myapp/prod (see examples/terraform/README.md for installing the provider without a registry).

terraform {
  required_providers {
    iam = {
      source = "iamref/iam"
    }
  }
}

provider "iam" {
  api_url      = var.api_url
  access_token = var.access_token # null: IAM_ACCESS_TOKEN, then PULUMI_ACCESS_TOKEN
  organization = var.organization
}

# The extra role alice holds directly, as her organization role: she also reads myapp/dev.
resource "iam_custom_role" "dev_reader" {
  name        = "dev-reader"
  description = "Reads ${var.project}/dev."

  grant {
    scopes = ["stack:read"]
    stacks = ["${var.project}/dev"]
  }
}

# Two organization members; the server creates the users it does not know.
resource "iam_organization_member" "alice" {
  login   = "alice"
  name    = "Alice Example"
  email   = "alice@example.com"
  role_id = iam_custom_role.dev_reader.role_id
}

resource "iam_organization_member" "bob" {
  login = "bob"
  name  = "Bob Example"
  email = "bob@example.com"
  role  = "member"
}

locals {
  members = {
    alice = iam_organization_member.alice.login
    bob   = iam_organization_member.bob.login
  }
}

# The team; referring to the members' logins creates them first.
resource "iam_team" "platform" {
  name         = "platform"
  display_name = "Platform"
  description  = "Runs ${var.project} in production."
  members      = [for login in var.team_members : local.members[login]]
}

# What the team may do: read myapp/prod and open its environment.
resource "iam_custom_role" "prod_reader" {
  name        = "platform-prod-reader"
  description = "Reads ${var.project}/prod and opens its environment."

  grant {
    scopes = ["stack:read"]
    stacks = ["${var.project}/prod"]
  }

  grant {
    scopes       = ["environment:open"]
    environments = ["${var.project}/prod"]
  }
}

resource "iam_team_role_assignment" "platform_prod" {
  team    = iam_team.platform.name
  role_id = iam_custom_role.prod_reader.role_id
}

# The team's token: it acts as the team (its roles apply), renewed a week before it expires.
resource "iam_team_access_token" "platform" {
  team          = iam_team.platform.name
  name          = "platform-ci"
  description   = "CI for the platform team"
  expires_in    = "720h"
  rotate_before = "168h"

  # The token is useful only once the team holds its role.
  depends_on = [iam_team_role_assignment.platform_prod]
}
