package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// TeamRoleAssignment is iam:index:TeamRoleAssignment: a team holds a role.
type TeamRoleAssignment struct{}

// TeamRoleAssignmentArgs are the inputs of a TeamRoleAssignment.
type TeamRoleAssignmentArgs struct {
	Team         string  `pulumi:"team" provider:"replaceOnChanges"`
	RoleID       string  `pulumi:"roleId" provider:"replaceOnChanges"`
	Organization *string `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// TeamRoleAssignmentState is the assignment's state: its inputs.
type TeamRoleAssignmentState struct {
	TeamRoleAssignmentArgs
}

var (
	_ infer.CustomCheck[TeamRoleAssignmentArgs]                                   = (*TeamRoleAssignment)(nil)
	_ infer.CustomDiff[TeamRoleAssignmentArgs, TeamRoleAssignmentState]           = (*TeamRoleAssignment)(nil)
	_ infer.CustomRead[TeamRoleAssignmentArgs, TeamRoleAssignmentState]           = (*TeamRoleAssignment)(nil)
	_ infer.CustomDelete[TeamRoleAssignmentState]                                 = (*TeamRoleAssignment)(nil)
	_ infer.ExplicitDependencies[TeamRoleAssignmentArgs, TeamRoleAssignmentState] = (*TeamRoleAssignment)(nil)
)

// Annotate describes the resource.
func (r *TeamRoleAssignment) Annotate(a infer.Annotator) {
	a.SetToken("index", "TeamRoleAssignment")
	a.Describe(r, "Gives a team a role: its members and team tokens act with it. A team may hold several roles, one assignment each. "+
		"Changing any input replaces the assignment. Creating an assignment the team holds already fails; import it instead. "+
		"Import with `{organization}/{team}/{roleId}`.")
}

// Annotate describes the inputs.
func (a *TeamRoleAssignmentArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Team, "Name of the team (a Team's `name`).")
	an.Describe(&a.RoleID, "ID of the role (a CustomRole's `roleId` or a built-in role's ID).")
	an.Describe(&a.Organization, "Organization of the team; defaults to the provider's organization.")
}

// WireDependencies: the state is the inputs.
func (*TeamRoleAssignment) WireDependencies(f infer.FieldSelector, args *TeamRoleAssignmentArgs, state *TeamRoleAssignmentState) {
	f.OutputField(&state.Team).DependsOn(f.InputField(&args.Team))
	f.OutputField(&state.RoleID).DependsOn(f.InputField(&args.RoleID))
	f.OutputField(&state.Organization).DependsOn(f.InputField(&args.Organization))
}

func (a TeamRoleAssignmentArgs) mapping() mapping.TeamRoleAssignmentArgs {
	return mapping.TeamRoleAssignmentArgs{Organization: deref(a.Organization), Team: a.Team, RoleID: a.RoleID}
}

// Check validates offline.
func (*TeamRoleAssignment) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[TeamRoleAssignmentArgs], error) {
	args, failures, err := infer.DefaultCheck[TeamRoleAssignmentArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[TeamRoleAssignmentArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckTeamRoleAssignmentWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	return infer.CheckResponse[TeamRoleAssignmentArgs]{Inputs: args, Failures: failures}, nil
}

// Diff replaces the assignment for any change.
func (*TeamRoleAssignment) Diff(_ context.Context, req infer.DiffRequest[TeamRoleAssignmentArgs, TeamRoleAssignmentState]) (infer.DiffResponse, error) {
	return diffResponse(nil, mapping.TeamRoleAssignmentChanges(req.State.mapping(), req.Inputs.mapping())), nil
}

// Create gives the team the role (nothing is called during a preview).
func (*TeamRoleAssignment) Create(ctx context.Context, req infer.CreateRequest[TeamRoleAssignmentArgs]) (infer.CreateResponse[TeamRoleAssignmentState], error) {
	out := TeamRoleAssignmentState{TeamRoleAssignmentArgs: req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[TeamRoleAssignmentState]{Output: out}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[TeamRoleAssignmentState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[TeamRoleAssignmentState]{}, err
	}
	if err := prov.CreateTeamRoleAssignment(ctx, req.Inputs.mapping()); err != nil {
		return infer.CreateResponse[TeamRoleAssignmentState]{}, err
	}
	return infer.CreateResponse[TeamRoleAssignmentState]{ID: mapping.AssignmentID(org, req.Inputs.Team, req.Inputs.RoleID), Output: out}, nil
}

// Read checks that the team still holds the role (refresh and import).
func (*TeamRoleAssignment) Read(ctx context.Context, req infer.ReadRequest[TeamRoleAssignmentArgs, TeamRoleAssignmentState]) (infer.ReadResponse[TeamRoleAssignmentArgs, TeamRoleAssignmentState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[TeamRoleAssignmentArgs, TeamRoleAssignmentState]{}, err
	}
	org, team, roleID, err := prov.ParseAssignmentID(req.ID)
	if err != nil {
		return infer.ReadResponse[TeamRoleAssignmentArgs, TeamRoleAssignmentState]{}, err
	}
	override := deref(req.State.Organization)
	if req.State.Team == "" { // import
		override = prov.ImportOrg(org)
	}
	found, err := prov.ReadTeamRoleAssignment(ctx, mapping.TeamRoleAssignmentArgs{Organization: org, Team: team, RoleID: roleID})
	if err != nil || !found {
		return infer.ReadResponse[TeamRoleAssignmentArgs, TeamRoleAssignmentState]{}, err
	}
	in := TeamRoleAssignmentArgs{Team: team, RoleID: roleID, Organization: ptr(override)}
	return infer.ReadResponse[TeamRoleAssignmentArgs, TeamRoleAssignmentState]{ID: req.ID, Inputs: in, State: TeamRoleAssignmentState{in}}, nil
}

// Delete takes the role from the team; an assignment already gone is fine.
func (*TeamRoleAssignment) Delete(ctx context.Context, req infer.DeleteRequest[TeamRoleAssignmentState]) (infer.DeleteResponse, error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	org, team, roleID, err := prov.ParseAssignmentID(req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, prov.DeleteTeamRoleAssignment(ctx, mapping.TeamRoleAssignmentArgs{Organization: org, Team: team, RoleID: roleID})
}
