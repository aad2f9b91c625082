//! Storage: the only module with SQL. One [`Store`] over SQLite (the embedded default) or
//! PostgreSQL (scale-out), chosen by `database.url`.
//!
//! Both backends run the same statements through sqlx's `Any` driver; the SQL is written in the
//! dialect they share (`$1` parameters, `ON CONFLICT`, `RETURNING`). Where they differ the
//! [`Backend`] says so. Times are Unix milliseconds (UTC) in `BIGINT`/`INTEGER` columns.

pub mod bulk;
pub mod confirm;
pub mod console;
pub mod duty;
pub mod examples;
pub mod extensions;
pub mod inbox;
pub mod onebot;
pub mod outbox;
pub mod photos;
pub mod questions;
pub mod ratings;
pub mod reach;
pub mod rollups;
pub mod roster;
mod rows;
pub mod sandbox;
pub mod send_log;
pub mod tickets;
pub mod timers;
mod turns;
pub mod unread;
mod writeback;

use crate::domain::TimerKind;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Executor, Row};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database failure, in the words the rest of gridline needs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refused the operation; worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that gridline cannot read (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    /// [`Store::open_existing`] found no gridline database at the URL (shown without password).
    #[error(
        "there is no gridline database at {0}: create it with `gridline migrate` (or start the daemon with `gridline run`)"
    )]
    Missing(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(e.to_string())
            }
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The handle every part of gridline shares. Cheap to clone.
///
/// Connections come from three places, so that a writer never waits behind readers:
///
/// - **the writer** ([`Store::begin`], [`Store::write_turn`]). SQLite: one connection of its
///   own, taken with the write turn, that nothing else uses. Holding the turn and then waiting
///   for a connection that readers hold would hold every writer up as long (the intake's
///   transactions waited about 400 ms each while ten coordinators' statistics were read).
///   PostgreSQL: the engine's pool (many writers at once).
/// - **the engine's pool** ([`Store::pool`]): the reads that keep messages moving (the intake
///   reading a batch ahead, the outbox, timers, the roster). On SQLite read-only: a write
///   that does not go through the writer fails at once instead of racing it.
/// - **the reports' pool** ([`Store::reports`]): statistics, console pages and exports, which
///   may each read for seconds. A quarter of `max_connections` (at least one): however many
///   people ask at once, they queue among themselves and leave the rest to the engine.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    reports: AnyPool,
    /// The writer's connections: SQLite, a pool of exactly one, used only under the write
    /// turn; PostgreSQL, the engine's pool.
    writes: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Write transactions queue here, in order, instead of in
    /// SQLite's busy handler, which polls with sleeps of up to tens of milliseconds.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The intake's claim to go first for the write turn ([`turns`]).
    intake: turns::Shared,
    /// Roster lookups the transactions of this process share while the roster is unchanged.
    memo: Arc<std::sync::Mutex<roster::RosterMemo>>,
    /// The zone whose local days the statistics rollups count by ([`Store::ensure_rollups`]).
    zone: Arc<std::sync::RwLock<chrono_tz::Tz>>,
    /// Grid → the tree nodes its figures count towards.
    tree: rollups::TreeMemo,
    /// SQLite: the database file, opened once by the first checkpoint round that syncs it
    /// (`None` inside for an in-memory database).
    db_file: Arc<std::sync::OnceLock<Option<Arc<std::fs::File>>>>,
}

