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

func (db *Store) CreateIssuer(ctx context.Context, i store.Issuer, p store.AuthPolicy) error {
	err := db.mutate(ctx, i.Org, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_issuers (`+sqlrows.IssuerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			i.ID, i.Org, i.Name, i.URL, i.Issuer, sqlrows.ThumbprintsJSON(i.Thumbprints), i.MaxExpiration, sqlrows.JwksArg(i.JWKS),
			sqlrows.Micros(i.Created), sqlrows.Micros(i.Modified)); err != nil {
			return db.dbErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_policies (id, org, issuer_id, version, policies, created, modified)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Org, i.ID, p.Version, sqlrows.Blob(p.Policies), sqlrows.Micros(p.Created), sqlrows.Micros(p.Modified))
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create issuer %q: %w", i.Name, err)
	}
	return nil
}

func (db *Store) GetIssuer(ctx context.Context, org, id string) (store.Issuer, error) {
	i, err := queryOne(ctx, db.r, sqlrows.ScanIssuer, `SELECT `+sqlrows.IssuerCols+` FROM oidc_issuers WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Issuer{}, fmt.Errorf("get issuer %q: %w", id, err)
	}
	return i, nil
}

func (db *Store) ListIssuers(ctx context.Context, org string) ([]store.Issuer, error) {
	is, err := queryAll(ctx, db.r, sqlrows.ScanIssuer, `SELECT `+sqlrows.IssuerCols+` FROM oidc_issuers WHERE org = ? ORDER BY name, id`, org)
	if err != nil {
		return nil, fmt.Errorf("list issuers of org %q: %w", org, err)
	}
	return is, nil
}

func (db *Store) UpdateIssuer(ctx context.Context, i store.Issuer) error {
	err := db.mutate(ctx, i.Org, func(tx *Tx) error {
		return db.dbErr(execOneTx(ctx, tx, `UPDATE oidc_issuers SET name = ?, issuer = ?, thumbprints = ?, max_expiration = ?,
			jwks = ?, modified = ? WHERE org = ? AND id = ?`, i.Name, i.Issuer, sqlrows.ThumbprintsJSON(i.Thumbprints), i.MaxExpiration,
			sqlrows.JwksArg(i.JWKS), sqlrows.Micros(i.Modified), i.Org, i.ID))
	})
	if err != nil {
		return fmt.Errorf("update issuer %q: %w", i.ID, err)
	}
	return nil
}

func (db *Store) TouchIssuer(ctx context.Context, org, id string, at time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE oidc_issuers SET last_used = ? WHERE org = ? AND id = ? AND last_used < ?`,
		sqlrows.Micros(at), org, id, sqlrows.Micros(at))
	if err != nil {
		return fmt.Errorf("touch issuer %q: %w", id, err)
	}
	return nil
}

func (db *Store) DeleteIssuer(ctx context.Context, org, id string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		// auth_policies and oidc_used_jtis go with it (ON DELETE CASCADE).
		return execOneTx(ctx, tx, `DELETE FROM oidc_issuers WHERE org = ? AND id = ?`, org, id)
	})
	if err != nil {
		return fmt.Errorf("delete issuer %q: %w", id, err)
	}
	return nil
}

func (db *Store) GetAuthPolicy(ctx context.Context, org, id string) (store.AuthPolicy, error) {
	p, err := queryOne(ctx, db.r, sqlrows.ScanPolicy, `SELECT `+sqlrows.PolicyCols+` FROM auth_policies WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.AuthPolicy{}, fmt.Errorf("get auth policy %q: %w", id, err)
	}
	return p, nil
}

func (db *Store) GetIssuerPolicy(ctx context.Context, org, issuerID string) (store.AuthPolicy, error) {
	p, err := queryOne(ctx, db.r, sqlrows.ScanPolicy, `SELECT `+sqlrows.PolicyCols+` FROM auth_policies WHERE org = ? AND issuer_id = ?`, org, issuerID)
	if err != nil {
		return store.AuthPolicy{}, fmt.Errorf("get auth policy of issuer %q: %w", issuerID, err)
	}
	return p, nil
}

func (db *Store) UpdateAuthPolicy(ctx context.Context, p store.AuthPolicy, expectedVersion int) error {
	if p.Version != expectedVersion+1 {
		return fmt.Errorf("update auth policy %q: version %d does not follow %d", p.ID, p.Version, expectedVersion)
	}
	err := db.mutate(ctx, p.Org, func(tx *Tx) error {
		var version int
		err := tx.QueryRowContext(ctx, `SELECT version FROM auth_policies WHERE org = ? AND id = ?`+db.forUpdate(), p.Org, p.ID).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if version != expectedVersion {
			return store.ErrVersionConflict
		}
		return execOneTx(ctx, tx, `UPDATE auth_policies SET version = ?, policies = ?, modified = ? WHERE org = ? AND id = ?`,
			p.Version, sqlrows.Blob(p.Policies), sqlrows.Micros(p.Modified), p.Org, p.ID)
	})
	if err != nil {
		return fmt.Errorf("update auth policy %q: %w", p.ID, err)
	}
	return nil
}

func (db *Store) UseTokenID(ctx context.Context, org, issuerID, jti string, expires, now time.Time) (bool, error) {
	fresh := false
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_used_jtis WHERE expires <= ?`, sqlrows.Micros(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO oidc_used_jtis (issuer_id, jti, org, expires) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, issuerID, jti, org, sqlrows.Micros(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("use token ID of issuer %q: %w", issuerID, err)
	}
	return fresh, nil
}

func (db *Store) PruneExchangedTokens(ctx context.Context, org string, expiredBefore, at time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET deleted = `+db.trueLit+`, deleted_at = ?
			WHERE org = ? AND issuer_id <> '' AND deleted = `+db.falseLit+` AND expires <> 0 AND expires < ?`, sqlrows.Micros(at), org, expiredBefore.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune exchanged tokens of org %q: %w", org, err)
	}
	return n, nil
}
