//! The delivery worker. It leases due outbox rows, sends them through their platform's adapter
//! outside any transaction, and records the result: sent, retry later (exponential backoff with
//! jitter, or the platform's Retry-After), or parked after a permanent failure or too many
//! attempts. Rows of one chat go out in order; a row waiting for a retry holds back the rows
//! behind it. Rate limits are the adapter's declared ones, per chat and per account.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::{Mutex, Notify, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::domain::message::{Outbound, Rate};
use crate::platform::{Adapter, Delivered, SendError, split_text};
use crate::store::outbox::{Delivery, Lessee, OutboxRow};
use crate::store::{Store, StoreError};

/// Sliding-window send logs, one per chat and per account.
#[derive(Default)]
pub struct RateLimiter {
    logs: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// How long to wait before one more send under `rates` for `key` (None: send now).
    pub fn wait(&self, key: &str, rates: &[Rate], now: Instant) -> Option<Duration> {
        let log = self.logs.get(key)?;
        rates
            .iter()
            .filter_map(|rate| {
                let window_start = now.checked_sub(rate.per)?;
                let in_window: Vec<&Instant> = log.iter().filter(|t| **t > window_start).collect();
                if in_window.len() < rate.max as usize {
                    return None;
                }
                // The oldest send that still counts must leave the window first.
                let oldest = in_window[in_window.len() - rate.max as usize];
                Some(*oldest + rate.per - now)
            })
            .max()
    }

    pub fn record(&mut self, key: &str, now: Instant, keep: Duration) {
        let log = self.logs.entry(key.to_string()).or_default();
        log.push_back(now);
        while log.front().is_some_and(|t| now.duration_since(*t) > keep) {
            log.pop_front();
        }
    }
}

/// Backoff before attempt `attempts + 1`: base · 2^attempts, capped, with ±20% jitter.
pub fn backoff(attempts: i64, base: Duration, max: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempts.clamp(0, 20) as u32)
        .min(max);
    let jitter = 0.8 + fastrand::f64() * 0.4;
    exp.mul_f64(jitter)
}

/// How often a running worker tells the database it is alive.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Silence after which a worker counts as dead and its leases are taken over. Three missed
/// heartbeats: a crashed or killed process's deliveries are retried within seconds.
const DEAD_AFTER: Duration = Duration::from_secs(6);
/// A worker that could not beat for this long stops starting sends, well before others may
/// take its rows (`DEAD_AFTER`): a row is never sent twice while its first sender may live.
const SEND_ONLY_WITHIN: Duration = Duration::from_secs(4);

pub struct Worker {
    store: Store,
    /// This process's lease identity ([`Store::register_incarnation`]).
    incarnation: String,
    /// When the database last heard this worker's heartbeat (`None`: not registered yet).
    beat: std::sync::Mutex<Option<std::time::Instant>>,
    adapters: HashMap<String, Arc<dyn Adapter>>,
    settings: OutboxSettings,
    limiter: Mutex<RateLimiter>,
    wake: Arc<Notify>,
    clock: Arc<Clock>,
    ledger: Ledger,
}

/// Records what became of delivered rows in groups. Deliveries to many chats finish at about
/// the same time; whoever finds the ledger free records every outcome queued so far in one
/// transaction, and the others find theirs recorded. Under load that is one commit for many
/// rows instead of one each, which on SQLite would queue the intake behind a train of fsyncs.
#[derive(Default)]
struct Ledger {
    queue: std::sync::Mutex<Vec<(Delivery, oneshot::Sender<Recorded>)>>,
    turn: Mutex<()>,
}

/// How many outcomes were committed together, or why none was.
type Recorded = Result<usize, String>;

