// Manage Pulumi Cloud-compatible IAM as code: reusable permissions (scope sets), custom roles that grant them on stacks, environments and insights accounts, and role-scoped, expiring organization access tokens.
package iam
