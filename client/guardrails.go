package client

import (
	"context"
	"net/http"

	"github.com/iamref/iam/apitype"
)

// ListGuardrails lists the org's guardrails, by name (GET /api/orgs/{org}/guardrails, an
// iamref extension).
func (c *Client) ListGuardrails(ctx context.Context, org string) ([]apitype.Guardrail, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.ListGuardrailsResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "guardrails"), &out); err != nil {
		return nil, err
	}
	return out.Guardrails, nil
}

// CreateGuardrail creates a guardrail (POST /api/orgs/{org}/guardrails; full admin).
func (c *Client) CreateGuardrail(ctx context.Context, org string, req apitype.CreateGuardrailRequest) (*apitype.Guardrail, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.Guardrail
	if err := c.create(ctx, apiPath("api", "orgs", org, "guardrails"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGuardrail reads a guardrail (GET /api/orgs/{org}/guardrails/{id}).
func (c *Client) GetGuardrail(ctx context.Context, org, id string) (*apitype.Guardrail, error) {
	if err := required("org", org, "guardrail ID", id); err != nil {
		return nil, err
	}
	var out apitype.Guardrail
	if err := c.get(ctx, apiPath("api", "orgs", org, "guardrails", id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateGuardrail replaces a guardrail (PUT /api/orgs/{org}/guardrails/{id}; full admin).
func (c *Client) UpdateGuardrail(ctx context.Context, org, id string, req apitype.UpdateGuardrailRequest) (*apitype.Guardrail, error) {
	if err := required("org", org, "guardrail ID", id); err != nil {
		return nil, err
	}
	var out apitype.Guardrail
	if err := c.do(ctx, http.MethodPut, apiPath("api", "orgs", org, "guardrails", id), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteGuardrail deletes a guardrail (DELETE /api/orgs/{org}/guardrails/{id}; full admin).
func (c *Client) DeleteGuardrail(ctx context.Context, org, id string) error {
	if err := required("org", org, "guardrail ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "guardrails", id), nil, nil, "")
}

// WhoCan lists, page by page, the principals that may do req.Action on req.Entity
// (POST /api/orgs/{org}/access/who, an iamref route), following continuation tokens until
// the end or until max principals (allowed and guardrail-denied together) are gathered
// (max <= 0: no bound).
func (c *Client) WhoCan(ctx context.Context, org string, req apitype.WhoCanRequest, max int) (*apitype.WhoCanResponse, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	all := &apitype.WhoCanResponse{}
	for {
		var page apitype.WhoCanResponse
		if err := c.do(ctx, http.MethodPost, apiPath("api", "orgs", org, "access", "who"), req, &page, ""); err != nil {
			return nil, err
		}
		all.Principals = append(all.Principals, page.Principals...)
		all.DeniedByGuardrail = append(all.DeniedByGuardrail, page.DeniedByGuardrail...)
		all.Examined += page.Examined
		if page.ContinuationToken == "" {
			return all, nil
		}
		if max > 0 && len(all.Principals)+len(all.DeniedByGuardrail) >= max {
			all.ContinuationToken = page.ContinuationToken
			return all, nil
		}
		req.ContinuationToken = page.ContinuationToken
	}
}
