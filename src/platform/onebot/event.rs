//! OneBot v11 events → [`InboundEvent`]s. Pure: no I/O, tested against real bridge samples.
//!
//! Bridges differ in small ways this module absorbs: ids come as numbers or strings (WeChat
//! bridges use strings such as `123@chatroom`; QQ bridges send numbers, message ids may be
//! negative), the message comes as a segment array or a CQ-code string, and some bridges report
//! the bot's own messages back.

use serde_json::Value;

use super::{PLATFORM, cq, private_chat};
use crate::platform::{ChatKind, ChatRef, EventKind, InboundEvent, Millis, Sender};

/// What an event frame means for gridline.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Something to store in the inbox.
    Inbound(Box<InboundEvent>),
    /// A valid event gridline does not act on (heartbeats, lifecycle, friend requests …).
    Ignored(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a JSON object")]
    NotAnObject,
    #[error("event has no usable `{0}`")]
    Missing(&'static str),
    /// A kind of event gridline does not know: kept as received rather than ignored, since it
    /// may be a message a newer bridge reports differently.
    #[error("unknown {0} `{1}`")]
    Unknown(&'static str, String),
}

/// Reads an id given as a number or a string. `1.0` (some bridges serialise through doubles)
/// becomes `1`.
pub fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i.to_string())
            } else if let Some(u) = n.as_u64() {
                Some(u.to_string())
            } else {
                let f = n.as_f64()?;
                (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| (f as i64).to_string())
            }
        }
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

/// Parses one event. `self_hint` is the X-Self-ID the connection announced, used only when the
/// event itself carries no `self_id`.
pub fn parse(event: &Value, self_hint: Option<&str>, now: Millis) -> Result<Parsed, ParseError> {
    let obj = event.as_object().ok_or(ParseError::NotAnObject)?;
    let self_id = id_of(obj.get("self_id"))
        .or_else(|| self_hint.map(str::to_string))
        .ok_or(ParseError::Missing("self_id"))?;
    let at = obj
        .get("time")
        .and_then(|t| id_of(Some(t)))
        .and_then(|t| t.parse::<i64>().ok())
        .map(|secs| secs.saturating_mul(1000))
        .unwrap_or(now);
    let str_field = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or_default();
    match str_field("post_type") {
        "message" => parse_message(obj, &self_id, at),
        "notice" => Ok(parse_notice(obj, &self_id, at)),
        // The bot's own messages, reported back by NapCat and others.
        "message_sent" => Ok(Parsed::Ignored("own message")),
        "meta_event" => Ok(Parsed::Ignored("meta event")),
        "request" => Ok(Parsed::Ignored("request")),
        "" => Err(ParseError::Missing("post_type")),
        other => Err(ParseError::Unknown("post_type", other.to_string())),
    }
}

fn parse_message(
    obj: &serde_json::Map<String, Value>,
    self_id: &str,
    at: Millis,
) -> Result<Parsed, ParseError> {
    let user_id = id_of(obj.get("user_id")).ok_or(ParseError::Missing("user_id"))?;
    if user_id == self_id {
        return Ok(Parsed::Ignored("own message"));
    }
    let message_id = id_of(obj.get("message_id")).ok_or(ParseError::Missing("message_id"))?;
    let (chat_id, kind) = match obj.get("message_type").and_then(Value::as_str) {
        Some("group") => (
            id_of(obj.get("group_id")).ok_or(ParseError::Missing("group_id"))?,
            ChatKind::Group,
        ),
        Some("private") => (private_chat(&user_id), ChatKind::Private),
        Some(other) => return Err(ParseError::Unknown("message_type", other.to_string())),
        None => return Err(ParseError::Missing("message_type")),
    };
    let segments = match obj.get("message").or_else(|| obj.get("raw_message")) {
        Some(Value::String(s)) => cq::parse(s),
        Some(Value::Array(a)) => a.clone(),
        // A single segment object: allowed by the spec, rare in practice.
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => return Err(ParseError::Missing("message")),
    };
    let content = read_segments(&segments, self_id);
    let sender = obj.get("sender").and_then(Value::as_object);
    let name_field = |k: &str| {
        sender
            .and_then(|s| s.get(k))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // The group card (群名片) is how people are known in that group; the nickname otherwise.
    let name = name_field("card")
        .or_else(|| name_field("nickname"))
        .unwrap_or(&user_id)
        .to_string();
    let title = obj
        .get("group_name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(Parsed::Inbound(Box::new(InboundEvent {
        platform: PLATFORM.into(),
        account: self_id.to_string(),
        // A bridge may reuse short message ids after a restart; with the time, a redelivered
        // event still de-duplicates while a reused id does not swallow a new message.
        event_id: format!("{chat_id}/{message_id}/{at}"),
        chat: ChatRef {
            id: chat_id,
            kind,
            title,
            thread: None,
        },
        sender: Sender {
            id: user_id,
            name,
            username: None,
        },
        kind: EventKind::Message {
            message_id,
            text: content.text,
            reply_to: content.reply_to,
            mentions: content.mentions,
            photos: content.photos,
        },
        at,
    })))
}

