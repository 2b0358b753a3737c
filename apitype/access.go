package apitype

import "encoding/json"

// Entity kinds of EntityRef.Kind.
const (
	EntityStack           = "stack"
	EntityEnvironment     = "environment"
	EntityInsightsAccount = "insights-account"
	EntityOrg             = "org"
)

// EntityRef names an entity: by ID, or by Project and Name (a stack's or environment's project
// and name; an insights account has only a Name). An "org" entity needs neither.
type EntityRef struct {
	Kind    string `json:"kind"`
	Project string `json:"project,omitempty"`
	Name    string `json:"name,omitempty"`
	ID      string `json:"id,omitempty"`
}

// AccessCheckRequest is the body of POST /api/orgs/{org}/access/check (an iamref route).
type AccessCheckRequest struct {
	Checks []AccessCheck `json:"checks"`
}

// AccessCheck asks whether Principal (a token ID, "user:<login>" for a member, "team:<name>"
// for a team; empty means the caller) may perform Action
// (a scope name such as "stack:delete") on Entity.
type AccessCheck struct {
	Principal string    `json:"principal,omitempty"`
	Action    string    `json:"action"`
	Entity    EntityRef `json:"entity"`
}

// AccessCheckResponse holds one result per check, in request order.
type AccessCheckResponse struct {
	Results []AccessCheckResult `json:"results"`
}

// MarshalJSON encodes a nil Results as [].
func (r AccessCheckResponse) MarshalJSON() ([]byte, error) {
	type plain AccessCheckResponse
	r.Results = nonNil(r.Results)
	return json.Marshal(plain(r))
}

// AccessCheckResult answers one check. Reasons lists the grants that allowed it (or why it was
// denied; the server always sends a list, [] when there is none), rendered from Grounds or
// Denial, which say the same as values; Error is set instead when the check itself was invalid
// (unknown scope, entity, …).
type AccessCheckResult struct {
	Allowed bool           `json:"allowed"`
	Reasons []string       `json:"reasons"`
	Grounds []AccessGround `json:"grounds,omitempty"` // allowed: every grant that allows it
	Denial  *AccessDenial  `json:"denial,omitempty"`  // denied: why
	Error   string         `json:"error,omitempty"`
}

// AccessGround is one grant that allowed a check: where it is written and what it grants.
type AccessGround struct {
	Record    string   `json:"record"`              // ID of the record (role, set, policy) holding the grant; "" for the principal's own role tree
	Path      string   `json:"path"`                // JSON path of the grant in that record's details
	Via       []string `json:"via,omitempty"`       // chain of composed record IDs from the principal's role to Record; "team:<id>" for a team the principal's rights come through
	ViaNames  []string `json:"viaNames,omitempty"`  // Via by name: "team platform", "role ci-prod", "set deployers"
	Entity    string   `json:"entity"`              // the entity's ID when the grant names it; "" when it covers every entity of the kind or the organization
	Condition string   `json:"condition,omitempty"` // the condition that held (canonical PermissionDescriptor JSON)
	Scopes    []string `json:"scopes"`              // every scope of the grant
}

// AccessDenial says why a check was denied. Reason is one of "wrong-kind" (the action acts on
// another kind of entity), "granted-nowhere", "only-conditional" (conditions that do not hold
// for this entity: Conditional counts them), "only-elsewhere" (on other entities: Elsewhere
// counts them), "no-grant", or "guardrail" (granted, but the organization guardrail
// Guardrail, named GuardrailName, denies it; Overridden counts the grants it overrode).
type AccessDenial struct {
	Reason        string `json:"reason"`
	Conditional   int    `json:"conditional,omitempty"`
	Elsewhere     int    `json:"elsewhere,omitempty"`
	Guardrail     string `json:"guardrail,omitempty"`
	GuardrailName string `json:"guardrailName,omitempty"`
	Overridden    int    `json:"overridden,omitempty"`
}

// WhoCanRequest is the body of POST /api/orgs/{org}/access/who (an iamref route): which
// principals may do Action on Entity. Kinds limits the principals asked about (org_token,
// team_token, personal_token, user, team; all by default). A page examines at most
// MaxResults principals (100 by default, at most 1000) and carries a ContinuationToken when
// more follow.
type WhoCanRequest struct {
	Action            string    `json:"action"`
	Entity            EntityRef `json:"entity"`
	Kinds             []string  `json:"kinds,omitempty"`
	MaxResults        int       `json:"maxResults,omitempty"`
	ContinuationToken string    `json:"continuationToken,omitempty"`
}

// Principal kinds of WhoCanRequest.Kinds and WhoCanPrincipal.Kind.
const (
	PrincipalOrgToken      = "org_token"
	PrincipalTeamToken     = "team_token"
	PrincipalPersonalToken = "personal_token"
	PrincipalUser          = "user"
	PrincipalTeam          = "team"
)

// WhoCanResponse is one page of the answer: the principals allowed (with the grants that
// allow them), and those some grant would allow but a guardrail denies.
type WhoCanResponse struct {
	Principals        []WhoCanPrincipal `json:"principals"`
	DeniedByGuardrail []WhoCanPrincipal `json:"deniedByGuardrail"`
	Examined          int               `json:"examined"` // principals examined by this page
	ContinuationToken string            `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes nil lists as [].
func (r WhoCanResponse) MarshalJSON() ([]byte, error) {
	type plain WhoCanResponse
	r.Principals, r.DeniedByGuardrail = nonNil(r.Principals), nonNil(r.DeniedByGuardrail)
	return json.Marshal(plain(r))
}

// WhoCanPrincipal is one principal of a WhoCanResponse. ActsAs says whose rights a team or
// personal token acts with ("team:<name>", "user:<login>").
type WhoCanPrincipal struct {
	Kind      string         `json:"kind"`
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	ActsAs    string         `json:"actsAs,omitempty"`
	Grounds   []AccessGround `json:"grounds,omitempty"`
	Reasons   []string       `json:"reasons"`
	Guardrail string         `json:"guardrail,omitempty"` // DeniedByGuardrail: the guardrail's ID
}
