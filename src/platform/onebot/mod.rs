//! OneBot v11: QQ and WeChat groups through bridges (NapCat, LLOneBot, Lagrange, gocq-wechat …),
//! spoken from the bot-application side.
//!
//! Bridges reach gridline in two ways, both on the one HTTP listener:
//!
//! - **reverse WebSocket** at `/onebot/v11/ws` ([`ws`]): the bridge connects, announcing itself
//!   with `X-Self-ID` (its account) and `X-Client-Role`; events arrive as frames and gridline
//!   sends actions back on the same socket, matching answers by `echo`.
//! - **HTTP POST** to `/onebot/v11/events` ([`http`]): one event per request, signed with
//!   `X-Signature: sha1=<HMAC-SHA1(secret, body)>`. Actions then go to the bridge's HTTP API at
//!   `onebot.api_url`.
//!
//! Several bridges (several accounts) can be connected at once; the account of an event is its
//! `self_id`, and replies go out through the bridge of that account.
//!
//! Chat ids: a group is its bare group id (`812345678`, `20342@chatroom`), a private chat is
//! `private:<user id>`. That is what the roster's `group` rows name.

pub mod action;
pub mod cq;
pub mod event;
pub mod http;
pub mod ws;

use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

use crate::platform::{
    Adapter, Capabilities, Delivered, Outbound, OutboundMessage, PrivateChats, Rate, RateLimits,
    SendError, split_text,
};
use crate::platform::{Context, Mounted};
use action::{ActionResponse, Target};

/// The platform name on events and outbox rows.
pub const PLATFORM: &str = "onebot";

/// An event a bridge sent that gridline could not read, to be kept as received
/// ([`crate::store::unread`]). OneBot events have no id of their own: the key is a hash.
pub fn unread(account: &str, raw: &str, reason: String) -> crate::store::unread::Unread {
    crate::store::unread::Unread {
        platform: PLATFORM.into(),
        account: account.to_string(),
        key: crate::store::unread::hash_key(raw.as_bytes()),
        reason: crate::store::unread::reason(reason),
        raw: raw.to_string(),
    }
}
/// send_private_msg reaches friends (QQ) and contacts (WeChat): people who wrote to the bot
/// privately.
pub const PRIVATE_CHATS: PrivateChats = PrivateChats::AfterContact;
/// Prefix of private chat ids.
pub const PRIVATE_PREFIX: &str = "private:";
/// Texts longer than this are sent as several messages. QQ takes about 5000 characters; the
/// margin leaves room for the reply and mention segments.
pub const TEXT_LIMIT: usize = 4500;

/// The chat id of a private conversation with `user_id`.
pub fn private_chat(user_id: &str) -> String {
    format!("{PRIVATE_PREFIX}{user_id}")
}

/// The OneBot adapter: the connected bridges and the HTTP API fallback.
pub struct OneBot {
    bridges: Arc<ws::Bridges>,
    http_api: Option<http::HttpApi>,
    action_timeout: Duration,
}

impl OneBot {
    /// Performs `action` through the bridge of `account`: its WebSocket when connected, the HTTP
    /// API otherwise. A bridge that is reachable neither way is a retry: the outbox keeps the item
    /// until the bridge reconnects.
    async fn call(
        &self,
        account: &str,
        action: &str,
        params: Value,
    ) -> Result<ActionResponse, SendError> {
        if let Some(conn) = self.bridges.api_connection(account) {
            return conn.call(action, params, self.action_timeout).await;
        }
        if let Some(api) = &self.http_api {
            return api.call(action, params).await;
        }
        Err(SendError::Offline(format!(
            "bridge {account} is not connected"
        )))
    }

    async fn send_message(
        &self,
        account: &str,
        msg: &OutboundMessage,
    ) -> Result<Delivered, SendError> {
        let target = Target::of(&msg.chat);
        let parts = split_text(&msg.text, TEXT_LIMIT);
        // A mention whose `@name` appears in no part still has to reach that person.
        let unplaced: Vec<_> = msg
            .mentions
            .iter()
            .filter(|m| m.name.is_empty() || !msg.text.contains(&format!("@{}", m.name)))
            .collect();
        let mut delivered = Delivered::default();
        for (i, part) in parts.iter().enumerate() {
            let first = i == 0;
            let segments = action::segments(
                part,
                msg.reply_to.as_deref().filter(|_| first),
                &msg.mentions,
                if first { &unplaced } else { &[] },
            );
            let (name, params) = target.send_action(segments);
            let answer = self.call(account, name, params).await;
            match answer.and_then(|a| a.outcome()) {
                Ok(id) => delivered.message_ids.extend(id),
                // Parts already out stay out; retrying re-sends from the first part, which is
                // rarer and less harmful than losing the rest of a long text.
                Err(e) => return Err(e),
            }
        }
        Ok(delivered)
    }
}

#[async_trait]
impl Adapter for OneBot {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            text_limit: TEXT_LIMIT,
            // No buttons in OneBot: cards show the typed commands instead.
            buttons: false,
            replies: true,
            edits: false,
            private_chats: PRIVATE_CHATS,
            limits: RateLimits {
                // QQ and WeChat punish bursts (risk control); stay well under what a person types.
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
                    max: 5,
                    per: Duration::from_secs(1),
                }],
            },
        }
    }

    async fn send(&self, account: &str, item: &Outbound) -> Result<Delivered, SendError> {
        match item {
            Outbound::Send(msg) => self.send_message(account, msg).await,
            Outbound::Edit { .. } => Err(SendError::Permanent(
                "OneBot bridges cannot edit messages".into(),
            )),
            // There are no buttons, so no presses to answer.
            Outbound::AnswerButton { .. } => {
                debug!("ignoring a button answer on OneBot");
                Ok(Delivered::default())
            }
        }
    }
}

/// Mounts the OneBot endpoints and the sender.
pub async fn mount(ctx: &Context) -> anyhow::Result<Mounted> {
    let settings = &ctx.settings.onebot;
    let bridges = Arc::new(ws::Bridges::default());
    let http_api = if settings.api_url.is_empty() {
        None
    } else {
        Some(http::HttpApi::new(
            &settings.api_url,
            settings.access_token.clone(),
            settings.action_timeout.0,
        )?)
    };
    let adapter = Arc::new(OneBot {
        bridges: bridges.clone(),
        http_api,
        action_timeout: settings.action_timeout.0,
    });
    let routes = ws::routes(ws::WsState {
        bridges,
        store: ctx.store.clone(),
        intake: ctx.intake.clone(),
        access_token: settings.access_token.clone(),
        shutdown: ctx.shutdown.clone(),
        max_message: ctx.settings.http.max_body_bytes,
    })
    .merge(http::routes(http::EventState {
        intake: ctx.intake.clone(),
        store: ctx.store.clone(),
        secret: settings.secret.clone(),
    }));
    Ok(Mounted {
        adapter,
        routes,
        tasks: Vec::new(),
    })
}
