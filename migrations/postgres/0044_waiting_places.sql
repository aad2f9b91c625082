-- A resident who names a place alone ("3栋") just before reporting what is wrong there: the
-- place waits here, one row per sender and chat, for the report that follows it
-- (src/engine/places.rs). The twin lives in ../sqlite/0044_waiting_places.sql.
CREATE TABLE waiting_places (
    platform  TEXT NOT NULL,
    chat_id   TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    place     TEXT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (platform, chat_id, sender_id)
);
CREATE INDEX waiting_places_sent ON waiting_places (sent_at);
