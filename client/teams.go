package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// ListTeams lists the org's teams with the roles they hold (GET /api/orgs/{org}/teams).
func (c *Client) ListTeams(ctx context.Context, org string) ([]apitype.Team, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.ListTeamsResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "teams"), &out); err != nil {
		return nil, err
	}
	return out.Teams, nil
}

// CreateTeam creates a team (POST /api/orgs/{org}/teams/pulumi).
func (c *Client) CreateTeam(ctx context.Context, org string, req apitype.CreateTeamRequest) (*apitype.Team, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.Team
	if err := c.create(ctx, apiPath("api", "orgs", org, "teams", "pulumi"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetTeam returns a team with its members and roles (GET /api/orgs/{org}/teams/{team}).
func (c *Client) GetTeam(ctx context.Context, org, team string) (*apitype.Team, error) {
	if err := required("org", org, "team", team); err != nil {
		return nil, err
	}
	var out apitype.Team
	if err := c.get(ctx, apiPath("api", "orgs", org, "teams", team), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateTeam changes a team's display name or description, or adds or removes one member
// (PATCH /api/orgs/{org}/teams/{team}).
func (c *Client) UpdateTeam(ctx context.Context, org, team string, req apitype.UpdateTeamRequest) error {
	if err := required("org", org, "team", team); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "teams", team), req, nil, "")
}

// DeleteTeam deletes a team and revokes its tokens (DELETE /api/orgs/{org}/teams/{team}).
func (c *Client) DeleteTeam(ctx context.Context, org, team string) error {
	if err := required("org", org, "team", team); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "teams", team), nil, nil, "")
}

// ListTeamRoles lists the roles a team holds (GET /api/orgs/{org}/teams/{team}/roles).
func (c *Client) ListTeamRoles(ctx context.Context, org, team string) ([]apitype.Role, error) {
	if err := required("org", org, "team", team); err != nil {
		return nil, err
	}
	var out apitype.ListRolesResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "teams", team, "roles"), &out); err != nil {
		return nil, err
	}
	return out.Roles, nil
}

// AddTeamRole gives a team a role; giving one it holds changes nothing
// (POST /api/orgs/{org}/teams/{team}/roles/{id}).
func (c *Client) AddTeamRole(ctx context.Context, org, team, roleID string) error {
	if err := required("org", org, "team", team, "role ID", roleID); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, apiPath("api", "orgs", org, "teams", team, "roles", roleID), nil, nil, "")
}

// RemoveTeamRole takes a role from a team (DELETE /api/orgs/{org}/teams/{team}/roles/{id}).
func (c *Client) RemoveTeamRole(ctx context.Context, org, team, roleID string) error {
	if err := required("org", org, "team", team, "role ID", roleID); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "teams", team, "roles", roleID), nil, nil, "")
}

// ListRoleTeams lists the teams that hold a role (GET /api/orgs/{org}/roles/{id}/teams).
func (c *Client) ListRoleTeams(ctx context.Context, org, roleID string) ([]apitype.Team, error) {
	if err := required("org", org, "role ID", roleID); err != nil {
		return nil, err
	}
	var out apitype.ListTeamsResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "roles", roleID, "teams"), &out); err != nil {
		return nil, err
	}
	return out.Teams, nil
}

// ListTeamTokens lists a team's tokens (GET /api/orgs/{org}/teams/{team}/tokens).
func (c *Client) ListTeamTokens(ctx context.Context, org, team string) ([]apitype.AccessToken, error) {
	if err := required("org", org, "team", team); err != nil {
		return nil, err
	}
	return c.listTokens(ctx, apiPath("api", "orgs", org, "teams", team, "tokens"), url.Values{})
}

// CreateTeamToken mints a token acting as the team (POST /api/orgs/{org}/teams/{team}/tokens).
// The value is shown only this once.
func (c *Client) CreateTeamToken(ctx context.Context, org, team string, req apitype.CreateTeamTokenRequest) (*apitype.CreateTokenResponse, error) {
	if err := required("org", org, "team", team); err != nil {
		return nil, err
	}
	var out apitype.CreateTokenResponse
	if err := c.create(ctx, apiPath("api", "orgs", org, "teams", team, "tokens"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteTeamToken revokes a team token (DELETE /api/orgs/{org}/teams/{team}/tokens/{id}).
func (c *Client) DeleteTeamToken(ctx context.Context, org, team, id string) error {
	if err := required("org", org, "team", team, "token ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "teams", team, "tokens", id), nil, nil, "")
}