/// The turn to write outside a [`Tx`] ([`Store::write_turn`]) and the connection to write on.
pub(crate) struct WriteTurn {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    /// SQLite: the write turn, released after the connection went back (fields drop in order).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTurn {
    /// The writer's connection (SQLite) or one of the engine's (PostgreSQL).
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

/// How the pools of [`Store::open`] share `max_connections`: the reports' pool gets a
/// quarter (at least one), the engine's pool the rest (at least one).
fn pool_sizes(max_connections: u32) -> (u32, u32) {
    let reports = (max_connections / 4).max(1);
    let engine = max_connections.saturating_sub(reports).max(1);
    (engine, reports)
}

/// A write (an intake transaction, a checkpoint pass under the write turn), or the preparation
/// of the intake's next batch, that takes this long holds up everything queued behind it, and
/// is logged as a warning.
pub(crate) const SLOW_WRITE: Duration = Duration::from_millis(200);

/// SQLite: the writer's page cache, KiB (SQLite's default is 2 MiB per connection). It fills
/// only as far as the database and its use go.
const WRITER_CACHE_KIB: u32 = 65_536;

/// How long a write transaction waits for the SQLite writer before giving up (as
/// `busy_timeout` does for other processes).
const WRITER_WAIT: Duration = Duration::from_secs(5);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects to `url`, creating the SQLite file (and its directory) if needed, and brings the
    /// schema up to date.
    pub async fn open(url: &str, max_connections: u32, acquire_timeout: Duration) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let (engine, reports) = pool_sizes(max_connections);
        let pool_of = |size: u32, read_only: bool| {
            let options = AnyPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(acquire_timeout);
            match backend {
                Backend::Sqlite => options.after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // durable.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Checkpoints run beside the writers (`checkpoint_wal`), not inside
                        // whichever commit crosses the threshold.
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                        // After a burst, the log file is cut back to 64 MiB when it starts
                        // over.
                        conn.execute("PRAGMA journal_size_limit = 67108864").await?;
                        if read_only {
                            // Every write goes through the writer's connection.
                            conn.execute("PRAGMA query_only = ON").await?;
                        } else {
                            // The writer's page cache stays valid from one transaction to the
                            // next (nobody else writes), so the index pages a burst of new
                            // tickets lands on are read from the file once, not in every
                            // batch. Readers' caches are dropped at every commit anyway.
                            conn.execute(AssertSqlSafe(format!(
                                "PRAGMA cache_size = -{WRITER_CACHE_KIB}"
                            )))
                            .await?;
                        }
                        Ok(())
                    })
                }),
                Backend::Postgres => options,
            }
        };
        let (pool, reports, writes) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file and switches it to WAL.
                let writes = pool_of(1, false).connect(&url).await?;
                let pool = pool_of(engine, true).connect(&url).await?;
                let reports = pool_of(reports, true).connect(&url).await?;
                (pool, reports, writes)
            }
            Backend::Postgres => {
                let pool = pool_of(engine, false).connect(&url).await?;
                let reports = pool_of(reports, false).connect(&url).await?;
                (pool.clone(), reports, pool)
            }
        };
        let store = Store {
            pool,
            reports,
            writes,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            intake: Arc::default(),
            memo: Arc::default(),
            zone: Arc::new(std::sync::RwLock::new(chrono_tz::Asia::Shanghai)),
            tree: Arc::default(),
            db_file: Arc::default(),
        };
        store.migrate().await?;
        if backend == Backend::Sqlite {
            tokio::spawn(checkpoint_wal(store.clone()));
        }
        Ok(store)
    }

    /// [`Store::open`] for commands that read or change an existing database (everything but
    /// `run` and `migrate`): a SQLite file that is not there, or a PostgreSQL database without
    /// gridline's tables, is refused with [`StoreError::Missing`] instead of being created.
    pub async fn open_existing(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Store> {
        let shown = redact_url(url);
        if url.starts_with("sqlite:") {
            let rest = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() || path == ":memory:" || !Path::new(path).is_file() {
                return Err(StoreError::Missing(shown));
            }
        } else {
            sqlx::any::install_default_drivers();
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(acquire_timeout)
                .connect(url)
                .await
                .map_err(|e| StoreError::Unavailable(format!("{shown}: {e}")))?;
            let found = sqlx::query(
                "SELECT 1 AS one FROM information_schema.tables WHERE table_name = 'tickets'",
            )
            .fetch_optional(&pool)
            .await?;
            pool.close().await;
            if found.is_none() {
                return Err(StoreError::Missing(shown));
            }
        }
        Store::open(url, max_connections, acquire_timeout).await
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.writes)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The zone statistics count local days in.
    pub fn zone(&self) -> chrono_tz::Tz {
        *self.zone.read().unwrap_or_else(|e| e.into_inner())
    }

    fn set_zone(&self, zone: chrono_tz::Tz) {
        *self.zone.write().unwrap_or_else(|e| e.into_inner()) = zone;
    }

    /// The engine's pool: reads that keep messages moving (see [`Store`]). On SQLite it only
    /// reads; write through [`Store::begin`] or [`Store::write_turn`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The reports' pool: statistics, console pages, exports (see [`Store`]).
    pub fn reports(&self) -> &AnyPool {
        &self.reports
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx> {
        // SQLite: take the write lock at BEGIN. A deferred transaction that reads and then
        // writes fails at once with "database is locked" when another commit came in between.
        // The connection is the writer's own: with the turn held, it is free.
        match self.backend {
            Backend::Sqlite => {
                let turn = self.turn().await?;
                self.begin_with_turn(turn).await
            }
            Backend::Postgres => Ok(self.tx(self.writes.begin().await?, None)),
        }
    }

    /// SQLite: starts the transaction of the holder of the write turn `turn`.
    async fn begin_with_turn(&self, turn: tokio::sync::OwnedMutexGuard<()>) -> Result<Tx> {
        let inner = self.writes.begin_with("BEGIN IMMEDIATE").await?;
        Ok(self.tx(inner, Some(turn)))
    }

    fn tx(
        &self,
        inner: sqlx::Transaction<'static, sqlx::Any>,
        writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    ) -> Tx {
        Tx {
            inner,
            backend: self.backend,
            roster: None,
            memo: self.memo.clone(),
            memo_generation: None,
            held: Held::default(),
            zone: self.zone(),
            tree: self.tree.clone(),
            _writer: writer,
        }
    }

    /// Starts a transaction that only reads, on the engine's pool: on SQLite it takes no write
    /// turn and runs beside the writer (WAL).
    pub(crate) async fn begin_read(&self) -> Result<Tx> {
        Ok(self.tx(self.pool.begin().await?, None))
    }

    /// [`Store::begin_read`] on the reports' pool: statistics and the console's reads, which
    /// queue among themselves for its connections.
    pub(crate) async fn begin_report(&self) -> Result<Tx> {
        Ok(self.tx(self.reports.begin().await?, None))
    }

    /// The write turn and the connection to write on, for a statement or transaction that
    /// writes outside a [`Tx`] (held until the returned guard drops). SQLite: waits for the
    /// turn that [`Store::begin`] takes, then has the writer's connection at once; without
    /// the turn such a write meets a queued transaction in SQLite's busy handler, which polls
    /// with sleeps, and stalls both for up to hundreds of milliseconds. PostgreSQL: a
    /// connection of the engine's pool.
    pub(crate) async fn write_turn(&self) -> Result<WriteTurn> {
        let turn = match self.backend {
            Backend::Postgres => None,
            Backend::Sqlite => Some(self.turn().await?),
        };
        Ok(WriteTurn {
            conn: self.writes.acquire().await?,
            _turn: turn,
        })
    }

    /// SQLite's write turn alone: whoever holds it is the only writer.
    async fn turn(&self) -> Result<tokio::sync::OwnedMutexGuard<()>> {
        tokio::time::timeout(WRITER_WAIT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| {
                StoreError::Unavailable("database is locked: no write turn within 5 s".into())
            })
    }

    /// Is the database answering?
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.reports.close().await;
        self.pool.close().await;
        self.writes.close().await;
    }
}

