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

func (db *Store) GetUser(ctx context.Context, login string) (store.User, error) {
	u, err := queryOne(ctx, db.r, sqlrows.ScanUser, `SELECT `+sqlrows.UserCols+` FROM users WHERE login = ?`, login)
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", login, err)
	}
	return u, nil
}

func (db *Store) GetUserByID(ctx context.Context, id string) (store.User, error) {
	u, err := queryOne(ctx, db.r, sqlrows.ScanUser, `SELECT `+sqlrows.UserCols+` FROM users WHERE id = ?`, id)
	if err != nil {
		return store.User{}, fmt.Errorf("get user %q: %w", id, err)
	}
	return u, nil
}

func (db *Store) AddMember(ctx context.Context, org string, u store.User, roleID string, at time.Time) (store.Member, error) {
	var m store.Member
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+sqlrows.UserCols+`) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (login) DO NOTHING`, u.ID, u.Login, u.Name, u.Email, sqlrows.Micros(u.Created)); err != nil {
			return db.dbErr(err)
		}
		stored, err := sqlrows.ScanUser(tx.QueryRowContext(ctx, `SELECT `+sqlrows.UserCols+` FROM users WHERE login = ?`, u.Login))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (org, user_id, role_id, created) VALUES (?, ?, ?, ?)`,
			org, stored.ID, roleID, sqlrows.Micros(at)); err != nil {
			return db.dbErr(err)
		}
		m = store.Member{Org: org, User: stored, RoleID: roleID, Created: sqlrows.FromMicros(sqlrows.Micros(at))}
		return nil
	})
	if err != nil {
		return store.Member{}, fmt.Errorf("add member %q to org %q: %w", u.Login, org, err)
	}
	return m, nil
}

func (db *Store) GetMember(ctx context.Context, org, login string) (store.Member, error) {
	m, err := queryOne(ctx, db.r, sqlrows.ScanMember, sqlrows.MemberSelect+`WHERE m.org = ? AND u.login = ?`, org, login)
	if err != nil {
		return store.Member{}, fmt.Errorf("get member %q of org %q: %w", login, org, err)
	}
	return m, nil
}

func (db *Store) GetMemberByID(ctx context.Context, org, userID string) (store.Member, error) {
	m, err := queryOne(ctx, db.r, sqlrows.ScanMember, sqlrows.MemberSelect+`WHERE m.org = ? AND m.user_id = ?`, org, userID)
	if err != nil {
		return store.Member{}, fmt.Errorf("get member %q of org %q: %w", userID, org, err)
	}
	return m, nil
}

func (db *Store) ListMembers(ctx context.Context, org, afterLogin string, limit int) ([]store.Member, error) {
	lim := int64(limit)
	if lim <= 0 {
		lim = noLimit
	}
	ms, err := queryAll(ctx, db.r, sqlrows.ScanMember, sqlrows.MemberSelect+`WHERE m.org = ? AND u.login > ? ORDER BY u.login LIMIT ?`,
		org, afterLogin, lim)
	if err != nil {
		return nil, fmt.Errorf("list members of org %q: %w", org, err)
	}
	return ms, nil
}

func (db *Store) ListMembersByRole(ctx context.Context, org, roleID string) ([]store.Member, error) {
	ms, err := queryAll(ctx, db.r, sqlrows.ScanMember, sqlrows.MemberSelect+`WHERE m.org = ? AND m.role_id = ? ORDER BY u.login`, org, roleID)
	if err != nil {
		return nil, fmt.Errorf("list members of org %q with role %q: %w", org, roleID, err)
	}
	return ms, nil
}

// lastHolder reports whether userID is the only member of org holding role protect.
func (db *Store) lastHolder(ctx context.Context, tx *Tx, org, userID, protect string) (bool, error) {
	if protect == "" {
		return false, nil
	}
	// Two demotions of the last two holders must not both pass: member changes of one org
	// are serialized from this check to the commit.
	if err := db.lock(ctx, tx, "iamref members "+org); err != nil {
		return false, err
	}
	var holds bool
	var others int
	err := tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM members WHERE org = ? AND user_id = ? AND role_id = ?),
		(SELECT COUNT(*) FROM members WHERE org = ? AND user_id <> ? AND role_id = ?)`,
		org, userID, protect, org, userID, protect).Scan(&holds, &others)
	return holds && others == 0, err
}

func (db *Store) SetMemberRole(ctx context.Context, org, userID, roleID, protect string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if roleID != protect {
			last, err := db.lastHolder(ctx, tx, org, userID, protect)
			if err != nil {
				return err
			}
			if last {
				return store.ErrLastHolder
			}
		}
		return execOneTx(ctx, tx, `UPDATE members SET role_id = ? WHERE org = ? AND user_id = ?`, roleID, org, userID)
	})
	if err != nil {
		return fmt.Errorf("set role of member %q of org %q: %w", userID, org, err)
	}
	return nil
}

