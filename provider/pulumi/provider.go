// Package pulumi is the Pulumi front end of iamref: a pulumi-go-provider (infer) provider named
// "iam" whose resources and functions translate between infer types and the shared mappings in
// provider/mapping, which hold all per-resource logic. Nothing here talks to the API directly.
package pulumi

import (
	"context"
	"errors"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/provider/mapping"
)

// Name is the Pulumi package name; the plugin binary is pulumi-resource-<Name>.
const Name = "iam"

// Type tokens of the package.
const (
	PermissionType              = "iam:index:Permission"
	CustomRoleType              = "iam:index:CustomRole"
	PolicyType                  = "iam:index:Policy"
	OrganizationAccessTokenType = "iam:index:OrganizationAccessToken"
	TeamType                    = "iam:index:Team"
	TeamRoleAssignmentType      = "iam:index:TeamRoleAssignment"
	OrganizationMemberType      = "iam:index:OrganizationMember"
	TeamAccessTokenType         = "iam:index:TeamAccessToken"
	OidcIssuerType              = "iam:index:OidcIssuer"
	AuthPolicyType              = "iam:index:AuthPolicy"
	GuardrailType               = "iam:index:Guardrail"
	GetScopesFunction           = "iam:index:getScopes"
	CheckAccessFunction         = "iam:index:checkAccess"
	WhoCanFunction              = "iam:index:whoCan"
	GetCustomRoleFunction       = "iam:index:getCustomRole"
	GetPermissionFunction       = "iam:index:getPermission"
)

// Provider builds the provider.
func Provider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("iamref IAM").
		WithDescription("Manage Pulumi Cloud-compatible IAM as code: reusable permissions (scope sets), custom roles that grant them on stacks, environments and insights accounts, and role-scoped, expiring organization access tokens.").
		WithKeywords("iam", "rbac", "pulumi-cloud", "access-tokens", "category/utility").
		WithHomepage("https://github.com/iamref/iam").
		WithRepository("https://github.com/iamref/iam").
		WithPublisher("iamref").
		WithLicense("Apache-2.0").
		WithLanguageMap(map[string]any{
			"go": map[string]any{
				"importBasePath":                 "github.com/iamref/iam/sdk/go/iam",
				"generateResourceContainerTypes": true,
			},
			"nodejs": map[string]any{
				"packageName": "@iamref/iam",
			},
			"python": map[string]any{
				"packageName": "iamref_iam",
				"pyproject":   map[string]any{"enabled": true},
			},
			"csharp": map[string]any{
				"rootNamespace": "IamRef",
			},
		}).
		WithConfig(infer.Config(&Config{})).
		WithResources(
			infer.Resource(&Permission{}),
			infer.Resource(&CustomRole{}),
			infer.Resource(&Policy{}),
			infer.Resource(&OrganizationAccessToken{}),
			infer.Resource(&Team{}),
			infer.Resource(&TeamRoleAssignment{}),
			infer.Resource(&OrganizationMember{}),
			infer.Resource(&TeamAccessToken{}),
			infer.Resource(&OidcIssuer{}),
			infer.Resource(&AuthPolicy{}),
			infer.Resource(&Guardrail{}),
		).
		WithFunctions(
			infer.Function(&GetScopes{}),
			infer.Function(&CheckAccess{}),
			infer.Function(&WhoCan{}),
			infer.Function(&GetCustomRole{}),
			infer.Function(&GetPermission{}),
		).
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"pulumi": "index"}).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	prov.DiffConfig = diffConfig
	prov.Diff = diffUnknowns(prov.Diff)
	return withNames(prov), nil
}

// Config is the provider configuration (iam:apiUrl, iam:accessToken, iam:organization,
// iam:requestTimeout, iam:maxRetries, iam:insecure).
type Config struct {
	APIURL         *string `pulumi:"apiUrl,optional"`
	AccessToken    *string `pulumi:"accessToken,optional" provider:"secret"`
	Organization   *string `pulumi:"organization,optional"`
	RequestTimeout *string `pulumi:"requestTimeout,optional"`
	MaxRetries     *int    `pulumi:"maxRetries,optional"`
	Insecure       *bool   `pulumi:"insecure,optional"`

	prov *mapping.Provider
}

// Annotate describes the configuration.
func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.APIURL, "Base URL of the IAM API. Falls back to IAM_API_URL, then http://127.0.0.1:8080.")
	a.Describe(&c.AccessToken, "Access token for the IAM API (an organization token such as `pul-…`). Falls back to IAM_ACCESS_TOKEN, then PULUMI_ACCESS_TOKEN. Not needed for previews that only validate inputs.")
	a.Describe(&c.Organization, "Default organization of every resource and function that does not set its own. Falls back to IAM_ORGANIZATION.")
	a.Describe(&c.RequestTimeout, "How long one API request may take, such as `30s` (the default) or `2m`. Falls back to IAM_REQUEST_TIMEOUT. "+
		"Whatever it and `maxRetries` are, a request and its retries give up after 2 minutes.")
	a.Describe(&c.MaxRetries, "How often a request that got no answer, a 429 or a 5xx is retried (default 4; 0 disables retries). Falls back to IAM_MAX_RETRIES.")
	a.Describe(&c.Insecure, "Allow a plain `http://` apiUrl to another machine, which sends the access token unencrypted (default false: plain HTTP only to this machine). Falls back to IAM_INSECURE.")
}

