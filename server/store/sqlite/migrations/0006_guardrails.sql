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

-- The tag index: one row per entity and tag, kept by triggers in the transaction that writes
-- the entity, so that listings find the entities carrying a tag (in project, name order)
-- without reading the others, and a retag shows on the next request.
CREATE TABLE entity_tags (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    org       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    project   TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (entity_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX entity_tags_lookup ON entity_tags (org, kind, key, value, project, name);

INSERT INTO entity_tags (entity_id, org, kind, key, value, project, name)
    SELECT e.id, e.org, e.kind, j.key, j.value, e.project, e.name FROM entities e, json_each(e.tags) j;

CREATE TRIGGER entity_tags_insert AFTER INSERT ON entities BEGIN
    INSERT INTO entity_tags (entity_id, org, kind, key, value, project, name)
        SELECT NEW.id, NEW.org, NEW.kind, j.key, j.value, NEW.project, NEW.name FROM json_each(NEW.tags) j;
END;

CREATE TRIGGER entity_tags_update AFTER UPDATE OF tags, project, name ON entities BEGIN
    DELETE FROM entity_tags WHERE entity_id = OLD.id;
    INSERT INTO entity_tags (entity_id, org, kind, key, value, project, name)
        SELECT NEW.id, NEW.org, NEW.kind, j.key, j.value, NEW.project, NEW.name FROM json_each(NEW.tags) j;
END;

CREATE TRIGGER entity_tags_delete AFTER DELETE ON entities BEGIN
    DELETE FROM entity_tags WHERE entity_id = OLD.id;
END;
