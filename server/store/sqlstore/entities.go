package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

func (db *Store) CreateEntity(ctx context.Context, e store.Entity) error {
	kind, err := sqlrows.KindColumn(e.Kind)
	if err == nil {
		err = db.mutate(ctx, e.Org, func(tx *Tx) error {
			if err := db.admit(ctx, tx, e.Org, store.LimitEntities); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO entities (`+sqlrows.EntityCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, e.Org, kind, e.Project, e.Name, sqlrows.EncodeTags(e.Tags), sqlrows.Micros(e.Created), sqlrows.Micros(e.Modified))
			return db.dbErr(err)
		})
	}
	if err != nil {
		return fmt.Errorf("create %s %q: %w", e.Kind, sqlrows.EntityName(e.Project, e.Name), err)
	}
	return nil
}

func (db *Store) GetEntity(ctx context.Context, org string, kind authz.EntityKind, project, name string) (store.Entity, error) {
	e, err := queryOne(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities
		WHERE org = ? AND kind = ? AND project = ? AND name = ?`, org, kind.String(), project, name)
	if err != nil {
		return store.Entity{}, fmt.Errorf("get %s %q: %w", kind, sqlrows.EntityName(project, name), err)
	}
	return e, nil
}

func (db *Store) GetEntityByID(ctx context.Context, org, id string) (store.Entity, error) {
	e, err := queryOne(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Entity{}, fmt.Errorf("get entity %q: %w", id, err)
	}
	return e, nil
}

// maxRefsPerQuery bounds the refs of one LookupEntities query (two parameters each by name).
const maxRefsPerQuery = 250

func (db *Store) LookupEntities(ctx context.Context, org string, refs []store.EntityRef) ([]store.Entity, error) {
	var ids []string
	byName := map[authz.EntityKind][]store.EntityRef{}
	for _, r := range refs {
		if r.ID != "" {
			ids = append(ids, r.ID)
		} else {
			byName[r.Kind] = append(byName[r.Kind], r)
		}
	}
	var out []store.Entity
	seen := map[string]bool{}
	add := func(es []store.Entity) {
		for _, e := range es {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	for chunk := range slices.Chunk(ids, maxRefsPerQuery) {
		args := []any{org}
		for _, id := range chunk {
			args = append(args, id)
		}
		// ORed equalities, not IN: PostgreSQL hashes a long IN list and scans every entity
		// of the org with it (0.9 ms at 5,000 entities, TestLookupEntitiesUsesIndex) where
		// the ORs are one primary-key probe each.
		es, err := queryAll(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities
			WHERE org = ? AND (id = ?`+strings.Repeat(" OR id = ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("look up %d entities by ID: %w", len(chunk), err)
		}
		add(es)
	}
	for kind, named := range byName {
		for chunk := range slices.Chunk(named, maxRefsPerQuery) {
			args := []any{org, kind.String()}
			for _, r := range chunk {
				args = append(args, r.Project, r.Name)
			}
			// One equality pair per ref, ORed: both engines probe the (org, kind, project,
			// name) index once per pair (SQLite's multi-index OR, PostgreSQL's BitmapOr). A
			// row-value IN over VALUES planned a hash join over every entity of the org on
			// PostgreSQL, 1.5 ms per query at 10,000 entities.
			es, err := queryAll(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities
				WHERE org = ? AND kind = ? AND ((project = ? AND name = ?)`+strings.Repeat(" OR (project = ? AND name = ?)", len(chunk)-1)+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("look up %d %s entities by name: %w", len(chunk), kind, err)
			}
			add(es)
		}
	}
	return out, nil
}

func (db *Store) ListEntities(ctx context.Context, org string, kind authz.EntityKind, project string) ([]store.Entity, error) {
	var es []store.Entity
	var err error
	if project == "" {
		es, err = queryAll(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities
			WHERE org = ? AND kind = ? ORDER BY project, name`, org, kind.String())
	} else {
		es, err = queryAll(ctx, db.r, sqlrows.ScanEntity, `SELECT `+sqlrows.EntityCols+` FROM entities
			WHERE org = ? AND kind = ? AND project = ? ORDER BY name`, org, kind.String(), project)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s entities of org %q: %w", kind, org, err)
	}
	return es, nil
}

func (db *Store) UpdateEntityTags(ctx context.Context, org, id string, tags map[string]string, at time.Time) (store.Entity, error) {
	var e store.Entity
	err := db.mutate(ctx, org, func(tx *Tx) error {
		var err error
		e, err = sqlrows.ScanEntity(tx.QueryRowContext(ctx, `UPDATE entities SET tags = ?, modified = ? WHERE org = ? AND id = ?
			RETURNING `+sqlrows.EntityCols, sqlrows.EncodeTags(tags), sqlrows.Micros(at), org, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Entity{}, fmt.Errorf("update tags of entity %q: %w", id, err)
	}
	return e, nil
}

func (db *Store) DeleteEntity(ctx context.Context, org, id string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `DELETE FROM entities WHERE org = ? AND id = ?`, org, id)
	})
	if err != nil {
		return fmt.Errorf("delete entity %q: %w", id, err)
	}
	return nil
}
