//! Sending: the [`Adapter`] the outbox worker delivers Telegram items through.
//!
//! The outbox paces every send within Telegram's limits ([`rate_limits`]) for the whole
//! deployment, replicas included, before it reaches this adapter; requests go out at once.
//! (teloxide's `Throttle` adaptor is not used: it paces each process on its own, and releases
//! what it held back in ticks of a quarter second, so sends that the outbox had spaced arrived
//! at Telegram bunched together.) A 429 comes back to the outbox as [`SendError::Retry`] with
//! Telegram's `retry_after`, so the durable outbox (not an in-memory queue) decides when to try
//! again, and keeps the chat's order while it waits.

use async_trait::async_trait;
use std::time::Duration;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::requests::Requester;
use teloxide::types::{
    CallbackQueryId, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, MessageId,
    ReplyParameters, ThreadId, User, UserId,
};
use teloxide::{ApiError, Bot, RequestError};
use tracing::{debug, warn};

use super::update::{BotIdentity, PLATFORM};
use crate::platform::{
    Adapter, Button, Capabilities, Delivered, Mention, Outbound, OutboundMessage, Rate, RateLimits,
    SendError, split_text,
};

/// Longest message text Telegram accepts, in characters.
pub const TEXT_LIMIT: usize = 4096;
/// Longest `callback_data` Telegram accepts, in bytes.
pub const CALLBACK_DATA_LIMIT: usize = 64;
/// Longest answerCallbackQuery text Telegram shows.
const ANSWER_LIMIT: usize = 200;
/// Buttons per keyboard row: 满意 / 一般 / 不满意 fit on one line.
const BUTTONS_PER_ROW: usize = 3;

/// Telegram's published limits: about one message a second and twenty a minute in one group,
/// thirty a second across all chats of one bot.
pub fn rate_limits() -> RateLimits {
    RateLimits {
        per_chat: vec![
            Rate {
                max: 1,
                per: Duration::from_secs(1),
            },
            Rate {
                max: 20,
                per: Duration::from_secs(60),
            },
        ],
        per_account: vec![Rate {
            max: 30,
            per: Duration::from_secs(1),
        }],
    }
}

/// One Telegram bot, as the outbox sees it.
pub struct TelegramAdapter {
    bot: Bot,
    me: BotIdentity,
}

impl TelegramAdapter {
    pub fn new(bot: Bot, me: BotIdentity) -> TelegramAdapter {
        TelegramAdapter { bot, me }
    }

    pub fn identity(&self) -> &BotIdentity {
        &self.me
    }

    async fn send_message(&self, msg: &OutboundMessage) -> Result<Delivered, SendError> {
        let mut chat = parse_chat(&msg.chat)?;
        let thread = msg
            .thread
            .as_deref()
            .map(|t| parse_i32("thread", t).map(|n| ThreadId(MessageId(n))))
            .transpose()?;
        let reply_to = msg
            .reply_to
            .as_deref()
            .map(|r| parse_i32("reply_to", r).map(MessageId))
            .transpose()?;
        let keyboard = keyboard(&msg.buttons);
        let parts = split_text(&msg.text, TEXT_LIMIT);
        let last = parts.len().saturating_sub(1);
        let mut delivered = Delivered::default();
        for (i, part) in parts.iter().enumerate() {
            let mut migrated = false;
            loop {
                let mut req = self.bot.send_message(chat, part.clone());
                if let Some(thread) = thread {
                    req = req.message_thread_id(thread);
                }
                if i == 0
                    && let Some(id) = reply_to
                {
                    // A deleted original must not make the answer undeliverable.
                    req = req
                        .reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
                }
                let entities = mention_entities(part, &msg.mentions);
                if !entities.is_empty() {
                    req = req.entities(entities);
                }
                if i == last && !keyboard.inline_keyboard.is_empty() {
                    req = req.reply_markup(keyboard.clone());
                }
                match req.await {
                    Ok(sent) => {
                        delivered.message_ids.push(sent.id.0.to_string());
                        break;
                    }
                    // The group became a supergroup: deliver there at once. The ChatMigrated
                    // event from the same change rebinds the group for later messages.
                    Err(RequestError::MigrateToChatId(to)) if !migrated => {
                        debug!(from = %chat, to = %to, "group migrated; sending to the supergroup");
                        chat = to;
                        migrated = true;
                    }
                    Err(e) => {
                        if i > 0 {
                            warn!(
                                part = i,
                                parts = parts.len(),
                                "long message failed after its first parts were sent"
                            );
                        }
                        return Err(classify(&e));
                    }
                }
            }
        }
        Ok(delivered)
    }

