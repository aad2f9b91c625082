-- gridline core schema (SQLite). Times are Unix milliseconds, UTC.
-- The PostgreSQL twin lives in ../postgres/0001_core.sql; keep them in step.

-- The grid tree: town → village → grid. `path` is the materialised path of codes
-- ("/T01/T01-V01/T01-V01-G01/") so that a subtree is a prefix match.
CREATE TABLE grids (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    parent  TEXT REFERENCES grids (code),
    level   TEXT NOT NULL,
    path    TEXT NOT NULL
);
CREATE INDEX grids_path ON grids (path);

-- A chat group bound to a grid.
CREATE TABLE chat_groups (
    platform TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    grid     TEXT NOT NULL REFERENCES grids (code),
    title    TEXT NOT NULL DEFAULT '',
    active   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (platform, chat_id)
);
CREATE INDEX chat_groups_grid ON chat_groups (grid);

-- People known to gridline (staff from the roster; residents as they first write).
CREATE TABLE people (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    on_leave_until INTEGER
);

-- A person's accounts on the platforms.
CREATE TABLE identities (
    platform TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    person   TEXT NOT NULL REFERENCES people (code),
    PRIMARY KEY (platform, user_id)
);
CREATE INDEX identities_person ON identities (person);

-- Roles held on grids. Admins hold theirs on grid '' (everywhere).
CREATE TABLE grants (
    person TEXT NOT NULL REFERENCES people (code),
    role   TEXT NOT NULL,
    grid   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person, role, grid)
);
CREATE INDEX grants_grid ON grants (grid, role);

-- Every inbound event, stored before the platform is told it was received.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    account      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    processed_at INTEGER,
    UNIQUE (platform, account, event_id)
);
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;

-- Adapter positions stored with the events they confirm (e.g. Telegram's getUpdates offset).
CREATE TABLE cursors (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    grid              TEXT NOT NULL REFERENCES grids (code),
    platform          TEXT NOT NULL,
    account           TEXT NOT NULL,
    chat_id           TEXT NOT NULL,
    thread            TEXT,
    source_message_id TEXT NOT NULL,
    inbox_id          INTEGER NOT NULL UNIQUE,
    reporter_id       TEXT NOT NULL,
    reporter_name     TEXT NOT NULL,
    category          TEXT NOT NULL,
    urgency           TEXT NOT NULL,
    location          TEXT,
    body              TEXT NOT NULL,
    assignee          TEXT REFERENCES people (code),
    state             TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    claimed_at        INTEGER,
    resolved_at       INTEGER,
    closed_at         INTEGER,
    claim_due         INTEGER NOT NULL,
    resolve_due       INTEGER NOT NULL,
    rating            TEXT,
    duplicate_of      INTEGER REFERENCES tickets (id),
    updated_at        INTEGER NOT NULL
);
CREATE INDEX tickets_grid_created ON tickets (grid, created_at);
CREATE INDEX tickets_assignee_state ON tickets (assignee, state);
CREATE INDEX tickets_reporter ON tickets (platform, reporter_id);
CREATE INDEX tickets_source ON tickets (platform, chat_id, source_message_id);

-- Append-only history of every ticket: who did what, when.
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Everything the bot must send, written in the same transaction as the change that caused it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    platform        TEXT NOT NULL,
    account         TEXT NOT NULL,
    chat            TEXT,
    ticket_id       INTEGER,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';

-- Messages the bot sent about a ticket, so that a reply to any of them addresses the ticket.
CREATE TABLE bot_messages (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (platform, chat_id, message_id)
);
