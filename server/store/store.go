// Package store is the server's persistence layer: one interface, an embedded SQLite
// implementation (package store/sqlite) and a conformance suite (package store/storetest) that
// every implementation must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/iamref/iam/authz"
)

// Errors every implementation returns (possibly wrapped) so callers can map them to HTTP codes.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("already exists")   // unique name or key taken
	ErrVersionConflict = errors.New("version conflict") // compare-and-swap on Record.Version failed
	// ErrLastHolder refuses a member change that would leave the org without any member
	// holding the protected role (the last admin).
	ErrLastHolder = errors.New("last member holding the protected role")
	// ErrUnavailable is a store that cannot serve now (database unreachable or restarting,
	// disk full or read-only): the call changed nothing and may be retried later. The server
	// answers it with 503.
	ErrUnavailable = errors.New("database unavailable")
	// ErrKeyReserved fails a mutation that carries an idempotency reservation
	// (MutationAudit.Reserve) whose key another request has already used.
	ErrKeyReserved = errors.New("idempotency key already used")
)

// IdempotentPending is the Status of an idempotency entry that a mutation reserved in its own
// transaction (MutationAudit.Reserve) and whose answer PutIdempotent has not stored yet: the
// create was carried out; if the answer never comes (the process died), it is lost.
const IdempotentPending = 0

// ChangeNotifier is implemented by stores that several server processes (replicas) share: it
// reports the changes other processes commit, so that each process's caches drop what they
// hold at once instead of when their TTL ends.
type ChangeNotifier interface {
	// Subscribe calls changed after every change another process commits to org's data, and
	// also whenever notifications may have been missed (the listening connection was lost and
	// is back), until ctx ends. changed must not block long.
	Subscribe(ctx context.Context, org string, changed func())
}

// Org is an organization. Phase 1 serves one org per server, but every row is keyed by org.
type Org struct {
	Name          string
	ID            string
	DefaultRoleID string // role new members and role-less tokens get; "" = built-in member
	Created       time.Time
}

// Record is a PermissionDescriptorRecord: a custom role, a permission set or a policy, or a
// built-in one of those (DefaultIdentifier set).
type Record struct {
	ID                string
	Org               string
	Name              string
	Description       string
	ResourceType      string   // global | stack | environment | insights-account
	UXPurpose         string   // role | role_private | role_temporary | policy | set
	Details           []byte   // canonical PermissionDescriptor JSON
	Refs              []string // IDs this record's details Compose (kept so referrers can be found)
	Version           int      // 1 on create, +1 on every update
	Created           time.Time
	Modified          time.Time
	IsOrgDefault      bool
	DefaultIdentifier string // built-in identifier such as "stack-admin"; "" for custom records
}

// TokenKind tells organization, team and personal tokens apart. The zero value is an
// organization token.
type TokenKind string

const (
	TokenOrganization TokenKind = ""         // acts with its role (RoleID) or the legacy Admin flag
	TokenTeam         TokenKind = "team"     // acts as the team TeamID
	TokenPersonal     TokenKind = "personal" // acts as the user UserID (their effective rights in Org)
)

// Token is an access token. Only the SHA-256 of its value is stored.
type Token struct {
	ID   string
	Org  string
	Kind TokenKind
	// Name is unique per org among organization and team tokens, deleted ones included (names
	// stay reserved); personal tokens have none.
	Name        string
	Description string
	Hash        []byte // sha256(value)
	Admin       bool
	RoleID      string // "" when Admin
	Expires     int64  // unix seconds, 0 = never
	Created     time.Time
	CreatedBy   string // login or token name of the creator
	LastUsed    int64  // unix seconds, 0 = never
	Deleted     bool
	DeletedAt   time.Time
	TeamID      string // team tokens
	UserID      string // personal tokens
	// IssuerID is the OIDC issuer whose ID token the token was exchanged for; "" for tokens
	// minted through the API.
	IssuerID string
}

// TokenFilter selects tokens for ListTokens.
type TokenFilter int

const (
	TokensActive  TokenFilter = iota // not deleted and not expired at Now
	TokensExpired                    // not deleted and expired at Now
	TokensAll                        // not deleted
)

// User is an entry of the server's user directory (shared by the orgs of a database).
type User struct {
	ID      string
	Login   string // unique
	Name    string
	Email   string
	Created time.Time
}

