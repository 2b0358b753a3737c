package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// teamTokenResource is iam_team_access_token.
type teamTokenResource struct{ resourceBase }

func newTeamTokenResource() resource.Resource {
	return &teamTokenResource{resourceBase{typeName: "_team_access_token", idAttr: "token_id"}}
}

type teamTokenModel struct {
	ID           types.String `tfsdk:"id"`
	TokenID      types.String `tfsdk:"token_id"`
	TokenName    types.String `tfsdk:"token_name"`
	Value        types.String `tfsdk:"value"`
	ExpiresAt    types.String `tfsdk:"expires_at"`
	Team         types.String `tfsdk:"team"`
	Name         types.String `tfsdk:"name"`
	Description  types.String `tfsdk:"description"`
	ExpiresIn    types.String `tfsdk:"expires_in"`
	RotateBefore types.String `tfsdk:"rotate_before"`
	Organization types.String `tfsdk:"organization"`
}

func (r *teamTokenResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	value := computed("The token value (`pul-` followed by 40 hex digits). Known only from creation and kept in state across refreshes; null for an imported token.")
	value.Sensitive = true
	resp.Schema = schema.Schema{
		Description: "A team access token: it acts with the team's roles, and follows changes to them. " +
			"Tokens cannot be edited: changing any input but `rotate_before` replaces the token. With `expires_in` and `rotate_before`, a plan made once less than " +
			"`rotate_before` of validity remains (or after expiry) replaces the token, with a warning giving the reason. Token names share the organization's namespace " +
			"and stay reserved after deletion, so a replacement is named `<name>-2`, `<name>-3`, … (see `token_name`). " +
			"Import with `{organization}/{token_id}`; an imported token has no value.",
		Attributes: map[string]schema.Attribute{
			"id":         computed("`{organization}/{token_id}`; also the import ID."),
			"token_id":   computed("Server-assigned ID of the token."),
			"token_name": computed("Name of the token on the server: `name`, or `name` with a `-2`, `-3`, … suffix when a replacement could not reuse it."),
			"value":      value,
			"expires_at": computed("Expiry time (RFC 3339, UTC); null for a token that never expires."),
			"team": schema.StringAttribute{Required: true, PlanModifiers: replace,
				Description: "Name of the team the token acts as (an `iam_team`'s `name`). Changing it replaces the token."},
			"name": schema.StringAttribute{
				Required:    true,
				Description: "Name of the token (at most 40 characters). Changing it replaces the token.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(replaceNameUnlessImported,
					"Replaces the token, unless the token was imported under this name with a -2, -3, … suffix.",
					"Replaces the token, unless the token was imported under this name with a `-2`, `-3`, … suffix.")},
			},
			"description": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(""),
				Description: "Free-form description. Changing it replaces the token.", PlanModifiers: replace,
			},
			"expires_in": schema.StringAttribute{
				Optional: true,
				Description: "Validity from creation, as a duration such as `720h` or `30d` (at most two years). Omit it for a token that never expires. " +
					"Changing it replaces the token (except that setting it on an imported token only records it).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(replaceUnlessImported,
					"Replaces the token, unless the token was imported and the attribute was not set before.",
					"Replaces the token, unless the token was imported and the attribute was not set before.")},
			},
			"rotate_before": schema.StringAttribute{
				Optional: true,
				Description: "Renew early: a plan made once less than this duration of validity remains (such as `168h` or `7d`) replaces the token. " +
					"Needs `expires_in`. Changing it does not replace the token.",
			},
			"organization": schema.StringAttribute{
				Optional:    true,
				Description: "Organization of the team; defaults to the provider's organization. Changing the effective organization replaces the token.",
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m teamTokenModel) args(org string) mapping.TeamTokenArgs {
	return mapping.TeamTokenArgs{Team: m.Team.ValueString(), TokenArgs: mapping.TokenArgs{Organization: org, Name: m.Name.ValueString(),
		Description: m.Description.ValueString(), ExpiresIn: m.ExpiresIn.ValueString(), RotateBefore: m.RotateBefore.ValueString()}}
}

