package apitype

import (
	"encoding/json"
	"time"
)

// Guardrail is an iamref extension (not in Pulumi Cloud): an organization-wide explicit deny.
// Actions (scope names, all acting on one kind of entity or all org-level) are refused on the
// entities Condition selects, whatever any grant says, to every principal that holds none of
// ExemptRoles. Condition is a boolean PermissionExpression tree of the details grammar
// (canonical JSON; absent = every entity of the actions' kind): the API speaks only the wire
// grammar; the providers compile the readable condition language (authz/condition) to it.
type Guardrail struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Actions     []string        `json:"actions"`
	Condition   json.RawMessage `json:"condition,omitempty"`
	ExemptRoles []string        `json:"exemptRoles"`
	Version     int             `json:"version"`
	Created     time.Time       `json:"created"`
	Modified    time.Time       `json:"modified"`
	CreatedBy   string          `json:"createdBy"`
}

// MarshalJSON encodes nil lists as [].
func (g Guardrail) MarshalJSON() ([]byte, error) {
	type plain Guardrail
	g.Actions, g.ExemptRoles = nonNil(g.Actions), nonNil(g.ExemptRoles)
	return json.Marshal(plain(g))
}

// CreateGuardrailRequest is the body of POST /api/orgs/{org}/guardrails.
type CreateGuardrailRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Actions     []string        `json:"actions"`
	Condition   json.RawMessage `json:"condition,omitempty"`
	ExemptRoles []string        `json:"exemptRoles,omitempty"`
}

// UpdateGuardrailRequest is the body of PUT /api/orgs/{org}/guardrails/{guardrailID}: the whole
// guardrail (absent Condition and ExemptRoles mean none). Version, when set, is the version
// the caller last read: the server answers 409 if it has changed since.
type UpdateGuardrailRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Actions     []string        `json:"actions"`
	Condition   json.RawMessage `json:"condition,omitempty"`
	ExemptRoles []string        `json:"exemptRoles,omitempty"`
	Version     *int            `json:"version,omitempty"`
}

// ListGuardrailsResponse is the body of GET /api/orgs/{org}/guardrails.
type ListGuardrailsResponse struct {
	Guardrails []Guardrail `json:"guardrails"`
}

// MarshalJSON encodes a nil Guardrails as [].
func (r ListGuardrailsResponse) MarshalJSON() ([]byte, error) {
	type plain ListGuardrailsResponse
	r.Guardrails = nonNil(r.Guardrails)
	return json.Marshal(plain(r))
}
