//! Updates as Telegram sent them: JSON first, types second.
//!
//! gridline reads getUpdates answers and webhook bodies as plain JSON values, so that one update
//! it cannot type never costs the batch around it. Each update is then read in three steps:
//!
//! 1. teloxide's typed [`Update`], mapped by [`to_event`] (the common case);
//! 2. when the typed reading fails or comes to nothing (an entity type, chat type or enum value
//!    newer than teloxide, a field of an unexpected type: teloxide reads some of these as an
//!    empty message instead of failing), a lenient reading of the few fields gridline
//!    uses, which ignores everything else;
//! 3. when that fails too, the update is kept as received ([`Unread`]) with the reason.
//!
//! Whatever the outcome, the caller stores it before Telegram is told the update arrived.

use serde_json::Value;
use teloxide::types::{Update, UpdateKind};

use super::update::{BotIdentity, PLATFORM, address_command, to_event};
use crate::platform::{ChatKind, ChatRef, EventKind, InboundEvent, Sender};
use crate::store::unread::{Unread, hash_key};

/// What one update came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// An event for the inbox. `lenient` holds why the typed reading failed, when it did.
    Event {
        event: Box<InboundEvent>,
        lenient: Option<String>,
    },
    /// Understood, and of no use to gridline (a channel post, another bot's message …).
    Skip,
    /// Not understood: to be kept as received.
    Unread(Unread),
}

/// The update's `update_id`, when it has a numeric one.
pub fn update_id(raw: &Value) -> Option<i64> {
    raw.get("update_id").and_then(Value::as_i64)
}

/// Reads one update (see the module docs). `now` stands in for a date that cannot be read.
pub fn read_update(me: &BotIdentity, raw: &Value, now: i64) -> Read {
    // From text: teloxide's update reader does not work from a `Value` (every kind comes out
    // as `UpdateKind::Error`).
    let typed_error = match serde_json::from_str::<Update>(&raw.to_string()) {
        Ok(update) => match &update.kind {
            UpdateKind::Error(_) => "teloxide could not read this update kind".to_string(),
            _ => match to_event(me, &update) {
                Some(event) => {
                    return Read::Event {
                        event: Box::new(event),
                        lenient: None,
                    };
                }
                // teloxide reads a message holding something it does not know (an entity
                // type, say) as an empty message rather than failing: nothing to map. The
                // lenient reading decides whether that was really nothing.
                None => "teloxide read the update as holding nothing gridline uses".to_string(),
            },
        },
        Err(e) => e.to_string(),
    };
    match lenient(me, raw, now) {
        Ok(Some(event)) => Read::Event {
            event: Box::new(event),
            lenient: Some(crate::store::unread::reason(typed_error)),
        },
        Ok(None) => Read::Skip,
        Err(why) => Read::Unread(unread(me, raw, format!("{why} ({typed_error})"))),
    }
}

/// The row that keeps `raw`.
pub fn unread(me: &BotIdentity, raw: &Value, reason: String) -> Unread {
    let text = raw.to_string();
    let hash = hash_key(text.as_bytes());
    let key = match update_id(raw) {
        Some(id) => format!("update:{id}:{hash}"),
        None => hash,
    };
    Unread {
        platform: PLATFORM.into(),
        account: me.account(),
        key,
        reason: crate::store::unread::reason(reason),
        raw: text,
    }
}

/// Update kinds gridline never asks for (`allowed_updates`) or has no use for.
const NOT_OURS: &[&str] = &[
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
];

/// Reads the fields gridline uses and nothing else. `Ok(None)`: understood, not for gridline;
/// `Err`: not understood.
fn lenient(me: &BotIdentity, raw: &Value, now: i64) -> Result<Option<InboundEvent>, String> {
    let obj = raw.as_object().ok_or("an update is not a JSON object")?;
    if let Some(msg) = obj.get("message") {
        return message(me, msg, now, false);
    }
    if let Some(msg) = obj.get("edited_message") {
        return message(me, msg, now, true);
    }
    if let Some(q) = obj.get("callback_query") {
        return callback(me, q, now);
    }
    if let Some(m) = obj.get("my_chat_member") {
        return my_member(me, m, now);
    }
    if obj.keys().any(|k| NOT_OURS.contains(&k.as_str())) {
        return Ok(None);
    }
    let kinds: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "update_id")
        .collect();
    Err(format!("unknown update kind {kinds:?}"))
}

