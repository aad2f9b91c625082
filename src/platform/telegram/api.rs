//! The two Bot API calls gridline reads as plain JSON: getMe and getUpdates.
//!
//! teloxide's typed answers fail as a whole when one update holds something newer than
//! teloxide (and its `Me` panics on a bot without a username), so these two are made with the
//! same HTTP client settings but read as [`Value`]s; [`super::raw`] types them one by one.

use serde_json::{Value, json};
use std::time::Duration;

use super::update::BotIdentity;

/// Why a call gave no answer to use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 429: wait this long.
    #[error("flood control: retry after {0:?}")]
    RetryAfter(Duration),
    /// 409: another getUpdates (another process with this token) or a webhook is set.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 401/404: the token is not a bot's.
    #[error("the bot token was rejected: {0}")]
    Unauthorized(String),
    /// Anything else (network, 5xx, an answer that is not the Bot API's envelope).
    #[error("{0}")]
    Other(String),
}

/// What getMe tells gridline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub identity: BotIdentity,
    pub reads_all_group_messages: bool,
}

#[derive(Clone)]
pub struct RawApi {
    client: reqwest::Client,
    /// `<api_url>/bot<token>/`; never printed.
    base: String,
}

impl RawApi {
    pub fn new(client: reqwest::Client, api_url: &str, token: &str) -> RawApi {
        RawApi {
            client,
            base: format!("{}/bot{token}/", api_url.trim_end_matches('/')),
        }
    }

    /// Calls `method` and returns its `result`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ApiError> {
        let answer = self
            .client
            .post(format!("{}{method}", self.base))
            .json(&params)
            .send()
            .await
            // The URL holds the token: errors are shown without it.
            .map_err(|e| ApiError::Other(e.without_url().to_string()))?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|e| ApiError::Other(e.without_url().to_string()))?;
        let envelope: Value = serde_json::from_slice(&body).map_err(|e| {
            ApiError::Other(format!("{method}: HTTP {status}, answer is not JSON: {e}"))
        })?;
        if envelope.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(envelope.get("result").cloned().unwrap_or(Value::Null));
        }
        let description = envelope
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("no description")
            .to_string();
        let code = envelope
            .get("error_code")
            .and_then(Value::as_i64)
            .unwrap_or(i64::from(status.as_u16()));
        Err(match code {
            429 => {
                let secs = envelope
                    .pointer("/parameters/retry_after")
                    .and_then(Value::as_u64)
                    .unwrap_or(5)
                    .min(3_600);
                ApiError::RetryAfter(Duration::from_secs(secs))
            }
            409 => ApiError::Conflict(description),
            401 | 404 => ApiError::Unauthorized(description),
            _ => ApiError::Other(format!("{method}: {code} {description}")),
        })
    }

    /// getMe. A bot without a username (which Telegram does not make, but a proxy or a fake
    /// might answer) gets an empty one: commands addressed `/cmd@name` are then not taken as
    /// its own, and everything else works.
    pub async fn get_me(&self) -> Result<Me, ApiError> {
        let me = self.call("getMe", json!({})).await?;
        let id = me
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::Other("getMe: answer without a numeric bot id".into()))?;
        Ok(Me {
            identity: BotIdentity {
                id,
                username: me
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            },
            reads_all_group_messages: me
                .get("can_read_all_group_messages")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// getUpdates: the updates after `offset` as JSON values, waiting up to `timeout` for news.
    pub async fn get_updates(
        &self,
        offset: i64,
        timeout: Duration,
        limit: u8,
        allowed: &[&str],
    ) -> Result<Vec<Value>, ApiError> {
        let result = self
            .call(
                "getUpdates",
                json!({"offset": offset, "timeout": timeout.as_secs(), "limit": limit,
                       "allowed_updates": allowed}),
            )
            .await?;
        match result {
            Value::Array(updates) => Ok(updates),
            other => Err(ApiError::Other(format!(
                "getUpdates: result is not a list but {}",
                kind_of(&other)
            ))),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
