package pulumi

import (
	"context"
	"errors"
	"maps"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// AuthPolicy is iam:index:AuthPolicy, the authorization policy of one OidcIssuer: which of its
// ID tokens are exchanged for which token.
type AuthPolicy struct{}

// AuthPolicyDefinition is one definition of an AuthPolicy (object type
// iam:index:AuthPolicyDefinition).
type AuthPolicyDefinition struct {
	Decision              string            `pulumi:"decision"`
	TokenType             string            `pulumi:"tokenType"`
	RoleID                *string           `pulumi:"roleId,optional"`
	TeamName              *string           `pulumi:"teamName,optional"`
	UserLogin             *string           `pulumi:"userLogin,optional"`
	AuthorizedPermissions []string          `pulumi:"authorizedPermissions,optional"`
	Rules                 map[string]string `pulumi:"rules,optional"`
}

// AuthPolicyArgs are the inputs of an AuthPolicy.
type AuthPolicyArgs struct {
	IssuerID     string                 `pulumi:"issuerId" provider:"replaceOnChanges"`
	Policies     []AuthPolicyDefinition `pulumi:"policies"`
	Organization *string                `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// AuthPolicyState is an AuthPolicy's state: its definitions as the server has them.
type AuthPolicyState struct {
	AuthPolicyArgs
	PolicyID string `pulumi:"policyId"`
	Version  int    `pulumi:"version"`
}

var (
	_ infer.CustomCheck[AuthPolicyArgs]                           = (*AuthPolicy)(nil)
	_ infer.CustomDiff[AuthPolicyArgs, AuthPolicyState]           = (*AuthPolicy)(nil)
	_ infer.CustomUpdate[AuthPolicyArgs, AuthPolicyState]         = (*AuthPolicy)(nil)
	_ infer.CustomRead[AuthPolicyArgs, AuthPolicyState]           = (*AuthPolicy)(nil)
	_ infer.CustomDelete[AuthPolicyState]                         = (*AuthPolicy)(nil)
	_ infer.ExplicitDependencies[AuthPolicyArgs, AuthPolicyState] = (*AuthPolicy)(nil)
)

// Annotate describes the resource.
func (r *AuthPolicy) Annotate(a infer.Annotator) {
	a.SetToken("index", "AuthPolicy")
	a.Describe(r, "The authorization policy of an OidcIssuer: which of the issuer's ID tokens are exchanged (`pulumi login --oidc-token`) for which short-lived token. "+
		"A definition matches an ID token when every rule matches its claim; a matching `deny` refuses the exchange whatever else matches, and with no matching `allow` it is refused too. "+
		"Every issuer has exactly one policy, created with the issuer as a deny-all: creating an AuthPolicy replaces that deny-all with `policies` "+
		"(and fails when the policy already allows exchanges set elsewhere: import it instead), and deleting it puts the deny-all back. "+
		"Definitions are compared in order; `pulumi refresh` reports changes made outside Pulumi. Import with `{organization}/{issuerId}`.")
}

// Annotate describes a definition.
func (d *AuthPolicyDefinition) Annotate(a infer.Annotator) {
	a.SetToken("index", "AuthPolicyDefinition")
	a.Describe(d, "One definition of an AuthPolicy: the ID tokens it matches (`rules`) and the token they get (`tokenType` and its role, team or user), or `deny`.")
	a.Describe(&d.Decision, "`allow` or `deny`. A matching deny refuses the exchange whatever else matches.")
	a.Describe(&d.TokenType, "The token handed out: `organization` (with `roleId` or `authorizedPermissions`), `team` (with `teamName`) or `personal` (with `userLogin`). "+
		"The CLI asks for a team token with `--oidc-team`, a personal one with `--oidc-user`.")
	a.Describe(&d.RoleID, "For an organization token: the ID of its role (a CustomRole's `roleId`, or a built-in role's ID). Required for an `allow` unless `authorizedPermissions` is set.")
	a.Describe(&d.TeamName, "For a team token: the team whose token it is (a Team's `name`).")
	a.Describe(&d.UserLogin, "For a personal token: the login of the member whose token it is.")
	a.Describe(&d.AuthorizedPermissions, "For an organization token without `roleId`: `[\"admin\"]` gives it the built-in admin role.")
	a.Describe(&d.Rules, "Claim path → pattern; every rule must match. Paths are dot-separated, with keys that contain dots double-quoted (`\"kubernetes.io\".pod.name`); "+
		"in patterns `*` stands for any run of characters and `?` for at most one. Example: `sub: repo:acme/payments:ref:refs/heads/main`. An `allow` needs a rule that is not only wildcards on a claim other than `aud` and `iss` (every ID token for the organization carries those).")
}

// Annotate describes the inputs.
func (a *AuthPolicyArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.IssuerID, "The issuer whose policy this is (an OidcIssuer's `issuerId`). Changing it replaces the AuthPolicy.")
	an.Describe(&a.Policies, "The definitions, 1 to 40; the whole policy, in order.")
	an.Describe(&a.Organization, "Organization of the issuer; defaults to the provider's organization. Changing it replaces the AuthPolicy.")
}

