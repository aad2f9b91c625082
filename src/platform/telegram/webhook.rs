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
use teloxide::types::Update;
use tracing::{debug, warn};

use super::update::{BotIdentity, to_event};
use crate::config::Secret;
use crate::intake::{Intake, IntakeError};

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Where updates are received when `telegram.webhook_url` has no path of its own.
pub const DEFAULT_PATH: &str = "/telegram/webhook";

struct Hook {
    me: BotIdentity,
    secret: Secret,
    intake: Intake,
}

/// The route path for `webhook_url`: its own path (a reverse proxy forwards it unchanged), or
/// [`DEFAULT_PATH`] when it is the bare host.
pub fn path_of(webhook_url: &str) -> String {
    match reqwest::Url::parse(webhook_url) {
        Ok(url) if url.path() != "/" && !url.path().is_empty() => url.path().to_string(),
        _ => DEFAULT_PATH.to_string(),
    }
}

pub fn routes(path: &str, me: BotIdentity, secret: Secret, intake: Intake) -> Router {
    let hook = Arc::new(Hook { me, secret, intake });
    Router::new().route(path, post(receive)).with_state(hook)
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.expose().as_bytes())) {
        warn!("telegram webhook request with a wrong or missing secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            warn!(error = %e, "telegram webhook body is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    let Some(event) = to_event(&hook.me, &update) else {
        debug!(
            update = update.id.0,
            "telegram update not for gridline; confirmed"
        );
        return StatusCode::OK;
    };
    match hook.intake.submit(vec![event], None).await {
        Ok(_) => StatusCode::OK,
        // Not stored: Telegram keeps the update and sends it again.
        Err(IntakeError::Unavailable(e)) => {
            warn!(error = %e, "telegram update not stored; asking Telegram to resend");
            StatusCode::SERVICE_UNAVAILABLE
        }
        Err(IntakeError::ShuttingDown) => StatusCode::SERVICE_UNAVAILABLE,
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