    async fn edit(
        &self,
        chat: &str,
        message_id: &str,
        text: &str,
        buttons: &[Button],
    ) -> Result<Delivered, SendError> {
        let chat = parse_chat(chat)?;
        let id = MessageId(parse_i32("message_id", message_id)?);
        // An edited card is one message: cut rather than split.
        let text: String = text.chars().take(TEXT_LIMIT).collect();
        // An empty keyboard removes the old buttons, which is what a card with none should show.
        let req = self
            .bot
            .edit_message_text(chat, id, text)
            .reply_markup(keyboard(buttons));
        match req.await {
            Ok(_) => {}
            // Pressing a button twice asks for the same card twice; that is done, not failed.
            Err(RequestError::Api(ApiError::MessageNotModified)) => {}
            Err(e) => return Err(classify(&e)),
        }
        Ok(Delivered {
            message_ids: vec![message_id.to_string()],
        })
    }

    async fn answer(&self, callback_id: &str, text: &str) -> Result<Delivered, SendError> {
        let text: String = text.chars().take(ANSWER_LIMIT).collect();
        let req = self
            .bot
            .answer_callback_query(CallbackQueryId(callback_id.to_string()));
        let req = teloxide::payloads::AnswerCallbackQuerySetters::text(req, text);
        req.await.map_err(|e| classify(&e))?;
        Ok(Delivered::default())
    }
}

#[async_trait]
impl Adapter for TelegramAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            text_limit: TEXT_LIMIT,
            buttons: true,
            replies: true,
            edits: true,
            // A bot may write only to users who started it (/start).
            private_chats: super::PRIVATE_CHATS,
            limits: rate_limits(),
        }
    }

    async fn send(&self, account: &str, item: &Outbound) -> Result<Delivered, SendError> {
        // "" is a group bound by import that has not spoken yet: the one bot serves it.
        if !account.is_empty() && account != self.me.account() {
            return Err(SendError::Permanent(format!(
                "telegram account {account} is not the configured bot {}",
                self.me.account()
            )));
        }
        match item {
            Outbound::Send(msg) => self.send_message(msg).await,
            Outbound::Edit {
                chat,
                message_id,
                text,
                buttons,
            } => self.edit(chat, message_id, text, buttons).await,
            Outbound::AnswerButton { callback_id, text } => self.answer(callback_id, text).await,
        }
    }
}

fn parse_chat(chat: &str) -> Result<ChatId, SendError> {
    chat.parse::<i64>()
        .map(ChatId)
        .map_err(|_| SendError::Permanent(format!("`{chat}` is not a Telegram chat id")))
}

fn parse_i32(what: &str, value: &str) -> Result<i32, SendError> {
    value
        .parse::<i32>()
        .map_err(|_| SendError::Permanent(format!("`{value}` is not a Telegram {what}")))
}

/// Buttons as an inline keyboard, `BUTTONS_PER_ROW` to a row. The button id is the command it
/// stands for and travels as `callback_data`; an id Telegram would refuse (over 64 bytes) is left
/// out rather than cut, since a cut command would do something else.
pub fn keyboard(buttons: &[Button]) -> InlineKeyboardMarkup {
    let usable: Vec<InlineKeyboardButton> = buttons
        .iter()
        .filter(|b| {
            let fits = !b.id.is_empty() && b.id.len() <= CALLBACK_DATA_LIMIT;
            if !fits {
                warn!(button = %b.id, "button id does not fit Telegram's 64-byte callback data; left out");
            }
            fits
        })
        .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.id.clone()))
        .collect();
    InlineKeyboardMarkup::new(usable.chunks(BUTTONS_PER_ROW).map(<[_]>::to_vec))
}

