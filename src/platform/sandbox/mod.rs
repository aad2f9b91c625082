//! The sandbox: gridline's own browser group chat, and the default platform.
//!
//! A newcomer opens http://127.0.0.1:8080/, picks a group and who to be (a resident, a grid
//! leader, a coordinator) and talks to the bot with no chat account. It is a real adapter:
//! people's messages go through the same durable intake, parser, ticket engine and outbox as
//! Telegram's, and the bot's answers come back through [`Adapter::send`], which appends them to
//! the group's history and pushes them to everyone watching.
//!
//! - [`api`]: the page, the JSON API (`/api/sandbox/…`) and the live event stream (SSE).
//! - [`roster`]: who is in which group, derived from the roster's roles.
//! - `page/`: the page itself, plain HTML, CSS and JavaScript compiled into the binary.
//!
//! On first start with an empty roster (and `sandbox.demo_roster = true`) it loads
//! `config/demo-roster.csv`: one town, two villages, six grids, a group per grid.

mod api;
pub mod roster;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use sha1::{Digest, Sha1};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::broadcast;
use tracing::{info, warn};

use crate::platform::{
    Adapter, Capabilities, Delivered, EventKind, Outbound, PrivateChats, RateLimits, SendError,
    split_text,
};
use crate::platform::{Context, Mounted};
use crate::store::sandbox::{NewSandboxMessage, SandboxMessage, SandboxPress};
use crate::store::{Store, StoreError, now_millis};

/// The platform name on every sandbox event and outbox row.
pub const PLATFORM: &str = "sandbox";
/// The sandbox has one bot account.
pub const ACCOUNT: &str = "sandbox";
/// A persona's private thread with the bot is the chat `private:<persona id>`.
pub const PRIVATE_PREFIX: &str = "private:";
/// Every persona has a private thread with the bot.
pub const PRIVATE_CHATS: PrivateChats = PrivateChats::Always {
    prefix: PRIVATE_PREFIX,
    account: ACCOUNT,
};
/// The longest message, in characters, a person may post or the bot sends in one part.
pub const MAX_TEXT_CHARS: usize = 4_096;
/// The demo roster, in the import format (documented in docs/sandbox.md).
pub const DEMO_ROSTER_CSV: &str = include_str!("../../../config/demo-roster.csv");

/// How many of the latest sandbox inbox events are checked against the history at start.
const REPAIR_WINDOW: i64 = 1_000;

const PAGE_HTML: &str = include_str!("page/index.html");
const PAGE_CSS: &str = include_str!("page/sandbox.css");
const PAGE_JS: &str = include_str!("page/sandbox.js");

/// Mounts the sandbox: loads the demo roster into an empty database, repairs the history after
/// a crash, and returns the adapter and the routes.
pub async fn mount(ctx: &Context) -> anyhow::Result<Mounted> {
    if ctx.settings.sandbox.demo_roster {
        load_demo_roster(&ctx.store).await?;
    }
    let hub = Hub::new();
    let repaired = repair_history(&ctx.store, &hub).await?;
    if repaired > 0 {
        warn!(
            repaired,
            "sandbox history was missing messages the inbox had; restored"
        );
    }
    let token = ctx.settings.sandbox.token.expose();
    let state = api::SandboxState {
        store: ctx.store.clone(),
        intake: ctx.intake.clone(),
        hub: hub.clone(),
        shutdown: ctx.shutdown.clone(),
        token_digest: (!token.is_empty()).then(|| Sha1::digest(token.as_bytes()).into()),
        page: page().into(),
        texts: crate::i18n::Texts::new(ctx.settings.general.language),
    };
    info!(listen = %ctx.settings.http.listen, "sandbox at http://{}/", ctx.settings.http.listen);
    Ok(Mounted {
        adapter: Arc::new(SandboxAdapter {
            store: ctx.store.clone(),
            hub,
        }),
        routes: api::routes(state),
        tasks: Vec::new(),
    })
}

