package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// ListMembers lists the org's members, following continuation tokens
// (GET /api/orgs/{org}/members).
func (c *Client) ListMembers(ctx context.Context, org string) ([]apitype.OrganizationMember, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	path := apiPath("api", "orgs", org, "members")
	return collect(func(token string) ([]apitype.OrganizationMember, string, error) {
		var out apitype.ListMembersResponse
		if err := c.get(ctx, withQuery(path, url.Values{"continuationToken": {token}}), &out); err != nil {
			return nil, "", err
		}
		return out.Members, out.ContinuationToken, nil
	})
}

// AddMember adds a user to the org with a built-in role (empty = the org's default role),
// creating the user when the server does not know the login
// (POST /api/orgs/{org}/members/{login}). A member already there fails with a 409.
func (c *Client) AddMember(ctx context.Context, org, login string, req apitype.AddMemberRequest) (*apitype.OrganizationMember, error) {
	if err := required("org", org, "login", login); err != nil {
		return nil, err
	}
	var out apitype.OrganizationMember
	if err := c.create(ctx, apiPath("api", "orgs", org, "members", login), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateMember changes a member's org role: req.FGARoleID (any role) wins over req.Role (a
// built-in role's name) (PATCH /api/orgs/{org}/members/{login}).
func (c *Client) UpdateMember(ctx context.Context, org, login string, req apitype.UpdateMemberRequest) error {
	if err := required("org", org, "login", login); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "members", login), req, nil, "")
}

// RemoveMember removes a member from the org (DELETE /api/orgs/{org}/members/{login}).
func (c *Client) RemoveMember(ctx context.Context, org, login string) error {
	if err := required("org", org, "login", login); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "members", login), nil, nil, "")
}

// CreateMemberToken mints a member's first personal token (POST
// /api/orgs/{org}/members/{login}/tokens, an iamref route). The value is shown only this once.
func (c *Client) CreateMemberToken(ctx context.Context, org, login string, req apitype.CreatePersonalTokenRequest) (*apitype.CreateTokenResponse, error) {
	if err := required("org", org, "login", login); err != nil {
		return nil, err
	}
	var out apitype.CreateTokenResponse
	if err := c.create(ctx, apiPath("api", "orgs", org, "members", login, "tokens"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListRoleUsers lists the members whose org role is the role
// (GET /api/orgs/{org}/roles/{id}/users).
func (c *Client) ListRoleUsers(ctx context.Context, org, roleID string) ([]apitype.UserInfo, error) {
	if err := required("org", org, "role ID", roleID); err != nil {
		return nil, err
	}
	var out apitype.ListUsersResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "roles", roleID, "users"), &out); err != nil {
		return nil, err
	}
	return out.Users, nil
}

// ListPersonalTokens lists the caller's personal tokens (GET /api/user/tokens; the client's
// token must be a personal token).
func (c *Client) ListPersonalTokens(ctx context.Context) ([]apitype.AccessToken, error) {
	return c.listTokens(ctx, "/api/user/tokens", url.Values{})
}

// CreatePersonalToken mints a personal token for the caller (POST /api/user/tokens). The value
// is shown only this once.
func (c *Client) CreatePersonalToken(ctx context.Context, req apitype.CreatePersonalTokenRequest) (*apitype.CreateTokenResponse, error) {
	var out apitype.CreateTokenResponse
	if err := c.create(ctx, "/api/user/tokens", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePersonalToken revokes one of the caller's personal tokens
// (DELETE /api/user/tokens/{id}).
func (c *Client) DeletePersonalToken(ctx context.Context, id string) error {
	if err := required("token ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "user", "tokens", id), nil, nil, "")
}
