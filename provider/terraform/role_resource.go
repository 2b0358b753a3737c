package terraform

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

// customRoleResource is iam_custom_role: an organization role given as grant blocks or raw
// details.
type customRoleResource struct{ resourceBase }

func newCustomRoleResource() resource.Resource {
	return &customRoleResource{resourceBase{typeName: "_custom_role", idAttr: "role_id"}}
}

type roleModel struct {
	ID           types.String `tfsdk:"id"`
	RoleID       types.String `tfsdk:"role_id"`
	Version      types.Int64  `tfsdk:"version"`
	Name         types.String `tfsdk:"name"`
	Description  types.String `tfsdk:"description"`
	Organization types.String `tfsdk:"organization"`
	Grant        types.List   `tfsdk:"grant"`
	Details      detailsValue `tfsdk:"details"`
}

type grantModel struct {
	Permissions      types.Set `tfsdk:"permissions"`
	Scopes           types.Set `tfsdk:"scopes"`
	Stacks           types.Set `tfsdk:"stacks"`
	Environments     types.Set `tfsdk:"environments"`
	InsightsAccounts types.Set `tfsdk:"insights_accounts"`
}

// refs is the block's set of entities of kind k.
func (g *grantModel) refs(k authz.EntityKind) *types.Set {
	switch k {
	case authz.KindStack:
		return &g.Stacks
	case authz.KindEnvironment:
		return &g.Environments
	case authz.KindInsightsAccount:
		return &g.InsightsAccounts
	}
	panic("iam: a grant lists no entities of kind " + k.String())
}

var grantAttrTypes = map[string]attr.Type{
	"permissions": types.SetType{ElemType: types.StringType}, "scopes": types.SetType{ElemType: types.StringType},
	"stacks": types.SetType{ElemType: types.StringType}, "environments": types.SetType{ElemType: types.StringType},
	"insights_accounts": types.SetType{ElemType: types.StringType},
}

var grantObjectType = types.ObjectType{AttrTypes: grantAttrTypes}

