//! `gridline bench --scenario stats`: a county's year of tickets, and what supervising it costs.
//!
//! 1. Loads `--tickets` finished tickets (default 1,000,000) spread over `--days` (365) across
//!    `--groups` grids (40,000: 10 towns × 40 villages × 100 grids), in bulk through the store
//!    with their rollups ([`Store::bulk_tickets`]); with `--loaded`, measures the tickets an
//!    earlier run left in the database instead. Last of all (so that the recount's memory is
//!    not in the figures), checks the rollups against a recount of the tickets (`gridline
//!    stats --verify`'s code), the paced intake's tickets included.
//! 2. Asks `--queries` node × period questions (random nodes at every level, every period
//!    word and random ranges) through [`crate::stats::summary`] and the per-unit detail
//!    through [`crate::stats::children`]: p50/p99/max, and the process's extra memory (peak
//!    resident set over the resident set before, with the peak reset first).
//! 3. Runs a paced intake (`--rate` requests/s for `--paced-seconds`) while ten town
//!    coordinators each ask `统计 全部` in their coordinators' group once a second, all at
//!    the same moments: the intake's arrival → committed-reply p99, the coordinators'
//!    questions' arrival → commit, and how many submissions were refused.
//! 4. Signs an admin in to the console and times every page (overview, tree, report, ledger
//!    with each filter and the next page, a ticket, both letters) over loopback HTTP:
//!    p50/p99/max per page, the time from sending the request to the last byte of the answer.
//!    Once with nothing else running (before step 3), and again in rounds beside a second
//!    paced intake like step 3's, until its last reply is committed.
//! 5. Downloads an XLSX export of `--export-rows` rows (a date range of one town sized to
//!    hold about that many) and reports its peak extra memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::NaiveDate;

use crate::app::Application;
use crate::config::Settings;
use crate::domain::{Category, Rating, TicketState, Urgency};
use crate::platform::{Adapter, ChatKind, ChatRef, EventKind, InboundEvent, Sender};
use crate::store::tickets::Ticket;
use crate::store::{Store, StoreError};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const TOWNS: usize = 10;
const VILLAGES_PER_TOWN: usize = 40;
const VILLAGES: usize = TOWNS * VILLAGES_PER_TOWN;
/// Tickets written per transaction while loading.
const LOAD_BATCH: usize = 10_000;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct StatsOptions {
    pub tickets: usize,
    pub days: u32,
    pub groups: usize,
    pub queries: usize,
    pub rate: u32,
    pub paced_for: Duration,
    pub coordinators: usize,
    /// A paced intake like the measured one, coordinators asking too, run first and reported
    /// apart: a process that has just started reads its roster, fills its page caches and
    /// prepares its statements in its first second, which a daemon that has run a while is
    /// past.
    pub warmup: Duration,
    pub page_rounds: usize,
    pub export_rows: usize,
    /// The database already holds the tickets of an earlier run (same roster): measure them
    /// instead of loading.
    pub loaded: bool,
    /// Which of the measurements to make (`--parts`); the load always runs.
    pub parts: Parts,
}

/// The scenario's measurements, each of which can be left out (`--parts intake,verify`):
/// the recount alone takes minutes on a million tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub questions: bool,
    pub intake: bool,
    pub pages: bool,
    pub export: bool,
    pub verify: bool,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            questions: true,
            intake: true,
            pages: true,
            export: true,
            verify: true,
        }
    }
}

impl std::str::FromStr for Parts {
    type Err = String;

    /// `all`, or a comma-separated list of `questions`, `intake`, `pages`, `export`, `verify`.
    fn from_str(list: &str) -> Result<Parts, String> {
        if list.trim() == "all" {
            return Ok(Parts::default());
        }
        let mut parts = Parts {
            questions: false,
            intake: false,
            pages: false,
            export: false,
            verify: false,
        };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let part = match word {
                "questions" => &mut parts.questions,
                "intake" => &mut parts.intake,
                "pages" => &mut parts.pages,
                "export" => &mut parts.export,
                "verify" => &mut parts.verify,
                other => {
                    return Err(format!(
                        "unknown part `{other}`: questions, intake, pages, export, verify or all"
                    ));
                }
            };
            *part = true;
        }
        Ok(parts)
    }
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            tickets: 1_000_000,
            days: 365,
            groups: 40_000,
            queries: 1_000,
            rate: 1_000,
            paced_for: Duration::from_secs(10),
            coordinators: 10,
            warmup: Duration::from_secs(2),
            page_rounds: 20,
            export_rows: 50_000,
            loaded: false,
            parts: Parts::default(),
        }
    }
}

