-- Understanding's side of the engine (SQLite): confirmation questions and co-reporters.
-- The PostgreSQL twin lives in ../postgres/0004_confirm.sql; keep them in step.

-- A message the parser was unsure of: the bot asked its sender "is this a request?".
-- A "1" / 确认 / the button from the same sender before `expires_at` (compared with the
-- reply's own event time) opens the ticket from the original message; later, nothing happens.
-- `inbox_id` is the original message's inbox row: one question per message, and the ticket
-- it opens carries the same inbox id, so a confirmation replayed twice opens one ticket.
CREATE TABLE confirmations (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    account     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    sender_id   TEXT NOT NULL,
    inbox_id    INTEGER NOT NULL UNIQUE,
    message_id  TEXT NOT NULL,
    body        TEXT NOT NULL,
    asked_at    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    -- pending, confirmed, expired
    state       TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX confirmations_sender ON confirmations (platform, chat_id, sender_id, state);

-- Residents who reported a ticket's problem too ("我家也是", "+1", or a second report of the
-- same problem linked to it): they hear of progress and are asked to rate like the reporter.
CREATE TABLE co_reporters (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    platform  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    name      TEXT NOT NULL,
    -- me_too or linked
    via       TEXT NOT NULL,
    inbox_id  INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, platform, user_id)
);
