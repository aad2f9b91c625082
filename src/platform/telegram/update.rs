//! Telegram updates → gridline [`InboundEvent`]s. Pure: no I/O, tested on real Bot API JSON.
//!
//! Event ids are built from what Telegram guarantees to be unique forever (chat id + message id,
//! callback query id) rather than from `update_id`, which Telegram may restart at a random value
//! after a week without updates: a reused update id must never make a new message look like a
//! duplicate.

use teloxide::types::{
    CallbackQuery, ChatMemberUpdated, MediaKind, Message, MessageEntity, MessageEntityKind,
    MessageKind, Update, UpdateKind, User,
};

use crate::platform::{ChatKind, ChatRef, EventKind, InboundEvent, Sender};

/// The platform name stored with every Telegram event and outbox row.
pub const PLATFORM: &str = "telegram";

/// Who the bot is, as getMe told us: needed to drop commands meant for other bots, strip our own
/// `@name` from `/cmd@name` and notice our own removal from a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub id: u64,
    pub username: String,
}

impl BotIdentity {
    /// The `account` of every event and outbox row of this bot.
    pub fn account(&self) -> String {
        self.id.to_string()
    }
}

/// Maps one update. `None` for updates gridline has no use for (channel posts, service
/// messages other than migration, messages from other bots, commands addressed to another bot,
/// updates teloxide could not parse). Their offset is still confirmed: they are skipped, not
/// retried.
pub fn to_event(me: &BotIdentity, update: &Update) -> Option<InboundEvent> {
    match &update.kind {
        UpdateKind::Message(msg) => from_message(me, msg),
        UpdateKind::EditedMessage(msg) => from_edit(me, msg),
        UpdateKind::CallbackQuery(q) => from_callback(me, q),
        UpdateKind::MyChatMember(m) => from_my_member(me, m),
        _ => None,
    }
}

fn chat_ref(msg: &Message) -> Option<ChatRef> {
    let chat = &msg.chat;
    let kind = if chat.is_private() {
        ChatKind::Private
    } else if chat.is_group() || chat.is_supergroup() {
        ChatKind::Group
    } else {
        // Channels: gridline serves group chats and private chats only.
        return None;
    };
    Some(ChatRef {
        id: chat.id.0.to_string(),
        kind,
        title: chat.title().map(str::to_string),
        // `message_thread_id` is also set on reply threads of ordinary supergroups, where
        // sending with it fails; only forum topics are threads gridline keeps.
        thread: msg
            .thread_id
            .filter(|_| msg.is_topic_message)
            .map(|t| t.0.0.to_string()),
    })
}

fn sender(user: &User) -> Sender {
    Sender {
        id: user.id.0.to_string(),
        name: user.full_name(),
        username: user.username.clone(),
    }
}

fn at_millis(msg: &Message) -> i64 {
    msg.date.timestamp_millis()
}

/// The sender of an ordinary message: a person. Other bots (and anonymous channel posts in
/// discussion groups) are skipped so that two bots never talk to each other.
fn human_sender(msg: &Message) -> Option<&User> {
    msg.from.as_ref().filter(|u| !u.is_bot)
}

fn from_message(me: &BotIdentity, msg: &Message) -> Option<InboundEvent> {
    let chat = chat_ref(msg)?;
    let account = me.account();

    // Group → supergroup: Telegram posts a service message in the old group. It comes "from"
    // whoever upgraded the group; gridline only needs the new id.
    if let Some(new_id) = msg.migrate_to_chat_id() {
        let from = msg.from.as_ref().map(sender).unwrap_or_else(|| Sender {
            id: String::new(),
            name: String::new(),
            username: None,
        });
        return Some(InboundEvent {
            platform: PLATFORM.into(),
            account,
            event_id: format!("migrate:{}:{}", chat.id, new_id.0),
            chat,
            sender: from,
            kind: EventKind::ChatMigrated {
                new_chat_id: new_id.0.to_string(),
            },
            at: at_millis(msg),
        });
    }

    // The bot removed by a service message (basic groups send this besides my_chat_member).
    if let MessageKind::LeftChatMember(left) = &msg.kind
        && left.left_chat_member.id.0 == me.id
    {
        return Some(removed_event(me, &chat, msg.from.as_ref()?, at_millis(msg)));
    }

    let MessageKind::Common(common) = &msg.kind else {
        return None;
    };
    let user = human_sender(msg)?;
    let (text, entities, photos) = match &common.media_kind {
        MediaKind::Text(t) => (t.text.as_str(), t.entities.as_slice(), Vec::new()),
        MediaKind::Photo(p) => (
            p.caption.as_deref().unwrap_or(""),
            p.caption_entities.as_slice(),
            // Telegram lists the sizes smallest first; the largest is the one worth keeping.
            p.photo
                .iter()
                .max_by_key(|s| u64::from(s.width) * u64::from(s.height))
                .map(|s| vec![s.file.id.0.clone()])
                .unwrap_or_default(),
        ),
        _ => return None,
    };
    let text = address_command(me, text)?;
    let reply_to = common
        .reply_to_message
        .as_deref()
        // In a forum topic every message "replies" to the topic's creation message; that is
        // where it was posted, not what it answers.
        .filter(|r| !is_topic_root(msg, r))
        .map(|r| r.id.0.to_string());
    Some(InboundEvent {
        platform: PLATFORM.into(),
        account,
        event_id: format!("msg:{}:{}", chat.id, msg.id.0),
        chat,
        sender: sender(user),
        kind: EventKind::Message {
            message_id: msg.id.0.to_string(),
            text,
            reply_to,
            mentions: mentioned_ids(me, entities),
            photos,
        },
        at: at_millis(msg),
    })
}

