//! Telegram: groups, supergroups, forum topics and private chats through the Bot API.
//!
//! - [`update`]: Bot API updates → [`crate::platform::InboundEvent`]s (pure).
//! - [`poll`]: gridline's own durable getUpdates loop (the default mode).
//! - [`webhook`]: the alternative, Telegram POSTing to gridline's HTTP listener.
//! - [`send`]: the [`crate::platform::Adapter`] the outbox delivers through (paced by the
//!   outbox for the whole deployment; 429 and failures sorted for the outbox's retries).
//! - [`menu`]: the command menu registered with setMyCommands.
//!
//! teloxide-core's `Bot` does the HTTP; teloxide's Dispatcher and update listeners are not used,
//! because they confirm updates to Telegram before anything is stored.

pub mod api;
pub mod menu;
pub mod poll;
pub mod raw;
pub mod send;
pub mod update;
pub mod webhook;

use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use teloxide::Bot;
use teloxide::payloads::{SetMyCommandsSetters, SetWebhookSetters};
use teloxide::requests::Requester;
use tracing::{info, warn};

use crate::config::{Language, TelegramMode, TelegramSettings};
use crate::platform::{Context, Mounted};

pub use send::TelegramAdapter;
pub use update::{BotIdentity, PLATFORM};

/// A bot may write only to users who started it (/start): their private chat is remembered
/// when they write to it.
pub const PRIVATE_CHATS: crate::platform::PrivateChats =
    crate::platform::PrivateChats::AfterContact;

/// How often getMe is tried at start before gridline gives up.
const START_ATTEMPTS: u32 = 5;

/// Connects to the Bot API, checks the token with getMe, registers the command menu and starts
/// receiving updates (polling task or webhook route, per `telegram.mode`).
pub async fn mount(ctx: &Context) -> anyhow::Result<Mounted> {
    let cfg = &ctx.settings.telegram;
    let bot = build_bot(cfg)?;
    let api = api::RawApi::new(http_client()?, &cfg.api_url, cfg.token.expose());
    let me = get_me(&api).await?;
    let identity = me.identity;
    if identity.username.is_empty() {
        warn!(
            id = identity.id,
            "getMe gave no bot username; commands addressed /command@name are not taken as this bot's"
        );
    }
    info!(bot = %identity.username, id = identity.id, mode = ?cfg.mode, "telegram bot connected");
    if !me.reads_all_group_messages {
        warn!(
            bot = %identity.username,
            "privacy mode is on: in groups where the bot is not an admin it sees only commands and \
             replies to its own messages. Make it a group admin, or turn privacy mode off with \
             @BotFather (/setprivacy → Disable) and re-add it to the groups"
        );
    }
    register_menu(&bot, ctx.settings.general.language == Language::Zh).await;

    let adapter = Arc::new(TelegramAdapter::new(bot.clone(), identity.clone()));
    let mut routes = axum::Router::new();
    let mut tasks = Vec::new();
    match cfg.mode {
        TelegramMode::Polling => {
            // getUpdates is refused while a webhook is set.
            if let Err(e) = bot.delete_webhook().await {
                warn!(error = %e, "deleteWebhook failed; polling may be refused until it is removed");
            }
            let poller = poll::Poller {
                api,
                me: identity,
                store: ctx.store.clone(),
                intake: ctx.intake.clone(),
                shutdown: ctx.shutdown.clone(),
            };
            tasks.push(tokio::spawn(poller.run()));
        }
        TelegramMode::Webhook => {
            let url = reqwest::Url::parse(&cfg.webhook_url).context("telegram.webhook_url")?;
            bot.set_webhook(url)
                .secret_token(cfg.webhook_secret.expose().to_string())
                .allowed_updates(poll::allowed_updates())
                .await
                .context("telegram setWebhook failed (telegram.webhook_url)")?;
            let path = webhook::path_of(&cfg.webhook_url);
            info!(path, "telegram webhook set");
            routes = webhook::routes(
                &path,
                identity,
                cfg.webhook_secret.clone(),
                ctx.intake.clone(),
                ctx.store.clone(),
            );
        }
    }
    Ok(Mounted {
        adapter,
        routes,
        tasks,
    })
}

/// A `Bot` for `telegram.api_url` whose HTTP timeout outlasts a long poll.
pub fn build_bot(cfg: &TelegramSettings) -> anyhow::Result<Bot> {
    let api_url = reqwest::Url::parse(&cfg.api_url)
        .with_context(|| format!("telegram.api_url `{}` is not a URL", cfg.api_url))?;
    Ok(Bot::with_client(cfg.token.expose(), http_client()?).set_api_url(api_url))
}

/// The HTTP client for the Bot API, its timeout outlasting a long poll.
fn http_client() -> anyhow::Result<reqwest::Client> {
    teloxide::net::default_reqwest_settings()
        .timeout(poll::LONG_POLL + Duration::from_secs(15))
        .build()
        .context("building the Telegram HTTP client")
}

/// getMe, retried briefly for network trouble; a rejected token fails at once.
async fn get_me(api: &api::RawApi) -> anyhow::Result<api::Me> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match api.get_me().await {
            Ok(me) => return Ok(me),
            Err(api::ApiError::Unauthorized(_)) => {
                anyhow::bail!(
                    "telegram.token was rejected by the Bot API (getMe: Unauthorized); check GRIDLINE__TELEGRAM__TOKEN"
                )
            }
            Err(e) if attempt < START_ATTEMPTS => {
                warn!(error = %e, attempt, "telegram getMe failed; retrying");
                tokio::time::sleep(Duration::from_millis(500) * attempt).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "telegram getMe failed {START_ATTEMPTS} times (telegram.api_url, network)"
                )));
            }
        }
    }
}

/// setMyCommands for each language. A menu that cannot be set is cosmetic: warn and go on.
async fn register_menu(bot: &Bot, default_chinese: bool) {
    for (language, commands) in menu::menus(default_chinese) {
        let mut req = bot.set_my_commands(commands);
        if let Some(code) = language {
            req = req.language_code(code.to_string());
        }
        if let Err(e) = req.await {
            warn!(error = %e, language = language.unwrap_or("default"), "setMyCommands failed");
        }
    }
}
