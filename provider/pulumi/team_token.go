package pulumi

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// TeamAccessToken is iam:index:TeamAccessToken, a token that acts as a team.
type TeamAccessToken struct{}

// TeamTokenArgs are the inputs of a TeamAccessToken.
type TeamTokenArgs struct {
	Team         string  `pulumi:"team" provider:"replaceOnChanges"`
	Name         string  `pulumi:"name" provider:"replaceOnChanges"`
	Description  *string `pulumi:"description,optional" provider:"replaceOnChanges"`
	ExpiresIn    *string `pulumi:"expiresIn,optional" provider:"replaceOnChanges"`
	RotateBefore *string `pulumi:"rotateBefore,optional"`
	Organization *string `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// TeamTokenState is a team token's state: its inputs plus the server's name, ID, value and expiry.
type TeamTokenState struct {
	TeamTokenArgs
	TokenID   string  `pulumi:"tokenId"`
	TokenName string  `pulumi:"tokenName"`
	Value     string  `pulumi:"value" provider:"secret"`
	ExpiresAt *string `pulumi:"expiresAt,optional"`
}

var (
	_ infer.CustomCheck[TeamTokenArgs]                          = (*TeamAccessToken)(nil)
	_ infer.CustomDiff[TeamTokenArgs, TeamTokenState]           = (*TeamAccessToken)(nil)
	_ infer.CustomUpdate[TeamTokenArgs, TeamTokenState]         = (*TeamAccessToken)(nil)
	_ infer.CustomRead[TeamTokenArgs, TeamTokenState]           = (*TeamAccessToken)(nil)
	_ infer.CustomDelete[TeamTokenState]                        = (*TeamAccessToken)(nil)
	_ infer.ExplicitDependencies[TeamTokenArgs, TeamTokenState] = (*TeamAccessToken)(nil)
)

// Annotate describes the resource.
func (r *TeamAccessToken) Annotate(a infer.Annotator) {
	a.SetToken("index", "TeamAccessToken")
	a.Describe(r, "A team access token: it acts with the team's roles, and follows changes to them. "+
		"Tokens cannot be edited: changing any input but `rotateBefore` creates a new token before deleting the old one. "+
		"The secret `value` is known only from creation and is kept in state across refreshes. "+
		"With `expiresIn` and `rotateBefore`, an update run once less than `rotateBefore` of validity remains replaces the token. "+
		"Token names share the organization's namespace and stay reserved after deletion, so a replacement is named `<name>-2`, `<name>-3`, … (see `tokenName`). "+
		"Import with `{organization}/{tokenId}`; an imported token has no value.")
}

// Annotate describes the inputs.
func (a *TeamTokenArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Team, "Name of the team the token acts as (a Team's `name`). Changing it replaces the token.")
	an.Describe(&a.Name, "Name of the token (at most 40 characters). Changing it replaces the token.")
	an.Describe(&a.Description, "Free-form description. Changing it replaces the token.")
	an.Describe(&a.ExpiresIn, "Validity from creation, as a duration such as `720h` or `30d` (at most two years). Omit it for a token that never expires. Changing it replaces the token.")
	an.Describe(&a.RotateBefore, "Renew early: once less than this duration of validity remains (such as `168h` or `7d`), the next update replaces the token. Needs `expiresIn`. Changing it does not replace the token.")
	an.Describe(&a.Organization, "Organization of the team; defaults to the provider's organization. Changing it replaces the token.")
}

// Annotate describes the outputs.
func (s *TeamTokenState) Annotate(a infer.Annotator) {
	a.Describe(&s.TokenID, "Server-assigned ID of the token.")
	a.Describe(&s.TokenName, "Name of the token on the server: `name`, or `name` with a `-2`, `-3`, … suffix when a replacement could not reuse it.")
	a.Describe(&s.Value, "The token value (`pul-` followed by 40 hex digits), a secret. Known only from creation; kept in state afterwards and empty for an imported token.")
	a.Describe(&s.ExpiresAt, "Expiry time (RFC 3339, UTC); absent for a token that never expires.")
}

// WireDependencies makes value always secret; the outputs never change in place.
func (*TeamAccessToken) WireDependencies(f infer.FieldSelector, args *TeamTokenArgs, state *TeamTokenState) {
	f.OutputField(&state.Value).AlwaysSecret()
	all := []infer.InputField{f.InputField(&args.Team), f.InputField(&args.Name), f.InputField(&args.Description),
		f.InputField(&args.ExpiresIn), f.InputField(&args.Organization)}
	for _, out := range []any{&state.TokenID, &state.TokenName, &state.Value, &state.ExpiresAt} {
		f.OutputField(out).DependsOn(all...)
	}
}

func (a TeamTokenArgs) mapping() mapping.TeamTokenArgs {
	return mapping.TeamTokenArgs{Team: a.Team, TokenArgs: mapping.TokenArgs{Organization: deref(a.Organization), Name: a.Name, Description: deref(a.Description),
		ExpiresIn: deref(a.ExpiresIn), RotateBefore: deref(a.RotateBefore)}}
}

func teamTokenArgs(m mapping.TeamTokenArgs) TeamTokenArgs {
	return TeamTokenArgs{Team: m.Team, Name: m.Name, Description: ptr(m.Description), ExpiresIn: ptr(m.ExpiresIn),
		RotateBefore: ptr(m.RotateBefore), Organization: ptr(m.Organization)}
}

func (s TeamTokenState) mapping() mapping.TeamTokenState {
	a := s.TeamTokenArgs.mapping()
	return mapping.TeamTokenState{Team: a.Team, TokenState: mapping.TokenState{TokenArgs: a.TokenArgs, TokenID: s.TokenID, TokenName: s.TokenName,
		Value: s.Value, ExpiresAt: deref(s.ExpiresAt)}}
}

func teamTokenState(m mapping.TeamTokenState) TeamTokenState {
	return TeamTokenState{TeamTokenArgs: teamTokenArgs(mapping.TeamTokenArgs{TokenArgs: m.TokenArgs, Team: m.Team}), TokenID: m.TokenID,
		TokenName: m.TokenName, Value: m.Value, ExpiresAt: ptr(m.ExpiresAt)}
}

// Check validates offline; unknown inputs get stand-ins.
func (*TeamAccessToken) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[TeamTokenArgs], error) {
	args, failures, err := infer.DefaultCheck[TeamTokenArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[TeamTokenArgs]{Inputs: args, Failures: failures}, err
	}
	return infer.CheckResponse[TeamTokenArgs]{Inputs: args, Failures: checkFailures(mapping.CheckTeamTokenWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))}, nil
}

// Diff replaces the token for every changed input but rotateBefore, and when rotation is due.
func (*TeamAccessToken) Diff(ctx context.Context, req infer.DiffRequest[TeamTokenArgs, TeamTokenState]) (infer.DiffResponse, error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.DiffResponse{}, err
	}
	update, replace, reason := mapping.TeamTokenChanges(req.State.mapping(), req.Inputs.mapping(), prov.Now())
	warn(ctx, reason)
	return diffResponse(update, replace), nil
}

// Create mints the token; its value is only known now (nothing is called during a preview).
func (*TeamAccessToken) Create(ctx context.Context, req infer.CreateRequest[TeamTokenArgs]) (infer.CreateResponse[TeamTokenState], error) {
	if req.DryRun {
		out := TeamTokenState{TeamTokenArgs: req.Inputs}
		if req.Inputs.ExpiresIn != nil {
			out.ExpiresAt = new(string)
		}
		return infer.CreateResponse[TeamTokenState]{Output: out}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[TeamTokenState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[TeamTokenState]{}, err
	}
	st, err := prov.CreateTeamToken(ctx, req.Inputs.mapping(), prov.Now())
	if err != nil {
		return infer.CreateResponse[TeamTokenState]{}, err
	}
	if st.TokenName != st.Name {
		p.GetLogger(ctx).Infof("token name %q is reserved on the server; created the token as %q", st.Name, st.TokenName)
	}
	return infer.CreateResponse[TeamTokenState]{ID: mapping.ResourceID(org, st.TokenID), Output: teamTokenState(st)}, nil
}

// Read finds the token among its team's (refresh and import); the value and inputs come from
// prior state. An import finds the team by looking through the organization's teams.
func (*TeamAccessToken) Read(ctx context.Context, req infer.ReadRequest[TeamTokenArgs, TeamTokenState]) (infer.ReadResponse[TeamTokenArgs, TeamTokenState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[TeamTokenArgs, TeamTokenState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[TeamTokenArgs, TeamTokenState]{}, err
	}
	prior := req.State.mapping()
	override := prior.Organization
	if prior.TokenID == "" { // import
		prior.Organization = org
		team, err := prov.FindTeamToken(ctx, org, id)
		if err != nil || team == "" {
			if err == nil {
				err = fmt.Errorf("no team of %s has a token with ID %q", org, id)
			}
			return infer.ReadResponse[TeamTokenArgs, TeamTokenState]{}, err
		}
		prior = mapping.TeamTokenState{Team: team, TokenState: mapping.TokenState{TokenID: id}}
		override = prov.ImportOrg(org)
	}
	prior.Organization = org
	st, found, err := prov.ReadTeamToken(ctx, prior)
	if err != nil || !found {
		return infer.ReadResponse[TeamTokenArgs, TeamTokenState]{}, err
	}
	st.Organization = override
	if req.State.TokenID == "" {
		p.GetLogger(ctx).Warningf("imported token %q has no value in state: the server returns a token's value only when it is created", st.TokenName)
	}
	out := teamTokenState(st)
	return infer.ReadResponse[TeamTokenArgs, TeamTokenState]{ID: req.ID, Inputs: out.TeamTokenArgs, State: out}, nil
}

// Update only records a new rotateBefore: nothing on the server changes.
func (*TeamAccessToken) Update(_ context.Context, req infer.UpdateRequest[TeamTokenArgs, TeamTokenState]) (infer.UpdateResponse[TeamTokenState], error) {
	out := req.State
	out.RotateBefore = req.Inputs.RotateBefore
	return infer.UpdateResponse[TeamTokenState]{Output: out}, nil
}

// Delete revokes the token; one already gone is fine.
func (*TeamAccessToken) Delete(ctx context.Context, req infer.DeleteRequest[TeamTokenState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteTeamToken(ctx, st)
}
