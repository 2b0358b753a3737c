package sqlstore

import (
	"context"
	"fmt"

	"github.com/iamref/iam/server/store"
)

// count is how many objects of kind the org holds (the Count methods).
func (db *Store) count(ctx context.Context, kind store.LimitKind, org string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, countQueries[kind](db), org).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s of org %q: %w", kind, org, err)
	}
	return n, nil
}

// countQueries count an org's objects of each kind: for the Count methods and for admit.
var countQueries = map[store.LimitKind]func(db *Store) string{
	store.LimitRecords: func(*Store) string { return `SELECT COUNT(*) FROM records WHERE org = ? AND default_identifier = ''` },
	store.LimitTokens: func(db *Store) string {
		return `SELECT COUNT(*) FROM tokens WHERE org = ? AND deleted = ` + db.falseLit
	},
	store.LimitEntities:   func(*Store) string { return `SELECT COUNT(*) FROM entities WHERE org = ?` },
	store.LimitGuardrails: func(*Store) string { return `SELECT COUNT(*) FROM guardrails WHERE org = ?` },
}

// admit runs first in the transaction of every create of kind (store.Limit). It takes the
// org's lock on kind (Dialect.Lock; SQLite's single writer needs none), which every such create
// holds until it commits, and keeps limit_counts: per org and kind, an upper bound of the
// objects stored (raised by every create, left alone by deletes). One statement raises the
// bound and reads it; the objects are counted only when the bound was absent (the row is new:
// n = 1, since a stored bound counts at least the create that stored it) or, under ctx's limit
// on kind, when it passes Max. The count is of committed data, since the lock orders this
// create after every earlier one; at Max the create is refused (and its raise rolled back).
func (db *Store) admit(ctx context.Context, tx *Tx, org string, kind store.LimitKind) error {
	if err := db.lock(ctx, tx, "limit "+string(kind)+" "+org); err != nil {
		return fmt.Errorf("lock the count of %s: %w", kind, err)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO limit_counts (org, kind, n) VALUES (?, ?, 1)
		ON CONFLICT (org, kind) DO UPDATE SET n = limit_counts.n + 1 RETURNING n`, org, string(kind)).Scan(&n); err != nil {
		return fmt.Errorf("raise the count of %s: %w", kind, err)
	}
	l, limited := store.LimitOf(ctx, kind)
	if n > 1 && (!limited || n <= int64(l.Max)) {
		return nil // the bound, this create included, is within the limit
	}
	var stored int64
	if err := tx.QueryRowContext(ctx, countQueries[kind](db), org).Scan(&stored); err != nil {
		return fmt.Errorf("count %s: %w", kind, err)
	}
	if limited && stored >= int64(l.Max) {
		return &store.LimitError{Kind: kind, Count: int(stored), Max: l.Max}
	}
	_, err := tx.ExecContext(ctx, `UPDATE limit_counts SET n = ? WHERE org = ? AND kind = ?`, stored+1, org, string(kind))
	return err
}