impl Ledger {
    /// Returns once `delivery` is committed, with the number of outcomes committed with it
    /// (itself included).
    async fn record(&self, store: &Store, delivery: Delivery) -> Result<usize, StoreError> {
        let (done, mut wait) = oneshot::channel();
        self.queue().push((delivery, done));
        let turn = self.turn.lock().await;
        // The last holder recorded everything queued before it let go, this one included.
        if let Ok(result) = wait.try_recv() {
            return result.map_err(StoreError::Unavailable);
        }
        let (deliveries, waiting): (Vec<Delivery>, Vec<_>) =
            std::mem::take(&mut *self.queue()).into_iter().unzip();
        let result = store
            .record_deliveries(&deliveries)
            .await
            .map(|()| deliveries.len())
            .map_err(|e| e.to_string());
        for w in waiting {
            let _ = w.send(result.clone());
        }
        drop(turn);
        match wait.await {
            Ok(result) => result.map_err(StoreError::Unavailable),
            Err(_) => Err(StoreError::Unavailable(
                "delivery outcome not recorded".into(),
            )),
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<(Delivery, oneshot::Sender<Recorded>)>> {
        // Holders only push or take the whole list.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What happened to one row.
enum Result_ {
    Sent,
    Retry,
    Parked,
    /// Rate-limited; the row is postponed and its chat waits.
    Postponed,
}

impl Worker {
    pub fn new(
        store: Store,
        adapters: HashMap<String, Arc<dyn Adapter>>,
        settings: OutboxSettings,
        wake: Arc<Notify>,
        clock: Arc<Clock>,
    ) -> Worker {
        Worker {
            store,
            incarnation: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            beat: std::sync::Mutex::new(None),
            adapters,
            settings,
            limiter: Mutex::new(RateLimiter::default()),
            wake,
            clock,
            ledger: Ledger::default(),
        }
    }

    /// Registers or re-registers this worker and records the beat. `false` when the
    /// database could not be told.
    async fn beat(&self) -> bool {
        let now = self.clock.now();
        let registered = self.last_beat().is_some();
        let result = if registered {
            self.store.heartbeat(&self.incarnation, now).await
        } else {
            let node = std::env::var("HOSTNAME").unwrap_or_default();
            let node = format!("{node}:{}", std::process::id());
            self.store
                .register_incarnation(&self.incarnation, &node, now)
                .await
        };
        match result {
            Ok(()) => {
                *self
                    .beat
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(std::time::Instant::now());
                true
            }
            Err(e) => {
                warn!(error = %e, "outbox heartbeat failed");
                false
            }
        }
    }

    fn last_beat(&self) -> Option<std::time::Instant> {
        *self
            .beat
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether this worker may lease and send now: its heartbeat is fresh (beating now if not).
    async fn alive(&self) -> bool {
        match self.last_beat() {
            Some(t) if t.elapsed() < SEND_ONLY_WITHIN => true,
            _ => self.beat().await,
        }
    }

    /// Runs until `shutdown`, then makes one last pass so that replies already committed go out.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let poll = self.settings.poll_interval.0;
        let heart = {
            let (me, stop) = (self.clone(), shutdown.clone());
            tokio::spawn(async move {
                loop {
                    me.beat().await;
                    tokio::select! {
                        () = tokio::time::sleep(HEARTBEAT) => {}
                        () = stop.cancelled() => return,
                    }
                }
            })
        };
        loop {
            let delivered = match self.deliver_once().await {
                Ok(n) => n,
                Err(e) => {
                    warn!(error = %e, "outbox pass failed; will retry");
                    0
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            if delivered > 0 {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
                () = shutdown.cancelled() => {}
            }
        }
        // Drain: whatever is due now, bounded so that shutdown cannot hang on a dead platform.
        let drain = async {
            while let Ok(n) = self.deliver_once().await {
                if n == 0 {
                    break;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), drain)
            .await
            .is_err()
        {
            warn!("outbox drain cut short at shutdown; undelivered rows stay queued");
        }
        heart.abort();
        // Rows whose delivery was cut short are free for the next start at once.
        if let Err(e) = self
            .store
            .end_incarnation(&self.incarnation, self.clock.now())
            .await
        {
            warn!(error = %e, "could not record the outbox's stop; its leases free up in seconds");
        }
    }

    /// One pass: lease what is due and deliver it. Returns how many rows were sent.
    pub async fn deliver_once(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let lease = self.settings.lease.as_millis();
        let limit = (self.settings.concurrency * 8) as i64;
        if !self.alive().await {
            return Ok(0);
        }
        let lessee = Lessee {
            incarnation: self.incarnation.clone(),
            alive_since: now - DEAD_AFTER.as_millis() as i64,
        };
        let rows = self
            .store
            .lease_due_as(now, now + lease, limit, Some(&lessee))
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        // Chats in parallel (bounded), rows of one chat in order.
        let mut by_chat: BTreeMap<(String, String, String), Vec<OutboxRow>> = BTreeMap::new();
        for row in rows {
            let key = (
                row.platform.clone(),
                row.account.clone(),
                row.chat.clone().unwrap_or_else(|| format!("#{}", row.id)),
            );
            by_chat.entry(key).or_default().push(row);
        }
        let semaphore = Arc::new(tokio::sync::Semaphore::new(self.settings.concurrency));
        let tasks = by_chat.into_values().map(|rows| {
            let semaphore = semaphore.clone();
            async move {
                let Ok(_permit) = semaphore.acquire().await else { return Ok(0) };
                let mut sent = 0;
                for row in rows {
                    let span = info_span!("deliver", outbox = row.id, platform = %row.platform, attempt = row.attempts + 1);
                    match self.deliver(&row).instrument(span).await? {
                        Result_::Sent => sent += 1,
                        // Later rows of the chat wait for this one: release their leases.
                        Result_::Retry | Result_::Parked | Result_::Postponed => break,
                    }
                }
                Ok::<usize, StoreError>(sent)
            }
        });
        let mut total = 0;
        for r in join_all(tasks).await {
            total += r?;
        }
        Ok(total)
    }

    async fn record(&self, delivery: Delivery) -> Result<(), StoreError> {
        let together = self.ledger.record(&self.store, delivery).await?;
        tracing::trace!(together, "delivery recorded");
        Ok(())
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<Result_, StoreError> {
        let Some(adapter) = self.adapters.get(&row.platform) else {
            warn!(platform = %row.platform, "no adapter for platform; parking");
            self.record(Delivery::Parked {
                id: row.id,
                error: format!("no adapter for platform {}", row.platform),
            })
            .await?;
            return Ok(Result_::Parked);
        };
        let caps = adapter.capabilities();
        let chat_key = format!(
            "{}\u{1}{}\u{1}{}",
            row.platform,
            row.account,
            row.chat.as_deref().unwrap_or("")
        );
        let account_key = format!("{}\u{1}{}", row.platform, row.account);
        let parts = parts_of(&row.item, caps.text_limit);
        {
            let mut limiter = self.limiter.lock().await;
            let now = Instant::now();
            let wait = [
                row.chat
                    .as_ref()
                    .and_then(|_| limiter.wait(&chat_key, &caps.limits.per_chat, now)),
                limiter.wait(&account_key, &caps.limits.per_account, now),
            ]
            .into_iter()
            .flatten()
            .max();
            if let Some(wait) = wait {
                // Short waits are slept here; long ones release the row to a later pass.
                if wait > Duration::from_millis(1_500) {
                    let next =
                        self.clock.now() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                    self.record(Delivery::Postponed {
                        id: row.id,
                        next_at: next,
                    })
                    .await?;
                    return Ok(Result_::Postponed);
                }
                drop(limiter);
                tokio::time::sleep(wait).await;
                limiter = self.limiter.lock().await;
            }
            let now = Instant::now();
            let keep = Duration::from_secs(120);
            for _ in 0..parts.len() {
                if row.chat.is_some() {
                    limiter.record(&chat_key, now, keep);
                }
                limiter.record(&account_key, now, keep);
            }
        }
        let mut delivered = Delivered::default();
        let mut failure = None;
        for part in &parts {
            match adapter.send(&row.account, part).await {
                Ok(d) => delivered.message_ids.extend(d.message_ids),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let now = self.clock.now();
        match failure {
            None => {
                self.record(Delivery::Sent {
                    id: row.id,
                    platform: row.platform.clone(),
                    chat: row.chat.clone(),
                    ticket_id: row.ticket_id,
                    message_ids: delivered.message_ids,
                    at: now,
                })
                .await?;
                tracing::debug!("delivered");
                Ok(Result_::Sent)
            }
            Some(SendError::Permanent(reason)) => {
                warn!(%reason, "permanent delivery failure; parked");
                // A private chat that refuses for good (the person blocked the bot) is no
                // longer one gridline can write in: answers go to the group again.
                if let Outbound::Send(m) = &row.item {
                    match self.store.forget_private_chat(&row.platform, &m.chat).await {
                        Ok(0) => {}
                        Ok(_) => {
                            info!(chat = %m.chat, "private chat forgotten: the bot cannot write there")
                        }
                        Err(e) => warn!(error = %e, "could not forget a private chat"),
                    }
                }
                self.record(Delivery::Parked {
                    id: row.id,
                    error: reason,
                })
                .await?;
                Ok(Result_::Parked)
            }
            Some(SendError::Offline(reason)) => {
                // Not the message's fault: wait without counting an attempt. Adapters that know
                // when they are back (a bridge reconnecting) make the row due at once.
                let wait = self.settings.retry_max.0;
                let next = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                warn!(%reason, retry_in_ms = wait.as_millis() as u64, "platform offline; delivery waits");
                self.record(Delivery::Postponed {
                    id: row.id,
                    next_at: next,
                })
                .await?;
                Ok(Result_::Postponed)
            }
            Some(SendError::Retry { after, reason }) => {
                if row.attempts + 1 >= i64::from(self.settings.max_attempts) {
                    warn!(%reason, attempts = row.attempts + 1, "delivery failed too often; parked");
                    self.record(Delivery::Parked {
                        id: row.id,
                        error: reason,
                    })
                    .await?;
                    return Ok(Result_::Parked);
                }
                let wait = after.unwrap_or_else(|| {
                    backoff(
                        row.attempts,
                        self.settings.retry_base.0,
                        self.settings.retry_max.0,
                    )
                });
                let next = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                warn!(%reason, retry_in_ms = wait.as_millis() as u64, "delivery failed; will retry");
                self.record(Delivery::Retry {
                    id: row.id,
                    next_at: next,
                    error: reason,
                })
                .await?;
                Ok(Result_::Retry)
            }
        }
    }
}

/// A long text becomes several messages: the reply link on the first, buttons on the last.
fn parts_of(item: &Outbound, limit: usize) -> Vec<Outbound> {
    let Outbound::Send(msg) = item else {
        return vec![item.clone()];
    };
    let texts = split_text(&msg.text, limit);
    let count = texts.len();
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let mut part = msg.clone();
            part.text = text;
            if i > 0 {
                part.reply_to = None;
            }
            if i + 1 < count {
                part.buttons.clear();
            }
            Outbound::Send(part)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Button, OutboundMessage};
    use crate::store::outbox::NewOutbound;

    /// Deliveries finishing together are recorded together, and every one is recorded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_ledger_records_concurrent_outcomes_in_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/ledger.db", dir.path().display());
        let store = Store::open(&url, 4, Duration::from_secs(5))
            .await
            .expect("store");
        let items: Vec<NewOutbound> = (0..40)
            .map(|i| NewOutbound {
                platform: "memory".into(),
                account: "bot".into(),
                ticket_id: None,
                item: Outbound::Send(OutboundMessage {
                    chat: format!("c{i}"),
                    thread: None,
                    text: "好的".into(),
                    reply_to: None,
                    mentions: vec![],
                    buttons: vec![],
                }),
                not_before: None,
            })
            .collect();
        let mut tx = store.begin().await.expect("begin");
        tx.enqueue(&items, 0).await.expect("enqueue");
        tx.commit().await.expect("commit");
        let rows = store.lease_due(0, 60_000, 100).await.expect("lease");
        assert_eq!(rows.len(), 40);

        let ledger = Arc::new(Ledger::default());
        let tasks: Vec<_> = rows
            .into_iter()
            .map(|row| {
                let (ledger, store) = (ledger.clone(), store.clone());
                tokio::spawn(async move {
                    let outcome = if row.id % 10 == 0 {
                        Delivery::Parked {
                            id: row.id,
                            error: "blocked".into(),
                        }
                    } else {
                        Delivery::Sent {
                            id: row.id,
                            platform: row.platform,
                            chat: row.chat,
                            ticket_id: None,
                            message_ids: vec![],
                            at: 1,
                        }
                    };
                    ledger.record(&store, outcome).await.expect("recorded")
                })
            })
            .collect();
        let mut groups = Vec::new();
        for t in tasks {
            groups.push(t.await.expect("task"));
        }
        let counts = store.outbox_counts().await.expect("counts");
        assert_eq!((counts.sent, counts.parked, counts.pending), (36, 4, 0));
        assert!(
            groups.iter().any(|&n| n > 1),
            "one transaction per outcome: {groups:?}"
        );
    }

    #[test]
    fn limiter_waits_for_the_window() {
        let mut l = RateLimiter::default();
        let rates = [Rate {
            max: 2,
            per: Duration::from_secs(1),
        }];
        let t0 = Instant::now();
        assert_eq!(l.wait("c", &rates, t0), None);
        l.record("c", t0, Duration::from_secs(60));
        l.record(
            "c",
            t0 + Duration::from_millis(100),
            Duration::from_secs(60),
        );
        let wait = l
            .wait("c", &rates, t0 + Duration::from_millis(200))
            .expect("must wait");
        assert_eq!(wait, Duration::from_millis(800));
        assert_eq!(l.wait("c", &rates, t0 + Duration::from_millis(1_001)), None);
        assert_eq!(l.wait("other", &rates, t0), None);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(600);
        for _ in 0..50 {
            let b0 = backoff(0, base, max);
            assert!(
                b0 >= Duration::from_millis(1_600) && b0 <= Duration::from_millis(2_400),
                "{b0:?}"
            );
            let b3 = backoff(3, base, max);
            assert!(
                b3 >= Duration::from_millis(12_800) && b3 <= Duration::from_millis(19_200),
                "{b3:?}"
            );
            assert!(backoff(40, base, max) <= Duration::from_secs(720));
        }
    }

    #[test]
    fn long_texts_split_with_reply_first_and_buttons_last() {
        let item = Outbound::Send(OutboundMessage {
            chat: "c".into(),
            thread: None,
            text: "字".repeat(25),
            reply_to: Some("m1".into()),
            mentions: vec![],
            buttons: vec![Button {
                id: "/claim 1".into(),
                label: "接单".into(),
            }],
        });
        let parts = parts_of(&item, 10);
        assert_eq!(parts.len(), 3);
        let msgs: Vec<&OutboundMessage> = parts
            .iter()
            .map(|p| match p {
                Outbound::Send(m) => m,
                _ => panic!("send"),
            })
            .collect();
        assert_eq!(msgs[0].reply_to.as_deref(), Some("m1"));
        assert!(msgs[1].reply_to.is_none() && msgs[1].buttons.is_empty());
        assert_eq!(msgs[2].buttons.len(), 1);
        assert_eq!(
            msgs.iter().map(|m| m.text.clone()).collect::<String>(),
            "字".repeat(25)
        );
    }
}
