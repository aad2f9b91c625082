-- Statistics rollups (PostgreSQL). The twin lives in ../sqlite/0011_rollups.sql.
--
-- Every ticket adds its figures to one row per grid-tree node above it (every ancestor, its own
-- grid, and '*' for the whole tree), per local day it was received on (yyyymmdd in the
-- configured zone), per category and urgency. The row is changed in the same transaction as
-- the ticket: a ticket change subtracts what the ticket added before and adds what it adds now.
-- A question about a node and a period then reads the node's rows for the period's days, never
-- the tickets. Figures are those of the tickets received in the period, as they stand now
-- (received = open + claimed + resolved + closed + dismissed). gridline fills the tables from
-- the tickets at start when they were built for another zone or never (rollup_meta), and
-- after an import that moves grids; `gridline stats --verify` compares them with the tickets.
CREATE TABLE rollup_days (
    node             TEXT NOT NULL,
    day              BIGINT NOT NULL,
    category         TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    received         BIGINT NOT NULL DEFAULT 0,
    open             BIGINT NOT NULL DEFAULT 0,
    claimed          BIGINT NOT NULL DEFAULT 0,
    resolved         BIGINT NOT NULL DEFAULT 0,
    closed           BIGINT NOT NULL DEFAULT 0,
    dismissed        BIGINT NOT NULL DEFAULT 0,
    -- a first response from staff
    responded        BIGINT NOT NULL DEFAULT 0,
    -- claimed (or resolved unclaimed) by the claim deadline: 及时签收
    claimed_in_time  BIGINT NOT NULL DEFAULT 0,
    -- with a resolution (resolved or closed after one)
    done             BIGINT NOT NULL DEFAULT 0,
    -- resolved by the resolve deadline: 按时办结
    done_in_time     BIGINT NOT NULL DEFAULT 0,
    -- deadlines missed, as of the ticket's last change (the escalation at a missed deadline is one)
    claim_overdue    BIGINT NOT NULL DEFAULT 0,
    resolve_overdue  BIGINT NOT NULL DEFAULT 0,
    escalated        BIGINT NOT NULL DEFAULT 0,
    reopened         BIGINT NOT NULL DEFAULT 0,
    satisfied        BIGINT NOT NULL DEFAULT 0,
    neutral          BIGINT NOT NULL DEFAULT 0,
    unsatisfied      BIGINT NOT NULL DEFAULT 0,
    closed_unrated   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, day, category, urgency)
);

-- Response and resolution times as fixed log-scale histograms (four buckets per doubling from
-- one minute; see domain::rollup), so percentiles come from the buckets.
-- kind: 'response' (received → first staff response) or 'resolution' (received → resolved).
CREATE TABLE rollup_times (
    node   TEXT NOT NULL,
    day    BIGINT NOT NULL,
    kind   TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    n      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, day, kind, bucket)
);

-- What the rollups were built for: key 'built_for' holds the zone. When it differs at start,
-- the rollups are rebuilt from the tickets.
CREATE TABLE rollup_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
