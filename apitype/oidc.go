package apitype

import (
	"encoding/json"
	"strings"
)

// DefaultIssuerMaxExpiration is an issuer's maxExpiration when registration leaves it out: 25 h,
// in seconds.
const DefaultIssuerMaxExpiration = 25 * 60 * 60

// Issuer is a trusted OIDC identity provider (Pulumi's OidcIssuerRegistrationResponse), answered
// by GET/POST /api/orgs/{org}/oidc/issuers[/{id}]. URL is what was registered; Issuer is the
// `iss` value ID tokens must carry (the discovery document's `issuer`, or URL for a static JWKS).
// Thumbprints are lowercase hex SHA-256 fingerprints of the TLS leaf certificate the discovery and
// JWKS endpoints may present; they replace CA trust. JWKS is the static RFC 7517 key set when one
// was given (then no network is used). MaxExpiration caps exchanged tokens, in seconds. Created,
// Modified and LastUsed are RFC 3339 strings; LastUsed is "" until a first exchange.
type Issuer struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	URL           string          `json:"url"`
	Issuer        string          `json:"issuer"`
	Thumbprints   []string        `json:"thumbprints"`
	MaxExpiration int64           `json:"maxExpiration"`
	JWKS          json.RawMessage `json:"jwks,omitempty"`
	Created       string          `json:"created"`
	Modified      string          `json:"modified"`
	LastUsed      string          `json:"lastUsed" openapi:"optional"`
}

// MarshalJSON encodes a nil Thumbprints as [].
func (i Issuer) MarshalJSON() ([]byte, error) {
	type plain Issuer
	i.Thumbprints = nonNil(i.Thumbprints)
	return json.Marshal(plain(i))
}

// RegisterIssuerRequest is the body of POST /api/orgs/{org}/oidc/issuers (Pulumi's
// OidcIssuerRegistrationRequest). Name (≤ 50 characters) and URL (https) are required. Without
// JWKS the server fetches URL + "/.well-known/openid-configuration" and the JWKS it names, over
// HTTPS; with Thumbprints the TLS leaf certificate must match one of them, without them the
// server pins the one it sees. With JWKS (an RFC 7517 {"keys":[…]} object) nothing is fetched.
// MaxExpiration is seconds, 0 = DefaultIssuerMaxExpiration.
type RegisterIssuerRequest struct {
	Name          string          `json:"name"`
	URL           string          `json:"url"`
	Thumbprints   []string        `json:"thumbprints,omitempty"`
	MaxExpiration int64           `json:"maxExpiration,omitempty"`
	JWKS          json.RawMessage `json:"jwks,omitempty"`
}

// UpdateIssuerRequest is the body of PATCH /api/orgs/{org}/oidc/issuers/{id} (Pulumi's
// OidcIssuerUpdateRequest). Name is required; the other fields change only when present. The URL
// cannot change. A JWKS can replace a static JWKS but not turn a discovered issuer static.
type UpdateIssuerRequest struct {
	Name          string          `json:"name"`
	Thumbprints   []string        `json:"thumbprints,omitempty"`
	MaxExpiration *int64          `json:"maxExpiration,omitempty"`
	JWKS          json.RawMessage `json:"jwks,omitempty"`
}

// ListIssuersResponse is the answer to GET /api/orgs/{org}/oidc/issuers.
type ListIssuersResponse struct {
	OIDCIssuers []Issuer `json:"oidcIssuers"`
}

// MarshalJSON encodes a nil OIDCIssuers as [].
func (r ListIssuersResponse) MarshalJSON() ([]byte, error) {
	type plain ListIssuersResponse
	r.OIDCIssuers = nonNil(r.OIDCIssuers)
	return json.Marshal(plain(r))
}

// AuthPolicy is the authorization policy of one issuer (Pulumi's AuthPolicy), answered by
// GET /api/orgs/{org}/auth/policies/oidcissuers/{issuerId} and PATCH …/auth/policies/{id}.
// Policies are checked against every exchange: a matching deny refuses it, else the first
// matching allow for the requested token type grants it; with none, the exchange is refused. A
// new issuer's policy is a single deny-all. Version grows by one on every change. Created and
// Modified are RFC 3339 strings.
type AuthPolicy struct {
	ID       string                 `json:"id"`
	Version  int                    `json:"version"`
	Created  string                 `json:"created"`
	Modified string                 `json:"modified"`
	Policies []AuthPolicyDefinition `json:"policies"`
	// IssuerID is the issuer the policy belongs to (iamref extension, so that a policy ID alone
	// can be imported).
	IssuerID string `json:"issuerId,omitempty"`
}

// MarshalJSON encodes a nil Policies as [].
func (p AuthPolicy) MarshalJSON() ([]byte, error) {
	type plain AuthPolicy
	p.Policies = nonNil(p.Policies)
	return json.Marshal(plain(p))
}