/// Loads the demo roster when no grid exists yet.
pub async fn load_demo_roster(store: &Store) -> anyhow::Result<bool> {
    if !store.sandbox_roster_is_empty().await? {
        return Ok(false);
    }
    crate::import::import_csv(store, DEMO_ROSTER_CSV.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("loading the demo roster: {e}"))?;
    store.sandbox_add_residents(&demo_residents()?).await?;
    info!("loaded the demo roster (config/demo-roster.csv)");
    Ok(true)
}

/// (person code, grid code) of every resident in the demo roster: the roster keeps no grant
/// for residents, and the sandbox needs their grid to know their group.
fn demo_residents() -> anyhow::Result<Vec<(String, String)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(DEMO_ROSTER_CSV.as_bytes());
    let mut residents = Vec::new();
    for record in reader.records() {
        let record = record?;
        let field = |i: usize| record.get(i).unwrap_or_default();
        if field(0) == "person" && field(7) == "resident" && !field(3).is_empty() {
            residents.push((field(1).to_string(), field(3).to_string()));
        }
    }
    Ok(residents)
}

/// The page with its stylesheet and script inlined, so that one request (carrying the token
/// when one is required) loads everything.
fn page() -> String {
    PAGE_HTML
        .replace("/*SANDBOX_CSS*/", PAGE_CSS)
        .replace("/*SANDBOX_JS*/", PAGE_JS)
}

/// Mirrors into the history the sandbox events the inbox committed but the history lacks (a
/// crash between the two writes). Returns how many it restored.
async fn repair_history(store: &Store, hub: &Hub) -> Result<usize, StoreError> {
    let events = store.sandbox_recent_events(ACCOUNT, REPAIR_WINDOW).await?;
    let ids: Vec<i64> = events
        .iter()
        .filter_map(|e| e.event_id.parse().ok())
        .collect();
    let known: HashSet<i64> = store.sandbox_known_ids(&ids).await?.into_iter().collect();
    let mut restored = 0;
    for event in &events {
        let Ok(id) = event.event_id.parse::<i64>() else {
            continue;
        };
        if known.contains(&id) {
            continue;
        }
        match &event.kind {
            EventKind::Message { text, reply_to, .. } => {
                let msg = NewSandboxMessage {
                    id,
                    group_id: &event.chat.id,
                    from: &event.sender.id,
                    name: &event.sender.name,
                    text,
                    reply_to: reply_to.as_deref().and_then(|r| r.parse().ok()),
                    buttons: &[],
                    at: event.at,
                    // The picture itself is not in the inbox: only its reference.
                    photo: None,
                };
                store.sandbox_append(&msg).await?;
                hub.appended(&event.chat.id);
                restored += 1;
            }
            EventKind::Button {
                message_id, button, ..
            } => {
                let press = SandboxPress {
                    id,
                    group_id: event.chat.id.clone(),
                    persona: event.sender.id.clone(),
                    message_id: message_id.parse().unwrap_or_default(),
                    button: button.clone(),
                    at: event.at,
                };
                store.sandbox_record_press(&press).await?;
                restored += 1;
            }
            _ => {}
        }
    }
    Ok(restored)
}

/// What live viewers are told.
#[derive(Debug, Clone)]
pub(crate) enum Live {
    /// Something was appended to a group: read it from the database.
    Appended { group_id: String },
    /// A bot card changed.
    Edited(SandboxMessage),
    /// The bot's answer to one person's button press.
    Toast {
        group_id: String,
        persona: String,
        text: String,
    },
}

/// Fans notices out to the live streams of this process, and orders writes to a group.
#[derive(Clone)]
pub(crate) struct Hub {
    tx: broadcast::Sender<Live>,
    /// A person's message is written to the history only after the inbox committed it, and by
    /// then the engine may already be answering it. Holding the group's lock from before the
    /// inbox hand-over until the history write, and while the bot's messages are written,
    /// keeps every answer after the message it answers. (Striped: groups share locks.)
    locks: Arc<[tokio::sync::Mutex<()>]>,
}

const LOCK_STRIPES: usize = 64;

impl Hub {
    fn new() -> Hub {
        let (tx, _) = broadcast::channel(1_024);
        let locks: Vec<tokio::sync::Mutex<()>> = (0..LOCK_STRIPES)
            .map(|_| tokio::sync::Mutex::new(()))
            .collect();
        Hub {
            tx,
            locks: locks.into(),
        }
    }