func (r *customRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	set := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{Optional: true, ElementType: types.StringType, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "A custom organization role (a permission descriptor record with uxPurpose `role`), given either as `grant` blocks or as raw `details`. " +
			"Grants are additive; a grant that lists no stacks, environments or insights accounts applies organization-wide. " +
			"Changes are compared on the canonical tree the server stores: the order of values inside a grant never shows as a diff (the order of the grant blocks does), " +
			"and a refresh reports changes made outside Terraform. Import with `{organization}/{role_id}`.",
		Attributes: r.recordAttributes("role", "Server-assigned ID of the role; use it as an `iam_organization_access_token`'s `role_id`.", map[string]schema.Attribute{
			"details": schema.StringAttribute{
				CustomType: detailsType{},
				Optional:   true,
				Computed:   true,
				Description: "What the role allows as raw PermissionDescriptor JSON (the `details` tree of the IAM API, discriminated by `__type`), for roles built elsewhere; conflicts with `grant` " +
					"(beside `grant` blocks it is accepted only as the tree they compile to, which is what `terraform plan -generate-config-out` writes for an imported role; the plan checks it). " +
					"Either way, after apply it holds the tree the server stores; the plan shows it as known after apply only when the tree changes. Values are compared canonically, so formatting and key order never cause a diff.",
			},
		}),
		Blocks: map[string]schema.Block{
			"grant": schema.ListNestedBlock{
				Description: "One grant: permissions and scopes on the listed stacks, environments and insights accounts, or organization-wide when none are listed. Conflicts with `details`.",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"permissions":       set("Permissions granted: `iam_permission` IDs (`permission_id`) or built-in permission sets such as `stack-read`, `stack-write`, `stack-admin`, `environment-open`."),
						"scopes":            set("Scopes granted directly, such as `stack:read`; each must act on the kind of entity the grant lists (organization-level scopes only in a grant that lists none)."),
						"stacks":            set("Stacks the grant applies to, as `project/stack`."),
						"environments":      set("Environments the grant applies to, as `project/environment`."),
						"insights_accounts": set("Insights accounts the grant applies to, by name."),
					},
				},
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

// grants reads the grant blocks.
func (m roleModel) grants(ctx context.Context) ([]grantModel, diag.Diagnostics) {
	if m.Grant.IsNull() || m.Grant.IsUnknown() {
		return nil, nil
	}
	var gs []grantModel
	diags := m.Grant.ElementsAs(ctx, &gs, false)
	return gs, diags
}

// args converts a model without unknowns (state, or a plan at apply time) into mapping inputs.
func (m roleModel) args(ctx context.Context, org string) (mapping.CustomRoleArgs, diag.Diagnostics) {
	a := mapping.CustomRoleArgs{Organization: org, Name: m.Name.ValueString(), Description: m.Description.ValueString()}
	gs, diags := m.grants(ctx)
	for _, g := range gs {
		mg := mapping.Grant{Permissions: knownStrings(g.Permissions), Scopes: knownStrings(g.Scopes)}
		for _, k := range authz.EntityKinds {
			mg.Set(k, knownStrings(*g.refs(k)))
		}
		a.Grants = append(a.Grants, mg)
	}
	return a, diags
}

// usesDetails reports whether the configuration (or plan) gives raw details: no grant blocks
// and a details value. A computed details value from grants is not "given".
func usesDetails(grant types.List, details detailsValue) bool {
	return len(grant.Elements()) == 0 && !grant.IsUnknown() && !details.IsNull() && !details.IsUnknown() && details.ValueString() != ""
}

// withGrants reports whether the configuration gives details beside grant blocks (or grant
// blocks not known yet).
func withGrants(grant types.List, details detailsValue) bool {
	return !details.IsNull() && (grant.IsUnknown() || len(grant.Elements()) > 0)
}

// mappingArgs are the inputs of a role model: grants, or details when the model gives no grants.
func (m roleModel) mappingArgs(ctx context.Context, org string) (mapping.CustomRoleArgs, diag.Diagnostics) {
	a, diags := m.args(ctx, org)
	if usesDetails(m.Grant, m.Details) {
		a.Details = m.Details.ValueString()
	}
	return a, diags
}

// grantList builds the grant blocks from mapping grants (always a list, empty without grants).
func grantList(gs []mapping.Grant) (types.List, diag.Diagnostics) {
	vals := make([]grantModel, len(gs))
	for i, g := range gs {
		vals[i] = grantModel{Permissions: stringSet(g.Permissions), Scopes: stringSet(g.Scopes)}
		for _, k := range authz.EntityKinds {
			*vals[i].refs(k) = stringSet(g.Of(k))
		}
	}
	return types.ListValueFrom(context.Background(), grantObjectType, vals)
}

// sameGrants compares grants in order, each list as a set.
func sameGrants(a, b []mapping.Grant) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := mapping.NormalizeGrant(a[i]), mapping.NormalizeGrant(b[i])
		if !slices.Equal(x.Permissions, y.Permissions) || !slices.Equal(x.Scopes, y.Scopes) {
			return false
		}
		for _, k := range authz.EntityKinds {
			if !slices.Equal(x.Of(k), y.Of(k)) {
				return false
			}
		}
	}
	return true
}

// ValidateConfig checks the configuration offline with mapping.CheckRoleWithUnknowns: values
// not known yet (such as the ID of a permission created in the same run) get stand-ins.
func (r *customRoleResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m roleModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	probe := mapping.CustomRoleArgs{Name: m.Name.ValueString(), Details: m.Details.ValueString()}
	if m.Name.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldName))
	}
	if m.Details.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldDetails))
	} else if !m.Details.IsNull() && probe.Details == "" {
		resp.Diagnostics.AddAttributeError(path.Root("details"), "Invalid details", "empty; omit details or give a PermissionDescriptor tree")
		return
	}
	if withGrants(m.Grant, m.Details) {
		// details beside grant blocks, as -generate-config-out writes an imported role: the
		// grants are the inputs, and ModifyPlan checks that details is the tree they compile
		// to. Here details is only checked to be a tree.
		probe.Details = ""
		if !m.Details.IsUnknown() {
			resp.Diagnostics.Append(problemDiags(mapping.CheckRole(mapping.CustomRoleArgs{Name: "details", Details: m.Details.ValueString()}), nil)...)
		}
	}
	grants, sets, diags := m.grantsWithUnknowns(ctx, &unk)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	probe.Grants = grants
	resp.Diagnostics.Append(problemDiags(mapping.CheckRoleWithUnknowns(probe, unk), sets)...)
}

