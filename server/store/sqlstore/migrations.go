package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

// Migration is one schema change of an engine, read from its NNNN_description.sql file.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// Go, if set, runs in the same transaction after SQL: a step SQL cannot express, the same
	// on every engine (goSteps).
	Go func(ctx context.Context, tx *Tx) error
}

// goSteps are the Go steps of the migrations, by version.
var goSteps = map[int]func(ctx context.Context, tx *Tx) error{
	8: backfillDisplayKeys,
}

// ReadMigrations reads the migrations in directory dir of fsys (an engine's embedded files),
// which must be named NNNN_description.sql and numbered 1, 2, 3, … without gaps. Each engine
// keeps its own files and applies them its own way; the numbers are the same for all engines.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for i, e := range entries { // ReadDir sorts by name
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %q: want a name starting with %04d_", e.Name(), i+1)
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b), Go: goSteps[v]})
	}
	return ms, nil
}

// Apply runs m in tx and records it in schema_migrations.
func (m Migration) Apply(ctx context.Context, tx *Tx) error {
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if m.Go != nil {
		if err := m.Go(ctx, tx); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.Version, sqlrows.Micros(time.Now()))
	return err
}

// backfillDisplayKeys gives the records stored before migration 0008 their display key
// (store.DisplayKey). Where records of one org and uxPurpose already share a key, the first in
// the order built-ins, then oldest (then ID) gets it and the others keep NULL: the upgrade
// does not fail, those records stay as they are (listed, usable), and a later create or rename
// to their key is refused against the first.
func backfillDisplayKeys(ctx context.Context, tx *Tx) error {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, org, ux_purpose, name FROM records
		ORDER BY org, ux_purpose, CASE WHEN default_identifier = '' THEN 1 ELSE 0 END, created, id`)
	if err != nil {
		return tx.d.Classify(err)
	}
	type row struct{ id, key string }
	var keyed []row
	seen := map[[3]string]bool{}
	for rows.Next() {
		var id, org, purpose, name string
		if err := rows.Scan(&id, &org, &purpose, &name); err != nil {
			rows.Close()
			return tx.d.Classify(err)
		}
		k := [3]string{org, purpose, store.DisplayKey(name)}
		if seen[k] {
			continue // clashes with an earlier record: stays NULL
		}
		seen[k] = true
		keyed = append(keyed, row{id, k[2]})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return tx.d.Classify(err)
	}
	return tx.execEach(ctx, `UPDATE records SET display_key = ? WHERE id = ?`, len(keyed), func(i int) []any {
		return []any{keyed[i].key, keyed[i].id}
	})
}
