//! `gridline bench`: pushes synthetic group messages through the real pipeline — intake (inbox
//! commit) → parse → ticket → outbox — on SQLite or PostgreSQL, and prints throughput and the
//! latency from a message's arrival (handed to the intake) to the commit of the engine
//! transaction that wrote its reply to the outbox.
//!
//! Two runs on one database: a full-load run (producers submit as fast as the intake takes
//! them; one message in four is a request, the rest chatter) and a paced run (every message a
//! request, at a fixed rate). The outbox worker runs throughout and delivers the replies to an
//! in-process adapter that declares Telegram's per-bot limit (30 messages/s), the pace at which
//! one real bot account's replies leave.
//!
//! [`stats`] is the supervision scenario (`--scenario stats`): a year of a county's tickets, its
//! statistics questions, intake while coordinators ask, console pages and an XLSX export.

pub mod drain;
pub mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::sync::broadcast::error::RecvError;

use crate::app::Application;
use crate::config::{Secret, Settings};
use crate::platform::memory::MemoryAdapter;
use crate::platform::{
    Adapter, Capabilities, ChatKind, ChatRef, EventKind, InboundEvent, Rate, RateLimits, Sender,
};

const CHATTER: [&str; 6] = [
    "谢谢网格长！",
    "收到",
    "大家早上好",
    "好的👍",
    "明天几点开会？",
    "Thanks, all good now",
];
/// The requests every scenario sends: ordinary, non-urgent reports. An urgent one costs more
/// (the village is told at once, deputies are called, its card jumps the queue), so a text the
/// parser came to read as urgent would change what the figures measure; the test below keeps
/// them all read as ordinary requests.
const REQUESTS: [&str; 4] = [
    "/report 3栋楼道灯坏了，晚上看不见",
    "/report 小区门口垃圾好几天没人收",
    "/report 5号楼下水道堵了，污水流到路上",
    "/report The street light outside Block 5 is out",
];

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    /// Messages in the full-load run.
    pub messages: usize,
    /// Messages per second in the paced run.
    pub rate: u32,
    /// Length of the paced run.
    pub paced_for: Duration,
    /// Groups in the roster, each bound to its own grid with a leader; messages go round them.
    pub groups: usize,
}

/// Figures of one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Phase {
    pub messages: usize,
    /// Messages that were requests, i.e. got a reply (the latency sample).
    pub requests: usize,
    pub seconds: f64,
    pub messages_per_s: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    /// When the slowest message arrived, in seconds from the run's start: a stall shows as
    /// one slow stretch, and this says where to look in the log.
    pub latency_max_at_s: f64,
}

/// Figures of both runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub backend: String,
    /// Groups (and grids, and leaders) in the roster.
    pub groups: usize,
    pub full_load: Phase,
    pub paced_rate_per_s: u32,
    pub paced: Phase,
    /// Replies the outbox worker had delivered to the in-process platform when the runs ended.
    pub delivered: usize,
}

impl BenchReport {
    /// The lines `gridline bench` prints.
    pub fn render(&self) -> String {
        let line = |name: &str, p: &Phase| {
            format!(
                "{name}: {} messages ({} requests) in {:.2} s = {:.0} messages/s; \
                 arrival → committed reply: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (at {:.2} s)",
                p.messages,
                p.requests,
                p.seconds,
                p.messages_per_s,
                p.latency_p50_ms,
                p.latency_p99_ms,
                p.latency_max_ms,
                p.latency_max_at_s
            )
        };
        format!(
            "backend {}, {} groups in the roster\n{}\n{}\nreplies delivered to the in-process platform: {}",
            self.backend,
            self.groups,
            line("full load", &self.full_load),
            line(
                &format!("paced at {}/s", self.paced_rate_per_s),
                &self.paced
            ),
            self.delivered
        )
    }
}

fn roster(groups: usize) -> String {
    let mut csv = String::from(
        "kind,code,name,parent,level,platform,external_id,role\ngrid,BT,镇,,town,,,\ngrid,BT-V,村,BT,village,,,\n",
    );
    for g in 0..groups {
        csv.push_str(&format!("grid,BT-V-{g},网格{g},BT-V,grid,,,\ngroup,,群{g},BT-V-{g},,memory,bg{g},\nperson,BL{g},网格长{g},BT-V-{g},,memory,bl{g},leader\n"));
    }
    csv
}

