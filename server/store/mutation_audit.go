package store

import (
	"context"
	"sync"
)

// MutationAudit is the audit record of one API mutation, which the store writes in the same
// transaction as the mutation itself: an acknowledged change always has its record, even if the
// process dies right after answering, and a change that did not commit has none.
//
// The server creates one per mutating request and passes it down with WithAudit. Every
// mutating method of a Store (SetDefaultRole, CreateRecord, UpdateRecord, DeleteRecord,
// CreateToken, DeleteToken, CreateEntity, UpdateEntityTags, DeleteEntity, AddMember,
// SetMemberRole, RemoveMember, CreateTeam, UpdateTeam, DeleteTeam, AddTeamMember,
// RemoveTeamMember, AddTeamRole, RemoveTeamRole, SetTeamGrant, RemoveTeamGrant) called with such a
// context appends the event in its own transaction, unless an earlier call under the same
// context already committed it: one request, one record. The first such transaction also
// inserts the idempotency entry reserved with Reserve, if any. A call that fails writes nothing
// and leaves the event pending for a later call. Housekeeping writes (TouchTokens, the
// idempotency table, pruning) and EnsureOrg ignore it.
type MutationAudit struct {
	event func() AuditEvent // built when written, so it sees what the handler learnt by then

	mu        sync.Mutex
	claimed   bool // a call is writing it now
	committed bool
	ev        AuditEvent
	reserve   *Idempotent // written with the event, see Reserve
}

// Reserve makes the transaction that commits m's event also insert v as a pending idempotency
// entry (Status IdempotentPending, no Body): a create and its Idempotency-Key commit together,
// so that a retry, on this process or another, never carries it out twice. If the key exists,
// that mutation fails with ErrKeyReserved and commits nothing. Call it before the mutation.
func (m *MutationAudit) Reserve(v Idempotent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v.Status, v.Body = IdempotentPending, nil
	m.reserve = &v
}

// Reservation is for Store implementations: after a successful Claim, the idempotency entry to
// insert in the same transaction (see Reserve), or nil.
func (m *MutationAudit) Reservation() *Idempotent {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reserve
}

// NewMutationAudit returns a pending audit record; event is called when a store writes it.
func NewMutationAudit(event func() AuditEvent) *MutationAudit {
	return &MutationAudit{event: event}
}

type mutationAuditKey struct{}

// WithAudit returns a context under which the first successful mutating Store call also writes
// m's event, atomically with the mutation.
func WithAudit(ctx context.Context, m *MutationAudit) context.Context {
	return context.WithValue(ctx, mutationAuditKey{}, m)
}

// AuditOf returns the pending audit record of ctx, or nil.
func AuditOf(ctx context.Context) *MutationAudit {
	m, _ := ctx.Value(mutationAuditKey{}).(*MutationAudit)
	return m
}

// Claim is for Store implementations: it returns the event to append in the transaction of the
// mutation being made, and false when there is nothing to append (m is nil, the event was
// committed already, or a concurrent call is writing it). A true answer must be followed by
// Settle once the transaction has ended.
func (m *MutationAudit) Claim() (AuditEvent, bool) {
	if m == nil {
		return AuditEvent{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.committed || m.claimed {
		return AuditEvent{}, false
	}
	m.claimed = true
	return m.event(), true
}

// Settle ends a Claim: committed says whether the transaction holding ev committed.
func (m *MutationAudit) Settle(ev AuditEvent, committed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claimed = false
	if committed {
		m.committed, m.ev = true, ev
	}
}

// Committed returns the event a store committed with a mutation, if any did.
func (m *MutationAudit) Committed() (AuditEvent, bool) {
	if m == nil {
		return AuditEvent{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ev, m.committed
}