/// Text mentions for each `@name` of `mentions` found in `text`: they notify the person even
/// when they have no username. Offsets and lengths are in UTF-16 code units, as Telegram counts.
pub fn mention_entities(text: &str, mentions: &[Mention]) -> Vec<MessageEntity> {
    let mut out = Vec::new();
    for m in mentions {
        let Ok(id) = m.user_id.parse::<u64>() else {
            continue;
        };
        let needle = format!("@{}", m.name);
        for (byte_at, _) in text.match_indices(&needle) {
            let offset = utf16_len(&text[..byte_at]);
            let user = User {
                id: UserId(id),
                is_bot: false,
                first_name: m.name.clone(),
                last_name: None,
                username: None,
                language_code: None,
                is_premium: false,
                added_to_attachment_menu: false,
            };
            out.push(MessageEntity::text_mention(
                user,
                offset,
                utf16_len(&needle),
            ));
        }
    }
    out.sort_by_key(|e| e.offset);
    out
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Sorts a failed request into "try again later" and "will never work".
pub fn classify(err: &RequestError) -> SendError {
    match err {
        RequestError::RetryAfter(secs) => SendError::Retry {
            after: Some(secs.duration()),
            reason: "telegram rate limit (429)".into(),
        },
        RequestError::Network(e) => SendError::Retry {
            after: None,
            reason: format!("network: {e}"),
        },
        // A proxy in front of the Bot API answering an HTML 502 page, a truncated body …
        RequestError::InvalidJson { .. } | RequestError::Io(_) => SendError::Retry {
            after: None,
            reason: err.to_string(),
        },
        RequestError::MigrateToChatId(to) => {
            SendError::Permanent(format!("group migrated to supergroup {to}"))
        }
        // A wrong token is a configuration fault, not this message's: keep it for when the
        // operator fixes it (max_attempts still parks it eventually).
        RequestError::Api(ApiError::InvalidToken) => SendError::Retry {
            after: None,
            reason: "telegram rejected the bot token".into(),
        },
        RequestError::Api(ApiError::Unknown(description)) => classify_description(description),
        RequestError::Api(api) => classify_description(&api.to_string()),
    }
}

/// Telegram's descriptions start with the HTTP reason: "Bad Request: …" (400), "Forbidden: …"
/// (403: blocked, kicked), "Unauthorized: bot was kicked …". Those will never succeed. Anything
/// else ("Internal Server Error", "Bad Gateway", "Too Many Requests" without parameters) is
/// worth another try.
fn classify_description(description: &str) -> SendError {
    let permanent = ["Bad Request", "Forbidden", "Unauthorized: bot", "Not Found"]
        .iter()
        .any(|p| description.starts_with(p));
    if permanent {
        SendError::Permanent(description.to_string())
    } else {
        SendError::Retry {
            after: None,
            reason: description.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::{MessageEntityKind, Seconds};

    #[test]
    fn failures_are_sorted() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(7))),
            SendError::Retry {
                after: Some(Duration::from_secs(7)),
                reason: "telegram rate limit (429)".into()
            }
        );
        for permanent in [
            RequestError::Api(ApiError::BotBlocked),
            RequestError::Api(ApiError::ChatNotFound),
            RequestError::Api(ApiError::BotKicked),
            RequestError::Api(ApiError::Unknown(
                "Bad Request: message thread not found".into(),
            )),
            RequestError::Api(ApiError::Unknown("Forbidden: user is deactivated".into())),
        ] {
            assert!(
                matches!(classify(&permanent), SendError::Permanent(_)),
                "{permanent:?}"
            );
        }
        for retry in [
            RequestError::Api(ApiError::Unknown("Internal Server Error".into())),
            RequestError::Api(ApiError::Unknown("Bad Gateway".into())),
            RequestError::Api(ApiError::InvalidToken),
        ] {
            assert!(
                matches!(classify(&retry), SendError::Retry { after: None, .. }),
                "{retry:?}"
            );
        }
    }

    #[test]
    fn long_button_ids_are_left_out_and_rows_hold_three() {
        let b = |id: &str| Button {
            id: id.into(),
            label: id.into(),
        };
        let long = format!("/rate 1 {}", "x".repeat(60));
        let kb = keyboard(&[
            b("/rate 1 满意"),
            b("/rate 1 一般"),
            b(&long),
            b("/rate 1 不满意"),
            b("/claim 1"),
        ]);
        let rows: Vec<usize> = kb.inline_keyboard.iter().map(Vec::len).collect();
        assert_eq!(rows, vec![3, 1]);
        assert!(keyboard(&[]).inline_keyboard.is_empty());
    }

    #[test]
    fn mentions_use_utf16_offsets() {
        let text = "😀 #12 已派给 @李强，请 @李强 接单";
        let entities = mention_entities(
            text,
            &[Mention {
                user_id: "333".into(),
                name: "李强".into(),
            }],
        );
        assert_eq!(entities.len(), 2);
        // "😀" is two UTF-16 units.
        assert_eq!(entities[0].offset, utf16_len("😀 #12 已派给 "));
        assert_eq!(entities[0].length, 3);
        assert!(
            matches!(&entities[0].kind, MessageEntityKind::TextMention { user } if user.id == UserId(333))
        );
        assert!(entities[1].offset > entities[0].offset);
        assert!(
            mention_entities(
                "no names here",
                &[Mention {
                    user_id: "1".into(),
                    name: "x".into()
                }]
            )
            .is_empty()
        );
    }
}
