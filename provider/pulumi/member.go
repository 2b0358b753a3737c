package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// OrganizationMember is iam:index:OrganizationMember, a user's membership of the organization.
type OrganizationMember struct{}

// MemberArgs are the inputs of an OrganizationMember.
type MemberArgs struct {
	Login        string  `pulumi:"login" provider:"replaceOnChanges"`
	Role         *string `pulumi:"role,optional"`
	RoleID       *string `pulumi:"roleId,optional"`
	Name         *string `pulumi:"name,optional"`
	Email        *string `pulumi:"email,optional"`
	Organization *string `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// MemberState is a member's state: its inputs as the server has them.
type MemberState struct {
	MemberArgs
}

var (
	_ infer.CustomCheck[MemberArgs]                       = (*OrganizationMember)(nil)
	_ infer.CustomDiff[MemberArgs, MemberState]           = (*OrganizationMember)(nil)
	_ infer.CustomUpdate[MemberArgs, MemberState]         = (*OrganizationMember)(nil)
	_ infer.CustomRead[MemberArgs, MemberState]           = (*OrganizationMember)(nil)
	_ infer.CustomDelete[MemberState]                     = (*OrganizationMember)(nil)
	_ infer.ExplicitDependencies[MemberArgs, MemberState] = (*OrganizationMember)(nil)
)

// Annotate describes the resource.
func (r *OrganizationMember) Annotate(a infer.Annotator) {
	a.SetToken("index", "OrganizationMember")
	a.Describe(r, "A user's membership of the organization, with a built-in role (`role`) or any role by ID (`roleId`). "+
		"The server is its own user directory: adding a login it does not know creates the user, with `name` and `email`. "+
		"Deleting the resource removes the member from the organization and from its teams, and stops their personal tokens; the server refuses to remove the last admin. "+
		"Import with `{organization}/{login}`.")
}

// Annotate describes the inputs.
func (a *MemberArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Login, "Login of the user. Changing it replaces the membership.")
	an.Describe(&a.Role, "Built-in role: `admin`, `member` or `billing-manager`. Conflicts with `roleId`; one of them is required.")
	an.Describe(&a.RoleID, "ID of the member's role (a CustomRole's `roleId`). Conflicts with `role`; one of them is required.")
	an.Describe(&a.Name, "Display name of a user the server creates; an existing user keeps theirs, and a change is recorded only.")
	an.Describe(&a.Email, "Email of a user the server creates; an existing user keeps theirs, and a change is recorded only.")
	an.Describe(&a.Organization, "Organization; defaults to the provider's organization. Changing it replaces the membership.")
}

// WireDependencies: the state is the inputs.
func (*OrganizationMember) WireDependencies(f infer.FieldSelector, args *MemberArgs, state *MemberState) {
	f.OutputField(&state.Login).DependsOn(f.InputField(&args.Login))
	f.OutputField(&state.Role).DependsOn(f.InputField(&args.Role))
	f.OutputField(&state.RoleID).DependsOn(f.InputField(&args.RoleID))
	f.OutputField(&state.Name).DependsOn(f.InputField(&args.Name))
	f.OutputField(&state.Email).DependsOn(f.InputField(&args.Email))
	f.OutputField(&state.Organization).DependsOn(f.InputField(&args.Organization))
}

func (a MemberArgs) mapping() mapping.MemberArgs {
	return mapping.MemberArgs{Organization: deref(a.Organization), Login: a.Login, Role: deref(a.Role), RoleID: deref(a.RoleID), Name: deref(a.Name), Email: deref(a.Email)}
}

func memberArgs(m mapping.MemberArgs) MemberArgs {
	return MemberArgs{Login: m.Login, Role: ptr(m.Role), RoleID: ptr(m.RoleID), Name: ptr(m.Name), Email: ptr(m.Email), Organization: ptr(m.Organization)}
}

// Check validates offline.
func (*OrganizationMember) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[MemberArgs], error) {
	args, failures, err := infer.DefaultCheck[MemberArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[MemberArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckMemberWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	return infer.CheckResponse[MemberArgs]{Inputs: args, Failures: failures}, nil
}

// Diff replaces the membership for a new login or organization; the rest is in place.
func (*OrganizationMember) Diff(_ context.Context, req infer.DiffRequest[MemberArgs, MemberState]) (infer.DiffResponse, error) {
	update, replace := mapping.MemberChanges(mapping.MemberState{MemberArgs: req.State.mapping()}, req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create adds the member (nothing is called during a preview).
func (*OrganizationMember) Create(ctx context.Context, req infer.CreateRequest[MemberArgs]) (infer.CreateResponse[MemberState], error) {
	if req.DryRun {
		return infer.CreateResponse[MemberState]{Output: MemberState{MemberArgs: req.Inputs}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[MemberState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[MemberState]{}, err
	}
	st, created, err := prov.CreateMember(ctx, req.Inputs.mapping())
	if err != nil && !created {
		return infer.CreateResponse[MemberState]{}, err
	}
	resp := infer.CreateResponse[MemberState]{ID: mapping.ResourceID(org, st.Login), Output: MemberState{MemberArgs: memberArgs(st.MemberArgs)}}
	if err != nil {
		return resp, infer.ResourceInitFailedError{Reasons: []string{rename(err).Error()}}
	}
	return resp, nil
}

// Read reads the membership back (refresh and import); a role changed outside Pulumi shows as
// a diff, and a member who left is gone.
func (*OrganizationMember) Read(ctx context.Context, req infer.ReadRequest[MemberArgs, MemberState]) (infer.ReadResponse[MemberArgs, MemberState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[MemberArgs, MemberState]{}, err
	}
	org, login, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[MemberArgs, MemberState]{}, err
	}
	prior := req.State.mapping()
	override := prior.Organization
	if prior.Login == "" { // import
		override = prov.ImportOrg(org)
	}
	prior.Organization, prior.Login = org, login
	st, found, err := prov.ReadMember(ctx, prior)
	if err != nil || !found {
		return infer.ReadResponse[MemberArgs, MemberState]{}, err
	}
	st.Organization = override
	out := MemberState{MemberArgs: memberArgs(st.MemberArgs)}
	return infer.ReadResponse[MemberArgs, MemberState]{ID: req.ID, Inputs: out.MemberArgs, State: out}, nil
}

// Update changes the member's role in place.
func (*OrganizationMember) Update(ctx context.Context, req infer.UpdateRequest[MemberArgs, MemberState]) (infer.UpdateResponse[MemberState], error) {
	if req.DryRun {
		return infer.UpdateResponse[MemberState]{Output: MemberState{MemberArgs: req.Inputs}}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[MemberState]{}, err
	}
	old, in := mapping.MemberState{MemberArgs: req.State.mapping()}, req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	if _, err := prov.UpdateMember(ctx, old, in); err != nil {
		return infer.UpdateResponse[MemberState]{}, err
	}
	return infer.UpdateResponse[MemberState]{Output: MemberState{MemberArgs: req.Inputs}}, nil
}

// Delete removes the member; one already gone is fine.
func (*OrganizationMember) Delete(ctx context.Context, req infer.DeleteRequest[MemberState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := mapping.MemberState{MemberArgs: req.State.mapping()}
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteMember(ctx, st)
}
