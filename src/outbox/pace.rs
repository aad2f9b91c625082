//! Pacing: every send waits until it really fits its chat's and its account's declared limits.
//!
//! The schedule of sends made is either this process's ([`RateLimiter`], on SQLite, whose
//! database one process owns) or the deployment's (the database's send log, on PostgreSQL,
//! which several replicas share). Either way a slot is checked and recorded in one step, and a
//! send that had to wait asks again after its wait: sends that waited together do not go
//! together.
//!
//! Within a process, the sends of one account queue at a gate by priority (replies, then
//! reminders, then digests; older first): only the send at the front asks for a slot, so a
//! card that comes while a digest drains takes the account's next free slot, and a full
//! account costs one question per slot, not one per waiting send.
//!
//! A slot is only asked for by a send that can go at once: the front of the queue first takes
//! one of the process's sending permits (`outbox.concurrency`), then the slot, and keeps the
//! permit until its request is answered. Were the slot taken first, a send that then waited
//! for a permit (the earlier requests slow to answer) would go late, in the next window,
//! together with the sends that window's slots allow: more than the limit within a window on
//! the wire, although the schedule never counted more.
//!
//! A send is recorded when its slot is taken and recorded again, later, when its request has
//! been answered ([`Pacer::sent`]): the next slot of its chat and account is counted from when
//! it had surely reached the platform, not from when it was allowed to go. Otherwise a send
//! held up on its way (a loaded machine, a slow connection) and the next one to its chat, on
//! time, could reach the platform less than the chat's window apart.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::time::Instant;

use crate::domain::message::Rate;
use crate::store::outbox::Priority;
use crate::store::send_log::{SendKey, Slot};
use crate::store::{Store, StoreError};

/// Sliding-window send logs, one per chat and per account, in this process.
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
                let max = rate.max.max(1) as usize;
                if in_window.len() < max {
                    return None;
                }
                // The oldest send that still counts must leave the window first.
                let oldest = in_window[in_window.len() - max];
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

    /// Moves the send recorded for `key` at `slot` to `now` (never earlier), keeping the log
    /// in order.
    fn restamp(&mut self, key: &str, slot: Instant, now: Instant) {
        let Some(log) = self.logs.get_mut(key) else {
            return;
        };
        if let Some(i) = log.iter().rposition(|t| *t == slot) {
            log.remove(i);
            let at = slot.max(now);
            let j = log.partition_point(|t| *t <= at);
            log.insert(j, at);
        }
    }

    /// Checks every key and records the send against all of them only if all have room.
    fn take(&mut self, keys: &[SendKey<'_>], now: Instant) -> Answer {
        let waits: Vec<Option<Duration>> = keys
            .iter()
            .map(|k| self.wait(k.key, k.rates, now))
            .collect();
        if waits.iter().any(Option::is_some) {
            return Answer::Wait(
                waits
                    .into_iter()
                    .map(|w| w.map_or(0, |d| d.as_millis().max(1) as i64))
                    .collect(),
            );
        }
        for k in keys {
            let keep = k.rates.iter().map(|r| r.per).max().unwrap_or_default();
            self.record(k.key, now, keep);
        }
        Answer::Taken(Taken::Local(now))
    }

    /// Drops keys whose sends have all left their windows.
    fn forget_idle(&mut self, now: Instant, keep: Duration) {
        self.logs
            .retain(|_, log| log.back().is_some_and(|t| now.duration_since(*t) <= keep));
    }
}

/// When a slot was taken, in the schedule's clock.
#[derive(Debug, Clone, Copy)]
enum Taken {
    Local(Instant),
    /// Milliseconds, the database's clock ([`Slot::Taken`]).
    Shared(i64),
}

/// The schedule's answer.
enum Answer {
    Taken(Taken),
    /// Milliseconds until each key has room (see [`Slot::Wait`]).
    Wait(Vec<i64>),
}

/// Where the schedule lives.
enum Schedule {
    Local(Mutex<RateLimiter>),
    Shared(Store),
}

/// What a send is: its keys and limits, and its place in the queue.
pub struct SendTicket<'a> {
    pub chat: Option<SendKey<'a>>,
    pub account: SendKey<'a>,
    pub priority: Priority,
    pub id: i64,
}

