package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testpg"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlstore"
	"github.com/iamref/iam/server/store/storetest"
)

func open(t *testing.T, pg *testpg.Server) *DB {
	t.Helper()
	db, err := Open(pg.NewDatabase(t))
	if err != nil {
		t.Fatalf("Open: %v\n%s", err, pg.Log())
	}
	return db
}

// TestStore runs the conformance suite, each case on a new database whose default collation
// is a natural language's (ICU en-US, as most installations have, unlike the test cluster's
// C): orders and pages must not depend on it.
func TestStore(t *testing.T) {
	pg := testpg.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(pg.NewDatabaseWith(t, "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}

// TestMigrateConcurrently opens one database from four stores at once (as replicas starting
// together do): the
// migrations apply once and every store works.
func TestMigrateConcurrently(t *testing.T) {
	pg := testpg.Start(t)
	url := pg.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	dbs := make([]*DB, 4)
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var n int
	if err := dbs[0].sql.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if ms, _ := migrations(); n != len(ms) {
		t.Errorf("schema_migrations holds %d versions, want %d", n, len(ms))
	}
	if _, _, err := dbs[3].EnsureOrg(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, url := range []string{"postgres://u:secret@127.0.0.1:1/x?connect_timeout=1", "postgres://u:secret@[bad"} {
		_, err := Open(url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", url)
		}
		if msg := err.Error(); strings.Contains(msg, "secret") {
			t.Errorf("Open(%q) error shows the password: %s", url, msg)
		}
	}
	if _, err := Open("postgres://u@127.0.0.1:1/x?connect_timeout=1"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a closed port: %v, want ErrUnavailable", err)
	}
}

// TestSubscribe: a mutation through one store is reported to a subscriber of another store
// on the same database, for its org only, and not to the writing store's own subscriber.
func TestSubscribe(t *testing.T) {
	pg := testpg.Start(t)
	url := pg.NewDatabase(t)
	a, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	gotB, gotA, gotOther := make(chan struct{}, 10), make(chan struct{}, 10), make(chan struct{}, 10)
	b.Subscribe(ctx, "acme", func() { gotB <- struct{}{} })
	b.Subscribe(ctx, "globex", func() { gotOther <- struct{}{} })
	a.Subscribe(ctx, "acme", func() { gotA <- struct{}{} })
	time.Sleep(300 * time.Millisecond) // LISTEN in place
	if _, _, err := a.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.SetDefaultRole(ctx, "acme", "r1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gotB:
		t.Logf("notified after %v", time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("the other store's subscriber was not notified within 2 s")
	}
	select {
	case <-gotA:
		t.Error("the writing store's own subscriber was notified")
	case <-gotOther:
		t.Error("a subscriber of another org was notified")
	case <-time.After(200 * time.Millisecond):
	}
	// A failed mutation (rolled back) notifies nobody.
	if err := a.SetDefaultRole(ctx, "nope", "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetDefaultRole of a missing org: %v", err)
	}
	select {
	case <-gotB:
		t.Error("a rolled-back mutation was notified")
	case <-time.After(300 * time.Millisecond):
	}
}

// TestUnavailable: with the database stopped, calls fail fast with ErrUnavailable; once it is
// back, the same store works again, and a subscriber resynchronizes (is called) after its
// connection came back.
func TestUnavailable(t *testing.T) {
	pg := testpg.Start(t)
	db := open(t, pg)
	defer db.Close()
	ctx := t.Context()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	resync := make(chan struct{}, 10)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	db.Subscribe(sctx, "acme", func() { resync <- struct{}{} })
	time.Sleep(200 * time.Millisecond)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := db.GetOrg(ctx, "acme")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("GetOrg with the database down: %v, want ErrUnavailable", err)
	}
	if err := db.SetDefaultRole(ctx, "acme", "x"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("SetDefaultRole with the database down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing took %v, want fast", d)
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err = db.GetOrg(ctx, "acme"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-resync:
	case <-time.After(5 * time.Second):
		t.Error("subscriber was not called after its connection came back")
	}
}

// TestReadOnlyDatabase: a database that turned read-only (a standby after a failover, or
// default_transaction_read_only) refuses writes with ErrUnavailable (503) and nothing is
// written; reads still work, and writes again once it is writable.
func TestReadOnlyDatabase(t *testing.T) {
	pg := testpg.Start(t)
	url := pg.NewDatabase(t)
	db, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	admin, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	setReadOnly := func(on bool) {
		t.Helper()
		if _, err := admin.sql.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s SET default_transaction_read_only = %v`,
			pgx.Identifier{dbName(t, url)}.Sanitize(), on)); err != nil {
			t.Fatal(err)
		}
		// The store's open connections end; the ones it opens next read the new setting.
		if _, err := admin.sql.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
	}
	setReadOnly(true)
	m := store.NewMutationAudit(func() store.AuditEvent { return store.AuditEvent{Org: "acme", Action: "org_token:create"} })
	tok := store.Token{ID: "t1", Org: "acme", Name: "n", Hash: []byte("h"), Created: time.Now()}
	var werr error
	for range 5 { // the first calls may meet terminated connections (also ErrUnavailable)
		if werr = db.CreateToken(store.WithAudit(ctx, m), tok); werr == nil || strings.Contains(werr.Error(), "read-only") {
			break
		}
	}
	if !errors.Is(werr, store.ErrUnavailable) || !strings.Contains(werr.Error(), "read-only") {
		t.Fatalf("CreateToken on a read-only database: %v, want ErrUnavailable saying read-only", werr)
	}
	if _, err := db.GetOrg(ctx, "acme"); err != nil {
		t.Errorf("GetOrg on a read-only database: %v", err)
	}
	setReadOnly(false)
	time.Sleep(1100 * time.Millisecond) // connections idle over 1 s are checked before reuse
	if _, err := db.GetToken(ctx, "acme", "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused token: %v, want ErrNotFound", err)
	}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Errorf("CreateToken once writable: %v", err)
	}
}

func dbName(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// TestDeletedMatchesPartialIndex: the shared queries test the tokens' deleted column as
// "deleted = false"; PostgreSQL must still prove the partial index tokens_exchanged (WHERE …
// NOT deleted) applies, so that pruning exchanged tokens stays an index scan.
func TestDeletedMatchesPartialIndex(t *testing.T) {
	pg := testpg.Start(t)
	db := open(t, pg)
	defer db.Close()
	ctx := t.Context()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, `EXPLAIN SELECT id FROM tokens
		WHERE org = 'acme' AND issuer_id <> '' AND deleted = false AND expires <> 0 AND expires < 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "tokens_exchanged") {
		t.Errorf("plan does not use tokens_exchanged:\n%s", plan.String())
	}
}

// TestDisplayKeyBackfill: a database at schema version 7 whose records already clash by display
// key upgrades (migration 0008): the built-in, then the oldest, keeps the key; the others keep
// none and stay usable; a new create into the key is refused.
func TestDisplayKeyBackfill(t *testing.T) {
	ctx := t.Context()
	pg := testpg.Start(t)
	url := pg.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	sdb := stdlib.OpenDB(*cfg)
	old := &DB{sql: sdb, cfg: cfg, instance: "old"}
	old.Store = sqlstore.New(sdb, sdb, old.dialect())
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := old.migrate(ctx, ms[:7]); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.ExecContext(ctx, `INSERT INTO records (id, org, name, description, resource_type, ux_purpose, details,
		refs, version, created, modified, is_org_default, default_identifier) VALUES
		('r1', 'acme', 'Admin',  '', 'global', 'role', '\x7b7d', '[]', 1, 100, 100, false, ''),
		('r2', 'acme', 'admin',  '', 'global', 'role', '\x7b7d', '[]', 1, 200, 200, false, ''),
		('r4', 'acme', 'member', '', 'global', 'role', '\x7b7d', '[]', 1, 300, 300, true, 'member'),
		('r5', 'acme', 'Member', '', 'global', 'role', '\x7b7d', '[]', 1,  10,  10, false, '')`); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	db, err := Open(url)
	if err != nil {
		t.Fatalf("Open upgrades: %v", err)
	}
	defer db.Close()
	var keyed []string
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM records WHERE display_key IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		keyed = append(keyed, id)
	}
	rows.Close()
	if fmt.Sprint(keyed) != "[r1 r4]" {
		t.Errorf("records holding their display key: %v, want [r1 r4]", keyed)
	}
	r := store.Record{ID: "n1", Org: "acme", Name: "ADMIN", ResourceType: "global", UXPurpose: "role", Details: []byte("{}"), Version: 1}
	if err := db.CreateRecord(ctx, r); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create into the kept key: %v, want ErrConflict", err)
	}
	r2, err := db.GetRecord(ctx, "acme", "r2")
	if err != nil {
		t.Fatal(err)
	}
	r2.Description, r2.Version = "still usable", 2
	if err := db.UpdateRecord(ctx, r2, 1); err != nil {
		t.Errorf("update of the keyless record keeping its name: %v", err)
	}
}

// TestLookupEntitiesUsesIndex: the access check's batched entity read probes the (org, kind,
// project, name) index and the primary key, never scans every entity of the org. Its first
// form (a row-value IN over VALUES) was planned as a hash join over a sequential scan, 1.5 ms
// per query at 10,000 entities. The plans are taken from auto_explain, which logs the plan of
// every statement the store's own connections run.
func TestLookupEntitiesUsesIndex(t *testing.T) {
	pg := testpg.Start(t)
	url := pg.NewDatabase(t)
	db, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, _, err := db.EnsureOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO entities (id, org, kind, project, name, tags, created, modified)
			SELECT 'id' || i, 'acme', 'stack', 'p' || (i % 50), 's' || i, '{}', 0, 0 FROM generate_series(1, 5000) AS i`,
		`ANALYZE entities`,
		`ALTER DATABASE ` + dbName(t, url) + ` SET session_preload_libraries = 'auto_explain'`,
		`ALTER DATABASE ` + dbName(t, url) + ` SET auto_explain.log_min_duration = 0`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	if db, err = Open(url); err != nil { // new connections: with auto_explain
		t.Fatal(err)
	}
	defer db.Close()
	var refs []store.EntityRef
	want := map[int]bool{} // entity i is id<i>, stack p<i%50>/s<i>
	for i := 1; i <= 120; i++ {
		refs = append(refs, store.EntityRef{Kind: authz.KindStack, Project: fmt.Sprint("p", i*7%50), Name: fmt.Sprint("s", i*7)},
			store.EntityRef{ID: fmt.Sprint("id", i*11)})
		want[i*7], want[i*11] = true, true
	}
	es, err := db.LookupEntities(ctx, "acme", refs)
	if err != nil || len(es) != len(want) {
		t.Fatalf("LookupEntities: %d entities, %v; want %d", len(es), err, len(want))
	}
	log := pg.Log()
	if !strings.Contains(log, "Bitmap Index Scan on entities") && !strings.Contains(log, "Index Scan using entities") {
		t.Fatalf("no plan of an entity lookup in the log:\n%.3000s", log)
	}
	if strings.Contains(log, "Seq Scan on entities") {
		t.Errorf("an entity lookup scans every entity:\n%.3000s", log[strings.Index(log, "Seq Scan on entities")-min(1500, strings.Index(log, "Seq Scan on entities")):])
	}
}
