-- Guardrails: organization-wide explicit denies (our extension). actions and exempt_roles are
-- JSON arrays; condition is the canonical JSON of a wire-grammar expression ('' = none).
CREATE TABLE guardrails (
    id           TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    org          TEXT COLLATE "C"    NOT NULL,
    name         TEXT COLLATE "C"    NOT NULL,
    description  TEXT COLLATE "C"    NOT NULL,
    actions      TEXT COLLATE "C"    NOT NULL,
    condition    TEXT COLLATE "C"    NOT NULL,
    exempt_roles TEXT COLLATE "C"    NOT NULL,
    version      BIGINT  NOT NULL,
    created      BIGINT  NOT NULL,
    modified     BIGINT  NOT NULL,
    created_by   TEXT COLLATE "C"    NOT NULL,
    UNIQUE (org, name)
);

-- The tag index: one row per entity and tag, kept by triggers in the transaction that writes
-- the entity, so that listings find the entities carrying a tag (in project, name order)
-- without reading the others, and a retag shows on the next request.
CREATE TABLE entity_tags (
    entity_id TEXT COLLATE "C" NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    org       TEXT COLLATE "C" NOT NULL,
    kind      TEXT COLLATE "C" NOT NULL,
    key       TEXT COLLATE "C" NOT NULL,
    value     TEXT COLLATE "C" NOT NULL,
    project   TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (entity_id, key)
);
CREATE INDEX entity_tags_lookup ON entity_tags (org, kind, key, value, project, name);

INSERT INTO entity_tags (entity_id, org, kind, key, value, project, name)
    SELECT e.id, e.org, e.kind, j.key, j.value, e.project, e.name FROM entities e, jsonb_each_text(e.tags::jsonb) j;

CREATE FUNCTION entity_tags_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM entity_tags WHERE entity_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO entity_tags (entity_id, org, kind, key, value, project, name)
            SELECT NEW.id, NEW.org, NEW.kind, j.key, j.value, NEW.project, NEW.name FROM jsonb_each_text(NEW.tags::jsonb) j;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER entity_tags_insert AFTER INSERT ON entities FOR EACH ROW EXECUTE FUNCTION entity_tags_sync();
CREATE TRIGGER entity_tags_update AFTER UPDATE OF tags, project, name ON entities FOR EACH ROW EXECUTE FUNCTION entity_tags_sync();
CREATE TRIGGER entity_tags_delete AFTER DELETE ON entities FOR EACH ROW EXECUTE FUNCTION entity_tags_sync();
