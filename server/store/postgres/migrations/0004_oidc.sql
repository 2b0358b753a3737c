-- Phase 2: OIDC issuers, their authorization policies and the ID tokens already exchanged
-- (replay protection). Times are unix microseconds (UTC).

CREATE TABLE oidc_issuers (
    id             TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org            TEXT COLLATE "C"    NOT NULL,
    name           TEXT COLLATE "C"    NOT NULL,
    url            TEXT COLLATE "C"    NOT NULL,
    issuer         TEXT COLLATE "C"    NOT NULL,
    thumbprints    TEXT COLLATE "C"    NOT NULL, -- JSON array of lowercase hex SHA-256 fingerprints
    max_expiration BIGINT  NOT NULL, -- seconds
    jwks           BYTEA,             -- static key set; NULL when fetched from url
    created        BIGINT  NOT NULL,
    modified       BIGINT  NOT NULL,
    last_used      BIGINT  NOT NULL, -- 0 = never
    UNIQUE (org, name)
);

-- One policy per issuer; it goes with the issuer.
CREATE TABLE auth_policies (
    id        TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org       TEXT COLLATE "C"    NOT NULL,
    issuer_id TEXT COLLATE "C"    NOT NULL UNIQUE REFERENCES oidc_issuers (id) ON DELETE CASCADE,
    version   BIGINT  NOT NULL,
    policies  BYTEA    NOT NULL, -- JSON array of AuthPolicyDefinition
    created   BIGINT  NOT NULL,
    modified  BIGINT  NOT NULL
);

-- The jti of every ID token exchanged, until the token expires.
CREATE TABLE oidc_used_jtis (
    issuer_id TEXT COLLATE "C"    NOT NULL REFERENCES oidc_issuers (id) ON DELETE CASCADE,
    jti       TEXT COLLATE "C"    NOT NULL,
    org       TEXT COLLATE "C"    NOT NULL,
    expires   BIGINT  NOT NULL,
    PRIMARY KEY (issuer_id, jti)
);
CREATE INDEX oidc_used_jtis_expires ON oidc_used_jtis (expires);

-- The issuer a token was exchanged for ('' = minted through the API), so that housekeeping can
-- drop exchanged tokens some time after they expired.
ALTER TABLE tokens ADD COLUMN issuer_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX tokens_exchanged ON tokens (org, expires) WHERE issuer_id <> '' AND NOT deleted;
