package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// whoCanDataSource is iam_who_can: which principals may do an action on an entity.
type whoCanDataSource struct{ data *providerData }

var _ datasource.DataSourceWithConfigure = (*whoCanDataSource)(nil)

func newWhoCanDataSource() datasource.DataSource { return &whoCanDataSource{} }

type whoCanModel struct {
	Action            types.String `tfsdk:"action"`
	Stack             types.String `tfsdk:"stack"`
	Environment       types.String `tfsdk:"environment"`
	InsightsAccount   types.String `tfsdk:"insights_account"`
	Kinds             types.Set    `tfsdk:"kinds"`
	Organization      types.String `tfsdk:"organization"`
	Names             types.List   `tfsdk:"names"`
	Principals        types.List   `tfsdk:"principals"`
	DeniedByGuardrail types.List   `tfsdk:"denied_by_guardrail"`
}

var whoCanPrincipalType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"kind": types.StringType, "id": types.StringType, "name": types.StringType, "acts_as": types.StringType,
	"reasons": types.ListType{ElemType: types.StringType},
}}

func (d *whoCanDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_who_can"
}

func (d *whoCanDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	principal := schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
		"kind":    schema.StringAttribute{Computed: true, Description: "`org_token`, `team_token`, `personal_token`, `user` or `team`."},
		"id":      schema.StringAttribute{Computed: true, Description: "The token's, user's or team's ID."},
		"name":    schema.StringAttribute{Computed: true, Description: "The token's name (a personal token's description), the user's login or the team's name."},
		"acts_as": schema.StringAttribute{Computed: true, Description: "For team and personal tokens, whose rights they act with: `team:<name>` or `user:<login>`."},
		"reasons": schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: "The grants that allow it, or the guardrail that denies it."},
	}}
	resp.Schema = schema.Schema{
		Description: "Which principals (organization tokens, team tokens, personal tokens, members, teams) may do an action on a stack, an environment, an " +
			"insights account or the organization, with the grants that allow each, under the organization's guardrails — so that a configuration can " +
			"assert at plan time that only these tokens can, say, delete prod (a `check` or a `precondition` on `names`). The server's answer " +
			"(POST /api/orgs/{org}/access/who), read-only; the provider's token needs `role:read` and the scopes that read each kind's holders " +
			"(`org_token:read`, `org_member_access:read`, `team:read`).",
		Attributes: map[string]schema.Attribute{
			"action":           schema.StringAttribute{Required: true, Description: "The scope, such as `stack:delete`."},
			"stack":            schema.StringAttribute{Optional: true, Description: "The stack, as `project/stack`, for stack scopes."},
			"environment":      schema.StringAttribute{Optional: true, Description: "The environment, as `project/environment`, for environment scopes."},
			"insights_account": schema.StringAttribute{Optional: true, Description: "The insights account, by name, for insights account scopes."},
			"kinds": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				Description: "Which kinds of principal to list: `org_token`, `team_token`, `personal_token`, `user`, `team`; by default every kind the provider's token may read."},
			"organization": schema.StringAttribute{Optional: true, Description: "Organization; defaults to the provider's organization."},
			"names": schema.ListAttribute{Computed: true, ElementType: types.StringType,
				Description: "`kind:name` of each principal that may, sorted: the list to assert on."},
			"principals":          schema.ListNestedAttribute{Computed: true, NestedObject: principal, Description: "The principals that may do the action."},
			"denied_by_guardrail": schema.ListNestedAttribute{Computed: true, NestedObject: principal, Description: "The principals a grant would allow but an organization guardrail denies."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (d *whoCanDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *whoCanDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m whoCanModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	res, err := d.data.prov.WhoCan(ctx, mapping.WhoCanArgs{
		Organization: m.Organization.ValueString(), Action: m.Action.ValueString(), Kinds: knownStrings(m.Kinds),
		Stack: m.Stack.ValueString(), Environment: m.Environment.ValueString(), InsightsAccount: m.InsightsAccount.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot ask who has access", err, nil)...)
		return
	}
	names, diags := types.ListValueFrom(ctx, types.StringType, mapping.WhoCanNames(res.Principals))
	resp.Diagnostics.Append(diags...)
	m.Names = names
	m.Principals = d.principals(ctx, res.Principals, resp)
	m.DeniedByGuardrail = d.principals(ctx, res.DeniedByGuardrail, resp)
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func (d *whoCanDataSource) principals(ctx context.Context, ps []mapping.WhoCanPrincipal, resp *datasource.ReadResponse) types.List {
	type row struct {
		Kind    string   `tfsdk:"kind"`
		ID      string   `tfsdk:"id"`
		Name    string   `tfsdk:"name"`
		ActsAs  string   `tfsdk:"acts_as"`
		Reasons []string `tfsdk:"reasons"`
	}
	rows := make([]row, len(ps))
	for i, p := range ps {
		reasons := p.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		rows[i] = row{Kind: p.Kind, ID: p.ID, Name: p.Name, ActsAs: p.ActsAs, Reasons: reasons}
	}
	list, diags := types.ListValueFrom(ctx, whoCanPrincipalType, rows)
	resp.Diagnostics.Append(diags...)
	return list
}