/// Latency figures of one kind of request, in milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    pub name: String,
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Timing {
    fn of(name: &str, mut ms: Vec<f64>) -> Timing {
        ms.sort_by(|a, b| a.total_cmp(b));
        let pick = |p: f64| {
            ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        Timing {
            name: name.to_string(),
            count: ms.len(),
            p50_ms: pick(0.50),
            p99_ms: pick(0.99),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }

    fn line(&self) -> String {
        if self.count == 0 {
            return format!("{}: not measured", self.name);
        }
        format!(
            "{}: {} × p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.name, self.count, self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

/// Everything the scenario measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatsReport {
    pub backend: String,
    pub groups: usize,
    pub tickets: usize,
    pub days: u32,
    pub load_seconds: f64,
    pub load_tickets_per_s: f64,
    pub verify_seconds: f64,
    /// None: not run (`--parts`).
    pub verify_differences: Option<usize>,
    pub summary: Timing,
    pub detail: Timing,
    /// Resident set before the questions and its peak during them, MiB.
    pub query_rss_before_mib: f64,
    pub query_rss_peak_mib: f64,
    pub intake: Timing,
    pub intake_rate: u32,
    /// The warm-up's paced intake ([`StatsOptions::warmup`]), not in `intake`.
    pub warmup_intake: Timing,
    /// Coordinators asking beside the paced intake (`--coordinators`).
    pub coordinators: usize,
    pub warmup_seconds: f64,
    pub coordinator_questions: Timing,
    /// The coordinators' questions from arrival to their answer queued in the outbox (what a
    /// coordinator waits for, before delivery).
    pub coordinator_answers: Timing,
    pub refused: usize,
    /// The pages with nothing else running (before the paced intake).
    pub pages: Vec<Timing>,
    pub pages_all: Timing,
    /// The second paced intake (coordinators asking too) the pages below ran beside.
    pub busy_intake: Timing,
    pub busy_refused: usize,
    /// The pages again, in rounds until that intake's last reply was committed.
    pub pages_beside_intake: Vec<Timing>,
    pub pages_beside_intake_all: Timing,
    pub export_rows: i64,
    pub export_bytes: usize,
    pub export_seconds: f64,
    pub export_rss_before_mib: f64,
    pub export_rss_peak_mib: f64,
}

impl StatsReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "backend {}, {} grids, {} tickets over {} days\n\
             load: {:.1} s = {:.0} tickets/s with rollups; verify (after the run): {}\n\
             node × period questions (rollups): {}\n\
             per-unit detail (rollups): {}\n\
             memory while asking: resident {:.1} MiB before, peak {:.1} MiB (+{:.1} MiB)\n\
             warm-up, not in the figures below ({:.0} s of the same): {}\n\
             paced intake at {}/s while {} coordinators ask 统计 全部 every second: {}; refused {}\n\
             coordinators' 统计 全部, arrival → question recorded: {}\n\
             coordinators' 统计 全部, arrival → answer queued: {}\n\
             console pages, nothing else running (server time over loopback): {}\n",
            self.backend,
            self.groups,
            self.tickets,
            self.days,
            self.load_seconds,
            self.load_tickets_per_s,
            match self.verify_differences {
                Some(n) => format!("{n} differences ({:.1} s)", self.verify_seconds),
                None => "not run".to_string(),
            },
            self.summary.line(),
            self.detail.line(),
            self.query_rss_before_mib,
            self.query_rss_peak_mib,
            self.query_rss_peak_mib - self.query_rss_before_mib,
            self.warmup_seconds,
            self.warmup_intake.line(),
            self.intake_rate,
            self.coordinators,
            self.intake.line(),
            self.refused,
            self.coordinator_questions.line(),
            self.coordinator_answers.line(),
            self.pages_all.line(),
        );
        for p in &self.pages {
            out.push_str(&format!("  {}\n", p.line()));
        }
        out.push_str(&format!(
            "console pages beside a second paced intake ({}; refused {}): {}\n",
            self.busy_intake.line(),
            self.busy_refused,
            self.pages_beside_intake_all.line()
        ));
        for p in &self.pages_beside_intake {
            out.push_str(&format!("  {}\n", p.line()));
        }
        if self.export_rows == 0 {
            out.push_str("XLSX export: not measured");
            return out;
        }
        out.push_str(&format!(
            "XLSX export: {} rows, {:.1} MiB in {:.1} s; resident {:.1} MiB before, peak {:.1} MiB (+{:.1} MiB)",
            self.export_rows,
            self.export_bytes as f64 / 1_048_576.0,
            self.export_seconds,
            self.export_rss_before_mib,
            self.export_rss_peak_mib,
            self.export_rss_peak_mib - self.export_rss_before_mib
        ));
        out
    }
}

/// `(VmRSS, VmHWM)` of this process in MiB (Linux; zeros elsewhere).
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak resident set to the current one (Linux `clear_refs` 5), so that the peak
/// read afterwards belongs to what ran in between.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn town_code(t: usize) -> String {
    format!("T{t}")
}

fn village_of(grid: usize) -> usize {
    grid % VILLAGES
}

fn village_code(v: usize) -> String {
    format!("T{}-V{v}", v / VILLAGES_PER_TOWN)
}

fn grid_code(g: usize) -> String {
    format!("{}-G{g}", village_code(village_of(g)))
}