/// A transaction. Engine code reads and writes through its methods (in the submodules) and
/// commits once per batch.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    /// Roster lookups remembered in this transaction, when the caller asked for it
    /// ([`Tx::cache_roster`]).
    roster: Option<roster::RosterCache>,
    /// Roster lookups shared across transactions ([`roster::RosterMemo`]), and the roster
    /// generation this transaction found it valid for (none: not to be used).
    memo: Arc<std::sync::Mutex<roster::RosterMemo>>,
    memo_generation: Option<i64>,
    /// New tickets and timers not yet written (see [`Held`]).
    held: Held,
    /// The zone of the statistics' local days, and the shared grid → nodes memo.
    zone: chrono_tz::Tz,
    tree: rollups::TreeMemo,
    /// SQLite: this transaction's turn as the writer, released after `inner` ends (fields drop
    /// in order).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Rows a transaction writes behind. A burst of requests opens dozens of tickets per batch,
/// each with its timers; one statement per row costs a round trip each (on SQLite a hop to the
/// driver's worker thread, on PostgreSQL a network round trip) and dominates the batch. New
/// tickets and timers are therefore collected here and written with one multi-row statement
/// per table just before the first statement that could see them ([`Tx::db`]) or at commit.
/// Ticket numbers are known at once all the same ([`Tx::insert_ticket`]).
#[derive(Default)]
struct Held {
    tickets: Vec<(i64, i64, tickets::NewTicket)>,
    /// `(kind, ticket, due)`.
    timers: Vec<(TimerKind, i64, i64)>,
    /// SQLite: the next ticket number, read once per transaction (it holds the only write turn).
    next_ticket: Option<i64>,
    /// PostgreSQL: numbers drawn from the tickets' sequence ahead of need.
    reserved: std::collections::VecDeque<i64>,
    /// Each grid's last ticket number as this transaction knows it, and whether it
    /// moved since it was read or written ([`Tx::prefetch_grid_numbers`]).
    grid_numbers: std::collections::HashMap<String, (i64, bool)>,
    /// `(platform, chat, account)`: the bot account that serves a group (roster.rs).
    accounts: Vec<(String, String, String)>,
    /// `(platform, chat, sender, ticket, at)`: each reporter's newest report (photos.rs).
    reports: Vec<(String, String, String, i64, i64)>,
    /// `(platform, chat, sender)` with photos waiting for a report, when the caller read them
    /// for the batch ([`Tx::prefetch_waiting_photos`]); reports by anyone else claim nothing
    /// and skip the look-up.
    photo_senders: Option<std::collections::HashSet<(String, String, String)>>,
    /// Statistics figures changed by this transaction, written at commit (rollups.rs).
    rollup: rollups::Deltas,
}

