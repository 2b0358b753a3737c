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

// EnsureOrg creates the org, with a random UUID as its ID, if it is missing.
func (db *Store) EnsureOrg(ctx context.Context, name string) (org store.Org, created bool, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO orgs (name, id, default_role_id, created) VALUES (?, ?, '', ?)
			ON CONFLICT (name) DO NOTHING`, name, sqlrows.NewUUID(), sqlrows.Micros(time.Now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		org, err = sqlrows.ScanOrg(tx.QueryRowContext(ctx, `SELECT `+sqlrows.OrgCols+` FROM orgs WHERE name = ?`, name))
		return err
	})
	if err != nil {
		return store.Org{}, false, fmt.Errorf("ensure org %q: %w", name, err)
	}
	return org, created, nil
}

func (db *Store) GetOrg(ctx context.Context, name string) (store.Org, error) {
	o, err := queryOne(ctx, db.r, sqlrows.ScanOrg, `SELECT `+sqlrows.OrgCols+` FROM orgs WHERE name = ?`, name)
	if err != nil {
		return store.Org{}, fmt.Errorf("get org %q: %w", name, err)
	}
	return o, nil
}

func (db *Store) SetDefaultRole(ctx context.Context, org, roleID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `UPDATE orgs SET default_role_id = ? WHERE name = ?`, roleID, org)
	})
	if err != nil {
		return fmt.Errorf("set default role of org %q: %w", org, err)
	}
	return nil
}

// putRefs indexes the record's Refs for Referrers.
func putRefs(ctx context.Context, tx *Tx, r store.Record) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM record_refs WHERE record_id = ?`, r.ID); err != nil {
		return err
	}
	for _, ref := range r.Refs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_refs (record_id, ref_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, r.ID, ref); err != nil {
			return err
		}
	}
	return nil
}

func (db *Store) CreateRecord(ctx context.Context, r store.Record) error {
	if r.Version != 1 {
		return fmt.Errorf("create record %q: version is %d, want 1", r.Name, r.Version)
	}
	err := db.mutate(ctx, r.Org, func(tx *Tx) error {
		if r.DefaultIdentifier == "" {
			if err := db.admit(ctx, tx, r.Org, store.LimitRecords); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO records (`+sqlrows.RecordCols+`, display_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Org, r.Name, r.Description, r.ResourceType, r.UXPurpose, sqlrows.Blob(r.Details), sqlrows.EncodeRefs(r.Refs),
			r.Version, sqlrows.Micros(r.Created), sqlrows.Micros(r.Modified), r.IsOrgDefault, r.DefaultIdentifier, store.DisplayKey(r.Name))
		if err != nil {
			return db.dbErr(err)
		}
		return putRefs(ctx, tx, r)
	})
	if err != nil {
		return fmt.Errorf("create record %q: %w", r.Name, err)
	}
	return nil
}

func (db *Store) GetRecord(ctx context.Context, org, id string) (store.Record, error) {
	r, err := queryOne(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Record{}, fmt.Errorf("get record %q: %w", id, err)
	}
	return r, nil
}

func (db *Store) RecordHolding(ctx context.Context, org, uxPurpose, name string) (store.Record, error) {
	// The exact name first: a record kept without a display key by migration 0008 may hold it.
	r, err := queryOne(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records
		WHERE org = ? AND ux_purpose = ? AND (name = ? OR display_key = ?) ORDER BY name = ? DESC LIMIT 1`,
		org, uxPurpose, name, store.DisplayKey(name), name)
	if err != nil {
		return store.Record{}, fmt.Errorf("get the %s holding %q: %w", uxPurpose, name, err)
	}
	return r, nil
}

func (db *Store) ListRecords(ctx context.Context, org, uxPurpose string) ([]store.Record, error) {
	var rs []store.Record
	var err error
	if uxPurpose == "" {
		rs, err = queryAll(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records WHERE org = ?
			ORDER BY name, ux_purpose, id`, org)
	} else {
		rs, err = queryAll(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records WHERE org = ? AND ux_purpose = ?
			ORDER BY name`, org, uxPurpose)
	}
	if err != nil {
		return nil, fmt.Errorf("list records of org %q: %w", org, err)
	}
	return rs, nil
}

// UpdateRecord replaces every field of the record but Org and Created, which are immutable. The
// display key follows a new name or uxPurpose; an unchanged one keeps the stored key, which is
// NULL for a record that already clashed when migration 0008 gave keys to stored records.
func (db *Store) UpdateRecord(ctx context.Context, r store.Record, expectedVersion int) error {
	err := db.mutate(ctx, r.Org, func(tx *Tx) error {
		if r.Version == expectedVersion+1 {
			res, err := tx.ExecContext(ctx, `UPDATE records SET name = ?, description = ?, resource_type = ?,
				ux_purpose = ?, details = ?, refs = ?, version = ?, modified = ?, is_org_default = ?,
				default_identifier = ?, display_key = CASE WHEN name = ? AND ux_purpose = ? THEN display_key ELSE ? END
				WHERE org = ? AND id = ? AND version = ?`,
				r.Name, r.Description, r.ResourceType, r.UXPurpose, sqlrows.Blob(r.Details), sqlrows.EncodeRefs(r.Refs), r.Version,
				sqlrows.Micros(r.Modified), r.IsOrgDefault, r.DefaultIdentifier, r.Name, r.UXPurpose, store.DisplayKey(r.Name),
				r.Org, r.ID, expectedVersion)
			if err != nil {
				return db.dbErr(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 1 {
				return putRefs(ctx, tx, r)
			}
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM records WHERE org = ? AND id = ?`, r.Org, r.ID).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: stored version is %d, expected %d, new %d", store.ErrVersionConflict, v, expectedVersion, r.Version)
	})
	if err != nil {
		return fmt.Errorf("update record %q: %w", r.ID, err)
	}
	return nil
}

func (db *Store) DeleteRecord(ctx context.Context, org, id string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if err := execOneTx(ctx, tx, `DELETE FROM records WHERE org = ? AND id = ?`, org, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET deleted = `+db.trueLit+`, deleted_at = ?
			WHERE org = ? AND role_id = ? AND issuer_id <> '' AND deleted = `+db.falseLit, sqlrows.Micros(time.Now().UTC()), org, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete record %q: %w", id, err)
	}
	return nil
}

func (db *Store) Referrers(ctx context.Context, org, id string) ([]store.Record, error) {
	rs, err := queryAll(ctx, db.r, sqlrows.ScanRecord, `SELECT `+sqlrows.RecordCols+` FROM records
		WHERE id IN (SELECT record_id FROM record_refs WHERE ref_id = ?) AND org = ?
		ORDER BY name, ux_purpose, id`, id, org)
	if err != nil {
		return nil, fmt.Errorf("referrers of record %q: %w", id, err)
	}
	return rs, nil
}
