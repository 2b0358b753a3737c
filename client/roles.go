package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// ListRoles lists the org's records of one kind, e.g. apitype.UXPurposeRole for roles or
// apitype.UXPurposeSet for permission sets, following continuation tokens
// (GET /api/orgs/{org}/roles?uxPurpose=).
func (c *Client) ListRoles(ctx context.Context, org string, uxPurpose apitype.UXPurpose) ([]apitype.Role, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	return collect(func(token string) ([]apitype.Role, string, error) {
		var out apitype.ListRolesResponse
		path := withQuery(apiPath("api", "orgs", org, "roles"), url.Values{"uxPurpose": {string(uxPurpose)}, "continuationToken": {token}})
		if err := c.get(ctx, path, &out); err != nil {
			return nil, "", err
		}
		return out.Roles, out.ContinuationToken, nil
	})
}

// CreateRole creates a role, permission set or policy (POST /api/orgs/{org}/roles).
func (c *Client) CreateRole(ctx context.Context, org string, req apitype.CreateRoleRequest) (*apitype.Role, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.Role
	if err := c.create(ctx, apiPath("api", "orgs", org, "roles"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetRole returns one record (GET /api/orgs/{org}/roles/{id}).
func (c *Client) GetRole(ctx context.Context, org, id string) (*apitype.Role, error) {
	if err := required("org", org, "role ID", id); err != nil {
		return nil, err
	}
	var out apitype.Role
	if err := c.get(ctx, apiPath("api", "orgs", org, "roles", id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateRole changes the fields set in req (PATCH /api/orgs/{org}/roles/{id}). With
// req.Version set, a role changed since that version fails with a 409 (see IsConflict).
func (c *Client) UpdateRole(ctx context.Context, org, id string, req apitype.UpdateRoleRequest) (*apitype.Role, error) {
	if err := required("org", org, "role ID", id); err != nil {
		return nil, err
	}
	var out apitype.Role
	if err := c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "roles", id), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRole deletes a record (DELETE /api/orgs/{org}/roles/{id}). Without force, a role that is
// still assigned fails with a 409; a record another record composes fails with a 409 even with
// force.
func (c *Client) DeleteRole(ctx context.Context, org, id string, force bool) error {
	if err := required("org", org, "role ID", id); err != nil {
		return err
	}
	path := apiPath("api", "orgs", org, "roles", id)
	if force {
		path += "?force=true"
	}
	return c.do(ctx, http.MethodDelete, path, nil, nil, "")
}

// ListScopes returns the scope catalog, grouped by resource type and console group
// (GET /api/orgs/{org}/roles/scopes).
func (c *Client) ListScopes(ctx context.Context, org string) (apitype.ListScopesResponse, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.ListScopesResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "roles", "scopes"), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListRoleTokens lists the org tokens that hold the role (GET /api/orgs/{org}/roles/{id}/tokens).
func (c *Client) ListRoleTokens(ctx context.Context, org, id string) ([]apitype.AccessToken, error) {
	if err := required("org", org, "role ID", id); err != nil {
		return nil, err
	}
	return c.listTokens(ctx, apiPath("api", "orgs", org, "roles", id, "tokens"), url.Values{})
}

// SetDefaultRole makes the role the org's default for new members and role-less tokens
// (PATCH /api/orgs/{org}/roles/{id}/default).
func (c *Client) SetDefaultRole(ctx context.Context, org, id string) error {
	if err := required("org", org, "role ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "roles", id, "default"), nil, nil, "")
}