impl Tx {
    pub async fn commit(mut self) -> Result<()> {
        let started = std::time::Instant::now();
        self.write_held().await?;
        let held = started.elapsed();
        self.write_rollups().await?;
        let rolled = started.elapsed();
        let (lookups, generation, memo) =
            (self.roster.take(), self.memo_generation, self.memo.clone());
        self.inner.commit().await?;
        roster::remember(lookups, generation, &memo);
        // Where a commit's time goes (RUST_LOG=gridline::store=trace): the rows held back
        // until now, the rollups, and the database's own commit (on SQLite its fsync).
        tracing::trace!(
            held_us = held.as_micros() as u64,
            rollups_us = (rolled - held).as_micros() as u64,
            commit_us = (started.elapsed() - rolled).as_micros() as u64,
            "transaction committed"
        );
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection for statements that may read or refer to tickets or timers: the rows
    /// held back are written first, so every statement sees the transaction's own changes.
    async fn db(&mut self) -> Result<&mut sqlx::AnyConnection> {
        self.write_held().await?;
        Ok(&mut self.inner)
    }

    /// The connection as it is, for statements that touch neither tickets nor timers (roster,
    /// inbox).
    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }

    async fn write_held(&mut self) -> Result<()> {
        if !self.held.tickets.is_empty() {
            let tickets = std::mem::take(&mut self.held.tickets);
            self.write_tickets(&tickets).await?;
        }
        if !self.held.timers.is_empty() {
            let timers = std::mem::take(&mut self.held.timers);
            self.write_timers(&timers).await?;
        }
        if !self.held.accounts.is_empty() {
            let accounts = std::mem::take(&mut self.held.accounts);
            self.write_accounts(accounts).await?;
        }
        if !self.held.reports.is_empty() {
            let reports = std::mem::take(&mut self.held.reports);
            self.write_reports(&reports).await?;
        }
        self.write_grid_numbers().await?;
        Ok(())
    }
}

