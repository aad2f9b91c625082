//! Durable intake: adapters hand events to [`Intake::submit`], which returns only once they are
//! committed to the inbox. Only then may an adapter acknowledge them to its platform (advance
//! the getUpdates offset, answer the webhook with 200).
//!
//! One task owns the writes. It takes whatever submissions are queued (up to
//! `intake.batch_max` events, no fixed wait) and commits them in one transaction, so a burst
//! costs one fsync per batch instead of one per message.
//!
//! Under load a second task cuts and prepares the next batch while the writer commits the
//! current one, on the other core: [`Apply::prepare`] (the engine reads the batch's messages
//! and brings their groups and senders into the shared roster memo), outside any write
//! transaction. That is only ever a head start:
//! the writer parses and looks up whatever was not prepared, so a failed or stale preparation
//! costs time, never correctness. At most one batch waits prepared; submissions beyond it stay
//! queued, in order.
//!
//! When no older event is waiting, the same transaction also applies the new events through
//! [`Apply`] (the engine: tickets, history, outbox rows) and stores them already processed: the
//! inbox row
//! is still written before anything it causes, and commits together with it, so the platform
//! is acknowledged only for events that are stored, and a reply exists only for a stored
//! event. That halves the commits (and fsyncs) per message. When events are waiting (the
//! processor is behind, or another replica holds some), or applying fails, the batch is only
//! stored and the intake's processor applies it in arrival order, through the same [`Apply`].
//!
//! So every inbound event takes one route, whichever adapter it came from: [`Intake::submit`]
//! → the inbox → [`Apply::apply`] → outbox rows, in the intake's transaction or, behind a
//! backlog, in the processor's. The intake is given what applies events when it starts
//! ([`start`]); adapters may hold its handle ([`channel`]) before that, their submissions
//! queue meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::domain::message::InboundEvent;
use crate::store::inbox::{InboxRow, event_payload};
use crate::store::{SLOW_WRITE, Store, StoreError, Tx, now_millis};

/// An adapter position to store in the same transaction as the events it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub value: String,
}

/// What happened to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    /// Events stored now.
    pub new: u64,
    /// Events that were already in the inbox.
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// Nothing was stored: the platform must not be told the events were received.
    #[error("events not stored, database unavailable: {0}")]
    Unavailable(String),
    #[error("gridline is shutting down; events not stored")]
    ShuttingDown,
}

struct Submission {
    events: Vec<InboundEvent>,
    /// How many events were submitted (`events` is emptied into the batch).
    size: usize,
    cursor: Option<Cursor>,
    done: oneshot::Sender<Result<Stored, IntakeError>>,
}

/// The adapters' handle. Cheap to clone.
#[derive(Clone)]
pub struct Intake {
    tx: mpsc::Sender<Submission>,
    /// Texts longer than this are cut before they are stored (`intake.max_text_chars`).
    max_text_chars: usize,
}

impl Intake {
    /// This handle, cutting texts to `max_text_chars` characters (plus a mark) before they are
    /// stored. A handle from [`channel`] keeps texts whole until told.
    pub fn capping(mut self, max_text_chars: usize) -> Intake {
        self.max_text_chars = max_text_chars;
        self
    }

    /// Stores `events` (and `cursor`) durably. When this returns `Ok`, they are committed.
    /// Texts are cut to the intake's limit first ([`InboundEvent::cap`]): what is stored, and
    /// so what is parsed, is bounded whatever the platform sent.
    pub async fn submit(
        &self,
        mut events: Vec<InboundEvent>,
        cursor: Option<Cursor>,
    ) -> Result<Stored, IntakeError> {
        for ev in &mut events {
            if let Some(cut) = ev.cap(self.max_text_chars) {
                crate::limits::CUT_TEXTS.note(format_args!(
                    "{} {}: {} characters",
                    ev.platform, cut.field, cut.chars
                ));
            }
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Submission {
                size: events.len(),
                events,
                cursor,
                done,
            })
            .await
            .map_err(|_| IntakeError::ShuttingDown)?;
        wait.await.map_err(|_| IntakeError::ShuttingDown)?
    }
}

