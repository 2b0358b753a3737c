// Package sqlstore implements the methods of store.Store once, over database/sql, for the SQL
// engines (server/store/sqlite, server/store/postgres). An engine package opens its database,
// applies its migrations and hands the connections to New with a Dialect: what truly differs
// between the engines (placeholders, boolean literals, error codes, locking, notification).
//
// Queries are written with ? placeholders; where an engine needs other SQL, both texts stand side
// by side in the method (Store.pick). Times are stored as unix microseconds in UTC.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

// Engine names a SQL engine, for the few queries whose text differs.
type Engine int

const (
	// SQLite: ? placeholders, booleans stored as 0/1, one writer connection that serializes
	// every write transaction.
	SQLite Engine = iota
	// PostgreSQL: $1, $2, … placeholders (the ? of the queries are rewritten), boolean
	// columns, a pool of concurrent writers that lock what they check.
	PostgreSQL
)

// Dialect is what an engine package tells the shared store about its engine.
type Dialect struct {
	Engine Engine

	// Unavailable reports an error that says the database cannot serve now (down, restarting,
	// disk full, read-only, I/O error); the store wraps it in store.ErrUnavailable.
	Unavailable func(error) bool

	// Conflict reports a unique or primary-key violation (store.ErrConflict).
	Conflict func(error) bool

	// Lock, if set, holds a lock named key until the transaction ends, so that two transactions
	// that check rows before writing (the last holder of a protected role, a stack's running
	// update) cannot both pass. Nil when the engine serializes write transactions already.
	Lock func(ctx context.Context, tx *Tx, key string) error

	// Changed, if set, runs inside every mutation of org's cached data, last before commit
	// (PostgreSQL: NOTIFY, which the database delivers on commit).
	Changed func(ctx context.Context, tx *Tx, org string) error

	// CleanText makes the text columns of audit events hold neither NUL bytes nor invalid
	// UTF-8 (PostgreSQL's text holds neither; SQLite keeps what hostile requests sent).
	CleanText bool
}

// Store implements store.Store (all but Close, which the engine's type adds) on w, the
// connections that write, and r, those that only read (the same pool if the engine needs no
// separate writer). It is safe for concurrent use.
type Store struct {
	w, r *conn
	d    *Dialect

	// trueLit and falseLit are the engine's boolean literals, for the tokens' deleted column.
	trueLit, falseLit string
}

// New returns the store over w and r.
func New(w, r *sql.DB, d Dialect) *Store {
	s := &Store{d: &d, w: &conn{w, &d}, r: &conn{r, &d}, trueLit: "1", falseLit: "0"}
	if d.Engine == PostgreSQL {
		s.trueLit, s.falseLit = "true", "false"
	}
	return s
}

// pick returns the query text for the store's engine.
func (db *Store) pick(sqlite, postgres string) string {
	if db.d.Engine == PostgreSQL {
		return postgres
	}
	return sqlite
}

// noLimit is a LIMIT that both engines read as none (SQLite reads -1 so, which PostgreSQL
// refuses; PostgreSQL reads NULL so).
const noLimit = int64(1<<63 - 1)

// conn runs queries written with ? placeholders on a pool in the engine's placeholder style and
// wraps the errors of an unavailable database in store.ErrUnavailable.
type conn struct {
	db *sql.DB
	d  *Dialect
}

// Tx is a transaction of a conn, running queries as the conn does.
type Tx struct {
	tx *sql.Tx
	d  *Dialect
}

// ExecContext runs a statement.
func (c *conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := c.db.ExecContext(ctx, c.d.bind(query), args...)
	return res, c.d.Classify(err)
}

// QueryContext runs a query.
func (c *conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.db.QueryContext(ctx, c.d.bind(query), args...)
	return rows, c.d.Classify(err)
}

// QueryRowContext runs a query that returns at most one row.
func (c *conn) QueryRowContext(ctx context.Context, query string, args ...any) Row {
	return Row{c.db.QueryRowContext(ctx, c.d.bind(query), args...), c.d}
}

// ExecContext runs a statement.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, t.d.bind(query), args...)
	return res, t.d.Classify(err)
}

// QueryRowContext runs a query that returns at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) Row {
	return Row{t.tx.QueryRowContext(ctx, t.d.bind(query), args...), t.d}
}

