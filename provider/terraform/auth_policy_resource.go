package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// authPolicyResource is iam_auth_policy.
type authPolicyResource struct{ resourceBase }

func newAuthPolicyResource() resource.Resource {
	return &authPolicyResource{resourceBase{typeName: "_auth_policy", idAttr: "issuer_id"}}
}

type authPolicyModel struct {
	ID           types.String `tfsdk:"id"`
	PolicyID     types.String `tfsdk:"policy_id"`
	Version      types.Int64  `tfsdk:"version"`
	IssuerID     types.String `tfsdk:"issuer_id"`
	Policies     types.List   `tfsdk:"policies"`
	Organization types.String `tfsdk:"organization"`
}

type authPolicyDefModel struct {
	Decision              types.String `tfsdk:"decision"`
	TokenType             types.String `tfsdk:"token_type"`
	RoleID                types.String `tfsdk:"role_id"`
	TeamName              types.String `tfsdk:"team_name"`
	UserLogin             types.String `tfsdk:"user_login"`
	AuthorizedPermissions types.Set    `tfsdk:"authorized_permissions"`
	Rules                 types.Map    `tfsdk:"rules"`
}

var policyObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"decision": types.StringType, "token_type": types.StringType, "role_id": types.StringType, "team_name": types.StringType,
	"user_login": types.StringType, "authorized_permissions": types.SetType{ElemType: types.StringType}, "rules": types.MapType{ElemType: types.StringType},
}}