/// A Telegram id (a JSON integer; some bridges and proxies send it as a string).
fn id(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn chat(v: &Value, thread: Option<String>) -> Result<Option<ChatRef>, String> {
    let chat_id = id(v.get("id")).ok_or("chat without a numeric id")?;
    let kind = match text_of(v.get("type")) {
        Some("private") => ChatKind::Private,
        Some("group" | "supergroup") => ChatKind::Group,
        Some("channel") => return Ok(None),
        Some(other) => return Err(format!("unknown chat type `{other}`")),
        None => return Err("chat without a type".into()),
    };
    Ok(Some(ChatRef {
        id: chat_id.to_string(),
        kind,
        title: text_of(v.get("title")).map(str::to_string),
        thread,
    }))
}

/// A user object; `None` unless it has a numeric id.
fn user(v: Option<&Value>) -> Option<(Sender, bool)> {
    let v = v?;
    let uid = id(v.get("id"))?;
    let first = text_of(v.get("first_name")).unwrap_or("");
    let name = match text_of(v.get("last_name")) {
        Some(last) if !last.is_empty() => format!("{first} {last}"),
        _ => first.to_string(),
    };
    let is_bot = v.get("is_bot").and_then(Value::as_bool).unwrap_or(false);
    Some((
        Sender {
            id: uid.to_string(),
            name,
            username: text_of(v.get("username")).map(str::to_string),
        },
        is_bot,
    ))
}

/// Seconds since the epoch → milliseconds; `now` when the date cannot be read.
fn date(v: Option<&Value>, now: i64) -> i64 {
    id(v).map_or(now, |s| s.saturating_mul(1000))
}

fn message(
    me: &BotIdentity,
    msg: &Value,
    now: i64,
    edited: bool,
) -> Result<Option<InboundEvent>, String> {
    let message_id = id(msg.get("message_id")).ok_or("message without a numeric message_id")?;
    let topic = msg.get("is_topic_message").and_then(Value::as_bool) == Some(true);
    let thread_id = id(msg.get("message_thread_id"));
    let thread = thread_id.filter(|_| topic).map(|t| t.to_string());
    let Some(chat) = chat(msg.get("chat").ok_or("message without a chat")?, thread)? else {
        return Ok(None);
    };
    let at = date(msg.get("date"), now);
    let from = user(msg.get("from"));
    if let Some(new_id) = id(msg.get("migrate_to_chat_id")) {
        let sender = from.map(|(s, _)| s).unwrap_or(Sender {
            id: String::new(),
            name: String::new(),
            username: None,
        });
        return Ok(Some(InboundEvent {
            platform: PLATFORM.into(),
            account: me.account(),
            event_id: format!("migrate:{}:{new_id}", chat.id),
            chat,
            sender,
            kind: EventKind::ChatMigrated {
                new_chat_id: new_id.to_string(),
            },
            at,
        }));
    }
    if let Some(left) = msg.get("left_chat_member") {
        if id(left.get("id")) == i64::try_from(me.id).ok()
            && let Some((by, _)) = from
        {
            return Ok(Some(removed(me, chat, by, at)));
        }
        return Ok(None);
    }
    // Other bots (and anonymous senders) are not people gridline answers.
    let Some((sender, false)) = from else {
        return Ok(None);
    };
    let (text, entities) = match (text_of(msg.get("text")), text_of(msg.get("caption"))) {
        (Some(t), _) => (t, msg.get("entities")),
        (None, Some(c)) => (c, msg.get("caption_entities")),
        (None, None) => ("", None),
    };
    let photos: Vec<String> = if edited {
        Vec::new()
    } else {
        largest_photo(msg.get("photo")).into_iter().collect()
    };
    if text.is_empty() && photos.is_empty() {
        // A sticker, a service message, a kind of media gridline does not read.
        return Ok(None);
    }
    let Some(text) = address_command(me, text) else {
        return Ok(None);
    };
    if edited {
        let edited_at = id(msg.get("edit_date")).map_or(at / 1000, |s| s);
        return Ok(Some(InboundEvent {
            platform: PLATFORM.into(),
            account: me.account(),
            event_id: format!("edit:{}:{message_id}:{edited_at}", chat.id),
            chat,
            sender,
            kind: EventKind::Edited {
                message_id: message_id.to_string(),
                text,
            },
            at: edited_at.saturating_mul(1000),
        }));
    }
    let reply_to = msg
        .get("reply_to_message")
        .and_then(|r| id(r.get("message_id")))
        // In a forum topic every message "replies" to the topic's root.
        .filter(|r| !(topic && Some(*r) == thread_id))
        .map(|r| r.to_string());
    Ok(Some(InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("msg:{}:{message_id}", chat.id),
        chat,
        sender,
        kind: EventKind::Message {
            message_id: message_id.to_string(),
            text,
            reply_to,
            mentions: mentions(me, entities),
            photos,
        },
        at,
    }))
}

