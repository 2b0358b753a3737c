package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// Permission is iam:index:Permission, a reusable named scope set.
type Permission struct{}

// PermissionArgs are the inputs of a Permission.
type PermissionArgs struct {
	Name         string   `pulumi:"name"`
	Description  *string  `pulumi:"description,optional"`
	Scopes       []string `pulumi:"scopes"`
	Organization *string  `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// PermissionState is a Permission's state: its inputs as the server has them, plus outputs.
type PermissionState struct {
	PermissionArgs
	PermissionID string `pulumi:"permissionId"`
	Version      int    `pulumi:"version"`
}

var (
	_ infer.CustomCheck[PermissionArgs]                           = (*Permission)(nil)
	_ infer.CustomDiff[PermissionArgs, PermissionState]           = (*Permission)(nil)
	_ infer.CustomUpdate[PermissionArgs, PermissionState]         = (*Permission)(nil)
	_ infer.CustomRead[PermissionArgs, PermissionState]           = (*Permission)(nil)
	_ infer.CustomDelete[PermissionState]                         = (*Permission)(nil)
	_ infer.ExplicitDependencies[PermissionArgs, PermissionState] = (*Permission)(nil)
)

// Annotate describes the resource.
func (r *Permission) Annotate(a infer.Annotator) {
	a.SetToken("index", "Permission")
	a.Describe(r, "A reusable permission: a named set of scopes (a permission descriptor record with uxPurpose `set`) that custom roles grant by ID. "+
		"The scopes must all act on one entity kind (stack, environment or insights account) or all be organization-level. "+
		"Unknown scope names fail at preview with the closest valid name; the order of scopes never matters. "+
		"Import with `{organization}/{permissionId}`.")
}

// Annotate describes the inputs.
func (a *PermissionArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the permission, unique in the organization.")
	an.Describe(&a.Description, "Free-form description.")
	an.Describe(&a.Scopes, "Scopes granted, such as `stack:read` or `stack:delete` (see the getScopes function). Order and duplicates are ignored.")
	an.Describe(&a.Organization, "Organization that owns the permission; defaults to the provider's organization. Changing it replaces the permission.")
}

// Annotate describes the outputs.
func (s *PermissionState) Annotate(a infer.Annotator) {
	a.Describe(&s.PermissionID, "Server-assigned ID of the permission; use it in a CustomRole grant's `permissions`.")
	a.Describe(&s.Version, "Version of the record on the server; it increases with every change.")
}

// WireDependencies keeps permissionId known across in-place updates.
func (*Permission) WireDependencies(f infer.FieldSelector, args *PermissionArgs, state *PermissionState) {
	f.OutputField(&state.PermissionID).DependsOn(f.InputField(&args.Organization))
	f.OutputField(&state.Version).DependsOn(f.InputField(&args.Name), f.InputField(&args.Description),
		f.InputField(&args.Scopes), f.InputField(&args.Organization))
}

func (a PermissionArgs) mapping() mapping.PermissionArgs {
	return mapping.PermissionArgs{Organization: deref(a.Organization), Name: a.Name, Description: deref(a.Description), Scopes: a.Scopes}
}

func permissionArgs(m mapping.PermissionArgs) PermissionArgs {
	return PermissionArgs{Name: m.Name, Description: ptr(m.Description), Scopes: m.Scopes, Organization: ptr(m.Organization)}
}

func (s PermissionState) mapping() mapping.PermissionState {
	return mapping.PermissionState{PermissionArgs: s.PermissionArgs.mapping(), PermissionID: s.PermissionID, Version: s.Version}
}

func permissionState(m mapping.PermissionState) PermissionState {
	return PermissionState{PermissionArgs: permissionArgs(m.PermissionArgs), PermissionID: m.PermissionID, Version: m.Version}
}

// Check validates offline with mapping.CheckPermission and sorts the scopes so that state
// holds them in canonical order.
func (*Permission) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[PermissionArgs], error) {
	args, failures, err := infer.DefaultCheck[PermissionArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[PermissionArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckPermissionWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	if !hasSecretOrUnknown(req.NewInputs.Get("scopes")) && len(args.Scopes) > 0 {
		args.Scopes = mapping.SortedUnique(args.Scopes)
	}
	return infer.CheckResponse[PermissionArgs]{Inputs: args, Failures: failures}, nil
}

// Diff reports in-place updates for name, description and scopes (compared as sets) and a
// replacement for organization.
func (*Permission) Diff(_ context.Context, req infer.DiffRequest[PermissionArgs, PermissionState]) (infer.DiffResponse, error) {
	update, replace := mapping.PermissionChanges(req.State.mapping(), req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create creates the permission (nothing is called during a preview).
func (*Permission) Create(ctx context.Context, req infer.CreateRequest[PermissionArgs]) (infer.CreateResponse[PermissionState], error) {
	if req.DryRun {
		return infer.CreateResponse[PermissionState]{Output: PermissionState{PermissionArgs: req.Inputs, PermissionID: "", Version: 0}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[PermissionState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[PermissionState]{}, err
	}
	st, err := prov.CreatePermission(ctx, req.Inputs.mapping())
	if err != nil {
		return infer.CreateResponse[PermissionState]{}, err
	}
	return infer.CreateResponse[PermissionState]{ID: mapping.ResourceID(org, st.PermissionID), Output: permissionState(st)}, nil
}

// Read reads the permission back (refresh and import); a deleted permission is gone.
func (*Permission) Read(ctx context.Context, req infer.ReadRequest[PermissionArgs, PermissionState]) (infer.ReadResponse[PermissionArgs, PermissionState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[PermissionArgs, PermissionState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[PermissionArgs, PermissionState]{}, err
	}
	override := deref(req.State.Organization)
	if req.State.PermissionID == "" { // import
		override = prov.ImportOrg(org)
	} else {
		id = req.State.PermissionID
	}
	st, found, err := prov.ReadPermission(ctx, org, id)
	if err != nil || !found {
		return infer.ReadResponse[PermissionArgs, PermissionState]{}, err
	}
	st.Organization = override
	out := permissionState(st)
	return infer.ReadResponse[PermissionArgs, PermissionState]{ID: req.ID, Inputs: out.PermissionArgs, State: out}, nil
}

// Update changes the permission in place.
func (*Permission) Update(ctx context.Context, req infer.UpdateRequest[PermissionArgs, PermissionState]) (infer.UpdateResponse[PermissionState], error) {
	if req.DryRun {
		return infer.UpdateResponse[PermissionState]{Output: PermissionState{PermissionArgs: req.Inputs, PermissionID: req.State.PermissionID, Version: req.State.Version}}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[PermissionState]{}, err
	}
	old, in := req.State.mapping(), req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdatePermission(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[PermissionState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	return infer.UpdateResponse[PermissionState]{Output: permissionState(st)}, nil
}

// Delete deletes the permission; one already gone is fine.
func (*Permission) Delete(ctx context.Context, req infer.DeleteRequest[PermissionState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeletePermission(ctx, st)
}