fn event(n: usize, groups: usize, text: &str) -> InboundEvent {
    InboundEvent {
        platform: "memory".into(),
        account: "bench".into(),
        event_id: format!("b{n}"),
        chat: ChatRef {
            id: format!("bg{}", n % groups),
            kind: ChatKind::Group,
            title: None,
            thread: None,
        },
        sender: Sender {
            id: format!("r{}", n % 5_000),
            name: "居民".into(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: format!("bm{n}"),
            text: text.to_string(),
            reply_to: None,
            mentions: vec![],
            photos: vec![],
        },
        at: crate::store::now_millis(),
    }
}

/// The settings every scenario runs with: the given database, an HTTP listener on a free
/// loopback port, no sandbox, and nothing that depends on the time of day the bench runs
/// (quiet hours would hold replies back; a digest falling in the run would queue a notice per
/// active group).
fn settings(database_url: &str) -> anyhow::Result<Settings> {
    let mut settings = Settings::defaults()?;
    settings.database.url = Secret::new(database_url);
    settings.http.listen = "127.0.0.1:0".parse()?;
    settings.sandbox.enabled = false;
    settings.sandbox.demo_roster = false;
    settings.sla.quiet_hours = String::new();
    settings.digest.daily_at = String::new();
    settings.digest.weekly_at = String::new();
    Ok(settings)
}

/// The in-process platform the replies go to: one bot account with Telegram's per-bot limit
/// (30 messages/s), and `per_chat` limits.
fn platform(per_chat: Vec<Rate>) -> Arc<MemoryAdapter> {
    Arc::new(MemoryAdapter::new(Capabilities {
        text_limit: 4_096,
        buttons: true,
        replies: true,
        edits: false,
        private_chats: crate::platform::PrivateChats::Never,
        limits: RateLimits {
            per_chat,
            per_account: vec![Rate {
                max: 30,
                per: Duration::from_secs(1),
            }],
        },
    }))
}

/// Paced arrivals, as every scenario makes them: `count` submissions, one every `1/rate`
/// seconds, each on a task of its own so that a slow commit never delays the next arrival.
/// Returns each one's arrival time (taken just before it is handed over) and its result, in
/// order. When the bench itself falls behind (a busy machine), the missed ticks go at once and
/// the rate holds over the run; the arrival times are the real ones either way.
async fn pace<T, F>(
    rate: f64,
    count: usize,
    mut submit: impl FnMut(usize) -> F,
) -> anyhow::Result<Vec<(Instant, T)>>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
    let mut pending = Vec::with_capacity(count);
    for n in 0..count {
        ticker.tick().await;
        let at = Instant::now();
        pending.push((at, tokio::spawn(submit(n))));
    }
    let mut out = Vec::with_capacity(count);
    for (at, task) in pending {
        out.push((at, task.await?));
    }
    Ok(out)
}

/// One in `every` messages is a request, the rest chatter.
fn text_for(n: usize, every: usize) -> &'static str {
    if n.is_multiple_of(every) {
        REQUESTS[(n / every) % REQUESTS.len()]
    } else {
        CHATTER[n % CHATTER.len()]
    }
}

/// Latency percentiles (ms) over the requests in `range`: commit minus arrival.
fn phase(
    range: std::ops::Range<usize>,
    is_request: impl Fn(usize) -> bool,
    arrived: &[Option<Instant>],
    committed: &[Option<Instant>],
    started: Instant,
) -> Phase {
    let samples: Vec<(f64, Instant)> = range
        .clone()
        .filter(|n| is_request(*n))
        .filter_map(|n| {
            let (a, c) = (arrived[n]?, committed[n]?);
            Some((c.saturating_duration_since(a).as_secs_f64() * 1_000.0, a))
        })
        .collect();
    let slowest = samples
        .iter()
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map_or(f64::NAN, |(_, a)| {
            a.saturating_duration_since(started).as_secs_f64()
        });
    let mut latencies: Vec<f64> = samples.into_iter().map(|(ms, _)| ms).collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let last = committed[range.clone()]
        .iter()
        .flatten()
        .max()
        .copied()
        .unwrap_or(started);
    let seconds = last.saturating_duration_since(started).as_secs_f64();
    let messages = range.len();
    Phase {
        messages,
        requests: latencies.len(),
        seconds,
        messages_per_s: messages as f64 / seconds.max(f64::MIN_POSITIVE),
        latency_p50_ms: pick(0.50),
        latency_p99_ms: pick(0.99),
        latency_max_ms: latencies.last().copied().unwrap_or(f64::NAN),
        latency_max_at_s: slowest,
    }
}

