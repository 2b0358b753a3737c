// Package postgres implements store.Store on PostgreSQL (github.com/jackc/pgx/v5), for several
// server processes (replicas) sharing one database.
//
// The schema mirrors the SQLite store's (same migration numbers, times as unix microseconds in
// UTC). Every call runs in its own transaction at READ COMMITTED; checks that span rows (the
// last holder of a protected role) take a transaction-scoped advisory lock, compare-and-swap
// updates rely on row locks. Every mutation also sends a notification (NOTIFY, delivered on
// commit) that Subscribe turns into cache invalidation in the other replicas. Connection
// failures (database down, restarting, unreachable) come back as store.ErrUnavailable.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"github.com/iamref/iam/server/store/sqlrows"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/iamref/iam/server/store"
)

// DB is a store.Store backed by a PostgreSQL database. It is safe for concurrent use.
type DB struct {
	sql      *sql.DB
	w, r     *pool // the same pool: PostgreSQL needs no separate writer
	cfg      *pgx.ConnConfig
	instance string // tells this process's notifications from the others'
}

var _ store.Store = (*DB)(nil)
var _ store.ChangeNotifier = (*DB)(nil)

// connectTimeout bounds a connection attempt when the URL does not set connect_timeout, so
// that requests fail fast (503) while the database is unreachable.
const connectTimeout = 3 * time.Second

// MaxConns is the size of each process's connection pool.
const MaxConns = 16

// Open connects to the database at url (postgres://user:password@host:port/db?…, or any
// connection string pgx accepts) and brings its schema up to date. Several processes may open
// one database at once; migrations are serialized by an advisory lock.
func Open(url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %s", redact(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "iam-server"
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(MaxConns)
	sdb.SetMaxIdleConns(MaxConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{sql: sdb, cfg: cfg, instance: sqlrows.NewUUID()}
	db.w = &pool{sdb}
	db.r = db.w
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open postgres store %s: cannot connect (is PostgreSQL running there, and are the host, port, user, password and database of the URL right?): %w",
			where(cfg), classify(err))
	}
	ms, err := migrations()
	if err == nil {
		err = db.migrate(ctx, ms)
	}
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", where(cfg), err)
	}
	return db, nil
}

// where names the database for messages (never the password).
func where(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Describe names the database of a connection string for logs and messages: user, host, port
// and database, never the password.
func Describe(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return "postgres://" + where(cfg)
}

// redact keeps a connection string's password out of a parse error.
func redact(err error) string {
	return "cannot parse the connection string (expected postgres://user:password@host:port/database?sslmode=…): " +
		strings.Split(err.Error(), "(")[0]
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations, which must be named NNNN_description.sql and
// numbered 1, 2, 3, … without gaps, like the SQLite store's.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, e := range entries { // ReadDir sorts by name
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %q: want a name starting with %04d_", e.Name(), i+1)
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, nil
}

// migrationLock is the advisory lock key that serializes migrations between processes.
const migrationLock = 0x1a3_2ef_0001

// migrate applies the migrations (versions 1…len(ms)) the database lacks, each in its own
// transaction holding the migration lock, and records them in schema_migrations.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	err := inTx(ctx, db.w, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLock)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at BIGINT  NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := inTx(ctx, db.w, func(tx *txn) error {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLock)); err != nil {
				return err
			}
			var latest int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
				return err
			}
			if latest > len(ms) {
				return fmt.Errorf("database schema version %d is newer than this binary's %d", latest, len(ms))
			}
			if latest >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, sqlrows.Micros(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// pool and txn run queries written with ? placeholders (as in the SQLite store) by rewriting
// them to PostgreSQL's $1, $2, …, and map connection failures to store.ErrUnavailable.
type pool struct{ db *sql.DB }

type txn struct{ tx *sql.Tx }

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.db.ExecContext(ctx, rebind(query), args...)
	return res, classify(err)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := p.db.QueryContext(ctx, rebind(query), args...)
	return rows, classify(err)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) row {
	return row{p.db.QueryRowContext(ctx, rebind(query), args...)}
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, rebind(query), args...)
	return res, classify(err)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) row {
	return row{t.tx.QueryRowContext(ctx, rebind(query), args...)}
}

type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }

var rebound sync.Map // query → rewritten query

// rebind rewrites ? placeholders to $1, $2, … (the queries hold no ? in literals).
func rebind(query string) string {
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

// inTx runs fn in a transaction and commits it if fn succeeds.
func inTx(ctx context.Context, p *pool, fn func(*txn) error) error {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(&txn{tx}); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return classify(tx.Commit())
}

// changesChannel is the NOTIFY channel of committed mutations; the payload is
// "<instance> <org>".
const changesChannel = "iamref_changes"

// quiet, as mutate's org, sends no notification: for frequent writes that change nothing a
// server caches (an update's events, its lease, its checkpoints).
const quiet = ""

// mutate runs fn in a transaction together with the context's pending mutation audit record
// (store.MutationAudit) and idempotency reservation, if any, and a notification to the other replicas that org's data
// changed: all commit or none does.
func (db *DB) mutate(ctx context.Context, org string, fn func(*txn) error) error {
	m := store.AuditOf(ctx)
	ev, claimed := m.Claim()
	err := inTx(ctx, db.w, func(tx *txn) error {
		// The key first: a concurrent request with the same key (on another replica) waits
		// here for this one and then fails with ErrKeyReserved, before any write of its own.
		if v := m.Reservation(); claimed && v != nil {
			if err := reserveIdempotent(ctx, tx, *v); err != nil {
				return err
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		if claimed {
			if err := appendAudit(ctx, tx, ev); err != nil {
				return err
			}
		}
		if org == quiet {
			return nil
		}
		_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, changesChannel, db.instance+" "+org)
		return err
	})
	if claimed {
		m.Settle(ev, err == nil)
	}
	return err
}

// execOneTx runs a write in tx that must change a row; store.ErrNotFound if it changed none.
func execOneTx(ctx context.Context, tx *txn, query string, args ...any) error {
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

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return classify(err)
}

// dbErr maps unique violations to store.ErrConflict, keeping PostgreSQL's message.
func dbErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w (%v)", store.ErrConflict, err)
	}
	return err
}

// classify wraps the errors that say the database cannot serve now (no connection, shutting
// down or starting up, out of connections or disk, read-only) in store.ErrUnavailable.
func classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, cannot connect now
			return true
		case pe.Code == "53100", pe.Code == "53300": // disk full, too many connections
			return true
		case pe.Code == "25006": // read-only transaction (a standby)
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) ||
		errors.Is(err, sql.ErrConnDone)
}

// queryOne runs a query expected to return one row; no row is store.ErrNotFound.
func queryOne[T any](ctx context.Context, p *pool, scan func(sqlrows.Scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(p.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	return v, err
}

// queryAll runs a query and scans every row; an empty result is an empty, non-nil slice.
func queryAll[T any](ctx context.Context, p *pool, scan func(sqlrows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := p.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}
