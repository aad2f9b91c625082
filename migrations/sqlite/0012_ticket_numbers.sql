-- Ticket numbers people can type: each grid numbers its own tickets 1, 2, 3 … (`grid_no`),
-- shown as #12 in the grid's own groups and as QS-DF-01#12 (grid code, #, number) anywhere
-- else. The global `id` stays the key every table refers to; people never see it.
--
-- Existing tickets are numbered within their grid in the order they were opened, so a county
-- that ran for a year sees #1 … #n per grid instead of numbers in the millions. Cards posted
-- before the upgrade still show the old numbers; replies and buttons on them still reach the
-- right ticket (they are matched by message, not by the number on them).
ALTER TABLE tickets ADD COLUMN grid_no INTEGER NOT NULL DEFAULT 0;

UPDATE tickets SET grid_no = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY grid ORDER BY id) AS n FROM tickets) AS numbered
WHERE numbered.id = tickets.id;

CREATE UNIQUE INDEX tickets_grid_no ON tickets (grid, grid_no);

-- The last number each grid gave out; the next ticket takes last_ticket_no + 1 in the same
-- transaction that opens it (on PostgreSQL the row lock orders replicas opening tickets in
-- the same grid).
ALTER TABLE grids ADD COLUMN last_ticket_no INTEGER NOT NULL DEFAULT 0;

UPDATE grids SET last_ticket_no = COALESCE(
    (SELECT MAX(grid_no) FROM tickets WHERE tickets.grid = grids.code), 0);

-- Which bot message is a ticket's card: the first one sent about it in its chat. The outbox row
-- that sent a message orders them (rows sent before this column existed have none and sort
-- first). The card is edited in place whenever the ticket changes.
ALTER TABLE bot_messages ADD COLUMN outbox_id INTEGER;
CREATE INDEX bot_messages_ticket ON bot_messages (ticket_id, outbox_id);
