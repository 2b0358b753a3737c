// Package terraform is the Terraform front end of iamref: a terraform-plugin-framework provider
// (source iamref/iam) whose resources and data sources translate between framework types and
// the shared mappings in provider/mapping, which hold all per-resource logic (validation, API
// calls, read-back with drift and import, change detection). Nothing here talks to the API
// directly.
package terraform

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// Address is the provider's source address as Terraform resolves `iamref/iam`.
const Address = "registry.terraform.io/iamref/iam"

// TypeName is the provider type name: resources are iam_*, the binary terraform-provider-iam.
const TypeName = "iam"

var _ provider.Provider = (*iamProvider)(nil)

type iamProvider struct {
	version string
	now     func() time.Time // clock for token expiry and early renewal; tests move it
}

// New returns the provider factory for providerserver.Serve / NewProtocol6WithError.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &iamProvider{version: version, now: time.Now} }
}

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	prov *mapping.Provider
}

type providerModel struct {
	APIURL         types.String `tfsdk:"api_url"`
	AccessToken    types.String `tfsdk:"access_token"`
	Organization   types.String `tfsdk:"organization"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	Insecure       types.Bool   `tfsdk:"insecure"`
}

func (p *iamProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = TypeName
	resp.Version = p.version
}

func (p *iamProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manage Pulumi Cloud-compatible IAM as code on an iamref server: reusable permissions (scope sets), " +
			"custom roles that grant them on stacks, environments and insights accounts, and role-scoped, expiring organization access tokens.",
		Attributes: map[string]schema.Attribute{
			"api_url": schema.StringAttribute{
				Optional:    true,
				Description: "Base URL of the IAM API. Falls back to IAM_API_URL, then " + mapping.DefaultAPIURL + ".",
			},
			"access_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				Description: "Access token for the IAM API (an organization token such as `pul-…`). Falls back to IAM_ACCESS_TOKEN, " +
					"then PULUMI_ACCESS_TOKEN. Not needed for `terraform validate`.",
			},
			"organization": schema.StringAttribute{
				Optional:    true,
				Description: "Default organization of every resource and data source that does not set its own. Falls back to IAM_ORGANIZATION.",
			},
			"request_timeout": schema.StringAttribute{
				Optional: true,
				Description: "How long one API request may take, such as `30s` (the default) or `2m`. Falls back to IAM_REQUEST_TIMEOUT. " +
					"Whatever it and `max_retries` are, a request and its retries give up after 2 minutes.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:    true,
				Description: "How often a request that got no answer, a 429 or a 5xx is retried (default 4; 0 disables retries). Falls back to IAM_MAX_RETRIES.",
			},
			"insecure": schema.BoolAttribute{
				Optional: true,
				Description: "Allow a plain `http://` api_url to another machine, which sends the access token unencrypted " +
					"(default false: plain HTTP only to this machine). Falls back to IAM_INSECURE.",
			},
		},
	}
	resp.Schema = markdownDescriptions(resp.Schema)
}

func (p *iamProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for _, a := range []struct {
		name string
		v    attr.Value
	}{{"api_url", m.APIURL}, {"access_token", m.AccessToken}, {"organization", m.Organization},
		{"request_timeout", m.RequestTimeout}, {"max_retries", m.MaxRetries}, {"insecure", m.Insecure}} {
		if a.v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(a.name), "Unknown provider setting",
				fmt.Sprintf("%s is not known until apply; the iam provider needs it to plan. Set it from a variable or a value known at plan time.", a.name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	cfg := mapping.Config{
		APIURL: m.APIURL.ValueString(), AccessToken: m.AccessToken.ValueString(), Organization: m.Organization.ValueString(),
		RequestTimeout: m.RequestTimeout.ValueString(), Insecure: m.Insecure.ValueBool(),
	}
	if !m.MaxRetries.IsNull() {
		n := int(m.MaxRetries.ValueInt64())
		cfg.MaxRetries = &n
	}
	prov, err := mapping.New(cfg.WithEnv(), slog.New(tflogHandler{}))
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider configuration", errText(err))
		return
	}
	prov.SetClock(p.now)
	data := &providerData{prov: prov}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *iamProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newPermissionResource, newCustomRoleResource, newPolicyResource, newTokenResource, newTeamResource, newTeamRoleResource, newMemberResource, newTeamTokenResource,
		newOidcIssuerResource, newAuthPolicyResource, newGuardrailResource}
}

