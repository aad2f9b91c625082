//! The platform-neutral message model: what an adapter hands gridline ([`InboundEvent`]) and
//! what gridline asks an adapter to deliver ([`Outbound`]), with the opaque chat and sender
//! references and the capabilities an adapter declares. Plain data; adapters translate it to and
//! from their wire formats, the store keeps it as JSON, the engine reads and writes it.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The platform name of WeCom group robots, which the engine addresses directly for escalation
/// notices to coordinators' groups.
pub const WECOM: &str = "wecom";

/// Unix time in milliseconds (UTC).
pub type Millis = i64;

/// One thing that happened on a platform, as gridline stores it in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundEvent {
    /// "sandbox", "telegram", "onebot", "memory" …
    pub platform: String,
    /// The bot account on that platform (Telegram bot id, OneBot self_id, …).
    pub account: String,
    /// Unique per (platform, account): the de-duplication key.
    pub event_id: String,
    pub chat: ChatRef,
    pub sender: Sender,
    pub kind: EventKind,
    /// When the platform says it happened.
    pub at: Millis,
}

/// Where a message was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRef {
    /// The platform's chat id, opaque to gridline.
    pub id: String,
    pub kind: ChatKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A topic inside a forum group, kept on tickets and replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Group,
    Private,
}

/// Who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// The platform's user id.
    pub id: String,
    /// Display name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A new message.
    Message {
        message_id: String,
        text: String,
        /// The platform id of the message this one replies to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<String>,
        /// Platform user ids mentioned in the text (the bot itself excluded).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<String>,
        /// Platform file ids or URLs of attached photos.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<String>,
    },
    /// A message was edited; `text` is its new text.
    Edited { message_id: String, text: String },
    /// A button on a bot card was pressed. `button` is the button id the bot gave it, which is
    /// the command it stands for (`/claim 42`).
    Button {
        message_id: String,
        button: String,
        /// Platform handle to answer the press (Telegram callback query id).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback_id: Option<String>,
    },
    /// The group got a new id (Telegram group → supergroup).
    ChatMigrated { new_chat_id: String },
    /// The bot was removed from the group.
    BotRemoved,
}

/// What the bot sends. Written to the outbox as JSON, delivered by the adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    /// A new message in a chat.
    Send(OutboundMessage),
    /// Replace the text and buttons of a message the bot sent (only where `capabilities().edits`).
    Edit {
        chat: String,
        message_id: String,
        text: String,
        #[serde(default)]
        buttons: Vec<Button>,
    },
    /// Answer a button press with a short toast (Telegram answerCallbackQuery).
    AnswerButton { callback_id: String, text: String },
}

impl Outbound {
    /// The chat this item goes to, for per-chat ordering and rate limits.
    pub fn chat(&self) -> Option<&str> {
        match self {
            Outbound::Send(m) => Some(&m.chat),
            Outbound::Edit { chat, .. } => Some(chat),
            Outbound::AnswerButton { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub chat: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    pub text: String,
    /// Platform message id this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// People named in `text` as `@name`, to be turned into real mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub user_id: String,
    pub name: String,
}

/// A button on a bot card. `id` is the command it stands for; `label` what people see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub id: String,
    pub label: String,
}

/// What an adapter can do, declared once.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// Longest text one message may carry, in characters.
    pub text_limit: usize,
    pub buttons: bool,
    pub replies: bool,
    pub edits: bool,
    /// Whether and with whom the bot can talk in a private chat.
    pub private_chats: PrivateChats,
    pub limits: RateLimits,
}

/// Which people an adapter can reach in a private chat with the bot.
///
/// Answers that show other grids' figures or tickets go to the asker's private chat, and
/// escalations reach coordinators there too; where no private chat is possible the engine
/// answers in the group with what the group may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateChats {
    /// No private chats (a robot that only posts).
    #[default]
    Never,
    /// Only people who wrote to the bot privately first: Telegram lets a bot write only to
    /// users who started it, QQ and WeChat only to friends and contacts. gridline remembers
    /// each private chat it was written in, and forgets it when a send there fails for good
    /// (the person blocked the bot).
    AfterContact,
    /// Anyone with an account on the platform: the chat id is `prefix` followed by the user
    /// id, spoken through `account` (the sandbox's private threads).
    Always {
        prefix: &'static str,
        account: &'static str,
    },
}

impl PrivateChats {
    /// The private chat with `user_id` when anyone can be reached: `(account, chat id)`.
    pub fn always_with(self, user_id: &str) -> Option<(String, String)> {
        match self {
            PrivateChats::Always { prefix, account } => {
                Some((account.to_string(), format!("{prefix}{user_id}")))
            }
            _ => None,
        }
    }
}

/// Sending limits the outbox worker enforces for an adapter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RateLimits {
    pub per_chat: Vec<Rate>,
    pub per_account: Vec<Rate>,
}

/// At most `max` sends in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub max: u32,
    pub per: Duration,
}

/// The most characters kept of a display name, a username or a chat title; longer ones are
/// cut like texts.
pub const MAX_NAME_CHARS: usize = 128;
/// The most mentions or photos kept from one message.
pub const MAX_ITEMS: usize = 64;
/// What ends a text that was cut: a cut text is one character longer than the limit, so
/// everything that asks "is this text over the limit?" still says yes.
pub const CUT_MARK: char = '…';

