-- Opening a ticket raises its grid's counter (grids.last_ticket_no, migration 0012). That is
-- not a roster change, but the trigger of migration 0008 fired on any update of grids, so
-- every batch that opened a ticket raised the roster generation and the next batch read the
-- whole roster again. Only the columns that describe the grid tree count now.
DROP TRIGGER grids_generation ON grids;
CREATE TRIGGER grids_generation AFTER INSERT OR DELETE OR UPDATE OF code, name, parent, level, path
    ON grids FOR EACH STATEMENT EXECUTE FUNCTION roster_generation_bump();
