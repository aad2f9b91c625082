//! Who goes first for SQLite's write turn: the intake before background work.
//!
//! SQLite has one writer at a time, and the turn is handed out in arrival order. Residents'
//! messages wait for whatever holds it. After downtime, tens of thousands of reminders and
//! escalations fall due at once; fired in slices of about 10 ms that queued in turn with the
//! intake's batches, every message waited a slice more (intake p50 about 20–30 ms instead of
//! 4 ms on a database of 1,000,000 tickets, for the half minute the backlog lasted).
//!
//! So work that can wait a moment — timers, digests, statistics answers — asks for a
//! *background* turn ([`Store::begin_background`]): when it gets the turn while an intake batch
//! is waiting for it, it hands the turn on and waits until no batch is waiting, for at most
//! [`BACKGROUND_PATIENCE`] per transaction, so that it is delayed but never starved. Timers
//! also fire in shorter slices while the intake is busy ([`Store::intake_busy`]).
//!
//! PostgreSQL has no single writer: there the background turn is an ordinary transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::{Backend, Result, Store, Tx};

/// How long one background transaction waits, at most, for a moment with no intake batch
/// waiting. Under a sustained intake the moment may not come; then it goes anyway.
pub const BACKGROUND_PATIENCE: Duration = Duration::from_millis(50);

/// The intake counts as busy this long after its last transaction began.
const BUSY_FOR: Duration = Duration::from_millis(200);

/// The intake's claim on the write turn, shared by a [`Store`]'s clones.
#[derive(Debug)]
pub(super) struct IntakeTurns {
    /// Intake transactions waiting for the turn now.
    waiting: AtomicUsize,
    /// Told when the last waiting intake transaction got the turn.
    served: Notify,
    /// When an intake transaction last began, in milliseconds since `epoch` (0: never).
    last_began_ms: AtomicU64,
    epoch: Instant,
}

impl Default for IntakeTurns {
    fn default() -> Self {
        IntakeTurns {
            waiting: AtomicUsize::new(0),
            served: Notify::new(),
            last_began_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

/// Counts an intake transaction as waiting while it lives.
struct Waiting<'a>(&'a IntakeTurns);

impl<'a> Waiting<'a> {
    fn new(turns: &'a IntakeTurns) -> Self {
        turns.waiting.fetch_add(1, Ordering::AcqRel);
        Waiting(turns)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.served.notify_waiters();
        }
    }
}

impl IntakeTurns {
    fn began(&self) {
        // +1: 0 means "never".
        let ms = self.epoch.elapsed().as_millis() as u64 + 1;
        self.last_began_ms.store(ms, Ordering::Release);
    }

    fn busy(&self) -> bool {
        match self.last_began_ms.load(Ordering::Acquire) {
            0 => false,
            ms => {
                let now = self.epoch.elapsed().as_millis() as u64 + 1;
                now.saturating_sub(ms) < BUSY_FOR.as_millis() as u64
            }
        }
    }
}

impl Store {
    /// Starts the intake's transaction: first in line for SQLite's write turn (see the module
    /// docs).
    pub async fn begin_intake(&self) -> Result<Tx> {
        let turns = self.intake.clone();
        turns.began();
        let _waiting = Waiting::new(&turns);
        self.begin().await
    }

    /// Starts a transaction for work that can wait a moment (timers, digests, statistics
    /// answers): on SQLite it lets waiting intake batches go first, for at most
    /// [`BACKGROUND_PATIENCE`].
    pub async fn begin_background(&self) -> Result<Tx> {
        if self.backend == Backend::Postgres {
            return self.begin().await;
        }
        let deadline = tokio::time::Instant::now() + BACKGROUND_PATIENCE;
        loop {
            let turn = self.turn().await?;
            if self.intake.waiting.load(Ordering::Acquire) == 0
                || tokio::time::Instant::now() >= deadline
            {
                return self.begin_with_turn(turn).await;
            }
            // An intake batch is queued behind this turn: hand the turn on, and come back once
            // no batch is waiting (or at the deadline).
            let served = self.intake.served.notified();
            let mut served = std::pin::pin!(served);
            served.as_mut().enable();
            drop(turn);
            if self.intake.waiting.load(Ordering::Acquire) > 0 {
                let _ = tokio::time::timeout_at(deadline, served).await;
            }
        }
    }

    /// Has the intake begun a transaction in the last moments? Background work then keeps
    /// its transactions short.
    pub fn intake_busy(&self) -> bool {
        self.intake.busy()
    }
}

/// A handle shared by a [`Store`]'s clones.
pub(super) type Shared = Arc<IntakeTurns>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/turns.db", dir.path().display());
        let store = Store::open(&url, 4, Duration::from_secs(5))
            .await
            .expect("open");
        (dir, store)
    }

    /// A background transaction that gets the turn while an intake transaction waits for it
    /// steps aside: the intake commits first.
    #[tokio::test]
    async fn intake_goes_before_background_work_that_queued_first() {
        let (_dir, store) = store().await;
        let holder = store.begin().await.expect("first");
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));

        let background = {
            let (store, order) = (store.clone(), order.clone());
            tokio::spawn(async move {
                let tx = store.begin_background().await.expect("background");
                order.lock().expect("order").push("background");
                tx.commit().await.expect("commit");
            })
        };
        // The background transaction is queued for the turn before the intake's.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let intake = {
            let (store, order) = (store.clone(), order.clone());
            tokio::spawn(async move {
                let tx = store.begin_intake().await.expect("intake");
                order.lock().expect("order").push("intake");
                tokio::time::sleep(Duration::from_millis(10)).await;
                tx.commit().await.expect("commit");
            })
        };
        // Commit the holder as soon as the intake waits: the background transaction's
        // patience (50 ms from when it asked) must not run out on a busy machine before then.
        while store.intake.waiting.load(Ordering::Acquire) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        holder.commit().await.expect("commit");
        intake.await.expect("intake task");
        background.await.expect("background task");
        assert_eq!(*order.lock().expect("order"), vec!["intake", "background"]);
        assert!(store.intake_busy());
    }

    /// Background work is delayed, never starved: with intake transactions queued back to
    /// back, it still gets the turn within its patience.
    #[tokio::test]
    async fn background_work_goes_within_its_patience() {
        let (_dir, store) = store().await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for _ in 0..2 {
            let (store, stop) = (store.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Acquire) {
                    let tx = store.begin_intake().await.expect("intake");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    tx.commit().await.expect("commit");
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        let tx = store.begin_background().await.expect("background");
        let waited = started.elapsed();
        tx.commit().await.expect("commit");
        stop.store(true, Ordering::Release);
        for w in writers {
            w.await.expect("writer");
        }
        // Its patience, plus an intake transaction under way and the one it let go first.
        assert!(
            waited < BACKGROUND_PATIENCE + Duration::from_millis(500),
            "waited {waited:?}"
        );
    }
}
