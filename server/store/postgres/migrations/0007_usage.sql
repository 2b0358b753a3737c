-- Per-day counters of the scopes each token's authorized requests used (least privilege: held vs.
-- used). One row per org, token, UTC day (unix day number) and scope; the server adds to them
-- in batches. They go with the org's tokens only by ID: a deleted token's history stays readable.
CREATE TABLE scope_usage (
    org      TEXT COLLATE "C"    NOT NULL,
    token_id TEXT COLLATE "C"    NOT NULL,
    day      BIGINT  NOT NULL,
    scope    TEXT COLLATE "C"    NOT NULL,
    count    BIGINT  NOT NULL,
    PRIMARY KEY (org, token_id, day, scope)
);
CREATE INDEX scope_usage_day ON scope_usage (org, day);
