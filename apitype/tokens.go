package apitype

import "encoding/json"

// TokenType is the kind of an access token.
type TokenType string

// TokenType values, as Pulumi Cloud reports them in AccessToken.Type.
const (
	TokenTypePersonal         TokenType = "personal"
	TokenTypeRefresh          TokenType = "refresh"
	TokenTypeOrganization     TokenType = "organization"
	TokenTypeTeam             TokenType = "team"
	TokenTypeServicePrincipal TokenType = "service-principal"
)

// Token list filters for GET /api/orgs/{org}/tokens?filter=….
const (
	TokenFilterActive  = "active"
	TokenFilterExpired = "expired"
	TokenFilterAll     = "all"
)

// CreateOrgTokenRequest is the body of POST /api/orgs/{org}/tokens (Pulumi's
// CreateOrgAccessTokenRequest). Expires is unix seconds, 0 = never. A token has either RoleID or
// the legacy Admin flag; with neither it gets the org's default member role.
type CreateOrgTokenRequest struct {
	Name        string `json:"name"`
	Description string `json:"description" openapi:"optional"`
	Admin       bool   `json:"admin" openapi:"optional"`
	Expires     int64  `json:"expires" openapi:"optional"` // Pulumi's provider omits it for "never"
	RoleID      string `json:"roleID,omitempty"`
}

// CreateTokenResponse is the answer to a token create (Pulumi's CreateAccessTokenResponse).
// TokenValue ("pul-" + 40 hex) is returned only here, once.
type CreateTokenResponse struct {
	ID         string `json:"id"`
	TokenValue string `json:"tokenValue"`
}

// AccessToken describes a token without its value (Pulumi's AccessToken). Created is an
// ISO 8601 string; LastUsed and Expires are unix seconds, 0 = never.
type AccessToken struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Created     string     `json:"created"`
	LastUsed    int64      `json:"lastUsed"`
	Expires     int64      `json:"expires"`
	Admin       bool       `json:"admin"`
	CreatedBy   string     `json:"createdBy"`
	Role        *TokenRole `json:"role,omitempty"`
	Type        TokenType  `json:"type,omitempty"` // the official client rejects values it does not know, "" included
}

// TokenRole is the role a token holds (Pulumi's AccessTokenRole).
type TokenRole struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	DefaultIdentifier string `json:"defaultIdentifier"`
}

// ListTokensResponse is one page of tokens (Pulumi's ListAccessTokensResponse).
type ListTokensResponse struct {
	Tokens            []AccessToken `json:"tokens"`
	ContinuationToken string        `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil Tokens as [].
func (r ListTokensResponse) MarshalJSON() ([]byte, error) {
	type plain ListTokensResponse
	r.Tokens = nonNil(r.Tokens)
	return json.Marshal(plain(r))
}