func (db *Store) RemoveMember(ctx context.Context, org, userID, protect string, at time.Time) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		last, err := db.lastHolder(ctx, tx, org, userID, protect)
		if err != nil {
			return err
		}
		if last {
			return store.ErrLastHolder
		}
		if err := execOneTx(ctx, tx, `DELETE FROM members WHERE org = ? AND user_id = ?`, org, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE user_id = ?
			AND team_id IN (SELECT id FROM teams WHERE org = ?)`, userID, org); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE tokens SET deleted = `+db.trueLit+`, deleted_at = ?
			WHERE org = ? AND kind = 'personal' AND user_id = ? AND deleted = `+db.falseLit, sqlrows.Micros(at), org, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove member %q from org %q: %w", userID, org, err)
	}
	return nil
}

func (db *Store) CreateTeam(ctx context.Context, t store.Team) error {
	err := db.mutate(ctx, t.Org, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO teams (`+sqlrows.TeamCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Org, t.Name, t.DisplayName, t.Description, sqlrows.Micros(t.Created), sqlrows.Micros(t.Modified))
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create team %q: %w", t.Name, err)
	}
	return nil
}

func (db *Store) GetTeam(ctx context.Context, org, name string) (store.Team, error) {
	t, err := queryOne(ctx, db.r, sqlrows.ScanTeam, `SELECT `+sqlrows.TeamCols+` FROM teams WHERE org = ? AND name = ?`, org, name)
	if err != nil {
		return store.Team{}, fmt.Errorf("get team %q: %w", name, err)
	}
	return t, nil
}

func (db *Store) GetTeamByID(ctx context.Context, org, id string) (store.Team, error) {
	t, err := queryOne(ctx, db.r, sqlrows.ScanTeam, `SELECT `+sqlrows.TeamCols+` FROM teams WHERE org = ? AND id = ?`, org, id)
	if err != nil {
		return store.Team{}, fmt.Errorf("get team %q: %w", id, err)
	}
	return t, nil
}

func (db *Store) ListTeams(ctx context.Context, org, afterName string, limit int) ([]store.Team, error) {
	lim := int64(limit)
	if lim <= 0 {
		lim = noLimit
	}
	ts, err := queryAll(ctx, db.r, sqlrows.ScanTeam, `SELECT `+sqlrows.TeamCols+` FROM teams WHERE org = ? AND name > ? ORDER BY name LIMIT ?`,
		org, afterName, lim)
	if err != nil {
		return nil, fmt.Errorf("list teams of org %q: %w", org, err)
	}
	return ts, nil
}

func (db *Store) UpdateTeam(ctx context.Context, t store.Team) error {
	err := db.mutate(ctx, t.Org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `UPDATE teams SET display_name = ?, description = ?, modified = ?
			WHERE org = ? AND id = ?`, t.DisplayName, t.Description, sqlrows.Micros(t.Modified), t.Org, t.ID)
	})
	if err != nil {
		return fmt.Errorf("update team %q: %w", t.Name, err)
	}
	return nil
}

func (db *Store) DeleteTeam(ctx context.Context, org, id string, at time.Time) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		// team_members and team_roles go with it (ON DELETE CASCADE).
		if err := execOneTx(ctx, tx, `DELETE FROM teams WHERE org = ? AND id = ?`, org, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET deleted = `+db.trueLit+`, deleted_at = ?
			WHERE org = ? AND kind = 'team' AND team_id = ? AND deleted = `+db.falseLit, sqlrows.Micros(at), org, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete team %q: %w", id, err)
	}
	return nil
}

// teamExists is store.ErrNotFound unless org has the team.
func teamExists(ctx context.Context, tx *Tx, org, teamID string) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM teams WHERE org = ? AND id = ?)`, org, teamID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("team %q: %w", teamID, store.ErrNotFound)
	}
	return nil
}

func (db *Store) AddTeamMember(ctx context.Context, org, teamID, userID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if err := teamExists(ctx, tx, org, teamID); err != nil {
			return err
		}
		// FOR SHARE: the membership cannot end before this transaction does.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM members WHERE org = ? AND user_id = ?`+db.pick(``, ` FOR SHARE`), org, userID).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err != nil {
			return fmt.Errorf("user %q is not a member of the org: %w", userID, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id) VALUES (?, ?)`, teamID, userID)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("add member %q to team %q: %w", userID, teamID, err)
	}
	return nil
}

func (db *Store) RemoveTeamMember(ctx context.Context, org, teamID, userID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `DELETE FROM team_members WHERE user_id = ?
			AND team_id = (SELECT id FROM teams WHERE org = ? AND id = ?)`, userID, org, teamID)
	})
	if err != nil {
		return fmt.Errorf("remove member %q from team %q: %w", userID, teamID, err)
	}
	return nil
}

func (db *Store) ListTeamMembers(ctx context.Context, org, teamID string) ([]store.User, error) {
	us, err := queryAll(ctx, db.r, sqlrows.ScanUser, `SELECT u.id, u.login, u.name, u.email, u.created
		FROM team_members tm JOIN users u ON u.id = tm.user_id JOIN teams t ON t.id = tm.team_id
		WHERE t.org = ? AND t.id = ? ORDER BY u.login`, org, teamID)
	if err != nil {
		return nil, fmt.Errorf("list members of team %q: %w", teamID, err)
	}
	return us, nil
}

func (db *Store) ListUserTeams(ctx context.Context, org, userID string) ([]store.Team, error) {
	ts, err := queryAll(ctx, db.r, sqlrows.ScanTeam, `SELECT `+sqlrows.TeamCols+` FROM teams
		WHERE org = ? AND id IN (SELECT team_id FROM team_members WHERE user_id = ?) ORDER BY name`, org, userID)
	if err != nil {
		return nil, fmt.Errorf("list teams of user %q: %w", userID, err)
	}
	return ts, nil
}

func (db *Store) AddTeamRole(ctx context.Context, org, teamID, roleID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if err := teamExists(ctx, tx, org, teamID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO team_roles (team_id, role_id) VALUES (?, ?)`, teamID, roleID)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("add role %q to team %q: %w", roleID, teamID, err)
	}
	return nil
}

