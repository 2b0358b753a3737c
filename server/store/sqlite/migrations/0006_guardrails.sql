-- Guardrails: organization-wide explicit denies (our extension). actions and exempt_roles are
-- JSON arrays; condition is the canonical JSON of a wire-grammar expression ('' = none).
CREATE TABLE guardrails (
    id           TEXT    NOT NULL PRIMARY KEY,
    org          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    actions      TEXT    NOT NULL,
    condition    TEXT    NOT NULL,
    exempt_roles TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    modified     INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    UNIQUE (org, name)
) STRICT;