func (m teamTokenModel) state(org string) mapping.TeamTokenState {
	a := m.args(org)
	return mapping.TeamTokenState{Team: a.Team, TokenState: mapping.TokenState{TokenArgs: a.TokenArgs, TokenID: m.TokenID.ValueString(),
		TokenName: m.TokenName.ValueString(), Value: m.Value.ValueString(), ExpiresAt: m.ExpiresAt.ValueString()}}
}

// ValidateConfig checks the configuration offline with mapping.CheckTeamTokenWithUnknowns.
func (r *teamTokenResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m teamTokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	for f, v := range map[mapping.Field]attr.Value{mapping.FieldTeam: m.Team, mapping.FieldName: m.Name, mapping.FieldExpiresIn: m.ExpiresIn, mapping.FieldRotateBefore: m.RotateBefore} {
		if v.IsUnknown() {
			unk.Add(mapping.Root(f))
		}
	}
	resp.Diagnostics.Append(problemDiags(mapping.CheckTeamTokenWithUnknowns(m.args(""), unk), nil)...)
}

// ModifyPlan renews the token early (as iam_organization_access_token does) and replaces it
// when its effective organization changes.
func (r *teamTokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan teamTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	planTokenRenewal(ctx, r.data.prov, tokenLifetime{stateExpiresAt: state.ExpiresAt, stateName: state.TokenName, stateValue: state.Value,
		planValue: plan.Value, planRotateBefore: plan.RotateBefore}, resp)
}

func (r *teamTokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan teamTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, err := r.data.prov.CreateTeamToken(ctx, plan.args(org), r.data.prov.Now())
	if err != nil {
		resp.Diagnostics.AddError("Cannot create team token", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.TokenID))
	plan.TokenID = types.StringValue(st.TokenID)
	plan.TokenName = types.StringValue(st.TokenName)
	plan.Value = types.StringValue(st.Value)
	plan.ExpiresAt = optString(st.ExpiresAt)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read finds the token among its team's; inputs and value come from prior state. An imported
// token (found by its ID among the organization's teams) takes its inputs from the server and
// has no value.
func (r *teamTokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state teamTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	imported := state.Name.IsNull()
	if state.Team.IsNull() {
		team, err := r.data.prov.FindTeamToken(ctx, org, state.TokenID.ValueString())
		if err != nil {
			resp.Diagnostics.AddError("Cannot read team token", errText(err))
			return
		}
		if team == "" {
			resp.Diagnostics.AddError("Cannot import team token", "no team of "+org+" has a token with ID "+state.TokenID.ValueString())
			return
		}
		state.Team = types.StringValue(team)
	}
	st, found, err := r.data.prov.ReadTeamToken(ctx, state.state(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot read team token", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.TokenID))
	state.TokenName = types.StringValue(st.TokenName)
	state.ExpiresAt = optString(st.ExpiresAt)
	if imported {
		state.Name = types.StringValue(st.Name)
		state.Description = types.StringValue(st.Description)
		state.Value = types.StringNull()
		resp.Diagnostics.AddWarning("Imported token has no value",
			"the server returns a token's value only when it is created, so `value` is null for the imported token "+st.TokenName)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update only records rotate_before (or, on an imported token, expires_in and the configured
// name; or an organization that names the effective one): nothing on the server changes.
func (r *teamTokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state teamTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.Name = plan.Name
	state.RotateBefore = plan.RotateBefore
	state.ExpiresIn = plan.ExpiresIn
	state.Organization = plan.Organization
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *teamTokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state teamTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.data.prov.DeleteTeamToken(ctx, state.state(stateOrg(state.ID, state.Organization))); err != nil {
		resp.Diagnostics.AddError("Cannot delete team token", errText(err))
	}
}
