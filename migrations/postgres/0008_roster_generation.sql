-- The roster's generation: a number that every change to the roster (grids, group bindings,
-- people, identities, grants) raises, by trigger so that no writer can forget it. The engine
-- remembers roster lookups across batches while the number stays the same, and forgets them
-- when it moves. Which bot account serves a group (chat_groups.account) is not part of it: it
-- changes as messages arrive and is only a hint.
CREATE TABLE roster_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT NOT NULL
);
INSERT INTO roster_generation (id, n) VALUES (1, 0);

CREATE FUNCTION roster_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE roster_generation SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER grids_generation AFTER INSERT OR UPDATE OR DELETE ON grids
    FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
CREATE TRIGGER people_generation AFTER INSERT OR UPDATE OR DELETE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
CREATE TRIGGER identities_generation AFTER INSERT OR UPDATE OR DELETE ON identities
    FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
CREATE TRIGGER grants_generation AFTER INSERT OR UPDATE OR DELETE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
CREATE TRIGGER chat_groups_generation AFTER INSERT OR DELETE OR UPDATE OF platform, chat_id, grid, title, active
    ON chat_groups FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