fn largest_photo(sizes: Option<&Value>) -> Option<String> {
    sizes?
        .as_array()?
        .iter()
        .filter_map(|s| {
            let file = text_of(s.get("file_id"))?;
            // Saturating: the sizes are whatever the update says, however large.
            let area = id(s.get("width"))
                .unwrap_or(0)
                .saturating_mul(id(s.get("height")).unwrap_or(0));
            Some((area, file))
        })
        .max_by_key(|(area, _)| *area)
        .map(|(_, f)| f.to_string())
}

/// Ids of users named by a `text_mention` entity (the bot itself excluded). Entities of types
/// gridline does not know are passed over.
fn mentions(me: &BotIdentity, entities: Option<&Value>) -> Vec<String> {
    let mut ids = Vec::new();
    for e in entities.and_then(Value::as_array).into_iter().flatten() {
        if text_of(e.get("type")) != Some("text_mention") {
            continue;
        }
        if let Some(uid) = e.get("user").and_then(|u| id(u.get("id")))
            && i64::try_from(me.id).ok() != Some(uid)
        {
            let uid = uid.to_string();
            if !ids.contains(&uid) {
                ids.push(uid);
            }
        }
    }
    ids
}

fn callback(me: &BotIdentity, q: &Value, now: i64) -> Result<Option<InboundEvent>, String> {
    let qid = text_of(q.get("id")).ok_or("callback query without an id")?;
    let Some(msg) = q.get("message") else {
        return Ok(None);
    };
    let Some(data) = text_of(q.get("data")) else {
        return Ok(None);
    };
    let (sender, _) = user(q.get("from")).ok_or("callback query without a sender")?;
    let message_id = id(msg.get("message_id")).ok_or("callback message without an id")?;
    let Some(chat) = chat(
        msg.get("chat").ok_or("callback message without a chat")?,
        None,
    )?
    else {
        return Ok(None);
    };
    Ok(Some(InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("cb:{qid}"),
        chat,
        sender,
        kind: EventKind::Button {
            message_id: message_id.to_string(),
            button: data.to_string(),
            callback_id: Some(qid.to_string()),
        },
        at: date(msg.get("date"), now),
    }))
}

fn my_member(me: &BotIdentity, m: &Value, now: i64) -> Result<Option<InboundEvent>, String> {
    let new = m
        .get("new_chat_member")
        .ok_or("my_chat_member without new_chat_member")?;
    if id(new.get("user").and_then(|u| u.get("id"))) != i64::try_from(me.id).ok() {
        return Ok(None);
    }
    if !matches!(text_of(new.get("status")), Some("left" | "kicked")) {
        return Ok(None);
    }
    let Some(chat) = chat(m.get("chat").ok_or("my_chat_member without a chat")?, None)? else {
        return Ok(None);
    };
    let (by, _) = user(m.get("from")).ok_or("my_chat_member without a sender")?;
    Ok(Some(removed(me, chat, by, date(m.get("date"), now))))
}

