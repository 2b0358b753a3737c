package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

var (
	_ datasource.DataSourceWithConfigure = (*customRoleDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*permissionDataSource)(nil)
)

// lookupBase is what the lookup-by-name data sources share: the provider data and the type
// name.
type lookupBase struct {
	data     *providerData
	typeName string
}

func (d *lookupBase) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + d.typeName
}

func (d *lookupBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}

// lookupAttributes are the attributes of a record looked up by name (noun: "role",
// "permission"; idAttr: "role_id", "permission_id"), plus own.
func lookupAttributes(noun, idAttr, idDesc string, own map[string]schema.Attribute) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{
			Required:    true,
			Description: "Name of the " + noun + " to look up (case-sensitive).",
			Validators:  []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"organization": schema.StringAttribute{Optional: true, Description: "Organization to look in; defaults to the provider's organization."},
		"id":           schema.StringAttribute{Computed: true, Description: "`{organization}/{" + idAttr + "}`, the import ID of the " + noun + "."},
		idAttr:         schema.StringAttribute{Computed: true, Description: idDesc},
		"description":  schema.StringAttribute{Computed: true, Description: "Free-form description."},
		"version":      schema.Int64Attribute{Computed: true, Description: "Version of the record on the server; it increases with every change."},
	}
	for k, v := range own {
		attrs[k] = v
	}
	return attrs
}

// customRoleDataSource is iam_custom_role: a role looked up by name.
type customRoleDataSource struct{ lookupBase }

func newCustomRoleDataSource() datasource.DataSource {
	return &customRoleDataSource{lookupBase{typeName: "_custom_role"}}
}

type customRoleLookupModel struct {
	Name         types.String `tfsdk:"name"`
	Organization types.String `tfsdk:"organization"`
	ID           types.String `tfsdk:"id"`
	RoleID       types.String `tfsdk:"role_id"`
	Description  types.String `tfsdk:"description"`
	Version      types.Int64  `tfsdk:"version"`
	Details      types.String `tfsdk:"details"`
	Grants       types.List   `tfsdk:"grants"`
}

func (d *customRoleDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	set := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{Computed: true, ElementType: types.StringType, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Looks up a role by name: a custom role, or a built-in one such as `member` (by name or identifier). " +
			"Gives its `role_id` (for an `iam_organization_access_token`), its tree as the server stores it, and its grants with stack, environment and insights account names.",
		Attributes: lookupAttributes("role", "role_id", "Server-assigned ID of the role; use it as an `iam_organization_access_token`'s `role_id`.", map[string]schema.Attribute{
			"details": schema.StringAttribute{Computed: true, Description: "The role's PermissionDescriptor tree (JSON) as the server stores it."},
			"grants": schema.ListNestedAttribute{
				Computed: true,
				Description: "The role's grants, as `iam_custom_role` `grant` blocks would give them: permissions (IDs, or built-in set identifiers such as `stack-read`) and scopes, " +
					"on stacks, environments and insights accounts by name. Empty when the tree is not of the shape grants produce (see `details`).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"permissions":       set("Permissions granted: permission IDs or built-in permission set identifiers."),
					"scopes":            set("Scopes granted directly."),
					"stacks":            set("Stacks the grant applies to, as `project/stack`."),
					"environments":      set("Environments the grant applies to, as `project/environment`."),
					"insights_accounts": set("Insights accounts the grant applies to, by name."),
					"stack_tags":        schema.MapAttribute{Computed: true, ElementType: types.StringType, Description: "Tags every stack the grant applies to carries."},
					"environment_tags":  schema.MapAttribute{Computed: true, ElementType: types.StringType, Description: "Tags every environment the grant applies to carries."},
					"condition":         schema.StringAttribute{Computed: true, Description: "The grant's condition, printed canonically in the condition language."},
					"max_open_duration": schema.StringAttribute{Computed: true, Description: "How long environments may be opened under the grant, if bounded."},
				}},
			},
		}),
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (d *customRoleDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m customRoleLookupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st, err := d.data.prov.LookupRole(ctx, m.Organization.ValueString(), m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot look up role", err, nil)...)
		return
	}
	org, _ := d.data.prov.Org(m.Organization.ValueString())
	m.ID = types.StringValue(mapping.ResourceID(org, st.RoleID))
	m.RoleID = types.StringValue(st.RoleID)
	m.Description = types.StringValue(st.Description)
	m.Version = types.Int64Value(int64(st.Version))
	m.Details = types.StringValue(st.CanonicalDetails)
	grants, diags := grantAttrList(st.Grants)
	resp.Diagnostics.Append(diags...)
	m.Grants = grants
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

// grantAttrList is grants as the data source's list of objects, every set known (empty sets
// for lists a grant does not have).
func grantAttrList(gs []mapping.Grant) (types.List, diag.Diagnostics) {
	vals := make([]attr.Value, len(gs))
	var diags diag.Diagnostics
	for i, g := range gs {
		attrs := map[string]attr.Value{"permissions": nonNullSet(g.Permissions), "scopes": nonNullSet(g.Scopes),
			"stack_tags": tagMapValue(g.StackTags), "environment_tags": tagMapValue(g.EnvironmentTags),
			"condition": optString(g.Condition), "max_open_duration": optString(g.MaxOpenDuration)}
		for _, k := range authz.EntityKinds {
			attrs[snake(k.GrantField())] = nonNullSet(g.Of(k))
		}
		obj, d := types.ObjectValue(grantAttrTypes, attrs)
		diags.Append(d...)
		vals[i] = obj
	}
	list, d := types.ListValue(grantObjectType, vals)
	diags.Append(d...)
	return list, diags
}

// nonNullSet is a set of strings, empty (not null) without any.
func nonNullSet(vals []string) types.Set {
	if vals == nil {
		vals = []string{}
	}
	return stringSet(vals)
}

// permissionDataSource is iam_permission: a permission looked up by name.
type permissionDataSource struct{ lookupBase }

func newPermissionDataSource() datasource.DataSource {
	return &permissionDataSource{lookupBase{typeName: "_permission"}}
}

type permissionLookupModel struct {
	Name         types.String `tfsdk:"name"`
	Organization types.String `tfsdk:"organization"`
	ID           types.String `tfsdk:"id"`
	PermissionID types.String `tfsdk:"permission_id"`
	Description  types.String `tfsdk:"description"`
	Version      types.Int64  `tfsdk:"version"`
	Scopes       types.Set    `tfsdk:"scopes"`
}

func (d *permissionDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Looks up a permission (a named scope set) by name, including the built-in ones such as `stack-read` (by name or identifier). " +
			"Gives its `permission_id`, for a custom role's `grant.permissions`, and its scopes.",
		Attributes: lookupAttributes("permission", "permission_id", "Server-assigned ID of the permission; use it in a custom role's `grant.permissions`.", map[string]schema.Attribute{
			"scopes": schema.SetAttribute{Computed: true, ElementType: types.StringType, Description: "The scopes the permission holds, such as `stack:read`."},
		}),
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (d *permissionDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m permissionLookupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	st, err := d.data.prov.LookupPermission(ctx, m.Organization.ValueString(), m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.Append(errDiags("Cannot look up permission", err, nil)...)
		return
	}
	org, _ := d.data.prov.Org(m.Organization.ValueString())
	m.ID = types.StringValue(mapping.ResourceID(org, st.PermissionID))
	m.PermissionID = types.StringValue(st.PermissionID)
	m.Description = types.StringValue(st.Description)
	m.Version = types.Int64Value(int64(st.Version))
	m.Scopes = nonNullSet(st.Scopes)
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}
