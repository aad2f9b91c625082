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

CREATE TRIGGER grids_insert_generation AFTER INSERT ON grids
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER grids_update_generation AFTER UPDATE ON grids
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER grids_delete_generation AFTER DELETE ON grids
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER people_insert_generation AFTER INSERT ON people
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER people_update_generation AFTER UPDATE ON people
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER people_delete_generation AFTER DELETE ON people
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER identities_insert_generation AFTER INSERT ON identities
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER identities_update_generation AFTER UPDATE ON identities
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER identities_delete_generation AFTER DELETE ON identities
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER grants_insert_generation AFTER INSERT ON grants
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER grants_update_generation AFTER UPDATE ON grants
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER grants_delete_generation AFTER DELETE ON grants
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER chat_groups_insert_generation AFTER INSERT ON chat_groups
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER chat_groups_update_generation AFTER UPDATE OF platform, chat_id, grid, title, active ON chat_groups
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER chat_groups_delete_generation AFTER DELETE ON chat_groups
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
