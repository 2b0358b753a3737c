package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// oidcIssuerResource is iam_oidc_issuer.
type oidcIssuerResource struct{ resourceBase }

func newOidcIssuerResource() resource.Resource {
	return &oidcIssuerResource{resourceBase{typeName: "_oidc_issuer", idAttr: "issuer_id"}}
}

type oidcIssuerModel struct {
	ID            types.String `tfsdk:"id"`
	IssuerID      types.String `tfsdk:"issuer_id"`
	Issuer        types.String `tfsdk:"issuer"`
	Name          types.String `tfsdk:"name"`
	URL           types.String `tfsdk:"url"`
	JWKS          types.String `tfsdk:"jwks"`
	Thumbprints   types.Set    `tfsdk:"thumbprints"`
	MaxExpiration types.String `tfsdk:"max_expiration"`
	Organization  types.String `tfsdk:"organization"`
}

func (r *oidcIssuerResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "A trusted OIDC identity provider, such as GitHub Actions (`https://token.actions.githubusercontent.com`): CI jobs exchange its ID tokens " +
			"(`pulumi login --oidc-token`) for short-lived Pulumi tokens, as its `iam_auth_policy` allows. A new issuer's policy refuses every exchange. " +
			"Without `jwks` the server fetches the issuer's discovery document and keys over HTTPS and pins the TLS certificate (`thumbprints`); with `jwks` nothing is fetched. " +
			"Changing `url`, or going between `jwks` and discovery, replaces the issuer. Import with `{organization}/{issuer_id}`.",
		Attributes: map[string]schema.Attribute{
			"id":        schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "`{organization}/{issuer_id}`; also the import ID."},
			"issuer_id": schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "Server-assigned ID of the issuer; an `iam_auth_policy`'s `issuer_id`."},
			"issuer":    schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "The `iss` value the issuer's ID tokens must carry."},
			"name":      schema.StringAttribute{Required: true, Description: "Name of the issuer (at most 50 characters)."},
			"url": schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description: "The issuer's HTTPS URL; ID tokens must carry it (or, for a discovered issuer, its discovery document's `issuer`) as `iss`. Changing it replaces the issuer."},
			"jwks": schema.StringAttribute{Optional: true,
				Description: "The issuer's public keys as a static JSON Web Key Set (RFC 7517, `{\"keys\": [...]}`), for an issuer the server cannot reach; nothing is fetched then. " +
					"Adding or removing it replaces the issuer; a change of keys is an update."},
			"thumbprints": schema.SetAttribute{Optional: true, Computed: true, ElementType: types.StringType,
				PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
				Description: "SHA-256 fingerprints (hex, colons allowed; at most 10) of the TLS certificate the discovery and JWKS endpoints may present; they replace CA trust, and are compared as a set in lowercase without colons. " +
					"When omitted the server pins the certificate it sees at registration, and this holds it."},
			"max_expiration": schema.StringAttribute{Optional: true, Computed: true, PlanModifiers: keep,
				Description: "The longest lifetime of a token exchanged with this issuer's ID tokens, as a duration such as `2h` (default `25h`, at most `168h`)."},
			"organization": schema.StringAttribute{Optional: true,
				Description: "Organization that trusts the issuer; defaults to the provider's organization. Changing the effective organization replaces the issuer."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

// args converts a model without unknowns into mapping inputs.
func (m oidcIssuerModel) args(org string) mapping.OidcIssuerArgs {
	return mapping.OidcIssuerArgs{Organization: org, Name: m.Name.ValueString(), URL: m.URL.ValueString(), JWKS: m.JWKS.ValueString(),
		Thumbprints: knownStrings(m.Thumbprints), MaxExpiration: m.MaxExpiration.ValueString()}
}

// set writes a mapping state into the model, keeping the model's spelling of thumbprints when
// they are the same set.
func (m *oidcIssuerModel) set(org string, st mapping.OidcIssuerState) {
	m.ID = types.StringValue(mapping.ResourceID(org, st.IssuerID))
	m.IssuerID = types.StringValue(st.IssuerID)
	m.Issuer = types.StringValue(st.Issuer)
	m.Name = types.StringValue(st.Name)
	m.URL = types.StringValue(st.URL)
	if st.JWKS == "" {
		m.JWKS = types.StringNull()
	} else if m.JWKS.IsNull() || m.JWKS.IsUnknown() || !mapping.SameJSON(m.JWKS.ValueString(), st.JWKS) {
		m.JWKS = types.StringValue(st.JWKS)
	}
	if m.Thumbprints.IsNull() || m.Thumbprints.IsUnknown() ||
		!sameStrings(mapping.NormalizeThumbprints(knownStrings(m.Thumbprints)), st.Thumbprints) {
		ts := st.Thumbprints
		if ts == nil {
			ts = []string{}
		}
		m.Thumbprints = stringSet(ts)
	}
	m.MaxExpiration = types.StringValue(st.MaxExpiration)
}

// ValidateConfig checks the configuration offline with mapping.CheckOidcIssuerWithUnknowns.
func (r *oidcIssuerResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m oidcIssuerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	for f, v := range map[mapping.Field]types.String{mapping.FieldName: m.Name, mapping.FieldURL: m.URL, mapping.FieldJWKS: m.JWKS, mapping.FieldMaxExpiration: m.MaxExpiration} {
		if v.IsUnknown() {
			unk.Add(mapping.Root(f))
		}
	}
	probe := mapping.OidcIssuerArgs{Name: m.Name.ValueString(), URL: m.URL.ValueString(), JWKS: m.JWKS.ValueString(), MaxExpiration: m.MaxExpiration.ValueString()}
	tp := mapping.Root(mapping.FieldThumbprints)
	if !m.Thumbprints.IsNull() {
		probe.Thumbprints = setStrings(m.Thumbprints, tp, &unk)
		if probe.Thumbprints == nil && !m.Thumbprints.IsUnknown() {
			probe.Thumbprints = []string{}
		}
	}
	resp.Diagnostics.Append(problemDiags(mapping.CheckOidcIssuerWithUnknowns(probe, unk), map[string][]string{tp.String(): probe.Thumbprints})...)
}

// ModifyPlan replaces the issuer when its effective organization changes or `jwks` is added or
// removed (the server cannot turn a discovered issuer static or back).
func (r *oidcIssuerResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan oidcIssuerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if !plan.JWKS.IsUnknown() && state.JWKS.IsNull() != plan.JWKS.IsNull() {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("jwks"))
	}
}

