//! Durable intake: adapters hand events to [`Intake::submit`], which returns only once they are
//! committed to the inbox. Only then may an adapter acknowledge them to its platform (advance
//! the getUpdates offset, answer the webhook with 200).
//!
//! One task owns the writes. It takes whatever submissions are queued (up to
//! `intake.batch_max` events, no fixed wait) and commits them in one transaction, so a burst
//! costs one fsync per batch instead of one per message.
//!
//! Under load a second task cuts and prepares the next batch while the writer commits the
//! current one, on the other core: it reads the batch's messages ahead
//! ([`Engine::read_ahead`]) and brings their groups and senders into the shared roster memo
//! ([`Store::warm_roster`]), outside any write transaction. Both are only ever a head start:
//! the writer parses and looks up whatever was not prepared, so a failed or stale preparation
//! costs time, never correctness. At most one batch waits prepared; submissions beyond it stay
//! queued, in order.
//!
//! When no older event is waiting, the same transaction also applies the new events through
//! the engine (tickets, history, outbox rows) and stores them already processed: the inbox row
//! is still written before anything it causes, and commits together with it, so the platform
//! is acknowledged only for events that are stored, and a reply exists only for a stored
//! event. That halves the commits (and fsyncs) per message. When events are waiting (the
//! processor is behind, or another replica holds some), or applying fails, the batch is only
//! stored and the processor applies it in arrival order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::domain::message::InboundEvent;
use crate::engine::{Engine, Readings};
use crate::store::inbox::{InboxRow, event_payload};
use crate::store::{SLOW_WRITE, Store, StoreError, now_millis};

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
}

impl Intake {
    /// Stores `events` (and `cursor`) durably. When this returns `Ok`, they are committed.
    pub async fn submit(
        &self,
        events: Vec<InboundEvent>,
        cursor: Option<Cursor>,
    ) -> Result<Stored, IntakeError> {
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

/// Applies stored events in the intake's own transaction (see the module docs). Set once the
/// engine exists: adapters, and so the intake, start before it.
pub struct Applier {
    pub engine: Arc<Engine>,
    /// Woken after events were applied: their replies are in the outbox.
    pub outbox: Arc<Notify>,
}

/// Where the intake hands its events: `stored` is notified after a commit that left events for
/// the processor; `applier`, once set, applies them in the same transaction when it can.
#[derive(Clone)]
pub struct Handoff {
    pub stored: Arc<Notify>,
    pub applier: Arc<OnceLock<Applier>>,
}

impl Handoff {
    /// Events are only stored; whoever waits on `stored` applies them.
    pub fn stored_only(stored: Arc<Notify>) -> Handoff {
        Handoff {
            stored,
            applier: Arc::new(OnceLock::new()),
        }
    }
}

/// Starts the intake writer. The writer stops when `shutdown` fires and the queue is drained.
pub fn spawn(
    store: Store,
    batch_max: usize,
    handoff: Handoff,
    shutdown: CancellationToken,
) -> (Intake, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Submission>(batch_max.max(64) * 4);
    let handle = tokio::spawn(run(store, batch_max, rx, handoff, shutdown));
    (Intake { tx }, handle)
}

async fn run(
    store: Store,
    batch_max: usize,
    mut rx: mpsc::Receiver<Submission>,
    handoff: Handoff,
    shutdown: CancellationToken,
) {
    let (ready, mut prepared) = mpsc::channel::<Batch>(1);
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

/// Submissions cut from the queue, their events in order, and what was read ahead of them.
struct Batch {
    submissions: Vec<Submission>,
    events: Vec<InboundEvent>,
    /// The events' stored forms, made ahead (empty: made in the transaction).
    payloads: Vec<String>,
    readings: Readings,
}

impl Batch {
    fn unprepared(mut submissions: Vec<Submission>) -> Batch {
        let events = submissions
            .iter_mut()
            .flat_map(|s| std::mem::take(&mut s.events))
            .collect();
        Batch {
            submissions,
            events,
            payloads: Vec::new(),
            readings: Readings::default(),
        }
    }
}

/// Readies a batch for its transaction (see the module docs).
async fn prepare(store: &Store, submissions: Vec<Submission>, handoff: &Handoff) -> Batch {
    let mut batch = Batch::unprepared(submissions);
    // Only complete: a payload that cannot be made is reported by the transaction.
    batch.payloads = batch
        .events
        .iter()
        .map(event_payload)
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    let events = &batch.events;
    batch.readings = match handoff.applier.get() {
        Some(a) => {
            let (chats, senders) = crate::engine::roster_keys(events.iter());
            if let Err(e) = store.warm_roster(&chats, &senders).await {
                debug!(error = %e, "roster not read ahead; the batch reads it itself");
            }
            a.engine.read_ahead(events)
        }
        None => Readings::default(),
    };
    batch
}

/// How a batch was committed.
enum Committed {
    /// Stored and applied: the replies are in the outbox.
    Applied(Vec<InboxRow>),
    /// Stored for the processor.
    Stored,
}

async fn commit_batch(store: &Store, batch: Batch, handoff: &Handoff) {
    let now = now_millis();
    let started = std::time::Instant::now();
    let Batch {
        submissions: batch,
        events,
        mut payloads,
        readings,
    } = batch;
    let cursors: Vec<&Cursor> = batch.iter().filter_map(|s| s.cursor.as_ref()).collect();
    let mut result = Err(StoreError::Unavailable("not attempted".into()));
    // Applying in this transaction is only an optimisation: if it fails, the events are
    // stored alone and the processor applies them (and reports what failed) as usual.
    for apply in [handoff.applier.get(), None] {
        let apply = apply.map(|a| (a, &readings));
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
                    if let Some(a) = handoff.applier.get() {
                        a.engine.announce(&rows);
                        a.outbox.notify_one();
                    }
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
async fn store_batch(
    store: &Store,
    events: &[InboundEvent],
    payloads: Vec<String>,
    cursors: &[&Cursor],
    now: i64,
    apply: Option<(&Applier, &Readings)>,
) -> Result<(Vec<Option<i64>>, Committed), StoreError> {
    let t0 = std::time::Instant::now();
    let mut tx = store.begin().await?;
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
        Some((a, readings)) => {
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
            a.engine.apply_read(&mut tx, &rows, readings).await?;
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
