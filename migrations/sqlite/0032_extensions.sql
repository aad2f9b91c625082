-- Extensions of the resolve deadline (延期) (SQLite). The twin lives in
-- ../postgres/0032_extensions.sql; keep them in step.
--
-- A ticket's handler asks for more time (延期 3 3天 理由 / /extend 3 3d REASON); a village
-- coordinator approves (同意延期 3) or refuses (不同意延期 3 理由). The deadline moves only on
-- approval; at most extension.max (3) approved per ticket; one request waits at a time.

-- One row per request. `state`: pending, approved, refused. `old_due`/`new_due`: the resolve
-- deadline before and after an approval.
CREATE TABLE ticket_extensions (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    asked_by     TEXT NOT NULL,
    asked_name   TEXT NOT NULL,
    days         INTEGER NOT NULL CHECK (days > 0),
    reason       TEXT NOT NULL,
    asked_at     INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by   TEXT,
    decided_name TEXT,
    decided_at   INTEGER,
    note         TEXT,
    old_due      INTEGER,
    new_due      INTEGER
);
CREATE INDEX ticket_extensions_ticket ON ticket_extensions (ticket_id, id);

-- Approved extensions per ticket (what the statistics count).
ALTER TABLE tickets ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;

-- The rollups count approved extensions (延期) per node, day, category and urgency.
ALTER TABLE rollup_days ADD COLUMN extended INTEGER NOT NULL DEFAULT 0;
