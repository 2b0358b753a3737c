package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// tokenResource is iam_organization_access_token.
type tokenResource struct{ resourceBase }

func newTokenResource() resource.Resource {
	return &tokenResource{resourceBase{typeName: "_organization_access_token", idAttr: "token_id"}}
}

type tokenModel struct {
	ID           types.String `tfsdk:"id"`
	TokenID      types.String `tfsdk:"token_id"`
	TokenName    types.String `tfsdk:"token_name"`
	Value        types.String `tfsdk:"value"`
	ExpiresAt    types.String `tfsdk:"expires_at"`
	Name         types.String `tfsdk:"name"`
	Description  types.String `tfsdk:"description"`
	RoleID       types.String `tfsdk:"role_id"`
	Admin        types.Bool   `tfsdk:"admin"`
	ExpiresIn    types.String `tfsdk:"expires_in"`
	RotateBefore types.String `tfsdk:"rotate_before"`
	Organization types.String `tfsdk:"organization"`
}

func (r *tokenResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	value := computed("The token value (`pul-` followed by 40 hex digits). Known only from creation and kept in state across refreshes; null for an imported token.")
	value.Sensitive = true
	resp.Schema = schema.Schema{
		Description: "An organization access token acting with exactly one role (`role_id`), the legacy `admin` flag, or the organization's default role. " +
			"Tokens cannot be edited: changing any input but `rotate_before` replaces the token. With `expires_in` and `rotate_before`, a plan made once less than " +
			"`rotate_before` of validity remains (or after expiry) replaces the token, with a warning giving the reason. Token names stay reserved on the server after " +
			"deletion, so a replacement is named `<name>-2`, `<name>-3`, … (see `token_name`). Import with `{organization}/{token_id}`; an imported token has no value.",
		Attributes: map[string]schema.Attribute{
			"id":         computed("`{organization}/{token_id}`; also the import ID."),
			"token_id":   computed("Server-assigned ID of the token."),
			"token_name": computed("Name of the token on the server: `name`, or `name` with a `-2`, `-3`, … suffix when a replacement could not reuse it."),
			"value":      value,
			"expires_at": computed("Expiry time (RFC 3339, UTC); null for a token that never expires."),
			"name": schema.StringAttribute{
				Required:    true,
				Description: "Name of the token (at most 40 characters). Changing it replaces the token.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(replaceNameUnlessImported,
					"Replaces the token, unless the token was imported under this name with a -2, -3, … suffix.",
					"Replaces the token, unless the token was imported under this name with a `-2`, `-3`, … suffix.")},
			},
			"description": schema.StringAttribute{
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(""),
				Description:   "Free-form description. Changing it replaces the token.",
				PlanModifiers: replace,
			},
			"role_id": schema.StringAttribute{
				Optional:      true,
				Description:   "ID of the role the token acts with (an `iam_custom_role`'s `role_id`, or a built-in role's ID). Conflicts with `admin = true`. Changing it replaces the token.",
				PlanModifiers: replace,
			},
			"admin": schema.BoolAttribute{
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(false),
				Description:   "Give the token the legacy organization admin flag instead of a role. `true` conflicts with `role_id` (`false` beside it, as `terraform plan -generate-config-out` writes it, is fine). Changing it replaces the token.",
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
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
				Description: "Organization of the token; defaults to the provider's organization. Changing the effective organization replaces the token.",
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

// replaceUnlessImported replaces the token when expires_in changes, except when an imported
// token (no value in state; the server does not say how long it was issued for) gets it for
// the first time.
func replaceUnlessImported(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	var value types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("value"), &value)...)
	resp.RequiresReplace = !(req.StateValue.IsNull() && value.IsNull())
}

// replaceNameUnlessImported replaces the token when its name changes, except when an imported
// token (no value in state) has the server name of a replacement made under the configured
// name ("ci-2" for "ci"): the import only learnt the server's name.
func replaceNameUnlessImported(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	var value types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("value"), &value)...)
	resp.RequiresReplace = !(value.IsNull() && mapping.IsReplacementName(req.StateValue.ValueString(), req.PlanValue.ValueString()))
}

func (m tokenModel) args(org string) mapping.TokenArgs {
	return mapping.TokenArgs{Organization: org, Name: m.Name.ValueString(), Description: m.Description.ValueString(), RoleID: m.RoleID.ValueString(),
		Admin: m.Admin.ValueBool(), ExpiresIn: m.ExpiresIn.ValueString(), RotateBefore: m.RotateBefore.ValueString()}
}

