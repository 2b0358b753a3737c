package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// memberResource is iam_organization_member.
type memberResource struct{ resourceBase }

func newMemberResource() resource.Resource {
	return &memberResource{resourceBase{typeName: "_organization_member", idAttr: "login"}}
}

type memberModel struct {
	ID           types.String `tfsdk:"id"`
	Login        types.String `tfsdk:"login"`
	Role         types.String `tfsdk:"role"`
	RoleID       types.String `tfsdk:"role_id"`
	Name         types.String `tfsdk:"name"`
	Email        types.String `tfsdk:"email"`
	Organization types.String `tfsdk:"organization"`
}

func (r *memberResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A user's membership of the organization, with a built-in role (`role`) or any role by ID (`role_id`). " +
			"The server is its own user directory: adding a login it does not know creates the user, with `name` and `email`. " +
			"Destroying the resource removes the member from the organization and from its teams, and stops their personal tokens; " +
			"the server refuses to remove the last admin. Import with `{organization}/{login}`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, Description: "`{organization}/{login}`; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"login": schema.StringAttribute{Required: true, Description: "Login of the user. Changing it replaces the membership.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"role":    schema.StringAttribute{Optional: true, Description: "Built-in role: `admin`, `member` or `billing-manager`. Conflicts with `role_id`; one of them is required."},
			"role_id": schema.StringAttribute{Optional: true, Description: "ID of the member's role (an `iam_custom_role`'s `role_id`). Conflicts with `role`; one of them is required."},
			"name":    schema.StringAttribute{Optional: true, Description: "Display name of a user the server creates; an existing user keeps theirs, and a change is recorded only."},
			"email":   schema.StringAttribute{Optional: true, Description: "Email of a user the server creates; an existing user keeps theirs, and a change is recorded only."},
			"organization": schema.StringAttribute{Optional: true,
				Description: "Organization; defaults to the provider's organization. Changing the effective organization replaces the membership."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m memberModel) args(org string) mapping.MemberArgs {
	return mapping.MemberArgs{Organization: org, Login: m.Login.ValueString(), Role: m.Role.ValueString(), RoleID: m.RoleID.ValueString(),
		Name: m.Name.ValueString(), Email: m.Email.ValueString()}
}

// ValidateConfig checks the configuration offline with mapping.CheckMemberWithUnknowns.
func (r *memberResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m memberModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	for f, v := range map[mapping.Field]types.String{mapping.FieldLogin: m.Login, mapping.FieldRole: m.Role, mapping.FieldRoleID: m.RoleID} {
		if v.IsUnknown() {
			unk.Add(mapping.Root(f))
		}
	}
	resp.Diagnostics.Append(problemDiags(mapping.CheckMemberWithUnknowns(m.args(""), unk), nil)...)
}

// ModifyPlan replaces the membership when its effective organization changes.
func (r *memberResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
}

// set writes a mapping state into the model.
func (m *memberModel) set(st mapping.MemberState) {
	m.Login = types.StringValue(st.Login)
	m.Role, m.RoleID = optString(st.Role), optString(st.RoleID)
	m.Name, m.Email = optString(st.Name), optString(st.Email)
}

// Create adds the member; when giving a role_id fails after the add, the member is kept in
// state with the role it has (Terraform marks it tainted).
func (r *memberResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan memberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, created, err := r.data.prov.CreateMember(ctx, plan.args(org))
	if created {
		plan.ID = types.StringValue(mapping.ResourceID(org, st.Login))
		if err != nil {
			plan.set(st)
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot add organization member", errText(err))
	}
}

// Read asks the server: a role changed outside Terraform shows as drift, and a member who left
// leaves the state.
func (r *memberResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	st, found, err := r.data.prov.ReadMember(ctx, state.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot read organization member", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.Login))
	state.set(st)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *memberResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state memberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	plan.ID = state.ID
	if _, err := r.data.prov.UpdateMember(ctx, mapping.MemberState{MemberArgs: state.args(org)}, plan.args(org)); err != nil {
		resp.Diagnostics.AddError("Cannot update organization member", errText(err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *memberResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state memberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	if err := r.data.prov.DeleteMember(ctx, mapping.MemberState{MemberArgs: state.args(org)}); err != nil {
		resp.Diagnostics.AddError("Cannot remove organization member", errText(err))
	}
}