/// Towns, villages and grids, a group and a leader per grid, a coordinator and a
/// coordinators' group per town, one admin.
fn roster(groups: usize) -> String {
    let mut csv = String::from("kind,code,name,parent,level,platform,external_id,role\n");
    for t in 0..TOWNS {
        csv.push_str(&format!(
            "grid,{},镇{t},,town,,,\ngroup,,镇{t}协调群,{},,memory,ctg{t},\nperson,CT{t},镇{t}协调员,{},,memory,ct{t},coordinator\n",
            town_code(t),
            town_code(t),
            town_code(t)
        ));
    }
    for v in 0..VILLAGES {
        csv.push_str(&format!(
            "grid,{},村{v},{},village,,,\n",
            village_code(v),
            town_code(v / VILLAGES_PER_TOWN)
        ));
    }
    for g in 0..groups {
        let code = grid_code(g);
        csv.push_str(&format!(
            "grid,{code},网格{g},{},grid,,,\ngroup,,群{g},{code},,memory,bg{g},\nperson,BL{g},网格长{g},{code},,memory,bl{g},leader\n",
            village_code(village_of(g))
        ));
    }
    csv.push_str("person,A0,管理员,,,memory,admin0,admin\n");
    csv
}

const BODIES: [&str; 6] = [
    "楼道灯坏了，晚上看不见",
    "门口垃圾好几天没人收",
    "下水道堵了，污水漫出来",
    "路面有个大坑，电动车差点摔倒",
    "树枝快断了，悬在人行道上",
    "独居老人好几天没见出门",
];

