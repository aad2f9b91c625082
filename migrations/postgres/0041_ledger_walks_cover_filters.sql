-- The ledger's two walks, by time over the whole tree and grid by grid over a small scope,
-- carry the columns its filters test (grid, category, urgency, state, rating). The console
-- finds a page's ids first and reads only those rows, so the walk is an index-only scan that
-- passes the rows that do not match inside the index: a village's 2,500 tickets of a year were
-- read from 2,500 heap pages before a page of 51 was sorted out of them (34 ms; 2 ms now), and
-- a rare filter over the county (unsatisfied, urgent) passed thousands of heap rows. They
-- replace the narrower indexes of the same order, which every query that used those can use.
CREATE INDEX tickets_created_filters ON tickets (created_at, id) INCLUDE (grid, category, urgency, state, rating);
DROP INDEX tickets_created;
CREATE INDEX tickets_grid_filters ON tickets (grid, created_at, id) INCLUDE (category, urgency, state, rating);
DROP INDEX tickets_grid_created;
