package pulumi

import (
	"context"
	"slices"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// Team is iam:index:Team, a team of organization members.
type Team struct{}

// TeamArgs are the inputs of a Team.
type TeamArgs struct {
	Name         string   `pulumi:"name" provider:"replaceOnChanges"`
	DisplayName  *string  `pulumi:"displayName,optional"`
	Description  *string  `pulumi:"description,optional"`
	Members      []string `pulumi:"members,optional"`
	Organization *string  `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// TeamState is a Team's state: its inputs as the server has them.
type TeamState struct {
	TeamArgs
}

var (
	_ infer.CustomCheck[TeamArgs]                     = (*Team)(nil)
	_ infer.CustomDiff[TeamArgs, TeamState]           = (*Team)(nil)
	_ infer.CustomUpdate[TeamArgs, TeamState]         = (*Team)(nil)
	_ infer.CustomRead[TeamArgs, TeamState]           = (*Team)(nil)
	_ infer.CustomDelete[TeamState]                   = (*Team)(nil)
	_ infer.ExplicitDependencies[TeamArgs, TeamState] = (*Team)(nil)
)

// Annotate describes the resource.
func (r *Team) Annotate(a infer.Annotator) {
	a.SetToken("index", "Team")
	a.Describe(r, "A team of organization members. Give it roles with TeamRoleAssignment; its members and team tokens act with them. "+
		"Members are logins of organization members (see OrganizationMember); their order never matters, and members added or removed outside Pulumi show as a diff after a refresh. "+
		"Import with `{organization}/{name}`.")
}

// Annotate describes the inputs.
func (a *TeamArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the team, unique in the organization (letters, digits, `-`, `_`, `.`; at most 40 characters). Changing it replaces the team.")
	an.Describe(&a.DisplayName, "Name shown for the team.")
	an.Describe(&a.Description, "Free-form description.")
	an.Describe(&a.Members, "Logins of the organization members in the team. Order and duplicates are ignored.")
	an.Describe(&a.Organization, "Organization of the team; defaults to the provider's organization. Changing it replaces the team.")
}

// WireDependencies: the state is the inputs.
func (*Team) WireDependencies(f infer.FieldSelector, args *TeamArgs, state *TeamState) {
	f.OutputField(&state.Name).DependsOn(f.InputField(&args.Name))
	f.OutputField(&state.DisplayName).DependsOn(f.InputField(&args.DisplayName))
	f.OutputField(&state.Description).DependsOn(f.InputField(&args.Description))
	f.OutputField(&state.Members).DependsOn(f.InputField(&args.Members))
	f.OutputField(&state.Organization).DependsOn(f.InputField(&args.Organization))
}

func (a TeamArgs) mapping() mapping.TeamArgs {
	return mapping.TeamArgs{Organization: deref(a.Organization), Name: a.Name, DisplayName: deref(a.DisplayName), Description: deref(a.Description), Members: a.Members}
}

func teamArgs(m mapping.TeamArgs) TeamArgs {
	return TeamArgs{Name: m.Name, DisplayName: ptr(m.DisplayName), Description: ptr(m.Description), Members: m.Members, Organization: ptr(m.Organization)}
}

// Check validates offline and sorts the members so that state holds them in canonical order.
func (*Team) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[TeamArgs], error) {
	args, failures, err := infer.DefaultCheck[TeamArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[TeamArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckTeamWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	if !hasSecretOrUnknown(req.NewInputs.Get("members")) && len(args.Members) > 0 {
		args.Members = mapping.SortedUnique(args.Members)
	}
	return infer.CheckResponse[TeamArgs]{Inputs: args, Failures: failures}, nil
}

// Diff replaces the team for a new name or organization and updates the rest in place.
func (*Team) Diff(_ context.Context, req infer.DiffRequest[TeamArgs, TeamState]) (infer.DiffResponse, error) {
	update, replace := mapping.TeamChanges(mapping.TeamState{TeamArgs: req.State.mapping()}, req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create creates the team and adds its members (nothing is called during a preview). When a
// member cannot be added, the team is recorded with the members added so far.
func (*Team) Create(ctx context.Context, req infer.CreateRequest[TeamArgs]) (infer.CreateResponse[TeamState], error) {
	if req.DryRun {
		return infer.CreateResponse[TeamState]{Output: TeamState{TeamArgs: req.Inputs}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[TeamState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[TeamState]{}, err
	}
	st, created, err := prov.CreateTeam(ctx, req.Inputs.mapping())
	if err != nil && !created {
		return infer.CreateResponse[TeamState]{}, err
	}
	resp := infer.CreateResponse[TeamState]{ID: mapping.ResourceID(org, st.Name), Output: TeamState{TeamArgs: teamArgs(st.TeamArgs)}}
	if err != nil {
		return resp, infer.ResourceInitFailedError{Reasons: []string{rename(err).Error()}}
	}
	return resp, nil
}

// Read reads the team back (refresh and import); members changed outside Pulumi show as a
// diff, and a deleted team is gone.
func (*Team) Read(ctx context.Context, req infer.ReadRequest[TeamArgs, TeamState]) (infer.ReadResponse[TeamArgs, TeamState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[TeamArgs, TeamState]{}, err
	}
	org, name, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[TeamArgs, TeamState]{}, err
	}
	override := deref(req.State.Organization)
	if req.State.Name == "" { // import
		override = prov.ImportOrg(org)
	}
	st, found, err := prov.ReadTeam(ctx, mapping.TeamArgs{Organization: org, Name: name, DisplayName: deref(req.State.DisplayName)})
	if err != nil || !found {
		return infer.ReadResponse[TeamArgs, TeamState]{}, err
	}
	st.Organization = override
	if st.Members == nil && req.State.Members != nil {
		st.Members = []string{} // an empty list stays an empty list
	}
	if slices.Equal(mapping.SortedUnique(req.State.Members), st.Members) {
		st.Members = req.State.Members
	}
	out := TeamState{TeamArgs: teamArgs(st.TeamArgs)}
	return infer.ReadResponse[TeamArgs, TeamState]{ID: req.ID, Inputs: out.TeamArgs, State: out}, nil
}

// Update changes display name, description and members in place, writing only what changed.
func (*Team) Update(ctx context.Context, req infer.UpdateRequest[TeamArgs, TeamState]) (infer.UpdateResponse[TeamState], error) {
	if req.DryRun {
		return infer.UpdateResponse[TeamState]{Output: TeamState{TeamArgs: req.Inputs}}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[TeamState]{}, err
	}
	old, in := mapping.TeamState{TeamArgs: req.State.mapping()}, req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdateTeam(ctx, old, in)
	st.Organization = deref(req.Inputs.Organization)
	resp := infer.UpdateResponse[TeamState]{Output: TeamState{TeamArgs: teamArgs(st.TeamArgs)}}
	if err != nil {
		st.Organization = deref(req.State.Organization)
		resp.Output = TeamState{TeamArgs: teamArgs(st.TeamArgs)}
		return resp, infer.ResourceInitFailedError{Reasons: []string{rename(err).Error()}}
	}
	return resp, nil
}

// Delete deletes the team; one already gone is fine.
func (*Team) Delete(ctx context.Context, req infer.DeleteRequest[TeamState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := mapping.TeamState{TeamArgs: req.State.mapping()}
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteTeam(ctx, st)
}
