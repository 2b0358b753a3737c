package apitype

import "encoding/json"

// CreateStackRequest is the body of POST /api/stacks/{org}/{project} (Pulumi's
// CreateStackRequest).
type CreateStackRequest struct {
	StackName string            `json:"stackName"`
	Tags      map[string]string `json:"tags,omitempty"`
	// State is the initial state the Pulumi CLI sends with a stack of its own secrets provider
	// (`pulumi stack init --secrets-provider passphrase`): the stack's version 1. Teams, Config
	// and CreateManagedEnvironment are fields the CLI may send too (`--teams`, …); this server
	// refuses each when set, naming the alternative.
	Teams                    []string       `json:"teams,omitempty"`
	State                    map[string]any `json:"state,omitempty"`
	Config                   map[string]any `json:"config,omitempty"`
	CreateManagedEnvironment bool           `json:"createManagedEnvironment,omitempty"`
}

// Stack is the body of GET /api/stacks/{org}/{project}/{stack} (Pulumi's Stack). ID is the
// stack's opaque identity, the value that PermissionLiteralExpressionStack refers to. The
// server also answers a create with a Stack: Pulumi's CreateStackResponse has only optional
// fields, so the official client decodes it too.
type Stack struct {
	ID               string            `json:"id"`
	OrgName          string            `json:"orgName"`
	ProjectName      string            `json:"projectName"`
	StackName        string            `json:"stackName"`
	CurrentOperation *OperationStatus  `json:"currentOperation,omitempty"`
	ActiveUpdate     string            `json:"activeUpdate"`
	Tags             map[string]string `json:"tags,omitempty"`
	Version          int               `json:"version"`
}

// OperationStatus describes an operation in flight on a stack (Pulumi's OperationStatus).
type OperationStatus struct {
	Kind    string `json:"kind"`
	Author  string `json:"author"`
	Started int64  `json:"started"`
}

// StackSummary is one stack in a listing (Pulumi's StackSummary). LastUpdate is unix seconds.
type StackSummary struct {
	ID            string `json:"id"`
	OrgName       string `json:"orgName"`
	ProjectName   string `json:"projectName"`
	StackName     string `json:"stackName"`
	LastUpdate    *int64 `json:"lastUpdate,omitempty"`
	ResourceCount *int   `json:"resourceCount,omitempty"`
}

// ListStacksResponse is one page of GET /api/user/stacks?organization=&project= (Pulumi's
// ListStacksResponse).
type ListStacksResponse struct {
	Stacks            []StackSummary `json:"stacks"`
	ContinuationToken string         `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil Stacks as [].
func (r ListStacksResponse) MarshalJSON() ([]byte, error) {
	type plain ListStacksResponse
	r.Stacks = nonNil(r.Stacks)
	return json.Marshal(plain(r))
}

// UpdateStackTagsRequest is the body of PATCH /api/stacks/{org}/{project}/{stack}/tags: the
// stack's complete new set of tags.
type UpdateStackTagsRequest map[string]string
