package apitype

import "encoding/json"

// Decision values of AuditLogEvent.Decision.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// AuditLogEvent is one audit log entry (Pulumi's AuditLogEvent). Timestamp is unix seconds.
// Action, Entity, Decision, Reason and Status are iamref additions recording the authorization
// decision: the scope checked, the entity it was checked on, allow or deny, why, and the HTTP
// status of the answer.
type AuditLogEvent struct {
	Timestamp         int64      `json:"timestamp"`
	SourceIP          string     `json:"sourceIP"`
	Event             string     `json:"event"`
	Description       string     `json:"description"`
	User              UserInfo   `json:"user"`
	TokenID           string     `json:"tokenID,omitempty"`
	TokenName         string     `json:"tokenName,omitempty"`
	RequireOrgAdmin   bool       `json:"reqOrgAdmin,omitempty"`
	RequireStackAdmin bool       `json:"reqStackAdmin,omitempty"`
	AuthFailure       bool       `json:"authFailure,omitempty"`
	ActorName         string     `json:"actorName,omitempty"`
	Action            string     `json:"action,omitempty"`
	Entity            *EntityRef `json:"entity,omitempty"`
	Decision          string     `json:"decision,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	Status            int        `json:"status,omitempty"`
}

// ListAuditLogsResponse is one page of GET /api/orgs/{org}/auditlogs (Pulumi's
// ResponseAuditLogs); the next page is requested with ?continuationToken=.
type ListAuditLogsResponse struct {
	AuditLogEvents    []AuditLogEvent `json:"auditLogEvents"`
	ContinuationToken string          `json:"continuationToken,omitempty"`
}

// MarshalJSON encodes a nil AuditLogEvents as [].
func (r ListAuditLogsResponse) MarshalJSON() ([]byte, error) {
	type plain ListAuditLogsResponse
	r.AuditLogEvents = nonNil(r.AuditLogEvents)
	return json.Marshal(plain(r))
}
