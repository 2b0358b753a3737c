// Package sqlrows holds what the SQLite and PostgreSQL stores share about rows: the column
// lists of each table, the scanners that turn a row into a store value, and the encodings of
// columns (times as microseconds, tags and refs as JSON, kinds as text). Both stores run the
// same column lists through database/sql, so a column added to a table is added here once.
package sqlrows

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

func ScanUpdate(s Scanner) (store.Update, error) {
	var u store.Update
	var created, started, ended int64
	if err := s.Scan(&u.ID, &u.Org, &u.StackID, &u.Kind, &u.Status, &u.Version, &u.TokenID, &u.Actor, &u.LeaseHash,
		&u.LeaseExpires, &u.Program, &u.Events, &created, &started, &ended); err != nil {
		return u, err
	}
	u.Created = FromMicros(created)
	if started != 0 {
		u.Started = FromMicros(started)
	}
	if ended != 0 {
		u.Ended = FromMicros(ended)
	}
	return u, nil
}

func OptMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return Micros(t)
}

func ScanCheckpoint(s Scanner) (store.Checkpoint, error) {
	var c store.Checkpoint
	var modified int64
	err := s.Scan(&c.StackID, &c.Version, &c.UpdateID, &c.Deployment, &c.Resources, &modified)
	c.Modified = FromMicros(modified)
	return c, err
}

func ScanToken(s Scanner) (store.Token, error) {
	var t store.Token
	var created, deletedAt int64
	err := s.Scan(&t.ID, &t.Org, &t.Name, &t.Description, &t.Hash, &t.Admin, &t.RoleID, &t.Expires,
		&created, &t.CreatedBy, &t.LastUsed, &t.Deleted, &deletedAt, &t.Kind, &t.TeamID, &t.UserID, &t.IssuerID)
	t.Created, t.DeletedAt = FromMicros(created), FromMicros(deletedAt)
	return t, err
}

// Prefixed qualifies each column of a column list with a table alias.
func Prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// KindColumn is the stored spelling of an entity's kind: its String, for the kinds of
// authz.EntityKinds only.
func KindColumn(k authz.EntityKind) (string, error) {
	if !slices.Contains(authz.EntityKinds[:], k) {
		return "", fmt.Errorf("%s is not an entity kind", k)
	}
	return k.String(), nil
}

// ParseKind reads a stored kind strictly: an unknown or non-canonical spelling is an error.
func ParseKind(col string) (authz.EntityKind, error) {
	k, err := authz.ParseEntityKind(col)
	if err != nil {
		return 0, err
	}
	if canonical, err := KindColumn(k); err != nil || canonical != col {
		return 0, fmt.Errorf("stored entity kind %q is not one of %v", col, authz.EntityKinds)
	}
	return k, nil
}

func ScanEntity(s Scanner) (store.Entity, error) {
	var e store.Entity
	var kind, tags string
	var created, modified int64
	if err := s.Scan(&e.ID, &e.Org, &kind, &e.Project, &e.Name, &tags, &created, &modified); err != nil {
		return e, err
	}
	var err error
	if e.Kind, err = ParseKind(kind); err != nil {
		return e, fmt.Errorf("entity %q: %w", e.ID, err)
	}
	e.Created, e.Modified = FromMicros(created), FromMicros(modified)
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		return e, fmt.Errorf("entity %q tags: %w", e.ID, err)
	}
	if e.Tags == nil {
		e.Tags = map[string]string{}
	}
	return e, nil
}

func EncodeTags(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(tags) // a map[string]string always marshals
	return string(b)
}

func EntityName(project, name string) string {
	if project == "" {
		return name
	}
	return project + "/" + name
}

func ScanIssuer(s Scanner) (store.Issuer, error) {
	var i store.Issuer
	var thumbprints string
	var created, modified, lastUsed int64
	err := s.Scan(&i.ID, &i.Org, &i.Name, &i.URL, &i.Issuer, &thumbprints, &i.MaxExpiration, &i.JWKS,
		&created, &modified, &lastUsed)
	if err != nil {
		return i, err
	}
	if err := json.Unmarshal([]byte(thumbprints), &i.Thumbprints); err != nil {
		return i, fmt.Errorf("issuer %q: thumbprints: %w", i.ID, err)
	}
	i.Created, i.Modified = FromMicros(created), FromMicros(modified)
	if lastUsed != 0 {
		i.LastUsed = FromMicros(lastUsed)
	}
	return i, nil
}

func ThumbprintsJSON(t []string) string {
	if t == nil {
		t = []string{}
	}
	b, _ := json.Marshal(t) // []string always encodes
	return string(b)
}