// AuthPolicyDefinition is one rule of an AuthPolicy (Pulumi's AuthPolicyDefinition).
//
// Decision is "allow" or "deny". TokenType is the token it hands out: "organization" (with RoleID,
// or AuthorizedPermissions ["admin"] for the built-in admin role; neither means the org's default
// member role), "team" (TeamName) or "personal" (UserLogin); "runner" is refused by this server.
// Rules maps claim paths to patterns, all of which must match: a path is dot-separated, with keys
// that contain dots double-quoted (`"kubernetes.io".pod.name`); a pattern matches the claim's
// string value (numbers and booleans in their JSON form), `*` standing for any run of characters
// and `?` for at most one. Empty Rules match every token of the issuer.
type AuthPolicyDefinition struct {
	Decision              string            `json:"decision"`
	TokenType             string            `json:"tokenType"`
	TeamName              string            `json:"teamName,omitempty"`
	UserLogin             string            `json:"userLogin,omitempty"`
	RunnerID              string            `json:"runnerID,omitempty"`
	RoleID                string            `json:"roleID,omitempty"`
	AuthorizedPermissions []string          `json:"authorizedPermissions,omitempty"`
	Rules                 map[string]string `json:"rules,omitempty"`
}

// AuthPolicyDefinition.Decision values.
const (
	PolicyDecisionAllow = "allow"
	PolicyDecisionDeny  = "deny"
)

// AuthPolicyDefinition.TokenType values.
const (
	PolicyTokenOrganization = "organization"
	PolicyTokenTeam         = "team"
	PolicyTokenPersonal     = "personal"
	PolicyTokenRunner       = "runner"
)

// MaxAuthPolicies bounds the definitions of one AuthPolicy.
const MaxAuthPolicies = 40

// UpdateAuthPolicyRequest is the body of PATCH /api/orgs/{org}/auth/policies/{id}: the complete
// new list of definitions (1 to MaxAuthPolicies).
type UpdateAuthPolicyRequest struct {
	Policies []AuthPolicyDefinition `json:"policies"`
}

// Token exchange (RFC 8693) constants for POST /api/oauth/token.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// SubjectTokenTypeIDToken is the only subject_token_type accepted: an OIDC ID token (a JWT).
	SubjectTokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	// RequestedTokenTypePrefix precedes the token type (organization, team, personal) in
	// requested_token_type and issued_token_type.
	RequestedTokenTypePrefix = "urn:pulumi:token-type:access_token:"
	// AudiencePrefix precedes the organization's name in audience.
	AudiencePrefix = "urn:pulumi:org:"
	// DefaultExchangeExpiration is an exchanged token's lifetime when the request names none: 2 h,
	// in seconds.
	DefaultExchangeExpiration = 2 * 60 * 60
)

// RequestedTokenType returns the requested_token_type for a token type, e.g.
// "urn:pulumi:token-type:access_token:organization".
func RequestedTokenType(tokenType string) string { return RequestedTokenTypePrefix + tokenType }

// OrgAudience returns the audience that names an organization, "urn:pulumi:org:" + org.
func OrgAudience(org string) string { return AudiencePrefix + org }

// AudienceOrg returns the organization an audience names, and false when it is not one.
func AudienceOrg(audience string) (string, bool) {
	org, ok := strings.CutPrefix(audience, AudiencePrefix)
	return org, ok && org != ""
}

// TokenExchangeRequest is the body of POST /api/oauth/token, sent form-encoded (as Pulumi's CLI
// does) or as JSON. Scope is "" or "admin" for an organization token, "team:NAME" for a team
// token and "user:LOGIN" for a personal token. Expiration is the wanted lifetime in seconds,
// 0 = DefaultExchangeExpiration; it is capped by the issuer's maxExpiration.
type TokenExchangeRequest struct {
	GrantType          string `json:"grant_type"`
	Audience           string `json:"audience"`
	SubjectToken       string `json:"subject_token"`
	SubjectTokenType   string `json:"subject_token_type"`
	RequestedTokenType string `json:"requested_token_type"`
	Scope              string `json:"scope,omitempty"`
	Expiration         int64  `json:"expiration,omitempty"`
}

// TokenExchangeResponse is the answer to a successful exchange (Pulumi's
// TokenExchangeGrantResponse, as the CLI decodes it). AccessToken ("pul-" + 40 hex) is shown only
// here; ExpiresIn is seconds.
type TokenExchangeResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
	RefreshToken    string `json:"refresh_token"`
}

// OAuthErrorResponse is the body of a refused exchange (RFC 6749 §5.2). The description says
// what to fix in the request, never which check of the ID token or policy failed: that reason is
// in the audit log.
type OAuthErrorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// OAuthErrorResponse.Error values (RFC 6749 §5.2, RFC 8693 §2.2.2).
const (
	OAuthInvalidRequest         = "invalid_request"
	OAuthInvalidGrant           = "invalid_grant"
	OAuthInvalidScope           = "invalid_scope"
	OAuthInvalidTarget          = "invalid_target"
	OAuthUnsupportedGrantType   = "unsupported_grant_type"
	OAuthUnauthorizedClient     = "unauthorized_client"
	OAuthTemporarilyUnavailable = "temporarily_unavailable"
)
