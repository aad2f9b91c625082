//! The delivery worker. It leases due outbox rows, sends them through their platform's adapter
//! outside any transaction, and records the result: sent, retry later (exponential backoff with
//! jitter, or the platform's Retry-After), or parked after a permanent failure or too many
//! attempts. Rows of one chat go out in order within their priority; a row waiting for a retry
//! holds back the rows behind it.
//!
//! Fairness: each platform account (a lane) is leased on its own, up to what it may send in
//! about a second, replies before reminders before digests. A backlog in one account (a
//! county's daily digest, a bridge that is down) therefore never holds up another account's
//! rows, and a new card in a busy account takes its next free slot. Rows of a platform that is
//! not configured are set aside in one statement as soon as they are seen.
//!
//! Rate limits are the adapter's declared ones, per chat and per account, and hold for the
//! whole deployment ([`pace`]).

pub mod pace;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::clock::Clock;
use crate::config::OutboxSettings;
use crate::domain::message::{Outbound, Rate};
use crate::platform::{Adapter, Delivered, SendError, split_text};
use crate::store::outbox::{Delivery, Lane, Lessee, OutboxRow};
use crate::store::send_log::SendKey;
use crate::store::{Backend, Store, StoreError};
use pace::{NoSlot, Pacer, SendTicket};

pub use pace::RateLimiter;

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
    pacer: Pacer,
    /// Network sends under way at once, across chats.
    wake: Arc<Notify>,
    clock: Arc<Clock>,
    ledger: Ledger,
    /// Rows leased and not yet done, by chat and by lane.
    flight: std::sync::Mutex<Flight>,
    /// A chat's rows are done: the lane may lease more.
    landed: Notify,
    /// Serialises lease passes (the loop's and a drain's).
    passing: Mutex<()>,
    /// Lanes are leased starting from a different one each pass.
    rotation: std::sync::atomic::AtomicUsize,
}

/// A chat's rows in flight go out one after the other, by priority then age.
type ChatKey = (String, String, String);

#[derive(Default)]
struct Flight {
    chats: HashMap<ChatKey, VecDeque<OutboxRow>>,
    lanes: HashMap<Lane, usize>,
}

/// Records what became of delivered rows in groups. Deliveries to many chats finish at about
/// the same time; whoever finds the ledger free records every outcome queued so far in one
/// transaction, and the others find theirs recorded. Under load that is one commit for many
/// rows instead of one each, which on SQLite would queue the intake behind a train of fsyncs.
#[derive(Default)]
struct Ledger {
    queue: std::sync::Mutex<Vec<(Delivery, oneshot::Sender<Recorded>)>>,
    turn: Mutex<()>,
    /// Rows recorded as sent by this process.
    sent: std::sync::atomic::AtomicUsize,
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

/// A send that would wait longer than this for its slot is put back for a later pass instead
/// of holding its lane's lease.
const PATIENCE: Duration = Duration::from_millis(1_500);

impl Worker {
    pub fn new(
        store: Store,
        adapters: HashMap<String, Arc<dyn Adapter>>,
        settings: OutboxSettings,
        wake: Arc<Notify>,
        clock: Arc<Clock>,
    ) -> Worker {
        // SQLite belongs to one process: its schedule can live in memory. PostgreSQL may be
        // shared by replicas: the schedule is the database's.
        let pacer = match store.backend() {
            Backend::Sqlite => Pacer::local(settings.concurrency),
            Backend::Postgres => Pacer::shared(store.clone(), settings.concurrency),
        };
        let incarnation = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        crate::node::ours(&incarnation);
        Worker {
            incarnation,
            beat: std::sync::Mutex::new(None),
            adapters,
            settings,
            pacer,
            wake,
            clock,
            ledger: Ledger::default(),
            flight: std::sync::Mutex::new(Flight::default()),
            landed: Notify::new(),
            passing: Mutex::new(()),
            rotation: std::sync::atomic::AtomicUsize::new(0),
            store,
        }
    }

    /// This process's lease identity, as recorded in the database.
    pub fn incarnation(&self) -> &str {
        &self.incarnation
    }

    /// Registers or re-registers this worker and records the beat. `false` when the
    /// database could not be told.
    async fn beat(&self) -> bool {
        // Liveness is judged in real time, not by the clock that tickets, deadlines and
        // retries follow (tests move it; it may be set): were heartbeats written in that
        // clock, a jump of it would make every live worker look dead to the others for a
        // heartbeat, and they would take and send its rows a second time.
        let now = crate::store::now_millis();
        let registered = self.last_beat().is_some();
        let result = if registered {
            self.store.heartbeat(&self.incarnation, now).await
        } else {
            let node = crate::node::this_process();
            let registered = self
                .store
                .register_incarnation(&self.incarnation, &node, now)
                .await;
            // A SQLite database belongs to one process: what a killed predecessor leased is
            // free at once, not after its heartbeat goes stale.
            if registered.is_ok() && self.store.backend() == Backend::Sqlite {
                self.store
                    .end_other_incarnations(&self.incarnation, now)
                    .await
            } else {
                registered
            }
        };
        if result.is_ok() && self.store.backend() == Backend::Postgres {
            self.end_dead_neighbours(now).await;
        }
        match result {
            Ok(()) => {
                *self.beat.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(std::time::Instant::now());
                true
            }
            Err(e) => {
                warn!(error = %e, "outbox heartbeat failed");
                false
            }
        }
    }