// JwksArg stores a nil key set as NULL.
func JwksArg(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func ScanPolicy(s Scanner) (store.AuthPolicy, error) {
	var p store.AuthPolicy
	var created, modified int64
	err := s.Scan(&p.ID, &p.Org, &p.IssuerID, &p.Version, &p.Policies, &created, &modified)
	p.Created, p.Modified = FromMicros(created), FromMicros(modified)
	return p, err
}

func ScanUser(s Scanner) (store.User, error) {
	var u store.User
	var created int64
	err := s.Scan(&u.ID, &u.Login, &u.Name, &u.Email, &created)
	u.Created = FromMicros(created)
	return u, err
}

func ScanMember(s Scanner) (store.Member, error) {
	var m store.Member
	var created, userCreated int64
	err := s.Scan(&m.Org, &m.RoleID, &created, &m.User.ID, &m.User.Login, &m.User.Name, &m.User.Email, &userCreated)
	m.Created, m.User.Created = FromMicros(created), FromMicros(userCreated)
	return m, err
}

func ScanTeam(s Scanner) (store.Team, error) {
	var t store.Team
	var created, modified int64
	err := s.Scan(&t.ID, &t.Org, &t.Name, &t.DisplayName, &t.Description, &created, &modified)
	t.Created, t.Modified = FromMicros(created), FromMicros(modified)
	return t, err
}

func ScanOrg(s Scanner) (store.Org, error) {
	var o store.Org
	var created int64
	err := s.Scan(&o.Name, &o.ID, &o.DefaultRoleID, &created)
	o.Created = FromMicros(created)
	return o, err
}

func ScanRecord(s Scanner) (store.Record, error) {
	var r store.Record
	var refs string
	var created, modified int64
	err := s.Scan(&r.ID, &r.Org, &r.Name, &r.Description, &r.ResourceType, &r.UXPurpose, &r.Details,
		&refs, &r.Version, &created, &modified, &r.IsOrgDefault, &r.DefaultIdentifier)
	if err != nil {
		return r, err
	}
	r.Created, r.Modified = FromMicros(created), FromMicros(modified)
	if err := json.Unmarshal([]byte(refs), &r.Refs); err != nil {
		return r, fmt.Errorf("record %q refs: %w", r.ID, err)
	}
	return r, nil
}

func EncodeRefs(refs []string) string {
	if len(refs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(refs) // a []string always marshals
	return string(b)
}

func ScanAudit(s Scanner) (store.AuditEvent, error) {
	var a store.AuditEvent
	var at int64
	err := s.Scan(&a.ID, &a.Org, &at, &a.Actor, &a.TokenID, &a.TokenName, &a.Method, &a.Path, &a.Action,
		&a.Entity, &a.Decision, &a.Reason, &a.Status, &a.SourceIP)
	a.Time = FromMicros(at)
	return a, err
}

func ScanIdempotent(s Scanner) (store.Idempotent, error) {
	var v store.Idempotent
	var created int64
	err := s.Scan(&v.Org, &v.Principal, &v.Key, &v.RequestHash, &v.Status, &v.Body, &created)
	v.Created = FromMicros(created)
	return v, err
}

func ScanGuardrail(s Scanner) (store.Guardrail, error) {
	var g store.Guardrail
	var actions, exempt string
	var created, modified int64
	err := s.Scan(&g.ID, &g.Org, &g.Name, &g.Description, &actions, &g.Condition, &exempt, &g.Version, &created, &modified, &g.CreatedBy)
	if err != nil {
		return g, err
	}
	g.Created, g.Modified = FromMicros(created), FromMicros(modified)
	if err := json.Unmarshal([]byte(actions), &g.Actions); err != nil {
		return g, fmt.Errorf("guardrail %q actions: %w", g.ID, err)
	}
	if err := json.Unmarshal([]byte(exempt), &g.ExemptRoles); err != nil {
		return g, fmt.Errorf("guardrail %q exempt roles: %w", g.ID, err)
	}
	return g, nil
}

func Micros(t time.Time) int64 { return t.UnixMicro() }

func FromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// Blob keeps nil byte slices out of NOT NULL columns.
func Blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

const UpdateCols = `id, org, stack_id, kind, status, version, token_id, actor, lease_hash, lease_expires, program, events, created, started, ended`

const TokenCols = `id, org, name, description, hash, admin, role_id, expires, created, created_by,
	last_used, deleted, deleted_at, kind, team_id, user_id, issuer_id`

const EntityCols = `id, org, kind, project, name, tags, created, modified`

const IssuerCols = `id, org, name, url, issuer, thumbprints, max_expiration, jwks, created, modified, last_used`

const PolicyCols = `id, org, issuer_id, version, policies, created, modified`

const UserCols = `id, login, name, email, created`

// MemberSelect joins a membership with its user; memberCols are its columns.
const MemberSelect = `SELECT m.org, m.role_id, m.created, u.id, u.login, u.name, u.email, u.created
	FROM members m JOIN users u ON u.id = m.user_id `

const TeamCols = `id, org, name, display_name, description, created, modified`

const OrgCols = `name, id, default_role_id, created`

const RecordCols = `id, org, name, description, resource_type, ux_purpose, details, refs, version,
	created, modified, is_org_default, default_identifier`

const AuditCols = `id, org, time, actor, token_id, token_name, method, path, action, entity, decision,
	reason, status, source_ip`

const IdempotentCols = `org, principal, key, request_hash, status, body, created`

const GuardrailCols = `id, org, name, description, actions, condition, exempt_roles, version, created, modified, created_by`

type Scanner interface{ Scan(dest ...any) error }
