// Package sqlite implements store.Store on an embedded SQLite database (modernc.org/sqlite, pure
// Go). The store's methods are the shared SQL ones (server/store/sqlstore); this package opens
// the database, applies its migrations and says how SQLite differs (its dialect).
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
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlstore"
)

// DB is a store.Store backed by one SQLite database file. It is safe for concurrent use.
type DB struct {
	*sqlstore.Store
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
	return &DB{Store: sqlstore.New(w, r, dialect), w: w, r: r}, nil
}

// dialect is SQLite's: the single writer serializes every write transaction, so checks need no
// locks and queries no FOR UPDATE.
var dialect = sqlstore.Dialect{
	Engine:      sqlstore.SQLite,
	Unavailable: unavailableErr,
	Conflict: func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
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

type migration = sqlstore.Migration

// migrations returns the embedded migrations.
func migrations() ([]migration, error) { return sqlstore.ReadMigrations(migrationFS, "migrations") }

// migrate applies the migrations (versions 1…len(ms)) the database lacks, each in its own
// transaction, and records them in schema_migrations.
func migrate(ctx context.Context, w *sql.DB, ms []migration) error {
	s := sqlstore.New(w, w, dialect)
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
		err := sqlstore.InTx(ctx, s, func(tx *sqlstore.Tx) error {
			// Another process may have applied it since we looked; the write lock is ours now.
			var done bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&done); err != nil || done {
				return err
			}
			return m.Apply(ctx, tx)
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// unavailableErr reports the errors of a database that cannot be written now (disk full, file
// or file system read-only, I/O error, cannot open).
func unavailableErr(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}
