package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

// writesState: every update kind but preview writes the stack's state.
func writesState(kind string) bool { return kind != "preview" }

func (db *Store) RenameEntity(ctx context.Context, org, id, project, name string, at time.Time) (store.Entity, error) {
	var e store.Entity
	err := db.mutate(ctx, org, func(tx *Tx) error {
		var err error
		e, err = sqlrows.ScanEntity(tx.QueryRowContext(ctx, `UPDATE entities SET project = ?, name = ?, modified = ? WHERE org = ? AND id = ?
			RETURNING `+sqlrows.EntityCols, project, name, sqlrows.Micros(at), org, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return db.dbErr(err)
	})
	if err != nil {
		return store.Entity{}, fmt.Errorf("rename entity %q: %w", id, err)
	}
	return e, nil
}

func (db *Store) CreateUpdate(ctx context.Context, u store.Update) error {
	err := db.mutate(ctx, u.Org, func(tx *Tx) error {
		if err := stackExists(ctx, tx, u.Org, u.StackID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO stack_updates (`+sqlrows.UpdateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Org, u.StackID, u.Kind, store.UpdateNotStarted, 0, u.TokenID, u.Actor, sqlrows.Blob(u.LeaseHash), u.LeaseExpires,
			sqlrows.Blob(u.Program), 0, sqlrows.Micros(u.Created), 0, 0)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create update of stack %q: %w", u.StackID, err)
	}
	return nil
}

// lockStack serializes the transactions that check a stack's running update and versions
// before writing (start, import) until this one ends, where the engine does not already.
func (db *Store) lockStack(ctx context.Context, tx *Tx, stackID string) error {
	return db.lock(ctx, tx, "iamref stack "+stackID)
}

func stackExists(ctx context.Context, tx *Tx, org, stackID string) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM entities WHERE org = ? AND id = ? AND kind = 'stack')`, org, stackID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return nil
}

func (db *Store) GetUpdate(ctx context.Context, org, id string) (store.Update, error) {
	u, err := queryOne(ctx, db.r, sqlrows.ScanUpdate, `SELECT `+sqlrows.UpdateCols+` FROM stack_updates WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Update{}, fmt.Errorf("get update %q: %w", id, err)
	}
	return u, nil
}

// runningWriter is the running update that writes the stack's state, "" if none.
func runningWriter(ctx context.Context, tx *Tx, stackID string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM stack_updates WHERE stack_id = ? AND status = ? AND kind != 'preview' LIMIT 1`,
		stackID, store.UpdateRunning).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// latestVersion is the stack's highest version written by an update or a checkpoint.
func (db *Store) latestVersion(ctx context.Context, tx *Tx, stackID string) (int, error) {
	var v int
	err := tx.QueryRowContext(ctx, `SELECT `+db.pick(`MAX`, `GREATEST`)+`(
		(SELECT COALESCE(MAX(version), 0) FROM stack_updates WHERE stack_id = ?),
		(SELECT COALESCE(MAX(version), 0) FROM stack_checkpoints WHERE stack_id = ?))`, stackID, stackID).Scan(&v)
	return v, err
}

func (db *Store) StartUpdate(ctx context.Context, org, id string, leaseHash []byte, leaseExpires int64, at time.Time) (store.Update, error) {
	var u store.Update
	err := db.mutate(ctx, org, func(tx *Tx) error {
		var err error
		u, err = sqlrows.ScanUpdate(tx.QueryRowContext(ctx, `SELECT `+sqlrows.UpdateCols+` FROM stack_updates WHERE org = ? AND id = ?`+db.forUpdate(), org, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := db.lockStack(ctx, tx, u.StackID); err != nil {
			return err
		}
		if u.Status != store.UpdateNotStarted {
			return fmt.Errorf("%w: update is %s", store.ErrConflict, u.Status)
		}
		var v int
		if writesState(u.Kind) {
			if v, err = db.latestVersion(ctx, tx, u.StackID); err != nil {
				return err
			}
			active, err := runningWriter(ctx, tx, u.StackID)
			if err != nil {
				return err
			}
			if active != "" {
				return fmt.Errorf("%w (update %s)", store.ErrUpdateConflict, active)
			}
			v++
		} else if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM stack_checkpoints WHERE stack_id = ?`, u.StackID).Scan(&v); err != nil {
			return err
		}
		u.Status, u.Version, u.LeaseHash, u.LeaseExpires, u.Started = store.UpdateRunning, v, leaseHash, leaseExpires, at
		_, err = tx.ExecContext(ctx, `UPDATE stack_updates SET status = ?, version = ?, lease_hash = ?, lease_expires = ?, started = ? WHERE id = ?`,
			u.Status, u.Version, sqlrows.Blob(leaseHash), leaseExpires, sqlrows.Micros(at), id)
		return err
	})
	if err != nil {
		return store.Update{}, fmt.Errorf("start update %q: %w", id, err)
	}
	u.Started = sqlrows.FromMicros(sqlrows.Micros(at))
	return u, nil
}

func (db *Store) RenewLease(ctx context.Context, org, id string, leaseHash []byte, leaseExpires int64) error {
	err := db.mutate(ctx, quiet, func(tx *Tx) error {
		return execOneTx(ctx, tx, `UPDATE stack_updates SET lease_hash = ?, lease_expires = ? WHERE org = ? AND id = ? AND status = ?`,
			sqlrows.Blob(leaseHash), leaseExpires, org, id, store.UpdateRunning)
	})
	if err != nil {
		return fmt.Errorf("renew lease of update %q: %w", id, err)
	}
	return nil
}

func (db *Store) SaveCheckpoint(ctx context.Context, org, updateID string, deployment []byte, resources int, at time.Time) error {
	err := db.mutate(ctx, quiet, func(tx *Tx) error {
		var stackID, kind string
		var version int
		err := tx.QueryRowContext(ctx, `SELECT stack_id, kind, version FROM stack_updates WHERE org = ? AND id = ? AND status = ?`+db.forUpdate(),
			org, updateID, store.UpdateRunning).Scan(&stackID, &kind, &version)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !writesState(kind) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO stack_checkpoints (stack_id, version, update_id, deployment, resources, modified) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (stack_id, version) DO UPDATE SET update_id = excluded.update_id, deployment = excluded.deployment,
			resources = excluded.resources, modified = excluded.modified`,
			stackID, version, updateID, sqlrows.Blob(deployment), resources, sqlrows.Micros(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("save checkpoint of update %q: %w", updateID, err)
	}
	return nil
}

func (db *Store) AddUpdateEvents(ctx context.Context, org, updateID string, n int) error {
	err := db.mutate(ctx, quiet, func(tx *Tx) error {
		return execOneTx(ctx, tx, `UPDATE stack_updates SET events = events + ? WHERE org = ? AND id = ? AND status = ?`,
			n, org, updateID, store.UpdateRunning)
	})
	if err != nil {
		return fmt.Errorf("record events of update %q: %w", updateID, err)
	}
	return nil
}

func (db *Store) EndUpdate(ctx context.Context, org, id, status string, at time.Time) (store.Update, error) {
	var u store.Update
	err := db.mutate(ctx, org, func(tx *Tx) error {
		var err error
		u, err = sqlrows.ScanUpdate(tx.QueryRowContext(ctx, `UPDATE stack_updates SET status = ?, ended = ?, lease_hash = `+db.pick(`X''`, `''::bytea`)+`
			WHERE org = ? AND id = ? AND status IN (?, ?) RETURNING `+sqlrows.UpdateCols,
			status, sqlrows.Micros(at), org, id, store.UpdateNotStarted, store.UpdateRunning))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Update{}, fmt.Errorf("end update %q: %w", id, err)
	}
	return u, nil
}

func (db *Store) ImportCheckpoint(ctx context.Context, u store.Update, deployment []byte, resources int) (store.Update, error) {
	err := db.mutate(ctx, u.Org, func(tx *Tx) error {
		if err := stackExists(ctx, tx, u.Org, u.StackID); err != nil {
			return err
		}
		if err := db.lockStack(ctx, tx, u.StackID); err != nil {
			return err
		}
		active, err := runningWriter(ctx, tx, u.StackID)
		if err != nil {
			return err
		}
		if active != "" {
			return fmt.Errorf("%w (update %s)", store.ErrUpdateConflict, active)
		}
		v, err := db.latestVersion(ctx, tx, u.StackID)
		if err != nil {
			return err
		}
		u.Version, u.Status = v+1, store.UpdateSucceeded
		if u.Started.IsZero() {
			u.Started = u.Created
		}
		if u.Ended.IsZero() {
			u.Ended = u.Created
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stack_updates (`+sqlrows.UpdateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Org, u.StackID, u.Kind, u.Status, u.Version, u.TokenID, u.Actor, []byte{}, 0,
			sqlrows.Blob(u.Program), 0, sqlrows.Micros(u.Created), sqlrows.Micros(u.Started), sqlrows.Micros(u.Ended)); err != nil {
			return db.dbErr(err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO stack_checkpoints (stack_id, version, update_id, deployment, resources, modified) VALUES (?, ?, ?, ?, ?, ?)`,
			u.StackID, u.Version, u.ID, sqlrows.Blob(deployment), resources, sqlrows.Micros(u.Ended))
		return err
	})
	if err != nil {
		return store.Update{}, fmt.Errorf("import checkpoint into stack %q: %w", u.StackID, err)
	}
	return db.GetUpdate(ctx, u.Org, u.ID)
}

func (db *Store) ListUpdates(ctx context.Context, org, stackID string, offset, limit int) ([]store.Update, error) {
	us, err := queryAll(ctx, db.r, sqlrows.ScanUpdate, `SELECT `+sqlrows.UpdateCols+` FROM stack_updates
		WHERE org = ? AND stack_id = ? AND kind != 'preview' AND status != ? ORDER BY version DESC, created DESC LIMIT ? OFFSET ?`,
		org, stackID, store.UpdateNotStarted, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list updates of stack %q: %w", stackID, err)
	}
	return us, nil
}

func (db *Store) GetCheckpoint(ctx context.Context, org, stackID string, version int) (store.Checkpoint, error) {
	const cols = `c.stack_id, c.version, c.update_id, c.deployment, c.resources, c.modified`
	var c store.Checkpoint
	var err error
	if version == 0 {
		c, err = queryOne(ctx, db.r, sqlrows.ScanCheckpoint, `SELECT `+cols+` FROM stack_checkpoints c JOIN entities e ON e.id = c.stack_id
			WHERE e.org = ? AND c.stack_id = ? ORDER BY c.version DESC LIMIT 1`, org, stackID)
	} else {
		c, err = queryOne(ctx, db.r, sqlrows.ScanCheckpoint, `SELECT `+cols+` FROM stack_checkpoints c JOIN entities e ON e.id = c.stack_id
			WHERE e.org = ? AND c.stack_id = ? AND c.version = ?`, org, stackID, version)
	}
	if err != nil {
		return store.Checkpoint{}, fmt.Errorf("get checkpoint of stack %q version %d: %w", stackID, version, err)
	}
	return c, nil
}

func (db *Store) GetStackState(ctx context.Context, org, stackID string) (store.StackState, error) {
	var st store.StackState
	var last int64
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(version), 0) FROM stack_checkpoints WHERE stack_id = ?),
		(SELECT COALESCE((SELECT resources FROM stack_checkpoints WHERE stack_id = ? ORDER BY version DESC LIMIT 1), 0)),
		(SELECT COALESCE(MAX(id), '') FROM stack_updates WHERE org = ? AND stack_id = ? AND status = ? AND kind != 'preview'),
		(SELECT COALESCE(MAX(ended), 0) FROM stack_updates WHERE org = ? AND stack_id = ? AND kind != 'preview')`,
		stackID, stackID, org, stackID, store.UpdateRunning, org, stackID).Scan(&st.Version, &st.Resources, &st.ActiveUpdate, &last)
	if err != nil {
		return store.StackState{}, fmt.Errorf("get state of stack %q: %w", stackID, err)
	}
	if last != 0 {
		st.LastUpdate = sqlrows.FromMicros(last)
	}
	return st, nil
}

func (db *Store) EnsureStackKey(ctx context.Context, org, stackID string, sealed []byte) ([]byte, error) {
	var out []byte
	// Not audited: the key is created on a stack's first secret, as part of the request that
	// needs it (an encrypt), not as a change of its own.
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := stackExists(ctx, tx, org, stackID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stack_keys (stack_id, sealed) VALUES (?, ?) ON CONFLICT (stack_id) DO NOTHING`,
			stackID, sqlrows.Blob(sealed)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT sealed FROM stack_keys WHERE stack_id = ?`, stackID).Scan(&out)
	})
	if err != nil {
		return nil, fmt.Errorf("stack key of %q: %w", stackID, err)
	}
	return out, nil
}

func (db *Store) PruneUpdates(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM stack_updates WHERE created < ? AND (kind = 'preview' OR status = ?)`,
			sqlrows.Micros(before), store.UpdateNotStarted)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune updates: %w", err)
	}
	return n, nil
}
