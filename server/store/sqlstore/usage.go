package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/iamref/iam/server/store"
)

// maxUsageTokens bounds the IDs of one ListScopeUsage.
const maxUsageTokens = 1000

func (db *Store) AddScopeUsage(ctx context.Context, counts map[store.UsageKey]int64) error {
	if len(counts) == 0 {
		return nil
	}
	for k, n := range counts {
		if n <= 0 {
			return fmt.Errorf("add scope usage: count %d for %s/%s is not positive", n, k.TokenID, k.Scope)
		}
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		// In key order, so that two replicas flushing overlapping counters cannot deadlock.
		keys := slices.SortedFunc(maps.Keys(counts), func(a, b store.UsageKey) int {
			return cmp.Or(strings.Compare(a.Org, b.Org), strings.Compare(a.TokenID, b.TokenID), cmp.Compare(a.Day, b.Day), strings.Compare(a.Scope, b.Scope))
		})
		return tx.execEach(ctx, `INSERT INTO scope_usage (org, token_id, day, scope, count) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org, token_id, day, scope) DO UPDATE SET count = scope_usage.count + excluded.count`,
			len(keys), func(i int) []any {
				k := keys[i]
				return []any{k.Org, k.TokenID, k.Day, k.Scope, counts[k]}
			})
	})
	if err != nil {
		return fmt.Errorf("add scope usage (%d counters): %w", len(counts), err)
	}
	return nil
}

func (db *Store) ListScopeUsage(ctx context.Context, org string, tokenIDs []string, sinceDay int64) ([]store.ScopeUsage, error) {
	if len(tokenIDs) == 0 {
		return nil, nil
	}
	if len(tokenIDs) > maxUsageTokens {
		return nil, fmt.Errorf("list scope usage: %d token IDs; at most %d", len(tokenIDs), maxUsageTokens)
	}
	args := []any{org, sinceDay}
	for _, id := range tokenIDs {
		args = append(args, id)
	}
	args = append(args, store.MaxUsageRows)
	rows, err := db.r.QueryContext(ctx, `SELECT token_id, day, scope, count FROM scope_usage
		WHERE org = ? AND day >= ? AND token_id IN (?`+strings.Repeat(", ?", len(tokenIDs)-1)+`)
		ORDER BY token_id, day, scope LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list scope usage: %w", err)
	}
	defer rows.Close()
	var out []store.ScopeUsage
	for rows.Next() {
		var u store.ScopeUsage
		if err := rows.Scan(&u.TokenID, &u.Day, &u.Scope, &u.Count); err != nil {
			return nil, fmt.Errorf("list scope usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list scope usage: %w", err)
	}
	return out, nil
}
