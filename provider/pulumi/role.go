package pulumi

import (
	"context"
	"errors"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

// CustomRole is iam:index:CustomRole, an organization role built from grants or raw details.
type CustomRole struct{}

// Grant is one grant of a CustomRole (object type iam:index:Grant).
type Grant struct {
	Permissions      []string          `pulumi:"permissions,optional"`
	Scopes           []string          `pulumi:"scopes,optional"`
	Stacks           []string          `pulumi:"stacks,optional"`
	Environments     []string          `pulumi:"environments,optional"`
	InsightsAccounts []string          `pulumi:"insightsAccounts,optional"`
	StackTags        map[string]string `pulumi:"stackTags,optional"`
	EnvironmentTags  map[string]string `pulumi:"environmentTags,optional"`
	Condition        *string           `pulumi:"condition,optional"`
	MaxOpenDuration  *string           `pulumi:"maxOpenDuration,optional"`
}

// RoleFields are the fields CustomRole inputs and state share.
type RoleFields struct {
	Name         string  `pulumi:"name"`
	Description  *string `pulumi:"description,optional"`
	Organization *string `pulumi:"organization,optional" provider:"replaceOnChanges"`
	Grants       []Grant `pulumi:"grants,optional"`
}

// CustomRoleArgs are the inputs of a CustomRole: grants or details, not both.
type CustomRoleArgs struct {
	RoleFields
	Details *string `pulumi:"details,optional"`
}

// CustomRoleState is a CustomRole's state. Its details output is the canonical tree the server
// stores, whichever of grants and details the program used.
type CustomRoleState struct {
	RoleFields
	RoleID  string `pulumi:"roleId"`
	Version int    `pulumi:"version"`
	Details string `pulumi:"details"`
}

var (
	_ infer.CustomCheck[CustomRoleArgs]                           = (*CustomRole)(nil)
	_ infer.CustomDiff[CustomRoleArgs, CustomRoleState]           = (*CustomRole)(nil)
	_ infer.CustomUpdate[CustomRoleArgs, CustomRoleState]         = (*CustomRole)(nil)
	_ infer.CustomRead[CustomRoleArgs, CustomRoleState]           = (*CustomRole)(nil)
	_ infer.CustomDelete[CustomRoleState]                         = (*CustomRole)(nil)
	_ infer.ExplicitDependencies[CustomRoleArgs, CustomRoleState] = (*CustomRole)(nil)
)

// Annotate describes the resource.
func (r *CustomRole) Annotate(a infer.Annotator) {
	a.SetToken("index", "CustomRole")
	a.Describe(r, "A custom organization role (a permission descriptor record with uxPurpose `role`), given either as `grants` or as raw `details`. "+
		"Grants are additive; a grant that lists no stacks, environments or insights accounts applies organization-wide. "+
		"Changes are compared on the canonical tree the server stores, so the order of the lists inside a grant never shows as a diff (the order of the grants themselves does), and `pulumi refresh` reports changes made outside Pulumi. "+
		"Import with `{organization}/{roleId}`.")
}

// Annotate describes a grant.
func (g *Grant) Annotate(a infer.Annotator) {
	a.SetToken("index", "Grant")
	a.Describe(g, "One grant of a custom role or policy: permissions and scopes, on the listed entities, on the stacks or environments with the given tags, on the entities a condition holds for, or organization-wide when none of these is given.")
	a.Describe(&g.Permissions, "Permissions granted: Permission IDs, Policy IDs, or built-in permission sets such as `stack-read`, `stack-write`, `stack-admin`, `environment-open`.")
	a.Describe(&g.Scopes, "Scopes granted directly, such as `stack:read`; each must act on the kind of entity the grant lists (organization-level scopes only in a grant that lists none).")
	a.Describe(&g.Stacks, "Stacks the grant applies to, as `project/stack`.")
	a.Describe(&g.Environments, "Environments the grant applies to, as `project/environment`.")
	a.Describe(&g.InsightsAccounts, "Insights accounts the grant applies to, by name.")
	a.Describe(&g.StackTags, "Stacks the grant applies to by their tags, such as `{env: dev}`: every pair must match (separate grants add up). A stack tagged later is covered on its next request, and one retagged loses the grant. Conflicts with `stacks` in the same grant.")
	a.Describe(&g.EnvironmentTags, "Environments the grant applies to by their tags, such as `{env: dev}`: every pair must match. Conflicts with `environments` in the same grant.")
	a.Describe(&g.Condition, "A condition on the entities of one kind, in the condition language (a subset of CEL), such as `stack.tags.env == \"dev\" && stack.tags.team in [\"payments\", \"billing\"]`; And-ed with the grant's list or tags of that kind. See docs/conditions.md.")
	a.Describe(&g.MaxOpenDuration, "How long environments may be opened under this grant's scopes (which must include `environment:open`), such as `1h`: the `MaxOpenDuration` constraint.")
}

// Annotate describes the shared fields.
func (f *RoleFields) Annotate(a infer.Annotator) {
	a.Describe(&f.Name, "Name of the role, unique in the organization.")
	a.Describe(&f.Description, "Free-form description.")
	a.Describe(&f.Organization, "Organization that owns the role; defaults to the provider's organization. Changing it replaces the role.")
	a.Describe(&f.Grants, "What the role allows, as a list of grants. Conflicts with `details`.")
}

// Annotate describes the inputs.
func (a *CustomRoleArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Details, "What the role allows, as raw PermissionDescriptor JSON (the `details` tree of the IAM API, discriminated by `__type`), for roles built elsewhere. Conflicts with `grants`.")
}

