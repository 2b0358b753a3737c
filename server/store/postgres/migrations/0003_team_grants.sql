-- Pulumi's legacy per-entity team permissions (addStackPermission, addEnvironmentPermission):
-- one permission level per team and entity. They go with the team or the entity.
CREATE TABLE team_grants (
    team_id           TEXT COLLATE "C"   NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    entity_id         TEXT COLLATE "C"   NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    permission        TEXT COLLATE "C"   NOT NULL,
    max_open_duration BIGINT NOT NULL,
    PRIMARY KEY (team_id, entity_id)
);
CREATE INDEX team_grants_entity ON team_grants (entity_id);
