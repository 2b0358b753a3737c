package pulumi

import (
	"context"
	"slices"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// OidcIssuer is iam:index:OidcIssuer, a trusted OIDC identity provider (GitHub Actions, GitLab,
// …) whose ID tokens CI jobs exchange for short-lived tokens under the issuer's AuthPolicy.
type OidcIssuer struct{}

// OidcIssuerArgs are the inputs of an OidcIssuer.
type OidcIssuerArgs struct {
	Name          string   `pulumi:"name"`
	URL           string   `pulumi:"url" provider:"replaceOnChanges"`
	JWKS          *string  `pulumi:"jwks,optional"`
	Thumbprints   []string `pulumi:"thumbprints,optional"`
	MaxExpiration *string  `pulumi:"maxExpiration,optional"`
	Organization  *string  `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// OidcIssuerState is an OidcIssuer's state: the issuer as the server has it (thumbprints and
// maxExpiration are the server's, given or not).
type OidcIssuerState struct {
	OidcIssuerArgs
	IssuerID string `pulumi:"issuerId"`
	Issuer   string `pulumi:"issuer"`
}

var (
	_ infer.CustomCheck[OidcIssuerArgs]                           = (*OidcIssuer)(nil)
	_ infer.CustomDiff[OidcIssuerArgs, OidcIssuerState]           = (*OidcIssuer)(nil)
	_ infer.CustomUpdate[OidcIssuerArgs, OidcIssuerState]         = (*OidcIssuer)(nil)
	_ infer.CustomRead[OidcIssuerArgs, OidcIssuerState]           = (*OidcIssuer)(nil)
	_ infer.CustomDelete[OidcIssuerState]                         = (*OidcIssuer)(nil)
	_ infer.ExplicitDependencies[OidcIssuerArgs, OidcIssuerState] = (*OidcIssuer)(nil)
)

// Annotate describes the resource.
func (r *OidcIssuer) Annotate(a infer.Annotator) {
	a.SetToken("index", "OidcIssuer")
	a.Describe(r, "A trusted OIDC identity provider, such as GitHub Actions (`https://token.actions.githubusercontent.com`): CI jobs exchange its ID tokens "+
		"(`pulumi login --oidc-token`) for short-lived Pulumi tokens, as its AuthPolicy allows. A new issuer's policy refuses every exchange; declare an AuthPolicy to allow some. "+
		"Without `jwks` the server fetches the issuer's discovery document and keys over HTTPS and pins the TLS certificate (`thumbprints`); with `jwks` nothing is fetched. "+
		"Changing `url`, or going between `jwks` and discovery, replaces the issuer. Import with `{organization}/{issuerId}`.")
}

// Annotate describes the inputs.
func (a *OidcIssuerArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the issuer (at most 50 characters).")
	an.Describe(&a.URL, "The issuer's HTTPS URL; ID tokens must carry it (or, for a discovered issuer, its discovery document's `issuer`) as `iss`. Changing it replaces the issuer.")
	an.Describe(&a.JWKS, "The issuer's public keys as a static JSON Web Key Set (RFC 7517, `{\"keys\": [...]}`), for an issuer the server cannot reach; nothing is fetched then. "+
		"Compared as JSON, so formatting and key order never cause a diff.")
	an.Describe(&a.Thumbprints, "SHA-256 fingerprints (hex, colons allowed; at most 10) of the TLS certificate the discovery and JWKS endpoints may present; they replace CA trust, and are compared as a set in lowercase without colons. "+
		"When omitted the server pins the certificate it sees at registration, and the output holds it. Order never matters.")
	an.Describe(&a.MaxExpiration, "The longest lifetime of a token exchanged with this issuer's ID tokens, as a duration such as `2h` (default `25h`, at most `168h`).")
	an.Describe(&a.Organization, "Organization that trusts the issuer; defaults to the provider's organization. Changing it replaces the issuer.")
}

// Annotate describes the outputs.
func (s *OidcIssuerState) Annotate(a infer.Annotator) {
	a.Describe(&s.IssuerID, "Server-assigned ID of the issuer; an AuthPolicy's `issuerId`.")
	a.Describe(&s.Issuer, "The `iss` value the issuer's ID tokens must carry.")
}

// WireDependencies: issuerId lives as long as the issuer; thumbprints and maxExpiration are the
// server's when not given.
func (*OidcIssuer) WireDependencies(f infer.FieldSelector, args *OidcIssuerArgs, state *OidcIssuerState) {
	f.OutputField(&state.IssuerID).DependsOn(f.InputField(&args.URL), f.InputField(&args.Organization))
	f.OutputField(&state.Issuer).DependsOn(f.InputField(&args.URL), f.InputField(&args.Organization))
	f.OutputField(&state.Name).DependsOn(f.InputField(&args.Name))
	f.OutputField(&state.URL).DependsOn(f.InputField(&args.URL))
	f.OutputField(&state.JWKS).DependsOn(f.InputField(&args.JWKS))
	f.OutputField(&state.Thumbprints).DependsOn(f.InputField(&args.Thumbprints), f.InputField(&args.URL))
	f.OutputField(&state.MaxExpiration).DependsOn(f.InputField(&args.MaxExpiration))
	f.OutputField(&state.Organization).DependsOn(f.InputField(&args.Organization))
}

func (a OidcIssuerArgs) mapping() mapping.OidcIssuerArgs {
	return mapping.OidcIssuerArgs{Organization: deref(a.Organization), Name: a.Name, URL: a.URL, JWKS: deref(a.JWKS),
		Thumbprints: a.Thumbprints, MaxExpiration: deref(a.MaxExpiration)}
}

