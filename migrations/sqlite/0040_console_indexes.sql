-- The console's overdue lists and its ledger filtered to open or claimed tickets, for a village,
-- a town or a coordinator's subtree: the active tickets of the scope's grids, found grid by
-- grid, however old they are. Walking all active tickets by time (tickets_active_created)
-- passes over every other node's; walking every ticket by time passes over a year of closed
-- ones before the first open one when the list is oldest first.
CREATE INDEX tickets_active_grid ON tickets (grid, created_at, id) WHERE state IN ('open', 'claimed');

-- A ticket's page lists the messages the bot wrote about it. The outbox keeps every message
-- it ever sent, and without this index each ticket page read all of them (a county's year is
-- millions of rows).
CREATE INDEX outbox_ticket ON outbox (ticket_id, id) WHERE ticket_id IS NOT NULL;
