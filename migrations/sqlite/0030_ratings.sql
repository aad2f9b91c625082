-- Ratings by everyone asked (SQLite). The twin lives in ../postgres/0030_ratings.sql; keep them
-- in step.
--
-- A resolved ticket asks its reporter and each co-reporter (我家也是) to rate the result. Each
-- of them rates once per resolution until the rating window (rating.timeout after the
-- resolution) ends: the first rating decides what happens to the ticket (满意/一般 close it,
-- 不满意 reopens it), later ones are counted without changing it. After a reopening and a new
-- resolution everyone may rate again; a person's new rating replaces their earlier one.

-- One row per person who rated a ticket: their latest rating. `round` is the ticket's
-- `reopened` count when they rated (the resolution they rated).
CREATE TABLE ticket_ratings (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    platform  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    name      TEXT NOT NULL,
    rating    TEXT NOT NULL CHECK (rating IN ('satisfied', 'neutral', 'unsatisfied')),
    round     INTEGER NOT NULL,
    rated_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, platform, user_id)
);

-- The ticket's ratings counted by value (what the statistics rollups add up). `rating` keeps
-- the rating that decided the ticket's latest resolution.
ALTER TABLE tickets ADD COLUMN rated_satisfied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN rated_neutral INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN rated_unsatisfied INTEGER NOT NULL DEFAULT 0;

-- Until now only the reporter's rating was kept: it becomes their row, and the counts match
-- the rollups built so far (one rating per rated ticket).
INSERT INTO ticket_ratings (ticket_id, platform, user_id, name, rating, round, rated_at)
SELECT id, platform, reporter_id, reporter_name, rating,
       CASE WHEN state IN ('resolved', 'closed') THEN reopened ELSE reopened - 1 END,
       COALESCE(closed_at, updated_at)
FROM tickets WHERE rating IN ('satisfied', 'neutral', 'unsatisfied');
UPDATE tickets SET rated_satisfied = 1 WHERE rating = 'satisfied';
UPDATE tickets SET rated_neutral = 1 WHERE rating = 'neutral';
UPDATE tickets SET rated_unsatisfied = 1 WHERE rating = 'unsatisfied';
