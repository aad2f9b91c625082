-- The console's overdue lists and its ledger filtered to open or claimed tickets page through
-- the active tickets only: a few days' worth, however many tickets the county has closed.
-- A ticket enters this index when it is opened and leaves it when it is resolved or dismissed.
CREATE INDEX tickets_active_created ON tickets (created_at, id) WHERE state IN ('open', 'claimed');
