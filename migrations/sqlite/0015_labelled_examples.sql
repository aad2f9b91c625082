-- Labelled examples (SQLite): messages whose reading a person corrected or confirmed, for the
-- parser's learned model to learn from (src/understand/model.rs). The twin lives in
-- ../postgres/0015_labelled_examples.sql; keep them in step.

-- One row per correction. `text` is the message as the resident wrote it (the ticket's body
-- for a correction of a ticket). `is_request` says whether it needed the grid; `category` and
-- `urgency` are the corrected values (stable ids of src/domain/category.rs), NULL when the
-- correction did not say (a dismissal says only "not a request"). `source` is what produced
-- it: recategorize (改类), urgency (改为紧急/一般), dismiss (驳回 as not a request), confirm_yes
-- / confirm_no (the answer to a confirmation question). `actor` is the person code or platform
-- user who corrected it. `ticket_id` is NULL for a confirmation refused (no ticket exists).
CREATE TABLE labelled_examples (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER REFERENCES tickets (id),
    text       TEXT NOT NULL,
    is_request INTEGER NOT NULL CHECK (is_request IN (0, 1)),
    category   TEXT,
    urgency    TEXT CHECK (urgency IN ('normal', 'urgent')),
    source     TEXT NOT NULL CHECK (source IN
                   ('recategorize', 'urgency', 'dismiss', 'confirm_yes', 'confirm_no')),
    actor      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX labelled_examples_ticket ON labelled_examples (ticket_id);
