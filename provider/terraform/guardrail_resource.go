package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// guardrailResource is iam_guardrail: an organization-wide explicit deny (an iamref extension).
type guardrailResource struct{ resourceBase }

func newGuardrailResource() resource.Resource {
	return &guardrailResource{resourceBase{typeName: "_guardrail", idAttr: "guardrail_id"}}
}

type guardrailModel struct {
	ID               types.String `tfsdk:"id"`
	GuardrailID      types.String `tfsdk:"guardrail_id"`
	Version          types.Int64  `tfsdk:"version"`
	Name             types.String `tfsdk:"name"`
	Description      types.String `tfsdk:"description"`
	Actions          types.Set    `tfsdk:"actions"`
	Condition        detailsValue `tfsdk:"condition"`
	ConditionDetails detailsValue `tfsdk:"condition_details"`
	ExemptRoles      types.Set    `tfsdk:"exempt_roles"`
	Organization     types.String `tfsdk:"organization"`
}

func (r *guardrailResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "An organization-wide explicit deny that no grant overrides (an iamref extension, like AWS SCPs): its `actions` are refused on the entities " +
			"its `condition` selects to every principal holding none of its `exempt_roles`, whatever their roles grant. Creating, changing or deleting one " +
			"takes full admin (every scope on every entity). Import with `{organization}/{guardrail_id}`.",
		Attributes: r.recordAttributes("guardrail", "Server-assigned ID of the guardrail.",
			map[string]schema.Attribute{
				"actions": schema.SetAttribute{
					Required:    true,
					ElementType: types.StringType,
					Description: "Scopes denied, such as `stack:delete`, all acting on one kind of entity or all organization-level; an unknown scope is rejected at plan time with the closest valid name.",
				},
				"condition": schema.StringAttribute{
					Optional:   true,
					CustomType: detailsType{form: formConditionText},
					Description: "Which entities it applies to, in the condition language (a subset of CEL, see docs/conditions.md), such as " +
						"`stack.tags.env == \"prod\"`; unset (and no `condition_details`), every entity of the actions' kind. Compared by meaning, not spelling; " +
						"import prints it canonically. An expression that does not compile fails the plan with its line and column.",
				},
				"condition_details": schema.StringAttribute{
					Optional:   true,
					CustomType: detailsType{form: formExpr},
					Description: "The condition as a boolean PermissionExpression tree of the wire grammar as JSON, for the rare trees the condition language " +
						"cannot say (import puts such a tree here). Conflicts with `condition`.",
				},
				"exempt_roles": schema.SetAttribute{
					Optional:    true,
					ElementType: types.StringType,
					Description: "IDs of roles whose holders (tokens, members and teams holding them directly) it does not bind: the break-glass roles.",
				},
			}),
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (m guardrailModel) args(org string) mapping.GuardrailArgs {
	return mapping.GuardrailArgs{Organization: org, Name: m.Name.ValueString(), Description: m.Description.ValueString(),
		Actions: knownStrings(m.Actions), Condition: m.Condition.ValueString(), ConditionDetails: m.ConditionDetails.ValueString(), ExemptRoles: knownStrings(m.ExemptRoles)}
}

// ValidateConfig checks the configuration offline with mapping.CheckGuardrailWithUnknowns.
func (r *guardrailResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m guardrailModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	probe := mapping.GuardrailArgs{Name: m.Name.ValueString(), Description: m.Description.ValueString(), Condition: m.Condition.ValueString(),
		ConditionDetails: m.ConditionDetails.ValueString()}
	if m.Name.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldName))
	}
	if m.Condition.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldCondition))
	}
	if m.ConditionDetails.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldConditionDetails))
	}
	actions, exempt := mapping.Root(mapping.FieldActions), mapping.Root(mapping.FieldExemptRoles)
	probe.Actions = setStrings(m.Actions, actions, &unk)
	probe.ExemptRoles = setStrings(m.ExemptRoles, exempt, &unk)
	resp.Diagnostics.Append(problemDiags(mapping.CheckGuardrailWithUnknowns(probe, unk),
		map[string][]string{actions.String(): probe.Actions, exempt.String(): probe.ExemptRoles})...)
}