// grantsWithUnknowns reads the grant blocks of a configuration or plan, recording the values
// not known yet in unk; sets maps the mapping path of each set to its values (see problemDiags).
func (m roleModel) grantsWithUnknowns(ctx context.Context, unk *mapping.Unknowns) ([]mapping.Grant, map[string][]string, diag.Diagnostics) {
	if m.Grant.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldGrants))
	}
	gs, diags := m.grants(ctx)
	if diags.HasError() {
		return nil, nil, diags
	}
	sets := map[string][]string{}
	var out []mapping.Grant
	for i, g := range gs {
		at := mapping.Root(mapping.FieldGrants).At(i)
		read := func(f mapping.Field, s types.Set) []string {
			vals := setStrings(s, at.Dot(f), unk)
			sets[at.Dot(f).String()] = vals
			return vals
		}
		mg := mapping.Grant{Permissions: read(mapping.FieldPermissions, g.Permissions), Scopes: read(mapping.FieldScopes, g.Scopes)}
		for _, k := range authz.EntityKinds {
			mg.Set(k, read(mapping.Field(k.GrantField()), *g.refs(k)))
		}
		out = append(out, mg)
	}
	return out, sets, diags
}

// checkEntities fails the plan when a stack, environment or insights account that the grants
// name (and that is known at plan time) does not exist: the provider does not create them, so
// the apply would fail.
func (r *customRoleResource) checkEntities(ctx context.Context, plan roleModel, diags *diag.Diagnostics) {
	var unk mapping.Unknowns
	if plan.Organization.IsUnknown() {
		return
	}
	grants, sets, d := plan.grantsWithUnknowns(ctx, &unk)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	org, err := r.data.prov.Org(plan.Organization.ValueString())
	if err != nil {
		return // the create says so
	}
	err = r.data.prov.CheckRoleEntities(ctx, mapping.CustomRoleArgs{Organization: org, Name: plan.Name.ValueString(), Grants: grants}, unk)
	if err != nil {
		diags.Append(errDiags("Cannot look up the role's entities", err, sets)...)
	}
}

