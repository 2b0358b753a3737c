// Package sqlite implements store.Store on an embedded SQLite database (modernc.org/sqlite, pure
// Go).
//
// The database runs in WAL mode with synchronous=FULL, so every call is durable when it returns.
// Writes go through a single connection, which serializes them inside the process and keeps
// SQLITE_BUSY away under load; reads use a separate pool of read-only connections, which WAL lets
// run alongside the writer. Times are stored as unix microseconds in UTC.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/iamref/iam/server/store/sqlrows"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/iamref/iam/server/store"
)

// DB is a store.Store backed by one SQLite database file. It is safe for concurrent use.
type DB struct {
	w *sql.DB // the single writer connection
	r *sql.DB // read-only connection pool
}

var _ store.Store = (*DB)(nil)

// busyTimeout bounds how long a connection waits for a lock held by another process (or, for a
// reader, for a checkpoint) before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens (creating it if missing) the database file at path and brings its schema up to date.
func Open(path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("open sqlite store %q: need a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %q: %w", path, err)
	}
	// The file holds token hashes: create it owner-only. SQLite gives -wal and -shm the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	f.Close()

	w, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	ms, err := migrations()
	if err == nil {
		err = migrate(context.Background(), w, ms)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %q: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %q: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.Ping(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open sqlite store %q: %w", path, err)
	}
	return &DB{w: w, r: r}, nil
}

// dsn builds the connection string. Pragmas go in the DSN so that every connection the pool
// opens gets them.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		// Take the write lock at BEGIN, so a transaction never fails midway on lock upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations, which must be named NNNN_description.sql and
// numbered 1, 2, 3, … without gaps.
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

// migrate applies the migrations (versions 1…len(ms)) the database lacks, each in its own
// transaction, and records them in schema_migrations.
func migrate(ctx context.Context, w *sql.DB, ms []migration) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var latest int
	if err := w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", latest, len(ms))
	}
	for _, m := range ms[latest:] {
		err := inTx(ctx, w, func(tx *sql.Tx) error {
			// Another process may have applied it since we looked; the write lock is ours now.
			var done bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&done); err != nil || done {
				return err
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

// inTx runs fn in a transaction on db and commits it if fn succeeds. A write the disk refuses
// (full, read-only, I/O error) rolls back whole and is store.ErrUnavailable.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		return unavailable(errors.Join(err, ignoreDone(tx.Rollback())))
	}
	return unavailable(tx.Commit())
}

// unavailable wraps the errors of a database that cannot be written now (disk full, file or
// file system read-only, I/O error, cannot open) in store.ErrUnavailable.
func unavailable(err error) error {
	var se *sqlite.Error
	if err == nil || errors.Is(err, store.ErrUnavailable) || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // the primary result code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return err
}

// mutate runs fn in a write transaction together with the context's pending mutation audit
// record (store.MutationAudit), if any: both commit or neither does.
func (db *DB) mutate(ctx context.Context, fn func(*sql.Tx) error) error {
	m := store.AuditOf(ctx)
	ev, claimed := m.Claim()
	err := inTx(ctx, db.w, func(tx *sql.Tx) error {
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
		return nil
	})
	if claimed {
		m.Settle(ev, err == nil)
	}
	return err
}

// execOneTx runs a write in tx that must change a row; store.ErrNotFound if it changed none.
func execOneTx(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
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
	return err
}

// dbErr maps unique and primary-key violations to store.ErrConflict, keeping the SQLite message.
func dbErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w (%v)", store.ErrConflict, err)
		}
	}
	return err
}

// queryOne runs a query expected to return one row; no row is store.ErrNotFound.
func queryOne[T any](ctx context.Context, db *sql.DB, scan func(sqlrows.Scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(db.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	return v, err
}

// queryAll runs a query and scans every row; an empty result is an empty, non-nil slice.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(sqlrows.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
