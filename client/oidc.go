package client

import (
	"context"
	"net/http"

	"github.com/iamref/iam/apitype"
)

// ListOIDCIssuers lists the org's trusted OIDC issuers (GET /api/orgs/{org}/oidc/issuers).
func (c *Client) ListOIDCIssuers(ctx context.Context, org string) ([]apitype.Issuer, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.ListIssuersResponse
	if err := c.get(ctx, apiPath("api", "orgs", org, "oidc", "issuers"), &out); err != nil {
		return nil, err
	}
	return out.OIDCIssuers, nil
}

// CreateOIDCIssuer registers an OIDC issuer (POST /api/orgs/{org}/oidc/issuers). Its
// authorization policy starts as a single deny-all (see GetAuthPolicyForIssuer).
func (c *Client) CreateOIDCIssuer(ctx context.Context, org string, req apitype.RegisterIssuerRequest) (*apitype.Issuer, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.Issuer
	if err := c.create(ctx, apiPath("api", "orgs", org, "oidc", "issuers"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetOIDCIssuer returns one issuer (GET /api/orgs/{org}/oidc/issuers/{id}).
func (c *Client) GetOIDCIssuer(ctx context.Context, org, id string) (*apitype.Issuer, error) {
	if err := required("org", org, "issuer ID", id); err != nil {
		return nil, err
	}
	var out apitype.Issuer
	if err := c.get(ctx, apiPath("api", "orgs", org, "oidc", "issuers", id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateOIDCIssuer renames an issuer and changes the optional fields set in req
// (PATCH /api/orgs/{org}/oidc/issuers/{id}).
func (c *Client) UpdateOIDCIssuer(ctx context.Context, org, id string, req apitype.UpdateIssuerRequest) (*apitype.Issuer, error) {
	if err := required("org", org, "issuer ID", id); err != nil {
		return nil, err
	}
	var out apitype.Issuer
	if err := c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "oidc", "issuers", id), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteOIDCIssuer deletes an issuer and its policy (DELETE /api/orgs/{org}/oidc/issuers/{id}).
// Tokens already exchanged stay valid until they expire.
func (c *Client) DeleteOIDCIssuer(ctx context.Context, org, id string) error {
	if err := required("org", org, "issuer ID", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, apiPath("api", "orgs", org, "oidc", "issuers", id), nil, nil, "")
}

// RegenerateThumbprints fetches the issuer's discovery endpoint again and pins the TLS leaf
// certificate it presents now (POST /api/orgs/{org}/oidc/issuers/{id}/regenerate-thumbprints).
// An issuer with a static JWKS fails with a 400.
func (c *Client) RegenerateThumbprints(ctx context.Context, org, id string) (*apitype.Issuer, error) {
	if err := required("org", org, "issuer ID", id); err != nil {
		return nil, err
	}
	var out apitype.Issuer
	if err := c.do(ctx, http.MethodPost, apiPath("api", "orgs", org, "oidc", "issuers", id, "regenerate-thumbprints"), nil, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAuthPolicyForIssuer returns the authorization policy of an issuer
// (GET /api/orgs/{org}/auth/policies/oidcissuers/{issuerId}).
func (c *Client) GetAuthPolicyForIssuer(ctx context.Context, org, issuerID string) (*apitype.AuthPolicy, error) {
	if err := required("org", org, "issuer ID", issuerID); err != nil {
		return nil, err
	}
	var out apitype.AuthPolicy
	if err := c.get(ctx, apiPath("api", "orgs", org, "auth", "policies", "oidcissuers", issuerID), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAuthPolicy replaces the definitions of an authorization policy
// (PATCH /api/orgs/{org}/auth/policies/{policyId}). Each definition may only hand out a role,
// team or user whose rights the caller holds (else 403).
func (c *Client) UpdateAuthPolicy(ctx context.Context, org, policyID string, req apitype.UpdateAuthPolicyRequest) (*apitype.AuthPolicy, error) {
	if err := required("org", org, "policy ID", policyID); err != nil {
		return nil, err
	}
	var out apitype.AuthPolicy
	if err := c.do(ctx, http.MethodPatch, apiPath("api", "orgs", org, "auth", "policies", policyID), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExchangeToken trades an OIDC ID token for a Pulumi access token (POST /api/oauth/token, RFC
// 8693, sent as JSON; the endpoint needs no access token). A refusal is an *APIError whose
// OAuthError holds the RFC 6749 error code, e.g. apitype.OAuthInvalidGrant.
func (c *Client) ExchangeToken(ctx context.Context, req apitype.TokenExchangeRequest) (*apitype.TokenExchangeResponse, error) {
	var out apitype.TokenExchangeResponse
	if err := c.do(ctx, http.MethodPost, apiPath("api", "oauth", "token"), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}
