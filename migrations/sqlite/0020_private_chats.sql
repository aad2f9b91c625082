-- Private chats the bot can write in. On Telegram a bot may write only to people who started
-- it, on QQ and WeChat (OneBot) only to friends and contacts: gridline remembers the private
-- chat of everyone who wrote to it privately, and forgets it when a send there fails for good
-- (the person blocked the bot). Answers that show other grids' figures or tickets, and
-- escalations to coordinators, go to these chats.
CREATE TABLE private_chats (
    platform TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    -- The bot account the person wrote to.
    account  TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id)
);
CREATE INDEX private_chats_chat ON private_chats (platform, chat_id);
