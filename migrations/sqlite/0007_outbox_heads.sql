-- The outbox worker leases the first pending row of each chat ("is there an earlier pending row
-- in this chat?" for every candidate); this index answers that question for one chat at a time.
CREATE INDEX outbox_chat_pending ON outbox (platform, account, chat, id) WHERE status = 'pending';