/// How often the write-ahead log is copied back into the SQLite database file. Often, so that
/// each copy (and its fsync, which a commit's own fsync may queue behind) stays small: at
/// 100 ms against 500 ms the benchmark's paced p99 was 19.8–23.6 ms against 22.8–25.0 ms.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// SQLite: copies the write-ahead log into the database file every [`CHECKPOINT_EVERY`], until
/// the pool closes, so that the log starts over from its beginning instead of growing.
///
/// Each round copies what is there on a connection of its own and takes no write turn:
/// commits go on while it copies. Under steady writes that alone never lets the log start
/// over, because a transaction is nearly always under way during the copy and its commit
/// appends to the log's end; the log file then grows as long as the writes go on (to 660 MB in
/// a benchmark run of 110,000 messages). So once the log reaches [`RESTART_AFTER_FRAMES`], a
/// round makes a second pass that holds the write turn ([`Store::turn`]) and copies only
/// what the commits during the first pass added: 1.4–2.5 ms (median, p90) at 1,000
/// messages/s, 6–11 ms at full load, when a batch commits every 20 ms. The log is then copied
/// entirely, and the next commit writes from its start again, over blocks the file already
/// has. When the disk is slow (the first pass took [`RESTART_WITHIN`] or more), the second
/// pass would be slow too and hold every writer up: it waits for a later round.
///
/// Left to SQLite, the commit that crosses the log's size threshold would do the whole copy
/// (and its fsync) itself, and a burst's commits would take turns stalling for tens to
/// hundreds of milliseconds.
async fn checkpoint_wal(store: Store) {
    let mut ticker = tokio::time::interval(CHECKPOINT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut settled = 0;
    loop {
        ticker.tick().await;
        if store.pool.is_closed() {
            break;
        }
        if let Err(e) =
            checkpoint_round(&store, &mut settled, RESTART_AFTER_FRAMES, RESTART_WITHIN).await
        {
            tracing::debug!(error = %e, "WAL checkpoint did not run");
        }
    }
}

/// The log's length (in 4 KB pages) from which a round makes it start over: 16 MB, a third of
/// a second of writes at 1,000 messages/s, under a second at full load.
const RESTART_AFTER_FRAMES: i64 = 4_096;

/// A first pass slower than this means the disk is slow just now: a second pass under the write
/// turn would hold every writer up as long, so the round leaves it for later.
const RESTART_WITHIN: Duration = Duration::from_millis(50);

/// One round of [`checkpoint_wal`]: the first pass, then, when the log has reached
/// `after_frames` and the first pass took less than `within`, the second pass under the write
/// turn. `settled` is the log's length after the last round that copied it entirely under the
/// write turn: while the log stays so, nothing was committed since, and the round has nothing
/// to do.
async fn checkpoint_round(
    store: &Store,
    settled: &mut i64,
    after_frames: i64,
    within: Duration,
) -> Result<Round> {
    let started = std::time::Instant::now();
    // The round's own connection, taken before the write turn: waiting for a connection of
    // the pool (all of them reading, say, for the console) while holding the turn would hold
    // every writer up as long.
    let mut conn = store.pool.acquire().await?;
    let first = checkpoint_pass(&mut conn).await?;
    // Even a whole copy does not let the log start over when a transaction was under way
    // during it: that transaction's commit appends to the log's end.
    if first.frames < after_frames.max(1)
        || (first.is_whole() && first.frames == *settled)
        || started.elapsed() >= within
    {
        return Ok(Round::Passive);
    }
    let first_us = started.elapsed().as_micros() as u64;
    // SQLite syncs the database file only in a pass that copies the whole log, i.e. the second:
    // under the turn it would flush every page the first passes since the last restart copied
    // (20–40 ms a restart on a 1.6 GB database whose new tickets land on pages all over it,
    // three restarts a second at 1,000 messages/s). Synced here, beside the writers, the
    // second pass flushes only the few pages it copies itself.
    let mut sync_us = sync_database_file(store, &mut conn).await?;
    // What the commits wrote during that sync would be the second pass's to copy and flush
    // under the turn: on a large database, where each transaction dirties pages all over the
    // file, 8–25 ms every restart at 1,000 messages/s. Passes beside the writers catch up
    // first, until what is left is small.
    let mut last = first;
    for _ in 0..CATCH_UP_PASSES {
        let pass = checkpoint_pass(&mut conn).await?;
        let added = pass.frames - last.frames;
        last = pass;
        if added <= CATCH_UP_FRAMES {
            break;
        }
        sync_us += sync_database_file(store, &mut conn).await?;
    }
    let asked = std::time::Instant::now();
    let _turn = store.turn().await?;
    let turn_at = std::time::Instant::now();
    let wait_us = (turn_at - asked).as_micros() as u64;
    // A long wait for the turn means long write transactions just now: what they wrote is in
    // the log, not yet copied, and a second pass would copy it all while holding the turn
    // (two seconds and more on a large database). A later round's first pass copies it
    // beside the writers instead, unless the log has grown so long that it must start over.
    let waited = Duration::from_micros(first_us + wait_us);
    if waited >= within * 2 && first.frames < after_frames.max(1) * MUST_RESTART {
        tracing::debug!(
            frames = first.frames,
            wait_us,
            "WAL checkpoint: the write turn came late; the log starts over in a later round"
        );
        return Ok(Round::Later);
    }
    let second = checkpoint_pass(&mut conn).await?;
    let held = turn_at.elapsed();
    let second_us = held.as_micros() as u64;
    // Where a round's time goes (RUST_LOG=gridline::store=debug). The second pass holds up
    // every writer, so a long one is always told.
    if held >= SLOW_WRITE {
        tracing::warn!(
            frames = first.frames,
            copied = first.copied,
            first_us,
            sync_us,
            wait_us,
            second_us,
            "slow WAL checkpoint under the write turn"
        );
    } else {
        tracing::debug!(
            frames = first.frames,
            copied = first.copied,
            first_us,
            sync_us,
            wait_us,
            second_us,
            "WAL checkpoint"
        );
    }
    if second.is_whole() {
        *settled = second.frames;
    } else {
        tracing::debug!(
            frames = second.frames,
            copied = second.copied,
            "WAL not copied entirely: a reader still needs part of it"
        );
    }
    Ok(Round::UnderTurn)
}

/// At most this many catch-up passes (each with its sync) before a round's second pass.
const CATCH_UP_PASSES: usize = 3;

/// A catch-up pass that found no more than this many new frames (a few transactions' worth)
/// leaves the rest to the second pass.
const CATCH_UP_FRAMES: i64 = 128;

/// How many times [`RESTART_AFTER_FRAMES`] the log may grow while rounds leave the second pass
/// for later (128 MB): then the log starts over however long the turn took to come.
const MUST_RESTART: i64 = 8;

/// What a round of [`checkpoint_wal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Only the first pass, beside the writers.
    Passive,
    /// The turn came late: the second pass is left to a later round.
    Later,
    /// The second pass ran under the write turn.
    UnderTurn,
}