/// What applies stored events: the engine. The intake calls it in its own transaction for
/// fresh events and in the processor's for a backlog; it knows nothing else of the engine.
#[async_trait]
pub trait Apply: Send + Sync + 'static {
    /// What is worked out of a batch ahead of its transaction (parsing, roster look-ups).
    type Prepared: Default + Send + Sync + 'static;

    /// Works a batch out ahead of its transaction, on another core while the current batch
    /// commits. Only a head start: [`Apply::apply`] works out whatever is missing.
    async fn prepare(&self, store: &Store, events: &[InboundEvent]) -> Self::Prepared;

    /// Applies inbox rows inside `tx`: every ticket change, history line and outbox row they
    /// cause. Marking them processed is the intake's part.
    async fn apply(
        &self,
        tx: &mut Tx,
        rows: &[InboxRow],
        prepared: &Self::Prepared,
    ) -> Result<(), StoreError>;

    /// Told after the transaction that applied `rows` committed.
    fn applied(&self, rows: &[InboxRow]);
}

/// Applies nothing: an intake with it only stores (adapter tests read the inbox).
pub struct StoreOnly;

#[async_trait]
impl Apply for StoreOnly {
    type Prepared = ();
    async fn prepare(&self, _store: &Store, _events: &[InboundEvent]) {}
    async fn apply(
        &self,
        _tx: &mut Tx,
        _rows: &[InboxRow],
        _prepared: &(),
    ) -> Result<(), StoreError> {
        Ok(())
    }
    fn applied(&self, _rows: &[InboxRow]) {}
}

/// Where the intake hands its events: `applier` applies them (none: they are only stored);
/// `stored` is notified after a commit that left events for the processor; `outbox` after
/// events were applied (their replies are in the outbox).
pub struct Handoff<A: Apply = StoreOnly> {
    pub stored: Arc<Notify>,
    pub outbox: Arc<Notify>,
    pub applier: Option<Arc<A>>,
}

impl<A: Apply> Clone for Handoff<A> {
    fn clone(&self) -> Self {
        Handoff {
            stored: self.stored.clone(),
            outbox: self.outbox.clone(),
            applier: self.applier.clone(),
        }
    }
}

impl Handoff<StoreOnly> {
    /// Events are only stored; whoever waits on `stored` applies them.
    pub fn stored_only(stored: Arc<Notify>) -> Handoff<StoreOnly> {
        Handoff {
            stored,
            outbox: Arc::new(Notify::new()),
            applier: None,
        }
    }
}

impl<A: Apply> Handoff<A> {
    /// Events are applied by `applier`, fresh ones in the intake's own transaction.
    pub fn applying(applier: Arc<A>, outbox: Arc<Notify>) -> Handoff<A> {
        Handoff {
            stored: Arc::new(Notify::new()),
            outbox,
            applier: Some(applier),
        }
    }
}

/// The receiving end of the intake's queue, for [`start`].
pub struct Queue {
    rx: mpsc::Receiver<Submission>,
}

/// The intake's queue: the handle adapters submit to, and the end [`start`] takes.
pub fn channel(batch_max: usize) -> (Intake, Queue) {
    let (tx, rx) = mpsc::channel::<Submission>(batch_max.max(64) * 4);
    (
        Intake {
            tx,
            max_text_chars: usize::MAX,
        },
        Queue { rx },
    )
}

/// Starts the intake on `queue`: the writer and, with an applier, the processor that applies
/// what was stored without being applied. The task ends when `shutdown` fired, the queue is
/// drained and (with an applier) every stored event is applied, or left stored after a failure.
pub fn start<A: Apply>(
    queue: Queue,
    store: Store,
    batch_max: usize,
    handoff: Handoff<A>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let processor = handoff.applier.clone().map(|applier| {
            tokio::spawn(process_loop(
                applier,
                store.clone(),
                batch_max as i64,
                handoff.clone(),
                shutdown.clone(),
            ))
        });
        run(
            store.clone(),
            batch_max,
            queue.rx,
            handoff.clone(),
            shutdown,
        )
        .await;
        if let Some(p) = processor
            && p.await.is_err()
        {
            warn!("intake processor failed");
        }
        // Whatever was stored last is applied before the outbox's final pass.
        if let Some(applier) = &handoff.applier {
            drain(applier.as_ref(), &store, batch_max as i64).await;
            handoff.outbox.notify_one();
        }
    })
}

