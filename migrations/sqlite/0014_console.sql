-- The coordinator console (/console): one-time login links, sessions and the audit log of
-- console actions. The PostgreSQL twin lives in ../postgres/0014_console.sql.

-- A login link the bot sent (or `gridline console-link` printed). Only a digest of the token
-- is kept; a link works once (`used_at`) and until `expires_at`.
CREATE TABLE console_links (
    token_hash TEXT PRIMARY KEY,
    person     TEXT NOT NULL REFERENCES people (code),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- A signed-in browser. The cookie holds the session's secret; only its digest is kept here.
-- A session ends on logout (`ended_at`) or when idle longer than console.idle_timeout.
CREATE TABLE console_sessions (
    id_hash    TEXT PRIMARY KEY,
    person     TEXT NOT NULL REFERENCES people (code),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    ended_at   INTEGER
);

-- Every console action (logins, exports, supervision, notes …) with the person and time.
CREATE TABLE console_audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    person    TEXT NOT NULL,
    action    TEXT NOT NULL,
    ticket_id INTEGER,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX console_audit_person ON console_audit (person, at);

-- The ledger pages newest first by (created_at, id) with a keyset, over the whole scope.
CREATE INDEX tickets_created ON tickets (created_at, id);