/// As [`super::update`]'s removal event: one event id per chat and second.
fn removed(me: &BotIdentity, chat: ChatRef, by: Sender, at: i64) -> InboundEvent {
    InboundEvent {
        platform: PLATFORM.into(),
        account: me.account(),
        event_id: format!("removed:{}:{}", chat.id, at / 1000),
        chat,
        sender: by,
        kind: EventKind::BotRemoved,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn me() -> BotIdentity {
        BotIdentity {
            id: 7_000_000_001,
            username: "gridline_bot".into(),
        }
    }

    fn group_message(extra: Value) -> Value {
        let mut msg = json!({"message_id": 51,
            "from": {"id": 111, "is_bot": false, "first_name": "芳", "last_name": "王"},
            "chat": {"id": -1001, "title": "1号网格", "type": "supergroup"},
            "date": 1_717_000_000, "text": "3栋2单元楼道灯坏了"});
        if let (Some(m), Some(e)) = (msg.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                m.insert(k.clone(), v.clone());
            }
        }
        json!({"update_id": 9, "message": msg})
    }

    fn text(read: &Read) -> Option<String> {
        match read {
            Read::Event { event, .. } => match &event.kind {
                EventKind::Message { text, .. } => Some(text.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn a_well_formed_update_is_read_typed() {
        let read = read_update(&me(), &group_message(json!({})), 0);
        assert!(
            matches!(&read, Read::Event { lenient: None, .. }),
            "{read:?}"
        );
        assert_eq!(text(&read).as_deref(), Some("3栋2单元楼道灯坏了"));
    }

    #[test]
    fn unknown_entities_fields_and_dates_are_read() {
        let mention = json!({"entities": [
            {"type": "future_entity", "offset": 0, "length": 2},
            {"type": "text_mention", "offset": 0, "length": 1,
             "user": {"id": 222, "is_bot": false, "first_name": "李"}}]});
        let cases = [
            mention.clone(),
            json!({"date": "yesterday"}),
            json!({"brand_new_field": {"nested": [1, 2, 3]}}),
        ];
        for extra in cases {
            let read = read_update(&me(), &group_message(extra.clone()), 5_000);
            assert_eq!(
                text(&read).as_deref(),
                Some("3栋2单元楼道灯坏了"),
                "{extra}"
            );
        }
        let Read::Event { event, lenient } = read_update(&me(), &group_message(mention), 0) else {
            panic!("event")
        };
        assert!(lenient.is_some(), "teloxide does not know the entity type");
        let EventKind::Message { mentions, .. } = &event.kind else {
            panic!("message")
        };
        assert_eq!(mentions, &vec!["222".to_string()]);
    }

    #[test]
    fn an_unknown_chat_type_is_kept_unread() {
        let update = group_message(json!({"chat": {"id": -5, "type": "guild"}}));
        match read_update(&me(), &update, 0) {
            Read::Unread(u) => {
                assert!(u.reason.contains("guild"), "{}", u.reason);
                assert!(u.key.starts_with("update:9:"), "{}", u.key);
                assert_eq!(
                    serde_json::from_str::<Value>(&u.raw).expect("raw is JSON"),
                    update
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_update_kinds_are_kept_and_known_foreign_ones_skipped() {
        assert!(matches!(
            read_update(&me(), &json!({"update_id": 3, "guild_event": {"x": 1}}), 0),
            Read::Unread(_)
        ));
        assert!(matches!(
            read_update(&me(), &json!([1, 2]), 0),
            Read::Unread(_)
        ));
        assert_eq!(
            read_update(
                &me(),
                &json!({"update_id": 4, "channel_post": {"message_id": 1, "date": "x",
                        "chat": {"id": -9, "type": "channel"}}}),
                0
            ),
            Read::Skip
        );
    }

    #[test]
    fn commands_for_other_bots_and_bot_senders_are_skipped_leniently() {
        let other = group_message(json!({"text": "/claim@other_bot 4", "date": "x"}));
        assert_eq!(read_update(&me(), &other, 0), Read::Skip);
        let bot = group_message(
            json!({"from": {"id": 5, "is_bot": true, "first_name": "b"}, "date": "x"}),
        );
        assert_eq!(read_update(&me(), &bot, 0), Read::Skip);
    }

    #[test]
    fn a_reason_quoting_a_megabyte_of_garbage_stays_short() {
        // A webhook body that is not JSON reaches the reader as a string holding the body;
        // serde's error quotes it whole.
        let garbage = Value::String("\u{fffd}x".repeat(300_000));
        let Read::Unread(row) = read_update(&me(), &garbage, 0) else {
            panic!("garbage must be kept unread");
        };
        assert!(row.reason.len() <= crate::store::unread::REASON_MAX_BYTES);
        assert!(
            row.reason.starts_with("an update is not a JSON object"),
            "{}",
            row.reason
        );
        assert!(row.reason.ends_with('…'));
        // The payload itself is kept (cut to its first 64 KiB where it is stored).
        assert_eq!(row.raw, garbage.to_string());

        // A date quoting a long string: read leniently, and the note of why is short too.
        let long_date = group_message(json!({"date": "9".repeat(100_000) + "x"}));
        match read_update(&me(), &long_date, 0) {
            Read::Event {
                lenient: Some(why), ..
            } => {
                assert!(
                    why.len() <= crate::store::unread::REASON_MAX_BYTES,
                    "{}",
                    why.len()
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
