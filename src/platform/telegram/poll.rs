//! gridline's own getUpdates loop, the reason Telegram never loses a message.
//!
//! Telegram forgets updates once a getUpdates call carries an `offset` above them. teloxide's
//! Dispatcher sends that offset as soon as updates are queued in memory, so a crash loses them.
//! This loop stores a batch and the next offset in one inbox transaction and only then asks for
//! the next batch with that offset; at start it resumes from the stored offset. A crash at any
//! point either loses nothing (the batch is fetched again and de-duplicated by event id) or has
//! already stored it.

use std::time::Duration;
use teloxide::types::AllowedUpdate;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::api::{ApiError, RawApi};
use super::raw::{Read, read_update, update_id};
use super::update::BotIdentity;
use crate::intake::{Cursor, Intake, IntakeError};
use crate::store::unread::Unread;
use crate::store::{Backend, Store, now_millis};

/// How long one getUpdates call may wait for news on Telegram's side.
pub const LONG_POLL: Duration = Duration::from_secs(25);
/// Most updates in one batch (Telegram's maximum).
const BATCH: u8 = 100;
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The update kinds gridline asks for. Everything else never reaches it.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    // Keep in step with ALLOWED.
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MyChatMember,
    ]
}

/// [`allowed_updates`] as the Bot API spells them.
pub const ALLOWED: &[&str] = &[
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
];

/// The duty of polling a bot, held by one process of a deployment at a time.
pub fn duty_name(me: &BotIdentity) -> String {
    format!("telegram:{}:polling", me.id)
}

/// How long the polling duty lasts without renewal, and how often its holder renews it (and
/// the others look whether it lapsed): a killed poller's bot is polled again within 5 s.
pub const DUTY_FOR: Duration = Duration::from_secs(4);
pub const DUTY_RENEW: Duration = Duration::from_secs(1);

/// Renews the polling duty every [`DUTY_RENEW`] until `lost` is cancelled; cancels it when
/// another process has the duty, or when the database could not confirm it for long enough
/// that another may take it over.
async fn keep_duty(store: Store, duty: String, holder: String, lost: CancellationToken) {
    let mut confirmed = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = lost.cancelled() => return,
            () = tokio::time::sleep(DUTY_RENEW) => {}
        }
        let now = now_millis();
        match store
            .hold_duty(&duty, &holder, now, now + DUTY_FOR.as_millis() as i64)
            .await
        {
            Ok(true) => confirmed = tokio::time::Instant::now(),
            Ok(false) => {
                lost.cancel();
                return;
            }
            Err(e) => {
                warn!(error = %e, "telegram polling duty not renewed");
                // Stop well before the lease could have lapsed for the others.
                if confirmed.elapsed() + DUTY_RENEW >= DUTY_FOR {
                    lost.cancel();
                    return;
                }
            }
        }
    }
}

/// Where the next offset is stored: one cursor per bot.
pub fn cursor_key(me: &BotIdentity) -> String {
    format!("telegram:{}:offset", me.id)
}

pub struct Poller {
    pub api: RawApi,
    pub me: BotIdentity,
    pub store: Store,
    pub intake: Intake,
    pub shutdown: CancellationToken,
}

impl Poller {
    /// Runs until `shutdown`. One process of a deployment polls a bot at a time (Telegram
    /// refuses a second concurrent getUpdates): the poller holds the duty
    /// [`duty_name`] while it polls, renewing it every [`DUTY_RENEW`]; the others wait and
    /// take it over within [`DUTY_FOR`] + [`DUTY_RENEW`] when the holder dies. A long poll in
    /// flight is abandoned at shutdown or when the duty is lost: whatever it would have
    /// returned is still unconfirmed on Telegram's side and comes again to the next poller.
    pub async fn run(self) {
        let duty = duty_name(&self.me);
        // `machine:pid:random` (crate::node): a holder that no longer runs on this machine
        // is taken over at once.
        let holder = format!("{}:{:08x}", crate::node::this_process(), fastrand::u32(..));
        crate::node::ours(&holder);
        let mut waiting_logged = false;
        // A SQLite database belongs to one process: a restarted gridline takes the duty from
        // its killed predecessor at once instead of waiting for the lease to lapse.
        let mut take_over = self.store.backend() == Backend::Sqlite;
        loop {
            let now = now_millis();
            let lapsed_before = if std::mem::take(&mut take_over) {
                i64::MAX
            } else {
                now
            };
            let until = now + DUTY_FOR.as_millis() as i64;
            let held = match self
                .store
                .hold_duty(&duty, &holder, lapsed_before, until)
                .await
            {
                Ok(false) => self.take_from_the_dead(&duty, &holder, until).await,
                Ok(held) => held,
                Err(e) => {
                    warn!(error = %e, "cannot reach the database to take up telegram polling; retrying");
                    false
                }
            };
            if !held {
                if !waiting_logged {
                    info!(bot = %self.me.username, "another gridline process polls this bot; standing by to take over");
                    waiting_logged = true;
                }
                if self.sleep(DUTY_RENEW, &self.shutdown).await {
                    return;
                }
                continue;
            }
            waiting_logged = false;
            // Renews the duty while polling; cancels `lost` once it cannot be sure of it.
            let lost = self.shutdown.child_token();
            let keeper = tokio::spawn(keep_duty(
                self.store.clone(),
                duty.clone(),
                holder.clone(),
                lost.clone(),
            ));
            self.poll(&lost).await;
            lost.cancel();
            let _ = keeper.await;
            if self.shutdown.is_cancelled() {
                if let Err(e) = self.store.release_duty(&duty, &holder).await {
                    debug!(error = %e, "telegram polling duty not released; it lapses by itself");
                }
                return;
            }
            warn!(bot = %self.me.username, "telegram polling duty lost; standing by");
        }
    }

