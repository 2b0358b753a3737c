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

// AccessCheck asks whether Principal (a token ID; empty means the caller) may perform Action
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
// denied; the server always sends a list, [] when there is none); Error is set instead when the
// check itself was invalid (unknown scope, entity, …).
type AccessCheckResult struct {
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
	Error   string   `json:"error,omitempty"`
}
