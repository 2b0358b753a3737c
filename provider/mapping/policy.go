package mapping

import (
	"context"
	"fmt"
)

// A Policy is a reusable record with uxPurpose "policy": the full grammar, given like a
// CustomRole's (grants, with tag selectors and conditions, or raw details), that roles compose
// by ID in a grant's permissions, as they compose permission sets. Its inputs and state are a
// CustomRole's; only the record's purpose differs, so it is validated, compiled, read back and
// diffed by the same code (CheckRole, CompileRole, RoleChanges, CheckRoleEntities).

// CreatePolicy creates the policy.
func (p *Provider) CreatePolicy(ctx context.Context, a CustomRoleArgs) (CustomRoleState, error) {
	return p.createRecord(ctx, policyKind, a)
}

// UpdatePolicy changes the policy in place, expecting the version last read. The server
// refuses a change that would make a role composing it stop compiling.
func (p *Provider) UpdatePolicy(ctx context.Context, old CustomRoleState, a CustomRoleArgs) (CustomRoleState, error) {
	return p.updateRecord(ctx, policyKind, old, a)
}

// DeletePolicy deletes the policy; one already gone is fine. A policy that roles still compose
// is not deleted: the error names them.
func (p *Provider) DeletePolicy(ctx context.Context, st CustomRoleState) error {
	return p.deleteRecord(ctx, st.Organization, st.RoleID, fmt.Sprintf("policy %q", st.Name))
}

// ReadPolicy reads the policy back, as ReadRole reads a role.
func (p *Provider) ReadPolicy(ctx context.Context, orgOverride, id string, prior *CustomRoleArgs) (CustomRoleState, bool, error) {
	return p.readRecord(ctx, policyKind, orgOverride, id, prior)
}