// Annotate describes the outputs.
func (s *CustomRoleState) Annotate(a infer.Annotator) {
	a.Describe(&s.RoleID, "Server-assigned ID of the role; use it as an OrganizationAccessToken's `roleId`.")
	a.Describe(&s.Version, "Version of the record on the server; it increases with every change.")
	a.Describe(&s.Details, "The role's PermissionDescriptor tree as the server stores it (canonical JSON), whichever of `grants` and `details` defined it.")
}

// WireDependencies keeps roleId known across in-place updates, so that tokens using it do not
// show as replaced in a preview.
func (*CustomRole) WireDependencies(f infer.FieldSelector, args *CustomRoleArgs, state *CustomRoleState) {
	f.OutputField(&state.RoleID).DependsOn(f.InputField(&args.Organization))
	all := []infer.InputField{f.InputField(&args.Name), f.InputField(&args.Description),
		f.InputField(&args.Organization), f.InputField(&args.Grants), f.InputField(&args.Details)}
	f.OutputField(&state.Version).DependsOn(all...)
	f.OutputField(&state.Details).DependsOn(all...)
}

func (g Grant) mapping() mapping.Grant {
	return mapping.Grant{Permissions: g.Permissions, Scopes: g.Scopes,
		Refs:      authz.Refs{Stacks: g.Stacks, Environments: g.Environments, InsightsAccounts: g.InsightsAccounts},
		StackTags: g.StackTags, EnvironmentTags: g.EnvironmentTags, Condition: deref(g.Condition), MaxOpenDuration: deref(g.MaxOpenDuration)}
}

func grantOf(m mapping.Grant) Grant {
	return Grant{Permissions: m.Permissions, Scopes: m.Scopes, Stacks: m.Stacks, Environments: m.Environments, InsightsAccounts: m.InsightsAccounts,
		StackTags: emptyNil(m.StackTags), EnvironmentTags: emptyNil(m.EnvironmentTags), Condition: ptr(m.Condition), MaxOpenDuration: ptr(m.MaxOpenDuration)}
}

// emptyNil is nil for an empty map, so that an absent selector stays absent in state.
func emptyNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func grantsToMapping(gs []Grant) []mapping.Grant {
	if gs == nil {
		return nil
	}
	out := make([]mapping.Grant, len(gs))
	for i, g := range gs {
		out[i] = g.mapping()
	}
	return out
}

func grantsFromMapping(gs []mapping.Grant) []Grant {
	if gs == nil {
		return nil
	}
	out := make([]Grant, len(gs))
	for i, g := range gs {
		out[i] = grantOf(g)
	}
	return out
}

func (a CustomRoleArgs) mapping() mapping.CustomRoleArgs {
	return mapping.CustomRoleArgs{Organization: deref(a.Organization), Name: a.Name, Description: deref(a.Description),
		Grants: grantsToMapping(a.Grants), Details: deref(a.Details)}
}

func roleArgs(m mapping.CustomRoleArgs) CustomRoleArgs {
	return CustomRoleArgs{RoleFields: RoleFields{Name: m.Name, Description: ptr(m.Description), Organization: ptr(m.Organization),
		Grants: grantsFromMapping(m.Grants)}, Details: ptr(m.Details)}
}

func (s CustomRoleState) mapping() mapping.CustomRoleState {
	return mapping.CustomRoleState{
		CustomRoleArgs: mapping.CustomRoleArgs{Organization: deref(s.Organization), Name: s.Name, Description: deref(s.Description), Grants: grantsToMapping(s.Grants)},
		RoleID:         s.RoleID, Version: s.Version, CanonicalDetails: s.Details,
	}
}

func roleState(m mapping.CustomRoleState) CustomRoleState {
	return CustomRoleState{RoleFields: roleArgs(m.CustomRoleArgs).RoleFields, RoleID: m.RoleID, Version: m.Version, Details: m.CanonicalDetails}
}

