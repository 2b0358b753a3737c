-- Phase 2: OIDC issuers, their authorization policies and the ID tokens already exchanged
-- (replay protection). Times are unix microseconds (UTC).

CREATE TABLE oidc_issuers (
    id             TEXT    NOT NULL PRIMARY KEY,
    org            TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    url            TEXT    NOT NULL,
    issuer         TEXT    NOT NULL,
    thumbprints    TEXT    NOT NULL, -- JSON array of lowercase hex SHA-256 fingerprints
    max_expiration INTEGER NOT NULL, -- seconds
    jwks           BLOB,             -- static key set; NULL when fetched from url
    created        INTEGER NOT NULL,
    modified       INTEGER NOT NULL,
    last_used      INTEGER NOT NULL, -- 0 = never
    UNIQUE (org, name)
) STRICT;

-- One policy per issuer; it goes with the issuer.
CREATE TABLE auth_policies (
    id        TEXT    NOT NULL PRIMARY KEY,
    org       TEXT    NOT NULL,
    issuer_id TEXT    NOT NULL UNIQUE REFERENCES oidc_issuers (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    policies  BLOB    NOT NULL, -- JSON array of AuthPolicyDefinition
    created   INTEGER NOT NULL,
    modified  INTEGER NOT NULL
) STRICT;

-- The jti of every ID token exchanged, until the token expires.
CREATE TABLE oidc_used_jtis (
    issuer_id TEXT    NOT NULL REFERENCES oidc_issuers (id) ON DELETE CASCADE,
    jti       TEXT    NOT NULL,
    org       TEXT    NOT NULL,
    expires   INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, jti)
) STRICT, WITHOUT ROWID;
CREATE INDEX oidc_used_jtis_expires ON oidc_used_jtis (expires);

-- The issuer a token was exchanged for ('' = minted through the API), so that housekeeping can
-- drop exchanged tokens some time after they expired.
ALTER TABLE tokens ADD COLUMN issuer_id TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_exchanged ON tokens (org, expires) WHERE issuer_id <> '' AND deleted = 0;