// Member is a user's membership of an org: exactly one org role (a role record's ID, built-in
// or custom).
type Member struct {
	Org     string
	User    User
	RoleID  string
	Created time.Time
}

// Team is a group of an org's members that holds roles; team tokens act as the team.
type Team struct {
	ID          string
	Org         string
	Name        string // unique per org
	DisplayName string
	Description string
	Created     time.Time
	Modified    time.Time
}

// TeamGrant is one of Pulumi's legacy per-entity team permissions: a team's permission level
// on one stack or environment (addStackPermission, addEnvironmentPermission). Kind, Project and
// Name are the entity's, filled in when read.
type TeamGrant struct {
	TeamID   string
	EntityID string
	Kind     authz.EntityKind
	Project  string
	Name     string
	// Permission is the level as Pulumi sends it: "101".."104" for stacks, "read", "open",
	// "write" or "admin" for environments.
	Permission      string
	MaxOpenDuration int64 // seconds; 0 = no bound (environments only)
}

// Issuer is a trusted OIDC identity provider of an org (POST /api/orgs/{org}/oidc/issuers).
type Issuer struct {
	ID            string
	Org           string
	Name          string // unique per org
	URL           string // as registered; cannot change
	Issuer        string // the `iss` its ID tokens carry
	Thumbprints   []string
	MaxExpiration int64  // seconds
	JWKS          []byte // static RFC 7517 key set; nil when the keys are fetched from URL
	Created       time.Time
	Modified      time.Time
	LastUsed      time.Time // zero until a first exchange
}

// AuthPolicy is the authorization policy of one issuer. Policies is the JSON array of its
// definitions (apitype.AuthPolicyDefinition), as the server validated it.
type AuthPolicy struct {
	ID       string
	Org      string
	IssuerID string
	Version  int // 1 on create, +1 on every update
	Policies []byte
	Created  time.Time
	Modified time.Time
}

// Entity is a stack, environment or insights account that grants can name.
type Entity struct {
	ID       string // opaque; the `identity` in PermissionLiteralExpression*
	Org      string
	Kind     authz.EntityKind // one of authz.EntityKinds; stored as Kind.String()
	Project  string           // "" for insights accounts
	Name     string
	Tags     map[string]string
	Created  time.Time
	Modified time.Time
}

// Guardrail is an organization-wide explicit deny (our extension): Actions are refused on the
// entities Condition selects, to every principal that holds none of ExemptRoles.
type Guardrail struct {
	ID          string
	Org         string
	Name        string // unique per org
	Description string
	Actions     []string // scope names
	Condition   string   // canonical JSON of a boolean wire-grammar expression; "" = every entity
	ExemptRoles []string // role IDs whose holders it does not bind
	Version     int      // 1 on create, +1 on every update
	Created     time.Time
	Modified    time.Time
	CreatedBy   string
}

// AuditEvent is one audit log entry: every mutation and every denied request.
type AuditEvent struct {
	ID        int64 // assigned by the store, increasing
	Org       string
	Time      time.Time
	Actor     string // org name for org tokens, user login otherwise
	TokenID   string
	TokenName string
	Method    string
	Path      string
	Action    string // scope checked, e.g. "stack:delete"
	Entity    string // e.g. "stack:myapp/prod"
	Decision  string // allow | deny
	Reason    string
	Status    int
	SourceIP  string
}

// AuditQuery pages through audit events, newest first.
type AuditQuery struct {
	Org      string
	BeforeID int64 // 0 = from the newest
	Limit    int
	// MaxField, when > 0, bounds the text fields returned: a longer value comes back as its
	// first MaxField characters followed by AuditCutMarker (records written before the server
	// bounded them can be large; a page of them must not be).
	MaxField int
}

// AuditCutMarker ends a field that ListAudit cut to AuditQuery.MaxField.
const AuditCutMarker = "…[truncated]"

// RecordPos is a position in ListRecordsPage's order (built-in records first, then custom
// ones, each by name): the last record of the previous page.
type RecordPos struct {
	Custom bool // DefaultIdentifier == ""
	Name   string
}

// TokenPos is a position in token order (Created, then ID): the last token of the previous page.
type TokenPos struct {
	Created time.Time
	ID      string
}

