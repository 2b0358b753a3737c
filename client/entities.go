package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// Stacks.

// CreateStack creates a stack (POST /api/stacks/{org}/{project}) and returns it. Pulumi Cloud
// answers a create without the stack, so when the answer has no ID the stack is read back.
func (c *Client) CreateStack(ctx context.Context, org, project string, req apitype.CreateStackRequest) (*apitype.Stack, error) {
	if err := required("org", org, "project", project, "stack name", req.StackName); err != nil {
		return nil, err
	}
	var out apitype.Stack
	if err := c.create(ctx, apiPath("api", "stacks", org, project), req, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return c.GetStack(ctx, org, project, req.StackName)
	}
	return &out, nil
}

// GetStack returns a stack (GET /api/stacks/{org}/{project}/{stack}).
func (c *Client) GetStack(ctx context.Context, org, project, stack string) (*apitype.Stack, error) {
	if err := required("org", org, "project", project, "stack", stack); err != nil {
		return nil, err
	}
	var out apitype.Stack
	if err := c.get(ctx, apiPath("api", "stacks", org, project, stack), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteStack deletes a stack (DELETE /api/stacks/{org}/{project}/{stack}).
func (c *Client) DeleteStack(ctx context.Context, org, project, stack string) error {
	if err := required("org", org, "project", project, "stack", stack); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "stacks", org, project, stack), nil, nil, "")
}

// UpdateStackTags replaces all of a stack's tags (PATCH /api/stacks/{org}/{project}/{stack}/tags).
func (c *Client) UpdateStackTags(ctx context.Context, org, project, stack string, tags map[string]string) error {
	if err := required("org", org, "project", project, "stack", stack); err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	path := apiPath("api", "stacks", org, project, stack, "tags")
	return c.do(ctx, http.MethodPatch, path, apitype.UpdateStackTagsRequest(tags), nil, "")
}

// ListStacks lists the org's stacks the caller can see, optionally in one project, following
// continuation tokens (GET /api/user/stacks?organization=&project=).
func (c *Client) ListStacks(ctx context.Context, org, project string) ([]apitype.StackSummary, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	return collect(func(token string) ([]apitype.StackSummary, string, error) {
		q := url.Values{"organization": {org}, "project": {project}, "continuationToken": {token}}
		var out apitype.ListStacksResponse
		if err := c.get(ctx, withQuery("/api/user/stacks", q), &out); err != nil {
			return nil, "", err
		}
		return out.Stacks, out.ContinuationToken, nil
	})
}

// Environments.

// CreateEnvironment creates an ESC environment (POST /api/esc/environments/{org}) and returns
// it. Pulumi ESC answers a create without the environment, so when the answer has no ID the
// environment is read back.
func (c *Client) CreateEnvironment(ctx context.Context, org string, req apitype.CreateEnvironmentRequest) (*apitype.Environment, error) {
	if err := required("org", org, "project", req.Project, "environment name", req.Name); err != nil {
		return nil, err
	}
	var out apitype.Environment
	if err := c.create(ctx, apiPath("api", "esc", "environments", org), req, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return c.GetEnvironment(ctx, org, req.Project, req.Name)
	}
	return &out, nil
}

// GetEnvironment returns an environment (GET /api/esc/environments/{org}/{project}/{env}).
func (c *Client) GetEnvironment(ctx context.Context, org, project, env string) (*apitype.Environment, error) {
	if err := required("org", org, "project", project, "environment", env); err != nil {
		return nil, err
	}
	var out apitype.Environment
	if err := c.get(ctx, apiPath("api", "esc", "environments", org, project, env), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEnvironment deletes an environment (DELETE /api/esc/environments/{org}/{project}/{env}).
func (c *Client) DeleteEnvironment(ctx context.Context, org, project, env string) error {
	if err := required("org", org, "project", project, "environment", env); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "esc", "environments", org, project, env), nil, nil, "")
}

// OpenEnvironment opens an environment session (POST /api/esc/environments/{org}/{project}/{env}/open).
func (c *Client) OpenEnvironment(ctx context.Context, org, project, env string) (*apitype.OpenEnvironmentResponse, error) {
	if err := required("org", org, "project", project, "environment", env); err != nil {
		return nil, err
	}
	var out apitype.OpenEnvironmentResponse
	path := apiPath("api", "esc", "environments", org, project, env, "open")
	if err := c.do(ctx, http.MethodPost, path, nil, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateEnvironmentTags replaces all of an environment's tags
// (PATCH /api/esc/environments/{org}/{project}/{env}/tags).
func (c *Client) UpdateEnvironmentTags(ctx context.Context, org, project, env string, tags map[string]string) error {
	if err := required("org", org, "project", project, "environment", env); err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	path := apiPath("api", "esc", "environments", org, project, env, "tags")
	return c.do(ctx, http.MethodPatch, path, apitype.UpdateEnvironmentTagsRequest(tags), nil, "")
}

// ListEnvironments lists the org's environments the caller can see, following continuation
// tokens (GET /api/esc/environments/{org}).
func (c *Client) ListEnvironments(ctx context.Context, org string) ([]apitype.Environment, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	return collect(func(token string) ([]apitype.Environment, string, error) {
		var out apitype.ListEnvironmentsResponse
		path := withQuery(apiPath("api", "esc", "environments", org), url.Values{"continuationToken": {token}})
		if err := c.get(ctx, path, &out); err != nil {
			return nil, "", err
		}
		return out.Environments, out.NextToken, nil
	})
}

// Insights accounts.

// CreateInsightsAccount creates an Insights account (POST /api/preview/insights/{org}/accounts/{name})
// and returns it. Pulumi Cloud answers a create without the account, so when the answer has no
// ID the account is read back.
func (c *Client) CreateInsightsAccount(ctx context.Context, org, name string, req apitype.CreateInsightsAccountRequest) (*apitype.InsightsAccount, error) {
	if err := required("org", org, "account name", name); err != nil {
		return nil, err
	}
	var out apitype.InsightsAccount
	if err := c.create(ctx, apiPath("api", "preview", "insights", org, "accounts", name), req, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return c.GetInsightsAccount(ctx, org, name)
	}
	return &out, nil
}

// GetInsightsAccount returns an Insights account (GET /api/preview/insights/{org}/accounts/{name}).
func (c *Client) GetInsightsAccount(ctx context.Context, org, name string) (*apitype.InsightsAccount, error) {
	if err := required("org", org, "account name", name); err != nil {
		return nil, err
	}
	var out apitype.InsightsAccount
	if err := c.get(ctx, apiPath("api", "preview", "insights", org, "accounts", name), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteInsightsAccount deletes an Insights account
// (DELETE /api/preview/insights/{org}/accounts/{name}).
func (c *Client) DeleteInsightsAccount(ctx context.Context, org, name string) error {
	if err := required("org", org, "account name", name); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "preview", "insights", org, "accounts", name), nil, nil, "")
}

// ListInsightsAccounts lists the org's Insights accounts the caller can see, following
// continuation tokens (GET /api/preview/insights/{org}/accounts).
func (c *Client) ListInsightsAccounts(ctx context.Context, org string) ([]apitype.InsightsAccount, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	return collect(func(token string) ([]apitype.InsightsAccount, string, error) {
		var out apitype.ListInsightsAccountsResponse
		path := withQuery(apiPath("api", "preview", "insights", org, "accounts"), url.Values{"continuationToken": {token}})
		if err := c.get(ctx, path, &out); err != nil {
			return nil, "", err
		}
		return out.Accounts, out.NextToken, nil
	})
}
