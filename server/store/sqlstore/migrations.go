package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/iamref/iam/server/store/sqlrows"
)

// Migration is one schema change of an engine, read from its NNNN_description.sql file.
type Migration struct {
	Version int
	Name    string
	SQL     string
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
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	return ms, nil
}

// Apply runs m in tx and records it in schema_migrations.
func (m Migration) Apply(ctx context.Context, tx *Tx) error {
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.Version, sqlrows.Micros(time.Now()))
	return err
}