// ModifyPlan replaces the guardrail when its effective organization changes, and keeps the
// version when nothing the server stores changes.
func (r *guardrailResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan guardrailModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if len(resp.RequiresReplace) > 0 || plan.Name.IsUnknown() || plan.Description.IsUnknown() || plan.Condition.IsUnknown() || plan.ConditionDetails.IsUnknown() ||
		!attrFullyKnown(plan.Actions) || !attrFullyKnown(plan.ExemptRoles) {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old := mapping.GuardrailState{GuardrailArgs: state.args(org)}
	for _, f := range []struct {
		name        string
		plan, state detailsValue
	}{{"condition", plan.Condition, state.Condition}, {"condition_details", plan.ConditionDetails, state.ConditionDetails}} {
		if same, _ := f.plan.StringSemanticEquals(ctx, f.state); same && !f.plan.IsNull() && !f.state.IsNull() {
			// The same condition spelt otherwise: keep the state's spelling, so no change shows.
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(f.name), f.state)...)
		}
	}
	if update, _ := mapping.GuardrailChanges(old, plan.args(org)); len(update) == 0 {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("version"), state.Version)...)
	}
}

func (r *guardrailResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan guardrailModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	st, err := r.data.prov.CreateGuardrail(ctx, plan.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot create guardrail", errText(err))
		return
	}
	plan.ID = types.StringValue(mapping.ResourceID(org, st.GuardrailID))
	plan.GuardrailID = types.StringValue(st.GuardrailID)
	plan.Version = types.Int64Value(int64(st.Version))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read asks the server; changes made outside Terraform show as drift (a condition that means
// the same keeps the configured spelling), and a deleted guardrail leaves the state.
func (r *guardrailResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state guardrailModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st, found, err := r.data.prov.ReadGuardrail(ctx, org, state.GuardrailID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read guardrail", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	if org == "" {
		org, _ = r.data.prov.Org("")
	}
	state.ID = types.StringValue(mapping.ResourceID(org, st.GuardrailID))
	state.GuardrailID = types.StringValue(st.GuardrailID)
	state.Version = types.Int64Value(int64(st.Version))
	state.Name = types.StringValue(st.Name)
	state.Description = types.StringValue(st.Description)
	if !sameStrings(knownStrings(state.Actions), st.Actions) {
		state.Actions = stringSet(st.Actions)
	}
	if !sameStrings(knownStrings(state.ExemptRoles), st.ExemptRoles) {
		state.ExemptRoles = stringSet(st.ExemptRoles)
	}
	mapping.KeepConditionSpelling(state.args(org), &st)
	state.Condition = optDetails(st.Condition, formConditionText)
	state.ConditionDetails = optDetails(st.ConditionDetails, formExpr)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// optDetails is s as a value of the form, null when empty.
func optDetails(s string, form detailsForm) detailsValue {
	if s == "" {
		return detailsValue{StringValue: types.StringNull(), form: form}
	}
	return detailsValue{StringValue: types.StringValue(s), form: form}
}

func (r *guardrailResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state guardrailModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old := mapping.GuardrailState{GuardrailArgs: state.args(org), GuardrailID: state.GuardrailID.ValueString(), Version: int(state.Version.ValueInt64())}
	plan.ID, plan.GuardrailID = state.ID, state.GuardrailID
	if update, _ := mapping.GuardrailChanges(old, plan.args(org)); len(update) == 0 {
		plan.Version = state.Version
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		return
	}
	st, err := r.data.prov.UpdateGuardrail(ctx, old, plan.args(org))
	if err != nil {
		resp.Diagnostics.AddError("Cannot update guardrail", errText(err))
		return
	}
	plan.Version = types.Int64Value(int64(st.Version))
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *guardrailResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state guardrailModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st := mapping.GuardrailState{GuardrailArgs: state.args(org), GuardrailID: state.GuardrailID.ValueString()}
	if err := r.data.prov.DeleteGuardrail(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot delete guardrail", errText(err))
	}
}
