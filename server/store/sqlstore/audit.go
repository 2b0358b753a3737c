package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

// AppendAudit stores the events in one transaction. IDs are assigned by the store; any set by
// the caller are ignored.
func (db *Store) AppendAudit(ctx context.Context, events ...store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *Tx) error { return db.appendAudit(ctx, tx, events...) })
	if err != nil {
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// appendAudit inserts events in tx. Their IDs must be given in commit order, or a reader that
// resumes from the newest ID it saw would miss an event committed later with a lower one: the
// org's audit lock (Dialect.Lock; SQLite's single writer needs none), taken before the IDs are
// drawn and held until commit, orders writers. It is the last write of a mutation, so it is
// held only for the insert and the commit.
func (db *Store) appendAudit(ctx context.Context, tx *Tx, events ...store.AuditEvent) error {
	orgs := make([]string, 0, 1)
	for _, e := range events {
		orgs = append(orgs, e.Org)
	}
	slices.Sort(orgs) // one order of locks, so two writers never wait on each other in a cycle
	for _, org := range slices.Compact(orgs) {
		if err := db.lock(ctx, tx, "audit "+org); err != nil {
			return err
		}
	}
	text := func(s string) string { return s }
	if db.d.CleanText {
		text = cleanText
	}
	return tx.execEach(ctx, `INSERT INTO audit_events (org, time, actor, token_id, token_name,
		method, path, action, entity, decision, reason, status, source_ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(events), func(i int) []any {
		a := events[i]
		return []any{text(a.Org), sqlrows.Micros(a.Time), text(a.Actor), text(a.TokenID), text(a.TokenName), text(a.Method),
			text(a.Path), text(a.Action), text(a.Entity), text(a.Decision), text(a.Reason), a.Status, text(a.SourceIP)}
	})
}

// cleanText makes a string storable in a PostgreSQL text column, which holds neither NUL bytes
// nor invalid UTF-8 (SQLite holds both): audit events record what hostile requests sent.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
	}
	return strings.ReplaceAll(s, "\x00", "\ufffd")
}

// ListAudit returns all matching events when q.Limit <= 0.
func (db *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	before := q.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = noLimit
	}
	cols := sqlrows.AuditCols
	var args []any
	if q.MaxField > 0 {
		cols = `id, org, time, ` + cutCols(q.MaxField, &args, "actor", "token_id", "token_name", "method", "path",
			"action", "entity", "decision", "reason") + `, status, ` + cutCols(q.MaxField, &args, "source_ip")
	}
	args = append(args, q.Org, before, limit)
	as, err := queryAll(ctx, db.r, sqlrows.ScanAudit, `SELECT `+cols+` FROM audit_events
		WHERE org = ? AND id < ? ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events of org %q: %w", q.Org, err)
	}
	return as, nil
}

// cutCols selects the text columns cut to max characters (store.AuditQuery.MaxField). A field
// is cut when its first max characters are not all of it: SQLite's length() and substr() stop
// at a NUL byte (which SQLite stores), so a length test would let a long field with an early
// NUL through whole.
func cutCols(max int, args *[]any, cols ...string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = fmt.Sprintf(`CASE WHEN substr(%[1]s, 1, CAST(? AS INTEGER)) <> %[1]s THEN substr(%[1]s, 1, CAST(? AS INTEGER)) || CAST(? AS TEXT) ELSE %[1]s END`, c)
		*args = append(*args, max, max, store.AuditCutMarker)
	}
	return strings.Join(out, ", ")
}

// PruneAudit deletes in batches, so that a large backlog does not hold the write lock long.
func (db *Store) PruneAudit(ctx context.Context, org string, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.w.ExecContext(ctx, `DELETE FROM audit_events WHERE id IN (
			SELECT id FROM audit_events WHERE org = ? AND time < ? ORDER BY id LIMIT 5000)`, org, sqlrows.Micros(before))
		if err != nil {
			return total, fmt.Errorf("prune audit events of org %q: %w", org, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// PutIdempotent returns a zero existing value when it stores v.
func (db *Store) PutIdempotent(ctx context.Context, v store.Idempotent) (existing store.Idempotent, found bool, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency (`+sqlrows.IdempotentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org, principal, key) DO UPDATE SET request_hash = excluded.request_hash,
				status = excluded.status, body = excluded.body, created = excluded.created
			WHERE idempotency.status = ?`,
			v.Org, v.Principal, v.Key, sqlrows.Blob(v.RequestHash), v.Status, sqlrows.Blob(v.Body), sqlrows.Micros(v.Created), store.IdempotentPending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		found = true
		existing, err = sqlrows.ScanIdempotent(tx.QueryRowContext(ctx, `SELECT `+sqlrows.IdempotentCols+` FROM idempotency
			WHERE org = ? AND principal = ? AND key = ?`, v.Org, v.Principal, v.Key))
		return err
	})
	if err != nil {
		return store.Idempotent{}, false, fmt.Errorf("put idempotency key %q: %w", v.Key, err)
	}
	return existing, found, nil
}

// reserveIdempotent inserts a pending entry in a mutation's transaction: store.ErrKeyReserved
// if the key exists (a concurrent insert of it is waited for).
func (db *Store) reserveIdempotent(ctx context.Context, tx *Tx, v store.Idempotent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency (`+sqlrows.IdempotentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.Org, v.Principal, v.Key, sqlrows.Blob(v.RequestHash), store.IdempotentPending, []byte{}, sqlrows.Micros(v.Created))
	if err := db.dbErr(err); errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %q", store.ErrKeyReserved, v.Key)
	}
	return err
}

func (db *Store) GetIdempotent(ctx context.Context, org, principal, key string) (store.Idempotent, error) {
	v, err := queryOne(ctx, db.r, sqlrows.ScanIdempotent, `SELECT `+sqlrows.IdempotentCols+` FROM idempotency
		WHERE org = ? AND principal = ? AND key = ?`, org, principal, key)
	if err != nil {
		return store.Idempotent{}, fmt.Errorf("get idempotency key %q: %w", key, err)
	}
	return v, nil
}

func (db *Store) PruneIdempotent(ctx context.Context, before time.Time) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM idempotency WHERE created < ?`, sqlrows.Micros(before)); err != nil {
		return fmt.Errorf("prune idempotency keys: %w", err)
	}
	return nil
}
