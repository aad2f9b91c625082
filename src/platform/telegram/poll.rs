//! gridline's own getUpdates loop, the reason Telegram never loses a message.
//!
//! Telegram forgets updates once a getUpdates call carries an `offset` above them. teloxide's
//! Dispatcher sends that offset as soon as updates are queued in memory, so a crash loses them.
//! This loop stores a batch and the next offset in one inbox transaction and only then asks for
//! the next batch with that offset; at start it resumes from the stored offset. A crash at any
//! point either loses nothing (the batch is fetched again and de-duplicated by event id) or has
//! already stored it.

use std::time::Duration;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::requests::{Request, Requester};
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, Bot, RequestError};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::update::{BotIdentity, to_event};
use crate::intake::{Cursor, Intake, IntakeError};
use crate::store::Store;

/// How long one getUpdates call may wait for news on Telegram's side.
pub const LONG_POLL: Duration = Duration::from_secs(25);
/// Most updates in one batch (Telegram's maximum).
const BATCH: u8 = 100;
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The update kinds gridline asks for. Everything else never reaches it.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
    ]
}

/// Where the next offset is stored: one cursor per bot.
pub fn cursor_key(me: &BotIdentity) -> String {
    format!("telegram:{}:offset", me.id)
}

pub struct Poller {
    pub bot: Bot,
    pub me: BotIdentity,
    pub store: Store,
    pub intake: Intake,
    pub shutdown: CancellationToken,
}

impl Poller {
    /// Runs until `shutdown`. A long poll in flight is abandoned at shutdown: whatever it would
    /// have returned is still unconfirmed on Telegram's side and comes again next start.
    pub async fn run(self) {
        let key = cursor_key(&self.me);
        let Some(mut offset) = self.stored_offset(&key).await else {
            return;
        };
        info!(bot = %self.me.username, offset, "telegram polling started");
        let mut backoff = Backoff::default();
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(LONG_POLL.as_secs() as u32)
                .limit(BATCH)
                .allowed_updates(allowed_updates());
            let result = tokio::select! {
                () = self.shutdown.cancelled() => break,
                r = request.send() => r,
            };
            let updates = match result {
                Ok(updates) => updates,
                Err(e) => {
                    let wait = match &e {
                        RequestError::RetryAfter(s) => s.duration(),
                        RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => {
                            warn!(
                                "another process is polling this bot token (another gridline, or a webhook being set); retrying"
                            );
                            backoff.next()
                        }
                        RequestError::Api(ApiError::InvalidToken) => {
                            error!("telegram rejected the bot token (telegram.token)");
                            BACKOFF_MAX
                        }
                        _ => {
                            warn!(error = %e, "getUpdates failed; retrying");
                            backoff.next()
                        }
                    };
                    if self.sleep(wait).await {
                        break;
                    }
                    continue;
                }
            };
            backoff.reset();
            let Some(next) = updates.iter().map(|u| u.id.as_offset()).max() else {
                continue;
            };
            let events: Vec<_> = updates
                .iter()
                .filter_map(|u| to_event(&self.me, u))
                .collect();
            let cursor = Cursor {
                key: key.clone(),
                value: next.to_string(),
            };
            debug!(
                updates = updates.len(),
                events = events.len(),
                next,
                "telegram batch fetched"
            );
            if !self.store_batch(events, cursor).await {
                break;
            }
            // Only now does Telegram learn (through the next call's offset) that the batch arrived.
            offset = next;
        }
        info!(bot = %self.me.username, "telegram polling stopped");
    }

    /// The offset to resume from. `None` when shutdown came first.
    async fn stored_offset(&self, key: &str) -> Option<i32> {
        let mut backoff = Backoff::default();
        loop {
            match self.store.cursor(key).await {
                Ok(None) => return Some(0),
                Ok(Some(v)) => match v.parse::<i32>() {
                    Ok(n) => return Some(n),
                    Err(_) => {
                        // Starting from 0 re-reads what Telegram still holds; the inbox drops
                        // what it already has.
                        warn!(key, value = %v, "stored telegram offset unreadable; starting from 0");
                        return Some(0);
                    }
                },
                Err(e) => {
                    warn!(error = %e, "cannot read the telegram offset; retrying");
                    if self.sleep(backoff.next()).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Submits until the batch is committed. `false` when gridline is stopping and the batch was
    /// not stored (it stays unconfirmed on Telegram).
    async fn store_batch(
        &self,
        events: Vec<crate::platform::InboundEvent>,
        cursor: Cursor,
    ) -> bool {
        let mut backoff = Backoff::default();
        loop {
            match self
                .intake
                .submit(events.clone(), Some(cursor.clone()))
                .await
            {
                Ok(stored) => {
                    debug!(
                        new = stored.new,
                        duplicates = stored.duplicates,
                        "telegram batch stored"
                    );
                    return true;
                }
                Err(IntakeError::ShuttingDown) => return false,
                Err(IntakeError::Unavailable(e)) => {
                    warn!(error = %e, "telegram batch not stored; retrying before confirming it");
                    if self.sleep(backoff.next()).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Sleeps `d`; `true` if shutdown came first.
    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = self.shutdown.cancelled() => true,
            () = tokio::time::sleep(d) => false,
        }
    }
}

/// Exponential backoff with ±20% jitter, so that replicas restarting together spread out.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let base = BACKOFF_MIN.saturating_mul(1 << self.failures.min(10));
        self.failures += 1;
        let capped = base.min(BACKOFF_MAX);
        capped.mul_f64(0.8 + fastrand::f64() * 0.4)
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_and_resets() {
        let mut b = Backoff::default();
        let first = b.next();
        assert!(first >= BACKOFF_MIN.mul_f64(0.8) && first <= BACKOFF_MIN.mul_f64(1.2));
        let mut last = first;
        for _ in 0..20 {
            last = b.next();
        }
        assert!(last <= BACKOFF_MAX.mul_f64(1.2) && last >= BACKOFF_MAX.mul_f64(0.8));
        b.reset();
        assert!(b.next() <= BACKOFF_MIN.mul_f64(1.2));
    }
}