// Check validates offline with mapping.CheckRoleWithUnknowns (inputs not known yet, say the ID
// of a Permission created in the same run, get stand-ins), then looks up the entities the
// grants name (mapping.CheckRoleEntities), so that a stack that does not exist fails the
// preview. Each grant's lists are sorted when fully known.
func (*CustomRole) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[CustomRoleArgs], error) {
	args, failures, err := infer.DefaultCheck[CustomRoleArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[CustomRoleArgs]{Inputs: args, Failures: failures}, err
	}
	markEmptyLists(req.NewInputs, args.Grants)
	unknowns := findUnknowns(req.NewInputs)
	failures = checkFailures(mapping.CheckRoleWithUnknowns(args.mapping(), unknowns))
	if len(failures) == 0 {
		// Stacks, environments and insights accounts named at preview must exist: the provider
		// does not create them, so the apply would fail. (Read-only lookups; names not known
		// yet are left to the apply. Without a configured provider, say settings not known
		// yet, Create and Diff report it.)
		if prov, perr := provider(ctx); perr == nil {
			var ps mapping.Problems
			switch err := prov.CheckRoleEntities(ctx, args.mapping(), unknowns); {
			case errors.As(err, &ps):
				failures = checkFailures(ps)
			case err != nil:
				return infer.CheckResponse[CustomRoleArgs]{Inputs: args}, err
			}
		}
	}

	if grants := req.NewInputs.Get("grants"); grants.IsArray() {
		for i, g := range grants.AsArray().All {
			if i < len(args.Grants) && !g.HasComputed() && !g.HasSecrets() {
				args.Grants[i] = grantOf(mapping.NormalizeGrant(args.Grants[i].mapping()))
			}
		}
	}
	return infer.CheckResponse[CustomRoleArgs]{Inputs: args, Failures: failures}, nil
}

// markEmptyLists keeps an entity list given empty (`stacks: []`) as an empty, non-nil list, which
// infer decodes as absent: mapping refuses it rather than read the grant as organization-wide.
func markEmptyLists(inputs property.Map, grants []Grant) {
	gs := inputs.Get("grants")
	if !gs.IsArray() {
		return
	}
	for i, g := range gs.AsArray().All {
		if i >= len(grants) || !g.IsMap() {
			continue
		}
		for field, list := range map[string]*[]string{"stacks": &grants[i].Stacks, "environments": &grants[i].Environments, "insightsAccounts": &grants[i].InsightsAccounts} {
			if v := g.AsMap().Get(field); v.IsArray() && v.AsArray().Len() == 0 {
				*list = []string{}
			}
		}
	}
}

// Diff compares the canonical trees (mapping.RoleChanges compiles the inputs through the API).
// Inputs not known yet never reach it: diffUnknowns reports them as changes.
func (*CustomRole) Diff(ctx context.Context, req infer.DiffRequest[CustomRoleArgs, CustomRoleState]) (infer.DiffResponse, error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.DiffResponse{}, err
	}
	update, replace, err := prov.RoleChanges(ctx, req.State.mapping(), req.Inputs.mapping())
	if err != nil {
		return infer.DiffResponse{}, err
	}
	return diffResponse(update, replace), nil
}

// Create creates the role (nothing is called during a preview).
func (*CustomRole) Create(ctx context.Context, req infer.CreateRequest[CustomRoleArgs]) (infer.CreateResponse[CustomRoleState], error) {
	if req.DryRun {
		return infer.CreateResponse[CustomRoleState]{Output: CustomRoleState{RoleFields: req.Inputs.RoleFields}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[CustomRoleState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[CustomRoleState]{}, err
	}
	st, err := prov.CreateRole(ctx, req.Inputs.mapping())
	if err != nil {
		return infer.CreateResponse[CustomRoleState]{}, err
	}
	return infer.CreateResponse[CustomRoleState]{ID: mapping.ResourceID(org, st.RoleID), Output: roleState(st)}, nil
}

// Read reads the role back (refresh and import): the prior inputs are kept while they still
// compile to the server's tree; otherwise they are rebuilt from it, which reports drift.
func (*CustomRole) Read(ctx context.Context, req infer.ReadRequest[CustomRoleArgs, CustomRoleState]) (infer.ReadResponse[CustomRoleArgs, CustomRoleState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[CustomRoleArgs, CustomRoleState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[CustomRoleArgs, CustomRoleState]{}, err
	}
	var prior *mapping.CustomRoleArgs
	override := deref(req.State.Organization)
	if req.State.RoleID == "" { // import
		override = prov.ImportOrg(org)
	} else {
		id = req.State.RoleID
		in := req.Inputs.mapping()
		in.Organization = org
		prior = &in
	}
	st, found, err := prov.ReadRole(ctx, org, id, prior)
	if err != nil || !found {
		return infer.ReadResponse[CustomRoleArgs, CustomRoleState]{}, err
	}
	st.Organization = override
	return infer.ReadResponse[CustomRoleArgs, CustomRoleState]{ID: req.ID, Inputs: roleArgs(st.CustomRoleArgs), State: roleState(st)}, nil
}

// Update changes the role in place.
func (*CustomRole) Update(ctx context.Context, req infer.UpdateRequest[CustomRoleArgs, CustomRoleState]) (infer.UpdateResponse[CustomRoleState], error) {
	if req.DryRun {
		out := req.State
		out.RoleFields = req.Inputs.RoleFields
		return infer.UpdateResponse[CustomRoleState]{Output: out}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[CustomRoleState]{}, err
	}
	old, in := req.State.mapping(), req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdateRole(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[CustomRoleState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	return infer.UpdateResponse[CustomRoleState]{Output: roleState(st)}, nil
}

// Delete deletes the role; one already gone is fine.
func (*CustomRole) Delete(ctx context.Context, req infer.DeleteRequest[CustomRoleState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteRole(ctx, st)
}
