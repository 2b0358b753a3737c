package terraform

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// managedResource is what every resource implements: resourceBase gives Configure and
// ImportState; each resource validates its configuration and modifies its plan.
type managedResource interface {
	resource.ResourceWithConfigure
	resource.ResourceWithImportState
	resource.ResourceWithValidateConfig
	resource.ResourceWithModifyPlan
}

var (
	_ managedResource = (*permissionResource)(nil)
	_ managedResource = (*customRoleResource)(nil)
	_ managedResource = (*tokenResource)(nil)
	_ managedResource = (*teamResource)(nil)
	_ managedResource = (*teamRoleResource)(nil)
	_ managedResource = (*memberResource)(nil)
	_ managedResource = (*teamTokenResource)(nil)
	_ managedResource = (*oidcIssuerResource)(nil)
	_ managedResource = (*authPolicyResource)(nil)
)

// resourceBase is what every resource shares: the provider data, set by Configure (the one
// place that handles a provider not configured yet), the type name, and import by
// "{organization}/{id}".
type resourceBase struct {
	data     *providerData
	typeName string // the part after the provider's type name, such as "_permission"
	idAttr   string // the attribute that holds the server's ID, such as "permission_id"
}

func (r *resourceBase) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeName
}

func (r *resourceBase) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configured(req.ProviderData, &resp.Diagnostics)
}

// ImportState takes "{organization}/{id}" (or a bare ID in the provider's organization); Read
// then learns the rest from the server.
func (r *resourceBase) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	org, id, err := r.data.prov.ParseID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", errText(err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), mapping.ResourceID(org, id))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(r.idAttr), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("organization"), optString(r.data.prov.ImportOrg(org)))...)
}

// recordAttributes are the attributes of a permission descriptor record (noun: "permission",
// "role"): id, the server's ID (idDesc), version, name, description and organization, plus own.
func (r *resourceBase) recordAttributes(noun, idDesc string, own map[string]schema.Attribute) map[string]schema.Attribute {
	computed := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attrs := map[string]schema.Attribute{
		"id":     schema.StringAttribute{Computed: true, Description: "`{organization}/{" + r.idAttr + "}`; also the import ID.", PlanModifiers: computed},
		r.idAttr: schema.StringAttribute{Computed: true, Description: idDesc, PlanModifiers: computed},
		"version": schema.Int64Attribute{
			Computed:    true,
			Description: "Version of the record on the server; it increases with every change.",
		},
		"name": schema.StringAttribute{
			Required:    true,
			Description: "Name of the " + noun + ", unique in the organization.",
		},
		"description": schema.StringAttribute{
			Optional:    true,
			Computed:    true,
			Default:     stringdefault.StaticString(""),
			Description: "Free-form description.",
		},
		"organization": schema.StringAttribute{
			Optional: true,
			Description: "Organization that owns the " + noun + "; defaults to the provider's organization. " +
				"Changing the effective organization replaces the " + noun + ".",
		},
	}
	for k, v := range own {
		attrs[k] = v
	}
	return attrs
}

// org is the organization a new resource goes to: its `organization`, else the provider's.
func (r *resourceBase) org(attr types.String, diags *diag.Diagnostics) (string, bool) {
	org, err := r.data.prov.Org(attr.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("organization"), "No organization", errText(err))
		return "", false
	}
	return org, true
}

// readOrg is the organization a managed resource is read from: the one of its ID, else its
// `organization`, else the provider's ("" when there is none; the read then says so).
func (r *resourceBase) readOrg(id, org types.String) string {
	if o := stateOrg(id, org); o != "" {
		return o
	}
	o, err := r.data.prov.Org("")
	if err != nil {
		return ""
	}
	return o
}