/// What one `PRAGMA wal_checkpoint(PASSIVE)` did.
#[derive(Debug, Clone, Copy)]
struct CheckpointPass {
    /// Frames in the log.
    frames: i64,
    /// Frames of it now in the database file.
    copied: i64,
}

impl CheckpointPass {
    /// Everything in the log is in the database file: the next commit starts the log over.
    fn is_whole(&self) -> bool {
        self.copied >= self.frames
    }
}

/// Flushes the database file's pages that checkpoints copied into it to the disk
/// (`fdatasync` on a descriptor of its own, opened by the first round and kept: the file's
/// pages are the file's, whoever wrote them), after writing them back a piece of the file at a
/// time ([`writeback`]). Returns how long it took, µs; 0 for a database without a file.
async fn sync_database_file(store: &Store, conn: &mut sqlx::AnyConnection) -> Result<u64> {
    let started = std::time::Instant::now();
    let file = match store.db_file.get() {
        Some(file) => file.clone(),
        None => {
            // Columns: seq, name, file ("" for an in-memory database).
            let rows = sqlx::query("PRAGMA database_list").fetch_all(conn).await?;
            let path = rows
                .iter()
                .find(|r| r.try_get::<String, _>(1).is_ok_and(|name| name == "main"))
                .and_then(|r| r.try_get::<String, _>(2).ok())
                .filter(|f| !f.is_empty());
            let file = match path {
                Some(path) => Some(Arc::new(std::fs::File::open(&path).map_err(|e| {
                    StoreError::Unavailable(format!("database file {path}: {e}"))
                })?)),
                None => None,
            };
            store.db_file.get_or_init(|| file).clone()
        }
    };
    let Some(file) = file else {
        return Ok(0);
    };
    tokio::task::spawn_blocking(move || writeback::sync_in_pieces(&file, writeback::PIECE))
        .await
        .map_err(|e| StoreError::Unavailable(format!("database file sync: {e}")))?
        .map_err(|e| StoreError::Unavailable(format!("database file sync: {e}")))?;
    Ok(started.elapsed().as_micros() as u64)
}

async fn checkpoint_pass(conn: &mut sqlx::AnyConnection) -> Result<CheckpointPass> {
    // Columns: busy (always 0 for a passive checkpoint), frames in the log, frames copied.
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await?;
    Ok(CheckpointPass {
        frames: row.try_get::<i64, _>(1)?,
        copied: row.try_get::<i64, _>(2)?,
    })
}

/// The URL as it may be shown: a password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            match auth.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `sqlite://data/gridline.db` → creates `data/` and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path != ":memory:"
        && !path.is_empty()
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_string(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_string(),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Reads a column, mapping decode failures to [`StoreError::Corrupt`] with the column name.
pub(crate) fn col<T>(row: &AnyRow, name: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// Parses a stored enum id (state, category …).
pub(crate) fn parse_col<T: std::str::FromStr>(row: &AnyRow, name: &str) -> Result<T> {
    let text: String = col(row, name)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("column {name}: unknown value `{text}`")))
}