func (r *authPolicyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	opt := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "The authorization policy of an `iam_oidc_issuer`: which of the issuer's ID tokens are exchanged (`pulumi login --oidc-token`) for which short-lived token. " +
			"A definition matches an ID token when every rule matches its claim; a matching `deny` refuses the exchange whatever else matches, and with no matching `allow` it is refused too. " +
			"Every issuer has exactly one policy, created with the issuer as a deny-all: creating this resource replaces that deny-all with `policies` " +
			"(and fails when the policy already allows exchanges set elsewhere: import it instead), and destroying it puts the deny-all back. " +
			"Definitions are compared in order; a refresh reports changes made outside Terraform. Import with `{organization}/{issuer_id}`.",
		Attributes: map[string]schema.Attribute{
			"id":        schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "`{organization}/{issuer_id}`; also the import ID."},
			"policy_id": schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "Server-assigned ID of the policy."},
			"version":   schema.Int64Attribute{Computed: true, Description: "Version of the policy on the server; it increases with every change."},
			"issuer_id": schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description: "The issuer whose policy this is (an `iam_oidc_issuer`'s `issuer_id`). Changing it replaces the resource."},
			"policies": schema.ListNestedAttribute{
				Required:    true,
				Description: "The definitions, 1 to 40: the whole policy, in order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"decision": schema.StringAttribute{Required: true, Description: "`allow` or `deny`. A matching deny refuses the exchange whatever else matches."},
					"token_type": schema.StringAttribute{Required: true,
						Description: "The token handed out: `organization` (with `role_id` or `authorized_permissions`), `team` (with `team_name`) or `personal` (with `user_login`). " +
							"The CLI asks for a team token with `--oidc-team`, a personal one with `--oidc-user`."},
					"role_id":    opt("For an organization token: the ID of its role (an `iam_custom_role`'s `role_id`, or a built-in role's ID). Required for an `allow` unless `authorized_permissions` is set."),
					"team_name":  opt("For a team token: the team whose token it is (an `iam_team`'s `name`)."),
					"user_login": opt("For a personal token: the login of the member whose token it is."),
					"authorized_permissions": schema.SetAttribute{Optional: true, ElementType: types.StringType,
						Description: "For an organization token without `role_id`: `[\"admin\"]` gives it the built-in admin role."},
					"rules": schema.MapAttribute{Optional: true, ElementType: types.StringType,
						Description: "Claim path → pattern; every rule must match. Paths are dot-separated, with keys that contain dots double-quoted (`\"kubernetes.io\".pod.name`); " +
							"in patterns `*` stands for any run of characters and `?` for at most one. Example: `sub = \"repo:acme/payments:ref:refs/heads/main\"`. An `allow` needs a rule that is not only wildcards on a claim other than `aud` and `iss` (every ID token for the organization carries those)."},
				}},
			},
			"organization": schema.StringAttribute{Optional: true,
				Description: "Organization of the issuer; defaults to the provider's organization. Changing the effective organization replaces the resource."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

// policiesWithUnknowns reads the definitions of a configuration or plan, recording the values not
// known yet in unk; sets maps the mapping path of each set to its values (see problemDiags).
func (m authPolicyModel) policiesWithUnknowns(ctx context.Context, unk *mapping.Unknowns) ([]mapping.Policy, map[string][]string, diag.Diagnostics) {
	root := mapping.Root(mapping.FieldPolicies)
	if m.Policies.IsUnknown() {
		unk.Add(root)
		return nil, nil, nil
	}
	if m.Policies.IsNull() {
		return nil, nil, nil
	}
	var pms []authPolicyDefModel
	diags := m.Policies.ElementsAs(ctx, &pms, true)
	if diags.HasError() {
		return nil, nil, diags
	}
	sets := map[string][]string{}
	out := make([]mapping.Policy, len(pms))
	for i, pm := range pms {
		at := root.At(i)
		str := func(f mapping.Field, v types.String) string {
			if v.IsUnknown() {
				unk.Add(at.Dot(f))
			}
			return v.ValueString()
		}
		perms := at.Dot(mapping.FieldAuthorizedPermissions)
		pol := mapping.Policy{
			Decision: str(mapping.FieldDecision, pm.Decision), TokenType: str(mapping.FieldTokenType, pm.TokenType),
			RoleID: str(mapping.FieldRoleID, pm.RoleID), TeamName: str(mapping.FieldTeamName, pm.TeamName), UserLogin: str(mapping.FieldUserLogin, pm.UserLogin),
			AuthorizedPermissions: setStrings(pm.AuthorizedPermissions, perms, unk),
		}
		sets[perms.String()] = pol.AuthorizedPermissions
		rules := at.Dot(mapping.FieldRules)
		switch {
		case pm.Rules.IsUnknown():
			unk.Add(rules)
		case !pm.Rules.IsNull():
			pol.Rules = map[string]string{}
			for k, v := range pm.Rules.Elements() {
				sv, ok := v.(types.String)
				if !ok || sv.IsUnknown() {
					unk.Add(rules.Dot(mapping.Field(k)))
					pol.Rules[k] = "*"
					continue
				}
				pol.Rules[k] = sv.ValueString()
			}
		}
		out[i] = pol
	}
	return out, sets, nil
}

// args converts a model without unknowns (state, or a plan at apply time) into mapping inputs.
func (m authPolicyModel) args(ctx context.Context, org string) (mapping.AuthPolicyArgs, diag.Diagnostics) {
	var unk mapping.Unknowns
	pols, _, diags := m.policiesWithUnknowns(ctx, &unk)
	return mapping.AuthPolicyArgs{Organization: org, IssuerID: m.IssuerID.ValueString(), Policies: pols}, diags
}

// policyList builds the policies attribute from mapping definitions.
func policyList(pols []mapping.Policy) (types.List, diag.Diagnostics) {
	vals := make([]authPolicyDefModel, len(pols))
	for i, p := range pols {
		vals[i] = authPolicyDefModel{Decision: types.StringValue(p.Decision), TokenType: types.StringValue(p.TokenType),
			RoleID: optString(p.RoleID), TeamName: optString(p.TeamName), UserLogin: optString(p.UserLogin),
			AuthorizedPermissions: stringSet(p.AuthorizedPermissions), Rules: types.MapNull(types.StringType)}
		if len(p.AuthorizedPermissions) == 0 {
			vals[i].AuthorizedPermissions = types.SetNull(types.StringType)
		}
		if len(p.Rules) > 0 {
			rules, diags := types.MapValueFrom(context.Background(), types.StringType, p.Rules)
			if diags.HasError() {
				return types.ListNull(policyObjectType), diags
			}
			vals[i].Rules = rules
		}
	}
	return types.ListValueFrom(context.Background(), policyObjectType, vals)
}

// set writes a mapping state into the model, keeping the model's definitions when they mean the
// same.
func (m *authPolicyModel) set(ctx context.Context, org string, st mapping.AuthPolicyState) diag.Diagnostics {
	m.ID = types.StringValue(mapping.ResourceID(org, st.IssuerID))
	m.IssuerID = types.StringValue(st.IssuerID)
	m.PolicyID = types.StringValue(st.PolicyID)
	m.Version = types.Int64Value(int64(st.Version))
	if !m.Policies.IsNull() && !m.Policies.IsUnknown() {
		cur, diags := m.args(ctx, org)
		if !diags.HasError() && mapping.SamePolicies(cur.Policies, st.Policies) {
			return nil
		}
	}
	l, diags := policyList(st.Policies)
	m.Policies = l
	return diags
}

// ValidateConfig checks the configuration offline with mapping.CheckAuthPolicyWithUnknowns.
func (r *authPolicyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m authPolicyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unk mapping.Unknowns
	if m.IssuerID.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldIssuerID))
	}
	pols, sets, diags := m.policiesWithUnknowns(ctx, &unk)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.Policies.IsNull() {
		return // required: Terraform says so
	}
	probe := mapping.AuthPolicyArgs{IssuerID: m.IssuerID.ValueString(), Policies: pols}
	resp.Diagnostics.Append(problemDiags(mapping.CheckAuthPolicyWithUnknowns(probe, unk), sets)...)
}