func (db *Store) RemoveTeamRole(ctx context.Context, org, teamID, roleID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `DELETE FROM team_roles WHERE role_id = ?
			AND team_id = (SELECT id FROM teams WHERE org = ? AND id = ?)`, roleID, org, teamID)
	})
	if err != nil {
		return fmt.Errorf("remove role %q from team %q: %w", roleID, teamID, err)
	}
	return nil
}

func (db *Store) ListTeamRoles(ctx context.Context, org, teamID string) ([]string, error) {
	ids, err := queryAll(ctx, db.r, func(s sqlrows.Scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, `SELECT tr.role_id FROM team_roles tr JOIN teams t ON t.id = tr.team_id
		WHERE t.org = ? AND t.id = ? ORDER BY tr.role_id`, org, teamID)
	if err != nil {
		return nil, fmt.Errorf("list roles of team %q: %w", teamID, err)
	}
	return ids, nil
}

func (db *Store) ListTeamsByRole(ctx context.Context, org, roleID string) ([]store.Team, error) {
	ts, err := queryAll(ctx, db.r, sqlrows.ScanTeam, `SELECT `+sqlrows.TeamCols+` FROM teams
		WHERE org = ? AND id IN (SELECT team_id FROM team_roles WHERE role_id = ?) ORDER BY name`, org, roleID)
	if err != nil {
		return nil, fmt.Errorf("list teams with role %q: %w", roleID, err)
	}
	return ts, nil
}

func (db *Store) SetTeamGrant(ctx context.Context, org string, g store.TeamGrant) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		if err := teamExists(ctx, tx, org, g.TeamID); err != nil {
			return err
		}
		var ok bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM entities WHERE org = ? AND id = ?)`, org, g.EntityID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("entity %q: %w", g.EntityID, store.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO team_grants (team_id, entity_id, permission, max_open_duration)
			VALUES (?, ?, ?, ?) ON CONFLICT (team_id, entity_id) DO UPDATE
			SET permission = excluded.permission, max_open_duration = excluded.max_open_duration`,
			g.TeamID, g.EntityID, g.Permission, g.MaxOpenDuration)
		return db.dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("set grant of team %q on %q: %w", g.TeamID, g.EntityID, err)
	}
	return nil
}

func (db *Store) RemoveTeamGrant(ctx context.Context, org, teamID, entityID string) error {
	err := db.mutate(ctx, org, func(tx *Tx) error {
		return execOneTx(ctx, tx, `DELETE FROM team_grants WHERE entity_id = ?
			AND team_id = (SELECT id FROM teams WHERE org = ? AND id = ?)`, entityID, org, teamID)
	})
	if err != nil {
		return fmt.Errorf("remove grant of team %q on %q: %w", teamID, entityID, err)
	}
	return nil
}

func (db *Store) ListTeamGrants(ctx context.Context, org, teamID string) ([]store.TeamGrant, error) {
	gs, err := queryAll(ctx, db.r, func(s sqlrows.Scanner) (store.TeamGrant, error) {
		var g store.TeamGrant
		var kind string
		if err := s.Scan(&g.TeamID, &g.EntityID, &kind, &g.Project, &g.Name, &g.Permission, &g.MaxOpenDuration); err != nil {
			return g, err
		}
		var err error
		g.Kind, err = sqlrows.ParseKind(kind)
		return g, err
	}, `SELECT g.team_id, g.entity_id, e.kind, e.project, e.name, g.permission, g.max_open_duration
		FROM team_grants g JOIN teams t ON t.id = g.team_id JOIN entities e ON e.id = g.entity_id
		WHERE t.org = ? AND t.id = ? ORDER BY e.kind, e.project, e.name`, org, teamID)
	if err != nil {
		return nil, fmt.Errorf("list grants of team %q: %w", teamID, err)
	}
	return gs, nil
}