/// A finished ticket as a year of real use would leave it: most closed, some rated, some
/// still open or late, a few dismissed, reopened or escalated.
fn ticket(
    i: usize,
    grid: usize,
    no: i64,
    created: i64,
    now: i64,
    rng: &mut fastrand::Rng,
) -> Ticket {
    let category = Category::ALL
        [(rng.f64().powi(2) * Category::ALL.len() as f64) as usize % Category::ALL.len()];
    let urgency = if rng.u8(..100) < 4 {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    let (claim_in, resolve_in) = match urgency {
        Urgency::Urgent => (15 * 60_000, 4 * HOUR_MS),
        Urgency::Normal => (2 * HOUR_MS, 72 * HOUR_MS),
    };
    let claim_due = created + claim_in;
    let resolve_due = created + resolve_in;
    let mut t = Ticket {
        id: 0,
        grid: grid_code(grid),
        no,
        platform: "memory".into(),
        account: "bench".into(),
        chat_id: format!("bg{grid}"),
        thread: None,
        source_message_id: format!("load{i}"),
        reporter_id: format!("r{}", i % 5_000),
        reporter_name: "居民".into(),
        category,
        urgency,
        location: Some(format!("{}栋", i % 30 + 1)),
        body: BODIES[i % BODIES.len()].to_string(),
        assignee: Some(format!("BL{grid}")),
        state: TicketState::Open,
        created_at: created,
        first_response_at: None,
        claimed_at: None,
        resolved_at: None,
        closed_at: None,
        claim_due,
        resolve_due,
        rating: None,
        ratings: crate::domain::Ratings::default(),
        duplicate_of: None,
        updated_at: created,
        escalated: None,
        reopened: 0,
        extensions: 0,
    };
    if rng.u8(..100) < 3 {
        let at = (created + rng.i64(60_000..HOUR_MS)).min(now);
        t.state = TicketState::Dismissed;
        t.first_response_at = Some(at);
        t.updated_at = at;
        return t;
    }
    // Claimed after 1 minute to ~10 hours (most within the 2 hours), resolved 1 hour to
    // ~5 days later.
    let claimed = created + 60_000 + (rng.f64().powi(3) * 10.0 * HOUR_MS as f64) as i64;
    let resolved = claimed + HOUR_MS + (rng.f64().powi(2) * 120.0 * HOUR_MS as f64) as i64;
    if claimed > now {
        if now > claim_due {
            t.escalated = Some("village".into());
            t.updated_at = claim_due;
        }
        return t;
    }
    t.first_response_at = Some(claimed);
    t.claimed_at = Some(claimed);
    t.updated_at = claimed;
    if claimed > claim_due {
        t.escalated = Some("village".into());
    }
    if resolved > now {
        t.state = TicketState::Claimed;
        if now > resolve_due {
            t.escalated = Some("village".into());
            t.updated_at = resolve_due.max(claimed);
        }
        return t;
    }
    t.resolved_at = Some(resolved);
    t.updated_at = resolved;
    if rng.u8(..100) < 2 {
        t.reopened = 1;
    }
    let rated_by = resolved + rng.i64(HOUR_MS..2 * DAY_MS);
    let closes = resolved + 3 * DAY_MS;
    if rng.u8(..100) < 60 && rated_by <= now {
        let r = rng.u8(..100);
        let rating = if r < 85 {
            Rating::Satisfied
        } else if r < 95 {
            Rating::Neutral
        } else {
            Rating::Unsatisfied
        };
        t.rating = Some(rating);
        t.ratings = crate::domain::Ratings::one(rating);
        t.state = TicketState::Closed;
        t.closed_at = Some(rated_by);
        t.updated_at = rated_by;
    } else if closes <= now {
        t.state = TicketState::Closed;
        t.closed_at = Some(closes);
        t.updated_at = closes;
    } else {
        t.state = TicketState::Resolved;
    }
    t
}

/// Loads the tickets in batches; returns the seconds it took.
async fn load(store: &Store, opts: &StatsOptions, now: i64) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(20_261_205);
    let mut numbers = vec![0i64; opts.groups];
    let span = i64::from(opts.days) * DAY_MS;
    let first = now - span;
    let mut batch = Vec::with_capacity(LOAD_BATCH);
    for i in 0..opts.tickets {
        // In time order, as they would have arrived; numbered per grid in that order.
        let created = first + (i as i64 * span) / opts.tickets as i64 + rng.i64(0..1_000);
        let grid = rng.usize(..opts.groups);
        numbers[grid] += 1;
        let t = ticket(i, grid, numbers[grid], created, now, &mut rng);
        batch.push((t, -(i as i64) - 1));
        if batch.len() == LOAD_BATCH {
            load_batch(store, &batch).await?;
            batch.clear();
            if (i + 1) % 100_000 == 0 {
                tracing::info!(tickets = i + 1, "bench: tickets loaded");
            }
        }
    }
    if !batch.is_empty() {
        load_batch(store, &batch).await?;
    }
    store.bulk_ticket_numbers().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// One batch of the load, tried again while the database is busy: on a loaded host a WAL
/// checkpoint can hold the write turn past the store's 5 s wait, and the batch, written in
/// one transaction, is then not written at all.
async fn load_batch(store: &Store, batch: &[(Ticket, i64)]) -> anyhow::Result<()> {
    const TRIES: u32 = 10;
    let mut attempt = 1;
    loop {
        match store.bulk_tickets(batch).await {
            Err(StoreError::Unavailable(why)) if attempt < TRIES => {
                tracing::warn!(attempt, %why, "bench: a load batch waits for the database");
                tokio::time::sleep(Duration::from_secs(1)).await;
                attempt += 1;
            }
            done => return done.context("bulk tickets"),
        }
    }
}

/// The period words and ranges the questions pick from.
fn periods(today: NaiveDate, days: u32, rng: &mut fastrand::Rng) -> String {
    const WORDS: [&str; 13] = [
        "今天",
        "昨天",
        "本周",
        "上周",
        "本月",
        "上月",
        "本季度",
        "上季度",
        "今年",
        "去年",
        "近7天",
        "近30天",
        "全部",
    ];
    if rng.bool() {
        return WORDS[rng.usize(..WORDS.len())].to_string();
    }
    let back = |n: u32| today - chrono::Duration::days(i64::from(n));
    let a = back(rng.u32(..days.max(1)));
    let b = back(rng.u32(..days.max(1)));
    let (from, to) = if a <= b { (a, b) } else { (b, a) };
    format!("{}..{}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
}

/// A node at a random level: the whole tree, a town, a village or a grid.
fn node(groups: usize, rng: &mut fastrand::Rng) -> String {
    match rng.u8(..4) {
        0 => "*".into(),
        1 => town_code(rng.usize(..TOWNS)),
        2 => village_code(rng.usize(..VILLAGES)),
        _ => grid_code(rng.usize(..groups)),
    }
}

async fn questions(
    store: &Store,
    settings: &Settings,
    opts: &StatsOptions,
    today: NaiveDate,
) -> anyhow::Result<(Timing, Timing)> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut summary = Vec::with_capacity(opts.queries);
    let mut detail = Vec::with_capacity(opts.queries / 4);
    for q in 0..opts.queries {
        let node = node(opts.groups, &mut rng);
        let span = crate::stats::period::parse(&periods(today, opts.days, &mut rng), today)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let at = Instant::now();
        let s = crate::stats::summary(store, &node, &span).await?;
        summary.push(at.elapsed().as_secs_f64() * 1_000.0);
        std::hint::black_box(s);
        if q % 4 == 0 {
            let at = Instant::now();
            let c = crate::stats::children(store, &node, &span, &settings.stats).await?;
            detail.push(at.elapsed().as_secs_f64() * 1_000.0);
            std::hint::black_box(c);
        }
    }
    Ok((Timing::of("summary", summary), Timing::of("detail", detail)))
}

fn event(id: String, chat: String, sender: &str, text: &str) -> InboundEvent {
    InboundEvent {
        platform: "memory".into(),
        account: "bench".into(),
        event_id: id.clone(),
        chat: ChatRef {
            id: chat,
            kind: ChatKind::Group,
            title: None,
            thread: None,
        },
        sender: Sender {
            id: sender.to_string(),
            name: "居民".into(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: id,
            text: text.to_string(),
            reply_to: None,
            mentions: vec![],
            photos: vec![],
        },
        at: crate::store::now_millis(),
    }
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// What the scenario keeps of the application once it runs.
struct Handles {
    intake: crate::intake::Intake,
    commits: tokio::sync::broadcast::Receiver<Arc<crate::engine::Committed>>,
    answers: tokio::sync::broadcast::Receiver<Arc<crate::engine::Answered>>,
    addr: std::net::SocketAddr,
    store: Store,
}

/// The paced intake with coordinators asking beside it.
async fn intake_under_questions(
    app: &Handles,
    opts: &StatsOptions,
) -> anyhow::Result<(Timing, Timing, Timing, usize)> {
    let intake = app.intake.clone();
    // Questions an earlier run left are answered first: wait, so that every answer from now
    // on is one of this run's.
    let deadline = Instant::now() + Duration::from_secs(120);
    while app.store.questions_waiting().await? > 0 {
        if Instant::now() > deadline {
            bail!("questions of an earlier run still waiting after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Answers queued, per chat, in order: a chat's answers come in the order of its questions.
    let mut answers = app.answers.resubscribe();
    let answered: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let answer_collector = {
        let answered = answered.clone();
        tokio::spawn(async move {
            loop {
                match answers.recv().await {
                    Ok(a) => answered
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(a.chat.clone())
                        .or_default()
                        .push(a.at),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };
    let mut commits = app.commits.resubscribe();
    let committed: Arrivals = Arc::default();
    let seen = committed.clone();
    let collector = tokio::spawn(async move {
        loop {
            match commits.recv().await {
                Ok(batch) => {
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    for (_, _, id) in &batch.events {
                        seen.entry(id.clone()).or_insert(batch.at);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let arrived: Arrivals = Arc::default();
    // Event ids of this run: a database an earlier run left (`--loaded`) has that run's.
    let run = crate::store::now_millis();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    // Coordinators: each asks once a second, all at the same moments.
    let mut askers = Vec::new();
    for c in 0..opts.coordinators {
        let (intake, arrived, refused, stop) = (
            intake.clone(),
            arrived.clone(),
            refused.clone(),
            stop.clone(),
        );
        let town = c % TOWNS;
        askers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut n = 0;
            while !stop.is_cancelled() {
                tick.tick().await;
                let id = format!("q{run}-{c}-{n}");
                n += 1;
                arrived
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone(), Instant::now());
                let e = event(id, format!("ctg{town}"), &format!("ct{town}"), "统计 全部");
                if intake.submit(vec![e], None).await.is_err() {
                    refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    let paced = ((f64::from(opts.rate) * opts.paced_for.as_secs_f64()) as usize).max(1);
    let groups = opts.groups;
    let submitted = super::pace(f64::from(opts.rate), paced, |n| {
        let grid = (n * 7_919) % groups;
        let e = event(
            format!("p{run}-{n}"),
            format!("bg{grid}"),
            &format!("r{}", n % 5_000),
            super::REQUESTS[n % super::REQUESTS.len()],
        );
        let intake = intake.clone();
        async move { intake.submit(vec![e], None).await.is_ok() }
    })
    .await?;
    {
        let mut arrived = arrived.lock().unwrap_or_else(|e| e.into_inner());
        for (n, (at, stored)) in submitted.into_iter().enumerate() {
            arrived.insert(format!("p{run}-{n}"), at);
            if !stored {
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    stop.cancel();
    for a in askers {
        a.await?;
    }
    // Every submission answered: wait for the last commits.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let all = {
            let arrived = arrived.lock().unwrap_or_else(|e| e.into_inner());
            let committed = committed.lock().unwrap_or_else(|e| e.into_inner());
            arrived.keys().all(|k| committed.contains_key(k))
        };
        if all {
            break;
        }
        if Instant::now() > deadline {
            bail!("the paced run's messages were not all committed within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    collector.abort();
    // Every question answered: wait for the answers (the coordinators' group, or the
    // coordinator's private chat when the answer goes there).
    let asked = |c: usize| -> Vec<Instant> {
        let arrived = arrived.lock().unwrap_or_else(|e| e.into_inner());
        let mut at: Vec<(usize, Instant)> = arrived
            .iter()
            .filter_map(|(k, a)| {
                let rest = k.strip_prefix(&format!("q{run}-{c}-"))?;
                Some((rest.parse().ok()?, *a))
            })
            .collect();
        at.sort_by_key(|(n, _)| *n);
        at.into_iter().map(|(_, a)| a).collect()
    };
    let answers_of = |c: usize| -> Vec<Instant> {
        let town = c % TOWNS;
        let answered = answered.lock().unwrap_or_else(|e| e.into_inner());
        [format!("ctg{town}"), format!("ct{town}")]
            .iter()
            .filter_map(|chat| answered.get(chat).cloned())
            .flatten()
            .collect()
    };
    loop {
        if (0..opts.coordinators).all(|c| answers_of(c).len() >= asked(c).len()) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the coordinators' questions were not all answered within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    answer_collector.abort();
    let mut waited = Vec::new();
    for c in 0..opts.coordinators {
        for (q, a) in asked(c).iter().zip(answers_of(c)) {
            waited.push(a.saturating_duration_since(*q).as_secs_f64() * 1_000.0);
        }
    }
    let arrived = arrived.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let committed = committed.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let latency = |prefix: &str| -> Vec<f64> {
        arrived
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .filter_map(|(k, a)| {
                committed
                    .get(k)
                    .map(|c| c.saturating_duration_since(*a).as_secs_f64() * 1_000.0)
            })
            .collect()
    };
    Ok((
        Timing::of("intake", latency("p")),
        Timing::of("统计 全部", latency("q")),
        Timing::of("统计 全部", waited),
        refused.load(std::sync::atomic::Ordering::Relaxed),
    ))
}

/// An HTTP client signed in to the console as the admin.
async fn console_client(
    app: &Handles,
    settings: &Settings,
) -> anyhow::Result<(reqwest::Client, String, String)> {
    let store = &app.store;
    let base = format!("http://{}", app.addr);
    let link = crate::console::auth::issue_link(store, settings, "A0", crate::store::now_millis())
        .await
        .map_err(|e| anyhow::anyhow!("console link: {e}"))?;
    let token = link
        .split("token=")
        .nth(1)
        .context("a token in the console link")?
        .to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(300))
        .build()?;
    let resp = http
        .get(format!("{base}/console/login?token={token}"))
        .send()
        .await?;
    let cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("the console set no session cookie")?
        .to_string();
    Ok((http, base, cookie))
}

/// Times one GET; fails on anything but 200.
async fn timed(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(f64, String)> {
    let at = Instant::now();
    let resp = http
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = resp.status();
    let body = resp.text().await?;
    let ms = at.elapsed().as_secs_f64() * 1_000.0;
    if status != reqwest::StatusCode::OK {
        bail!(
            "{path} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        );
    }
    Ok((ms, body))
}

/// Times `opts.page_rounds` rounds of every page; with `until`, rounds go on until it is
/// cancelled instead (at least one).
async fn time_pages(
    app: &Handles,
    settings: &Settings,
    opts: &StatsOptions,
    seed: u64,
    until: Option<&tokio_util::sync::CancellationToken>,
) -> anyhow::Result<(Vec<Timing>, Timing)> {
    let (http, base, cookie) = console_client(app, settings).await?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let periods = ["month", "last_month", "30d", "quarter", "year", "all"];
    let mut kinds: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut all = Vec::new();
    let levels = |rng: &mut fastrand::Rng| match rng.u8(..4) {
        0 => String::new(),
        1 => town_code(rng.usize(..TOWNS)),
        2 => village_code(rng.usize(..VILLAGES)),
        _ => grid_code(rng.usize(..opts.groups)),
    };
    for round in 0.. {
        let done = match until {
            Some(until) => round > 0 && until.is_cancelled(),
            None => round >= opts.page_rounds,
        };
        if done {
            break;
        }
        let node = levels(&mut rng);
        let period = periods[rng.usize(..periods.len())];
        let grid = grid_code(rng.usize(..opts.groups));
        let town = town_code(rng.usize(..TOWNS));
        let village = village_code(rng.usize(..VILLAGES));
        let category = Category::ALL[rng.usize(..Category::ALL.len())].id();
        let mut paths: Vec<(&str, String)> = vec![
            ("overview", format!("/console?node={node}&period={period}")),
            ("tree", format!("/console/tree?node={node}&period={period}")),
            (
                "report",
                format!("/console/report?node={node}&period={period}"),
            ),
            ("ledger", "/console/ledger".to_string()),
            ("ledger town", format!("/console/ledger?node={town}")),
            ("ledger village", format!("/console/ledger?node={village}")),
            ("ledger grid", format!("/console/ledger?node={grid}")),
            (
                "ledger period",
                format!("/console/ledger?node={node}&period={period}"),
            ),
            (
                "ledger category",
                format!("/console/ledger?node={node}&category={category}"),
            ),
            (
                "ledger state",
                format!("/console/ledger?node={node}&state=open"),
            ),
            (
                "ledger overdue",
                format!("/console/ledger?node={node}&overdue=1"),
            ),
            (
                "ledger overdue oldest",
                format!("/console/ledger?node={node}&overdue=1&sort=oldest"),
            ),
            (
                "ledger open oldest",
                format!("/console/ledger?node={node}&state=open&sort=oldest"),
            ),
            (
                "ledger urgent",
                format!("/console/ledger?node={node}&urgency=urgent"),
            ),
            (
                "ledger rating",
                format!("/console/ledger?node={node}&rating=unsatisfied"),
            ),
            (
                "ledger oldest",
                format!("/console/ledger?node={node}&sort=oldest"),
            ),
            (
                "ledger words",
                format!("/console/ledger?node={village}&q=%E5%9E%83%E5%9C%BE"),
            ),
            ("letter grid", format!("/console/letters/grid/{grid}")),
        ];
        // The next page of the ledger, and a ticket and its letter from the first page.
        let (ms, first) = timed(
            &http,
            &base,
            &cookie,
            &format!("/console/ledger?node={node}"),
        )
        .await?;
        all.push(ms);
        match kinds.iter_mut().find(|(k, _)| *k == "ledger") {
            Some((_, v)) => v.push(ms),
            None => kinds.push(("ledger", vec![ms])),
        }
        if let Some(next) = first
            .find(r#"id="next-page""#)
            .and_then(|at| first[..at].rfind("href=\"").map(|h| h + 6))
            .and_then(|h| first[h..].split('"').next())
        {
            paths.push(("ledger next page", next.replace("&amp;", "&")));
        }
        if let Some(href) = first
            .find(r#"<td class="num"><a href=""#)
            .map(|at| at + r#"<td class="num"><a href=""#.len())
            .and_then(|h| first[h..].split('"').next())
        {
            paths.push(("ticket", href.to_string()));
            paths.push((
                "letter ticket",
                href.replacen("/console/tickets/", "/console/letters/ticket/", 1),
            ));
        }
        for (kind, path) in paths {
            let (ms, _) = timed(&http, &base, &cookie, &path).await?;
            all.push(ms);
            match kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, v)) => v.push(ms),
                None => kinds.push((kind, vec![ms])),
            }
        }
    }
    let timings = kinds.into_iter().map(|(k, v)| Timing::of(k, v)).collect();
    Ok((timings, Timing::of("every page", all)))
}

/// Downloads an XLSX of about `rows` rows; `(rows, bytes, seconds, rss before, peak)`.
async fn export(
    app: &Handles,
    settings: &Settings,
    opts: &StatsOptions,
    today: NaiveDate,
) -> anyhow::Result<(i64, usize, f64, f64, f64)> {
    let store = &app.store;
    // One town's tickets over enough days to hold about the rows asked for.
    let town = town_code(0);
    let per_day = (opts.tickets as f64 / TOWNS as f64 / f64::from(opts.days.max(1))).max(1.0);
    let days = ((opts.export_rows as f64 / per_day).ceil() as i64).clamp(1, i64::from(opts.days));
    let from = today - chrono::Duration::days(days - 1);
    let span = crate::stats::period::parse(
        &format!("{}..{}", from.format("%Y-%m-%d"), today.format("%Y-%m-%d")),
        today,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = crate::stats::summary(store, &town, &span).await?.received;
    let (http, base, cookie) = console_client(app, settings).await?;
    let path = format!(
        "/console/ledger.xlsx?node={town}&from={}&to={}",
        from.format("%Y-%m-%d"),
        today.format("%Y-%m-%d")
    );
    let (before, _) = rss();
    reset_peak();
    let at = Instant::now();
    let mut resp = http
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await?;
    if resp.status() != reqwest::StatusCode::OK {
        bail!("{path} answered {}", resp.status());
    }
    let mut bytes = 0;
    while let Some(chunk) = resp.chunk().await? {
        bytes += chunk.len();
    }
    let seconds = at.elapsed().as_secs_f64();
    let (_, peak) = rss();
    Ok((rows, bytes, seconds, before, peak))
}

pub async fn run(database_url: &str, opts: StatsOptions) -> anyhow::Result<StatsReport> {
    let settings = super::settings(database_url)?;
    let memory = super::platform(Vec::new());
    let app =
        Application::build(settings.clone(), vec![memory.clone() as Arc<dyn Adapter>]).await?;
    let store = app.store();
    let had = store.ticket_count().await?;
    if had > 0 && !opts.loaded {
        bail!("the bench needs an empty database; {database_url} already has tickets");
    }
    if had == 0 && opts.loaded {
        bail!("--loaded: {database_url} has no tickets to measure");
    }
    let zone = settings.general.timezone.0;
    let now = crate::store::now_millis();
    let today = crate::stats::today(now, zone);
    let load_seconds = if opts.loaded {
        tracing::info!(tickets = had, "bench: measuring the tickets already loaded");
        0.0
    } else {
        crate::import::import_csv(&store, roster(opts.groups).as_bytes())
            .await
            .context("bench roster")?;
        store.remember_roster().await.context("bench roster")?;
        tracing::info!(tickets = opts.tickets, "bench: loading tickets");
        let seconds = load(&store, &opts, now).await?;
        store.analyze().await?;
        seconds
    };
    if opts.loaded {
        store.remember_roster().await.context("bench roster")?;
    }

    let stop = app.shutdown_token();
    let handles = Handles {
        intake: app.intake(),
        commits: app.watch_commits(),
        answers: app.watch_answers(),
        addr: app.local_addr(),
        store: store.clone(),
    };
    let running = tokio::spawn(app.run_until_stopped());
    let app = &handles;

    let parts = opts.parts;
    let none = |name: &str| Timing::of(name, Vec::new());
    let (rss_before, rss_peak, summary, detail) = if parts.questions {
        tracing::info!("bench: node × period questions");
        let (rss_before, _) = rss();
        reset_peak();
        let (summary, detail) = questions(&store, &settings, &opts, today).await?;
        let (_, rss_peak) = rss();
        (rss_before, rss_peak, summary, detail)
    } else {
        (0.0, 0.0, none("summary"), none("detail"))
    };

    let (pages, pages_all) = if parts.pages {
        tracing::info!("bench: console pages");
        time_pages(app, &settings, &opts, 11, None).await?
    } else {
        (Vec::new(), none("all pages"))
    };

    let warmup_intake = if parts.intake && !opts.warmup.is_zero() {
        tracing::info!("bench: warm-up");
        let warmup = StatsOptions {
            paced_for: opts.warmup,
            ..opts
        };
        intake_under_questions(app, &warmup).await?.0
    } else {
        none("intake")
    };
    let (intake, coordinator_questions, coordinator_answers, refused) = if parts.intake {
        tracing::info!("bench: paced intake while coordinators ask");
        intake_under_questions(app, &opts).await?
    } else {
        (none("intake"), none("统计 全部"), none("统计 全部"), 0)
    };

    // The same pages again while a second paced intake runs (the coordinators asking too):
    // what a coordinator reading the console at the county's busiest moment waits.
    let (busy_intake, busy_refused, pages_beside_intake, pages_beside_intake_all) =
        if parts.pages && parts.intake {
            tracing::info!("bench: console pages beside a paced intake");
            let paced_done = tokio_util::sync::CancellationToken::new();
            let (busy_intake, busy_pages) = tokio::join!(
                async {
                    let r = intake_under_questions(app, &opts).await;
                    paced_done.cancel();
                    r
                },
                time_pages(app, &settings, &opts, 12, Some(&paced_done)),
            );
            let (busy_intake, _, _, busy_refused) = busy_intake?;
            let (pages, all) = busy_pages?;
            (busy_intake, busy_refused, pages, all)
        } else {
            (none("intake"), 0, Vec::new(), none("all pages"))
        };

    let (export_rows, export_bytes, export_seconds, export_rss_before_mib, export_rss_peak_mib) =
        if parts.export {
            tracing::info!("bench: XLSX export");
            export(app, &settings, &opts, today).await?
        } else {
            (0, 0, 0.0, 0.0, 0.0)
        };

    // Last, so that what the recount holds in memory (every node's figures rebuilt from the
    // tickets) is not in the resident set the figures above measure. It covers the tickets
    // the paced intake opened too. (Before the stop, which closes the store.)
    let at = Instant::now();
    let verified = if parts.verify {
        tracing::info!("bench: verifying the rollups against the tickets");
        Some(store.verify_rollups(zone, 10).await)
    } else {
        None
    };
    let verify_seconds = at.elapsed().as_secs_f64();
    stop.cancel();
    let _ = running.await;
    let verify_differences = match verified {
        Some(v) => Some(v?.0),
        None => None,
    };
    Ok(StatsReport {
        backend: format!("{:?}", store.backend()),
        groups: opts.groups,
        tickets: if opts.loaded {
            had as usize
        } else {
            opts.tickets
        },
        days: opts.days,
        load_seconds,
        load_tickets_per_s: if opts.loaded {
            0.0
        } else {
            opts.tickets as f64 / load_seconds.max(f64::MIN_POSITIVE)
        },
        verify_seconds,
        verify_differences,
        summary,
        detail,
        query_rss_before_mib: rss_before,
        query_rss_peak_mib: rss_peak,
        intake,
        intake_rate: opts.rate,
        warmup_intake,
        warmup_seconds: opts.warmup.as_secs_f64(),
        coordinators: opts.coordinators,
        coordinator_questions,
        coordinator_answers,
        refused,
        pages,
        pages_all,
        busy_intake,
        busy_refused,
        pages_beside_intake,
        pages_beside_intake_all,
        export_rows,
        export_bytes,
        export_seconds,
        export_rss_before_mib,
        export_rss_peak_mib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(coordinators: usize, parts: &str) -> StatsOptions {
        StatsOptions {
            tickets: 2_000,
            days: 10,
            groups: 400,
            queries: 20,
            rate: 100,
            paced_for: Duration::from_secs(2),
            coordinators,
            warmup: Duration::from_secs(1),
            parts: parts.parse().expect("parts"),
            ..Default::default()
        }
    }

    /// The scenario end to end at a small size: the load, the questions and the paced intake
    /// with coordinators asking are measured, every submission and question accounted for.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_scenario_measures_what_it_reports() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/stats.db", dir.path().display());
        let report = run(&url, small(3, "questions,intake,verify"))
            .await
            .expect("scenario");
        assert_eq!(report.tickets, 2_000);
        assert_eq!(report.summary.count, 20);
        assert_eq!(report.intake.count, 200, "every paced submission measured");
        assert_eq!(
            report.warmup_intake.count, 100,
            "the warm-up reported apart"
        );
        assert_eq!(report.refused, 0);
        // Three coordinators, about once a second each for two seconds.
        assert!(report.coordinator_questions.count >= 3, "{report:?}");
        assert_eq!(
            report.coordinator_answers.count, report.coordinator_questions.count,
            "every question answered"
        );
        assert_eq!(
            report.verify_differences,
            Some(0),
            "rollups equal the recount"
        );
        let text = report.render();
        assert!(text.contains("while 3 coordinators ask"), "{text}");
    }

    /// `--coordinators 0` measures the intake alone on the same database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_coordinators_the_intake_is_measured_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/stats.db", dir.path().display());
        let report = run(&url, small(0, "intake")).await.expect("scenario");
        assert_eq!(report.intake.count, 200);
        assert_eq!(report.coordinator_questions.count, 0);
        assert_eq!(report.coordinator_answers.count, 0);
        assert!(
            report
                .render()
                .contains("while 0 coordinators ask 统计 全部 every second"),
            "{}",
            report.render()
        );
    }
}