// execEach runs query once per argument list in args. SQLite compiles a statement on every
// call, so it prepares the statement once; pgx already caches prepared statements per
// connection, where an explicit Prepare would only add round trips.
func (t *Tx) execEach(ctx context.Context, query string, n int, args func(i int) []any) error {
	exec := func(i int) error {
		_, err := t.ExecContext(ctx, query, args(i)...)
		return err
	}
	if t.d.Engine == SQLite && n > 1 {
		stmt, err := t.tx.PrepareContext(ctx, query)
		if err != nil {
			return t.d.Classify(err)
		}
		defer stmt.Close()
		exec = func(i int) error {
			_, err := stmt.ExecContext(ctx, args(i)...)
			return t.d.Classify(err)
		}
	}
	for i := range n {
		if err := exec(i); err != nil {
			return err
		}
	}
	return nil
}

// Row is the result of QueryRowContext.
type Row struct {
	r *sql.Row
	d *Dialect
}

// Scan copies the row's columns into dest; sql.ErrNoRows if there was none.
func (r Row) Scan(dest ...any) error { return r.d.Classify(r.r.Scan(dest...)) }

var rebound sync.Map // query → query with $1, $2, …

// bind rewrites the ? placeholders of query to PostgreSQL's $1, $2, … (the queries hold no ?
// in literals); SQLite takes them as they are.
func (d *Dialect) bind(query string) string {
	if d.Engine != PostgreSQL {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

// Classify wraps the errors of a database that cannot serve now (Unavailable) in
// store.ErrUnavailable and returns the others as they are.
func (d *Dialect) Classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || errors.Is(err, sql.ErrNoRows) || !d.Unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
}

// InTx runs fn in a write transaction of s and commits it if fn succeeds: for an engine's own
// writes (migrations). A write the database refuses rolls back whole and is
// store.ErrUnavailable.
func InTx(ctx context.Context, s *Store, fn func(*Tx) error) error { return s.inTx(ctx, fn) }

func (db *Store) inTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.w.db.BeginTx(ctx, nil)
	if err != nil {
		return db.d.Classify(err)
	}
	if err := fn(&Tx{tx, db.d}); err != nil {
		return db.d.Classify(errors.Join(err, ignoreDone(tx.Rollback())))
	}
	return db.d.Classify(tx.Commit())
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// quiet, as mutate's org, announces no change: for frequent writes that change nothing a
// server caches (an update's events, its lease, its checkpoints).
const quiet = ""

// mutate runs fn in a write transaction together with the context's pending mutation audit
// record (store.MutationAudit) and idempotency reservation, if any, and the engine's
// announcement that org's data changed (Dialect.Changed): all commit or none does.
func (db *Store) mutate(ctx context.Context, org string, fn func(*Tx) error) error {
	m := store.AuditOf(ctx)
	ev, claimed := m.Claim()
	err := db.inTx(ctx, func(tx *Tx) error {
		// The key first: a concurrent request with the same key (on another replica) waits
		// here for this one and then fails with ErrKeyReserved, before any write of its own.
		if v := m.Reservation(); claimed && v != nil {
			if err := db.reserveIdempotent(ctx, tx, *v); err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if claimed {
			if err := db.appendAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		if org == quiet || db.d.Changed == nil {
			return nil
		}
		return db.d.Changed(ctx, tx, org)
	})
	if claimed {
		m.Settle(ev, err == nil)
	}
	return err
}

// lock takes the engine's lock on key for the rest of tx (Dialect.Lock), if it needs one.
func (db *Store) lock(ctx context.Context, tx *Tx, key string) error {
	if db.d.Lock == nil {
		return nil
	}
	return db.d.Lock(ctx, tx, key)
}

// execOneTx runs a write in tx that must change a row; store.ErrNotFound if it changed none.
func execOneTx(ctx context.Context, tx *Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// dbErr maps unique and primary-key violations to store.ErrConflict, keeping the engine's
// message.
func (db *Store) dbErr(err error) error {
	if err != nil && db.d.Conflict(err) {
		return fmt.Errorf("%w (%v)", store.ErrConflict, err)
	}
	return err
}

// queryOne runs a query expected to return one row; no row is store.ErrNotFound.
func queryOne[T any](ctx context.Context, c *conn, scan func(sqlrows.Scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(c.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	return v, err
}

// queryAll runs a query and scans every row; an empty result is an empty, non-nil slice.
func queryAll[T any](ctx context.Context, c *conn, scan func(sqlrows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, c.d.Classify(err)
		}
		out = append(out, v)
	}
	return out, c.d.Classify(rows.Err())
}

// forUpdate locks the rows a query reads until the transaction ends, where the engine does not
// already serialize write transactions.
func (db *Store) forUpdate() string { return db.pick(``, ` FOR UPDATE`) }