func (p *iamProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newScopesDataSource, newAccessCheckDataSource, newCustomRoleDataSource, newPermissionDataSource, newWhoCanDataSource}
}

// configured extracts the provider data handed to a resource or data source's Configure.
func configured(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil // Configure is called before the provider is configured too
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the iam provider", data))
		return nil
	}
	return pd
}

// stateOrg is the organization a managed resource lives in: the prefix of its ID (what it was
// created in), else its organization attribute (else the provider's, inside mapping).
func stateOrg(id, org types.String) string {
	if o, _, ok := mapping.SplitID(id.ValueString()); ok {
		return o
	}
	return org.ValueString()
}

// planOrgChange replaces a resource whose effective organization changes: its own
// `organization`, else the provider's. The resource lives in the organization of its ID, so
// setting `organization` to the provider's organization changes nothing, while a new provider
// organization under a null `organization` moves it. Terraform replaces only for paths whose
// value changes, so id becomes unknown; organization is listed too, so that the plan shows
// which input forces the replacement when it is the one that changed.
func planOrgChange(ctx context.Context, prov *mapping.Provider, stateID, stateOrgAttr, planOrg types.String, resp *resource.ModifyPlanResponse) {
	if stateID.IsNull() || stateID.IsUnknown() {
		return
	}
	was, _, ok := mapping.SplitID(stateID.ValueString())
	if !ok {
		return
	}
	if !planOrg.IsUnknown() {
		now, err := prov.Org(planOrg.ValueString())
		if err != nil || now == was {
			return
		}
		if planOrg.Equal(stateOrgAttr) {
			resp.Diagnostics.AddAttributeWarning(path.Root("organization"), "Organization changed",
				fmt.Sprintf("the resource lives in organization %s, but the provider's organization is now %s; it will be replaced", was, now))
		}
		// Terraform deletes before it creates: a mistyped organization must fail the plan,
		// not delete the live resource and then fail to create its replacement.
		if err := prov.CheckOrgExists(ctx, now); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("organization"), "Organization not available", errText(err))
			return
		}
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), types.StringUnknown())...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("organization"), path.Root("id"))
}

// setStrings reads a set of strings at mapping path at, recording in unk the set when it is not
// known yet, and each element that is not ("" stands in for it).
func setStrings(s types.Set, at mapping.Path, unk *mapping.Unknowns) []string {
	if s.IsUnknown() {
		unk.Add(at)
		return nil
	}
	var vals []string
	if !s.IsNull() {
		vals = []string{} // an empty set is not an absent one (mapping refuses empty entity lists)
	}
	for i, e := range s.Elements() {
		sv, ok := e.(types.String)
		if !ok || sv.IsUnknown() {
			unk.Add(at.At(i))
			vals = append(vals, "")
			continue
		}
		vals = append(vals, sv.ValueString())
	}
	return vals
}

// knownStrings reads a set with no unknowns (state, or a plan already checked); nil when null.
func knownStrings(s types.Set) []string {
	var unk mapping.Unknowns
	return setStrings(s, mapping.Path{}, &unk)
}

// stringSet builds a set of strings; nil becomes a null set.
func stringSet(vals []string) types.Set {
	if vals == nil {
		return types.SetNull(types.StringType)
	}
	elems := make([]types.String, len(vals))
	for i, v := range vals {
		elems[i] = types.StringValue(v)
	}
	s, _ := types.SetValueFrom(context.Background(), types.StringType, elems)
	return s
}

// optString is null for "", so that optional attributes the server leaves empty stay absent.
func optString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// sameStrings compares two string lists as sets.
func sameStrings(a, b []string) bool {
	return slices.Equal(mapping.SortedUnique(a), mapping.SortedUnique(b))
}
