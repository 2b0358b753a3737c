package apitype

import "encoding/json"

// InsightsAccount is an Insights (cloud) account (Pulumi's InsightsAccount, reduced to what
// iamref uses; Tags is an iamref addition, Pulumi keeps account tags on a separate route).
type InsightsAccount struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Provider string            `json:"provider"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// InsightsAccount.Provider values accepted by Pulumi Cloud.
const (
	InsightsProviderAWS         = "aws"
	InsightsProviderGCP         = "gcp"
	InsightsProviderAzureNative = "azure-native"
	InsightsProviderOCI         = "oci"
	InsightsProviderKubernetes  = "kubernetes"
)

// CreateInsightsAccountRequest is the body of POST /api/preview/insights/{org}/accounts/{name}
// (Pulumi's CreateInsightsAccountRequest, reduced; Tags is an iamref addition). Environment is
// the ESC environment holding the provider credentials, "project/env".
type CreateInsightsAccountRequest struct {
	Provider    string            `json:"provider"`
	Environment string            `json:"environment,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// ListInsightsAccountsResponse is one page of GET /api/preview/insights/{org}/accounts; the next
// page is requested with ?continuationToken=<NextToken>.
type ListInsightsAccountsResponse struct {
	Accounts  []InsightsAccount `json:"accounts"`
	NextToken string            `json:"nextToken,omitempty"`
}

// MarshalJSON encodes a nil Accounts as [].
func (r ListInsightsAccountsResponse) MarshalJSON() ([]byte, error) {
	type plain ListInsightsAccountsResponse
	r.Accounts = nonNil(r.Accounts)
	return json.Marshal(plain(r))
}
