-- Statistics questions asked in chat (统计, 统计明细, 统计 排名) waiting for their answer. The
-- message's transaction only records the question, with its scope and period already read and
-- the answer's destination; after commit the answer is read from the rollups in a read
-- transaction, and a short transaction of its own queues it in the outbox and deletes the row.
-- A question survives a crash between the two: it is answered after the restart. The twin lives
-- in ../postgres/0021_stats_questions.sql; keep them in step.
CREATE TABLE stats_questions (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at INTEGER NOT NULL,
    platform TEXT NOT NULL,
    account  TEXT NOT NULL,
    -- The answer's message as the outbox stores it (`Outbound` JSON); its text is what follows
    -- the figures (a line saying the answer covers only the group's grid), often empty.
    reply    TEXT NOT NULL,
    -- 'summary' (统计), 'detail' (统计明细) or 'ranking' (统计 排名).
    view     TEXT NOT NULL CHECK (view IN ('summary', 'detail', 'ranking')),
    -- The grid node asked about ('*' for every grid), its name and the period's label as the
    -- answer shows them, and the period's local days (yyyymmdd, inclusive; 0: from the start).
    node     TEXT NOT NULL,
    name     TEXT NOT NULL,
    label    TEXT NOT NULL,
    day_from INTEGER NOT NULL,
    day_to   INTEGER NOT NULL
);
