-- Deadlines, reminders, escalation, duty and digests (SQLite).
-- The twin lives in ../postgres/0003_sla.sql; keep them in step.

-- Ticket deadlines and follow-ups that fire later. A timer fires once: the transaction that
-- sets fired_at is the one that acts on it (replicas sharing a database race on that UPDATE,
-- and only one of them sees the row change).
CREATE TABLE timers (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    due_at    INTEGER NOT NULL,
    fired_at  INTEGER
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;
CREATE INDEX timers_ticket ON timers (ticket_id);

-- Digests already sent: one row per (kind, period key), inserted by the one replica that sends it.
CREATE TABLE digests (
    kind    TEXT NOT NULL,
    period  TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (kind, period)
);

-- Highest level a ticket was escalated to ('village', 'town'); how often residents reopened it.
ALTER TABLE tickets ADD COLUMN escalated TEXT;
ALTER TABLE tickets ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;

-- The bot account that serves a group, so that notices not caused by a message (reminders,
-- escalations, digests) go out through the right account.
ALTER TABLE chat_groups ADD COLUMN account TEXT NOT NULL DEFAULT '';

-- When a person's leave started (on_leave_until says when it ends).
ALTER TABLE people ADD COLUMN on_leave_since INTEGER;
