package terraform

import (
	"context"
	"fmt"
	"maps"
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

// customRoleResource is iam_custom_role, an organization role given as grant blocks or raw
// details, and (policy set) iam_policy, a reusable policy given the same way that roles
// compose by ID: the two differ only in the record's purpose, the ID attribute and the words.
type customRoleResource struct {
	resourceBase
	policy bool
}

func newCustomRoleResource() resource.Resource {
	return &customRoleResource{resourceBase: resourceBase{typeName: "_custom_role", idAttr: "role_id"}}
}

func newPolicyResource() resource.Resource {
	return &customRoleResource{resourceBase: resourceBase{typeName: "_policy", idAttr: "policy_id"}, policy: true}
}

// policyModel is roleModel with the ID attribute of iam_policy; the two convert into each other.
type policyModel struct {
	ID           types.String `tfsdk:"id"`
	RoleID       types.String `tfsdk:"policy_id"`
	Version      types.Int64  `tfsdk:"version"`
	Name         types.String `tfsdk:"name"`
	Description  types.String `tfsdk:"description"`
	Organization types.String `tfsdk:"organization"`
	Grant        types.List   `tfsdk:"grant"`
	Details      detailsValue `tfsdk:"details"`
}

// getter is a plan, state or configuration.
type getter interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// load reads a plan, state or configuration into m, whichever resource this is.
func (r *customRoleResource) load(ctx context.Context, g getter, m *roleModel) diag.Diagnostics {
	if !r.policy {
		return g.Get(ctx, m)
	}
	var pm policyModel
	d := g.Get(ctx, &pm)
	*m = roleModel(pm)
	return d
}

// model is m as this resource's schema spells it, for Set.
func (r *customRoleResource) model(m roleModel) any {
	if r.policy {
		return policyModel(m)
	}
	return m
}

// what is the record's noun in messages.
func (r *customRoleResource) what() string {
	if r.policy {
		return "policy"
	}
	return "role"
}

func (r *customRoleResource) create(ctx context.Context, a mapping.CustomRoleArgs) (mapping.CustomRoleState, error) {
	if r.policy {
		return r.data.prov.CreatePolicy(ctx, a)
	}
	return r.data.prov.CreateRole(ctx, a)
}

func (r *customRoleResource) read(ctx context.Context, org, id string, prior *mapping.CustomRoleArgs) (mapping.CustomRoleState, bool, error) {
	if r.policy {
		return r.data.prov.ReadPolicy(ctx, org, id, prior)
	}
	return r.data.prov.ReadRole(ctx, org, id, prior)
}

func (r *customRoleResource) update(ctx context.Context, old mapping.CustomRoleState, a mapping.CustomRoleArgs) (mapping.CustomRoleState, error) {
	if r.policy {
		return r.data.prov.UpdatePolicy(ctx, old, a)
	}
	return r.data.prov.UpdateRole(ctx, old, a)
}

func (r *customRoleResource) delete(ctx context.Context, st mapping.CustomRoleState) error {
	if r.policy {
		return r.data.prov.DeletePolicy(ctx, st)
	}
	return r.data.prov.DeleteRole(ctx, st)
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
	Permissions      types.Set    `tfsdk:"permissions"`
	Scopes           types.Set    `tfsdk:"scopes"`
	Stacks           types.Set    `tfsdk:"stacks"`
	Environments     types.Set    `tfsdk:"environments"`
	InsightsAccounts types.Set    `tfsdk:"insights_accounts"`
	StackTags        types.Map    `tfsdk:"stack_tags"`
	EnvironmentTags  types.Map    `tfsdk:"environment_tags"`
	Condition        types.String `tfsdk:"condition"`
	MaxOpenDuration  types.String `tfsdk:"max_open_duration"`
}

// tags is the block's tag selector of kind k (stacks and environments have one).
func (g *grantModel) tags(k authz.EntityKind) *types.Map {
	switch k {
	case authz.KindStack:
		return &g.StackTags
	case authz.KindEnvironment:
		return &g.EnvironmentTags
	}
	return nil
}

// tagKinds are the kinds a grant selects by tags.
var tagKinds = []authz.EntityKind{authz.KindStack, authz.KindEnvironment}

// mapping is the block as mapping inputs, with unknown values recorded in unk at at (nil unk:
// a model without unknowns).
func (g grantModel) mapping(at mapping.Path, unk *mapping.Unknowns, read func(f mapping.Field, s types.Set) []string) mapping.Grant {
	mg := mapping.Grant{Permissions: read(mapping.FieldPermissions, g.Permissions), Scopes: read(mapping.FieldScopes, g.Scopes),
		Condition: g.Condition.ValueString(), MaxOpenDuration: g.MaxOpenDuration.ValueString()}
	for _, k := range authz.EntityKinds {
		mg.Set(k, read(mapping.Field(k.GrantField()), *g.refs(k)))
	}
	mg.StackTags = tagMap(g.StackTags, at.Dot(mapping.FieldStackTags), unk)
	mg.EnvironmentTags = tagMap(g.EnvironmentTags, at.Dot(mapping.FieldEnvironmentTags), unk)
	if g.Condition.IsUnknown() {
		unk.Add(at.Dot(mapping.FieldCondition))
	}
	if g.MaxOpenDuration.IsUnknown() {
		unk.Add(at.Dot(mapping.FieldMaxOpenDuration))
	}
	return mg
}

// tagMap reads a map of tags; one with an unknown key or value counts as unknown as a whole.
func tagMap(m types.Map, at mapping.Path, unk *mapping.Unknowns) map[string]string {
	if m.IsNull() {
		return nil
	}
	out := map[string]string{}
	known := !m.IsUnknown()
	for k, v := range m.Elements() {
		sv, ok := v.(types.String)
		if !ok || sv.IsUnknown() {
			known = false
			continue
		}
		out[k] = sv.ValueString()
	}
	if !known {
		unk.Add(at)
		return nil
	}
	return out
}

// tagMapValue is a map of tags as an attribute value (null without tags).
func tagMapValue(tags map[string]string) types.Map {
	if len(tags) == 0 {
		return types.MapNull(types.StringType)
	}
	v, _ := types.MapValueFrom(context.Background(), types.StringType, tags)
	return v
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
	"stack_tags":        types.MapType{ElemType: types.StringType}, "environment_tags": types.MapType{ElemType: types.StringType},
	"condition": types.StringType, "max_open_duration": types.StringType,
}

var grantObjectType = types.ObjectType{AttrTypes: grantAttrTypes}

func (r *customRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	set := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{Optional: true, ElementType: types.StringType, Description: desc}
	}
	desc := "A custom organization role (a permission descriptor record with uxPurpose `role`), given either as `grant` blocks or as raw `details`. " +
		"Grants are additive; a grant that lists no stacks, environments or insights accounts and has no tags or condition applies organization-wide. " +
		"Changes are compared on the canonical tree the server stores: the order of values inside a grant never shows as a diff (the order of the grant blocks does), " +
		"and a refresh reports changes made outside Terraform. Import with `{organization}/{role_id}`."
	idDesc := "Server-assigned ID of the role; use it as an `iam_organization_access_token`'s `role_id`."
	if r.policy {
		desc = "A reusable policy (a permission descriptor record with uxPurpose `policy`), given as `grant` blocks — with tag selectors and conditions — or as raw `details` in the full grammar, " +
			"composed into `iam_custom_role`s by ID (a grant's `permissions = [iam_policy.x.policy_id]`) like permission sets. A change applies to every role that composes it on the next request; " +
			"the server refuses a change that would make one of them invalid, and a delete while one composes it. Import with `{organization}/{policy_id}`."
		idDesc = "Server-assigned ID of the policy; list it in an `iam_custom_role` grant's `permissions`."
	}
	resp.Schema = schema.Schema{
		Description: desc,
		Attributes: r.recordAttributes(r.what(), idDesc, map[string]schema.Attribute{
			"details": schema.StringAttribute{
				CustomType: detailsType{},
				Optional:   true,
				Computed:   true,
				Description: "What the " + r.what() + " allows as raw PermissionDescriptor JSON (the `details` tree of the IAM API, discriminated by `__type`), for roles built elsewhere; conflicts with `grant` " +
					"(beside `grant` blocks it is accepted only as the tree they compile to, which is what `terraform plan -generate-config-out` writes for an imported role; the plan checks it). " +
					"Either way, after apply it holds the tree the server stores; the plan shows it as known after apply only when the tree changes. Values are compared canonically, so formatting and key order never cause a diff.",
			},
		}),
		Blocks: map[string]schema.Block{
			"grant": schema.ListNestedBlock{
				Description: "One grant: permissions and scopes on the listed stacks, environments and insights accounts, on the stacks and environments with the given tags, on the entities a condition holds for, or organization-wide when none of these is given. Conflicts with `details`.",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"permissions":       set("Permissions granted: `iam_permission` IDs (`permission_id`), `iam_policy` IDs (`policy_id`) or built-in permission sets such as `stack-read`, `stack-write`, `stack-admin`, `environment-open`."),
						"scopes":            set("Scopes granted directly, such as `stack:read`; each must act on the kind of entity the grant lists (organization-level scopes only in a grant that lists none)."),
						"stacks":            set("Stacks the grant applies to, as `project/stack`."),
						"environments":      set("Environments the grant applies to, as `project/environment`."),
						"insights_accounts": set("Insights accounts the grant applies to, by name."),
						"stack_tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
							Description: "Stacks the grant applies to by their tags, such as `{ env = \"dev\" }`: every pair must match (separate grants add up). A stack tagged later is covered on its next request, and one retagged loses the grant. Conflicts with `stacks` in the same grant."},
						"environment_tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
							Description: "Environments the grant applies to by their tags: every pair must match. Conflicts with `environments` in the same grant."},
						"condition": schema.StringAttribute{Optional: true,
							Description: "A condition on the entities of one kind, in the condition language (a subset of CEL), such as `stack.tags.env == \"dev\" && stack.tags.team in [\"payments\", \"billing\"]`; And-ed with the grant's list or tags of that kind. See docs/conditions.md."},
						"max_open_duration": schema.StringAttribute{Optional: true,
							Description: "How long environments may be opened under this grant's scopes (which must include `environment:open`), such as `1h`: the `MaxOpenDuration` constraint."},
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
	var unk mapping.Unknowns
	for i, g := range gs {
		a.Grants = append(a.Grants, g.mapping(mapping.Root(mapping.FieldGrants).At(i), &unk, func(_ mapping.Field, s types.Set) []string { return knownStrings(s) }))
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
		vals[i] = grantModel{Permissions: stringSet(g.Permissions), Scopes: stringSet(g.Scopes),
			StackTags: tagMapValue(g.StackTags), EnvironmentTags: tagMapValue(g.EnvironmentTags),
			Condition: optString(g.Condition), MaxOpenDuration: optString(g.MaxOpenDuration)}
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
		if !slices.Equal(x.Permissions, y.Permissions) || !slices.Equal(x.Scopes, y.Scopes) ||
			!maps.Equal(x.StackTags, y.StackTags) || !maps.Equal(x.EnvironmentTags, y.EnvironmentTags) ||
			x.Condition != y.Condition || x.MaxOpenDuration != y.MaxOpenDuration {
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
	resp.Diagnostics.Append(r.load(ctx, req.Config, &m)...)
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
		out = append(out, g.mapping(at, unk, read))
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
	resp.Diagnostics.Append(r.load(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(r.load(ctx, req.Config, &config)...)
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
	resp.Diagnostics.Append(r.load(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if len(resp.RequiresReplace) > 0 || !req.Plan.Raw.IsFullyKnown() && hasUnknownInputs(plan, config) {
		return
	}
	update, err := r.changes(ctx, state, plan)
	if err != nil {
		resp.Diagnostics.AddError("Cannot compare the "+r.what()+" with the server's", errText(err))
		return
	}
	treeChanged := slices.Contains(update, mapping.FieldGrants) || slices.Contains(update, mapping.FieldDetails)
	resp.Diagnostics.Append(keepConditionSpelling(ctx, &plan, state)...)
	if !treeChanged && config.Details.IsNull() {
		plan.Details = state.Details
	}
	if len(update) == 0 {
		plan.Version = state.Version
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, r.model(plan))...)
}

// keepConditionSpelling gives a planned grant the state's condition text when both say the
// same in the condition language (they print to the same canonical text), so a reformatted
// condition plans no change at all, as in Pulumi, instead of an update that writes nothing.
func keepConditionSpelling(ctx context.Context, plan *roleModel, state roleModel) diag.Diagnostics {
	planned, diags := plan.grants(ctx)
	prior, d := state.grants(ctx)
	if diags.Append(d...); diags.HasError() || len(planned) != len(prior) {
		return diags
	}
	changed := false
	for i := range planned {
		p, s := planned[i].Condition, prior[i].Condition
		if p.IsNull() || p.IsUnknown() || s.IsNull() || p.ValueString() == s.ValueString() {
			continue
		}
		// A text that does not compile is its own canonical form, so it never matches another.
		if mapping.CanonicalConditionText(p.ValueString()) == mapping.CanonicalConditionText(s.ValueString()) {
			planned[i].Condition, changed = s, true
		}
	}
	if changed {
		list, d := types.ListValueFrom(ctx, grantObjectType, planned)
		diags.Append(d...)
		plan.Grant = list
	}
	return diags
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
	resp.Diagnostics.Append(r.load(ctx, req.Plan, &plan)...)
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
	st, err := r.create(ctx, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create "+r.what(), errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.RoleID))
	plan.RoleID = types.StringValue(st.RoleID)
	plan.Version = types.Int64Value(int64(st.Version))
	plan.Details = detailsOf(jsonencodeSpelling(st.CanonicalDetails)) // semantic equality keeps a configured spelling
	if plan.Grant.IsNull() || plan.Grant.IsUnknown() {
		plan.Grant, _ = grantList(nil)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, r.model(plan))...)
}

// Read asks the server (refresh and import). Prior grants are kept while they still compile to
// the server's tree; otherwise they are rebuilt from it (named grants when the tree has the
// shape grants produce, else raw details), which shows as drift.
func (r *customRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state roleModel
	resp.Diagnostics.Append(r.load(ctx, req.State, &state)...)
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
	st, found, err := r.read(ctx, org, state.RoleID.ValueString(), prior)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read "+r.what(), errText(err))
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
	// details always holds the server's tree, spelled as jsonencode spells it (what
	// -generate-config-out writes); semantic equality keeps the prior spelling when
	// it means the same.
	state.Details = detailsOf(jsonencodeSpelling(st.CanonicalDetails))
	if prior == nil || !sameGrants(prior.Grants, st.Grants) || state.Grant.IsNull() {
		gl, diags := grantList(st.Grants)
		resp.Diagnostics.Append(diags...)
		state.Grant = gl
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, r.model(state))...)
}

// Update writes the role when RoleChanges says the server's record changes, and otherwise only
// records the new spelling of the inputs in state.
func (r *customRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state roleModel
	resp.Diagnostics.Append(r.load(ctx, req.Plan, &plan)...)
	resp.Diagnostics.Append(r.load(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID, plan.RoleID = state.ID, state.RoleID
	if plan.Grant.IsNull() || plan.Grant.IsUnknown() {
		plan.Grant, _ = grantList(nil)
	}
	update, err := r.changes(ctx, state, plan)
	if err != nil {
		resp.Diagnostics.AddError("Cannot update "+r.what(), errText(err))
		return
	}
	if len(update) == 0 {
		plan.Version = state.Version
		if plan.Details.IsUnknown() {
			plan.Details = state.Details
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, r.model(plan))...)
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
	st, err := r.update(ctx, cur, a)
	if err != nil {
		resp.Diagnostics.AddError("Cannot update "+r.what(), errText(err))
		return
	}
	plan.Version = types.Int64Value(int64(st.Version))
	plan.Details = detailsOf(jsonencodeSpelling(st.CanonicalDetails))
	resp.Diagnostics.Append(resp.State.Set(ctx, r.model(plan))...)
}

func (r *customRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state roleModel
	resp.Diagnostics.Append(r.load(ctx, req.State, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st := mapping.CustomRoleState{CustomRoleArgs: mapping.CustomRoleArgs{Organization: stateOrg(state.ID, state.Organization), Name: state.Name.ValueString()},
		RoleID: state.RoleID.ValueString()}
	if err := r.delete(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete "+r.what(), errText(err))
	}
}
