package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

const entityCols = `id, org, kind, project, name, tags, created, modified`

// kindColumn is the stored spelling of an entity's kind: its String, for the kinds of
// authz.EntityKinds only.
func kindColumn(k authz.EntityKind) (string, error) {
	if !slices.Contains(authz.EntityKinds[:], k) {
		return "", fmt.Errorf("%s is not an entity kind", k)
	}
	return k.String(), nil
}

// parseKind reads a stored kind strictly: an unknown or non-canonical spelling is an error.
func parseKind(col string) (authz.EntityKind, error) {
	k, err := authz.ParseEntityKind(col)
	if err != nil {
		return 0, err
	}
	if canonical, err := kindColumn(k); err != nil || canonical != col {
		return 0, fmt.Errorf("stored entity kind %q is not one of %v", col, authz.EntityKinds)
	}
	return k, nil
}

func scanEntity(s scanner) (store.Entity, error) {
	var e store.Entity
	var kind, tags string
	var created, modified int64
	if err := s.Scan(&e.ID, &e.Org, &kind, &e.Project, &e.Name, &tags, &created, &modified); err != nil {
		return e, err
	}
	var err error
	if e.Kind, err = parseKind(kind); err != nil {
		return e, fmt.Errorf("entity %q: %w", e.ID, err)
	}
	e.Created, e.Modified = fromMicros(created), fromMicros(modified)
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		return e, fmt.Errorf("entity %q tags: %w", e.ID, err)
	}
	if e.Tags == nil {
		e.Tags = map[string]string{}
	}
	return e, nil
}

func encodeTags(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(tags) // a map[string]string always marshals
	return string(b)
}

func (db *DB) CreateEntity(ctx context.Context, e store.Entity) error {
	kind, err := kindColumn(e.Kind)
	if err == nil {
		err = db.mutate(ctx, e.Org, func(tx *txn) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO entities (`+entityCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, e.Org, kind, e.Project, e.Name, encodeTags(e.Tags), micros(e.Created), micros(e.Modified))
			return dbErr(err)
		})
	}
	if err != nil {
		return fmt.Errorf("create %s %q: %w", e.Kind, entityName(e.Project, e.Name), err)
	}
	return nil
}

func entityName(project, name string) string {
	if project == "" {
		return name
	}
	return project + "/" + name
}

func (db *DB) GetEntity(ctx context.Context, org string, kind authz.EntityKind, project, name string) (store.Entity, error) {
	e, err := queryOne(ctx, db.r, scanEntity, `SELECT `+entityCols+` FROM entities
		WHERE org = ? AND kind = ? AND project = ? AND name = ?`, org, kind.String(), project, name)
	if err != nil {
		return store.Entity{}, fmt.Errorf("get %s %q: %w", kind, entityName(project, name), err)
	}
	return e, nil
}

func (db *DB) GetEntityByID(ctx context.Context, org, id string) (store.Entity, error) {
	e, err := queryOne(ctx, db.r, scanEntity, `SELECT `+entityCols+` FROM entities WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Entity{}, fmt.Errorf("get entity %q: %w", id, err)
	}
	return e, nil
}

func (db *DB) ListEntities(ctx context.Context, org string, kind authz.EntityKind, project string) ([]store.Entity, error) {
	var es []store.Entity
	var err error
	if project == "" {
		es, err = queryAll(ctx, db.r, scanEntity, `SELECT `+entityCols+` FROM entities
			WHERE org = ? AND kind = ? ORDER BY project, name`, org, kind.String())
	} else {
		es, err = queryAll(ctx, db.r, scanEntity, `SELECT `+entityCols+` FROM entities
			WHERE org = ? AND kind = ? AND project = ? ORDER BY name`, org, kind.String(), project)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s entities of org %q: %w", kind, org, err)
	}
	return es, nil
}

func (db *DB) UpdateEntityTags(ctx context.Context, org, id string, tags map[string]string, at time.Time) (store.Entity, error) {
	var e store.Entity
	err := db.mutate(ctx, org, func(tx *txn) error {
		var err error
		e, err = scanEntity(tx.QueryRowContext(ctx, `UPDATE entities SET tags = ?, modified = ? WHERE org = ? AND id = ?
			RETURNING `+entityCols, encodeTags(tags), micros(at), org, id))
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

func (db *DB) DeleteEntity(ctx context.Context, org, id string) error {
	err := db.mutate(ctx, org, func(tx *txn) error {
		return execOneTx(ctx, tx, `DELETE FROM entities WHERE org = ? AND id = ?`, org, id)
	})
	if err != nil {
		return fmt.Errorf("delete entity %q: %w", id, err)
	}
	return nil
}
