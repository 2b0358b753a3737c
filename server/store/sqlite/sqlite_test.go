package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
	"github.com/iamref/iam/server/store/sqlstore"
	"github.com/iamref/iam/server/store/storetest"
)

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "iam.db")
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openTemp(t)
		return db
	})
}

func TestOpenErrors(t *testing.T) {
	for _, path := range []string{"", ":memory:", filepath.Join(t.TempDir(), "missing-dir", "iam.db")} {
		if db, err := Open(path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestFileMode(t *testing.T) {
	db, path := openTemp(t)
	defer db.Close()
	if _, _, err := db.EnsureOrg(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), m)
		}
	}
}

func TestBadInput(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	if _, err := db.ListTokens(t.Context(), "acme", store.TokenFilter(99), time.Now()); err == nil {
		t.Error("ListTokens with an unknown filter succeeded")
	}
	if err := db.CreateRecord(t.Context(), store.Record{ID: "r", Org: "acme", Name: "r"}); err == nil {
		t.Error("CreateRecord with Version 0 succeeded")
	}
}

// TestOpenOddPath checks the path is escaped into the connection URI.
func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b?c#d%e&f.db")
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if _, _, err := db.EnsureOrg(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := db.r.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("database file is %q, want %q", file, path)
	}
}

// TestPragmas checks every pooled connection, reader and writer, got the DSN's pragmas.
func TestPragmas(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": fmt.Sprint(busyTimeout.Milliseconds()),
	}
	check := func(name string, c *sql.Conn, queryOnly string) {
		t.Helper()
		want["query_only"] = queryOnly
		for pragma, w := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != w {
				t.Errorf("%s: PRAGMA %s = %q, want %q", name, pragma, got, w)
			}
		}
	}
	wc, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("writer", wc, "0")
	wc.Close()

	// Hold several read connections at once so the pool has to open new ones.
	var conns []*sql.Conn
	for i := range 4 {
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		check(fmt.Sprint("reader ", i), c, "1")
	}
	for _, c := range conns {
		c.Close()
	}
	if _, err := db.r.ExecContext(ctx, `DELETE FROM orgs`); err == nil {
		t.Error("a write through the read pool succeeded")
	}
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, path := openTemp(t)
	applied := func(db *DB) map[int]int64 {
		t.Helper()
		rows, err := db.r.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[int]int64{}
		for rows.Next() {
			var v int
			var at int64
			if err := rows.Scan(&v, &at); err != nil {
				t.Fatal(err)
			}
			m[v] = at
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := applied(db)
	if len(first) != len(ms) {
		t.Errorf("applied migrations %v, want versions 1…%d", first, len(ms))
	}
	for v, at := range first {
		if v < 1 || v > len(ms) || at == 0 {
			t.Errorf("schema_migrations row (%d, %d)", v, at)
		}
	}
	db.Close()

	// Reopening applies nothing again.
	db, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if again := applied(db); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("after reopen schema_migrations = %v, want %v", again, first)
	}

	// A database from a newer binary is refused.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 1)`, len(ms)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			db.Close()
		}
		t.Errorf("Open of a newer schema: %v, want an error", err)
	}
}

// TestMigrateOnlyMissing applies a list of migrations in two steps: the second run must apply
// only the new one (re-running the first would fail on CREATE TABLE).
func TestMigrateOnlyMissing(t *testing.T) {
	ctx := t.Context()
	w, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), false))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ms := []migration{
		{Version: 1, Name: "0001_a.sql", SQL: `CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);`},
		{Version: 2, Name: "0002_b.sql", SQL: `CREATE TABLE b (y INTEGER); INSERT INTO b SELECT x + 1 FROM a;`},
		{Version: 3, Name: "0003_bad.sql", SQL: `CREATE TABLE c (z INTEGER); INSERT INTO nope VALUES (1);`},
	}
	if err := migrate(ctx, w, ms[:1]); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, w, ms[:2]); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var y int
	if err := w.QueryRowContext(ctx, `SELECT y FROM b`).Scan(&y); err != nil || y != 2 {
		t.Errorf("table b: %d, %v", y, err)
	}
	// A failing migration is rolled back whole and not recorded.
	if err := migrate(ctx, w, ms); err == nil || !strings.Contains(err.Error(), "0003_bad.sql") {
		t.Errorf("bad migration: %v", err)
	}
	var n int
	if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'c'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table c of the failed migration exists: %d, %v", n, err)
	}
	if err := w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&n); err != nil || n != 2 {
		t.Errorf("schema version %d, %v; want 2", n, err)
	}
}