    /// PostgreSQL: ends the incarnations of processes on this machine that are no longer
    /// running (a replica killed here, this process's own previous life), so that what they
    /// had leased is free at once instead of after [`DEAD_AFTER`] of silence. Incarnations on
    /// other machines are left to their heartbeats.
    async fn end_dead_neighbours(&self, now: i64) {
        let others = match self.store.other_incarnations(&self.incarnation).await {
            Ok(o) => o,
            Err(e) => {
                debug!(error = %e, "could not list other outbox incarnations");
                return;
            }
        };
        let me = crate::node::this_process();
        let dead: Vec<String> = others
            .into_iter()
            .filter(|(id, other)| {
                !crate::node::is_ours(id) && crate::node::gone(other, &me, crate::node::running)
            })
            .map(|(id, _)| id)
            .collect();
        if dead.is_empty() {
            return;
        }
        match self.store.end_incarnations(&dead, now).await {
            Ok(()) => info!(
                incarnations = dead.len(),
                "outbox leases of processes no longer running on this machine are free"
            ),
            Err(e) => debug!(error = %e, "could not end dead incarnations"),
        }
    }

    fn last_beat(&self) -> Option<std::time::Instant> {
        *self.beat.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this worker may lease and send now: its heartbeat is fresh (beating now if not).
    async fn alive(&self) -> bool {
        match self.last_beat() {
            Some(t) if t.elapsed() < SEND_ONLY_WITHIN => true,
            _ => self.beat().await,
        }
    }

    fn flight(&self) -> std::sync::MutexGuard<'_, Flight> {
        self.flight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rows leased and not yet done.
    fn in_flight(&self) -> usize {
        self.flight().lanes.values().sum()
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
            // Registered before the pass, so that a row landing during it is not missed.
            let landed = self.landed.notified();
            let leased = match self.lease_pass().await {
                Ok(n) => n,
                Err(e) => {
                    warn!(error = %e, "outbox pass failed; will retry");
                    0
                }
            };
            if shutdown.is_cancelled() {
                break;
            }
            if leased > 0 {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = landed => {}
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
            .end_incarnation(&self.incarnation, crate::store::now_millis())
            .await
        {
            warn!(error = %e, "could not record the outbox's stop; its leases free up in seconds");
        }
    }

    /// Leases what is due, hands it to chat tasks and waits until they are all done. Returns
    /// how many rows were sent.
    pub async fn deliver_once(self: &Arc<Self>) -> Result<usize, StoreError> {
        let before = self.sent_count();
        self.lease_pass().await?;
        loop {
            let landed = self.landed.notified();
            if self.in_flight() == 0 {
                break;
            }
            landed.await;
        }
        Ok(self.sent_count() - before)
    }

    fn sent_count(&self) -> usize {
        self.ledger.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One pass over the lanes with due rows: each leases up to what it may send in about a
    /// second, minus what it has in flight, and the rows go to their chats' tasks. Returns
    /// how many rows were leased.
    async fn lease_pass(self: &Arc<Self>) -> Result<usize, StoreError> {
        let _pass = self.passing.lock().await;
        if !self.alive().await {
            return Ok(0);
        }
        let mut lanes = self.store.pending_lanes().await?;
        if !lanes.is_empty() {
            let turn = self
                .rotation
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let k = turn % lanes.len();
            lanes.rotate_left(k);
        }
        let now = self.clock.now();
        let lessee = Lessee {
            incarnation: self.incarnation.clone(),
            // Heartbeats are in real time (see `beat`).
            alive_since: crate::store::now_millis() - DEAD_AFTER.as_millis() as i64,
        };
        let lease_until = now + self.settings.lease.as_millis();
        let mut leased = 0;
        for lane in lanes {
            let Some(adapter) = self.adapters.get(&lane.platform) else {
                let reason = format!("no adapter for platform {}", lane.platform);
                let n = self.store.set_aside(&lane.platform, &reason).await?;
                if n > 0 {
                    warn!(platform = %lane.platform, rows = n, "platform not configured; its queued messages are set aside (parked)");
                }
                continue;
            };
            let budget = self.lane_budget(&adapter.capabilities().limits.per_account);
            let busy = self.flight().lanes.get(&lane).copied().unwrap_or(0);
            if busy >= budget {
                continue;
            }
            let rows = self
                .store
                .lease_lane(now, lease_until, &lane, (budget - busy) as i64, &lessee)
                .await?;
            leased += rows.len();
            for row in rows {
                self.take_off(row);
            }
        }
        Ok(leased)
    }

    /// Rows a lane may have in flight: what its account may send in about a second (at least
    /// one), or a fixed number when it declares no account limit.
    fn lane_budget(&self, per_account: &[Rate]) -> usize {
        let unbounded = self.settings.concurrency.max(1) * 8;
        per_account
            .iter()
            .map(|r| {
                let per_second = f64::from(r.max) / r.per.as_secs_f64().max(0.001);
                (per_second.ceil() as usize).max(1)
            })
            .min()
            .unwrap_or(unbounded)
            .min(unbounded)
    }

    /// Puts a leased row in its chat's queue, starting the chat's task if it has none.
    fn take_off(self: &Arc<Self>, row: OutboxRow) {
        let lane = Lane {
            platform: row.platform.clone(),
            account: row.account.clone(),
        };
        let key: ChatKey = (
            row.platform.clone(),
            row.account.clone(),
            row.chat.clone().unwrap_or_else(|| format!("#{}", row.id)),
        );
        let start = {
            let mut flight = self.flight();
            *flight.lanes.entry(lane).or_default() += 1;
            match flight.chats.get_mut(&key) {
                Some(queue) => {
                    queue.push_back(row);
                    queue.make_contiguous().sort_by_key(|r| (r.priority, r.id));
                    false
                }
                None => {
                    flight.chats.insert(key.clone(), VecDeque::from([row]));
                    true
                }
            }
        };
        if start {
            let me = self.clone();
            tokio::spawn(async move { me.run_chat(key).await });
        }
    }

    /// Delivers a chat's rows in flight, one at a time.
    async fn run_chat(self: Arc<Self>, key: ChatKey) {
        loop {
            let row = {
                let mut flight = self.flight();
                let next = flight.chats.get_mut(&key).and_then(VecDeque::pop_front);
                if next.is_none() {
                    flight.chats.remove(&key);
                }
                next
            };
            let Some(row) = row else { break };
            let span = info_span!("deliver", outbox = row.id, platform = %row.platform, attempt = row.attempts + 1);
            if let Err(e) = self.deliver(&row).instrument(span).await {
                // The row stays leased by this process and is taken again once its lease
                // runs out.
                warn!(error = %e, outbox = row.id, "delivery not recorded; it will be retried");
            }
            let lane = Lane {
                platform: row.platform,
                account: row.account,
            };
            {
                let mut flight = self.flight();
                if let Some(n) = flight.lanes.get_mut(&lane) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        flight.lanes.remove(&lane);
                    }
                }
            }
            self.landed.notify_waiters();
        }
        self.landed.notify_waiters();
    }

    async fn record(&self, delivery: Delivery) -> Result<(), StoreError> {
        let sent = matches!(delivery, Delivery::Sent { .. });
        let together = self.ledger.record(&self.store, delivery).await?;
        if sent {
            self.ledger
                .sent
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
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
        let mut delivered = Delivered::default();
        let mut failure = None;
        for (i, part) in parts.iter().enumerate() {
            let ticket = SendTicket {
                chat: row.chat.as_ref().map(|_| SendKey {
                    key: &chat_key,
                    rates: &caps.limits.per_chat,
                }),
                account: SendKey {
                    key: &account_key,
                    rates: &caps.limits.per_account,
                },
                priority: row.priority,
                id: row.id,
            };
            // A long wait puts the row back for later, unless part of it has gone already:
            // then the rest waits, so that nothing is sent twice.
            let patience = (i == 0).then_some(PATIENCE);
            // Held until the request is answered (see `pace`: the slot is taken with it).
            let go = match self.pacer.slot(&ticket, patience).await {
                Ok(go) => go,
                Err(NoSlot::Later(wait)) => {
                    let next =
                        self.clock.now() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                    self.record(Delivery::Postponed {
                        id: row.id,
                        next_at: next,
                    })
                    .await?;
                    return Ok(Result_::Postponed);
                }
                Err(NoSlot::Store(e)) => {
                    if i == 0 {
                        return Err(e);
                    }
                    // Part of the message is out: better over the limit than half a message.
                    warn!(error = %e, "send schedule unavailable; sending the rest of a split message");
                    self.pacer.permit().await
                }
            };
            let sent = adapter.send(&row.account, part).await;
            // Counted from now on, not from when the slot was taken (see `pace`).
            self.pacer.sent(go).await;
            match sent {
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