fn is_topic_root(msg: &Message, replied: &Message) -> bool {
    msg.is_topic_message
        && (matches!(replied.kind, MessageKind::ForumTopicCreated(_))
            || msg.thread_id.is_some_and(|t| t.0 == replied.id))
}

fn from_edit(me: &BotIdentity, msg: &Message) -> Option<InboundEvent> {
    let chat = chat_ref(msg)?;
    let user = human_sender(msg)?;
    let text = msg.text().or_else(|| msg.caption())?;
    let text = address_command(me, text)?;
    // Each edit is its own event: the edit time tells two edits of one message apart.
    let edited_at = msg.edit_date().map_or(msg.date, |d| *d);
    Some(InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("edit:{}:{}:{}", chat.id, msg.id.0, edited_at.timestamp()),
        chat,
        sender: sender(user),
        kind: EventKind::Edited {
            message_id: msg.id.0.to_string(),
            text,
        },
        at: edited_at.timestamp_millis(),
    })
}

fn from_callback(me: &BotIdentity, q: &CallbackQuery) -> Option<InboundEvent> {
    // Buttons live on messages the bot sent; an inline-mode button has no chat and is not ours.
    let message = q.message.as_ref()?;
    let data = q.data.as_deref()?;
    let (chat, at) = match message.regular_message() {
        Some(msg) => (chat_ref(msg)?, at_millis(msg)),
        None => {
            let c = message.chat();
            let kind = if c.is_private() {
                ChatKind::Private
            } else {
                ChatKind::Group
            };
            let chat = ChatRef {
                id: c.id.0.to_string(),
                kind,
                title: c.title().map(str::to_string),
                thread: None,
            };
            (chat, crate::store::now_millis())
        }
    };
    Some(InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("cb:{}", q.id.0),
        chat,
        sender: sender(&q.from),
        kind: EventKind::Button {
            message_id: message.id().0.to_string(),
            button: data.to_string(),
            callback_id: Some(q.id.0.clone()),
        },
        at,
    })
}

fn from_my_member(me: &BotIdentity, m: &ChatMemberUpdated) -> Option<InboundEvent> {
    if m.new_chat_member.user.id.0 != me.id {
        return None;
    }
    let gone = m.new_chat_member.is_left() || m.new_chat_member.is_banned();
    if !gone || m.chat.is_channel() {
        return None;
    }
    let kind = if m.chat.is_private() {
        ChatKind::Private
    } else {
        ChatKind::Group
    };
    let chat = ChatRef {
        id: m.chat.id.0.to_string(),
        kind,
        title: m.chat.title().map(str::to_string),
        thread: None,
    };
    Some(removed_event(me, &chat, &m.from, m.date.timestamp_millis()))
}

/// Both the service message and my_chat_member report a removal; one event id (chat + second)
/// makes the pair a single inbox row.
fn removed_event(me: &BotIdentity, chat: &ChatRef, by: &User, at: i64) -> InboundEvent {
    InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("removed:{}:{}", chat.id, at / 1000),
        chat: chat.clone(),
        sender: sender(by),
        kind: EventKind::BotRemoved,
        at,
    }
}

