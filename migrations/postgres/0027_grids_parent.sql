-- The children of a node: the console's tree and report, 统计明细 and 统计 排名 read the
-- rollups of `grids WHERE parent = ?`. Without this index every such question scanned the whole
-- grid table (40,000 rows for a county: PostgreSQL's plan was a sequential scan of grids under
-- the rollup lookups). Also serves the console's node picker and the tree's children list.
CREATE INDEX grids_parent ON grids (parent, code);