// Configure builds the shared mapping provider; the token is only checked when an API call is made.
func (c *Config) Configure(ctx context.Context) error {
	prov, err := mapping.New(mapping.Config{
		APIURL: deref(c.APIURL), AccessToken: deref(c.AccessToken), Organization: deref(c.Organization),
		RequestTimeout: deref(c.RequestTimeout), MaxRetries: c.MaxRetries, Insecure: deref(c.Insecure),
	}.WithEnv(), nil)
	if err != nil {
		return err
	}
	c.prov = prov
	return nil
}

// provider is the configured mapping provider of a request.
func provider(ctx context.Context) (*mapping.Provider, error) {
	cfg := infer.GetConfig[Config](ctx)
	if cfg.prov == nil {
		return nil, errors.New("the iam provider is not configured")
	}
	return cfg.prov, nil
}

// liveProvider is the configured provider and the organization a managed resource lives in:
// the one of its ID ("{org}/{id}"), where it was created (a bare ID: the provider's). Read,
// Update and Delete call the API there, as the Terraform provider does, so that a changed
// provider organization never makes a live resource look gone.
func liveProvider(ctx context.Context, id string) (*mapping.Provider, string, error) {
	prov, err := provider(ctx)
	if err != nil {
		return nil, "", err
	}
	org, _, err := prov.ParseID(id)
	return prov, org, err
}

// diffConfig replaces the provider (and so every resource it manages) only when the
// organization changes; a new API URL or access token is an in-place update.
func diffConfig(_ context.Context, req p.DiffRequest) (p.DiffResponse, error) {
	olds := req.OldInputs
	if olds.Len() == 0 {
		olds = req.State
	}
	resp := p.DiffResponse{DetailedDiff: map[string]p.PropertyDiff{}}
	for _, k := range []string{"apiUrl", "accessToken", "organization", "requestTimeout", "maxRetries", "insecure"} {
		was, now := olds.Get(k), req.Inputs.Get(k)
		if was.WithSecret(false).Equals(now.WithSecret(false)) {
			continue
		}
		kind := p.Update
		if k == "organization" {
			kind = p.UpdateReplace
		}
		resp.DetailedDiff[k] = p.PropertyDiff{Kind: kind, InputDiff: true}
		resp.HasChanges = true
	}
	return resp, nil
}

// unknownKinds says, per resource, which kind of change an unknown input means (Update unless listed).
var unknownKinds = map[string]map[string]p.DiffKind{
	PermissionType: {"organization": p.UpdateReplace},
	CustomRoleType: {"organization": p.UpdateReplace},
	PolicyType:     {"organization": p.UpdateReplace},
	GuardrailType:  {"organization": p.UpdateReplace},
	OrganizationAccessTokenType: {"organization": p.UpdateReplace, "name": p.UpdateReplace, "description": p.UpdateReplace,
		"roleId": p.UpdateReplace, "admin": p.UpdateReplace, "expiresIn": p.UpdateReplace},
	TeamType:               {"organization": p.UpdateReplace, "name": p.UpdateReplace},
	TeamRoleAssignmentType: {"organization": p.UpdateReplace, "team": p.UpdateReplace, "roleId": p.UpdateReplace},
	OrganizationMemberType: {"organization": p.UpdateReplace, "login": p.UpdateReplace},
	TeamAccessTokenType: {"organization": p.UpdateReplace, "team": p.UpdateReplace, "name": p.UpdateReplace, "description": p.UpdateReplace,
		"expiresIn": p.UpdateReplace},
	OidcIssuerType: {"organization": p.UpdateReplace, "url": p.UpdateReplace},
	AuthPolicyType: {"organization": p.UpdateReplace, "issuerId": p.UpdateReplace},
}

// diffUnknowns wraps Diff so that an input that is not known yet (during a preview) always
// counts as a change. infer hands Diff zero values in place of unknowns, so without this an
// unknown organization would look unchanged, and a grant with an unknown permission would be
// compiled (and fail) as an empty one. The resource's Diff sees the prior value of each such
// input instead, and so diffs only what is known.
func diffUnknowns(inner func(context.Context, p.DiffRequest) (p.DiffResponse, error)) func(context.Context, p.DiffRequest) (p.DiffResponse, error) {
	return func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		kinds, ok := unknownKinds[string(req.Urn.Type())]
		if !ok {
			return inner(ctx, req)
		}
		var unknown []string
		known := req.Inputs
		for k, v := range req.Inputs.All {
			if !v.HasComputed() {
				continue
			}
			unknown = append(unknown, k)
			prior := req.OldInputs.Get(k)
			if prior.IsNull() {
				prior = req.State.Get(k)
			}
			known = known.Set(k, prior)
		}
		req.Inputs = known
		resp, err := inner(ctx, req)
		if err != nil {
			return resp, err
		}
		for _, k := range unknown {
			kind, ok := kinds[k]
			if !ok {
				kind = p.Update
			}
			if resp.DetailedDiff == nil {
				resp.DetailedDiff = map[string]p.PropertyDiff{}
			}
			if prev, ok := resp.DetailedDiff[k]; !ok || prev.Kind == p.Update || prev.Kind == p.Add || prev.Kind == p.Delete {
				resp.DetailedDiff[k] = p.PropertyDiff{Kind: kind, InputDiff: true}
			}
			resp.HasChanges = true
		}
		return resp, nil
	}
}

// hasSecretOrUnknown reports whether a list input holds per-element secrets or unknowns, which
// are tracked by index and so must not be reordered.
func hasSecretOrUnknown(v property.Value) bool {
	if !v.IsArray() {
		return false
	}
	for _, e := range v.AsArray().All {
		if e.HasComputed() || e.HasSecrets() {
			return true
		}
	}
	return false
}

func deref[T any](v *T) T {
	if v == nil {
		var zero T
		return zero
	}
	return *v
}

// ptr is nil for the zero value, so that empty optional inputs stay absent.
func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
