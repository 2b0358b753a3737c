package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// teamResource is iam_team.
type teamResource struct{ resourceBase }

func newTeamResource() resource.Resource {
	return &teamResource{resourceBase{typeName: "_team", idAttr: "name"}}
}

type teamModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	DisplayName  types.String `tfsdk:"display_name"`
	Description  types.String `tfsdk:"description"`
	Members      types.Set    `tfsdk:"members"`
	Organization types.String `tfsdk:"organization"`
}

func (r *teamResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A team of organization members. Give it roles with `iam_team_role_assignment`; its members and team tokens act with them. " +
			"`members` is the whole membership: members added or removed outside Terraform show as a change in the next plan. " +
			"Import with `{organization}/{name}`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, Description: "`{organization}/{name}`; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{
				Required:      true,
				Description:   "Name of the team, unique in the organization (letters, digits, `-`, `_`, `.`; at most 40 characters). Changing it replaces the team.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"display_name": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(""),
				Description: "Name shown for the team.",
			},
			"description": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(""),
				Description: "Free-form description.",
			},
			"members": schema.SetAttribute{
				Optional: true, Computed: true, ElementType: types.StringType,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, nil)),
				Description: "Logins of the organization members in the team (see `iam_organization_member`); empty when omitted.",
			},
			"organization": schema.StringAttribute{
				Optional: true,
				Description: "Organization of the team; defaults to the provider's organization. " +
					"Changing the effective organization replaces the team.",
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m teamModel) args(org string) mapping.TeamArgs {
	return mapping.TeamArgs{Organization: org, Name: m.Name.ValueString(), DisplayName: m.DisplayName.ValueString(),
		Description: m.Description.ValueString(), Members: knownStrings(m.Members)}
}

// set writes a mapping state into the model, keeping the model's members when they are the
// same set.
func (m *teamModel) set(st mapping.TeamState) {
	m.Name = types.StringValue(st.Name)
	m.DisplayName = types.StringValue(st.DisplayName)
	m.Description = types.StringValue(st.Description)
	if !sameStrings(knownStrings(m.Members), st.Members) || m.Members.IsNull() {
		members := st.Members
		if members == nil {
			members = []string{}
		}
		m.Members = stringSet(mapping.SortedUnique(members))
	}
}

// ValidateConfig checks the configuration offline with mapping.CheckTeamWithUnknowns.
func (r *teamResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m teamModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	probe := mapping.TeamArgs{Name: m.Name.ValueString(), DisplayName: m.DisplayName.ValueString(), Description: m.Description.ValueString()}
	if m.Name.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldName))
	}
	members := mapping.Root(mapping.FieldMembers)
	probe.Members = setStrings(m.Members, members, &unk)
	resp.Diagnostics.Append(problemDiags(mapping.CheckTeamWithUnknowns(probe, unk), map[string][]string{members.String(): probe.Members})...)
}

// ModifyPlan replaces the team when its effective organization changes.
func (r *teamResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan teamModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
}

// Create creates the team and adds its members. When a member cannot be added, the team is
// kept in state with the members added so far (Terraform marks it tainted).
func (r *teamResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan teamModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, created, err := r.data.prov.CreateTeam(ctx, plan.args(org))
	if created {
		plan.ID = types.StringValue(mapping.ResourceID(org, st.Name))
		if err != nil {
			plan.Members = stringSet(nil)
			plan.set(st)
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot create team", errText(err))
	}
}

// Read asks the server; members, display name and description changed outside Terraform show
// as drift, and a deleted team leaves the state.
func (r *teamResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state teamModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	st, found, err := r.data.prov.ReadTeam(ctx, mapping.TeamArgs{Organization: org, Name: state.Name.ValueString(), DisplayName: state.DisplayName.ValueString()})
	if err != nil {
		resp.Diagnostics.AddError("Cannot read team", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.Name))
	state.set(st)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update writes only what differs from the state (display name, description, each member
// added or removed); on an error the state keeps what was applied.
func (r *teamResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state teamModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old := mapping.TeamState{TeamArgs: state.args(org)}
	plan.ID = state.ID
	st, err := r.data.prov.UpdateTeam(ctx, old, plan.args(org))
	if err != nil {
		state.set(st)
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
		resp.Diagnostics.AddError("Cannot update team", errText(err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *teamResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state teamModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	if err := r.data.prov.DeleteTeam(ctx, mapping.TeamState{TeamArgs: state.args(org)}); err != nil {
		resp.Diagnostics.AddError("Cannot delete team", errText(err))
	}
}
