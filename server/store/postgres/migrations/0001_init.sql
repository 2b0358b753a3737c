-- Initial schema, mirroring SQLite's 0001_init.sql. Times are unix microseconds (UTC). Text
-- columns compare by bytes (COLLATE "C"), as SQLite's do, whatever the database's collation:
-- listings and their pages keep one order on both engines.

CREATE TABLE orgs (
    name            TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    id              TEXT COLLATE "C"   NOT NULL UNIQUE,
    default_role_id TEXT COLLATE "C"   NOT NULL DEFAULT '',
    created         BIGINT NOT NULL
);

CREATE TABLE records (
    id                 TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org                TEXT COLLATE "C"    NOT NULL,
    name               TEXT COLLATE "C"    NOT NULL,
    description        TEXT COLLATE "C"    NOT NULL,
    resource_type      TEXT COLLATE "C"    NOT NULL,
    ux_purpose         TEXT COLLATE "C"    NOT NULL,
    details            BYTEA   NOT NULL,
    refs               TEXT COLLATE "C"    NOT NULL, -- JSON array, in the caller's order
    version            INTEGER NOT NULL,
    created            BIGINT  NOT NULL,
    modified           BIGINT  NOT NULL,
    is_org_default     BOOLEAN NOT NULL,
    default_identifier TEXT COLLATE "C"    NOT NULL,
    UNIQUE (org, ux_purpose, name)
);
CREATE INDEX records_org_name ON records (org, name);

-- record_refs indexes records.refs so Referrers is a lookup.
CREATE TABLE record_refs (
    record_id TEXT COLLATE "C" NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    ref_id    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (record_id, ref_id)
);
CREATE INDEX record_refs_ref ON record_refs (ref_id);

CREATE TABLE tokens (
    id          TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org         TEXT COLLATE "C"    NOT NULL,
    name        TEXT COLLATE "C"    NOT NULL,
    description TEXT COLLATE "C"    NOT NULL,
    hash        BYTEA   NOT NULL UNIQUE,
    admin       BOOLEAN NOT NULL,
    role_id     TEXT COLLATE "C"    NOT NULL,
    expires     BIGINT  NOT NULL,
    created     BIGINT  NOT NULL,
    created_by  TEXT COLLATE "C"    NOT NULL,
    last_used   BIGINT  NOT NULL,
    deleted     BOOLEAN NOT NULL,
    deleted_at  BIGINT  NOT NULL,
    CONSTRAINT tokens_org_name_key UNIQUE (org, name)
);
CREATE INDEX tokens_org_created ON tokens (org, created, id);
CREATE INDEX tokens_org_role ON tokens (org, role_id);

CREATE TABLE entities (
    id       TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    org      TEXT COLLATE "C"   NOT NULL,
    kind     TEXT COLLATE "C"   NOT NULL,
    project  TEXT COLLATE "C"   NOT NULL,
    name     TEXT COLLATE "C"   NOT NULL,
    tags     TEXT COLLATE "C"   NOT NULL, -- JSON object
    created  BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    UNIQUE (org, kind, project, name)
);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org        TEXT COLLATE "C"    NOT NULL,
    time       BIGINT  NOT NULL,
    actor      TEXT COLLATE "C"    NOT NULL,
    token_id   TEXT COLLATE "C"    NOT NULL,
    token_name TEXT COLLATE "C"    NOT NULL,
    method     TEXT COLLATE "C"    NOT NULL,
    path       TEXT COLLATE "C"    NOT NULL,
    action     TEXT COLLATE "C"    NOT NULL,
    entity     TEXT COLLATE "C"    NOT NULL,
    decision   TEXT COLLATE "C"    NOT NULL,
    reason     TEXT COLLATE "C"    NOT NULL,
    status     INTEGER NOT NULL,
    source_ip  TEXT COLLATE "C"    NOT NULL
);
CREATE INDEX audit_events_org_id ON audit_events (org, id);

CREATE TABLE idempotency (
    org          TEXT COLLATE "C"    NOT NULL,
    principal    TEXT COLLATE "C"    NOT NULL,
    key          TEXT COLLATE "C"    NOT NULL,
    request_hash BYTEA   NOT NULL,
    status       INTEGER NOT NULL,
    body         BYTEA   NOT NULL,
    created      BIGINT  NOT NULL,
    PRIMARY KEY (org, principal, key)
);
CREATE INDEX idempotency_created ON idempotency (created);
