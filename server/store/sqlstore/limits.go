package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamref/iam/server/store"
)

// countQueries count an org's objects of each kind as the Count methods do.
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
// objects stored (raised by every create, left alone by deletes, absent until first needed).
// Under ctx's limit on kind it refuses the create when the org holds Max: the bound answers
// far below the limit without a COUNT(*); at or over it, or when absent, the objects are
// counted, on committed data since the lock orders this create after every earlier one.
func (db *Store) admit(ctx context.Context, tx *Tx, org string, kind store.LimitKind) error {
	if err := db.lock(ctx, tx, "limit "+string(kind)+" "+org); err != nil {
		return fmt.Errorf("lock the count of %s: %w", kind, err)
	}
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT n FROM limit_counts WHERE org = ? AND kind = ?`, org, string(kind)).Scan(&n)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the count of %s: %w", kind, err)
	}
	if l, ok := store.LimitOf(ctx, kind); ok && (!known || n >= int64(l.Max)) {
		if err := tx.QueryRowContext(ctx, countQueries[kind](db), org).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", kind, err)
		}
		if n >= int64(l.Max) {
			return &store.LimitError{Kind: kind, Count: int(n), Max: l.Max}
		}
		known = true
	}
	if !known {
		return nil // no bound kept yet: the first create under a limit counts
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO limit_counts (org, kind, n) VALUES (?, ?, ?)
		ON CONFLICT (org, kind) DO UPDATE SET n = excluded.n`, org, string(kind), n+1)
	return err
}
