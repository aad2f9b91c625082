//! The one interface between gridline and a chat platform.
//!
//! An adapter turns a platform's wire format into [`InboundEvent`]s, hands them to the
//! [`crate::intake::Intake`] (which stores them durably before the adapter acknowledges anything
//! to the platform) and delivers [`Outbound`] items that the outbox worker gives it. Nothing
//! outside `platform/` knows which platform a message came from beyond the opaque ids here and
//! the declared [`Capabilities`]. The message model itself is plain data in
//! [`crate::domain::message`], re-exported here for the adapters.
//!
//! Adapters plug in through [`Context`] and [`Mounted`]: an adapter module exposes
//! `async fn mount(ctx: &Context) -> anyhow::Result<Mounted>`, giving gridline its sender, its
//! HTTP routes (merged into the one listener) and its background tasks, and is listed once in
//! [`ADAPTERS`].

pub mod memory;
pub mod onebot;
pub mod sandbox;
pub mod telegram;
pub mod wecom;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use crate::domain::message::{
    Button, Capabilities, ChatKind, ChatRef, EventKind, InboundEvent, Mention, Millis, Outbound,
    OutboundMessage, PrivateChats, Rate, RateLimits, Sender,
};

use crate::config::Settings;
use crate::intake::Intake;
use crate::store::Store;

/// What an adapter may use while mounting.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub intake: Intake,
    /// Fires when gridline is stopping: stop intake, let in-flight work finish.
    pub shutdown: CancellationToken,
}

/// What a mounted adapter gives back.
pub struct Mounted {
    pub adapter: Arc<dyn Adapter>,
    /// Routes merged into the HTTP listener (webhooks, the sandbox page, OneBot endpoints).
    pub routes: axum::Router,
    /// Long-running tasks (a polling loop); awaited at shutdown.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// One adapter gridline can run: when configuration enables it, and how it mounts.
struct Entry {
    platform: &'static str,
    enabled: fn(&Settings) -> bool,
    /// Who the adapter can write to privately (also in its [`Capabilities`]).
    private_chats: PrivateChats,
    mount: for<'a> fn(&'a Context) -> BoxFuture<'a, anyhow::Result<Mounted>>,
    /// Named in the error when mounting fails (the configuration keys to look at).
    what: &'static str,
}

/// Every adapter, in mount order. A new platform is one module and one line here.
const ADAPTERS: &[Entry] = &[
    Entry {
        platform: telegram::PLATFORM,
        private_chats: telegram::PRIVATE_CHATS,
        enabled: |s| s.telegram.enabled,
        mount: |ctx| Box::pin(telegram::mount(ctx)),
        what: "starting Telegram (telegram.*)",
    },
    Entry {
        platform: sandbox::PLATFORM,
        private_chats: sandbox::PRIVATE_CHATS,
        enabled: |s| s.sandbox.enabled,
        mount: |ctx| Box::pin(sandbox::mount(ctx)),
        what: "mounting the sandbox (sandbox.*)",
    },
    Entry {
        platform: onebot::PLATFORM,
        private_chats: onebot::PRIVATE_CHATS,
        enabled: |s| s.onebot.enabled,
        mount: |ctx| Box::pin(onebot::mount(ctx)),
        what: "mounting OneBot (onebot.*)",
    },
    Entry {
        platform: wecom::PLATFORM,
        private_chats: PrivateChats::Never,
        enabled: |s| !s.wecom.webhooks.is_empty(),
        mount: |ctx| Box::pin(wecom::mount(ctx)),
        what: "mounting WeCom robots (wecom.webhooks)",
    },
];

/// Mounts every adapter the configuration enables, in [`ADAPTERS`] order.
pub async fn mount_enabled(ctx: &Context) -> anyhow::Result<Vec<Mounted>> {
    let mut mounted = Vec::new();
    for entry in ADAPTERS {
        if (entry.enabled)(&ctx.settings) {
            mounted.push((entry.mount)(ctx).await.context(entry.what)?);
        }
    }
    Ok(mounted)
}

/// Who each platform the configuration enables can write to privately, without mounting
/// anything (`gridline doctor` asks before, or without, the daemon running).
pub fn private_reach(settings: &Settings) -> std::collections::HashMap<String, PrivateChats> {
    ADAPTERS
        .iter()
        .filter(|entry| (entry.enabled)(settings))
        .map(|entry| (entry.platform.to_string(), entry.private_chats))
        .collect()
}

/// A delivery that worked: the platform ids of what was sent (one per part of a split text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivered {
    pub message_ids: Vec<String>,
}

/// A delivery that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again: network trouble, 5xx, 429 (with the platform's `retry_after`).
    #[error("temporary failure: {reason}")]
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// Will never work: blocked, chat not found, malformed. The row is parked.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// The way to the platform is down (e.g. no OneBot bridge connected). The row waits
    /// without using up its attempts; the adapter makes it due again when the way is back.
    #[error("platform offline: {0}")]
    Offline(String),
}

/// A chat platform, as the outbox worker and the engine see it.
#[async_trait]
pub trait Adapter: Send + Sync + 'static {
    /// The platform name stored with every event and outbox row.
    fn platform(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    /// Delivers one item through `account`. Must not hold a database transaction.
    async fn send(&self, account: &str, item: &Outbound) -> Result<Delivered, SendError>;
}

/// Splits `text` into parts of at most `limit` characters, preferring line breaks.
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    if text.chars().count() <= limit {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split_inclusive('\n') {
        let line_len = line.chars().count();
        if current_len + line_len > limit && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
            current_len = 0;
        }
        if line_len > limit {
            for ch in line.chars() {
                if current_len == limit {
                    parts.push(std::mem::take(&mut current));
                    current_len = 0;
                }
                current.push(ch);
                current_len += 1;
            }
        } else {
            current.push_str(line);
            current_len += line_len;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_limit_and_keeps_every_character() {
        let text = "第一行\n".repeat(10) + &"长".repeat(25);
        let parts = split_text(&text, 12);
        assert!(parts.iter().all(|p| p.chars().count() <= 12));
        assert_eq!(parts.concat(), text);
        assert_eq!(split_text("short", 10), vec!["short".to_string()]);
    }
}