/// Starts an intake with its own queue (see [`channel`] and [`start`]).
pub fn spawn<A: Apply>(
    store: Store,
    batch_max: usize,
    handoff: Handoff<A>,
    shutdown: CancellationToken,
) -> (Intake, tokio::task::JoinHandle<()>) {
    let (intake, queue) = channel(batch_max);
    (intake, start(queue, store, batch_max, handoff, shutdown))
}

/// Takes up to `limit` stored, unapplied events in arrival order and applies them in one
/// transaction through the same [`Apply`] as fresh events. Returns how many (0: none left).
pub async fn apply_waiting<A: Apply>(
    applier: &A,
    store: &Store,
    limit: i64,
) -> Result<usize, StoreError> {
    let t0 = std::time::Instant::now();
    let mut tx = store.begin_intake().await?;
    let rows = tx.take_unprocessed(limit).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let taken = t0.elapsed();
    applier
        .apply(&mut tx, &rows, &A::Prepared::default())
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    tx.mark_processed(&ids, now_millis()).await?;
    let applied = t0.elapsed();
    tx.commit().await?;
    // Where a batch's time goes (RUST_LOG=gridline::intake=debug).
    debug!(
        rows = rows.len(),
        take_us = taken.as_micros() as u64,
        apply_us = (applied - taken).as_micros() as u64,
        commit_us = (t0.elapsed() - applied).as_micros() as u64,
        "waiting events applied"
    );
    applier.applied(&rows);
    Ok(rows.len())
}

/// Applies stored events as they are left for it: woken after each commit that only stored
/// them, and polling as a fallback (another replica may have stored them).
async fn process_loop<A: Apply>(
    applier: Arc<A>,
    store: Store,
    batch: i64,
    handoff: Handoff<A>,
    shutdown: CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        match apply_waiting(applier.as_ref(), &store, batch).await {
            Ok(0) => {
                failures = 0;
                tokio::select! {
                    () = handoff.stored.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                    () = shutdown.cancelled() => return,
                }
            }
            Ok(_) => {
                failures = 0;
                handoff.outbox.notify_one();
            }
            Err(e) => {
                failures += 1;
                let wait = Duration::from_millis(200 * u64::from(failures.min(25)));
                warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "processing failed; events stay in the inbox");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        }
    }
}

/// Applies every stored, unapplied event (at shutdown).
async fn drain<A: Apply>(applier: &A, store: &Store, batch: i64) {
    loop {
        match apply_waiting(applier, store, batch).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                warn!(error = %e, "could not process the rest of the inbox at shutdown; it stays stored");
                return;
            }
        }
    }
}