// Annotate describes the outputs.
func (s *AuthPolicyState) Annotate(a infer.Annotator) {
	a.Describe(&s.PolicyID, "Server-assigned ID of the policy.")
	a.Describe(&s.Version, "Version of the policy on the server; it increases with every change.")
}

// WireDependencies: policyId lives as long as the issuer.
func (*AuthPolicy) WireDependencies(f infer.FieldSelector, args *AuthPolicyArgs, state *AuthPolicyState) {
	f.OutputField(&state.PolicyID).DependsOn(f.InputField(&args.IssuerID), f.InputField(&args.Organization))
	f.OutputField(&state.Version).DependsOn(f.InputField(&args.IssuerID), f.InputField(&args.Organization), f.InputField(&args.Policies))
	f.OutputField(&state.IssuerID).DependsOn(f.InputField(&args.IssuerID))
	f.OutputField(&state.Policies).DependsOn(f.InputField(&args.Policies))
	f.OutputField(&state.Organization).DependsOn(f.InputField(&args.Organization))
}

func (d AuthPolicyDefinition) mapping() mapping.Policy {
	return mapping.Policy{Decision: d.Decision, TokenType: d.TokenType, RoleID: deref(d.RoleID), TeamName: deref(d.TeamName), UserLogin: deref(d.UserLogin),
		AuthorizedPermissions: d.AuthorizedPermissions, Rules: d.Rules}
}

func definitionOf(m mapping.Policy) AuthPolicyDefinition {
	d := AuthPolicyDefinition{Decision: m.Decision, TokenType: m.TokenType, RoleID: ptr(m.RoleID), TeamName: ptr(m.TeamName), UserLogin: ptr(m.UserLogin),
		AuthorizedPermissions: m.AuthorizedPermissions}
	if len(m.Rules) > 0 {
		d.Rules = maps.Clone(m.Rules)
	}
	return d
}

func (a AuthPolicyArgs) mapping() mapping.AuthPolicyArgs {
	out := mapping.AuthPolicyArgs{Organization: deref(a.Organization), IssuerID: a.IssuerID}
	for _, d := range a.Policies {
		out.Policies = append(out.Policies, d.mapping())
	}
	return out
}

func policyArgs(m mapping.AuthPolicyArgs) AuthPolicyArgs {
	out := AuthPolicyArgs{IssuerID: m.IssuerID, Organization: ptr(m.Organization), Policies: []AuthPolicyDefinition{}}
	for _, p := range m.Policies {
		out.Policies = append(out.Policies, definitionOf(p))
	}
	return out
}

func (s AuthPolicyState) mapping() mapping.AuthPolicyState {
	return mapping.AuthPolicyState{AuthPolicyArgs: s.AuthPolicyArgs.mapping(), PolicyID: s.PolicyID, Version: s.Version}
}

func policyStateOf(m mapping.AuthPolicyState) AuthPolicyState {
	return AuthPolicyState{AuthPolicyArgs: policyArgs(m.AuthPolicyArgs), PolicyID: m.PolicyID, Version: m.Version}
}

