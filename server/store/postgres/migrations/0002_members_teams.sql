-- Phase 2: users, organization members, teams (members and roles), and team and personal
-- tokens, mirroring SQLite's 0002_members_teams.sql. Times are unix microseconds (UTC).

-- users is the server's own user directory, shared by the orgs of the database.
CREATE TABLE users (
    id      TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    login   TEXT COLLATE "C"   NOT NULL UNIQUE,
    name    TEXT COLLATE "C"   NOT NULL,
    email   TEXT COLLATE "C"   NOT NULL,
    created BIGINT NOT NULL
);

-- members: a user's membership of an org, with exactly one org role (a role record's ID).
CREATE TABLE members (
    org     TEXT COLLATE "C"   NOT NULL,
    user_id TEXT COLLATE "C"   NOT NULL REFERENCES users (id),
    role_id TEXT COLLATE "C"   NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (org, user_id)
);
CREATE INDEX members_org_role ON members (org, role_id);

CREATE TABLE teams (
    id           TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    org          TEXT COLLATE "C"   NOT NULL,
    name         TEXT COLLATE "C"   NOT NULL,
    display_name TEXT COLLATE "C"   NOT NULL,
    description  TEXT COLLATE "C"   NOT NULL,
    created      BIGINT NOT NULL,
    modified     BIGINT NOT NULL,
    UNIQUE (org, name)
);

CREATE TABLE team_members (
    team_id TEXT COLLATE "C" NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE team_roles (
    team_id TEXT COLLATE "C" NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    role_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (team_id, role_id)
);
CREATE INDEX team_roles_role ON team_roles (role_id);

-- tokens gains a kind ('' = organization, 'team', 'personal') and the team or user it acts for.
-- Org and team token names share one namespace per org (deleted ones included); personal
-- tokens have no name.
ALTER TABLE tokens
    ADD COLUMN kind    TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN team_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    DROP CONSTRAINT tokens_org_name_key;
CREATE UNIQUE INDEX tokens_org_name ON tokens (org, name) WHERE kind <> 'personal';
CREATE INDEX tokens_team ON tokens (team_id) WHERE team_id <> '';
CREATE INDEX tokens_user ON tokens (org, user_id) WHERE user_id <> '';
