package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// CreateToken creates an org access token (POST /api/orgs/{org}/tokens). The value in the answer
// is shown only this once.
func (c *Client) CreateToken(ctx context.Context, org string, req apitype.CreateOrgTokenRequest) (*apitype.CreateTokenResponse, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.CreateTokenResponse
	if err := c.create(ctx, apiPath("api", "orgs", org, "tokens"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens lists the org's access tokens, following continuation tokens
// (GET /api/orgs/{org}/tokens?filter=). filter is apitype.TokenFilterActive, …Expired or …All;
// empty leaves the server's default (active).
func (c *Client) ListTokens(ctx context.Context, org, filter string) ([]apitype.AccessToken, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	return c.listTokens(ctx, apiPath("api", "orgs", org, "tokens"), url.Values{"filter": {filter}})
}

func (c *Client) listTokens(ctx context.Context, path string, q url.Values) ([]apitype.AccessToken, error) {
	return collect(func(token string) ([]apitype.AccessToken, string, error) {
		q.Set("continuationToken", token)
		var out apitype.ListTokensResponse
		if err := c.get(ctx, withQuery(path, q), &out); err != nil {
			return nil, "", err
		}
		return out.Tokens, out.ContinuationToken, nil
	})
}

// DeleteToken revokes an org access token (DELETE /api/orgs/{org}/tokens/{id}).
func (c *Client) DeleteToken(ctx context.Context, org, id string) error {
	if err := required("org", org, "token ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "tokens", id), nil, nil, "")
}