fn parse_notice(obj: &serde_json::Map<String, Value>, self_id: &str, at: Millis) -> Parsed {
    let notice = obj.get("notice_type").and_then(Value::as_str);
    let removed = notice == Some("group_decrease")
        && (obj.get("sub_type").and_then(Value::as_str) == Some("kick_me")
            || id_of(obj.get("user_id")).as_deref() == Some(self_id));
    if !removed {
        return Parsed::Ignored("notice");
    }
    let Some(group) = id_of(obj.get("group_id")) else {
        return Parsed::Ignored("notice without group");
    };
    let operator = id_of(obj.get("operator_id")).unwrap_or_default();
    Parsed::Inbound(Box::new(InboundEvent {
        platform: PLATFORM.into(),
        account: self_id.to_string(),
        event_id: format!("{group}/removed/{at}"),
        chat: ChatRef {
            id: group,
            kind: ChatKind::Group,
            title: None,
            thread: None,
        },
        sender: Sender {
            id: operator.clone(),
            name: operator,
            username: None,
        },
        kind: EventKind::BotRemoved,
        at,
    }))
}

/// The parts of a message gridline reads.
#[derive(Debug, Default, PartialEq)]
struct Content {
    text: String,
    reply_to: Option<String>,
    mentions: Vec<String>,
    photos: Vec<String>,
}

