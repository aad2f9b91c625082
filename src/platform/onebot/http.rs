//! OneBot over HTTP: events POSTed to `/onebot/v11/events`, and actions sent to the bridge's
//! HTTP API.
//!
//! An event is answered only after it is committed to the inbox (204), so a bridge that retries
//! failed posts never loses one. With `onebot.secret` set, the body must carry
//! `X-Signature: sha1=<hex HMAC-SHA1(secret, body)>`; anything else is refused (401 without a
//! signature, 403 with a wrong one) and nothing is stored.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use std::time::Duration;
use tracing::{debug, warn};

use super::action::ActionResponse;
use super::event::{self, Parsed};
use crate::config::Secret;
use crate::intake::Intake;
use crate::platform::SendError;
use crate::store::now_millis;

/// What the event endpoint needs.
#[derive(Clone)]
pub struct EventState {
    pub intake: Intake,
    pub store: crate::store::Store,
    pub secret: Secret,
}

pub fn routes(state: EventState) -> Router {
    Router::new()
        .route("/onebot/v11/events", post(receive))
        .with_state(state)
}

/// Checks `X-Signature: sha1=<hex>` against the body, in constant time.
pub fn check_signature(
    secret: &Secret,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), StatusCode> {
    if secret.is_empty() {
        return Ok(());
    }
    let given = headers
        .get("x-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("sha1="))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let given = decode_hex(given).ok_or(StatusCode::FORBIDDEN)?;
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| StatusCode::FORBIDDEN)
}

/// The signature a bridge puts on `body` (used by tests and tools that post events).
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha1={hex}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

async fn receive(State(state): State<EventState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if let Err(status) = check_signature(&state.secret, &headers, &body) {
        // Counted and logged once a minute by crate::limits, not once per request.
        debug!(%status, "OneBot event refused: bad or missing signature");
        return status;
    }
    let hint = headers.get("x-self-id").and_then(|v| v.to_str().ok());
    // A signed body comes from the bridge: what cannot be read is kept, not dropped.
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return keep(&state, hint, &body, format!("not JSON: {e}")).await,
    };
    match event::parse(&value, hint, now_millis()) {
        Ok(Parsed::Inbound(ev)) => match state.intake.submit(vec![*ev], None).await {
            Ok(_) => StatusCode::NO_CONTENT,
            Err(e) => {
                // Not stored: say so, and the bridge may post it again.
                warn!(error = %e, "OneBot event not stored");
                StatusCode::SERVICE_UNAVAILABLE
            }
        },
        Ok(Parsed::Ignored(why)) => {
            debug!(why, "OneBot event ignored");
            StatusCode::NO_CONTENT
        }
        Err(e) => keep(&state, hint, &body, e.to_string()).await,
    }
}

/// Keeps an event that could not be read; 204 once it is stored, 503 (the bridge may post it
/// again) when it is not.
async fn keep(
    state: &EventState,
    account: Option<&str>,
    body: &[u8],
    reason: String,
) -> StatusCode {
    let row = super::unread(
        account.unwrap_or(""),
        &String::from_utf8_lossy(body),
        reason,
    );
    match state
        .store
        .keep_unread(std::slice::from_ref(&row), now_millis())
        .await
    {
        Ok(new) => {
            if new.first() == Some(&true) {
                warn!(reason = %row.reason, key = %row.key, "OneBot event not understood; kept as received");
            }
            StatusCode::NO_CONTENT
        }
        Err(e) => {
            warn!(error = %e, "unreadable OneBot event not stored");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The bridge's HTTP API (`POST <api_url>/<action>`), used when no WebSocket is connected.
pub struct HttpApi {
    base: String,
    token: Secret,
    client: reqwest::Client,
}

impl HttpApi {
    pub fn new(base: &str, token: Secret, timeout: Duration) -> anyhow::Result<HttpApi> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| anyhow::anyhow!("building the OneBot HTTP client: {e}"))?;
        Ok(HttpApi {
            base: base.trim_end_matches('/').to_string(),
            token,
            client,
        })
    }

    pub async fn call(&self, action: &str, params: Value) -> Result<ActionResponse, SendError> {
        let mut request = self
            .client
            .post(format!("{}/{action}", self.base))
            .json(&params);
        if !self.token.is_empty() {
            request = request.bearer_auth(self.token.expose());
        }
        let response = request.send().await.map_err(|e| SendError::Retry {
            after: None,
            reason: format!("OneBot HTTP API unreachable: {e}"),
        })?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(|e| SendError::Retry {
                after: None,
                reason: format!("OneBot HTTP API answer unreadable: {e}"),
            });
        }
        let reason = format!("OneBot HTTP API answered {status} to {action}");
        // 401/403: wrong token; 404: no such action; 400/406: a request it cannot read.
        if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            Err(SendError::Permanent(reason))
        } else {
            Err(SendError::Retry {
                after: None,
                reason,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn signatures_are_verified() {
        let secret = Secret::new("bridge-secret");
        let body = br#"{"post_type":"message"}"#;
        let mut h = HeaderMap::new();
        assert_eq!(
            check_signature(&secret, &h, body),
            Err(StatusCode::UNAUTHORIZED)
        );
        let good = sign("bridge-secret", body);
        assert_eq!(good.len(), 5 + 40);
        h.insert("x-signature", HeaderValue::from_str(&good).expect("header"));
        assert_eq!(check_signature(&secret, &h, body), Ok(()));
        assert_eq!(
            check_signature(&secret, &h, br#"{"post_type":"messagE"}"#),
            Err(StatusCode::FORBIDDEN)
        );
        let other = sign("other-secret", body);
        h.insert(
            "x-signature",
            HeaderValue::from_str(&other).expect("header"),
        );
        assert_eq!(
            check_signature(&secret, &h, body),
            Err(StatusCode::FORBIDDEN)
        );
        h.insert("x-signature", HeaderValue::from_static("sha1=zz"));
        assert_eq!(
            check_signature(&secret, &h, body),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            check_signature(&Secret::default(), &HeaderMap::new(), body),
            Ok(())
        );
    }

    #[test]
    fn known_hmac_sha1_vector() {
        // RFC 2202 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