// ModifyPlan looks up the issuer, roles, teams and members the plan names (a typo fails the
// plan, not the apply), replaces the resource when its effective organization changes, and
// keeps `version` when the definitions do not change.
func (r *authPolicyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var state, plan authPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.checkRefs(ctx, plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || req.State.Raw.IsNull() {
		return
	}
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planOrgChange(ctx, r.data.prov, state.ID, state.Organization, plan.Organization, resp)
	if len(resp.RequiresReplace) > 0 || !attrFullyKnown(plan.Policies) {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old, d1 := state.args(ctx, org)
	now, d2 := plan.args(ctx, org)
	if d1.HasError() || d2.HasError() {
		return
	}
	if mapping.SamePolicies(old.Policies, now.Policies) && plan.IssuerID.Equal(state.IssuerID) {
		plan.Version = state.Version
		resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	}
}

// checkRefs fails the plan when an issuer, role, team or member it names (and knows) does not
// exist (mapping.CheckAuthPolicyRefs).
func (r *authPolicyResource) checkRefs(ctx context.Context, plan authPolicyModel, diags *diag.Diagnostics) {
	if plan.Organization.IsUnknown() {
		return
	}
	var unk mapping.Unknowns
	if plan.IssuerID.IsUnknown() {
		unk.Add(mapping.Root(mapping.FieldIssuerID))
	}
	pols, sets, d := plan.policiesWithUnknowns(ctx, &unk)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	org, err := r.data.prov.Org(plan.Organization.ValueString())
	if err != nil {
		return // the create says so
	}
	a := mapping.AuthPolicyArgs{Organization: org, IssuerID: plan.IssuerID.ValueString(), Policies: pols}
	if err := r.data.prov.CheckAuthPolicyRefs(ctx, a, unk); err != nil {
		diags.Append(errDiags("Cannot look up what the policy names", err, sets)...)
	}
}

func (r *authPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan authPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org, ok := r.org(plan.Organization, &resp.Diagnostics)
	if !ok {
		return
	}
	a, diags := plan.args(ctx, org)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	st, err := r.data.prov.CreateAuthPolicy(ctx, a)
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot set the authorization policy", err, nil)...)
		return
	}
	resp.Diagnostics.Append(plan.set(ctx, org, st)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read asks the server; definitions changed outside Terraform show as drift, and a deleted
// issuer takes the policy out of the state.
func (r *authPolicyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state authPolicyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := r.readOrg(state.ID, state.Organization)
	var prior []mapping.Policy
	if !state.Policies.IsNull() {
		a, diags := state.args(ctx, org)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		prior = a.Policies
	}
	st, found, err := r.data.prov.ReadAuthPolicy(ctx, org, state.IssuerID.ValueString(), prior)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the authorization policy", errText(err))
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(state.set(ctx, org, st)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Update writes the definitions when they differ from the state's.
func (r *authPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state authPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	old, diags := state.args(ctx, org)
	resp.Diagnostics.Append(diags...)
	a, diags := plan.args(ctx, org)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cur := mapping.AuthPolicyState{AuthPolicyArgs: old, PolicyID: state.PolicyID.ValueString(), Version: int(state.Version.ValueInt64())}
	st, err := r.data.prov.UpdateAuthPolicy(ctx, cur, a)
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot update the authorization policy", err, nil)...)
		return
	}
	resp.Diagnostics.Append(plan.set(ctx, org, st)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Delete puts the issuer's deny-all policy back; an issuer already gone is fine.
func (r *authPolicyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state authPolicyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	org := stateOrg(state.ID, state.Organization)
	st := mapping.AuthPolicyState{AuthPolicyArgs: mapping.AuthPolicyArgs{Organization: org, IssuerID: state.IssuerID.ValueString()}}
	if err := r.data.prov.DeleteAuthPolicy(ctx, st); err != nil {
		resp.Diagnostics.AddError("Cannot reset the authorization policy", errText(err))
	}
}
