package apitype

import "encoding/json"

// Entity is one stack, environment or insights account in GET /api/orgs/{org}/entities (an
// iamref route, used by the console's access explorer).
type Entity struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Project string            `json:"project,omitempty"`
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// ListEntitiesResponse is one page of entities the caller may read; ContinuationToken, when
// set, is passed as ?continuationToken= for the next page.
type ListEntitiesResponse struct {
	Entities          []Entity `json:"entities"`
	ContinuationToken string   `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil Entities as [].
func (r ListEntitiesResponse) MarshalJSON() ([]byte, error) {
	type plain ListEntitiesResponse
	r.Entities = nonNil(r.Entities)
	return json.Marshal(plain(r))
}

// RolePreviewRequest is the body of POST /api/orgs/{org}/roles/{roleID}/preview: the details
// an update would store.
type RolePreviewRequest struct {
	Details json.RawMessage `json:"details"`
}

// RolePreviewResponse is the effective-access difference the edit would make: for each
// principal holding the record (directly, through a team or through a role composing it) and
// each entity, the scopes it would gain and lose. Principals and entities the caller may not
// read are left out and counted in Hidden*.
type RolePreviewResponse struct {
	Role            string          `json:"role"`    // the record's ID
	Name            string          `json:"name"`    // its name
	Refused         string          `json:"refused"` // why the update itself would be refused ("" when it would not)
	Changes         []AccessChange  `json:"changes"`
	Principals      int             `json:"principals"`      // principals compared
	EntitiesScanned int             `json:"entitiesScanned"` // entities compared
	HiddenPrinc     int             `json:"hiddenPrincipals"`
	HiddenEntities  int             `json:"hiddenEntities"`
	Truncated       bool            `json:"truncated"` // more changes than listed, or more entities than scanned
	Roles           []PreviewedRole `json:"roles"`     // the roles whose rights change: the record and its composers
	Warnings        []string        `json:"warnings,omitempty"`
}

// PreviewedRole is a role whose compiled rights the edit changes.
type PreviewedRole struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AccessChange is what one principal gains and loses on one entity ("org" for org scopes).
type AccessChange struct {
	Principal     string    `json:"principal"`     // as the access check takes it: token ID, user:<login>, team:<name>
	PrincipalName string    `json:"principalName"` // token name, login or team name
	PrincipalType string    `json:"principalType"` // token | user | team
	Entity        EntityRef `json:"entity"`
	Gained        []string  `json:"gained"`
	Lost          []string  `json:"lost"`
}

// ScopeUsageResponse is the body of GET /api/orgs/{org}/usage: which scopes a principal holds,
// which its tokens' authorized requests used over the last Days days, and a smaller role that
// keeps only the used ones (where the current role grants them).
type ScopeUsageResponse struct {
	Principal string        `json:"principal"`
	Days      int           `json:"days"`
	Since     string        `json:"since"` // first day counted (UTC, YYYY-MM-DD)
	Tokens    []string      `json:"tokens"`
	Held      []string      `json:"held"`
	Used      []UsedScope   `json:"used"`
	Unused    []string      `json:"unused"`
	Suggested SuggestedRole `json:"suggested"`
	// Truncated says that more counters were recorded than one answer reads (100,000 per
	// principal and period): Used then undercounts; ask for fewer days.
	Truncated bool `json:"truncated,omitempty"`
}

// UsedScope is one scope's use: the number of authorized requests and the last day seen.
type UsedScope struct {
	Scope   string `json:"scope"`
	Count   int64  `json:"count"`
	LastDay string `json:"lastDay"`
	Held    bool   `json:"held"` // still held today
}

// SuggestedRole is the current rights narrowed to the used scopes, as role details and as
// Pulumi YAML and Terraform HCL declaring it; Notes says what was left out and why.
type SuggestedRole struct {
	Details    json.RawMessage `json:"details"`
	PulumiYAML string          `json:"pulumiYaml"`
	Terraform  string          `json:"terraform"`
	Notes      []string        `json:"notes"`
}