fn read_segments(segments: &[Value], self_id: &str) -> Content {
    let mut c = Content::default();
    for seg in segments {
        let kind = seg.get("type").and_then(Value::as_str).unwrap_or_default();
        let data = seg.get("data");
        let field = |k: &str| data.and_then(|d| id_of(d.get(k)));
        match kind {
            "text" => {
                if let Some(t) = data.and_then(|d| d.get("text")).and_then(Value::as_str) {
                    c.text.push_str(t);
                }
            }
            "at" => match field("qq") {
                // Addressing the bot is how people talk to it, not part of what they say.
                Some(qq) if qq == self_id => {}
                Some(qq) if qq == "all" => c.text.push_str("@全体成员"),
                Some(qq) => {
                    let name = field("name").unwrap_or_else(|| qq.clone());
                    c.text.push('@');
                    c.text.push_str(&name);
                    if !c.mentions.contains(&qq) {
                        c.mentions.push(qq);
                    }
                }
                None => {}
            },
            "reply" if c.reply_to.is_none() => c.reply_to = field("id"),
            "image" => {
                // `url` can be fetched; `file` is the bridge's own handle, the fallback.
                if let Some(src) = field("url").or_else(|| field("file")) {
                    c.photos.push(src);
                }
            }
            // Faces, voice, files, cards: nothing gridline reads.
            _ => {}
        }
    }
    c.text = c.text.trim().to_string();
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(
        v: Value,
    ) -> (
        InboundEvent,
        String,
        Option<String>,
        Vec<String>,
        Vec<String>,
    ) {
        match parse(&v, None, 0).expect("parses") {
            Parsed::Inbound(ev) => match ev.kind.clone() {
                EventKind::Message {
                    text,
                    reply_to,
                    mentions,
                    photos,
                    ..
                } => (*ev, text, reply_to, mentions, photos),
                other => panic!("not a message: {other:?}"),
            },
            Parsed::Ignored(why) => panic!("ignored: {why}"),
        }
    }

    #[test]
    fn napcat_group_message_with_array_segments() {
        // As NapCat posts it: numeric ids, a negative message id, a group card name.
        let (ev, text, reply_to, mentions, photos) = message(json!({
            "self_id": 3889001234u64, "user_id": 1145141919, "time": 1732260000,
            "message_id": -2071935419, "message_seq": 5810, "real_id": 5810,
            "message_type": "group", "sender": {"user_id": 1145141919, "nickname": "芳芳",
            "card": "王芳 3栋", "role": "member"}, "raw_message": "[CQ:at,qq=3889001234] 3栋楼道灯坏了",
            "font": 14, "sub_type": "normal",
            "message": [
                {"type": "at", "data": {"qq": "3889001234"}},
                {"type": "text", "data": {"text": " 3栋楼道灯坏了"}},
                {"type": "image", "data": {"file": "ABC.jpg", "url": "https://multimedia.nt.qq.com.cn/x?a=1"}}
            ],
            "message_format": "array", "post_type": "message", "group_id": 812345678
        }));
        assert_eq!(ev.platform, "onebot");
        assert_eq!(ev.account, "3889001234");
        assert_eq!(ev.chat.id, "812345678");
        assert_eq!(ev.chat.kind, ChatKind::Group);
        assert_eq!(ev.sender.id, "1145141919");
        assert_eq!(ev.sender.name, "王芳 3栋");
        assert_eq!(ev.at, 1_732_260_000_000);
        assert_eq!(text, "3栋楼道灯坏了");
        assert_eq!(reply_to, None);
        assert!(mentions.is_empty(), "the bot's own mention is stripped");
        assert_eq!(photos, vec!["https://multimedia.nt.qq.com.cn/x?a=1"]);
        match &ev.kind {
            EventKind::Message { message_id, .. } => assert_eq!(message_id, "-2071935419"),
            _ => unreachable!(),
        }
        assert_eq!(ev.event_id, "812345678/-2071935419/1732260000000");
    }

    #[test]
    fn wechat_bridge_string_ids_and_cq_string() {
        let (ev, text, reply_to, mentions, _) = message(json!({
            "time": "1732260100", "self_id": "wxid_bot01", "post_type": "message",
            "message_type": "group", "sub_type": "normal", "message_id": "7301234567890123456",
            "group_id": "20342@chatroom", "user_id": "wxid_leader9",
            "message": "[CQ:reply,id=-12][CQ:at,qq=wxid_bot01] 转单 &#91;42&#93; 给[CQ:at,qq=wxid_li4,name=李四]",
            "sender": {"user_id": "wxid_leader9", "nickname": "张伟"}
        }));
        assert_eq!(ev.account, "wxid_bot01");
        assert_eq!(ev.chat.id, "20342@chatroom");
        assert_eq!(ev.sender.name, "张伟");
        assert_eq!(text, "转单 [42] 给@李四");
        assert_eq!(reply_to.as_deref(), Some("-12"));
        assert_eq!(mentions, vec!["wxid_li4"]);
        assert_eq!(ev.at, 1_732_260_100_000);
    }

    #[test]
    fn private_message_is_a_private_chat() {
        let (ev, text, ..) = message(json!({
            "time": 1732260200, "self_id": 10001, "post_type": "message",
            "message_type": "private", "sub_type": "friend", "message_id": 55,
            "user_id": 20002, "message": "待办", "raw_message": "待办",
            "sender": {"user_id": 20002, "nickname": "", "card": ""}
        }));
        assert_eq!(ev.chat.kind, ChatKind::Private);
        assert_eq!(ev.chat.id, "private:20002");
        assert_eq!(ev.sender.name, "20002", "empty names fall back to the id");
        assert_eq!(text, "待办");
    }

    #[test]
    fn other_mentions_are_kept_and_self_hint_fills_missing_self_id() {
        let v = json!({
            "time": 1, "post_type": "message", "message_type": "group", "message_id": 9,
            "group_id": 5, "user_id": 6,
            "message": [{"type":"text","data":{"text":"转单 42 "}},
                        {"type":"at","data":{"qq":777}}, {"type":"at","data":{"qq":"all"}},
                        {"type":"face","data":{"id":"14"}}]
        });
        let Parsed::Inbound(ev) = parse(&v, Some("10001"), 0).expect("parses") else {
            panic!("ignored")
        };
        assert_eq!(ev.account, "10001");
        let EventKind::Message { text, mentions, .. } = ev.kind else {
            panic!("not a message")
        };
        assert_eq!(text, "转单 42 @777@全体成员");
        assert_eq!(mentions, vec!["777"]);
    }

    #[test]
    fn meta_own_and_unknown_events_are_ignored() {
        let heartbeat = json!({"time":1,"self_id":1,"post_type":"meta_event",
            "meta_event_type":"heartbeat","status":{"online":true,"good":true},"interval":30000});
        assert_eq!(
            parse(&heartbeat, None, 0),
            Ok(Parsed::Ignored("meta event"))
        );
        let own = json!({"time":1,"self_id":1,"user_id":1,"post_type":"message",
            "message_type":"group","group_id":2,"message_id":3,"message":"hi"});
        assert_eq!(parse(&own, None, 0), Ok(Parsed::Ignored("own message")));
        let sent = json!({"time":1,"self_id":1,"post_type":"message_sent"});
        assert_eq!(parse(&sent, None, 0), Ok(Parsed::Ignored("own message")));
        let poke = json!({"time":1,"self_id":1,"post_type":"notice","notice_type":"notify"});
        assert_eq!(parse(&poke, None, 0), Ok(Parsed::Ignored("notice")));
    }

    #[test]
    fn malformed_events_are_errors() {
        assert_eq!(parse(&json!([1]), None, 0), Err(ParseError::NotAnObject));
        assert_eq!(
            parse(&json!({"post_type":"message"}), None, 0),
            Err(ParseError::Missing("self_id"))
        );
        let no_group = json!({"self_id":1,"user_id":2,"message_id":3,"post_type":"message",
            "message_type":"group","message":"x"});
        assert_eq!(
            parse(&no_group, None, 0),
            Err(ParseError::Missing("group_id"))
        );
    }

    #[test]
    fn being_kicked_is_bot_removed() {
        let v = json!({"time":1732260300,"self_id":10001,"post_type":"notice",
            "notice_type":"group_decrease","sub_type":"kick_me","group_id":812345678,
            "operator_id":20002,"user_id":10001});
        let Parsed::Inbound(ev) = parse(&v, None, 0).expect("parses") else {
            panic!("ignored")
        };
        assert_eq!(ev.kind, EventKind::BotRemoved);
        assert_eq!(ev.chat.id, "812345678");
    }

    #[test]
    fn ids_as_numbers_or_strings() {
        assert_eq!(id_of(Some(&json!(-5))).as_deref(), Some("-5"));
        assert_eq!(
            id_of(Some(&json!(18446744073709551615u64))).as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(id_of(Some(&json!(12.0))).as_deref(), Some("12"));
        assert_eq!(id_of(Some(&json!(" 42 "))).as_deref(), Some("42"));
        assert_eq!(id_of(Some(&json!(""))), None);
        assert_eq!(id_of(Some(&json!(1.5))), None);
        assert_eq!(id_of(Some(&json!(null))), None);
    }
}
