package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// Policy is iam:index:Policy, a reusable policy (a record with uxPurpose `policy`): grants or
// raw details, as a CustomRole's, that roles compose by ID in a grant's permissions. Its
// mapping is the CustomRole's (mapping.CreatePolicy and friends).
type Policy struct{}

// PolicyArgs are the inputs of a Policy: grants or details, not both.
type PolicyArgs struct {
	RoleFields
	Details *string `pulumi:"details,optional"`
}

// PolicyState is a Policy's state.
type PolicyState struct {
	RoleFields
	PolicyID string `pulumi:"policyId"`
	Version  int    `pulumi:"version"`
	Details  string `pulumi:"details"`
}

var (
	_ infer.CustomCheck[PolicyArgs]                       = (*Policy)(nil)
	_ infer.CustomDiff[PolicyArgs, PolicyState]           = (*Policy)(nil)
	_ infer.CustomUpdate[PolicyArgs, PolicyState]         = (*Policy)(nil)
	_ infer.CustomRead[PolicyArgs, PolicyState]           = (*Policy)(nil)
	_ infer.CustomDelete[PolicyState]                     = (*Policy)(nil)
	_ infer.ExplicitDependencies[PolicyArgs, PolicyState] = (*Policy)(nil)
)

// Annotate describes the resource.
func (r *Policy) Annotate(a infer.Annotator) {
	a.SetToken("index", "Policy")
	a.Describe(r, "A reusable policy (a permission descriptor record with uxPurpose `policy`): grants — with tag selectors and conditions — or raw `details` in the full grammar, "+
		"composed into CustomRoles by ID (`permissions: [${policy.policyId}]`) like permission sets. A change applies to every role that composes it on the next request; "+
		"the server refuses a change that would make one of them invalid, and a delete while one composes it. Import with `{organization}/{policyId}`.")
}

// Annotate describes the inputs.
func (a *PolicyArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Details, "What the policy allows, as raw PermissionDescriptor JSON (any node of the grammar: conditions, IfThenElse, Select, Compose). Conflicts with `grants`.")
}

// Annotate describes the outputs.
func (s *PolicyState) Annotate(a infer.Annotator) {
	a.Describe(&s.PolicyID, "Server-assigned ID of the policy; list it in a CustomRole grant's `permissions`.")
	a.Describe(&s.Version, "Version of the record on the server; it increases with every change.")
	a.Describe(&s.Details, "The policy's PermissionDescriptor tree as the server stores it (canonical JSON).")
}

// WireDependencies keeps policyId known across in-place updates.
func (*Policy) WireDependencies(f infer.FieldSelector, args *PolicyArgs, state *PolicyState) {
	f.OutputField(&state.PolicyID).DependsOn(f.InputField(&args.Organization))
	all := []infer.InputField{f.InputField(&args.Name), f.InputField(&args.Description),
		f.InputField(&args.Organization), f.InputField(&args.Grants), f.InputField(&args.Details)}
	f.OutputField(&state.Version).DependsOn(all...)
	f.OutputField(&state.Details).DependsOn(all...)
}

func (a PolicyArgs) role() CustomRoleArgs { return CustomRoleArgs(a) }

func (s PolicyState) role() CustomRoleState {
	return CustomRoleState{RoleFields: s.RoleFields, RoleID: s.PolicyID, Version: s.Version, Details: s.Details}
}

func policyState(m mapping.CustomRoleState) PolicyState {
	r := roleState(m)
	return PolicyState{RoleFields: r.RoleFields, PolicyID: r.RoleID, Version: r.Version, Details: r.Details}
}

// Check validates as a CustomRole's Check does.
func (*Policy) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[PolicyArgs], error) {
	resp, err := (&CustomRole{}).Check(ctx, req)
	return infer.CheckResponse[PolicyArgs]{Inputs: PolicyArgs(resp.Inputs), Failures: resp.Failures}, err
}

// Diff compares the canonical trees.
func (*Policy) Diff(ctx context.Context, req infer.DiffRequest[PolicyArgs, PolicyState]) (infer.DiffResponse, error) {
	return (&CustomRole{}).Diff(ctx, infer.DiffRequest[CustomRoleArgs, CustomRoleState]{ID: req.ID, Inputs: req.Inputs.role(), State: req.State.role()})
}

// Create creates the policy (nothing is called during a preview).
func (*Policy) Create(ctx context.Context, req infer.CreateRequest[PolicyArgs]) (infer.CreateResponse[PolicyState], error) {
	if req.DryRun {
		return infer.CreateResponse[PolicyState]{Output: PolicyState{RoleFields: req.Inputs.RoleFields}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[PolicyState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[PolicyState]{}, err
	}
	st, err := prov.CreatePolicy(ctx, req.Inputs.role().mapping())
	if err != nil {
		return infer.CreateResponse[PolicyState]{}, err
	}
	return infer.CreateResponse[PolicyState]{ID: mapping.ResourceID(org, st.RoleID), Output: policyState(st)}, nil
}

// Read reads the policy back (refresh and import), as a CustomRole's Read does.
func (*Policy) Read(ctx context.Context, req infer.ReadRequest[PolicyArgs, PolicyState]) (infer.ReadResponse[PolicyArgs, PolicyState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[PolicyArgs, PolicyState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[PolicyArgs, PolicyState]{}, err
	}
	var prior *mapping.CustomRoleArgs
	override := deref(req.State.Organization)
	if req.State.PolicyID == "" { // import
		override = prov.ImportOrg(org)
	} else {
		id = req.State.PolicyID
		in := req.Inputs.role().mapping()
		in.Organization = org
		prior = &in
	}
	st, found, err := prov.ReadPolicy(ctx, org, id, prior)
	if err != nil || !found {
		return infer.ReadResponse[PolicyArgs, PolicyState]{}, err
	}
	st.Organization = override
	return infer.ReadResponse[PolicyArgs, PolicyState]{ID: req.ID, Inputs: PolicyArgs(roleArgs(st.CustomRoleArgs)), State: policyState(st)}, nil
}

// Update changes the policy in place.
func (*Policy) Update(ctx context.Context, req infer.UpdateRequest[PolicyArgs, PolicyState]) (infer.UpdateResponse[PolicyState], error) {
	if req.DryRun {
		out := req.State
		out.RoleFields = req.Inputs.RoleFields
		return infer.UpdateResponse[PolicyState]{Output: out}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[PolicyState]{}, err
	}
	old, in := req.State.role().mapping(), req.Inputs.role().mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdatePolicy(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[PolicyState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	return infer.UpdateResponse[PolicyState]{Output: policyState(st)}, nil
}

// Delete deletes the policy; one already gone is fine, one still composed is refused.
func (*Policy) Delete(ctx context.Context, req infer.DeleteRequest[PolicyState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.role().mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeletePolicy(ctx, st)
}
