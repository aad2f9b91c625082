-- Opening a ticket raises its grid's counter (grids.last_ticket_no, migration 0012). That is
-- not a roster change, but the trigger of migration 0008 fired on any update of grids, so
-- every batch that opened a ticket raised the roster generation and the next batch read the
-- whole roster again. Only the columns that describe the grid tree count now.
DROP TRIGGER grids_update_generation;
CREATE TRIGGER grids_update_generation AFTER UPDATE OF code, name, parent, level, path ON grids
BEGIN UPDATE roster_generation SET n = n + 1 WHERE id = 1; END;
