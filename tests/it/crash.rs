//! The crash test (`scripts/crash-test [sqlite|postgres] [KILLS]`): the real `gridline` binary
//! takes Telegram updates from the fake Bot API over loopback while residents keep writing;
//! it is killed with SIGKILL at random moments and started again (on PostgreSQL the database
//! server is also stopped at once and started again, under the running daemon and while it is
//! down). At the end every update must be stored once, every report must have made exactly one
//! ticket, and every card must have reached its group; a card sent twice is allowed only when
//! a kill fell right after its first send (delivery is at least once). It prints what it found,
//! and card latency (report written → card delivered) percentiles.
//!
//! Ignored in the ordinary suite: the script runs it with
//! `GRIDLINE_CRASH_BACKEND`, `GRIDLINE_CRASH_KILLS` and optionally `GRIDLINE_CRASH_SEED`,
//! `GRIDLINE_CRASH_RATE` (updates per second).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gridline::store::Store;

use crate::fake_telegram::{self as fake, Chat, FakeTelegram, User};
use crate::support::postgres::OwnedServer;

const GROUPS: i64 = 20;
const RESIDENTS_PER_GROUP: i64 = 3;
/// A second copy of a card counts as at-least-once delivery when a kill fell this soon after
/// the first copy was sent (the daemon died before it could record the send).
const RESEND_WINDOW: Duration = Duration::from_secs(2);

fn group_id(g: i64) -> i64 {
    -1_002_000 - g
}

fn resident(g: i64, k: i64) -> User {
    User::new(10_000 + g * 10 + k, &format!("居民{g}-{k}"))
}

fn roster() -> String {
    let mut csv = String::from(
        "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
",
    );
    for g in 0..GROUPS {
        csv.push_str(&format!(
            "grid,T1-V1-G{g},第{g}网格,T1-V1,grid,,,\n\
             group,,第{g}网格群,T1-V1-G{g},,telegram,{},\n\
             person,L{g},网格长{g},T1-V1-G{g},,telegram,{},leader\n",
            group_id(g),
            20_000 + g
        ));
        for k in 0..RESIDENTS_PER_GROUP {
            let u = resident(g, k);
            csv.push_str(&format!(
                "person,R{g}-{k},{},T1-V1-G{g},,telegram,{},resident\n",
                u.first_name, u.id
            ));
        }
    }
    csv
}

const CHATTER: &[&str] = &[
    "大家早上好",
    "谢谢网格长",
    "今天天气不错",
    "哈哈哈",
    "好的好的",
    "明天见",
];

/// One message a resident wrote.
struct Written {
    chat: i64,
    message_id: i64,
    report: bool,
    at: Instant,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A running daemon.
struct Daemon(Child);

impl Daemon {
    fn start(fake: &FakeTelegram, db_url: &str, log: &Path) -> Daemon {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let err = out.try_clone().expect("log file");
        // The debug binary the suite built, unless told another (a release build, for the
        // figures in docs/benchmarks.md).
        let binary = std::env::var("GRIDLINE_CRASH_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_gridline").to_string());
        let child = Command::new(binary)
            .arg("run")
            .env_remove("GRIDLINE_CONFIG")
            .env("RUST_LOG", "info")
            .env("GRIDLINE__DATABASE__URL", db_url)
            .env("GRIDLINE__HTTP__LISTEN", "127.0.0.1:0")
            .env("GRIDLINE__SANDBOX__ENABLED", "false")
            .env("GRIDLINE__SANDBOX__DEMO_ROSTER", "false")
            .env("GRIDLINE__TELEGRAM__ENABLED", "true")
            .env("GRIDLINE__TELEGRAM__TOKEN", fake::TOKEN)
            .env("GRIDLINE__TELEGRAM__API_URL", fake.api_url())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start the gridline binary");
        Daemon(child)
    }