// ValidateConfig checks the configuration offline with mapping.CheckTokenWithUnknowns, which
// also refuses role_id with admin = true. admin = false beside role_id is what
// `terraform plan -generate-config-out` writes for a token with a role (admin is
// optional+computed, so its state value is written out), and it means the same as no admin.
func (r *tokenResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m tokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	for f, v := range map[mapping.Field]attr.Value{mapping.FieldName: m.Name, mapping.FieldExpiresIn: m.ExpiresIn, mapping.FieldRotateBefore: m.RotateBefore} {
		if v.IsUnknown() {
			unk.Add(mapping.Root(f))
		}
	}
	if m.RoleID.IsUnknown() || m.Admin.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldRoleID))
	}
	resp.Diagnostics.Append(problemDiags(mapping.CheckTokenWithUnknowns(m.args(""), unk), nil)...)
}

// ModifyPlan renews the token early: when mapping.RotationDue says the token expires within
// rotate_before (or has expired), the plan replaces it and a warning gives the reason.
// It also replaces the token when its effective organization changes.
func (r *tokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan tokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	planTokenRenewal(ctx, r.data.prov, tokenLifetime{stateExpiresAt: state.ExpiresAt, stateName: state.TokenName, stateValue: state.Value,
		planValue: plan.Value, planRotateBefore: plan.RotateBefore}, resp)
}

func (r *tokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan tokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, err := r.data.prov.CreateToken(ctx, plan.args(org), r.data.prov.Now())
	if err != nil {
		resp.Diagnostics.AddError("Cannot create token", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.TokenID))
	plan.TokenID = types.StringValue(st.TokenID)
	plan.TokenName = types.StringValue(st.TokenName)
	plan.Value = types.StringValue(st.Value)
	plan.ExpiresAt = optString(st.ExpiresAt)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read finds the token; its inputs and value come from prior state (the server never returns
// the value again). An imported token takes its inputs from the server and has no value.
func (r *tokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state tokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	prior := mapping.TokenState{TokenArgs: state.args(org), TokenID: state.TokenID.ValueString(), TokenName: state.TokenName.ValueString(),
		Value: state.Value.ValueString(), ExpiresAt: state.ExpiresAt.ValueString()}
	imported := state.Name.IsNull()
	st, found, err := r.data.prov.ReadToken(ctx, prior)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read token", errText(err))
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
		state.RoleID = optString(st.RoleID)
		state.Admin = types.BoolValue(st.Admin)
		state.Value = types.StringNull()
		resp.Diagnostics.AddWarning("Imported token has no value",
			"the server returns a token's value only when it is created, so `value` is null for the imported token "+st.TokenName)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update only records rotate_before (or, on an imported token, expires_in and the configured
// name; or an organization that names the effective one): nothing on the server changes.
func (r *tokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state tokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.Name = plan.Name // differs only for an imported replacement (see replaceNameUnlessImported)
	state.RotateBefore = plan.RotateBefore
	state.ExpiresIn = plan.ExpiresIn
	state.Organization = plan.Organization // only when the effective organization stays
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *tokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state tokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st := mapping.TokenState{TokenArgs: state.args(stateOrg(state.ID, state.Organization)), TokenID: state.TokenID.ValueString(), TokenName: state.TokenName.ValueString()}
	if err := r.data.prov.DeleteToken(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete token", errText(err))
	}
}

// tokenLifetime is what a token resource's plan needs to decide on renewal: its state's
// expiry, name and value, and the plan's value and rotate_before.
type tokenLifetime struct {
	stateExpiresAt, stateName, stateValue types.String
	planValue, planRotateBefore           types.String
}

// planTokenRenewal replaces a token whose renewal is due (rotate_before before its expiry) and
// keeps an imported token's value null when it is not; iam_organization_access_token and
// iam_team_access_token share it.
func planTokenRenewal(ctx context.Context, prov *mapping.Provider, t tokenLifetime, resp *resource.ModifyPlanResponse) {
	if t.planRotateBefore.IsUnknown() {
		return
	}
	due, why := mapping.RotationDue(t.stateExpiresAt.ValueString(), t.planRotateBefore.ValueString(), prov.Now())
	if !due {
		if t.stateValue.IsNull() && t.planValue.IsUnknown() {
			// An imported token has no value, and an in-place update does not give it one.
			// (A replacement is planned afresh, without prior state.)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("value"), types.StringNull())...)
		}
		return
	}
	// Terraform replaces only for a path whose value changes, so expires_at becomes unknown.
	for _, a := range []string{"expires_at", "token_id", "token_name", "value", "id"} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(a), types.StringUnknown())...)
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("expires_at"))
	resp.Diagnostics.AddAttributeWarning(path.Root("rotate_before"), "Token renewal due", why.Text(names{})+" (token "+t.stateName.ValueString()+")")
}
