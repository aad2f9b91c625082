-- Reliability: updates kept even when they cannot be read, leases that recover in seconds,
-- delivery priorities, and a sending schedule shared by every replica.

-- What a platform sent that gridline could not read (an unknown update kind, entity or chat
-- type, a field of an unexpected type). Stored exactly as received before the platform is told
-- it arrived, so that nothing is lost to a parser; counted in `gridline stats`.
CREATE TABLE inbox_unread (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    platform    TEXT NOT NULL,
    account     TEXT NOT NULL,
    -- The platform's id for it when one could be read, otherwise a hash of the raw text.
    key         TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    raw         TEXT NOT NULL,
    UNIQUE (platform, account, key)
);

-- One row per running gridline process. A lease belongs to an incarnation; once that
-- incarnation has ended, or its heartbeat is stale, its leases are free again: a restarted
-- process ends its node's earlier incarnations at start and takes their rows back at once.
CREATE TABLE incarnations (
    id           TEXT PRIMARY KEY,
    node         TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    ended_at     INTEGER
);
CREATE INDEX incarnations_node ON incarnations (node);

ALTER TABLE outbox ADD COLUMN leased_by TEXT;
-- 0: replies to people (cards, answers, notices); 1: reminders and escalations; 2: digests
-- and reports. Lower goes first.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_due ON outbox (priority, id) WHERE status = 'pending';

-- Sends made, per rate-limit key (a chat, an account), shared by every replica so that the
-- declared limits hold for the whole deployment. Old rows are deleted as they leave the
-- longest window.
CREATE TABLE send_log (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX send_log_key_at ON send_log (key, at);
