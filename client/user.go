package client

import (
	"context"

	"github.com/iamref/iam/apitype"
)

// GetCurrentUser returns the caller's identity (GET /api/user).
func (c *Client) GetCurrentUser(ctx context.Context) (*apitype.User, error) {
	var out apitype.User
	if err := c.get(ctx, "/api/user", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Healthz returns nil once the server is ready (GET /healthz answers 2xx).
func (c *Client) Healthz(ctx context.Context) error {
	return c.get(ctx, "/healthz", nil)
}
