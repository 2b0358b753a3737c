package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

func (db *Store) CreateToken(ctx context.Context, t store.Token) error {
	err := db.mutate(ctx, t.Org, func(tx *Tx) error {
		if err := db.admit(ctx, tx, t.Org, store.LimitTokens); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+sqlrows.TokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Org, t.Name, t.Description, sqlrows.Blob(t.Hash), t.Admin, t.RoleID, t.Expires, sqlrows.Micros(t.Created),
			t.CreatedBy, t.LastUsed, t.Deleted, sqlrows.Micros(t.DeletedAt), t.Kind, t.TeamID, t.UserID, t.IssuerID)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	return nil
}

// GetToken returns the token, deleted or not; the caller checks Deleted.
func (db *Store) GetToken(ctx context.Context, org, id string) (store.Token, error) {
	t, err := queryOne(ctx, db.r, sqlrows.ScanToken, `SELECT `+sqlrows.TokenCols+` FROM tokens WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Token{}, fmt.Errorf("get token %q: %w", id, err)
	}
	return t, nil
}

func (db *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := queryOne(ctx, db.r, sqlrows.ScanToken, `SELECT `+sqlrows.TokenCols+` FROM tokens WHERE hash = ?`, sqlrows.Blob(hash))
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

func (db *Store) ListTokens(ctx context.Context, org string, filter store.TokenFilter, now time.Time) ([]store.Token, error) {
	query := `SELECT ` + sqlrows.TokenCols + ` FROM tokens WHERE org = ? AND kind = '' AND deleted = ` + db.falseLit + ` `
	args := []any{org}
	switch filter {
	case store.TokensActive:
		query += `AND (expires = 0 OR expires > ?) `
		args = append(args, now.Unix())
	case store.TokensExpired:
		query += `AND expires <> 0 AND expires <= ? `
		args = append(args, now.Unix())
	case store.TokensAll:
	default:
		return nil, fmt.Errorf("list tokens of org %q: unknown filter %d", org, filter)
	}
	ts, err := queryAll(ctx, db.r, sqlrows.ScanToken, query+`ORDER BY created, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens of org %q: %w", org, err)
	}
	return ts, nil
}

func (db *Store) ListTokensByRole(ctx context.Context, org, roleID string) ([]store.Token, error) {
	ts, err := queryAll(ctx, db.r, sqlrows.ScanToken, `SELECT `+sqlrows.TokenCols+` FROM tokens
		WHERE org = ? AND role_id = ? AND deleted = `+db.falseLit+` ORDER BY created, id`, org, roleID)
	if err != nil {
		return nil, fmt.Errorf("list tokens of role %q: %w", roleID, err)
	}
	return ts, nil
}

func (db *Store) ListUserTokens(ctx context.Context, org, userID string) ([]store.Token, error) {
	ts, err := queryAll(ctx, db.r, sqlrows.ScanToken, `SELECT `+sqlrows.TokenCols+` FROM tokens
		WHERE org = ? AND kind = 'personal' AND user_id = ? AND deleted = `+db.falseLit+` ORDER BY created, id`, org, userID)
	if err != nil {
		return nil, fmt.Errorf("list personal tokens of user %q: %w", userID, err)
	}
	return ts, nil
}

func (db *Store) DeleteToken(ctx context.Context, org, id string, at time.Time) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `UPDATE tokens SET deleted = `+db.trueLit+`, deleted_at = ?
			WHERE org = ? AND id = ? AND deleted = `+db.falseLit, sqlrows.Micros(at), org, id)
	})
	if err != nil {
		return fmt.Errorf("delete token %q: %w", id, err)
	}
	return nil
}

// TouchTokens never moves a LastUsed back, so flushes that race each other keep the latest time.
// Unknown token IDs are ignored.
func (db *Store) TouchTokens(ctx context.Context, lastUsed map[string]int64) error {
	if len(lastUsed) == 0 {
		return nil
	}
	// In ID order, so that two replicas touching the same tokens cannot deadlock.
	ids := slices.Sorted(maps.Keys(lastUsed))
	err := db.inTx(ctx, func(tx *Tx) error {
		return tx.execEach(ctx, `UPDATE tokens SET last_used = `+db.pick(`MAX`, `GREATEST`)+`(last_used, ?) WHERE id = ?`,
			len(ids), func(i int) []any { return []any{lastUsed[ids[i]], ids[i]} })
	})
	if err != nil {
		return fmt.Errorf("touch %d tokens: %w", len(lastUsed), err)
	}
	return nil
}
