package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

var (
	_ datasource.DataSourceWithConfigure = (*scopesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*accessCheckDataSource)(nil)
)

// scopesDataSource is iam_scopes: the scope catalog the server enforces.
type scopesDataSource struct{}

func newScopesDataSource() datasource.DataSource { return &scopesDataSource{} }

type scopesModel struct {
	EntityType types.String `tfsdk:"entity_type"`
	Scopes     []scopeModel `tfsdk:"scopes"`
}

type scopeModel struct {
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	Group       types.String `tfsdk:"group"`
	EntityType  types.String `tfsdk:"entity_type"`
}

func (d *scopesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scopes"
}

func (d *scopesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The scope catalog (the same one the server enforces), optionally only the scopes acting on one entity type. Needs no API access.",
		Attributes: map[string]schema.Attribute{
			"entity_type": schema.StringAttribute{
				Optional:    true,
				Description: "Only scopes acting on this entity type: `org`, `stack`, `environment` or `insights-account`.",
			},
			"scopes": schema.ListNestedAttribute{
				Computed:    true,
				Description: "The scopes, in catalog order.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name":        schema.StringAttribute{Computed: true, Description: "Scope name such as `stack:read`."},
						"description": schema.StringAttribute{Computed: true, Description: "What the scope allows."},
						"group":       schema.StringAttribute{Computed: true, Description: "Catalog group."},
						"entity_type": schema.StringAttribute{Computed: true, Description: "Entity type the scope acts on."},
					},
				},
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (d *scopesDataSource) Configure(context.Context, datasource.ConfigureRequest, *datasource.ConfigureResponse) {
}

func (d *scopesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m scopesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	scopes, err := mapping.Scopes(m.EntityType.ValueString())
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot list scopes", err, nil)...)
		return
	}
	m.Scopes = make([]scopeModel, len(scopes))
	for i, s := range scopes {
		m.Scopes[i] = scopeModel{Name: types.StringValue(s.Name), Description: types.StringValue(s.Description),
			Group: types.StringValue(s.Group), EntityType: types.StringValue(s.EntityType)}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

// accessCheckDataSource is iam_access_check: may a role, a member or a team do an action on an
// entity?
type accessCheckDataSource struct{ data *providerData }

func newAccessCheckDataSource() datasource.DataSource { return &accessCheckDataSource{} }

type accessCheckModel struct {
	RoleID          types.String `tfsdk:"role_id"`
	Details         types.String `tfsdk:"details"`
	User            types.String `tfsdk:"user"`
	Team            types.String `tfsdk:"team"`
	Action          types.String `tfsdk:"action"`
	Stack           types.String `tfsdk:"stack"`
	Environment     types.String `tfsdk:"environment"`
	InsightsAccount types.String `tfsdk:"insights_account"`
	Organization    types.String `tfsdk:"organization"`
	Allowed         types.Bool   `tfsdk:"allowed"`
	Reasons         types.List   `tfsdk:"reasons"`
}

func (d *accessCheckDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_check"
}

func (d *accessCheckDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Whether a role (by ID, or raw details), a member (`user`) or a team (`team`) may do an action on a stack, an environment, an insights account, or organization-wide. " +
			"A role is evaluated in the provider with the same compiled decision the server makes on its routes; a member's or a team's effective rights " +
			"(org role and every team's roles) are the server's answer, from its access check (read-only; the provider's token needs `role:read`, " +
			"and `org_member_access:read` for a member or `team:read` for a team).",
		Attributes: map[string]schema.Attribute{
			"role_id":          schema.StringAttribute{Optional: true, Description: "ID of the role to check (such as an `iam_custom_role`'s `role_id`). Set exactly one of `role_id`, `details`, `user` and `team`."},
			"details":          schema.StringAttribute{Optional: true, Description: "A PermissionDescriptor tree (JSON) to check instead of a stored role."},
			"user":             schema.StringAttribute{Optional: true, Description: "Login of a member whose effective rights to check (their org role and their teams' roles), as the server answers."},
			"team":             schema.StringAttribute{Optional: true, Description: "Name of a team whose rights to check (its roles), as the server answers."},
			"action":           schema.StringAttribute{Required: true, Description: "The scope to check, such as `stack:read`."},
			"stack":            schema.StringAttribute{Optional: true, Description: "The stack, as `project/stack`, for stack scopes."},
			"environment":      schema.StringAttribute{Optional: true, Description: "The environment, as `project/environment`, for environment scopes."},
			"insights_account": schema.StringAttribute{Optional: true, Description: "The insights account, by name, for insights account scopes."},
			"organization":     schema.StringAttribute{Optional: true, Description: "Organization; defaults to the provider's organization."},
			"allowed":          schema.BoolAttribute{Computed: true, Description: "Whether the action is allowed."},
			"reasons":          schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: "Why: the grants that allow it, or why nothing does."},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (d *accessCheckDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *accessCheckDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m accessCheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	res, err := d.data.prov.CheckAccess(ctx, mapping.CheckAccessArgs{
		Organization: m.Organization.ValueString(), RoleID: m.RoleID.ValueString(), Details: m.Details.ValueString(),
		User: m.User.ValueString(), Team: m.Team.ValueString(),
		Action: m.Action.ValueString(), Stack: m.Stack.ValueString(), Environment: m.Environment.ValueString(),
		InsightsAccount: m.InsightsAccount.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot check access", err, nil)...)
		return
	}
	m.Allowed = types.BoolValue(res.Allowed)
	reasons := res.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, reasons)
	resp.Diagnostics.Append(diags...)
	m.Reasons = list
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}
