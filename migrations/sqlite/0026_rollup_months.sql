-- Statistics rollups per month (sqlite). The twin lives in ../postgres/0026_rollup_months.sql.
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
    month            INTEGER NOT NULL,
    category         TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    received         INTEGER NOT NULL DEFAULT 0,
    open             INTEGER NOT NULL DEFAULT 0,
    claimed          INTEGER NOT NULL DEFAULT 0,
    resolved         INTEGER NOT NULL DEFAULT 0,
    closed           INTEGER NOT NULL DEFAULT 0,
    dismissed        INTEGER NOT NULL DEFAULT 0,
    responded        INTEGER NOT NULL DEFAULT 0,
    claimed_in_time  INTEGER NOT NULL DEFAULT 0,
    done             INTEGER NOT NULL DEFAULT 0,
    done_in_time     INTEGER NOT NULL DEFAULT 0,
    claim_overdue    INTEGER NOT NULL DEFAULT 0,
    resolve_overdue  INTEGER NOT NULL DEFAULT 0,
    escalated        INTEGER NOT NULL DEFAULT 0,
    reopened         INTEGER NOT NULL DEFAULT 0,
    satisfied        INTEGER NOT NULL DEFAULT 0,
    neutral          INTEGER NOT NULL DEFAULT 0,
    unsatisfied      INTEGER NOT NULL DEFAULT 0,
    closed_unrated   INTEGER NOT NULL DEFAULT 0,
    extended         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, category, urgency)
);

CREATE TABLE rollup_time_months (
    node   TEXT NOT NULL,
    month  INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, kind, bucket)
);

INSERT INTO rollup_months (node, month, category, urgency, received, open, claimed, resolved, closed, dismissed, responded, claimed_in_time, done, done_in_time, claim_overdue, resolve_overdue, escalated, reopened, satisfied, neutral, unsatisfied, closed_unrated, extended)
SELECT node, day / 100, category, urgency, SUM(received), SUM(open), SUM(claimed), SUM(resolved), SUM(closed), SUM(dismissed), SUM(responded), SUM(claimed_in_time), SUM(done), SUM(done_in_time), SUM(claim_overdue), SUM(resolve_overdue), SUM(escalated), SUM(reopened), SUM(satisfied), SUM(neutral), SUM(unsatisfied), SUM(closed_unrated), SUM(extended)
FROM rollup_days GROUP BY node, day / 100, category, urgency;

INSERT INTO rollup_time_months (node, month, kind, bucket, n)
SELECT node, day / 100, kind, bucket, SUM(n)
FROM rollup_times GROUP BY node, day / 100, kind, bucket;
