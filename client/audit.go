package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/iamref/iam/apitype"
)

// ListAuditLogs returns one page of the org's audit log, newest first
// (GET /api/orgs/{org}/auditlogs?continuationToken=). Pass "" for the first page and the
// answer's ContinuationToken for the next; an empty ContinuationToken means no more pages.
func (c *Client) ListAuditLogs(ctx context.Context, org, continuationToken string) (*apitype.ListAuditLogsResponse, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.ListAuditLogsResponse
	path := withQuery(apiPath("api", "orgs", org, "auditlogs"), url.Values{"continuationToken": {continuationToken}})
	if err := c.get(ctx, path, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CheckAccess asks the server to decide each check, without performing anything
// (POST /api/orgs/{org}/access/check). It has no side effects, so it is retried like a read.
func (c *Client) CheckAccess(ctx context.Context, org string, req apitype.AccessCheckRequest) (*apitype.AccessCheckResponse, error) {
	if err := required("org", org); err != nil {
		return nil, err
	}
	var out apitype.AccessCheckResponse
	if err := c.do(ctx, http.MethodPost, apiPath("api", "orgs", org, "access", "check"), req, &out, ""); err != nil {
		return nil, err
	}
	return &out, nil
}