pub async fn run(database_url: &str, opts: BenchOptions) -> anyhow::Result<BenchReport> {
    let settings = settings(database_url)?;
    let batch_max = settings.intake.batch_max;
    let memory = platform(Vec::new());
    let app = Application::build(settings, vec![memory.clone() as Arc<dyn Adapter>]).await?;
    let store = app.store();
    let intake = app.intake();
    let stop = app.shutdown_token();
    if store.inbox_counts().await?.total > 0 {
        bail!("the bench needs an empty database; {database_url} already has messages");
    }
    crate::import::import_csv(&store, roster(opts.groups).as_bytes())
        .await
        .context("bench roster")?;
    // As a daemon started with this roster has it (read in at start): the figures are those
    // of a running daemon, not of its first seconds.
    store.remember_roster().await.context("bench roster")?;
    let backend = format!("{:?}", store.backend());
    let messages = opts.messages;
    let groups = opts.groups;
    let paced = ((f64::from(opts.rate) * opts.paced_for.as_secs_f64()) as usize).max(1);
    let total = messages + paced;

    // Every engine commit tells which events it applied; event `b{n}` is message n.
    let mut commits = app.watch_commits();
    let (progress, mut seen) = tokio::sync::watch::channel(0usize);
    let collector = tokio::spawn(async move {
        let mut committed: Vec<Option<Instant>> = vec![None; total];
        let mut count = 0;
        while count < total {
            let batch = match commits.recv().await {
                Ok(b) => b,
                Err(RecvError::Lagged(k)) => bail!("the bench missed {k} commit notices"),
                Err(RecvError::Closed) => break,
            };
            for (_, _, id) in &batch.events {
                let n = id.strip_prefix('b').and_then(|n| n.parse::<usize>().ok());
                if let Some(slot) = n.and_then(|n| committed.get_mut(n))
                    && slot.is_none()
                {
                    *slot = Some(batch.at);
                    count += 1;
                }
            }
            progress.send_replace(count);
        }
        Ok(committed)
    });
    let running = tokio::spawn(app.run_until_stopped());

    // Full load: producers submit as fast as the intake takes them. Producers of 16 messages
    // keep two batches' worth (`intake.batch_max`) in flight, as a county's many bot accounts
    // would at peak: one batch is prepared while the other is written.
    let every = 4;
    let producers = (2 * batch_max).div_ceil(16).max(1);
    tracing::info!(messages, "bench: full-load run starts");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..producers {
        let intake = intake.clone();
        tasks.push(tokio::spawn(async move {
            let mut arrivals = Vec::new();
            let mut n = p;
            while n < messages {
                let mut batch = Vec::with_capacity(16);
                let mut numbers = Vec::with_capacity(16);
                while batch.len() < 16 && n < messages {
                    batch.push(event(n, groups, text_for(n, every)));
                    numbers.push(n);
                    n += producers;
                }
                let at = Instant::now();
                let stored = intake.submit(batch, None).await?;
                if stored.duplicates > 0 {
                    bail!("{} bench events were already stored", stored.duplicates);
                }
                arrivals.extend(numbers.into_iter().map(|n| (n, at)));
            }
            Ok(arrivals)
        }));
    }
    let mut arrived: Vec<Option<Instant>> = vec![None; total];
    for t in tasks {
        for (n, at) in t.await?? {
            arrived[n] = Some(at);
        }
    }
    let wait = Duration::from_secs(600);
    tokio::time::timeout(wait, seen.wait_for(|c| *c >= messages))
        .await
        .context("the full-load run did not finish")??;

    // Paced: every message a request, one every 1/rate s, each submitted on its own.
    tracing::info!(
        rate = opts.rate,
        messages = paced,
        "bench: paced run starts"
    );
    let paced_started = Instant::now();
    let submitted = pace(f64::from(opts.rate), paced, |i| {
        let n = messages + i;
        let intake = intake.clone();
        async move {
            intake
                .submit(vec![event(n, groups, REQUESTS[n % REQUESTS.len()])], None)
                .await
        }
    })
    .await?;
    for (i, (at, stored)) in submitted.into_iter().enumerate() {
        arrived[messages + i] = Some(at);
        stored?;
    }
    tokio::time::timeout(wait, seen.wait_for(|c| *c >= total))
        .await
        .context("the paced run did not finish")??;
    let committed = collector.await??;

    let full_load = phase(
        0..messages,
        |n| n % every == 0,
        &arrived,
        &committed,
        started,
    );
    let paced_phase = phase(
        messages..total,
        |_| true,
        &arrived,
        &committed,
        paced_started,
    );
    // Every request must have become a ticket: the figures are about real work.
    let tickets = store.ticket_count().await? as usize;
    let expected = full_load.requests + paced_phase.requests;
    if tickets != expected {
        bail!("{expected} requests made {tickets} tickets");
    }
    let delivered = memory.sent().len();
    stop.cancel();
    let _ = running.await;
    Ok(BenchReport {
        backend,
        groups,
        full_load,
        paced_rate_per_s: opts.rate,
        paced: paced_phase,
        delivered,
    })
}

#[cfg(test)]
mod tests {
    use super::{CHATTER, REQUESTS};
    use crate::domain::category::Urgency;
    use crate::understand::Parser;

    /// The figures of different builds compare only while the work is the same: every bench
    /// request is an ordinary request, every chatter line not a request.
    #[test]
    fn bench_messages_are_read_as_the_bench_means_them() {
        let parser = Parser::load(None).expect("parser");
        for text in REQUESTS {
            let u = parser.parse(text, false);
            assert!(u.is_request, "{text}");
            assert_eq!(u.urgency, Some(Urgency::Normal), "{text}");
        }
        for text in CHATTER {
            assert!(!parser.parse(text, false).is_request, "{text}");
        }
    }
}
