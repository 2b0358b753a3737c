package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// permissionResource is iam_permission: a reusable scope set (uxPurpose "set").
type permissionResource struct{ resourceBase }

func newPermissionResource() resource.Resource {
	return &permissionResource{resourceBase{typeName: "_permission", idAttr: "permission_id"}}
}

type permissionModel struct {
	ID           types.String `tfsdk:"id"`
	PermissionID types.String `tfsdk:"permission_id"`
	Version      types.Int64  `tfsdk:"version"`
	Name         types.String `tfsdk:"name"`
	Description  types.String `tfsdk:"description"`
	Scopes       types.Set    `tfsdk:"scopes"`
	Organization types.String `tfsdk:"organization"`
}

func (r *permissionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A reusable permission: a named set of scopes (a permission descriptor record with uxPurpose `set`) that custom roles grant on stacks, " +
			"environments or insights accounts. Its scopes act on one entity kind, or are all organization-level. Import with `{organization}/{permission_id}`.",
		Attributes: r.recordAttributes("permission", "Server-assigned ID of the permission; use it in a custom role's `grant.permissions`.",
			map[string]schema.Attribute{
				"scopes": schema.SetAttribute{
					Required:    true,
					ElementType: types.StringType,
					Description: "Scopes such as `stack:read` (see the `iam_scopes` data source); an unknown scope is rejected at plan time with the closest valid name.",
				},
			}),
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m permissionModel) args(org string) mapping.PermissionArgs {
	return mapping.PermissionArgs{Organization: org, Name: m.Name.ValueString(), Description: m.Description.ValueString(), Scopes: knownStrings(m.Scopes)}
}

// ValidateConfig checks the configuration offline with mapping.CheckPermissionWithUnknowns.
func (r *permissionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m permissionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	probe := mapping.PermissionArgs{Name: m.Name.ValueString(), Description: m.Description.ValueString()}
	if m.Name.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldName))
	}
	scopes := mapping.Root(mapping.FieldScopes)
	probe.Scopes = setStrings(m.Scopes, scopes, &unk)
	resp.Diagnostics.Append(problemDiags(mapping.CheckPermissionWithUnknowns(probe, unk), map[string][]string{scopes.String(): probe.Scopes})...)
}

// ModifyPlan replaces the permission when its effective organization changes.
func (r *permissionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan permissionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if len(resp.RequiresReplace) > 0 || plan.Name.IsUnknown() || plan.Description.IsUnknown() || !attrFullyKnown(plan.Scopes) {
		return
	}
	// Nothing the server stores changes (say, organization set to the provider's): version
	// stays, and apply makes no API call.
	org := stateOrg(state.ID, state.Organization)
	old := mapping.PermissionState{PermissionArgs: state.args(org)}
	if update, _ := mapping.PermissionChanges(old, plan.args(org)); len(update) == 0 {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("version"), state.Version)...)
	}
}

func (r *permissionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan permissionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, err := r.data.prov.CreatePermission(ctx, plan.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot create permission", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.PermissionID))
	plan.PermissionID = types.StringValue(st.PermissionID)
	plan.Version = types.Int64Value(int64(st.Version))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read asks the server; changes made outside Terraform show as drift, and a deleted
// permission leaves the state (so the next plan creates it again).
func (r *permissionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state permissionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st, found, err := r.data.prov.ReadPermission(ctx, org, state.PermissionID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read permission", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	if org == "" {
		org, _ = r.data.prov.Org("")
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.PermissionID))
	state.Version = types.Int64Value(int64(st.Version))
	state.Name = types.StringValue(st.Name)
	state.Description = types.StringValue(st.Description)
	if !sameStrings(knownStrings(state.Scopes), st.Scopes) {
		state.Scopes = stringSet(st.Scopes)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *permissionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state permissionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old := mapping.PermissionState{PermissionArgs: state.args(org), PermissionID: state.PermissionID.ValueString(), Version: int(state.Version.ValueInt64())}
	plan.ID, plan.PermissionID = state.ID, state.PermissionID
	if update, _ := mapping.PermissionChanges(old, plan.args(org)); len(update) == 0 {
		plan.Version = state.Version
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		return
	}
	st, err := r.data.prov.UpdatePermission(ctx, old, plan.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot update permission", errText(err))
		return
	}
	plan.Version = types.Int64Value(int64(st.Version))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *permissionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state permissionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st := mapping.PermissionState{PermissionArgs: state.args(org), PermissionID: state.PermissionID.ValueString()}
	if err := r.data.prov.DeletePermission(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete permission", errText(err))
	}
}
