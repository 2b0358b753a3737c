# A member with a built-in role. The server is its own user directory: a login it does not
# know becomes a new user, with this name and email.
resource "iam_organization_member" "alice" {
  login = "alice"
  name  = "Alice Example"
  email = "alice@example.com"
  role  = "member"
}

resource "iam_custom_role" "auditor" {
  name = "auditor"
  grant {
    scopes = ["audit_logs:read"]
  }
}

# A member with a custom role, by ID.
resource "iam_organization_member" "bob" {
  login   = "bob"
  role_id = iam_custom_role.auditor.role_id
}

# Teams take members by login; referring to the member resource orders the operations.
resource "iam_team" "platform" {
  name    = "platform"
  members = [iam_organization_member.alice.login, iam_organization_member.bob.login]
}