/// Why a send did not get a slot now.
pub enum NoSlot {
    /// It would wait this long: better put back and tried later.
    Later(Duration),
    Store(StoreError),
}

pub struct Pacer {
    schedule: Schedule,
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    last_prune: Mutex<Option<Instant>>,
    /// Requests this process may have under way at once, all accounts together.
    sending: Arc<Semaphore>,
}

/// The right to send now: a slot in the schedule and one of the process's sending permits,
/// held until the request is answered and then given to [`Pacer::sent`].
pub struct Go {
    _permit: Option<OwnedSemaphorePermit>,
    /// The slot's keys and when it was taken (none: a permit without a slot).
    slot: Option<(Vec<String>, Taken)>,
}

impl Pacer {
    /// A schedule in this process, at most `concurrency` requests under way at once.
    pub fn local(concurrency: usize) -> Pacer {
        Pacer::with(
            Schedule::Local(Mutex::new(RateLimiter::default())),
            concurrency,
        )
    }

    /// The deployment's schedule in `store`, at most `concurrency` requests of this process
    /// under way at once.
    pub fn shared(store: Store, concurrency: usize) -> Pacer {
        Pacer::with(Schedule::Shared(store), concurrency)
    }

    fn with(schedule: Schedule, concurrency: usize) -> Pacer {
        Pacer {
            schedule,
            gates: Mutex::new(HashMap::new()),
            last_prune: Mutex::new(None),
            sending: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// A sending permit without a slot: for the rest of a split message when the schedule
    /// cannot be asked (better over the limit than half a message).
    pub async fn permit(&self) -> Go {
        Go {
            _permit: self.sending.clone().acquire_owned().await.ok(),
            slot: None,
        }
    }

    fn gate(&self, key: &str) -> Arc<Gate> {
        self.gates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.to_string())
            .or_default()
            .clone()
    }

    /// Waits for a slot for `send` and takes it, with a sending permit: the send must go at
    /// once and keep the returned [`Go`] until its request is answered. A wait longer than
    /// `patience` is answered with [`NoSlot::Later`] instead (none: wait as long as it takes).
    pub async fn slot(
        &self,
        send: &SendTicket<'_>,
        patience: Option<Duration>,
    ) -> Result<Go, NoSlot> {
        let gate = self.gate(send.account.key);
        let rank = (Reverse(send.priority), Reverse(send.id));
        let spread;
        let mut keys = Vec::with_capacity(2);
        if send.priority == Priority::Reply {
            keys.push(send.account);
        } else {
            spread = spread_out(send.account.rates);
            keys.push(SendKey {
                key: send.account.key,
                rates: &spread,
            });
        }
        if let Some(chat) = send.chat {
            keys.push(chat);
        }
        let mut turn = gate.enter(rank).await;
        loop {
            // The permit first, then the slot: a slot is only taken by a send that goes now.
            let mut go = self.permit().await;
            let waits = match self.take(&keys).await.map_err(NoSlot::Store)? {
                Answer::Taken(at) => {
                    go.slot = Some((keys.iter().map(|k| k.key.to_string()).collect(), at));
                    return Ok(go);
                }
                Answer::Wait(waits) => waits,
            };
            // Nobody sleeps on a permit.
            drop(go);
            let ms =
                |i: usize| Duration::from_millis(waits.get(i).copied().unwrap_or(0).max(0) as u64);
            let (account_wait, chat_wait) = (ms(0), ms(1));
            let wait = account_wait.max(chat_wait);
            if patience.is_some_and(|p| wait > p) {
                return Err(NoSlot::Later(wait));
            }
            if chat_wait > account_wait {
                // Only this chat is full: the account's other sends go meanwhile.
                drop(turn);
                tokio::time::sleep(wait).await;
                turn = gate.enter(rank).await;
            } else {
                // The account is full: the front of its queue waits for the next slot, and
                // gives way if a more urgent send came meanwhile.
                tokio::time::sleep(wait).await;
                if gate.outranked(rank) {
                    drop(turn);
                    turn = gate.enter(rank).await;
                }
            }
        }
    }

    /// The send made with `go` has been answered (whether it worked or not: a request that
    /// failed may have reached the platform, a timeout for one): its slot's keys count it from
    /// now, not from when the slot was taken, and the permit is given back.
    pub async fn sent(&self, go: Go) {
        let Some((keys, at)) = &go.slot else {
            return;
        };
        match (&self.schedule, at) {
            (Schedule::Local(limiter), Taken::Local(slot)) => {
                let now = Instant::now();
                let mut limiter = limiter.lock().unwrap_or_else(PoisonError::into_inner);
                for key in keys {
                    limiter.restamp(key, *slot, now);
                }
            }
            (Schedule::Shared(store), Taken::Shared(slot)) => {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                if let Err(e) = store.restamp_send(&keys, *slot).await {
                    // The send stays counted from its slot's time.
                    tracing::debug!(error = %e, "send not stamped again");
                }
            }
            _ => {}
        }
    }

    async fn take(&self, keys: &[SendKey<'_>]) -> Result<Answer, StoreError> {
        match &self.schedule {
            Schedule::Local(limiter) => {
                let now = Instant::now();
                let mut limiter = limiter.lock().unwrap_or_else(PoisonError::into_inner);
                let answer = limiter.take(keys, now);
                let mut last = self
                    .last_prune
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if last.is_none_or(|t| now.duration_since(t) > PRUNE_EVERY) {
                    limiter.forget_idle(now, KEEP);
                    *last = Some(now);
                }
                Ok(answer)
            }
            Schedule::Shared(store) => {
                let answer = match store.take_send_slot(keys).await? {
                    Slot::Taken(at) => Answer::Taken(Taken::Shared(at)),
                    Slot::Wait(waits) => Answer::Wait(waits),
                };
                let due = {
                    let mut last = self
                        .last_prune
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    let now = Instant::now();
                    let due = last.is_none_or(|t| now.duration_since(t) > PRUNE_EVERY);
                    if due {
                        *last = Some(now);
                    }
                    due
                };
                if due {
                    let before = crate::store::now_millis() - KEEP.as_millis() as i64;
                    if let Err(e) = store.prune_send_log(before).await {
                        tracing::debug!(error = %e, "send log not pruned");
                    }
                }
                Ok(answer)
            }
        }
    }
}

/// An account's limits as a background send (reminder, digest) must keep them: besides each
/// window, at most [`SPREAD`] sends per that many shares of the window (30 a second: 4 in
/// 133 ms). A digest then drains at the account's full rate without taking a whole window in
/// one burst, so a reply that comes meanwhile finds a slot within a few shares instead of
/// waiting for the window to pass; the few sends of slack let the digest catch up when a
/// send was late. Replies keep the plain windows: a burst of cards goes at once.
fn spread_out(rates: &[Rate]) -> Vec<Rate> {
    let mut out = rates.to_vec();
    out.extend(rates.iter().filter(|r| r.max > SPREAD).map(|r| Rate {
        max: SPREAD,
        per: r.per * SPREAD / r.max,
    }));
    out
}

/// Background sends allowed together within their share of an account's window.
const SPREAD: u32 = 4;

/// How often old sends are forgotten, and how old they must be (longer than any platform's
/// longest window).
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(600);

type Rank = (Reverse<Priority>, Reverse<i64>);

/// One account's queue: one holder at a time, the rest by rank.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    busy: bool,
    waiting: BinaryHeap<Waiter>,
}

struct Waiter {
    rank: Rank,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}
impl Eq for Waiter {}
impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiter {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// The turn at a gate; the next in line gets it when this drops.
struct Turn {
    gate: Arc<Gate>,
}

impl Gate {
    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn enter(self: &Arc<Self>, rank: Rank) -> Turn {
        let wait = {
            let mut state = self.state();
            if state.busy {
                let (wake, wait) = oneshot::channel();
                state.waiting.push(Waiter { rank, wake });
                Some(wait)
            } else {
                state.busy = true;
                None
            }
        };
        if let Some(wait) = wait {
            // The holder hands the turn over by waking us; a dropped gate cannot happen while
            // a turn is held.
            let _ = wait.await;
        }
        Turn { gate: self.clone() }
    }

    /// Someone more urgent than `rank` is waiting.
    fn outranked(&self, rank: Rank) -> bool {
        self.state().waiting.peek().is_some_and(|w| w.rank > rank)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        // Hand over to the best waiter still waiting (one whose send was abandoned is skipped).
        while let Some(next) = state.waiting.pop() {
            if next.wake.send(()).is_ok() {
                return;
            }
        }
        state.busy = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limit the limiter tests send under: two sends a second.
    fn two_a_second() -> [Rate; 1] {
        [Rate {
            max: 2,
            per: Duration::from_secs(1),
        }]
    }

    #[test]
    fn limiter_waits_for_the_window() {
        let mut l = RateLimiter::default();
        let rates = two_a_second();
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

    /// A send stamped again counts from its new time, and the log stays in order for the
    /// sends recorded after it.
    #[test]
    fn a_restamped_send_counts_from_its_new_time() {
        let mut l = RateLimiter::default();
        let rates = two_a_second();
        let keep = Duration::from_secs(60);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        l.record("c", t0, keep);
        l.record("c", t0 + ms(100), keep);
        // The first send's request was answered at 400 ms.
        l.restamp("c", t0, t0 + ms(400));
        // Counted from 0, the window would have room at 1,000 ms; the sends now count from
        // 100 and 400.
        assert_eq!(l.wait("c", &rates, t0 + ms(900)), Some(ms(200)));
        assert_eq!(l.wait("c", &rates, t0 + ms(1_101)), None);
        // Never earlier; an unknown slot moves nothing.
        l.restamp("c", t0 + ms(100), t0 + ms(50));
        l.restamp("c", t0 + ms(50), t0 + ms(5_000));
        assert_eq!(l.wait("c", &rates, t0 + ms(900)), Some(ms(200)));
    }

    /// Many sends to one account at once: none goes before it fits, however they wake. (Short
    /// windows, so that the test takes a second; the count allows 50 ms for the scheduling of
    /// the tasks that note the time.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sends_never_exceed_the_account_limit() {
        let pacer = Arc::new(Pacer::local(64));
        let per = Duration::from_millis(300);
        let window = per - Duration::from_millis(50);
        let account = [Rate { max: 5, per }];
        let chat = [Rate { max: 1, per }];
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..40i64 {
            let (pacer, sent) = (pacer.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                let chat_key = format!("c{}", i % 8);
                let send = SendTicket {
                    chat: Some(SendKey {
                        key: &chat_key,
                        rates: &chat,
                    }),
                    account: SendKey {
                        key: "bot",
                        rates: &account,
                    },
                    priority: Priority::Digest,
                    id: i,
                };
                if pacer.slot(&send, None).await.is_ok() {
                    sent.lock().expect("log").push((Instant::now(), i % 8));
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let sent = sent.lock().expect("log").clone();
        assert_eq!(sent.len(), 40);
        for (i, (t, chat)) in sent.iter().enumerate() {
            let account_in_window = sent[..=i]
                .iter()
                .filter(|(u, _)| t.duration_since(*u) < window)
                .count();
            assert!(account_in_window <= 5, "{account_in_window} in a window");
            let chat_in_window = sent[..=i]
                .iter()
                .filter(|(u, c)| c == chat && t.duration_since(*u) < window)
                .count();
            assert!(
                chat_in_window <= 1,
                "chat {chat}: {chat_in_window} in a window"
            );
        }
    }

    /// While every sending permit is busy (earlier requests slow to answer), no slot is taken:
    /// the sends go when they can and keep the account's windows on the wire. Taken before
    /// the permit, four slots of the first window would go when the permits came back, 300 ms
    /// late, together with the four of the next window.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_slot_is_taken_while_every_permit_is_busy() {
        let pacer = Arc::new(Pacer::local(2));
        let busy = [pacer.permit().await, pacer.permit().await];
        let per = Duration::from_millis(400);
        let account = [Rate { max: 4, per }];
        let sent = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let tasks: Vec<_> = (0..12i64)
            .map(|id| {
                let (pacer, sent) = (pacer.clone(), sent.clone());
                tokio::spawn(async move {
                    let send = SendTicket {
                        chat: None,
                        account: SendKey {
                            key: "bot",
                            rates: &account,
                        },
                        priority: Priority::Reply,
                        id,
                    };
                    if let Ok(go) = pacer.slot(&send, None).await {
                        sent.lock().expect("log").push(Instant::now());
                        // The request under way.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        drop(go);
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(busy);
        for t in tasks {
            t.await.expect("task");
        }
        let sent = sent.lock().expect("log").clone();
        assert_eq!(sent.len(), 12);
        assert!(
            sent.iter()
                .all(|t| t.duration_since(started) >= Duration::from_millis(300)),
            "a send went while every permit was busy"
        );
        // 50 ms of the window left to the scheduling of a loaded machine.
        let window = per - Duration::from_millis(50);
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[..=i]
                .iter()
                .filter(|u| t.duration_since(**u) < window)
                .count();
            assert!(in_window <= 4, "{in_window} sends within {window:?}");
        }
    }

    /// A draining digest is spread over the account's window instead of taking it in one
    /// burst, so a reply that comes meanwhile goes within one share of it, not after the rest
    /// of the window. (40 in 2 s here: shares of 50 ms, 4 sends per 200 ms; the bounds leave
    /// the scheduling of a loaded machine 200 ms or more.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn digests_are_spread_so_a_reply_finds_a_slot_at_once() {
        let pacer = Arc::new(Pacer::local(64));
        let account = [Rate {
            max: 40,
            per: Duration::from_secs(2),
        }];
        let sent = Arc::new(Mutex::new(Vec::new()));
        let go = |id: i64, priority: Priority| {
            let (pacer, sent) = (pacer.clone(), sent.clone());
            tokio::spawn(async move {
                let send = SendTicket {
                    chat: None,
                    account: SendKey {
                        key: "bot",
                        rates: &account,
                    },
                    priority,
                    id,
                };
                if pacer.slot(&send, None).await.is_ok() {
                    sent.lock().expect("log").push((id, Instant::now()));
                }
            })
        };
        let mut tasks: Vec<_> = (1..=60).map(|id| go(id, Priority::Digest)).collect();
        tokio::time::sleep(Duration::from_millis(450)).await;
        let early = sent.lock().expect("log").len();
        // Spread: 12 by now (4 at 0, 200 and 400 ms); in one burst it would be all 40.
        assert!(early <= 16, "{early} digest sends in the first 450 ms");
        let asked = Instant::now();
        tasks.push(go(1_000, Priority::Reply));
        for t in tasks {
            t.await.expect("task");
        }
        let sent = sent.lock().expect("log").clone();
        let reply = sent
            .iter()
            .find(|(id, _)| *id == 1_000)
            .map(|(_, at)| *at)
            .expect("the reply went");
        // Within a spread (200 ms); behind a full window it would wait about 1,550 ms.
        assert!(
            reply.duration_since(asked) <= Duration::from_millis(500),
            "the reply waited {:?}",
            reply.duration_since(asked)
        );
        for (i, (_, at)) in sent.iter().enumerate() {
            let in_window = sent[..=i]
                .iter()
                .filter(|(_, u)| at.duration_since(*u) < Duration::from_millis(1_950))
                .count();
            assert!(in_window <= 40, "{in_window} sends in one window");
        }
    }

    /// A reply that comes while digests wait for the account takes the next slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reply_overtakes_waiting_digests() {
        let pacer = Arc::new(Pacer::local(64));
        let account = [Rate {
            max: 2,
            per: Duration::from_millis(200),
        }];
        let order = Arc::new(Mutex::new(Vec::new()));
        let go = |id: i64, priority: Priority| {
            let (pacer, order) = (pacer.clone(), order.clone());
            tokio::spawn(async move {
                let send = SendTicket {
                    chat: None,
                    account: SendKey {
                        key: "bot",
                        rates: &account,
                    },
                    priority,
                    id,
                };
                if pacer.slot(&send, None).await.is_ok() {
                    order.lock().expect("order").push(id);
                }
            })
        };
        let mut tasks: Vec<_> = (1..=10).map(|id| go(id, Priority::Digest)).collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        tasks.push(go(100, Priority::Reply));
        for t in tasks {
            t.await.expect("task");
        }
        let order = order.lock().expect("order").clone();
        let at = order
            .iter()
            .position(|id| *id == 100)
            .expect("the reply went");
        assert!(at <= 5, "the reply went {at}th: {order:?}");
    }
}