// TokenQuery selects one page of tokens for ListTokensPage: organization tokens, or with Kind
// set, a team's (TeamID) or a user's personal (UserID) tokens.
type TokenQuery struct {
	Org    string
	Kind   TokenKind // TokenOrganization (the zero value), TokenTeam or TokenPersonal
	TeamID string    // with TokenTeam
	UserID string    // with TokenPersonal
	Filter TokenFilter
	Now    time.Time // for Filter
	RoleID string    // only tokens holding this role; "" = any
	Minted bool      // only tokens minted through the API (IssuerID ""), not exchanged ones
	After  *TokenPos // nil = from the first
	Limit  int       // at most this many; must be > 0
}

// EntityRef names an entity by ID, or by kind, project and name (ID empty).
type EntityRef struct {
	ID            string
	Kind          authz.EntityKind
	Project, Name string
}

// EntityPos is a position in entity order (Project, then Name): the last entity of the
// previous page.
type EntityPos struct {
	Project, Name string
}

// Idempotent is the stored outcome of a create carried out under an Idempotency-Key.
type Idempotent struct {
	Org         string
	Principal   string // token ID of the caller
	Key         string
	RequestHash []byte // sha256 of method, path and body; a reuse with another request is rejected
	Status      int
	Body        []byte // sealed response body (the server encrypts it; the store keeps bytes)
	Created     time.Time
}

// UsageKey names one scope-usage counter: a token's use of a scope on one UTC day (unix
// seconds / 86400).
type UsageKey struct {
	Org     string
	TokenID string
	Day     int64
	Scope   string // scope name, e.g. "stack:read"
}

// ScopeUsage is one counter as read back.
type ScopeUsage struct {
	TokenID string
	Day     int64
	Scope   string
	Count   int64
}

// MaxUsageRows bounds what one ListScopeUsage returns.
const MaxUsageRows = 100_000

// Update is one operation on a stack's state through the Pulumi backend API (an update,
// preview, refresh, destroy or import). Only one update that writes state (every kind but
// preview) runs on a stack at a time.
type Update struct {
	ID           string
	Org          string
	StackID      string
	Kind         string // update | preview | refresh | destroy | import
	Status       string // UpdateNotStarted, UpdateRunning, or how it ended
	Version      int    // the stack version it writes; 0 until started (a preview's is the current one)
	TokenID      string // the API token that created and started it
	Actor        string
	LeaseHash    []byte // sha256 of the lease (update-token) value
	LeaseExpires int64  // unix seconds
	Program      []byte // the update program request as sent
	Events       int    // engine events received
	Created      time.Time
	Started      time.Time // zero until started
	Ended        time.Time // zero while not ended
}

// Update statuses (Pulumi's UpdateStatus, plus cancelled).
const (
	UpdateNotStarted = "not started"
	UpdateRunning    = "running"
	UpdateSucceeded  = "succeeded"
	UpdateFailed     = "failed"
	UpdateCancelled  = "cancelled"
)

// Checkpoint is a stack's state at one version, as the CLI sent it.
type Checkpoint struct {
	StackID    string
	Version    int
	UpdateID   string
	Deployment []byte
	Resources  int // how many resources the deployment holds
	Modified   time.Time
}

// StackState summarises a stack's backend state for GET stack.
type StackState struct {
	Version      int    // the latest checkpoint's version; 0 = never updated
	ActiveUpdate string // the running update that writes state, or ""
	LastUpdate   time.Time
	Resources    int // in the latest checkpoint
}

// ErrUpdateConflict is returned when another update that writes state runs on the stack.
var ErrUpdateConflict = errors.New("another update is running on the stack")

