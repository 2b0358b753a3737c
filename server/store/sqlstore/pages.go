package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlrows"
)

// The paged listings read one page per query, seeking with a row-value comparison on the
// sort key, so that a page costs the same at the start and at the end of a long list.

func (db *Store) ListRecordsPage(ctx context.Context, org, uxPurpose string, after *store.RecordPos, limit int) ([]store.Record, error) {
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
	rs, err := queryAll(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records WHERE id IN (
		SELECT id FROM records WHERE `+where+` ORDER BY default_identifier = '', name LIMIT ?)
		ORDER BY default_identifier = '', name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list records of org %q: %w", org, err)
	}
	return rs, nil
}

func (db *Store) CountRecords(ctx context.Context, org string) (int, error) {
	return db.count(ctx, store.LimitRecords, org)
}

func (db *Store) ListTokensPage(ctx context.Context, q store.TokenQuery) ([]store.Token, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("list tokens of org %q: limit %d", q.Org, q.Limit)
	}
	// One kind of token: the org's, one team's, or one user's personal ones.
	query := `SELECT ` + sqlrows.TokenCols + ` FROM tokens WHERE org = ? AND kind = ? AND deleted = ` + db.falseLit + ` `
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
	if q.Minted {
		query += `AND issuer_id = '' `
	}
	if q.After != nil {
		query += `AND (created, id) > (?, ?) `
		args = append(args, sqlrows.Micros(q.After.Created), q.After.ID)
	}
	args = append(args, q.Limit)
	ts, err := queryAll(ctx, db.r, sqlrows.ScanToken, query+`ORDER BY created, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens of org %q: %w", q.Org, err)
	}
	return ts, nil
}

func (db *Store) CountTokens(ctx context.Context, org string) (int, error) {
	return db.count(ctx, store.LimitTokens, org)
}

func (db *Store) ListEntitiesPage(ctx context.Context, org string, kind authz.EntityKind, project string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list %s entities of org %q: limit %d", kind, org, limit)
	}
	query := `SELECT ` + sqlrows.EntityCols + ` FROM entities WHERE org = ? AND kind = ? `
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
	es, err := queryAll(ctx, db.r, sqlrows.ScanEntity, query+`ORDER BY project, name LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s entities of org %q: %w", kind, org, err)
	}
	return es, nil
}

func (db *Store) CountEntities(ctx context.Context, org string) (int, error) {
	return db.count(ctx, store.LimitEntities, org)
}

func (db *Store) ListEntitiesByTags(ctx context.Context, org string, kind authz.EntityKind, project string, tags map[string]string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	if limit <= 0 || len(tags) == 0 {
		return nil, fmt.Errorf("list %s entities of org %q by tags: limit %d, %d tags", kind, org, limit, len(tags))
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 1 {
		// The rarest pair drives the index range scan (the others are point lookups per
		// row): each pair's rows are counted up to driverProbe, a bounded look.
		best, bestN := 0, -1
		for i, k := range keys {
			var n int
			err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM entity_tags WHERE org = ? AND kind = ? AND key = ? AND value = ? LIMIT ?) probe`,
				org, kind.String(), k, tags[k], driverProbe).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("list %s entities of org %q by tags: %w", kind, org, err)
			}
			if bestN < 0 || n < bestN {
				best, bestN = i, n
			}
		}
		keys[0], keys[best] = keys[best], keys[0]
	}
	// The first pair drives the index range scan; the others are point lookups per row.
	query := `SELECT ` + sqlrows.Prefixed("e.", sqlrows.EntityCols) + ` FROM entity_tags t JOIN entities e ON e.id = t.entity_id
		WHERE t.org = ? AND t.kind = ? AND t.key = ? AND t.value = ? `
	args := []any{org, kind.String(), keys[0], tags[keys[0]]}
	if project != "" {
		query += `AND t.project = ? `
		args = append(args, project)
	}
	if after != nil {
		query += `AND (t.project, t.name) > (?, ?) `
		args = append(args, after.Project, after.Name)
	}
	for _, k := range keys[1:] {
		query += `AND EXISTS (SELECT 1 FROM entity_tags o WHERE o.entity_id = t.entity_id AND o.key = ? AND o.value = ?) `
		args = append(args, k, tags[k])
	}
	args = append(args, limit)
	es, err := queryAll(ctx, db.r, sqlrows.ScanEntity, query+`ORDER BY t.project, t.name LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s entities of org %q by tags: %w", kind, org, err)
	}
	return es, nil
}

// driverProbe bounds the rows counted per pair to pick the rarest one.
const driverProbe = 2000

// maxIDsPerQuery bounds the parameters of one ListEntitiesByIDs query.
const maxIDsPerQuery = 500

func (db *Store) ListEntitiesByIDs(ctx context.Context, org string, kind authz.EntityKind, project string, ids []string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list %s entities of org %q by ID: limit %d", kind, org, limit)
	}
	out := []store.Entity{}
	// Each chunk gives its first limit entities after the position; the first limit of their
	// union are the answer.
	for start := 0; start < len(ids); start += maxIDsPerQuery {
		chunk := ids[start:min(len(ids), start+maxIDsPerQuery)]
		query := `SELECT ` + sqlrows.EntityCols + ` FROM entities WHERE org = ? AND kind = ? AND id IN (?` + strings.Repeat(",?", len(chunk)-1) + `) `
		args := []any{org, kind.String()}
		for _, id := range chunk {
			args = append(args, id)
		}
		if project != "" {
			query += `AND project = ? `
			args = append(args, project)
		}
		if after != nil {
			query += `AND (project, name) > (?, ?) `
			args = append(args, after.Project, after.Name)
		}
		args = append(args, limit)
		es, err := queryAll(ctx, db.r, sqlrows.ScanEntity, query+`ORDER BY project, name LIMIT ?`, args...)
		if err != nil {
			return nil, fmt.Errorf("list %s entities of org %q by ID: %w", kind, org, err)
		}
		out = append(out, es...)
	}
	slices.SortFunc(out, func(a, b store.Entity) int {
		if c := strings.Compare(a.Project, b.Project); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), limit)], nil
}
