//! Actions gridline asks a bridge to perform, and what their answers mean.
//!
//! Only two actions are used: `send_group_msg` and `send_private_msg`. Messages go out in the
//! segment array form (`[{"type","data"}]`), which every bridge accepts and which needs no
//! escaping.

use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

use super::event::id_of;
use crate::platform::{Mention, SendError};

/// A bridge's answer to an action, over WebSocket or HTTP.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionResponse {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub retcode: i64,
    #[serde(default)]
    pub data: Value,
    /// Error text: `message` (NapCat, LLOneBot), `msg`/`wording` (go-cqhttp and forks).
    #[serde(default, alias = "msg", alias = "wording")]
    pub message: Option<String>,
    #[serde(default)]
    pub echo: Value,
}

/// How long to wait before retrying after a bridge-side failure that says nothing more.
const BRIDGE_RETRY: Duration = Duration::from_secs(5);

impl ActionResponse {
    /// The sent message's id, or why sending failed.
    ///
    /// Return codes (OneBot v11, with the values bridges actually use):
    ///
    /// | retcode | meaning | gridline |
    /// |---|---|---|
    /// | 0 | ok | delivered |
    /// | 1 (`status: "async"`) | accepted, result unknown | delivered, no message id |
    /// | 100, 1400, 10001–10007 | bad or missing parameters | permanent |
    /// | 102 | invalid data: no such group or user, no permission | permanent |
    /// | 404, 1404, 10002 | the bridge does not have the action | permanent |
    /// | 103 | the operation failed (QQ/WeChat refused for now, risk control) | retry |
    /// | 104 | the bridge's login expired; it re-logs in | retry |
    /// | 201 | the bridge's worker pool is not ready | retry |
    /// | anything else | unknown (NapCat's generic 200, timeouts …) | retry, parked after `outbox.max_attempts` |
    pub fn outcome(&self) -> Result<Option<String>, SendError> {
        if self.retcode == 0
            || self.status == "async"
            || self.retcode == 1 && self.status != "failed"
        {
            return Ok(id_of(self.data.get("message_id")));
        }
        let reason = format!(
            "bridge answered retcode {}: {}",
            self.retcode,
            self.message.as_deref().unwrap_or(&self.status)
        );
        match self.retcode {
            100 | 102 | 404 | 1400 | 1404 | 10001..=10007 => Err(SendError::Permanent(reason)),
            _ => Err(SendError::Retry {
                after: Some(BRIDGE_RETRY),
                reason,
            }),
        }
    }
}

/// Where a chat id points: group chats are bare ids, private chats `private:<user id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    Group(&'a str),
    Private(&'a str),
}

impl<'a> Target<'a> {
    pub fn of(chat: &'a str) -> Target<'a> {
        match chat.strip_prefix(super::PRIVATE_PREFIX) {
            Some(user) => Target::Private(user),
            None => Target::Group(chat),
        }
    }

    /// The action name and its parameters for sending `message` here.
    pub fn send_action(&self, message: Vec<Value>) -> (&'static str, Value) {
        match self {
            Target::Group(id) => (
                "send_group_msg",
                json!({"group_id": id_value(id), "message": message}),
            ),
            Target::Private(id) => (
                "send_private_msg",
                json!({"user_id": id_value(id), "message": message}),
            ),
        }
    }
}

/// QQ bridges expect numeric ids; WeChat bridges use strings (`123@chatroom`). An id is sent
/// back in the form it arrived in.
fn id_value(id: &str) -> Value {
    match id.parse::<i64>() {
        Ok(n) if n.to_string() == id => json!(n),
        _ => json!(id),
    }
}

/// The segments of one outgoing message: a leading `reply` segment when it answers a message,
/// then the text with every `@name` of a mentioned person turned into a real `at` segment.
/// `lead` are mentions whose `@name` the text does not contain; they are put in front.
pub fn segments(
    text: &str,
    reply_to: Option<&str>,
    mentions: &[Mention],
    lead: &[&Mention],
) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(id) = reply_to {
        out.push(json!({"type": "reply", "data": {"id": id}}));
    }
    for m in lead {
        out.push(at(&m.user_id));
        out.push(text_segment(" "));
    }
    let mut rest = text;
    let mut plain = String::new();
    while !rest.is_empty() {
        let hit = mentions.iter().filter(|m| !m.name.is_empty()).find(|m| {
            rest.strip_prefix('@')
                .is_some_and(|r| r.starts_with(&m.name))
        });
        if let Some(m) = hit {
            if !plain.is_empty() {
                out.push(text_segment(&std::mem::take(&mut plain)));
            }
            out.push(at(&m.user_id));
            rest = &rest[1 + m.name.len()..];
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                plain.push(c);
            }
            rest = chars.as_str();
        }
    }
    if !plain.is_empty() {
        out.push(text_segment(&plain));
    }
    out
}

fn at(user_id: &str) -> Value {
    json!({"type": "at", "data": {"qq": user_id}})
}

fn text_segment(text: &str) -> Value {
    json!({"type": "text", "data": {"text": text}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(v: Value) -> ActionResponse {
        serde_json::from_value(v).expect("response")
    }

    #[test]
    fn retcodes_map_to_delivered_retry_or_permanent() {
        let ok =
            response(json!({"status":"ok","retcode":0,"data":{"message_id":-1234},"echo":"1"}));
        assert_eq!(ok.outcome(), Ok(Some("-1234".into())));
        let queued = response(json!({"status":"async","retcode":1,"data":null}));
        assert_eq!(queued.outcome(), Ok(None));
        for code in [100, 102, 1404, 10003] {
            let r = response(json!({"status":"failed","retcode":code,"msg":"no such group"}));
            assert!(
                matches!(r.outcome(), Err(SendError::Permanent(ref m)) if m.contains("no such group")),
                "{code}"
            );
        }
        for code in [103, 104, 201, 200, 1] {
            let r = response(json!({"status":"failed","retcode":code,"wording":"风控"}));
            assert!(
                matches!(r.outcome(), Err(SendError::Retry { .. })),
                "{code}"
            );
        }
    }

    #[test]
    fn targets_and_id_forms() {
        let (action, params) = Target::of("812345678").send_action(vec![]);
        assert_eq!(action, "send_group_msg");
        assert_eq!(params["group_id"], json!(812345678));
        let (action, params) = Target::of("private:wxid_a").send_action(vec![]);
        assert_eq!(action, "send_private_msg");
        assert_eq!(params["user_id"], json!("wxid_a"));
        // Not canonical as a number: keep the string.
        let (_, params) = Target::of("007").send_action(vec![]);
        assert_eq!(params["group_id"], json!("007"));
    }

    #[test]
    fn reply_and_mentions_become_segments() {
        let li = Mention {
            user_id: "20002".into(),
            name: "李四".into(),
        };
        let wang = Mention {
            user_id: "30003".into(),
            name: "王五".into(),
        };
        let segs = segments(
            "#42 请 @李四 处理",
            Some("-77"),
            std::slice::from_ref(&li),
            &[&wang],
        );
        assert_eq!(
            segs,
            vec![
                json!({"type":"reply","data":{"id":"-77"}}),
                json!({"type":"at","data":{"qq":"30003"}}),
                json!({"type":"text","data":{"text":" "}}),
                json!({"type":"text","data":{"text":"#42 请 "}}),
                json!({"type":"at","data":{"qq":"20002"}}),
                json!({"type":"text","data":{"text":" 处理"}}),
            ]
        );
        assert_eq!(
            segments("plain", None, &[], &[]),
            vec![json!({"type":"text","data":{"text":"plain"}})]
        );
    }
}
