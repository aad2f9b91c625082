-- Photos residents send with or around a report (SQLite). The twin lives in
-- ../postgres/0005_photos.sql; keep them in step.

-- One row per photo of a group message. `photo` is the platform's file id or URL, as the
-- adapter delivered it. `ticket_id` is set once the photo belongs to a ticket: at once for a
-- photo sent with (or soon after) the text that opened it; NULL while it waits for a text from
-- the same sender within parser.photo_window. `sent_at` is the platform's event time.
CREATE TABLE photos (
    id         INTEGER PRIMARY KEY,
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    sender_id  TEXT NOT NULL,
    inbox_id   INTEGER NOT NULL,
    photo      TEXT NOT NULL,
    sent_at    INTEGER NOT NULL,
    ticket_id  INTEGER REFERENCES tickets (id),
    UNIQUE (inbox_id, photo)
);
CREATE INDEX photos_waiting ON photos (platform, chat_id, sender_id, sent_at) WHERE ticket_id IS NULL;
CREATE INDEX photos_ticket ON photos (ticket_id);

-- Each resident's newest report per chat (the message that opened or joined a ticket), with its
-- event time: a photo without text that follows within parser.photo_window belongs to it.
CREATE TABLE photo_reports (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    sender_id  TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL,
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id, sender_id)
);