func (r *oidcIssuerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan oidcIssuerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	a := plan.args(org)
	if plan.Thumbprints.IsUnknown() {
		a.Thumbprints = nil
	}
	if plan.MaxExpiration.IsUnknown() {
		a.MaxExpiration = ""
	}
	st, err := r.data.prov.CreateOidcIssuer(ctx, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot register OIDC issuer", errText(err))
		return
	}
	plan.set(org, st)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read asks the server; a name, keys, thumbprints or maxExpiration changed outside Terraform
// show as drift, and a deleted issuer leaves the state.
func (r *oidcIssuerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state oidcIssuerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	st, found, err := r.data.prov.ReadOidcIssuer(ctx, org, state.IssuerID.ValueString(), state.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot read OIDC issuer", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.set(org, st)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update writes what differs in one PATCH (nothing when nothing does).
func (r *oidcIssuerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state oidcIssuerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old := mapping.OidcIssuerState{OidcIssuerArgs: state.args(org), IssuerID: state.IssuerID.ValueString(), Issuer: state.Issuer.ValueString()}
	a := plan.args(org)
	if plan.Thumbprints.IsUnknown() {
		a.Thumbprints = nil
	}
	if plan.MaxExpiration.IsUnknown() {
		a.MaxExpiration = ""
	}
	st, err := r.data.prov.UpdateOidcIssuer(ctx, old, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot update OIDC issuer", errText(err))
		return
	}
	plan.set(org, st)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *oidcIssuerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state oidcIssuerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st := mapping.OidcIssuerState{OidcIssuerArgs: state.args(org), IssuerID: state.IssuerID.ValueString()}
	if err := r.data.prov.DeleteOidcIssuer(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete OIDC issuer", errText(err))
	}
}