    /// Takes the polling duty at once when its holder was a process of this machine that no
    /// longer runs (killed, or this process's previous life), instead of waiting for its lease
    /// to lapse.
    async fn take_from_the_dead(&self, duty: &str, holder: &str, until: i64) -> bool {
        let Ok(Some((current, _))) = self.store.duty_holder(duty).await else {
            return false;
        };
        let me = crate::node::this_process();
        let node = current.rsplit_once(':').map_or("", |(node, _)| node);
        if crate::node::is_ours(&current) || !crate::node::gone(node, &me, crate::node::running) {
            return false;
        }
        match self
            .store
            .take_duty_from(duty, holder, &current, until)
            .await
        {
            Ok(true) => {
                info!(bot = %self.me.username, from = %current, "telegram polling taken over from a process that no longer runs");
                true
            }
            Ok(false) => false,
            Err(e) => {
                debug!(error = %e, "telegram polling duty not taken over");
                false
            }
        }
    }

    /// Polls until `stop`.
    async fn poll(&self, stop: &CancellationToken) {
        let key = cursor_key(&self.me);
        let Some(mut offset) = self.stored_offset(&key, stop).await else {
            return;
        };
        info!(bot = %self.me.username, offset, "telegram polling started");
        let mut backoff = Backoff::default();
        loop {
            let fetch = self.api.get_updates(offset, LONG_POLL, BATCH, ALLOWED);
            let result = tokio::select! {
                () = stop.cancelled() => break,
                r = fetch => r,
            };
            let updates = match result {
                Ok(updates) => updates,
                Err(e) => {
                    let wait = match &e {
                        ApiError::RetryAfter(d) => *d,
                        ApiError::Conflict(_) => {
                            warn!(
                                "another process is polling this bot token (another gridline, or a webhook being set); retrying"
                            );
                            backoff.next()
                        }
                        ApiError::Unauthorized(_) => {
                            error!("telegram rejected the bot token (telegram.token)");
                            BACKOFF_MAX
                        }
                        ApiError::Other(_) => {
                            warn!(error = %e, "getUpdates failed; retrying");
                            backoff.next()
                        }
                    };
                    if self.sleep(wait, stop).await {
                        break;
                    }
                    continue;
                }
            };
            backoff.reset();
            if updates.is_empty() {
                continue;
            }
            let now = now_millis();
            let mut events = Vec::with_capacity(updates.len());
            let mut unread = Vec::new();
            for raw in &updates {
                match read_update(&self.me, raw, now) {
                    Read::Event { event, lenient } => {
                        if let Some(why) = lenient {
                            info!(update = update_id(raw), reason = %why, "telegram update read leniently");
                        }
                        events.push(*event);
                    }
                    Read::Skip => {}
                    Read::Unread(u) => unread.push(u),
                }
            }
            // An update without an id cannot be confirmed; it is kept all the same.
            let next = updates.iter().filter_map(update_id).max().map(|m| m + 1);
            debug!(
                updates = updates.len(),
                events = events.len(),
                unread = unread.len(),
                next,
                "telegram batch fetched"
            );
            if !self.keep_unread(&unread, stop).await {
                break;
            }
            let cursor = next.map(|n| Cursor {
                key: key.clone(),
                value: n.to_string(),
            });
            // A poller that lost its duty meanwhile stores nothing: the batch is unconfirmed and
            // the next poller fetches it from the stored offset.
            if stop.is_cancelled() || !self.store_batch(events, cursor, stop).await {
                break;
            }
            // Only now does Telegram learn (through the next call's offset) that the batch arrived.
            if let Some(n) = next {
                offset = n;
            }
        }
        info!(bot = %self.me.username, "telegram polling stopped");
    }

    /// The offset to resume from. `None` when shutdown came first.
    async fn stored_offset(&self, key: &str, stop: &CancellationToken) -> Option<i64> {
        let mut backoff = Backoff::default();
        loop {
            match self.store.cursor(key).await {
                Ok(None) => return Some(0),
                Ok(Some(v)) => match v.parse::<i64>() {
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
                    if self.sleep(backoff.next(), stop).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Stores the updates that could not be read, logging each once. `false` when gridline
    /// is stopping first (nothing is confirmed then).
    async fn keep_unread(&self, rows: &[Unread], stop: &CancellationToken) -> bool {
        let mut backoff = Backoff::default();
        loop {
            match self.store.keep_unread(rows, now_millis()).await {
                Ok(new) => {
                    for (row, _) in rows.iter().zip(new).filter(|(_, n)| *n) {
                        warn!(key = %row.key, reason = %row.reason, "telegram update not understood; kept as received");
                    }
                    return true;
                }
                Err(e) => {
                    warn!(error = %e, "unreadable telegram updates not stored; retrying before confirming them");
                    if self.sleep(backoff.next(), stop).await {
                        return false;
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
        cursor: Option<Cursor>,
        stop: &CancellationToken,
    ) -> bool {
        let mut backoff = Backoff::default();
        loop {
            match self.intake.submit(events.clone(), cursor.clone()).await {
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
                    if self.sleep(backoff.next(), stop).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Sleeps `d`; `true` if `stop` came first.
    async fn sleep(&self, d: Duration, stop: &CancellationToken) -> bool {
        tokio::select! {
            () = stop.cancelled() => true,
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
