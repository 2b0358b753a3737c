package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// teamRoleResource is iam_team_role_assignment.
type teamRoleResource struct{ resourceBase }

func newTeamRoleResource() resource.Resource {
	return &teamRoleResource{resourceBase{typeName: "_team_role_assignment"}}
}

type teamRoleModel struct {
	ID           types.String `tfsdk:"id"`
	Team         types.String `tfsdk:"team"`
	RoleID       types.String `tfsdk:"role_id"`
	Organization types.String `tfsdk:"organization"`
}

func (r *teamRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "Gives a team a role: its members and team tokens act with it. A team may hold several roles, one assignment each. " +
			"Changing any attribute replaces the assignment. Creating an assignment the team holds already fails; import it instead. " +
			"Import with `{organization}/{team}/{role_id}`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, Description: "`{organization}/{team}/{role_id}`; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"team":    schema.StringAttribute{Required: true, Description: "Name of the team (an `iam_team`'s `name`).", PlanModifiers: replace},
			"role_id": schema.StringAttribute{Required: true, Description: "ID of the role (an `iam_custom_role`'s `role_id` or a built-in role's ID).", PlanModifiers: replace},
			"organization": schema.StringAttribute{Optional: true, PlanModifiers: replace,
				Description: "Organization of the team; defaults to the provider's organization. Changing it replaces the assignment."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m teamRoleModel) args(org string) mapping.TeamRoleAssignmentArgs {
	return mapping.TeamRoleAssignmentArgs{Organization: org, Team: m.Team.ValueString(), RoleID: m.RoleID.ValueString()}
}

// liveOrg is the organization of the assignment's ID, else its organization (else the provider's).
func (r *teamRoleResource) liveOrg(m teamRoleModel) string {
	if org, _, _, err := r.data.prov.ParseAssignmentID(m.ID.ValueString()); err == nil && m.ID.ValueString() != "" {
		return org
	}
	return m.Organization.ValueString()
}

// ImportState takes "{organization}/{team}/{role_id}" (or "{team}/{role_id}").
func (r *teamRoleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	org, team, roleID, err := r.data.prov.ParseAssignmentID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", errText(err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), mapping.AssignmentID(org, team, roleID))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("team"), team)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("role_id"), roleID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("organization"), optString(r.data.prov.ImportOrg(org)))...)
}

// ValidateConfig checks the configuration offline.
func (r *teamRoleResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m teamRoleModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	if m.Team.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldTeam))
	}
	if m.RoleID.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldRoleID))
	}
	resp.Diagnostics.Append(problemDiags(mapping.CheckTeamRoleAssignmentWithUnknowns(m.args(""), unk), nil)...)
}

// ModifyPlan: every change replaces (plan modifiers); nothing else to do.
func (r *teamRoleResource) ModifyPlan(context.Context, resource.ModifyPlanRequest, *resource.ModifyPlanResponse) {
}

func (r *teamRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan teamRoleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	if err := r.data.prov.CreateTeamRoleAssignment(ctx, plan.args(org)); err != nil {
		resp.Diagnostics.AddError("Cannot create team role assignment", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.AssignmentID(org, plan.Team.ValueString(), plan.RoleID.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read checks that the team still holds the role; otherwise the assignment leaves the state.
func (r *teamRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state teamRoleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	found, err := r.data.prov.ReadTeamRoleAssignment(ctx, state.args(r.liveOrg(state)))
	if err != nil {
		resp.Diagnostics.AddError("Cannot read team role assignment", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
	}
}

// Update is never called: every change replaces the assignment.
func (r *teamRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan teamRoleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *teamRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state teamRoleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.data.prov.DeleteTeamRoleAssignment(ctx, state.args(r.liveOrg(state))); err != nil {
		resp.Diagnostics.AddError("Cannot delete team role assignment", errText(err))
	}
}
