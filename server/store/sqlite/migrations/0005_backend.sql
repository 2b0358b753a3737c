-- The Pulumi state backend (server/backend.go): updates of a stack's state, the checkpoints
-- they write (one per stack version) and each stack's sealed secrets key. All go with the
-- stack.
CREATE TABLE stack_updates (
    id            TEXT    NOT NULL PRIMARY KEY,
    org           TEXT    NOT NULL,
    stack_id      TEXT    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL, -- update | preview | refresh | destroy | import
    status        TEXT    NOT NULL, -- not started | running | succeeded | failed | cancelled
    version       INTEGER NOT NULL, -- the stack version it writes (0 until started)
    token_id      TEXT    NOT NULL, -- the API token that created and started it
    actor         TEXT    NOT NULL,
    lease_hash    BLOB    NOT NULL, -- sha256 of the update-token value
    lease_expires INTEGER NOT NULL, -- unix seconds
    program       BLOB    NOT NULL, -- the update program request as sent (config, metadata)
    events        INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    started       INTEGER NOT NULL,
    ended         INTEGER NOT NULL
) STRICT;
CREATE INDEX stack_updates_stack ON stack_updates (stack_id, status);

CREATE TABLE stack_checkpoints (
    stack_id   TEXT    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    update_id  TEXT    NOT NULL,
    deployment BLOB    NOT NULL, -- the UntypedDeployment as the CLI sent it
    resources  INTEGER NOT NULL, -- how many resources it holds
    modified   INTEGER NOT NULL,
    PRIMARY KEY (stack_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE stack_keys (
    stack_id TEXT NOT NULL PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    sealed   BLOB NOT NULL -- the stack's data key, sealed under the server's master key
) STRICT, WITHOUT ROWID;