// TestReopen checks that everything written is there after close and reopen.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	db, path := openTemp(t)
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	org, _, err := db.EnsureOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	r := store.Record{ID: "r1", Org: "acme", Name: "role", UXPurpose: "role", Details: []byte(`{}`), Refs: []string{"x"}, Version: 1, Created: at, Modified: at}
	tk := store.Token{ID: "t1", Org: "acme", Name: "ci", Hash: []byte("hash"), Created: at}
	e := store.Entity{ID: "e1", Org: "acme", Kind: authz.KindStack, Project: "p", Name: "s", Tags: map[string]string{"k": "v"}, Created: at}
	for _, err := range []error{
		db.SetDefaultRole(ctx, "acme", "r1"),
		db.CreateRecord(ctx, r),
		db.CreateToken(ctx, tk),
		db.TouchTokens(ctx, map[string]int64{"t1": 42}),
		db.CreateEntity(ctx, e),
		db.AppendAudit(ctx, store.AuditEvent{Org: "acme", Time: at, Action: "stack:read"}),
		func() error {
			_, _, err := db.PutIdempotent(ctx, store.Idempotent{Org: "acme", Principal: "t1", Key: "k", Body: []byte("body"), Created: at})
			return err
		}(),
		db.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	db, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if got, err := db.GetOrg(ctx, "acme"); err != nil || got.ID != org.ID || got.DefaultRoleID != "r1" {
		t.Errorf("org after reopen: %+v, %v", got, err)
	}
	if got, err := db.GetRecord(ctx, "acme", "r1"); err != nil || got.Name != "role" || !got.Created.Equal(at) {
		t.Errorf("record after reopen: %+v, %v", got, err)
	}
	if rs, err := db.Referrers(ctx, "acme", "x"); err != nil || len(rs) != 1 {
		t.Errorf("referrers after reopen: %+v, %v", rs, err)
	}
	if got, err := db.TokenByHash(ctx, []byte("hash")); err != nil || got.ID != "t1" || got.LastUsed != 42 {
		t.Errorf("token after reopen: %+v, %v", got, err)
	}
	if got, err := db.GetEntityByID(ctx, "acme", "e1"); err != nil || got.Tags["k"] != "v" {
		t.Errorf("entity after reopen: %+v, %v", got, err)
	}
	if evs, err := db.ListAudit(ctx, store.AuditQuery{Org: "acme"}); err != nil || len(evs) != 1 || evs[0].Action != "stack:read" {
		t.Errorf("audit after reopen: %+v, %v", evs, err)
	}
	if got, err := db.GetIdempotent(ctx, "acme", "t1", "k"); err != nil || string(got.Body) != "body" {
		t.Errorf("idempotency entry after reopen: %+v, %v", got, err)
	}
}

func TestCanceledContext(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.CreateToken(ctx, store.Token{ID: "t1", Org: "acme", Name: "ci", Hash: []byte("h")}); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateToken with a canceled context: %v", err)
	}
	if err := db.AppendAudit(ctx, store.AuditEvent{Org: "acme"}); !errors.Is(err, context.Canceled) {
		t.Errorf("AppendAudit with a canceled context: %v", err)
	}
	if _, err := db.GetToken(ctx, "acme", "t1"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetToken with a canceled context: %v", err)
	}
	if _, err := db.GetToken(t.Context(), "acme", "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token created under a canceled context: %v", err)
	}
}

