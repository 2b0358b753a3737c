// Package postgres implements store.Store on PostgreSQL (github.com/jackc/pgx/v5), for several
// server processes (replicas) sharing one database. The store's methods are the shared SQL ones
// (server/store/sqlstore); this package opens the pool, applies its migrations, says how
// PostgreSQL differs (dialect: placeholders, error codes, advisory locks, NOTIFY) and listens
// for the other replicas' changes (Subscribe).
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
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
	"github.com/iamref/iam/server/store/sqlstore"
)

// DB is a store.Store backed by a PostgreSQL database. It is safe for concurrent use.
type DB struct {
	*sqlstore.Store // on one pool: PostgreSQL needs no separate writer
	sql             *sql.DB
	cfg             *pgx.ConnConfig
	instance        string // tells this process's notifications from the others'
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
	d := db.dialect()
	db.Store = sqlstore.New(sdb, sdb, d)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open postgres store %s: cannot connect (is PostgreSQL running there, and are the host, port, user, password and database of the URL right?): %w",
			where(cfg), d.Classify(err))
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

type migration = sqlstore.Migration

// migrations returns the embedded migrations.
func migrations() ([]migration, error) { return sqlstore.ReadMigrations(migrationFS, "migrations") }

// migrationLock is the advisory lock key that serializes migrations between processes.
const migrationLock = 0x1a3_2ef_0001

// migrate applies the migrations (versions 1…len(ms)) the database lacks, each in its own
// transaction holding the migration lock, and records them in schema_migrations.
func (db *DB) migrate(ctx context.Context, ms []migration) error {
	err := sqlstore.InTx(ctx, db.Store, func(tx *sqlstore.Tx) error {
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
		err := sqlstore.InTx(ctx, db.Store, func(tx *sqlstore.Tx) error {
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
			if latest >= m.Version {
				return nil
			}
			return m.Apply(ctx, tx)
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// changesChannel is the NOTIFY channel of committed mutations; the payload is
// "<instance> <org>".
const changesChannel = "iamref_changes"

// dialect is PostgreSQL's: concurrent writers lock what they check (advisory locks, FOR
// UPDATE), and every mutation notifies the other replicas (Subscribe) on commit.
func (db *DB) dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Engine:      sqlstore.PostgreSQL,
		Unavailable: unavailable,
		Conflict: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
		},
		Lock: func(ctx context.Context, tx *sqlstore.Tx, key string) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?::text, 0))`, key)
			return err
		},
		Changed: func(ctx context.Context, tx *sqlstore.Tx, org string) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, changesChannel, db.instance+" "+org)
			return err
		},
		CleanText: true,
	}
}

// unavailable reports the errors that say the database cannot serve now (no connection, shutting
// down or starting up, out of connections or disk, read-only).
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
