-- The sandbox: gridline's built-in browser group chat (PostgreSQL).
-- The SQLite twin lives in ../sqlite/0002_sandbox.sql; keep them in step.

-- Ids for sandbox messages and button presses. An id is taken before the event is handed to
-- the inbox (the event id is the number), so one counter serves both kinds.
CREATE TABLE sandbox_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO sandbox_counters (name, value) VALUES ('event', 0);

-- One row per sandbox group: the position of its latest message. Appending a message bumps it
-- in the same transaction, which orders concurrent appends to one group by commit.
CREATE TABLE sandbox_chats (
    group_id TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

-- Every message in a sandbox group, from people and from the bot ('bot'), in the order they
-- appeared (`seq` within the group). `buttons` is a JSON array of {id, label}.
CREATE TABLE sandbox_messages (
    id          BIGINT PRIMARY KEY,
    group_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    sender      TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    text        TEXT NOT NULL,
    reply_to    BIGINT,
    buttons     TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    UNIQUE (group_id, seq)
);

-- Button presses, so that the bot's answer to a press reaches the person who pressed.
CREATE TABLE sandbox_presses (
    id         BIGINT PRIMARY KEY,
    group_id   TEXT NOT NULL,
    persona    TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    button     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The grid each resident of the demo roster lives on. The roster keeps no grant for residents,
-- but the sandbox must know which group a resident persona is in; residents not listed here
-- may speak in every sandbox group.
CREATE TABLE sandbox_residents (
    person TEXT NOT NULL,
    grid   TEXT NOT NULL,
    PRIMARY KEY (person, grid)
);