// ModifyPlan compares the planned inputs with the server's tree (mapping.RoleChanges compiles
// them through the API: built-in set identifiers and entity names become IDs). When the tree
// stays the same, `details` keeps its value in the plan instead of showing "(known after
// apply)", and when nothing the server stores changes, `version` does too and apply makes no
// API call. A changed effective organization replaces the role.
//
// Details given beside grant blocks (as `terraform plan -generate-config-out` writes an
// imported role) must be the tree the grants compile to; otherwise the plan fails.
func (r *customRoleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan, config roleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if withGrants(config.Grant, config.Details) && !config.Details.IsUnknown() && attrFullyKnown(plan.Grant) && !plan.Organization.IsUnknown() {
		r.checkDetailsOfGrants(ctx, plan, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if r.checkEntities(ctx, plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		return
	}
	var state roleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if len(resp.RequiresReplace) > 0 || !req.Plan.Raw.IsFullyKnown() && hasUnknownInputs(plan, config) {
		return
	}
	update, err := r.changes(ctx, state, plan)
	if err != nil {
		resp.Diagnostics.AddError("Cannot compare the role with the server's", errText(err))
		return
	}
	treeChanged := slices.Contains(update, mapping.FieldGrants) || slices.Contains(update, mapping.FieldDetails)
	if !treeChanged && config.Details.IsNull() {
		plan.Details = state.Details
	}
	if len(update) == 0 {
		plan.Version = state.Version
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
}

// checkDetailsOfGrants fails unless the plan's details is the tree its grants compile to.
func (r *customRoleResource) checkDetailsOfGrants(ctx context.Context, plan roleModel, diags *diag.Diagnostics) {
	org, err := r.data.prov.Org(plan.Organization.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("organization"), "No organization", errText(err))
		return
	}
	a, d := plan.args(ctx, org)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	tree, err := r.data.prov.CompileRole(ctx, a)
	if err != nil {
		diags.Append(errDiags("Cannot compile the role's grants", err, nil)...)
		return
	}
	if !sameDetails(string(tree), plan.Details.ValueString()) {
		diags.AddAttributeError(path.Root("details"), "Invalid details",
			"set either grant or details, not both: details beside grant blocks is accepted only when it is the tree the grants compile to "+
				"(as `terraform plan -generate-config-out` writes it for an imported role), and this one differs. "+
				"Remove details; it is computed from the grant blocks and after apply holds the tree the server stores.")
	}
}

// hasUnknownInputs reports whether any input of the plan is not known yet.
func hasUnknownInputs(plan, config roleModel) bool {
	return plan.Name.IsUnknown() || plan.Description.IsUnknown() || plan.Organization.IsUnknown() ||
		!plan.Grant.IsNull() && !attrFullyKnown(plan.Grant) || config.Details.IsUnknown()
}

func attrFullyKnown(v attr.Value) bool {
	tv, err := v.ToTerraformValue(context.Background())
	return err == nil && tv.IsFullyKnown()
}

// changes lists what applying plan over state changes on the server (see mapping.RoleChanges).
func (r *customRoleResource) changes(ctx context.Context, state, plan roleModel) ([]mapping.Field, error) {
	org := stateOrg(state.ID, state.Organization)
	old, diags := state.args(ctx, org)
	if diags.HasError() {
		return nil, fmt.Errorf("%v", diags)
	}
	a, diags := plan.mappingArgs(ctx, org)
	if diags.HasError() {
		return nil, fmt.Errorf("%v", diags)
	}
	cur := mapping.CustomRoleState{CustomRoleArgs: old, RoleID: state.RoleID.ValueString(), Version: int(state.Version.ValueInt64()),
		CanonicalDetails: canonicalDetails(state.Details.ValueString())}
	update, _, err := r.data.prov.RoleChanges(ctx, cur, a)
	return update, err
}

func (r *customRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan roleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	a, diags := plan.mappingArgs(ctx, org)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	st, err := r.data.prov.CreateRole(ctx, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create role", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.RoleID))
	plan.RoleID = types.StringValue(st.RoleID)
	plan.Version = types.Int64Value(int64(st.Version))
	plan.Details = detailsOf(st.CanonicalDetails) // semantic equality keeps a configured spelling
	if plan.Grant.IsNull() || plan.Grant.IsUnknown() {
		plan.Grant, _ = grantList(nil)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read asks the server (refresh and import). Prior grants are kept while they still compile to
// the server's tree; otherwise they are rebuilt from it (named grants when the tree has the
// shape grants produce, else raw details), which shows as drift.
func (r *customRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state roleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	var prior *mapping.CustomRoleArgs
	imported := state.Name.IsNull()
	if !imported {
		a, diags := state.mappingArgs(ctx, org)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		prior = &a
	}
	st, found, err := r.data.prov.ReadRole(ctx, org, state.RoleID.ValueString(), prior)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read role", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.RoleID))
	state.Version = types.Int64Value(int64(st.Version))
	state.Name = types.StringValue(st.Name)
	state.Description = types.StringValue(st.Description)
	// details always holds the server's tree; semantic equality keeps the prior spelling when
	// it means the same.
	state.Details = detailsOf(st.CanonicalDetails)
	if prior == nil || !sameGrants(prior.Grants, st.Grants) || state.Grant.IsNull() {
		gl, diags := grantList(st.Grants)
		resp.Diagnostics.Append(diags...)
		state.Grant = gl
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update writes the role when RoleChanges says the server's record changes, and otherwise only
// records the new spelling of the inputs in state.
func (r *customRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state roleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID, plan.RoleID = state.ID, state.RoleID
	if plan.Grant.IsNull() || plan.Grant.IsUnknown() {
		plan.Grant, _ = grantList(nil)
	}
	update, err := r.changes(ctx, state, plan)
	if err != nil {
		resp.Diagnostics.AddError("Cannot update role", errText(err))
		return
	}
	if len(update) == 0 {
		plan.Version = state.Version
		if plan.Details.IsUnknown() {
			plan.Details = state.Details
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old, diags := state.args(ctx, org)
	resp.Diagnostics.Append(diags...)
	a, diags := plan.mappingArgs(ctx, org)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cur := mapping.CustomRoleState{CustomRoleArgs: old, RoleID: state.RoleID.ValueString(), Version: int(state.Version.ValueInt64())}
	st, err := r.data.prov.UpdateRole(ctx, cur, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot update role", errText(err))
		return
	}
	plan.Version = types.Int64Value(int64(st.Version))
	plan.Details = detailsOf(st.CanonicalDetails)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *customRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state roleModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st := mapping.CustomRoleState{CustomRoleArgs: mapping.CustomRoleArgs{Organization: stateOrg(state.ID, state.Organization), Name: state.Name.ValueString()},
		RoleID: state.RoleID.ValueString()}
	if err := r.data.prov.DeleteRole(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete role", errText(err))
	}
}