// TestWriterWaitRespectsContext checks that writes wait for the single writer connection rather than fail, and
// that a wait respects its context.
func TestWriterWaitRespectsContext(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	tx, err := db.w.BeginTx(t.Context(), nil) // occupy the writer
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := db.CreateToken(ctx, store.Token{ID: "t1", Org: "acme", Name: "ci", Hash: []byte("h")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateToken while the writer is busy: %v, want DeadlineExceeded", err)
	}
}

func newToken(i int64) store.Token {
	return store.Token{
		ID:      fmt.Sprint("tok-", i),
		Org:     "bench",
		Name:    fmt.Sprint("token-", i),
		Hash:    []byte(fmt.Sprintf("%032d", i)),
		RoleID:  "role-1",
		Created: time.Now(),
	}
}

func BenchmarkCreateToken(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		db, _ := openTemp(b)
		defer db.Close()
		var i int64
		for b.Loop() {
			i++
			if err := db.CreateToken(ctx, newToken(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	})
	b.Run("parallel", func(b *testing.B) {
		db, _ := openTemp(b)
		defer db.Close()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.CreateToken(ctx, newToken(n.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	})
}

func BenchmarkTokenByHash(b *testing.B) {
	ctx := context.Background()
	const tokens = 10_000
	db, _ := openTemp(b)
	defer db.Close()
	err := sqlstore.InTx(ctx, db.Store, func(tx *sqlstore.Tx) error {
		for i := range int64(tokens) {
			t := newToken(i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+sqlrows.TokenCols+`) VALUES (?, ?, ?, '', ?, 0, ?, 0, ?, '', 0, 0, 0, '', '', '', '')`,
				t.ID, t.Org, t.Name, t.Hash, t.RoleID, sqlrows.Micros(t.Created)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		var i int64
		for b.Loop() {
			i++
			if _, err := db.TokenByHash(ctx, newToken(i%tokens).Hash); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.TokenByHash(ctx, newToken(n.Add(1)%tokens).Hash); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestUnknownStoredKind: an entity row whose kind this version does not know (or spells in a
// non-canonical way) is an error on every read, never read as some default kind.
func TestUnknownStoredKind(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	defer db.Close()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	for i, kind := range []string{"team", "global", "org", "insights_account", ""} {
		id := fmt.Sprintf("e%d", i)
		if _, err := db.w.ExecContext(ctx, `INSERT INTO entities (`+sqlrows.EntityCols+`) VALUES (?, 'acme', ?, 'p', ?, '{}', 0, 0)`, id, kind, id); err != nil {
			t.Fatal(err)
		}
		if e, err := db.GetEntityByID(ctx, "acme", id); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEntityByID of stored kind %q = %+v, %v; want an error", kind, e, err)
		}
	}
}

// upgradedFrom writes a database file with the first n migrations applied and seed (SQL) run
// on it, then opens it with Open, which applies the rest: the store an upgrade leaves. The
// store is closed when the test ends.
func upgradedFrom(t *testing.T, n int, seed string) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), w, ms[:n]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	w.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open upgrades: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestUpgradeFromPhase1 opens a database written by the Phase 1 schema (migration 1 only):
// migration 2 rebuilds the tokens table, and the org tokens it held keep working, as
// organization tokens, with their names still reserved.
func TestUpgradeFromPhase1(t *testing.T) {
	ctx := t.Context()
	db := upgradedFrom(t, 1, `INSERT INTO tokens (id, org, name, description, hash, admin, role_id,
		expires, created, created_by, last_used, deleted, deleted_at)
		VALUES ('t1', 'acme', 'ci', 'd', x'01', 0, 'r1', 0, 5, 'alice', 7, 0, 0),
		       ('t2', 'acme', 'old', 'd', x'02', 1, '', 0, 6, 'alice', 0, 1, 9)`)
	tok, err := db.TokenByHash(ctx, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID != "t1" || tok.Kind != store.TokenOrganization || tok.RoleID != "r1" || tok.LastUsed != 7 || tok.CreatedBy != "alice" {
		t.Errorf("token after upgrade: %+v", tok)
	}
	toks, err := db.ListTokens(ctx, "acme", store.TokensAll, time.Now())
	if err != nil || len(toks) != 1 || toks[0].ID != "t1" {
		t.Errorf("ListTokens after upgrade: %v, %v", toks, err)
	}
	err = db.CreateToken(ctx, store.Token{ID: "t3", Org: "acme", Name: "old", Hash: []byte{3}, Kind: store.TokenTeam, TeamID: "x"})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("a team token named like a deleted Phase 1 token: %v, want a conflict", err)
	}
}

// TestReadOnlyUnavailable: a write the database refuses as read-only (query_only here; a
// read-only file or file system gives the same SQLITE_READONLY) is store.ErrUnavailable (503)
// and leaves nothing written, neither the change nor its audit record.
func TestReadOnlyUnavailable(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `PRAGMA query_only = ON`); err != nil {
		t.Fatal(err)
	}
	m := store.NewMutationAudit(func() store.AuditEvent { return store.AuditEvent{Org: "acme", Action: "org_token:create"} })
	err := db.CreateToken(store.WithAudit(ctx, m), store.Token{ID: "t1", Org: "acme", Name: "n", Hash: []byte("h"), Created: time.Now()})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("CreateToken on a read-only database: %v, want ErrUnavailable", err)
	}
	if _, ok := m.Committed(); ok {
		t.Error("the audit record counts as committed")
	}
	if _, err := db.w.ExecContext(ctx, `PRAGMA query_only = OFF`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetToken(ctx, "acme", "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetToken after the refused create: %v, want ErrNotFound", err)
	}
	if evs, err := db.ListAudit(ctx, store.AuditQuery{Org: "acme"}); err != nil || len(evs) != 0 {
		t.Errorf("audit after the refused create: %d events, %v; want none", len(evs), err)
	}
}

// TestTagIndexBackfill: entities stored before migration 0006 are in the tag index after it.
func TestTagIndexBackfill(t *testing.T) {
	ctx := t.Context()
	db := upgradedFrom(t, 5, `INSERT INTO entities (id, org, kind, project, name, tags, created, modified)
		VALUES ('s1', 'acme', 'stack', 'p', 'prod', '{"env":"prod","team":"pay"}', 0, 0),
		       ('s2', 'acme', 'stack', 'p', 'dev', '{"env":"dev"}', 0, 0),
		       ('s3', 'acme', 'stack', 'p', 'bare', '{}', 0, 0)`)
	es, err := db.ListEntitiesByTags(ctx, "acme", authz.KindStack, "", map[string]string{"env": "prod", "team": "pay"}, nil, 10)
	if err != nil || len(es) != 1 || es[0].ID != "s1" {
		t.Fatalf("after the upgrade: %v %v", es, err)
	}
}

// TestDisplayKeyBackfill: migration 0008 gives the records stored before it their display key.
// Records that already clash do not fail the upgrade: the first (built-ins first, then the
// oldest) holds the key, the others keep none until they are renamed, and a new create or
// rename into the key is refused.
func TestDisplayKeyBackfill(t *testing.T) {
	ctx := t.Context()
	db := upgradedFrom(t, 7, `INSERT INTO records (`+sqlrows.RecordCols+`) VALUES
		('r1', 'acme', 'Admin',  '', 'global', 'role', x'7b7d', '[]', 1, 100, 100, 0, ''),
		('r2', 'acme', 'admin',  '', 'global', 'role', x'7b7d', '[]', 1, 200, 200, 0, ''),
		('r3', 'acme', 'ADMIN',  '', 'global', 'set',  x'7b7d', '[]', 1,  50,  50, 0, ''),
		('r4', 'acme', 'member', '', 'global', 'role', x'7b7d', '[]', 1, 300, 300, 1, 'member'),
		('r5', 'acme', 'Member', '', 'global', 'role', x'7b7d', '[]', 1,  10,  10, 0, '')`)
	want := map[string]sql.NullString{"r1": {String: "admin", Valid: true}, "r2": {}, "r3": {String: "admin", Valid: true},
		"r4": {String: "member", Valid: true}, "r5": {}}
	for id, k := range want {
		var got sql.NullString
		if err := db.w.QueryRowContext(ctx, `SELECT display_key FROM records WHERE id = ?`, id).Scan(&got); err != nil || got != k {
			t.Errorf("display_key of %s: %v %v, want %v", id, got, err, k)
		}
	}
	rec := func(id, name string) store.Record {
		return store.Record{ID: id, Org: "acme", Name: name, ResourceType: "global", UXPurpose: "role", Details: []byte("{}"), Version: 1}
	}
	if err := db.CreateRecord(ctx, rec("n1", "ADMIN ")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create into the kept key: %v, want ErrConflict", err)
	}
	r2, err := db.GetRecord(ctx, "acme", "r2")
	if err != nil {
		t.Fatal(err)
	}
	r2.Description, r2.Version = "still clashing, still usable", 2
	if err := db.UpdateRecord(ctx, r2, 1); err != nil {
		t.Errorf("update of the keyless record keeping its name: %v", err)
	}
	r5, err := db.GetRecord(ctx, "acme", "r5")
	if err != nil {
		t.Fatal(err)
	}
	r5.Name, r5.Version = "MEMBER", 2
	if err := db.UpdateRecord(ctx, r5, 1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rename of the keyless record into the built-in's key: %v, want ErrConflict", err)
	}
	r2.Name, r2.Version = "Admin two", 3
	if err := db.UpdateRecord(ctx, r2, 2); err != nil {
		t.Errorf("rename of the keyless record out of the clash: %v", err)
	}
	if err := db.DeleteRecord(ctx, "acme", "r1"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRecord(ctx, rec("n2", "admin")); err != nil {
		t.Errorf("create into the key the delete freed: %v", err)
	}
}

// TestLimitBound: far below a limit the store answers from its stored upper bound
// (limit_counts) without counting; at the bound it counts and refuses on the true count. A
// token inserted behind the store's back (never done outside this test) shows which was used.
func TestLimitBound(t *testing.T) {
	ctx := t.Context()
	db, _ := openTemp(t)
	defer db.Close()
	limited := store.WithLimit(ctx, store.Limit{Kind: store.LimitTokens, Max: 3})
	tok := func(id string) store.Token {
		return store.Token{ID: id, Org: "acme", Name: id, Hash: []byte(id), Admin: true, Created: time.Now()}
	}
	if err := db.CreateToken(limited, tok("t1")); err != nil { // counts: 0; bound 1
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO tokens (`+sqlrows.TokenCols+`) VALUES ('x', 'acme', 'x', '', x'00', 1, '', 0, 0, '', 0, 0, 0, '', '', '', '')`); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(limited, tok("t2")); err != nil { // bound 1 < 3: admitted uncounted
		t.Fatal(err)
	}
	if err := db.CreateToken(limited, tok("t3")); err != nil { // bound 2 < 3: admitted (4 stored)
		t.Fatal(err)
	}
	var le *store.LimitError
	if err := db.CreateToken(limited, tok("t4")); !errors.As(err, &le) || le.Count != 4 {
		t.Fatalf("create at the bound: %v, want a *LimitError counting 4", err)
	}
}