/// `$1, $2, …` placeholders (dynamic SQL here is built only from these and fixed fragments,
/// never from input, which is always bound) for a multi-row insert of `rows` rows of `width` columns, starting
/// after `offset` parameters already bound.
pub(crate) fn placeholders(rows: usize, width: usize, offset: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(offset + r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Placeholders for a statement whose only parameters are `rows` rows of `width` values, in
/// order. The same as [`placeholders`] on PostgreSQL; on SQLite anonymous `?`: SQLite finds a
/// numbered parameter by a linear search of the statement's names, so binding `$1 … $N` costs
/// O(N²) and a 1,000-row insert spends most of its time there.
pub(crate) fn row_placeholders(backend: Backend, rows: usize, width: usize) -> String {
    match backend {
        Backend::Postgres => placeholders(rows, width, 0),
        Backend::Sqlite => {
            let row = format!("({})", vec!["?"; width].join(","));
            vec![row; rows].join(",")
        }
    }
}

/// The `n`th (1-based) parameter of a statement whose parameters are all bound in the order
/// they appear: `$n` on PostgreSQL, `?` on SQLite (see [`row_placeholders`]).
pub(crate) fn param(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Postgres => format!("${n}"),
        Backend::Sqlite => "?".to_string(),
    }
}

/// `count` parameters starting at the `first`th, comma-separated (see [`param`]).
pub(crate) fn params(backend: Backend, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| param(backend, n))
        .collect::<Vec<_>>()
        .join(",")
}
pub use crate::clock::now_millis;