// Store is the persistence interface of the server. Implementations must be safe for concurrent
// use and make each call atomic and durable when it returns. Mutating calls made under a
// context from WithAudit write that audit record in the same transaction (see MutationAudit).
type Store interface {
	// EnsureOrg creates the org if missing; created reports whether it did.
	EnsureOrg(ctx context.Context, name string) (org Org, created bool, err error)
	GetOrg(ctx context.Context, name string) (Org, error)
	SetDefaultRole(ctx context.Context, org, roleID string) error

	// CreateRecord stores r (Version must be 1). ErrConflict if (Org, UXPurpose, Name) or
	// (Org, UXPurpose, DisplayKey(Name)) is taken or the ID exists (records stored before the
	// display key existed may share one; see the engines' migration 0008). Under WithLimit
	// (LimitRecords), a custom record is refused with a *LimitError when the org holds Max.
	CreateRecord(ctx context.Context, r Record) error
	GetRecord(ctx context.Context, org, id string) (Record, error)
	// RecordHolding is the record of that uxPurpose holding name: the one named so, else the
	// one whose display key (DisplayKey) it shares; ErrNotFound if none. It names the record a
	// create or rename was refused for (ErrConflict) in one indexed read.
	RecordHolding(ctx context.Context, org, uxPurpose, name string) (Record, error)
	// ListRecords returns the org's records with that uxPurpose ("" = all), ordered by name.
	ListRecords(ctx context.Context, org, uxPurpose string) ([]Record, error)
	// UpdateRecord replaces the record if its stored Version equals expectedVersion; r.Version
	// must be expectedVersion+1. ErrVersionConflict otherwise, ErrConflict on a duplicate name or
	// display key (checked only when the name changes).
	// ListRecordsPage returns up to limit (> 0) of the org's records with that uxPurpose
	// (required), after the position (nil = from the first), built-in records first, then
	// custom ones, each ordered by name.
	ListRecordsPage(ctx context.Context, org, uxPurpose string, after *RecordPos, limit int) ([]Record, error)
	// CountRecords counts the org's custom records (roles, sets and policies; built-ins excluded).
	CountRecords(ctx context.Context, org string) (int, error)
	UpdateRecord(ctx context.Context, r Record, expectedVersion int) error
	// DeleteRecord deletes the record and, in the same transaction, marks deleted (as
	// DeleteToken, at the current time) the tokens exchanged for an OIDC ID token (IssuerID
	// set) that hold it: they are ephemeral and lose their access with their role, whereas
	// tokens minted through the API keep their record (the server refuses, or with force
	// leaves them without rights).
	DeleteRecord(ctx context.Context, org, id string) error
	// Referrers lists the records whose Refs contain id.
	Referrers(ctx context.Context, org, id string) ([]Record, error)

	// CreateToken stores t. ErrConflict if the name was ever used in the org (deleted included);
	// under WithLimit (LimitTokens), a *LimitError when the org holds Max tokens (CountTokens).
	CreateToken(ctx context.Context, t Token) error
	GetToken(ctx context.Context, org, id string) (Token, error)
	// TokenByHash finds a token (deleted ones included; the caller checks) by its value's hash.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// ListTokens returns the org's organization tokens (not team or personal ones) ordered by
	// creation time, then ID.
	ListTokens(ctx context.Context, org string, filter TokenFilter, now time.Time) ([]Token, error)
	// ListUserTokens returns a user's personal tokens in the org (not deleted, expired
	// included), ordered by creation time, then ID; a team's are listed by ListTokensPage.
	ListUserTokens(ctx context.Context, org, userID string) ([]Token, error)
	ListTokensByRole(ctx context.Context, org, roleID string) ([]Token, error) // not deleted
	// ListTokensPage returns one page of the tokens q selects, ordered like ListTokens.
	ListTokensPage(ctx context.Context, q TokenQuery) ([]Token, error)
	// CountTokens counts the org's tokens that are not deleted (expired ones included).
	CountTokens(ctx context.Context, org string) (int, error)
	// DeleteToken marks the token deleted (its name stays reserved). ErrNotFound if missing or
	// already deleted.
	DeleteToken(ctx context.Context, org, id string, at time.Time) error
	// TouchTokens records last-use times in one transaction (token ID → unix seconds).
	TouchTokens(ctx context.Context, lastUsed map[string]int64) error

	// GetUser and GetUserByID read the user directory.
	GetUser(ctx context.Context, login string) (User, error)
	GetUserByID(ctx context.Context, id string) (User, error)

	// AddMember makes the user with u.Login a member of org with roleID, creating the user
	// from u first when the login is unknown (an existing user is kept as stored). It returns
	// the member with the stored user. ErrConflict if already a member.
	AddMember(ctx context.Context, org string, u User, roleID string, at time.Time) (Member, error)
	GetMember(ctx context.Context, org, login string) (Member, error)
	GetMemberByID(ctx context.Context, org, userID string) (Member, error)
	// ListMembers returns up to limit (<= 0: all) members whose login sorts after afterLogin,
	// ordered by login.
	ListMembers(ctx context.Context, org, afterLogin string, limit int) ([]Member, error)
	ListMembersByRole(ctx context.Context, org, roleID string) ([]Member, error)
	// SetMemberRole changes a member's role. With protect set, a change that would leave no
	// member holding protect is refused with ErrLastHolder, atomically with the write.
	SetMemberRole(ctx context.Context, org, userID, roleID, protect string) error
	// RemoveMember ends a membership (ErrLastHolder as for SetMemberRole), removes the user
	// from the org's teams and revokes their personal tokens of the org (as DeleteToken at at).
	RemoveMember(ctx context.Context, org, userID, protect string, at time.Time) error

	// CreateTeam stores t. ErrConflict if (Org, Name) or the ID exists.
	CreateTeam(ctx context.Context, t Team) error
	GetTeam(ctx context.Context, org, name string) (Team, error)
	GetTeamByID(ctx context.Context, org, id string) (Team, error)
	// ListTeams returns up to limit (<= 0: all) teams whose name sorts after afterName, ordered
	// by name.
	ListTeams(ctx context.Context, org, afterName string, limit int) ([]Team, error)
	// UpdateTeam stores t's DisplayName, Description and Modified.
	UpdateTeam(ctx context.Context, t Team) error
	// DeleteTeam deletes the team, its memberships and role assignments, and revokes its
	// tokens (as DeleteToken at at; their names stay reserved).
	DeleteTeam(ctx context.Context, org, id string, at time.Time) error
	// AddTeamMember adds a member of org to a team of org: ErrNotFound if the team is missing
	// or the user is not a member of org, ErrConflict if already in the team.
	AddTeamMember(ctx context.Context, org, teamID, userID string) error
	RemoveTeamMember(ctx context.Context, org, teamID, userID string) error
	ListTeamMembers(ctx context.Context, org, teamID string) ([]User, error) // ordered by login
	ListUserTeams(ctx context.Context, org, userID string) ([]Team, error)   // ordered by name
	// AddTeamRole gives a team a role: ErrNotFound if the team is missing, ErrConflict if it
	// holds it already.
	AddTeamRole(ctx context.Context, org, teamID, roleID string) error
	RemoveTeamRole(ctx context.Context, org, teamID, roleID string) error
	ListTeamRoles(ctx context.Context, org, teamID string) ([]string, error) // role IDs, sorted
	ListTeamsByRole(ctx context.Context, org, roleID string) ([]Team, error) // ordered by name
	// SetTeamGrant stores g, replacing the team's grant on the same entity: ErrNotFound if
	// the team or the entity is missing from org.
	SetTeamGrant(ctx context.Context, org string, g TeamGrant) error
	// RemoveTeamGrant removes a team's grant on an entity: ErrNotFound if it has none.
	RemoveTeamGrant(ctx context.Context, org, teamID, entityID string) error
	// ListTeamGrants returns a team's per-entity grants, ordered by kind (as spelled: environment
	// before stack), project and name.
	// Deleting an entity or the team deletes its grants.
	ListTeamGrants(ctx context.Context, org, teamID string) ([]TeamGrant, error)

	// CreateEntity stores e. ErrConflict if (Org, Kind, Project, Name) or the ID exists; an
	// error if e.Kind is not one of authz.EntityKinds. Reading back an entity whose stored kind
	// is unknown is an error, never a default kind. Under WithLimit (LimitEntities), a
	// *LimitError when the org holds Max entities.
	CreateEntity(ctx context.Context, e Entity) error
	GetEntity(ctx context.Context, org string, kind authz.EntityKind, project, name string) (Entity, error)
	GetEntityByID(ctx context.Context, org, id string) (Entity, error)
	// LookupEntities returns those of the org's entities that refs name, each by ID (ID set,
	// any kind) or by Kind, Project and Name, each once and in no particular order; a ref that
	// names nothing is left out. It costs a few queries whatever the number of refs (the access
	// check resolves a batch's uncached entities with it).
	LookupEntities(ctx context.Context, org string, refs []EntityRef) ([]Entity, error)
	// ListEntities returns the org's entities of that kind, project "" = all, ordered by
	// project then name.
	ListEntities(ctx context.Context, org string, kind authz.EntityKind, project string) ([]Entity, error)
	// ListEntitiesPage is one page of ListEntities: up to limit (> 0) entities after the
	// position (nil = from the first).
	ListEntitiesPage(ctx context.Context, org string, kind authz.EntityKind, project string, after *EntityPos, limit int) ([]Entity, error)
	// ListEntitiesByTags is ListEntitiesPage restricted to the entities whose tags hold every
	// pair of tags (at least one), read through a tag index: its cost follows the entities
	// returned, not the org's size.
	ListEntitiesByTags(ctx context.Context, org string, kind authz.EntityKind, project string, tags map[string]string, after *EntityPos, limit int) ([]Entity, error)
	// ListEntitiesByIDs returns up to limit (> 0) of the org's entities of that kind (project ""
	// = all) among ids, after the position (nil = from the first), ordered by project then
	// name; missing IDs are left out.
	ListEntitiesByIDs(ctx context.Context, org string, kind authz.EntityKind, project string, ids []string, after *EntityPos, limit int) ([]Entity, error)
	// CountEntities counts the org's entities of every kind.
	CountEntities(ctx context.Context, org string) (int, error)
	// UpdateEntityTags replaces the tags and bumps Modified.
	UpdateEntityTags(ctx context.Context, org, id string, tags map[string]string, at time.Time) (Entity, error)
	DeleteEntity(ctx context.Context, org, id string) error

	// RenameEntity moves an entity to another project and name and bumps Modified: ErrConflict
	// if that name is taken, ErrNotFound if missing.
	RenameEntity(ctx context.Context, org, id, project, name string, at time.Time) (Entity, error)

	// CreateUpdate stores u (Status UpdateNotStarted). ErrNotFound if the stack is missing.
	CreateUpdate(ctx context.Context, u Update) error
	GetUpdate(ctx context.Context, org, id string) (Update, error)
	// StartUpdate starts a not-started update with its lease: an update that writes state
	// gets the stack's next version, unless another such update runs on the stack
	// (ErrUpdateConflict); a preview gets the current version. ErrConflict if it was started
	// before.
	StartUpdate(ctx context.Context, org, id string, leaseHash []byte, leaseExpires int64, at time.Time) (Update, error)
	// RenewLease replaces a running update's lease: ErrNotFound if it is not running.
	RenewLease(ctx context.Context, org, id string, leaseHash []byte, leaseExpires int64) error
	// SaveCheckpoint stores the deployment (of that many resources) of a running update as its
	// stack version's checkpoint (replacing the previous save of the same update): ErrNotFound
	// if the update is not running or writes no state.
	SaveCheckpoint(ctx context.Context, org, updateID string, deployment []byte, resources int, at time.Time) error
	// AddUpdateEvents counts n engine events of a running update: ErrNotFound if it is not running.
	AddUpdateEvents(ctx context.Context, org, updateID string, n int) error
	// EndUpdate ends an update that is running (or not started) with status: ErrNotFound if
	// missing or ended already.
	EndUpdate(ctx context.Context, org, id, status string, at time.Time) (Update, error)
	// ImportCheckpoint stores deployment as the stack's next version, written by u (kind
	// import, ended as it is stored): ErrUpdateConflict if an update that writes state runs.
	ImportCheckpoint(ctx context.Context, u Update, deployment []byte, resources int) (Update, error)
	// ListUpdates returns a page of the stack's updates that write state, newest first
	// (offset, limit > 0).
	ListUpdates(ctx context.Context, org, stackID string, offset, limit int) ([]Update, error)
	// GetCheckpoint returns the stack's checkpoint at version (0 = the latest):
	// ErrNotFound if there is none.
	GetCheckpoint(ctx context.Context, org, stackID string, version int) (Checkpoint, error)
	// GetStackState summarises the stack's versions and running update.
	GetStackState(ctx context.Context, org, stackID string) (StackState, error)
	// PruneUpdates deletes the previews (which write no state) and the never-started updates
	// created before the cutoff, and says how many; updates that wrote state are history.
	PruneUpdates(ctx context.Context, before time.Time) (int64, error)
	// EnsureStackKey stores sealed as the stack's sealed secrets key unless it has one, and
	// returns the stored one. ErrNotFound if the stack is missing.
	EnsureStackKey(ctx context.Context, org, stackID string, sealed []byte) ([]byte, error)
	// CreateIssuer stores an issuer and its first policy together. ErrConflict if (Org, Name)
	// or an ID is taken.
	CreateIssuer(ctx context.Context, i Issuer, p AuthPolicy) error
	GetIssuer(ctx context.Context, org, id string) (Issuer, error)
	ListIssuers(ctx context.Context, org string) ([]Issuer, error) // ordered by name
	// UpdateIssuer stores i's Name, Issuer, Thumbprints, MaxExpiration, JWKS and Modified.
	// ErrNotFound if missing, ErrConflict on a duplicate name.
	UpdateIssuer(ctx context.Context, i Issuer) error
	// TouchIssuer records an exchange's time as the issuer's LastUsed (a missing issuer is no
	// error).
	TouchIssuer(ctx context.Context, org, id string, at time.Time) error
	// DeleteIssuer deletes the issuer, its policy and its used token IDs. Tokens exchanged
	// earlier stay until they expire.
	DeleteIssuer(ctx context.Context, org, id string) error
	GetAuthPolicy(ctx context.Context, org, id string) (AuthPolicy, error)
	GetIssuerPolicy(ctx context.Context, org, issuerID string) (AuthPolicy, error)
	// UpdateAuthPolicy replaces the policy's Policies and Modified if its stored Version equals
	// expectedVersion; p.Version must be expectedVersion+1. ErrVersionConflict otherwise.
	UpdateAuthPolicy(ctx context.Context, p AuthPolicy, expectedVersion int) error
	// UseTokenID records that the ID token with this jti (of the issuer) was exchanged; it is
	// kept until expires. It returns false, storing nothing, when the jti is recorded already
	// and not expired at now. Expired entries are dropped on the way.
	UseTokenID(ctx context.Context, org, issuerID, jti string, expires, now time.Time) (bool, error)
	// PruneExchangedTokens marks deleted (as DeleteToken at at) the org's tokens exchanged for
	// an OIDC ID token (IssuerID set) that expired before expiredBefore, and says how many.
	PruneExchangedTokens(ctx context.Context, org string, expiredBefore, at time.Time) (int64, error)
	// AddScopeUsage adds the counts to the counters (creating missing ones) in one transaction;
	// counts must be positive.
	AddScopeUsage(ctx context.Context, counts map[UsageKey]int64) error
	// ListScopeUsage returns the counters of the org's tokens tokenIDs (at most 1,000 IDs) from
	// day sinceDay on, ordered by token ID, day and scope; at most MaxUsageRows rows.
	ListScopeUsage(ctx context.Context, org string, tokenIDs []string, sinceDay int64) ([]ScopeUsage, error)
	// CreateGuardrail stores g (Version must be 1). ErrConflict if (Org, Name) or the ID exists;
	// under WithLimit (LimitGuardrails), a *LimitError when the org holds Max guardrails.
	CreateGuardrail(ctx context.Context, g Guardrail) error
	GetGuardrail(ctx context.Context, org, id string) (Guardrail, error)
	// ListGuardrails returns the org's guardrails ordered by name.
	ListGuardrails(ctx context.Context, org string) ([]Guardrail, error)
	// UpdateGuardrail replaces the guardrail (all but Org, Created, CreatedBy) if its stored
	// Version equals expectedVersion; g.Version must be expectedVersion+1. ErrVersionConflict
	// otherwise, ErrConflict on a duplicate name, ErrNotFound if missing.
	UpdateGuardrail(ctx context.Context, g Guardrail, expectedVersion int) error
	DeleteGuardrail(ctx context.Context, org, id string) error

	AppendAudit(ctx context.Context, events ...AuditEvent) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// PruneAudit deletes the org's audit events older than before and says how many.
	PruneAudit(ctx context.Context, org string, before time.Time) (int64, error)

	// PutIdempotent stores v unless (Org, Principal, Key) exists with an answer; then it stores
	// nothing and returns the existing entry with found=true. A pending entry (Status
	// IdempotentPending, as reserved with a mutation) is replaced by v.
	PutIdempotent(ctx context.Context, v Idempotent) (existing Idempotent, found bool, err error)
	GetIdempotent(ctx context.Context, org, principal, key string) (Idempotent, error)
	// PruneIdempotent deletes entries created before the cutoff.
	PruneIdempotent(ctx context.Context, before time.Time) error

	Close() error
}
