package postgres

import (
	"context"
	"fmt"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// The paged listings read one page per query, seeking with a row-value comparison on the
// sort key, so that a page costs the same at the start and at the end of a long list.

func (db *DB) ListRecordsPage(ctx context.Context, org, uxPurpose string, after *store.RecordPos, limit int) ([]store.Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list records of org %q: limit %d", org, limit)
	}
	// The page's IDs are chosen first, so that sorting does not carry the details blobs.
	where, args := `org = ? AND ux_purpose = ?`, []any{org, uxPurpose}
	if after != nil {
		where += ` AND (default_identifier = '', name) > (?, ?)`
		args = append(args, after.Custom, after.Name)
	}
	args = append(args, limit)
	rs, err := queryAll(ctx, db.r, scanRecord, `SELECT `+recordCols+` FROM records WHERE id IN (
		SELECT id FROM records WHERE `+where+` ORDER BY default_identifier = '', name LIMIT ?)
		ORDER BY default_identifier = '', name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list records of org %q: %w", org, err)
	}
	return rs, nil
}

func (db *DB) CountRecords(ctx context.Context, org string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE org = ? AND default_identifier = ''`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records of org %q: %w", org, err)
	}
	return n, nil
}

func (db *DB) ListTokensPage(ctx context.Context, q store.TokenQuery) ([]store.Token, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("list tokens of org %q: limit %d", q.Org, q.Limit)
	}
	// One kind of token: the org's, one team's, or one user's personal ones.
	query := `SELECT ` + tokenCols + ` FROM tokens WHERE org = ? AND kind = ? AND NOT deleted `
	args := []any{q.Org, string(q.Kind)}
	switch q.Kind {
	case store.TokenOrganization:
	case store.TokenTeam:
		query += `AND team_id = ? `
		args = append(args, q.TeamID)
	case store.TokenPersonal:
		query += `AND user_id = ? `
		args = append(args, q.UserID)
	default:
		return nil, fmt.Errorf("list tokens of org %q: unknown kind %q", q.Org, q.Kind)
	}
	switch q.Filter {
	case store.TokensActive:
		query += `AND (expires = 0 OR expires > ?) `
		args = append(args, q.Now.Unix())
	case store.TokensExpired:
		query += `AND expires <> 0 AND expires <= ? `
		args = append(args, q.Now.Unix())
	case store.TokensAll:
	default:
		return nil, fmt.Errorf("list tokens of org %q: unknown filter %d", q.Org, q.Filter)
	}
	if q.RoleID != "" {
		query += `AND role_id = ? `
		args = append(args, q.RoleID)
	}
	if q.After != nil {
		query += `AND (created, id) > (?, ?) `
		args = append(args, micros(q.After.Created), q.After.ID)
	}
	args = append(args, q.Limit)
	ts, err := queryAll(ctx, db.r, scanToken, query+`ORDER BY created, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens of org %q: %w", q.Org, err)
	}
	return ts, nil
}

func (db *DB) CountTokens(ctx context.Context, org string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens WHERE org = ? AND NOT deleted`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens of org %q: %w", org, err)
	}
	return n, nil
}

func (db *DB) ListEntitiesPage(ctx context.Context, org string, kind authz.EntityKind, project string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list %s entities of org %q: limit %d", kind, org, limit)
	}
	query := `SELECT ` + entityCols + ` FROM entities WHERE org = ? AND kind = ? `
	args := []any{org, kind.String()}
	if project != "" {
		query += `AND project = ? `
		args = append(args, project)
	}
	if after != nil {
		query += `AND (project, name) > (?, ?) `
		args = append(args, after.Project, after.Name)
	}
	args = append(args, limit)
	es, err := queryAll(ctx, db.r, scanEntity, query+`ORDER BY project, name LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s entities of org %q: %w", kind, org, err)
	}
	return es, nil
}

func (db *DB) CountEntities(ctx context.Context, org string) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM entities WHERE org = ?`, org).Scan(&n); err != nil {
		return 0, fmt.Errorf("count entities of org %q: %w", org, err)
	}
	return n, nil
}
