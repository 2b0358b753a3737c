package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

func (db *Store) CreateGuardrail(ctx context.Context, g store.Guardrail) error {
	if g.Version != 1 {
		return fmt.Errorf("create guardrail %q: version is %d, want 1", g.Name, g.Version)
	}
	err := db.mutate(ctx, g.Org, func(tx *Tx) error {
		if err := db.admit(ctx, tx, g.Org, store.LimitGuardrails); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO guardrails (`+sqlrows.GuardrailCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.Org, g.Name, g.Description, sqlrows.EncodeRefs(g.Actions), g.Condition, sqlrows.EncodeRefs(g.ExemptRoles),
			g.Version, sqlrows.Micros(g.Created), sqlrows.Micros(g.Modified), g.CreatedBy)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create guardrail %q: %w", g.Name, err)
	}
	return nil
}

func (db *Store) GetGuardrail(ctx context.Context, org, id string) (store.Guardrail, error) {
	g, err := queryOne(ctx, db.r, sqlrows.ScanGuardrail, `SELECT `+sqlrows.GuardrailCols+` FROM guardrails WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Guardrail{}, fmt.Errorf("get guardrail %q: %w", id, err)
	}
	return g, nil
}

func (db *Store) ListGuardrails(ctx context.Context, org string) ([]store.Guardrail, error) {
	gs, err := queryAll(ctx, db.r, sqlrows.ScanGuardrail, `SELECT `+sqlrows.GuardrailCols+` FROM guardrails WHERE org = ? ORDER BY name`, org)
	if err != nil {
		return nil, fmt.Errorf("list guardrails of org %q: %w", org, err)
	}
	return gs, nil
}

func (db *Store) UpdateGuardrail(ctx context.Context, g store.Guardrail, expectedVersion int) error {
	err := db.mutate(ctx, g.Org, func(tx *Tx) error {
		if g.Version == expectedVersion+1 {
			res, err := tx.ExecContext(ctx, `UPDATE guardrails SET name = ?, description = ?, actions = ?, condition = ?,
				exempt_roles = ?, version = ?, modified = ? WHERE org = ? AND id = ? AND version = ?`,
				g.Name, g.Description, sqlrows.EncodeRefs(g.Actions), g.Condition, sqlrows.EncodeRefs(g.ExemptRoles), g.Version,
				sqlrows.Micros(g.Modified), g.Org, g.ID, expectedVersion)
			if err != nil {
				return db.dbErr(err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 1 {
				return err
			}
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM guardrails WHERE org = ? AND id = ?`, g.Org, g.ID).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: stored version is %d, expected %d, new %d", store.ErrVersionConflict, v, expectedVersion, g.Version)
	})
	if err != nil {
		return fmt.Errorf("update guardrail %q: %w", g.ID, err)
	}
	return nil
}

func (db *Store) DeleteGuardrail(ctx context.Context, org, id string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `DELETE FROM guardrails WHERE org = ? AND id = ?`, org, id)
	})
	if err != nil {
		return fmt.Errorf("delete guardrail %q: %w", id, err)
	}
	return nil
}