/// `/claim@gridline_bot 42` → `/claim 42`; `/claim@other_bot 42` → `None` (that command is for
/// another bot in the same group). Everything else passes unchanged.
pub fn address_command(me: &BotIdentity, text: &str) -> Option<String> {
    let Some(rest) = text.strip_prefix('/') else {
        return Some(text.to_string());
    };
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (word, tail) = rest.split_at(word_end);
    match word.split_once('@') {
        None => Some(text.to_string()),
        Some((command, bot)) if bot.eq_ignore_ascii_case(&me.username) => {
            Some(format!("/{command}{tail}"))
        }
        Some(_) => None,
    }
}

/// Ids of users named by a text mention (people without a username, or picked from the member
/// list). `@username` mentions carry no id; the engine resolves those by name from the text.
fn mentioned_ids(me: &BotIdentity, entities: &[MessageEntity]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for e in entities {
        if let MessageEntityKind::TextMention { user } = &e.kind
            && user.id.0 != me.id
        {
            let id = user.id.0.to_string();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> BotIdentity {
        BotIdentity {
            id: 7_000_000_001,
            username: "gridline_bot".into(),
        }
    }

    fn parse(json: &str) -> Update {
        serde_json::from_str(json).expect("a valid Bot API update")
    }

    fn event(json: &str) -> InboundEvent {
        to_event(&me(), &parse(json)).expect("mapped to an event")
    }

    #[test]
    fn group_text_message() {
        let ev = event(
            r#"{"update_id":10001,"message":{"message_id":51,
            "from":{"id":111,"is_bot":false,"first_name":"芳","last_name":"王","username":"wangfang","language_code":"zh-hans"},
            "chat":{"id":-1001234567890,"title":"幸福小区1号网格","type":"supergroup"},
            "date":1717000000,"text":"3栋2单元楼道灯坏了"}}"#,
        );
        assert_eq!(ev.platform, "telegram");
        assert_eq!(ev.account, "7000000001");
        assert_eq!(ev.event_id, "msg:-1001234567890:51");
        assert_eq!(ev.chat.id, "-1001234567890");
        assert_eq!(ev.chat.kind, ChatKind::Group);
        assert_eq!(ev.chat.title.as_deref(), Some("幸福小区1号网格"));
        assert_eq!(ev.chat.thread, None);
        assert_eq!(ev.sender.id, "111");
        assert_eq!(ev.sender.name, "芳 王");
        assert_eq!(ev.sender.username.as_deref(), Some("wangfang"));
        assert_eq!(ev.at, 1_717_000_000_000);
        assert_eq!(
            ev.kind,
            EventKind::Message {
                message_id: "51".into(),
                text: "3栋2单元楼道灯坏了".into(),
                reply_to: None,
                mentions: vec![],
                photos: vec![],
            }
        );
    }

    #[test]
    fn private_chat_command_for_this_bot_is_normalised() {
        let ev = event(
            r#"{"update_id":10002,"message":{"message_id":3,
            "from":{"id":222,"is_bot":false,"first_name":"Li"},
            "chat":{"id":222,"first_name":"Li","type":"private"},
            "date":1717000001,"text":"/list@GridLine_Bot",
            "entities":[{"offset":0,"length":18,"type":"bot_command"}]}}"#,
        );
        assert_eq!(ev.chat.kind, ChatKind::Private);
        let EventKind::Message { text, .. } = ev.kind else {
            panic!("a message")
        };
        assert_eq!(text, "/list");
    }

    #[test]
    fn command_for_another_bot_is_skipped() {
        let update = parse(
            r#"{"update_id":10003,"message":{"message_id":4,
            "from":{"id":222,"is_bot":false,"first_name":"Li"},
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "date":1717000001,"text":"/stats@other_bot today"}}"#,
        );
        assert_eq!(to_event(&me(), &update), None);
        assert_eq!(
            address_command(&me(), "/claim@gridline_bot 42").as_deref(),
            Some("/claim 42")
        );
        assert_eq!(
            address_command(&me(), "/claim 42").as_deref(),
            Some("/claim 42")
        );
        assert_eq!(
            address_command(&me(), "接单 42").as_deref(),
            Some("接单 42")
        );
    }

    #[test]
    fn forum_topic_keeps_thread_and_ignores_topic_root_reply() {
        let ev = event(
            r#"{"update_id":10004,"message":{"message_id":120,"message_thread_id":77,
            "from":{"id":111,"is_bot":false,"first_name":"Fang"},
            "chat":{"id":-1009876,"title":"社区论坛","type":"supergroup","is_forum":true},
            "date":1717000002,"is_topic_message":true,
            "reply_to_message":{"message_id":77,"message_thread_id":77,
              "from":{"id":111,"is_bot":false,"first_name":"Fang"},
              "chat":{"id":-1009876,"title":"社区论坛","type":"supergroup","is_forum":true},
              "date":1716000000,"is_topic_message":true,
              "forum_topic_created":{"name":"报修","icon_color":7322096}},
            "text":"下水道堵了"}}"#,
        );
        assert_eq!(ev.chat.thread.as_deref(), Some("77"));
        let EventKind::Message { reply_to, .. } = ev.kind else {
            panic!("a message")
        };
        assert_eq!(reply_to, None);
    }

    #[test]
    fn reply_in_a_topic_and_in_a_plain_supergroup() {
        let ev = event(
            r#"{"update_id":10005,"message":{"message_id":130,"message_thread_id":77,
            "from":{"id":333,"is_bot":false,"first_name":"Qiang","last_name":"Li"},
            "chat":{"id":-1009876,"title":"社区论坛","type":"supergroup","is_forum":true},
            "date":1717000003,"is_topic_message":true,
            "reply_to_message":{"message_id":125,"message_thread_id":77,
              "from":{"id":7000000001,"is_bot":true,"first_name":"Gridline","username":"gridline_bot"},
              "chat":{"id":-1009876,"title":"社区论坛","type":"supergroup","is_forum":true},
              "date":1717000002,"is_topic_message":true,"text":"12号 已受理"},
            "text":"接单"}}"#,
        );
        assert_eq!(ev.chat.thread.as_deref(), Some("77"));
        let EventKind::Message { reply_to, .. } = ev.kind else {
            panic!("a message")
        };
        assert_eq!(reply_to.as_deref(), Some("125"));

        // A reply thread in a non-forum supergroup has a message_thread_id too, but it is not a
        // topic and must not be sent back.
        let ev = event(
            r#"{"update_id":10006,"message":{"message_id":31,"message_thread_id":30,
            "from":{"id":333,"is_bot":false,"first_name":"Qiang"},
            "chat":{"id":-100444,"title":"g","type":"supergroup"},
            "date":1717000003,
            "reply_to_message":{"message_id":30,
              "from":{"id":111,"is_bot":false,"first_name":"Fang"},
              "chat":{"id":-100444,"title":"g","type":"supergroup"},
              "date":1717000002,"text":"灯坏了"},
            "text":"收到"}}"#,
        );
        assert_eq!(ev.chat.thread, None);
        let EventKind::Message { reply_to, .. } = ev.kind else {
            panic!("a message")
        };
        assert_eq!(reply_to.as_deref(), Some("30"));
    }

    #[test]
    fn text_mentions_give_user_ids() {
        let ev = event(
            r#"{"update_id":10007,"message":{"message_id":60,
            "from":{"id":999,"is_bot":false,"first_name":"Admin"},
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "date":1717000004,"text":"/transfer 12 @李强 @gridline_bot",
            "entities":[{"offset":0,"length":9,"type":"bot_command"},
              {"offset":13,"length":3,"type":"text_mention","user":{"id":333,"is_bot":false,"first_name":"李强"}},
              {"offset":17,"length":13,"type":"mention"}]}}"#,
        );
        let EventKind::Message { mentions, .. } = ev.kind else {
            panic!("a message")
        };
        assert_eq!(mentions, vec!["333".to_string()]);
    }

    #[test]
    fn photo_with_caption() {
        let ev = event(
            r#"{"update_id":10008,"message":{"message_id":70,
            "from":{"id":111,"is_bot":false,"first_name":"Fang"},
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "date":1717000005,
            "photo":[{"file_id":"small","file_unique_id":"s1","file_size":1200,"width":90,"height":67},
                     {"file_id":"large","file_unique_id":"l1","file_size":90000,"width":1280,"height":960},
                     {"file_id":"medium","file_unique_id":"m1","file_size":20000,"width":320,"height":240}],
            "caption":"路边大树要倒了"}}"#,
        );
        assert_eq!(
            ev.kind,
            EventKind::Message {
                message_id: "70".into(),
                text: "路边大树要倒了".into(),
                reply_to: None,
                mentions: vec![],
                photos: vec!["large".into()],
            }
        );
    }

    #[test]
    fn edited_message() {
        let ev = event(
            r#"{"update_id":10009,"edited_message":{"message_id":51,
            "from":{"id":111,"is_bot":false,"first_name":"Fang"},
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "date":1717000000,"edit_date":1717000100,"text":"3栋2单元楼道灯全坏了"}}"#,
        );
        assert_eq!(ev.event_id, "edit:-100555:51:1717000100");
        assert_eq!(
            ev.kind,
            EventKind::Edited {
                message_id: "51".into(),
                text: "3栋2单元楼道灯全坏了".into()
            }
        );
    }

    #[test]
    fn group_migrated_to_supergroup() {
        let ev = event(
            r#"{"update_id":10010,"message":{"message_id":90,
            "from":{"id":999,"is_bot":false,"first_name":"Admin"},
            "chat":{"id":-4567,"title":"g","type":"group","all_members_are_administrators":false},
            "date":1717000006,"migrate_to_chat_id":-1004567000}}"#,
        );
        assert_eq!(ev.chat.id, "-4567");
        assert_eq!(
            ev.kind,
            EventKind::ChatMigrated {
                new_chat_id: "-1004567000".into()
            }
        );
    }

    #[test]
    fn bot_removed_from_group() {
        let ev = event(
            r#"{"update_id":10011,"my_chat_member":{
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "from":{"id":999,"is_bot":false,"first_name":"Admin"},
            "date":1717000007,
            "old_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Gridline","username":"gridline_bot"},"status":"member"},
            "new_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Gridline","username":"gridline_bot"},"status":"kicked","until_date":0}}}"#,
        );
        assert_eq!(ev.kind, EventKind::BotRemoved);
        assert_eq!(ev.chat.id, "-100555");

        // Being added is not a removal.
        let added = parse(
            r#"{"update_id":10012,"my_chat_member":{
            "chat":{"id":-100555,"title":"g","type":"supergroup"},
            "from":{"id":999,"is_bot":false,"first_name":"Admin"},
            "date":1717000008,
            "old_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Gridline"},"status":"left"},
            "new_chat_member":{"user":{"id":7000000001,"is_bot":true,"first_name":"Gridline"},"status":"member"}}}"#,
        );
        assert_eq!(to_event(&me(), &added), None);
    }

    #[test]
    fn button_press() {
        let ev = event(
            r#"{"update_id":10013,"callback_query":{"id":"4382bfdwdsb323b2d9",
            "from":{"id":333,"is_bot":false,"first_name":"Qiang"},
            "message":{"message_id":125,"message_thread_id":77,
              "from":{"id":7000000001,"is_bot":true,"first_name":"Gridline","username":"gridline_bot"},
              "chat":{"id":-1009876,"title":"社区论坛","type":"supergroup","is_forum":true},
              "date":1717000002,"is_topic_message":true,"text":"12号 已受理",
              "reply_markup":{"inline_keyboard":[[{"text":"接单","callback_data":"/claim 12"}]]}},
            "chat_instance":"-539211","data":"/claim 12"}}"#,
        );
        assert_eq!(ev.event_id, "cb:4382bfdwdsb323b2d9");
        assert_eq!(ev.sender.id, "333");
        assert_eq!(ev.chat.thread.as_deref(), Some("77"));
        assert_eq!(
            ev.kind,
            EventKind::Button {
                message_id: "125".into(),
                button: "/claim 12".into(),
                callback_id: Some("4382bfdwdsb323b2d9".into()),
            }
        );
    }

    #[test]
    fn skipped_updates() {
        for json in [
            // another bot talking
            r#"{"update_id":1,"message":{"message_id":1,"from":{"id":5,"is_bot":true,"first_name":"B"},
               "chat":{"id":-100555,"title":"g","type":"supergroup"},"date":1717000000,"text":"hi"}}"#,
            // a channel post
            r#"{"update_id":2,"channel_post":{"message_id":1,"chat":{"id":-100777,"title":"c","type":"channel"},
               "date":1717000000,"text":"news"}}"#,
            // a sticker
            r#"{"update_id":3,"message":{"message_id":2,"from":{"id":5,"is_bot":false,"first_name":"A"},
               "chat":{"id":-100555,"title":"g","type":"supergroup"},"date":1717000000,
               "sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false}}}"#,
            // something teloxide does not know
            r#"{"update_id":4,"brand_new_kind":{"x":1}}"#,
        ] {
            assert_eq!(to_event(&me(), &parse(json)), None, "{json}");
        }
    }
}
