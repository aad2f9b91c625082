-- Extensions of the resolve deadline (延期) (PostgreSQL). The twin lives in
-- ../sqlite/0032_extensions.sql; keep them in step.
--
-- A ticket's handler asks for more time (延期 3 3天 理由 / /extend 3 3d REASON); a village
-- coordinator approves (同意延期 3) or refuses (不同意延期 3 理由). The deadline moves only on
-- approval; at most extension.max (3) approved per ticket; one request waits at a time.

-- One row per request. `state`: pending, approved, refused. `old_due`/`new_due`: the resolve
-- deadline before and after an approval.
CREATE TABLE ticket_extensions (
    id           BIGSERIAL PRIMARY KEY,
    ticket_id    BIGINT NOT NULL REFERENCES tickets (id),
    asked_by     TEXT NOT NULL,
    asked_name   TEXT NOT NULL,
    days         BIGINT NOT NULL CHECK (days > 0),
    reason       TEXT NOT NULL,
    asked_at     BIGINT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by   TEXT,
    decided_name TEXT,
    decided_at   BIGINT,
    note         TEXT,
    old_due      BIGINT,
    new_due      BIGINT
);
CREATE INDEX ticket_extensions_ticket ON ticket_extensions (ticket_id, id);

-- Approved extensions per ticket (what the statistics count).
ALTER TABLE tickets ADD COLUMN extensions BIGINT NOT NULL DEFAULT 0;

-- The rollups count approved extensions (延期) per node, day, category and urgency.
ALTER TABLE rollup_days ADD COLUMN extended BIGINT NOT NULL DEFAULT 0;
