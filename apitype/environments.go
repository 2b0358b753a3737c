package apitype

import "encoding/json"

// CreateEnvironmentRequest is the body of POST /api/esc/environments/{org} (Pulumi ESC's
// CreateEnvironmentRequest).
type CreateEnvironmentRequest struct {
	Project string `json:"project"`
	Name    string `json:"name"`
}

// Environment is an ESC environment (Pulumi's OrgEnvironment, without the fields iamref has no
// use for). ID is the value that PermissionLiteralExpressionEnvironment refers to. Created and
// Modified are ISO 8601 strings.
type Environment struct {
	ID           string            `json:"id"`
	Organization string            `json:"organization"`
	Project      string            `json:"project"`
	Name         string            `json:"name"`
	Tags         map[string]string `json:"tags"`
	Created      string            `json:"created"`
	Modified     string            `json:"modified"`
}

// MarshalJSON encodes nil Tags as {}, since tags is required.
func (e Environment) MarshalJSON() ([]byte, error) {
	type plain Environment
	if e.Tags == nil {
		e.Tags = map[string]string{}
	}
	return json.Marshal(plain(e))
}

// ListEnvironmentsResponse is one page of GET /api/esc/environments/{org}; the next page is
// requested with ?continuationToken=<NextToken>.
type ListEnvironmentsResponse struct {
	Environments []Environment `json:"environments"`
	NextToken    string        `json:"nextToken,omitempty"`
}

// MarshalJSON encodes a nil Environments as [].
func (r ListEnvironmentsResponse) MarshalJSON() ([]byte, error) {
	type plain ListEnvironmentsResponse
	r.Environments = nonNil(r.Environments)
	return json.Marshal(plain(r))
}

// OpenEnvironmentResponse is the answer to POST …/{env}/open: the ID of the open session.
type OpenEnvironmentResponse struct {
	ID          string                  `json:"id"`
	Diagnostics []EnvironmentDiagnostic `json:"diagnostics,omitempty"`
}

// EnvironmentDiagnostic is a problem found while evaluating an environment (Pulumi's
// EnvironmentDiagnostic, without the source range).
type EnvironmentDiagnostic struct {
	Summary  string `json:"summary"`
	Path     string `json:"path,omitempty"`
	Severity string `json:"severity,omitempty"`
}

// UpdateEnvironmentTagsRequest is the body of PATCH /api/esc/environments/{org}/{project}/{env}/tags
// (an iamref route): the environment's complete new set of tags.
type UpdateEnvironmentTagsRequest map[string]string