async fn run<A: Apply>(
    store: Store,
    batch_max: usize,
    mut rx: mpsc::Receiver<Submission>,
    handoff: Handoff<A>,
    shutdown: CancellationToken,
) {
    let (ready, mut prepared) = mpsc::channel::<Batch<A::Prepared>>(1);
    // Set while the writer has a batch in hand.
    let writing = Arc::new(AtomicBool::new(false));
    // Told when the writer has finished a batch.
    let written = Arc::new(Notify::new());
    let writer = {
        let (store, handoff) = (store.clone(), handoff.clone());
        let (writing, written) = (writing.clone(), written.clone());
        tokio::spawn(async move {
            while let Some(batch) = prepared.recv().await {
                writing.store(true, Ordering::Release);
                commit_batch(&store, batch, &handoff).await;
                writing.store(false, Ordering::Release);
                written.notify_waiters();
            }
        })
    };
    loop {
        // Cut the next batch only once the writer has taken the last one: a batch cut earlier
        // would be whatever trickled in meanwhile, and the queue behind it would wait longer.
        let Ok(slot) = ready.reserve().await else {
            break;
        };
        let first = tokio::select! {
            biased;
            sub = rx.recv() => sub,
            () = shutdown.cancelled() => {
                // Stop taking new submissions but commit what is already queued.
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        // Let submitters that are ready to run (woken by the last commit) queue theirs before
        // the batch is cut: no fixed wait, just one turn of the scheduler, and under load the
        // next batch carries their events instead of waiting a whole commit for them.
        tokio::task::yield_now().await;
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        loop {
            while count < batch_max {
                match rx.try_recv() {
                    Ok(sub) => {
                        count += sub.events.len();
                        batch.push(sub);
                    }
                    Err(_) => break,
                }
            }
            // While the writer is busy, a batch is cut early only when it is full: a partial
            // one would leave whatever arrives next for a batch of its own, and at a moderate
            // rate the writer would commit twice as often for the same messages.
            // (Registered for the writer's notice before looking at the flag: a batch that
            // ends in between still wakes this wait.)
            let done = written.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if count >= batch_max || !writing.load(Ordering::Acquire) {
                break;
            }
            tokio::select! {
                sub = rx.recv() => match sub {
                    Some(sub) => {
                        count += sub.events.len();
                        batch.push(sub);
                    }
                    None => break,
                },
                () = done => break,
            }
        }
        // An idle writer would only wait for the preparation: it reads and parses the batch
        // in its own transaction at the same cost, and a lone message's reply comes sooner.
        let batch = if writing.load(Ordering::Acquire) {
            let started = std::time::Instant::now();
            let batch = prepare(&store, batch, &handoff).await;
            if started.elapsed() >= SLOW_WRITE {
                warn!(
                    events = batch.events.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "slow batch preparation"
                );
            }
            batch
        } else {
            Batch::unprepared(batch)
        };
        slot.send(batch);
    }
    drop(ready);
    if writer.await.is_err() {
        warn!("intake writer failed");
    }
    debug!("intake writer stopped");
}

/// Submissions cut from the queue, their events in order, and what was worked out ahead.
struct Batch<P> {
    submissions: Vec<Submission>,
    events: Vec<InboundEvent>,
    /// The events' stored forms, made ahead (empty: made in the transaction).
    payloads: Vec<String>,
    prepared: P,
}

impl<P: Default> Batch<P> {
    fn unprepared(mut submissions: Vec<Submission>) -> Batch<P> {
        let events = submissions
            .iter_mut()
            .flat_map(|s| std::mem::take(&mut s.events))
            .collect();
        Batch {
            submissions,
            events,
            payloads: Vec::new(),
            prepared: P::default(),
        }
    }
}

/// Readies a batch for its transaction (see the module docs).
async fn prepare<A: Apply>(
    store: &Store,
    submissions: Vec<Submission>,
    handoff: &Handoff<A>,
) -> Batch<A::Prepared> {
    let mut batch = Batch::unprepared(submissions);
    // Only complete: a payload that cannot be made is reported by the transaction.
    batch.payloads = batch
        .events
        .iter()
        .map(event_payload)
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    if let Some(a) = &handoff.applier {
        batch.prepared = a.prepare(store, &batch.events).await;
    }
    batch
}

/// How a batch was committed.
enum Committed {
    /// Stored and applied: the replies are in the outbox.
    Applied(Vec<InboxRow>),
    /// Stored for the processor.
    Stored,
}

async fn commit_batch<A: Apply>(store: &Store, batch: Batch<A::Prepared>, handoff: &Handoff<A>) {
    let now = now_millis();
    let started = std::time::Instant::now();
    let Batch {
        submissions: batch,
        events,
        mut payloads,
        prepared,
    } = batch;
    let cursors: Vec<&Cursor> = batch.iter().filter_map(|s| s.cursor.as_ref()).collect();
    let mut result = Err(StoreError::Unavailable("not attempted".into()));
    // Applying in this transaction is only an optimisation: if it fails, the events are
    // stored alone and the processor applies them (and reports what failed) as usual.
    for apply in [handoff.applier.as_deref(), None] {
        let apply = apply.map(|a| (a, &prepared));
        // The payloads made ahead go with the first attempt; a second makes its own.
        let made = std::mem::take(&mut payloads);
        result = store_batch(store, &events, made, &cursors, now, apply).await;
        match &result {
            Err(e) if apply.is_some() => {
                warn!(error = %e, "applying events with their intake failed; storing them for the processor")
            }
            _ => break,
        }
    }
    match result {
        Ok((ids, committed)) => {
            debug!(
                submissions = batch.len(),
                events = events.len(),
                applied = matches!(committed, Committed::Applied(_)),
                elapsed_us = started.elapsed().as_micros() as u64,
                "inbox batch committed"
            );
            match committed {
                Committed::Applied(rows) => {
                    if let Some(a) = &handoff.applier {
                        a.applied(&rows);
                    }
                    handoff.outbox.notify_one();
                }
                Committed::Stored => handoff.stored.notify_one(),
            }
            let mut ids = ids.into_iter();
            for sub in batch {
                let size = sub.size;
                let new = ids.by_ref().take(size).filter(Option::is_some).count() as u64;
                let _ = sub.done.send(Ok(Stored {
                    new,
                    duplicates: size as u64 - new,
                }));
            }
        }
        Err(e) => {
            warn!(error = %e, events = events.len(), "inbox commit failed; nothing acknowledged");
            for sub in batch {
                let _ = sub.done.send(Err(IntakeError::Unavailable(e.to_string())));
            }
        }
    }
}

/// One transaction: the events (one multi-row statement) and cursors, and with `apply` and
/// no older events waiting, everything the new events cause. Older events waiting means the
/// processor is behind (or another replica is at work): applying these first would answer a
/// chat out of order, so they are only stored.
async fn store_batch<A: Apply>(
    store: &Store,
    events: &[InboundEvent],
    payloads: Vec<String>,
    cursors: &[&Cursor],
    now: i64,
    apply: Option<(&A, &A::Prepared)>,
) -> Result<(Vec<Option<i64>>, Committed), StoreError> {
    let t0 = std::time::Instant::now();
    let mut tx = store.begin_intake().await?;
    let began = t0.elapsed();
    let apply = match apply {
        Some(a) if !tx.inbox_backlog().await? => Some(a),
        _ => None,
    };
    let refs: Vec<&InboundEvent> = events.iter().collect();
    let ids = tx
        .insert_events_flagged(&refs, payloads, now, apply.map(|_| now))
        .await?;
    let inserted = t0.elapsed();
    for c in cursors {
        tx.put_cursor(&c.key, &c.value, now).await?;
    }
    let committed = match apply {
        Some((a, prepared)) => {
            let rows: Vec<InboxRow> = events
                .iter()
                .zip(&ids)
                .filter_map(|(ev, id)| {
                    id.map(|id| InboxRow {
                        id,
                        received_at: now,
                        event: ev.clone(),
                    })
                })
                .collect();
            a.apply(&mut tx, &rows, prepared).await?;
            Committed::Applied(rows)
        }
        None => Committed::Stored,
    };
    let applied = t0.elapsed();
    tx.commit().await?;
    let took = t0.elapsed();
    // Where an intake transaction's time goes (RUST_LOG=gridline::intake=debug; a slow one is
    // always told: every event waiting behind it waits as long).
    let (begin_us, insert_us, apply_us, commit_us) = (
        began.as_micros() as u64,
        (inserted - began).as_micros() as u64,
        (applied - inserted).as_micros() as u64,
        (took - applied).as_micros() as u64,
    );
    if took >= SLOW_WRITE {
        warn!(
            events = events.len(),
            begin_us, insert_us, apply_us, commit_us, "slow intake transaction"
        );
    } else {
        debug!(
            begin_us,
            insert_us, apply_us, commit_us, "intake transaction"
        );
    }
    Ok((ids, committed))
}
