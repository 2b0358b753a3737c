-- Initial schema, mirroring SQLite's 0001_init.sql. Times are unix microseconds (UTC).

CREATE TABLE orgs (
    name            TEXT   NOT NULL PRIMARY KEY,
    id              TEXT   NOT NULL UNIQUE,
    default_role_id TEXT   NOT NULL DEFAULT '',
    created         BIGINT NOT NULL
);

CREATE TABLE records (
    id                 TEXT    NOT NULL PRIMARY KEY,
    org                TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    description        TEXT    NOT NULL,
    resource_type      TEXT    NOT NULL,
    ux_purpose         TEXT    NOT NULL,
    details            BYTEA   NOT NULL,
    refs               TEXT    NOT NULL, -- JSON array, in the caller's order
    version            INTEGER NOT NULL,
    created            BIGINT  NOT NULL,
    modified           BIGINT  NOT NULL,
    is_org_default     BOOLEAN NOT NULL,
    default_identifier TEXT    NOT NULL,
    UNIQUE (org, ux_purpose, name)
);
CREATE INDEX records_org_name ON records (org, name);

-- record_refs indexes records.refs so Referrers is a lookup.
CREATE TABLE record_refs (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    ref_id    TEXT NOT NULL,
    PRIMARY KEY (record_id, ref_id)
);
CREATE INDEX record_refs_ref ON record_refs (ref_id);

CREATE TABLE tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    org         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    hash        BYTEA   NOT NULL UNIQUE,
    admin       BOOLEAN NOT NULL,
    role_id     TEXT    NOT NULL,
    expires     BIGINT  NOT NULL,
    created     BIGINT  NOT NULL,
    created_by  TEXT    NOT NULL,
    last_used   BIGINT  NOT NULL,
    deleted     BOOLEAN NOT NULL,
    deleted_at  BIGINT  NOT NULL,
    CONSTRAINT tokens_org_name_key UNIQUE (org, name)
);
CREATE INDEX tokens_org_created ON tokens (org, created, id);
CREATE INDEX tokens_org_role ON tokens (org, role_id);

CREATE TABLE entities (
    id       TEXT   NOT NULL PRIMARY KEY,
    org      TEXT   NOT NULL,
    kind     TEXT   NOT NULL,
    project  TEXT   NOT NULL,
    name     TEXT   NOT NULL,
    tags     TEXT   NOT NULL, -- JSON object
    created  BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    UNIQUE (org, kind, project, name)
);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org        TEXT    NOT NULL,
    time       BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    token_id   TEXT    NOT NULL,
    token_name TEXT    NOT NULL,
    method     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    decision   TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    source_ip  TEXT    NOT NULL
);
CREATE INDEX audit_events_org_id ON audit_events (org, id);

CREATE TABLE idempotency (
    org          TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash BYTEA   NOT NULL,
    status       INTEGER NOT NULL,
    body         BYTEA   NOT NULL,
    created      BIGINT  NOT NULL,
    PRIMARY KEY (org, principal, key)
);
CREATE INDEX idempotency_created ON idempotency (created);