/// The rows of `select` (a `SELECT … FROM table` without a WHERE) whose `code` is one of
/// `codes` (one statement, the codes bound as one JSON list: see `rows`).
pub(crate) async fn rows_with_codes(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    select: &str,
    codes: &[String],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(rows::ROWS_PER_STATEMENT) {
        let sql = format!(
            "{select} WHERE code IN ({})",
            rows::list_source(backend, 1, rows::Ty::Text, chunk.len())
        );
        let list: Vec<serde_json::Value> = chunk.iter().map(|c| c.as_str().into()).collect();
        let q = rows::bind_rows(backend, sqlx::query(sqlx::AssertSqlSafe(sql)), &list)?;
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(placeholders(2, 3, 0), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(1, 2, 4), "($5,$6)");
        assert_eq!(row_placeholders(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(row_placeholders(Backend::Postgres, 2, 2), "($1,$2),($3,$4)");
    }

    /// Frames in the write-ahead log now (copying it back as far as it can, taking no turn).
    async fn log_frames(store: &Store) -> i64 {
        let mut conn = store.pool.acquire().await.expect("connection");
        checkpoint_pass(&mut conn).await.expect("checkpoint").frames
    }

    async fn write(store: &Store, n: usize) {
        let mut tx = store.begin().await.expect("begin");
        tx.put_cursor(&format!("k{n}"), &"x".repeat(2_000), 0)
            .await
            .expect("write");
        tx.commit().await.expect("commit");
    }

    /// A round that makes the log start over whenever it has anything in it.
    async fn eager_round(store: &Store, settled: &mut i64) {
        checkpoint_round(store, settled, 1, Duration::from_secs(10))
            .await
            .expect("checkpoint round");
    }

    /// A transaction under way while the log is copied commits to the log's end: a copy that
    /// takes no write turn never lets the log start over under steady writes. The round's
    /// second pass, under the turn, does.
    #[tokio::test]
    async fn checkpoint_round_lets_the_log_start_over_after_a_concurrent_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/wal.db", dir.path().display());
        let store = Store::open(&url, 4, Duration::from_secs(5))
            .await
            .expect("store");
        for n in 0..50 {
            write(&store, n).await;
        }
        // A transaction holds the write turn while the rounds' first passes run.
        let mut tx = store.begin().await.expect("begin");
        tx.put_cursor("during", "x", 0).await.expect("write");
        // A log shorter than the threshold, or a slow first pass, and the round does not wait
        // for the turn at all.
        let mut settled = 0;
        let short = tokio::time::timeout(
            Duration::from_secs(2),
            checkpoint_round(&store, &mut settled, 1_000_000, Duration::from_secs(10)),
        );
        short.await.expect("no wait").expect("round");
        let slow = tokio::time::timeout(
            Duration::from_secs(2),
            checkpoint_round(&store, &mut settled, 1, Duration::ZERO),
        );
        slow.await.expect("no wait").expect("round");
        let round = {
            let store = store.clone();
            tokio::spawn(async move {
                eager_round(&store, &mut settled).await;
                settled
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !round.is_finished(),
            "the second pass waits for the write turn"
        );
        tx.commit().await.expect("commit");
        let settled = round.await.expect("round");
        let before = log_frames(&store).await;
        assert_eq!(settled, before, "the second pass copied the whole log");
        write(&store, 99).await;
        let after = log_frames(&store).await;
        assert!(
            after < before,
            "the next commit starts the log over: {after} frames after, {before} before"
        );
        // Nothing new: the next round leaves the log alone.
        write(&store, 100).await;
        let mut settled = 0;
        eager_round(&store, &mut settled).await;
        let frames = log_frames(&store).await;
        assert_eq!(settled, frames);
        eager_round(&store, &mut settled).await;
        assert_eq!(log_frames(&store).await, frames);
    }

    /// A round whose write turn came late (a long write transaction ahead of it) does not
    /// copy under the turn what that transaction wrote: a later round does, beside the writers.
    /// A round waiting for the turn holds its own connection, not one it must wait for.
    #[tokio::test]
    async fn checkpoint_round_leaves_a_late_turn_to_a_later_round() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/wal.db", dir.path().display());
        let store = Store::open(&url, 3, Duration::from_secs(5))
            .await
            .expect("store");
        for n in 0..50 {
            write(&store, n).await;
        }
        let within = Duration::from_millis(100);
        // Over the threshold, far from the length at which the log must start over anyway.
        let after = (log_frames(&store).await / 2).max(1);
        let mut tx = store.begin().await.expect("begin");
        tx.put_cursor("long", "x", 0).await.expect("write");
        let round = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut settled = 0;
                let round = checkpoint_round(&store, &mut settled, after, within)
                    .await
                    .expect("round");
                (round, settled)
            })
        };
        // The round waits for the turn; meanwhile the pool's other connection is busy too.
        tokio::time::sleep(within * 3).await;
        let reader = store.begin_read().await.expect("the third connection");
        tx.commit().await.expect("commit");
        let (round, settled) = round.await.expect("round");
        assert_eq!(round, Round::Later);
        assert_eq!(settled, 0, "nothing copied under the turn");
        drop(reader);
        // Soon after, with the turn free at once, a round copies under it. A write first, so
        // that the log holds frames of its own whatever the reader's end and the late round
        // left of it; under load a first pass may still find nothing to copy (the log started
        // over meanwhile) and the round stop there, so a few writes are allowed for it.
        let mut under = None;
        for n in 50..55 {
            write(&store, n).await;
            let mut settled = 0;
            let round = checkpoint_round(&store, &mut settled, 1, Duration::from_secs(10))
                .await
                .expect("round");
            if round == Round::UnderTurn {
                under = Some(settled);
                break;
            }
            assert_eq!(
                round,
                Round::Passive,
                "only a round with nothing to copy stops"
            );
        }
        let settled = under.expect("a round under the turn within five writes");
        assert_eq!(settled, log_frames(&store).await);
    }

    #[test]
    fn urls_are_shown_without_password() {
        assert_eq!(
            redact_url("postgres://grid:s3cret@db:5432/gridline"),
            "postgres://grid:***@db:5432/gridline"
        );
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[tokio::test]
    async fn a_missing_database_is_refused_and_not_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/sub/none.db", dir.path().display());
        let err = Store::open_existing(&url, 1, Duration::from_secs(5))
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(err, StoreError::Missing(ref u) if *u == url),
            "{err}"
        );
        assert!(err.to_string().contains("gridline migrate"));
        assert!(!dir.path().join("sub").exists(), "nothing created");
        Store::open(&url, 1, Duration::from_secs(5))
            .await
            .expect("created");
        Store::open_existing(&url, 1, Duration::from_secs(5))
            .await
            .expect("now it exists");
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("gridline-url-{}", std::process::id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        let prepared = prepare_sqlite_url(&url).expect("prepared");
        assert!(prepared.ends_with("x.db?mode=rwc"), "{prepared}");
        assert!(dir.exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