func issuerArgs(m mapping.OidcIssuerArgs) OidcIssuerArgs {
	return OidcIssuerArgs{Name: m.Name, URL: m.URL, JWKS: ptr(m.JWKS), Thumbprints: m.Thumbprints, MaxExpiration: ptr(m.MaxExpiration), Organization: ptr(m.Organization)}
}

func (s OidcIssuerState) mapping() mapping.OidcIssuerState {
	return mapping.OidcIssuerState{OidcIssuerArgs: s.OidcIssuerArgs.mapping(), IssuerID: s.IssuerID, Issuer: s.Issuer}
}

func issuerStateOf(m mapping.OidcIssuerState) OidcIssuerState {
	return OidcIssuerState{OidcIssuerArgs: issuerArgs(m.OidcIssuerArgs), IssuerID: m.IssuerID, Issuer: m.Issuer}
}

// Check validates offline and puts known thumbprints in canonical form (lowercase, sorted).
func (*OidcIssuer) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[OidcIssuerArgs], error) {
	args, failures, err := infer.DefaultCheck[OidcIssuerArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[OidcIssuerArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckOidcIssuerWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	if !hasSecretOrUnknown(req.NewInputs.Get("thumbprints")) && len(args.Thumbprints) > 0 {
		args.Thumbprints = mapping.NormalizeThumbprints(args.Thumbprints)
	}
	return infer.CheckResponse[OidcIssuerArgs]{Inputs: args, Failures: failures}, nil
}

// Diff replaces the issuer for a new URL or organization, or a move between jwks and
// discovery; the rest is updated in place. Thumbprints and maxExpiration that are not given
// never differ.
func (*OidcIssuer) Diff(_ context.Context, req infer.DiffRequest[OidcIssuerArgs, OidcIssuerState]) (infer.DiffResponse, error) {
	update, replace := mapping.OidcIssuerChanges(req.State.mapping(), req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create registers the issuer (nothing is called during a preview).
func (*OidcIssuer) Create(ctx context.Context, req infer.CreateRequest[OidcIssuerArgs]) (infer.CreateResponse[OidcIssuerState], error) {
	if req.DryRun {
		return infer.CreateResponse[OidcIssuerState]{Output: OidcIssuerState{OidcIssuerArgs: req.Inputs}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[OidcIssuerState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[OidcIssuerState]{}, err
	}
	st, err := prov.CreateOidcIssuer(ctx, req.Inputs.mapping())
	if err != nil {
		return infer.CreateResponse[OidcIssuerState]{}, err
	}
	return infer.CreateResponse[OidcIssuerState]{ID: mapping.ResourceID(org, st.IssuerID), Output: issuerStateOf(st)}, nil
}

// Read reads the issuer back (refresh and import). Inputs keep what the program gave: thumbprints
// and maxExpiration stay absent when they were, and changes made outside Pulumi to given values
// show as a diff. An import takes every value the server has.
func (*OidcIssuer) Read(ctx context.Context, req infer.ReadRequest[OidcIssuerArgs, OidcIssuerState]) (infer.ReadResponse[OidcIssuerArgs, OidcIssuerState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[OidcIssuerArgs, OidcIssuerState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[OidcIssuerArgs, OidcIssuerState]{}, err
	}
	imported := req.State.IssuerID == ""
	override := deref(req.State.Organization)
	if imported {
		override = prov.ImportOrg(org)
	}
	st, found, err := prov.ReadOidcIssuer(ctx, org, id, req.Inputs.mapping())
	if err != nil || !found {
		return infer.ReadResponse[OidcIssuerArgs, OidcIssuerState]{}, err
	}
	st.Organization = override
	in := st.OidcIssuerArgs
	if !imported {
		if req.Inputs.Thumbprints == nil {
			in.Thumbprints = nil
		} else if slices.Equal(mapping.NormalizeThumbprints(req.Inputs.Thumbprints), st.Thumbprints) {
			in.Thumbprints = req.Inputs.Thumbprints
		}
		if req.Inputs.MaxExpiration == nil {
			in.MaxExpiration = ""
		}
	} else if len(in.Thumbprints) == 0 {
		in.Thumbprints = nil
	}
	return infer.ReadResponse[OidcIssuerArgs, OidcIssuerState]{ID: req.ID, Inputs: issuerArgs(in), State: issuerStateOf(st)}, nil
}

// Update changes the issuer in place, writing only when something differs.
func (*OidcIssuer) Update(ctx context.Context, req infer.UpdateRequest[OidcIssuerArgs, OidcIssuerState]) (infer.UpdateResponse[OidcIssuerState], error) {
	if req.DryRun {
		out := req.State
		out.Name, out.JWKS = req.Inputs.Name, req.Inputs.JWKS
		if req.Inputs.Thumbprints != nil {
			out.Thumbprints = req.Inputs.Thumbprints
		}
		if req.Inputs.MaxExpiration != nil {
			out.MaxExpiration = req.Inputs.MaxExpiration
		}
		return infer.UpdateResponse[OidcIssuerState]{Output: out}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[OidcIssuerState]{}, err
	}
	old, in := req.State.mapping(), req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdateOidcIssuer(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[OidcIssuerState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	return infer.UpdateResponse[OidcIssuerState]{Output: issuerStateOf(st)}, nil
}

// Delete deletes the issuer and its policy; one already gone is fine.
func (*OidcIssuer) Delete(ctx context.Context, req infer.DeleteRequest[OidcIssuerState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteOidcIssuer(ctx, st)
}
