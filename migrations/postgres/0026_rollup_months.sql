-- Statistics rollups per month (postgres). The twin lives in ../sqlite/0026_rollup_months.sql.
--
-- The same figures as rollup_days and rollup_times (0011), summed per calendar month of the
-- day a ticket was received (month = yyyymm = day / 100), written in the same statement batch
-- as the day rows by every ticket change, rebuilt and verified with them. A question over a
-- long period (this year, everything, the children of the whole county over a year) then
-- reads one row per month and category instead of one per day: the whole months of a period
-- from these tables, the days at its two ends from the day tables. A counter added to
-- rollup_days must be added here too.
CREATE TABLE rollup_months (
    node             TEXT NOT NULL,
    month            BIGINT NOT NULL,
    category         TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    received         BIGINT NOT NULL DEFAULT 0,
    open             BIGINT NOT NULL DEFAULT 0,
    claimed          BIGINT NOT NULL DEFAULT 0,
    resolved         BIGINT NOT NULL DEFAULT 0,
    closed           BIGINT NOT NULL DEFAULT 0,
    dismissed        BIGINT NOT NULL DEFAULT 0,
    responded        BIGINT NOT NULL DEFAULT 0,
    claimed_in_time  BIGINT NOT NULL DEFAULT 0,
    done             BIGINT NOT NULL DEFAULT 0,
    done_in_time     BIGINT NOT NULL DEFAULT 0,
    claim_overdue    BIGINT NOT NULL DEFAULT 0,
    resolve_overdue  BIGINT NOT NULL DEFAULT 0,
    escalated        BIGINT NOT NULL DEFAULT 0,
    reopened         BIGINT NOT NULL DEFAULT 0,
    satisfied        BIGINT NOT NULL DEFAULT 0,
    neutral          BIGINT NOT NULL DEFAULT 0,
    unsatisfied      BIGINT NOT NULL DEFAULT 0,
    closed_unrated   BIGINT NOT NULL DEFAULT 0,
    extended         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, category, urgency)
);

CREATE TABLE rollup_time_months (
    node   TEXT NOT NULL,
    month  BIGINT NOT NULL,
    kind   TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    n      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, kind, bucket)
);

-- Filled from the tickets at the next start: the rollups are marked as built for no zone,
-- so gridline rebuilds all of them, these included (Store::ensure_rollups; seconds per
-- million tickets, once). Copying the day rows here would miss counters that later
-- migrations add to rollup_days.
DELETE FROM rollup_meta WHERE key = 'built_for';
