package pulumi

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// OrganizationAccessToken is iam:index:OrganizationAccessToken, an organization token scoped
// to one role (or the legacy admin flag), optionally expiring and renewed early.
type OrganizationAccessToken struct{}

// TokenArgs are the inputs of an OrganizationAccessToken.
type TokenArgs struct {
	Name         string  `pulumi:"name" provider:"replaceOnChanges"`
	Description  *string `pulumi:"description,optional" provider:"replaceOnChanges"`
	RoleID       *string `pulumi:"roleId,optional" provider:"replaceOnChanges"`
	Admin        *bool   `pulumi:"admin,optional" provider:"replaceOnChanges"`
	ExpiresIn    *string `pulumi:"expiresIn,optional" provider:"replaceOnChanges"`
	RotateBefore *string `pulumi:"rotateBefore,optional"`
	Organization *string `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// TokenState is a token's state: its inputs plus the server's name, ID, value and expiry.
type TokenState struct {
	TokenArgs
	TokenID   string  `pulumi:"tokenId"`
	TokenName string  `pulumi:"tokenName"`
	Value     string  `pulumi:"value" provider:"secret"`
	ExpiresAt *string `pulumi:"expiresAt,optional"`
}

var (
	_ infer.CustomCheck[TokenArgs]                      = (*OrganizationAccessToken)(nil)
	_ infer.CustomDiff[TokenArgs, TokenState]           = (*OrganizationAccessToken)(nil)
	_ infer.CustomUpdate[TokenArgs, TokenState]         = (*OrganizationAccessToken)(nil)
	_ infer.CustomRead[TokenArgs, TokenState]           = (*OrganizationAccessToken)(nil)
	_ infer.CustomDelete[TokenState]                    = (*OrganizationAccessToken)(nil)
	_ infer.ExplicitDependencies[TokenArgs, TokenState] = (*OrganizationAccessToken)(nil)
)

// Annotate describes the resource.
func (r *OrganizationAccessToken) Annotate(a infer.Annotator) {
	a.SetToken("index", "OrganizationAccessToken")
	a.Describe(r, "An organization access token. It acts with exactly one role (`roleId`), the legacy `admin` flag, or the organization's default role. "+
		"Tokens cannot be edited: changing any input but `rotateBefore` creates a new token before deleting the old one. "+
		"The secret `value` is known only from creation and is kept in state across refreshes. "+
		"With `expiresIn` and `rotateBefore`, an update run once less than `rotateBefore` of validity remains replaces the token. "+
		"Token names stay reserved after deletion, so a replacement is named `<name>-2`, `<name>-3`, … (see `tokenName`). "+
		"Import with `{organization}/{tokenId}`; an imported token has no value.")
}

// Annotate describes the inputs.
func (a *TokenArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the token (at most 40 characters). Changing it replaces the token.")
	an.Describe(&a.Description, "Free-form description. Changing it replaces the token.")
	an.Describe(&a.RoleID, "ID of the role the token acts with (a CustomRole's `roleId` or a built-in role's ID). Conflicts with `admin`. Changing it replaces the token.")
	an.Describe(&a.Admin, "Give the token the legacy organization admin flag instead of a role. Conflicts with `roleId`. Changing it replaces the token.")
	an.Describe(&a.ExpiresIn, "Validity from creation, as a duration such as `720h` or `30d` (at most two years). Omit it for a token that never expires. Changing it replaces the token.")
	an.Describe(&a.RotateBefore, "Renew early: once less than this duration of validity remains (such as `168h` or `7d`), the next update replaces the token. Needs `expiresIn`. Changing it does not replace the token.")
	an.Describe(&a.Organization, "Organization of the token; defaults to the provider's organization. Changing it replaces the token.")
}

// Annotate describes the outputs.
func (s *TokenState) Annotate(a infer.Annotator) {
	a.Describe(&s.TokenID, "Server-assigned ID of the token.")
	a.Describe(&s.TokenName, "Name of the token on the server: `name`, or `name` with a `-2`, `-3`, … suffix when a replacement could not reuse it.")
	a.Describe(&s.Value, "The token value (`pul-` followed by 40 hex digits), a secret. Known only from creation; kept in state afterwards and empty for an imported token.")
	a.Describe(&s.ExpiresAt, "Expiry time (RFC 3339, UTC); absent for a token that never expires.")
}

// WireDependencies makes value always secret; the outputs never change in place.
func (*OrganizationAccessToken) WireDependencies(f infer.FieldSelector, args *TokenArgs, state *TokenState) {
	f.OutputField(&state.Value).AlwaysSecret()
	all := []infer.InputField{f.InputField(&args.Name), f.InputField(&args.Description), f.InputField(&args.RoleID),
		f.InputField(&args.Admin), f.InputField(&args.ExpiresIn), f.InputField(&args.Organization)}
	for _, out := range []any{&state.TokenID, &state.TokenName, &state.Value, &state.ExpiresAt} {
		f.OutputField(out).DependsOn(all...)
	}
}

func (a TokenArgs) mapping() mapping.TokenArgs {
	return mapping.TokenArgs{Organization: deref(a.Organization), Name: a.Name, Description: deref(a.Description),
		RoleID: deref(a.RoleID), Admin: deref(a.Admin), ExpiresIn: deref(a.ExpiresIn), RotateBefore: deref(a.RotateBefore)}
}

func tokenArgs(m mapping.TokenArgs) TokenArgs {
	return TokenArgs{Name: m.Name, Description: ptr(m.Description), RoleID: ptr(m.RoleID), Admin: ptr(m.Admin),
		ExpiresIn: ptr(m.ExpiresIn), RotateBefore: ptr(m.RotateBefore), Organization: ptr(m.Organization)}
}

func (s TokenState) mapping() mapping.TokenState {
	return mapping.TokenState{TokenArgs: s.TokenArgs.mapping(), TokenID: s.TokenID, TokenName: s.TokenName, Value: s.Value, ExpiresAt: deref(s.ExpiresAt)}
}

func tokenState(m mapping.TokenState) TokenState {
	return TokenState{TokenArgs: tokenArgs(m.TokenArgs), TokenID: m.TokenID, TokenName: m.TokenName, Value: m.Value, ExpiresAt: ptr(m.ExpiresAt)}
}

// Check validates offline with mapping.CheckTokenWithUnknowns; unknown inputs get stand-ins.
func (*OrganizationAccessToken) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[TokenArgs], error) {
	args, failures, err := infer.DefaultCheck[TokenArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[TokenArgs]{Inputs: args, Failures: failures}, err
	}
	return infer.CheckResponse[TokenArgs]{Inputs: args, Failures: checkFailures(mapping.CheckTokenWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))}, nil
}

// Diff replaces the token for every changed input but rotateBefore, and when rotation is due.
func (*OrganizationAccessToken) Diff(ctx context.Context, req infer.DiffRequest[TokenArgs, TokenState]) (infer.DiffResponse, error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.DiffResponse{}, err
	}
	update, replace, reason := mapping.TokenChanges(req.State.mapping(), req.Inputs.mapping(), prov.Now())
	warn(ctx, reason)
	return diffResponse(update, replace), nil
}

// Create creates the token; its value is only known now (nothing is called during a preview).
func (*OrganizationAccessToken) Create(ctx context.Context, req infer.CreateRequest[TokenArgs]) (infer.CreateResponse[TokenState], error) {
	if req.DryRun {
		// A non-nil expiresAt placeholder shows as unknown rather than absent.
		out := TokenState{TokenArgs: req.Inputs}
		if req.Inputs.ExpiresIn != nil {
			out.ExpiresAt = new(string)
		}
		return infer.CreateResponse[TokenState]{Output: out}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[TokenState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[TokenState]{}, err
	}
	st, err := prov.CreateToken(ctx, req.Inputs.mapping(), prov.Now())
	if err != nil {
		return infer.CreateResponse[TokenState]{}, err
	}
	if st.TokenName != st.Name {
		p.GetLogger(ctx).Infof("token name %q is reserved on the server; created the token as %q", st.Name, st.TokenName)
	}
	return infer.CreateResponse[TokenState]{ID: mapping.ResourceID(org, st.TokenID), Output: tokenState(st)}, nil
}

// Read finds the token (refresh and import); the value and inputs come from prior state,
// since the server never returns them again. A deleted token is gone.
func (*OrganizationAccessToken) Read(ctx context.Context, req infer.ReadRequest[TokenArgs, TokenState]) (infer.ReadResponse[TokenArgs, TokenState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[TokenArgs, TokenState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[TokenArgs, TokenState]{}, err
	}
	prior := req.State.mapping()
	override := prior.Organization
	if prior.TokenID == "" { // import
		prior = mapping.TokenState{TokenID: id}
		override = prov.ImportOrg(org)
	}
	prior.Organization = org
	st, found, err := prov.ReadToken(ctx, prior)
	if err != nil || !found {
		return infer.ReadResponse[TokenArgs, TokenState]{}, err
	}
	st.Organization = override
	if req.State.TokenID == "" {
		p.GetLogger(ctx).Warningf("imported token %q has no value in state: the server returns a token's value only when it is created", st.TokenName)
	}
	out := tokenState(st)
	return infer.ReadResponse[TokenArgs, TokenState]{ID: req.ID, Inputs: out.TokenArgs, State: out}, nil
}

// Update only records a new rotateBefore: nothing on the server changes.
func (*OrganizationAccessToken) Update(_ context.Context, req infer.UpdateRequest[TokenArgs, TokenState]) (infer.UpdateResponse[TokenState], error) {
	out := req.State
	out.RotateBefore = req.Inputs.RotateBefore
	return infer.UpdateResponse[TokenState]{Output: out}, nil
}

// Delete revokes the token; one already gone is fine.
func (*OrganizationAccessToken) Delete(ctx context.Context, req infer.DeleteRequest[TokenState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteToken(ctx, st)
}
