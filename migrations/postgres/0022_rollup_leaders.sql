-- Per-leader statistics rollups (PostgreSQL). The twin lives in ../sqlite/0022_rollup_leaders.sql.
--
-- For 统计明细's per-leader lines: every ticket with an assignee adds, under each node above
-- its grid (as rollup_days, migration 0011), its local day received, its assignee (person
-- code) and the bucket of its first response time (the log-scale buckets of rollup_times; -1:
-- no response yet), one ticket, whether it was claimed, and whether the claim came by the
-- claim deadline. Changed in the same transaction as the ticket (a transfer moves the ticket
-- to its new assignee's figures); rebuilt and checked with the other rollups.
CREATE TABLE rollup_leaders (
    node            TEXT NOT NULL,
    day             BIGINT NOT NULL,
    person          TEXT NOT NULL,
    bucket          BIGINT NOT NULL,
    tickets         BIGINT NOT NULL DEFAULT 0,
    claimed         BIGINT NOT NULL DEFAULT 0,
    claimed_in_time BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, day, person, bucket)
);

-- Existing tickets' figures are added by a rebuild of all rollups at the next start (as after a
-- zone change): forget what they were built for.
DELETE FROM rollup_meta WHERE key = 'built_for';
