-- The ledger's two walks, by time over the whole tree and grid by grid over a small scope,
-- carry the columns its filters test (grid, category, urgency, state, rating), so that a walk
-- passes the rows that do not match inside the index instead of reading each from the table.
-- A rare filter (unsatisfied, urgent, one small category) over a county passes thousands of
-- rows before a page is full; newest first it also passes the last days' tickets, not yet
-- rated or resolved. They replace the narrower indexes of the same order, which every query
-- that used those can use as well.
CREATE INDEX tickets_created_filters ON tickets (created_at, id, grid, category, urgency, state, rating);
DROP INDEX tickets_created;
CREATE INDEX tickets_grid_filters ON tickets (grid, created_at, id, category, urgency, state, rating);
DROP INDEX tickets_grid_created;