    /// SIGKILL: no shutdown, no draining.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    fn exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    /// SIGTERM, then waits for the exit.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.exited() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the crash test: run by scripts/crash-test"]
async fn crash_test() {
    let backend = match std::env::var("GRIDLINE_CRASH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("GRIDLINE_CRASH_BACKEND must be sqlite or postgres, not {other}"),
    };
    let kills: usize = std::env::var("GRIDLINE_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10);
    let rate: f64 = std::env::var("GRIDLINE_CRASH_RATE")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(8.0);
    let seed: u64 = std::env::var("GRIDLINE_CRASH_SEED")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("crash test: {backend:?}, {kills} kills, {rate} updates/s, seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);

    let dir = tempfile::Builder::new()
        .prefix("gridline-crash-")
        .tempdir()
        .expect("tempdir");
    let log: PathBuf = dir.path().join("gridline.log");
    let server = match backend {
        Backend::Postgres => Some(OwnedServer::start().expect("a PostgreSQL server")),
        Backend::Sqlite => None,
    };
    let db_url = match &server {
        Some(s) => s.url(),
        None => format!("sqlite://{}/gridline.db", dir.path().display()),
    };
    let store = Store::open(&db_url, 2, Duration::from_secs(5))
        .await
        .expect("store");
    gridline::import::import_csv(&store, roster().as_bytes())
        .await
        .expect("roster");
    store.close().await;

    let fake = Arc::new(FakeTelegram::start().await);
    let written: Arc<Mutex<Vec<Written>>> = Arc::new(Mutex::new(Vec::new()));
    let producing = Arc::new(AtomicBool::new(true));
    // Residents write all along, whether gridline is up or not.
    let producer = {
        let fake = fake.clone();
        let written = written.clone();
        let producing = producing.clone();
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
        tokio::spawn(async move {
            let gap = Duration::from_secs_f64(1.0 / rate);
            let mut n = 0u64;
            while producing.load(Ordering::SeqCst) {
                n += 1;
                let g = rng.i64(0..GROUPS);
                let who = resident(g, rng.i64(0..RESIDENTS_PER_GROUP));
                let chat = Chat::supergroup(group_id(g), &format!("第{g}网格群"));
                let report = rng.u8(0..3) == 0;
                let text = if report {
                    format!(
                        "/report {}栋{}单元楼道灯不亮（{n}）",
                        rng.u8(1..30),
                        rng.u8(1..6)
                    )
                } else {
                    CHATTER[rng.usize(..CHATTER.len())].to_string()
                };
                let message_id = fake.send_text(&chat, &who, &text);
                written.lock().expect("written").push(Written {
                    chat: group_id(g),
                    message_id,
                    report,
                    at: Instant::now(),
                });
                tokio::time::sleep(gap).await;
            }
        })
    };

    let started = Instant::now();
    let mut kill_times: Vec<Instant> = Vec::new();
    // When the database server was down: from the stop to the moment it accepts connections
    // again (`pg_ctl start -w` returns once recovery is done).
    let mut stopped: Vec<(Instant, Instant)> = Vec::new();
    let mut own_exits = 0;
    let mut server_stops = 0;
    let mut daemon = Daemon::start(&fake, &db_url, &log);
    while kill_times.len() < kills {
        if daemon.exited() {
            // It stopped by itself (e.g. the database was down when it started): start it
            // again, as a service manager would.
            own_exits += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
            daemon = Daemon::start(&fake, &db_url, &log);
        }
        // One kill in five falls while the daemon starts (migrations, getMe, the first
        // fetch); the others at a random moment once it fetches updates.
        if rng.u8(0..5) == 0 {
            tokio::time::sleep(Duration::from_millis(rng.u64(0..1_500))).await;
        } else {
            let polls = fetches(&fake);
            let ready = Instant::now() + Duration::from_secs(30);
            while fetches(&fake) == polls && Instant::now() < ready && !daemon.exited() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(rng.u64(300..5_000))).await;
        }
        if let Some(server) = &server
            && kill_times.len() % 3 == 1
        {
            // The database goes away under the running daemon, and comes back.
            let down = Instant::now();
            server.stop_immediately();
            server_stops += 1;
            tokio::time::sleep(Duration::from_millis(rng.u64(500..3_000))).await;
            server.resume().expect("PostgreSQL starts again");
            stopped.push((down, Instant::now()));
            tokio::time::sleep(Duration::from_millis(rng.u64(500..2_000))).await;
        }
        daemon.kill();
        kill_times.push(Instant::now());
        if let Some(server) = &server
            && kill_times.len().is_multiple_of(4)
        {
            // Both down at once: the daemon starts while the database is recovering.
            let down = Instant::now();
            server.stop_immediately();
            server_stops += 1;
            server.resume().expect("PostgreSQL starts again");
            stopped.push((down, Instant::now()));
        }
        daemon = Daemon::start(&fake, &db_url, &log);
    }
    producing.store(false, Ordering::SeqCst);
    let _ = producer.await;
    let kill_phase = started.elapsed();

    // The last run: everything written must be handled.
    let store = Store::open(&db_url, 2, Duration::from_secs(30))
        .await
        .expect("store");
    let written = std::mem::take(&mut *written.lock().expect("written"));
    let reports: Vec<&Written> = written.iter().filter(|w| w.report).collect();
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut drained = false;
    while Instant::now() < deadline {
        if daemon.exited() {
            own_exits += 1;
            daemon = Daemon::start(&fake, &db_url, &log);
        }
        let carded = cards(&fake);
        let inbox = store.inbox_counts().await.ok();
        let outbox = store.outbox_counts().await.ok();
        if fake.pending_updates() == 0
            && inbox.is_some_and(|c| c.unprocessed == 0)
            && outbox.is_some_and(|c| c.pending == 0)
            && reports
                .iter()
                .all(|r| carded.contains_key(&(r.chat, r.message_id)))
        {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    daemon.stop();

    // What happened.
    let inbox = store.inbox_counts().await.expect("inbox");
    let unread = store_unread(&store).await;
    let tickets: Vec<(String, String)> =
        sqlx::query_as("SELECT chat_id, source_message_id FROM tickets")
            .fetch_all(store.pool())
            .await
            .expect("tickets");
    let mut per_source: HashMap<(i64, i64), usize> = HashMap::new();
    for (chat, message) in &tickets {
        let key = (
            chat.parse::<i64>().unwrap_or_default(),
            message.parse::<i64>().unwrap_or_default(),
        );
        *per_source.entry(key).or_default() += 1;
    }
    let lost: Vec<_> = reports
        .iter()
        .filter(|r| !per_source.contains_key(&(r.chat, r.message_id)))
        .map(|r| r.message_id)
        .collect();
    let duplicated: usize = per_source.values().map(|n| n.saturating_sub(1)).sum();
    let chatter_tickets = written
        .iter()
        .filter(|w| !w.report && per_source.contains_key(&(w.chat, w.message_id)))
        .count();
    let updates_lost = written.len() as i64 - inbox.total - unread;

    let carded = cards(&fake);
    let mut latencies = Vec::new();
    // The same latencies less the time the database server was down while the card waited:
    // what gridline itself took, its own kills and restarts included.
    let mut own_latencies = Vec::new();
    let mut waited_on_database = 0;
    let mut resent_after_kill = 0;
    let mut duplicate_sends = 0;
    let mut no_card = 0;
    for r in &reports {
        let Some(times) = carded.get(&(r.chat, r.message_id)) else {
            no_card += 1;
            continue;
        };
        let latency = times[0].saturating_duration_since(r.at);
        let down = overlap(r.at, times[0], &stopped);
        if !down.is_zero() {
            waited_on_database += 1;
        }
        latencies.push(latency);
        own_latencies.push(latency.saturating_sub(down));
        for pair in times.windows(2) {
            let first = pair[0];
            let killed_right_after = kill_times
                .iter()
                .any(|k| *k >= first && k.duration_since(first) <= RESEND_WINDOW);
            if killed_right_after {
                resent_after_kill += 1;
            } else {
                duplicate_sends += 1;
            }
        }
    }
    latencies.sort();
    own_latencies.sort();
    let ms = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    println!(
        "kills: {} in {:.0} s (database server stops: {server_stops}; daemon exits by itself: {own_exits})",
        kill_times.len(),
        kill_phase.as_secs_f64()
    );
    println!(
        "written: {} updates, {} reports; stored: {} (+{unread} kept unread); drained: {drained}",
        written.len(),
        reports.len(),
        inbox.total
    );
    println!("updates lost: {updates_lost}");
    println!("reports lost (no ticket): {}", lost.len());
    println!("duplicated tickets: {duplicated}");
    println!("tickets from chatter: {chatter_tickets}");
    println!("reports without a card: {no_card}");
    println!(
        "duplicate sends: {duplicate_sends} (plus {resent_after_kill} re-sent after a kill within {} s of the first send: at least once)",
        RESEND_WINDOW.as_secs()
    );
    println!(
        "card latency: p50 {} p90 {} p99 {} max {} (n={})",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default()),
        latencies.len()
    );
    if backend == Backend::Postgres {
        let down: Duration = stopped.iter().map(|(a, b)| b.duration_since(*a)).sum();
        println!(
            "card latency less the time the database server was down ({} stops, {:.0} s in all; {waited_on_database} cards waited on one): p50 {} p90 {} p99 {} max {}",
            stopped.len(),
            down.as_secs_f64(),
            ms(percentile(&own_latencies, 50.0)),
            ms(percentile(&own_latencies, 90.0)),
            ms(percentile(&own_latencies, 99.0)),
            ms(own_latencies.last().copied().unwrap_or_default()),
        );
    }
    let failed = updates_lost != 0
        || !lost.is_empty()
        || duplicated != 0
        || no_card != 0
        || duplicate_sends != 0
        || !drained;
    if std::env::var_os("GRIDLINE_CRASH_KEEP").is_some() {
        let kept = dir.keep();
        println!("kept: {}", kept.display());
    }
    if failed {
        println!("daemon log (last lines):\n{}", log_tail(&log));
        panic!(
            "crash test failed: lost {lost:?}, {duplicated} duplicated, {duplicate_sends} duplicate sends, {no_card} without a card, {updates_lost} updates lost"
        );
    }
    println!("crash test passed");
}

/// How much of `from..to` falls in the given (disjoint) intervals.
fn overlap(from: Instant, to: Instant, intervals: &[(Instant, Instant)]) -> Duration {
    intervals
        .iter()
        .map(|&(a, b)| {
            let (start, end) = (a.max(from), b.min(to));
            end.saturating_duration_since(start)
        })
        .sum()
}

/// How many getUpdates calls the fake has answered or holds.
fn fetches(fake: &FakeTelegram) -> usize {
    fake.served().len()
        + fake
            .requests()
            .iter()
            .filter(|r| r.method == "getupdates")
            .count()
}

/// Card sends per report: (chat, report message id) → when each copy was answered 200.
fn cards(fake: &FakeTelegram) -> HashMap<(i64, i64), Vec<Instant>> {
    let mut out: HashMap<(i64, i64), Vec<Instant>> = HashMap::new();
    for r in fake.requests() {
        if r.method != "sendmessage" || r.status != 200 {
            continue;
        }
        let (Some(chat), Some(reply)) = (
            r.params["chat_id"].as_i64(),
            r.params["reply_parameters"]["message_id"].as_i64(),
        ) else {
            continue;
        };
        out.entry((chat, reply)).or_default().push(r.at);
    }
    out
}

async fn store_unread(store: &Store) -> i64 {
    let row: Result<(i64,), _> = sqlx::query_as("SELECT COUNT(*) FROM inbox_unread")
        .fetch_one(store.pool())
        .await;
    row.map(|r| r.0).unwrap_or_default()
}
