package apitype

import (
	"encoding/json"
	"time"
)

// UXPurpose tells apart the kinds of PermissionDescriptorRecord.
type UXPurpose string

// UXPurpose values. UXPurposeSet is a reusable permission set, UXPurposeRole a role that can be
// given to tokens, users and teams, UXPurposePolicy a reusable policy.
const (
	UXPurposeRole            UXPurpose = "role"
	UXPurposeRolePrivate     UXPurpose = "role_private"
	UXPurposeRoleUserPrivate UXPurpose = "role_user_private"
	UXPurposeRoleTemporary   UXPurpose = "role_temporary"
	UXPurposePolicy          UXPurpose = "policy"
	UXPurposeSet             UXPurpose = "set"
)

// Role is a persisted permission descriptor (Pulumi's PermissionDescriptorRecord): a role, a
// permission set or a policy, told apart by UXPurpose. Details is the descriptor tree
// (discriminated by "__type"), kept as raw JSON. Version starts at 1 and increments on every
// update. DefaultIdentifier is set only on built-in records ("admin", "stack-read", …).
type Role struct {
	ID                string          `json:"id"`
	OrgID             string          `json:"orgId"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	ResourceType      string          `json:"resourceType"`
	UXPurpose         UXPurpose       `json:"uxPurpose"`
	Details           json.RawMessage `json:"details,omitempty"`
	Version           int             `json:"version"`
	Created           time.Time       `json:"created"`
	Modified          time.Time       `json:"modified"`
	IsOrgDefault      bool            `json:"isOrgDefault"`
	DefaultIdentifier string          `json:"defaultIdentifier,omitempty"`
}

// CreateRoleRequest is the body of POST /api/orgs/{org}/roles (Pulumi's
// PermissionDescriptorBase). ResourceType defaults to "global"; UXPurpose is normally "role" or
// "set".
type CreateRoleRequest struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	ResourceType string          `json:"resourceType,omitempty"`
	UXPurpose    UXPurpose       `json:"uxPurpose,omitempty"`
	Details      json.RawMessage `json:"details"`
}

// UpdateRoleRequest is the body of PATCH /api/orgs/{org}/roles/{id}; only the fields present
// change. Version is an iamref extension: when set it is the version the caller last read, and
// the server answers 409 if the role has changed since.
type UpdateRoleRequest struct {
	Name        *string         `json:"name,omitempty"`
	Description *string         `json:"description,omitempty"`
	Details     json.RawMessage `json:"details,omitempty"`
	Version     *int            `json:"version,omitempty"`
}

// ListRolesResponse is the body of GET /api/orgs/{org}/roles?uxPurpose=….
type ListRolesResponse struct {
	Roles []Role `json:"roles"`
	// ContinuationToken is an iamref extension: set when more records follow, it is passed as
	// ?continuationToken= for the next page. Built-in records come first.
	ContinuationToken string `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil Roles as [].
func (r ListRolesResponse) MarshalJSON() ([]byte, error) {
	type plain ListRolesResponse
	r.Roles = nonNil(r.Roles)
	return json.Marshal(plain(r))
}

// ListScopesResponse is the body of GET /api/orgs/{org}/roles/scopes (the official client's
// map[string][]RbacScopeGroup): scope groups bucketed by resource type ("stack", "environment",
// "insights-account", "global").
type ListScopesResponse map[string][]ScopeGroup

// ScopeGroup is a console group of scopes such as "Stacks" (Pulumi's RbacScopeGroup).
type ScopeGroup struct {
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
}

// Scope is one permission scope such as "stack:read" (Pulumi's RbacScope).
type Scope struct {
	Name     string        `json:"name"`
	Metadata ScopeMetadata `json:"metadata"`
}

// ScopeMetadata describes a scope (Pulumi's RbacScopeMetadata). EntityKind is an iamref
// extension naming what the scope acts on: "stack", "environment", "insights-account" or "org".
type ScopeMetadata struct {
	Description string `json:"description"`
	EntityKind  string `json:"entityKind,omitempty"`
}