// Check validates offline with mapping.CheckAuthPolicyWithUnknowns (an issuerId or roleId not
// known yet, say of an issuer created in the same run, gets a stand-in), then looks up the
// issuer, roles, teams and members that are known (mapping.CheckAuthPolicyRefs).
func (*AuthPolicy) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[AuthPolicyArgs], error) {
	args, failures, err := infer.DefaultCheck[AuthPolicyArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[AuthPolicyArgs]{Inputs: args, Failures: failures}, err
	}
	unknowns := findUnknowns(req.NewInputs)
	failures = checkFailures(mapping.CheckAuthPolicyWithUnknowns(args.mapping(), unknowns))
	if len(failures) == 0 {
		// The issuer, roles, teams and members named must exist: a typo fails the preview.
		if prov, perr := provider(ctx); perr == nil {
			var ps mapping.Problems
			switch err := prov.CheckAuthPolicyRefs(ctx, args.mapping(), unknowns); {
			case errors.As(err, &ps):
				failures = checkFailures(ps)
			case err != nil:
				return infer.CheckResponse[AuthPolicyArgs]{Inputs: args}, err
			}
		}
	}
	return infer.CheckResponse[AuthPolicyArgs]{Inputs: args, Failures: failures}, nil
}

// Diff replaces the AuthPolicy for another issuer or organization and updates the definitions
// in place.
func (*AuthPolicy) Diff(_ context.Context, req infer.DiffRequest[AuthPolicyArgs, AuthPolicyState]) (infer.DiffResponse, error) {
	update, replace := mapping.AuthPolicyChanges(req.State.mapping(), req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create replaces the issuer's deny-all policy with the definitions (nothing is called during a
// preview).
func (*AuthPolicy) Create(ctx context.Context, req infer.CreateRequest[AuthPolicyArgs]) (infer.CreateResponse[AuthPolicyState], error) {
	if req.DryRun {
		return infer.CreateResponse[AuthPolicyState]{Output: AuthPolicyState{AuthPolicyArgs: req.Inputs}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[AuthPolicyState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[AuthPolicyState]{}, err
	}
	st, err := prov.CreateAuthPolicy(ctx, req.Inputs.mapping())
	if err != nil {
		return infer.CreateResponse[AuthPolicyState]{}, err
	}
	out := policyStateOf(st)
	if mapping.SamePolicies(st.Policies, req.Inputs.mapping().Policies) {
		out.Policies = req.Inputs.Policies
	}
	return infer.CreateResponse[AuthPolicyState]{ID: mapping.ResourceID(org, st.IssuerID), Output: out}, nil
}

// Read reads the issuer's policy back (refresh and import); definitions changed outside Pulumi
// show as a diff, and a deleted issuer takes its policy with it.
func (*AuthPolicy) Read(ctx context.Context, req infer.ReadRequest[AuthPolicyArgs, AuthPolicyState]) (infer.ReadResponse[AuthPolicyArgs, AuthPolicyState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[AuthPolicyArgs, AuthPolicyState]{}, err
	}
	org, issuerID, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[AuthPolicyArgs, AuthPolicyState]{}, err
	}
	override := deref(req.State.Organization)
	var prior []mapping.Policy
	if req.State.PolicyID == "" { // import
		override = prov.ImportOrg(org)
	} else {
		prior = req.Inputs.mapping().Policies
	}
	st, found, err := prov.ReadAuthPolicy(ctx, org, issuerID, prior)
	if err != nil || !found {
		return infer.ReadResponse[AuthPolicyArgs, AuthPolicyState]{}, err
	}
	st.Organization = override
	out := policyStateOf(st)
	if prior != nil && mapping.SamePolicies(prior, st.Policies) {
		out.Policies = req.Inputs.Policies // the program's spelling
	}
	return infer.ReadResponse[AuthPolicyArgs, AuthPolicyState]{ID: req.ID, Inputs: out.AuthPolicyArgs, State: out}, nil
}

// Update writes the definitions when they differ from the server's.
func (*AuthPolicy) Update(ctx context.Context, req infer.UpdateRequest[AuthPolicyArgs, AuthPolicyState]) (infer.UpdateResponse[AuthPolicyState], error) {
	if req.DryRun {
		out := req.State
		out.Policies = req.Inputs.Policies
		return infer.UpdateResponse[AuthPolicyState]{Output: out}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[AuthPolicyState]{}, err
	}
	old, in := req.State.mapping(), req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdateAuthPolicy(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[AuthPolicyState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	out := policyStateOf(st)
	if mapping.SamePolicies(st.Policies, in.Policies) {
		out.Policies = req.Inputs.Policies
	}
	return infer.UpdateResponse[AuthPolicyState]{Output: out}, nil
}

// Delete puts the issuer's deny-all policy back; an issuer already gone is fine.
func (*AuthPolicy) Delete(ctx context.Context, req infer.DeleteRequest[AuthPolicyState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteAuthPolicy(ctx, st)
}