    /// Holds writes to `group_id`'s history in order.
    pub(crate) async fn lock_group(&self, group_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        group_id.hash(&mut hasher);
        let stripe = (hasher.finish() % LOCK_STRIPES as u64) as usize;
        self.locks[stripe].lock().await
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    // A send error only means nobody is watching.
    pub(crate) fn appended(&self, group_id: &str) {
        let _ = self.tx.send(Live::Appended {
            group_id: group_id.to_string(),
        });
    }

    fn edited(&self, message: SandboxMessage) {
        let _ = self.tx.send(Live::Edited(message));
    }

    fn toast(&self, group_id: String, persona: String, text: String) {
        let _ = self.tx.send(Live::Toast {
            group_id,
            persona,
            text,
        });
    }
}

/// The sandbox as the outbox worker sees it: sending is writing to the history.
pub struct SandboxAdapter {
    store: Store,
    hub: Hub,
}

fn send_error(e: StoreError) -> SendError {
    match e {
        StoreError::Corrupt(reason) => SendError::Permanent(reason),
        other => SendError::Retry {
            after: None,
            reason: other.to_string(),
        },
    }
}

#[async_trait]
impl Adapter for SandboxAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            text_limit: MAX_TEXT_CHARS,
            buttons: true,
            replies: true,
            edits: true,
            private_chats: PRIVATE_CHATS,
            limits: RateLimits::default(),
        }
    }

    async fn send(&self, account: &str, item: &Outbound) -> Result<Delivered, SendError> {
        // "" is a group bound by import that has not spoken yet: the one account serves it.
        if !account.is_empty() && account != ACCOUNT {
            return Err(SendError::Permanent(format!(
                "the sandbox has no bot account `{account}`"
            )));
        }
        match item {
            Outbound::Send(m) => {
                let known = match m.chat.strip_prefix(PRIVATE_PREFIX) {
                    Some(persona) => self
                        .store
                        .sandbox_persona_exists(persona)
                        .await
                        .map_err(send_error)?,
                    None => {
                        let groups = self.store.sandbox_groups().await.map_err(send_error)?;
                        groups.iter().any(|g| g.id == m.chat)
                    }
                };
                if !known {
                    return Err(SendError::Permanent(format!(
                        "no sandbox group or persona `{}`",
                        m.chat
                    )));
                }
                let parts = split_text(&m.text, MAX_TEXT_CHARS);
                let reply_to = m.reply_to.as_deref().and_then(|r| r.parse().ok());
                let _ordered = self.hub.lock_group(&m.chat).await;
                let stored = self
                    .store
                    .sandbox_append_bot(&m.chat, &parts, reply_to, &m.buttons, now_millis())
                    .await
                    .map_err(send_error)?;
                self.hub.appended(&m.chat);
                Ok(Delivered {
                    message_ids: stored.iter().map(|s| s.id.to_string()).collect(),
                })
            }
            Outbound::Edit {
                chat,
                message_id,
                text,
                buttons,
            } => {
                let id: i64 = message_id.parse().map_err(|_| {
                    SendError::Permanent(format!("`{message_id}` is not a sandbox message id"))
                })?;
                let edited = self
                    .store
                    .sandbox_edit(chat, id, text, buttons, now_millis())
                    .await
                    .map_err(send_error)?
                    .ok_or_else(|| {
                        SendError::Permanent(format!("no message {id} in sandbox group `{chat}`"))
                    })?;
                self.hub.edited(edited);
                Ok(Delivered {
                    message_ids: vec![message_id.clone()],
                })
            }
            Outbound::AnswerButton { callback_id, text } => {
                let press = match callback_id.parse::<i64>() {
                    Ok(id) => self.store.sandbox_press(id).await.map_err(send_error)?,
                    Err(_) => None,
                };
                let press = press.ok_or_else(|| {
                    SendError::Permanent(format!("no sandbox button press `{callback_id}`"))
                })?;
                self.hub.toast(press.group_id, press.persona, text.clone());
                Ok(Delivered::default())
            }
        }
    }
}
