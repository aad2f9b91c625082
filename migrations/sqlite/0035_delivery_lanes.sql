-- Fair delivery and shared duties across replicas.

-- The worker leases each (platform, account)'s due rows on their own, by priority then age,
-- so that one account's backlog never holds up another's: this index answers that question
-- for one account without walking the others' rows.
CREATE INDEX outbox_lane_due ON outbox (platform, account, priority, id) WHERE status = 'pending';

-- Duties that one process of a deployment does at a time (Telegram polling for a bot): the
-- holder renews `until` while it lives; once `until` has passed, another process takes over.
CREATE TABLE duty_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
);
