//! Durable intake: adapters hand events to [`Intake::submit`], which returns only once they are
//! committed to the inbox. Only then may an adapter acknowledge them to its platform (advance
//! the getUpdates offset, answer the webhook with 200).
//!
//! One task owns the writes. It takes whatever submissions are queued (up to
//! `intake.batch_max` events, no fixed wait) and commits them in one transaction, so a burst
//! costs one fsync per batch instead of one per message.

use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::platform::InboundEvent;
use crate::store::{Store, now_millis};

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
                events,
                cursor,
                done,
            })
            .await
            .map_err(|_| IntakeError::ShuttingDown)?;
        wait.await.map_err(|_| IntakeError::ShuttingDown)?
    }
}

/// Starts the intake writer. `stored` is notified after every commit (the processor waits on
/// it). The writer stops when `shutdown` fires and the queue is drained.
pub fn spawn(
    store: Store,
    batch_max: usize,
    stored: Arc<Notify>,
    shutdown: CancellationToken,
) -> (Intake, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Submission>(batch_max.max(64) * 4);
    let handle = tokio::spawn(run(store, batch_max, rx, stored, shutdown));
    (Intake { tx }, handle)
}

async fn run(
    store: Store,
    batch_max: usize,
    mut rx: mpsc::Receiver<Submission>,
    stored: Arc<Notify>,
    shutdown: CancellationToken,
) {
    loop {
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
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        while count < batch_max {
            match rx.try_recv() {
                Ok(sub) => {
                    count += sub.events.len();
                    batch.push(sub);
                }
                Err(_) => break,
            }
        }
        commit_batch(&store, batch).await;
        stored.notify_one();
    }
    debug!("intake writer stopped");
}

async fn commit_batch(store: &Store, batch: Vec<Submission>) {
    let now = now_millis();
    let started = std::time::Instant::now();
    let result = async {
        let mut tx = store.begin().await?;
        // One multi-row statement for every submission in the batch.
        let events: Vec<&InboundEvent> = batch.iter().flat_map(|s| s.events.iter()).collect();
        let mut fresh = tx.insert_events_flagged(&events, now).await?.into_iter();
        let mut outcomes = Vec::with_capacity(batch.len());
        for sub in &batch {
            let new = fresh.by_ref().take(sub.events.len()).filter(|f| *f).count() as u64;
            if let Some(c) = &sub.cursor {
                tx.put_cursor(&c.key, &c.value, now).await?;
            }
            outcomes.push(Stored {
                new,
                duplicates: sub.events.len() as u64 - new,
            });
        }
        tx.commit().await?;
        Ok::<_, crate::store::StoreError>(outcomes)
    }
    .await;
    match result {
        Ok(outcomes) => {
            debug!(
                submissions = batch.len(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "inbox batch committed"
            );
            for (sub, outcome) in batch.into_iter().zip(outcomes) {
                let _ = sub.done.send(Ok(outcome));
            }
        }
        Err(e) => {
            warn!(error = %e, events = batch.len(), "inbox commit failed; nothing acknowledged");
            for sub in batch {
                let _ = sub.done.send(Err(IntakeError::Unavailable(e.to_string())));
            }
        }
    }
}
