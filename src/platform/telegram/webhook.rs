//! Webhook mode: Telegram POSTs each update to gridline's HTTP listener.
//!
//! The request must carry the configured secret in `X-Telegram-Bot-Api-Secret-Token` (compared
//! in constant time, so timing reveals nothing about it). The update is committed to the inbox
//! before the answer: 200 tells Telegram it may forget the update; any other status makes it
//! deliver the update again later, which the inbox de-duplicates.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tracing::{debug, info, warn};

use super::raw::{Read, read_update, update_id};
use super::update::BotIdentity;
use crate::config::Secret;
use crate::intake::{Intake, IntakeError};
use crate::store::{Store, now_millis};

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Where updates are received when `telegram.webhook_url` has no path of its own.
pub const DEFAULT_PATH: &str = "/telegram/webhook";

struct Hook {
    me: BotIdentity,
    secret: Secret,
    intake: Intake,
    store: Store,
}

/// The route path for `webhook_url`: its own path (a reverse proxy forwards it unchanged), or
/// [`DEFAULT_PATH`] when it is the bare host.
pub fn path_of(webhook_url: &str) -> String {
    match reqwest::Url::parse(webhook_url) {
        Ok(url) if url.path() != "/" && !url.path().is_empty() => url.path().to_string(),
        _ => DEFAULT_PATH.to_string(),
    }
}

pub fn routes(path: &str, me: BotIdentity, secret: Secret, intake: Intake, store: Store) -> Router {
    let hook = Arc::new(Hook {
        me,
        secret,
        intake,
        store,
    });
    Router::new().route(path, post(receive)).with_state(hook)
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.expose().as_bytes())) {
        // Counted and logged once a minute by crate::limits, not once per request.
        debug!("telegram webhook request with a wrong or missing secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    // Read as JSON first and typed afterwards (see `raw`): an update teloxide cannot type is
    // read leniently or kept as received, never answered 200 and dropped.
    let raw: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => serde_json::Value::String(format!(
            "{} (not JSON: {e})",
            String::from_utf8_lossy(&body)
        )),
    };
    match read_update(&hook.me, &raw, now_millis()) {
        Read::Event { event, lenient } => {
            if let Some(why) = lenient {
                info!(update = update_id(&raw), reason = %why, "telegram update read leniently");
            }
            match hook.intake.submit(vec![*event], None).await {
                Ok(_) => StatusCode::OK,
                // Not stored: Telegram keeps the update and sends it again.
                Err(IntakeError::Unavailable(e)) => {
                    warn!(error = %e, "telegram update not stored; asking Telegram to resend");
                    StatusCode::SERVICE_UNAVAILABLE
                }
                Err(IntakeError::ShuttingDown) => StatusCode::SERVICE_UNAVAILABLE,
            }
        }
        Read::Skip => {
            debug!(
                update = update_id(&raw),
                "telegram update not for gridline; confirmed"
            );
            StatusCode::OK
        }
        Read::Unread(row) => keep(&hook, row).await,
    }
}

async fn keep(hook: &Hook, row: crate::store::unread::Unread) -> StatusCode {
    match hook
        .store
        .keep_unread(std::slice::from_ref(&row), now_millis())
        .await
    {
        Ok(new) => {
            if new.first() == Some(&true) {
                warn!(key = %row.key, reason = %row.reason, "telegram update not understood; kept as received");
            }
            StatusCode::OK
        }
        Err(e) => {
            warn!(error = %e, "unreadable telegram update not stored; asking Telegram to resend");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_path_follows_the_public_url() {
        assert_eq!(path_of("https://bot.example.org/hooks/tg"), "/hooks/tg");
        assert_eq!(path_of("https://bot.example.org"), DEFAULT_PATH);
        assert_eq!(path_of("https://bot.example.org/"), DEFAULT_PATH);
    }
}
