-- The Pulumi state backend (server/backend.go): updates of a stack's state, the checkpoints
-- they write (one per stack version) and each stack's sealed secrets key. All go with the
-- stack.
CREATE TABLE stack_updates (
    id            TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org           TEXT COLLATE "C"    NOT NULL,
    stack_id      TEXT COLLATE "C"    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    kind          TEXT COLLATE "C"    NOT NULL, -- update | preview | refresh | destroy | import
    status        TEXT COLLATE "C"    NOT NULL, -- not started | running | succeeded | failed | cancelled
    version       BIGINT  NOT NULL, -- the stack version it writes (0 until started)
    token_id      TEXT COLLATE "C"    NOT NULL, -- the API token that created and started it
    actor         TEXT COLLATE "C"    NOT NULL,
    lease_hash    BYTEA    NOT NULL, -- sha256 of the update-token value
    lease_expires BIGINT  NOT NULL, -- unix seconds
    program       BYTEA    NOT NULL, -- the update program request as sent (config, metadata)
    events        BIGINT  NOT NULL,
    created       BIGINT  NOT NULL,
    started       BIGINT  NOT NULL,
    ended         BIGINT  NOT NULL
);
CREATE INDEX stack_updates_stack ON stack_updates (stack_id, status);

CREATE TABLE stack_checkpoints (
    stack_id   TEXT COLLATE "C"    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    version    BIGINT  NOT NULL,
    update_id  TEXT COLLATE "C"    NOT NULL,
    deployment BYTEA    NOT NULL, -- the UntypedDeployment as the CLI sent it
    resources  BIGINT  NOT NULL, -- how many resources it holds
    modified   BIGINT  NOT NULL,
    PRIMARY KEY (stack_id, version)
);

CREATE TABLE stack_keys (
    stack_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    sealed   BYTEA NOT NULL -- the stack's data key, sealed under the server's master key
);