/// A text that [`InboundEvent::cap`] cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Which field ("text", "name", …).
    pub field: &'static str,
    /// How many characters it had.
    pub chars: usize,
}

impl InboundEvent {
    /// Cuts what the platform sent to the sizes gridline keeps, before it is stored or parsed:
    /// texts (and the button id, which is read as a command) to `max_text_chars` characters
    /// followed by [`CUT_MARK`], names and titles to [`MAX_NAME_CHARS`], mention and photo
    /// lists to [`MAX_ITEMS`]. Ids are left whole (the request body limit bounds them).
    /// Returns the longest text that was cut, if any.
    pub fn cap(&mut self, max_text_chars: usize) -> Option<Cut> {
        let mut cut: Option<Cut> = None;
        let mut note = |field: &'static str, c: Option<usize>| {
            if let Some(chars) = c
                && cut.as_ref().is_none_or(|k| k.chars < chars)
            {
                cut = Some(Cut { field, chars });
            }
        };
        note("name", cut_text(&mut self.sender.name, MAX_NAME_CHARS));
        if let Some(u) = &mut self.sender.username {
            note("username", cut_text(u, MAX_NAME_CHARS));
        }
        if let Some(t) = &mut self.chat.title {
            note("title", cut_text(t, MAX_NAME_CHARS));
        }
        match &mut self.kind {
            EventKind::Message {
                text,
                mentions,
                photos,
                ..
            } => {
                note("text", cut_text(text, max_text_chars));
                mentions.truncate(MAX_ITEMS);
                photos.truncate(MAX_ITEMS);
            }
            EventKind::Edited { text, .. } => note("text", cut_text(text, max_text_chars)),
            EventKind::Button { button, .. } => note("button", cut_text(button, max_text_chars)),
            EventKind::ChatMigrated { .. } | EventKind::BotRemoved => {}
        }
        cut
    }
}

/// Cuts `text` to `max` characters plus [`CUT_MARK`] when it is longer; returns how many
/// characters it had then.
pub fn cut_text(text: &mut String, max: usize) -> Option<usize> {
    let (at, _) = text.char_indices().nth(max)?;
    let chars = max + text[at..].chars().count();
    text.truncate(at);
    text.push(CUT_MARK);
    text.shrink_to_fit();
    Some(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbound_events_round_trip_as_json() {
        let ev = InboundEvent {
            platform: "memory".into(),
            account: "bot".into(),
            event_id: "1".into(),
            chat: ChatRef {
                id: "g1".into(),
                kind: ChatKind::Group,
                title: None,
                thread: None,
            },
            sender: Sender {
                id: "u1".into(),
                name: "王芳".into(),
                username: None,
            },
            kind: EventKind::Message {
                message_id: "m1".into(),
                text: "3栋楼道灯坏了".into(),
                reply_to: None,
                mentions: vec![],
                photos: vec![],
            },
            at: 1,
        };
        let json = serde_json::to_string(&ev).expect("serialise");
        assert_eq!(
            serde_json::from_str::<InboundEvent>(&json).expect("parse"),
            ev
        );
    }

    #[test]
    fn capping_cuts_long_texts_names_and_lists_and_says_so() {
        let mut ev = InboundEvent {
            platform: "memory".into(),
            account: "bot".into(),
            event_id: "1".into(),
            chat: ChatRef {
                id: "g1".into(),
                kind: ChatKind::Group,
                title: Some("群".repeat(500)),
                thread: None,
            },
            sender: Sender {
                id: "u1".into(),
                name: "王芳".into(),
                username: None,
            },
            kind: EventKind::Message {
                message_id: "m1".into(),
                text: "灯".repeat(5_000),
                reply_to: None,
                mentions: vec!["x".into(); 1_000],
                photos: vec![],
            },
            at: 1,
        };
        let cut = ev.cap(2_000).expect("cut");
        assert_eq!(
            cut,
            Cut {
                field: "text",
                chars: 5_000
            }
        );
        let EventKind::Message { text, mentions, .. } = &ev.kind else {
            panic!("a message");
        };
        // Still over the limit by its mark, so it is never read as a request.
        assert_eq!(text.chars().count(), 2_001);
        assert!(text.ends_with(CUT_MARK));
        assert!(text.starts_with("灯灯"));
        assert_eq!(mentions.len(), MAX_ITEMS);
        assert_eq!(
            ev.chat.title.as_deref().map(|t| t.chars().count()),
            Some(MAX_NAME_CHARS + 1)
        );
        assert_eq!(ev.sender.name, "王芳");
        // A second cap changes nothing more than the first.
        let again = ev.clone();
        let mut twice = ev.clone();
        twice.cap(2_000);
        assert_eq!(twice.kind, again.kind);
    }

    #[test]
    fn texts_at_the_limit_are_kept_whole() {
        let mut s = "a".repeat(10);
        assert_eq!(cut_text(&mut s, 10), None);
        assert_eq!(s.len(), 10);
        let mut s = "ab".to_string();
        assert_eq!(cut_text(&mut s, 1), Some(2));
        assert_eq!(s, "a…");
    }
}
