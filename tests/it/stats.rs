//! Statistics: rollups against a brute-force count over random ticket histories (both
//! backends), and the rebuild from the tickets.

use std::collections::HashMap;
use std::time::Duration;

use gridline::domain::rollup::{self, COUNTERS, Counts};
use gridline::domain::{Category, Rating, Ratings, TicketState, Urgency};
use gridline::store::Store;
use gridline::store::tickets::{NewTicket, Ticket};

use crate::support::{Db, ROSTER, database_url};

const DAY: i64 = 86_400_000;
const H: i64 = 3_600_000;
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;
const ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const GRIDS: [&str; 3] = ["T1-V1-G1", "T1-V1-G2", "T1-V1"];
const NODES: [&str; 5] = ["*", "T1", "T1-V1", "T1-V1-G1", "T1-V1-G2"];

async fn store(db: Db, dir: &tempfile::TempDir) -> Store {
    let url = database_url(db, dir).await;
    let store = Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("store");
    store.ensure_rollups(ZONE).await.expect("rollups");
    gridline::import::import_csv(&store, ROSTER.as_bytes())
        .await
        .expect("roster");
    store
}

fn new_ticket(rng: &mut fastrand::Rng, inbox_id: i64) -> NewTicket {
    let created_at = START + rng.i64(0..400 * DAY);
    let urgency = if rng.u8(0..4) == 0 {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    NewTicket {
        grid: GRIDS[rng.usize(0..GRIDS.len())].to_string(),
        platform: "memory".into(),
        account: String::new(),
        chat_id: "g1".into(),
        thread: None,
        source_message_id: format!("m{inbox_id}"),
        inbox_id,
        reporter_id: "res1".into(),
        reporter_name: "王芳".into(),
        category: Category::ALL[rng.usize(0..Category::ALL.len())],
        urgency,
        location: None,
        body: "路灯坏了".into(),
        assignee: None,
        created_at,
        claim_due: created_at + 2 * H,
        resolve_due: created_at + 72 * H,
        duplicate_of: None,
    }
}

/// The stored row a new ticket becomes.
fn as_stored((id, no): (i64, i64), t: &NewTicket) -> Ticket {
    Ticket {
        id,
        no,
        grid: t.grid.clone(),
        platform: t.platform.clone(),
        account: t.account.clone(),
        chat_id: t.chat_id.clone(),
        thread: None,
        source_message_id: t.source_message_id.clone(),
        reporter_id: t.reporter_id.clone(),
        reporter_name: t.reporter_name.clone(),
        category: t.category,
        urgency: t.urgency,
        location: None,
        body: t.body.clone(),
        assignee: None,
        state: TicketState::Open,
        created_at: t.created_at,
        first_response_at: None,
        claimed_at: None,
        resolved_at: None,
        closed_at: None,
        claim_due: t.claim_due,
        resolve_due: t.resolve_due,
        rating: None,
        ratings: Ratings::default(),
        duplicate_of: None,
        updated_at: t.created_at,
        escalated: None,
        reopened: 0,
        extensions: 0,
    }
}

/// Any change a ticket's life could bring, at random (including ones the engine never makes:
/// the rollups must follow the row whatever it says).
fn later(rng: &mut fastrand::Rng, at: i64) -> i64 {
    at + rng.i64(0..6 * DAY)
}

fn mutate(rng: &mut fastrand::Rng, t: &mut Ticket) {
    t.updated_at = later(rng, t.updated_at);
    t.state = TicketState::ALL[rng.usize(0..5)];
    if rng.bool() {
        t.first_response_at = t.first_response_at.or(Some(later(rng, t.created_at)));
    }
    match rng.u8(0..4) {
        0 => t.claimed_at = None,
        1 => t.claimed_at = Some(later(rng, t.created_at)),
        _ => {}
    }
    match rng.u8(0..4) {
        0 => t.resolved_at = None,
        1 => t.resolved_at = Some(later(rng, t.created_at)),
        _ => {}
    }
    t.rating = match rng.u8(0..5) {
        0 => Some(Rating::Satisfied),
        1 => Some(Rating::Neutral),
        2 => Some(Rating::Unsatisfied),
        3 => None,
        _ => t.rating,
    };
    // Every rating counts: the reporter's and any number of co-reporters'.
    if rng.bool() {
        t.ratings = Ratings {
            satisfied: rng.i64(0..3),
            neutral: rng.i64(0..2),
            unsatisfied: rng.i64(0..2),
        };
    }
    if rng.u8(0..4) == 0 {
        t.escalated = Some(if rng.bool() { "village" } else { "town" }.into());
    }
    if rng.u8(0..6) == 0 {
        t.extensions += 1;
        t.resolve_due = later(rng, t.resolve_due);
    }
    if rng.u8(0..5) == 0 {
        t.reopened += 1;
        t.resolve_due = later(rng, t.resolve_due);
    }
    // Claimed, transferred or handed back: the assignee's figures follow the ticket.
    t.assignee = match rng.u8(0..5) {
        0 => None,
        1 => Some("L1".into()),
        2 => Some("L2".into()),
        _ => t.assignee.take(),
    };
    // The grid stays: tickets are numbered within their grid (a move is a rebuild's case, as
    // after an import that moves grids).
}

/// The brute-force count: every ticket's figures for `node` over the local days `from..=to`.
fn brute(
    tickets: &HashMap<i64, Ticket>,
    node: &str,
    from: i32,
    to: i32,
) -> (Counts, Vec<i64>, Vec<i64>) {
    let mut counts = [0; COUNTERS.len()];
    let (mut response, mut resolution) = (Vec::new(), Vec::new());
    for t in tickets.values() {
        let nodes = match t.grid.as_str() {
            "T1-V1" => vec!["*", "T1", "T1-V1"],
            g => vec!["*", "T1", "T1-V1", g],
        };
        let f = gridline::store::rollups::facts_of(t);
        let c = rollup::contribution(&f, ZONE);
        if !nodes.contains(&node) || c.day < from || c.day > to {
            continue;
        }
        rollup::add(&mut counts, &c.counts, 1);
        response.extend(t.first_response_at.map(|x| x - t.created_at));
        resolution.extend(t.resolved_at.map(|x| x - t.created_at));
    }
    (counts, response, resolution)
}

async fn random_histories(db: Db, seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(db, &dir).await;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tickets: HashMap<i64, Ticket> = HashMap::new();
    let mut inbox = 0;
    for _ in 0..60 {
        let mut tx = store.begin().await.expect("begin");
        let mut changed: HashMap<i64, Ticket> = HashMap::new();
        for _ in 0..rng.usize(1..8) {
            let known: Vec<i64> = tickets.keys().chain(changed.keys()).copied().collect();
            if known.is_empty() || rng.u8(0..3) == 0 {
                inbox += 1;
                let new = new_ticket(&mut rng, inbox);
                let ids = tx.insert_ticket(&new).await.expect("insert");
                changed.insert(ids.0, as_stored(ids, &new));
                continue;
            }
            let id = known[rng.usize(0..known.len())];
            let mut t = changed
                .get(&id)
                .or_else(|| tickets.get(&id))
                .cloned()
                .expect("known ticket");
            // Read first (as the engine does) or not (the store reads what it needs).
            if rng.bool() {
                let read = tx.ticket(id).await.expect("read").expect("exists");
                assert_eq!(read, t);
            }
            mutate(&mut rng, &mut t);
            tx.update_ticket(&t).await.expect("update");
            changed.insert(id, t);
        }
        if rng.u8(0..5) == 0 {
            drop(tx);
        } else {
            tx.commit().await.expect("commit");
            tickets.extend(changed);
        }
    }
    assert!(tickets.len() > 20, "{} tickets", tickets.len());

    let (found, diffs) = store.verify_rollups(ZONE, 10).await.expect("verify");
    assert_eq!(found, 0, "rollups differ from the tickets: {diffs:?}");

    let day = |ms: i64| rollup::day_of(ms, ZONE);
    let mut ranges = vec![(0, 99_991_231)];
    for _ in 0..6 {
        let a = START + rng.i64(0..400 * DAY);
        let b = a + rng.i64(0..90 * DAY);
        ranges.push((day(a), day(b)));
    }
    for node in NODES {
        for &(from, to) in &ranges {
            let figures = store.rollup_figures(node, from, to).await.expect("figures");
            let (want, mut response, mut resolution) = brute(&tickets, node, from, to);
            assert_eq!(figures.counts, want, "{node} {from}..{to}");
            let hist_n = |h: &[(u8, i64)]| h.iter().map(|(_, n)| n).sum::<i64>();
            assert_eq!(hist_n(&figures.response), response.len() as i64);
            assert_eq!(hist_n(&figures.resolution), resolution.len() as i64);
            // A percentile from the buckets lands in the bucket of the exact one.
            for p in [50, 90] {
                let exact = gridline::stats::percentile(&mut response, p);
                let bucketed = rollup::percentile(&figures.response, p);
                assert_eq!(
                    exact.map(|e| rollup::bucket_value(rollup::bucket(e))),
                    bucketed,
                    "response p{p} {node}"
                );
                let exact = gridline::stats::percentile(&mut resolution, p);
                let bucketed = rollup::percentile(&figures.resolution, p);
                assert_eq!(
                    exact.map(|e| rollup::bucket_value(rollup::bucket(e))),
                    bucketed,
                    "resolution p{p} {node}"
                );
            }
        }
    }
    // By month (whole months as one row each, the days at the ends as days): the same
    // counters per month as the day rows, in order, adding up to the brute-force count.
    for node in NODES {
        for &(from, to) in &ranges {
            let per_month = |rows: Vec<(i32, Counts)>| {
                let mut out: std::collections::BTreeMap<i32, Counts> = Default::default();
                for (d, k) in rows {
                    rollup::add(out.entry(d / 100).or_insert([0; COUNTERS.len()]), &k, 1);
                }
                out
            };
            let months = store
                .rollup_by_month(node, from, to)
                .await
                .expect("by month");
            assert!(months.windows(2).all(|w| w[0].0 < w[1].0), "{node} order");
            let days = store.rollup_by_day(node, from, to).await.expect("by day");
            assert!(months.len() <= days.len());
            let mut total = [0; COUNTERS.len()];
            for (_, k) in &months {
                rollup::add(&mut total, k, 1);
            }
            assert_eq!(
                total,
                brute(&tickets, node, from, to).0,
                "{node} {from}..{to}"
            );
            assert_eq!(per_month(months), per_month(days), "{node} {from}..{to}");
        }
    }
    // Per assignee, counted independently of the rollup code: tickets, claimed, claimed by
    // the deadline, and the number of first responses.
    for node in NODES {
        for &(from, to) in &ranges {
            let mut want: std::collections::BTreeMap<String, [i64; 4]> = Default::default();
            for t in tickets.values() {
                let nodes = match t.grid.as_str() {
                    "T1-V1" => vec!["*", "T1", "T1-V1"],
                    g => vec!["*", "T1", "T1-V1", g],
                };
                let d = day(t.created_at);
                let Some(person) = &t.assignee else { continue };
                if !nodes.contains(&node) || d < from || d > to {
                    continue;
                }
                let w = want.entry(person.clone()).or_default();
                w[0] += 1;
                w[1] += i64::from(t.claimed_at.is_some());
                w[2] += i64::from(t.claimed_at.is_some_and(|c| c <= t.claim_due));
                w[3] += i64::from(t.first_response_at.is_some());
            }
            let have: std::collections::BTreeMap<String, [i64; 4]> = store
                .rollup_leaders(node, from, to)
                .await
                .expect("leaders")
                .into_iter()
                .map(|l| {
                    let responses = l.response.iter().map(|(_, n)| n).sum();
                    (
                        l.person,
                        [l.tickets, l.claimed, l.claimed_in_time, responses],
                    )
                })
                .collect();
            assert_eq!(have, want, "leaders {node} {from}..{to}");
        }
    }

    // Children of a village: its grids.
    let children = store
        .rollup_children("T1-V1", 0, 99_991_231)
        .await
        .expect("children");
    for (code, counts) in &children {
        assert_eq!(*counts, brute(&tickets, code, 0, 99_991_231).0, "{code}");
    }

    // A rebuild from the tickets gives the same figures.
    let before = store
        .rollup_figures("T1", 0, 99_991_231)
        .await
        .expect("fig");
    store.rebuild_rollups().await.expect("rebuild");
    let after = store
        .rollup_figures("T1", 0, 99_991_231)
        .await
        .expect("fig");
    assert_eq!(before.counts, after.counts);
    assert_eq!(store.verify_rollups(ZONE, 10).await.expect("verify").0, 0);
}

#[tokio::test]
async fn rollups_equal_the_brute_force_count_sqlite() {
    for seed in [1, 2, 3] {
        random_histories(Db::Sqlite, seed).await;
    }
}

#[tokio::test]
async fn rollups_equal_the_brute_force_count_postgres() {
    for seed in [4, 5] {
        random_histories(Db::Postgres, seed).await;
    }
}

/// A ticket read in the transaction that opened it (before the batch writes its new tickets)
/// is the ticket the database holds once it is written, on both backends.
async fn opened_ticket_reads_as_stored(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(db, &dir).await;
    let mut rng = fastrand::Rng::with_seed(11);
    let mut tx = store.begin().await.expect("begin");
    let mut read = Vec::new();
    for n in 1..=5 {
        let (id, _) = tx
            .insert_ticket(&new_ticket(&mut rng, n))
            .await
            .expect("insert");
        read.push(tx.ticket(id).await.expect("read").expect("held ticket"));
    }
    tx.commit().await.expect("commit");
    for before in read {
        let stored = store.ticket(before.id).await.expect("db").expect("stored");
        assert_eq!(before, stored);
    }
    assert_eq!(store.verify_rollups(ZONE, 5).await.expect("verify").0, 0);
}
crate::both_backends!(
    a_ticket_read_before_it_is_written_is_the_stored_one,
    opened_ticket_reads_as_stored
);

/// A database with tickets from before the rollups (or built for another zone) gets them
/// rebuilt at start; `verify` then finds nothing.
#[tokio::test]
async fn rollups_are_rebuilt_for_another_zone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(Db::Sqlite, &dir).await;
    let mut rng = fastrand::Rng::with_seed(9);
    let mut tx = store.begin().await.expect("begin");
    for n in 1..=30 {
        tx.insert_ticket(&new_ticket(&mut rng, n))
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    assert!(!store.ensure_rollups(ZONE).await.expect("same zone"));
    assert!(
        store
            .ensure_rollups(chrono_tz::UTC)
            .await
            .expect("new zone")
    );
    let (found, diffs) = store
        .verify_rollups(chrono_tz::UTC, 5)
        .await
        .expect("verify");
    assert_eq!(found, 0, "{diffs:?}");
    let (found, _) = store.verify_rollups(ZONE, 5).await.expect("verify");
    assert!(found > 0, "figures by Shanghai days differ from UTC days");
}

/// The sentence on a constructed history: every state shown, and they add up to received.
#[tokio::test]
async fn the_sentence_adds_up_and_names_the_scope() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(Db::Sqlite, &dir).await;
    let now = gridline::store::now_millis();
    let mut rng = fastrand::Rng::with_seed(3);
    let mut tx = store.begin().await.expect("begin");
    // In T1-V1-G1, an hour ago: 2 waiting, 1 claimed, 1 resolved, 3 closed (2 satisfied, 1 neutral),
    // 1 dismissed.
    let states = [
        TicketState::Open,
        TicketState::Open,
        TicketState::Claimed,
        TicketState::Resolved,
        TicketState::Closed,
        TicketState::Closed,
        TicketState::Closed,
        TicketState::Dismissed,
    ];
    for (n, state) in states.iter().enumerate() {
        let mut new = new_ticket(&mut rng, n as i64 + 1);
        new.grid = "T1-V1-G1".into();
        new.created_at = now - H;
        new.claim_due = now + H;
        new.resolve_due = now + 70 * H;
        let ids = tx.insert_ticket(&new).await.expect("insert");
        let mut t = as_stored(ids, &new);
        t.state = *state;
        t.updated_at = now;
        if *state != TicketState::Open && *state != TicketState::Dismissed {
            t.first_response_at = Some(now - H / 2);
            t.claimed_at = Some(now - H / 2);
        }
        if matches!(state, TicketState::Resolved | TicketState::Closed) {
            t.resolved_at = Some(now - H / 4);
        }
        if *state == TicketState::Closed {
            let rating = if n == 6 {
                Rating::Neutral
            } else {
                Rating::Satisfied
            };
            t.rating = Some(rating);
            t.ratings = Ratings::one(rating);
        }
        tx.update_ticket(&t).await.expect("update");
    }
    tx.commit().await.expect("commit");
    let settings = crate::support::test_settings("sqlite::memory:");
    let report = gridline::stats::report(&store, &settings, "近7天", Some("东门村"))
        .await
        .expect("report");
    let s = &report.stats;
    assert_eq!(report.scope, "东门村");
    assert_eq!(
        s.received,
        s.open + s.claimed + s.resolved + s.closed + s.dismissed
    );
    assert_eq!((s.received, s.open, s.claimed), (8, 2, 1));
    assert_eq!((s.resolved, s.closed, s.dismissed), (1, 3, 1));
    let text = report.render(&settings, gridline::stats::View::Summary);
    for part in [
        "东门村 ",
        "收到群众诉求8件",
        "已回复5件",
        "3件正在处理中（待接单2件、已接单1件）",
        "已办结4件（已关闭3件、待评价1件）",
        "不予受理1件",
        "满意度66.7%（评价3人次）",
    ] {
        assert!(text.contains(part), "{text}\nlacks {part}");
    }
    // An unknown name suggests the closest grids; an ambiguous one lists them.
    let err = gridline::stats::report(&store, &settings, "今天", Some("东门三网格"))
        .await
        .expect_err("unknown");
    assert!(err.to_string().contains("您是指"), "{err}");
    let err = gridline::stats::report(&store, &settings, "下周五", None)
        .await
        .expect_err("bad period");
    assert!(err.to_string().contains("看不懂时间段"), "{err}");
    // `gridline stats 东门村` and `gridline stats 东门村 近7天`: the grid alone, or first.
    let alone = gridline::stats::report(&store, &settings, "东门", None)
        .await
        .expect("grid alone");
    assert_eq!((alone.scope.as_str(), alone.stats.received), ("东门村", 8));
    let swapped = gridline::stats::report(&store, &settings, "东门村", Some("近7天"))
        .await
        .expect("grid first");
    assert_eq!(swapped.scope, "东门村");
    assert_eq!(swapped.period, report.period);
    // Detail: one line per grid of the village, worst first.
    let report = gridline::stats::report_view(
        &store,
        &settings,
        "近7天",
        Some("T1-V1"),
        gridline::stats::View::Detail,
    )
    .await
    .expect("detail");
    let text = report.render(&settings, gridline::stats::View::Detail);
    assert!(text.contains("东门一网格：收到8，处理中3"), "{text}");
}

/// `gridline ARGS` on the database at `url`, with the built-in configuration.
fn gridline_cli(args: &[&str], url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
        .args(args)
        .env_remove("GRIDLINE_CONFIG")
        .env("GRIDLINE__DATABASE__URL", url)
        .output()
        .expect("run gridline")
}

/// Every command but `run` and `migrate` refuses a database that is not there; once it is,
/// `gridline stats` reads its words as the chat does (a view word first, at most three).
#[test]
fn the_cli_refuses_a_missing_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/data/none.db", dir.path().display());
    for args in [&["stats"][..], &["stats", "--verify"], &["import", "x.csv"]] {
        let out = gridline_cli(args, &url);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(&url), "{args:?}: {err}");
        assert!(!dir.path().join("data").exists(), "{args:?} created it");
    }
    let out = gridline_cli(&["migrate"], &url);
    assert!(out.status.success());
    let out = gridline_cli(&["stats", "--verify"], &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("match the tickets"));
    // The chat's words for the views, first: `gridline stats 明细 本月`, `… 排名`.
    for (args, view) in [
        (&["stats", "明细", "本月"][..], "明细"),
        (&["stats", "排名"], "排名"),
    ] {
        let out = gridline_cli(args, &url);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains(view),
            "{args:?}: {said}"
        );
    }
    let out = gridline_cli(&["stats", "本月", "全部", "再多一个"], &url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("too many words"));
    // Piped into a reader that goes away (`gridline stats | head -1`): no panic.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("stats")
        .env_remove("GRIDLINE_CONFIG")
        .env("GRIDLINE__DATABASE__URL", &url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run gridline");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

/// Waits (at most 15 s) until `ready` says yes.
async fn until<F, Fut>(what: &str, ready: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !ready().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn said_in(app: &crate::support::TestApp, chat: &str) -> Vec<String> {
    app.bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == chat)
        .map(|(m, _)| m.text)
        .collect()
}

/// Statistics never run inside the engine's write transaction. While the answer to a 统计 is
/// held (as a slow read would be), its message is already committed with the question, and a
/// resident's report is taken and answered; released, the answer counts that later report
/// (it was read after the report's commit). A question waiting when the daemon stops is
/// answered after the restart.
async fn statistics_are_read_after_the_commit(db: Db) {
    use crate::support::{message, seed, spawn_app};
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let held = app.engine.hold_answers().await;
    app.submit(message("p-coord1", "coord1", "陈静", "统计", None))
        .await
        .expect("stored");
    until("the question committed", || async {
        let inbox = app.store.inbox_counts().await.expect("inbox");
        inbox.unprocessed == 0 && app.store.questions_waiting().await.expect("questions") == 1
    })
    .await;
    app.submit(message("g1", "res1", "王芳", "/report 3栋楼道灯坏了", None))
        .await
        .expect("stored");
    until("the report's card", || async {
        said_in(&app, "g1").iter().any(|t| t.contains("#1"))
    })
    .await;
    assert!(said_in(&app, "p-coord1").is_empty());
    assert_eq!(app.store.questions_waiting().await.expect("questions"), 1);
    drop(held);
    app.settle().await;
    let answers = said_in(&app, "p-coord1");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(answers[0].contains("东门村"), "{}", answers[0]);
    assert!(answers[0].contains("收到群众诉求1件"), "{}", answers[0]);

    // Asked, then the daemon stops before answering: the question is kept and answered once
    // it is back.
    let held = app.engine.hold_answers().await;
    app.submit(message("p-coord1", "coord1", "陈静", "统计明细", None))
        .await
        .expect("stored");
    until("the second question committed", || async {
        app.store.questions_waiting().await.expect("questions") == 1
    })
    .await;
    let app = app.restart(|_| {}).await;
    app.settle().await;
    drop(held);
    let answers = said_in(&app, "p-coord1");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(answers[0].contains("东门一网格"), "{}", answers[0]);
    app.stop().await;
}
/// A period that was meant but cannot be read is answered as a period, not looked up as a
/// grid: "13月" is no month, "11月15日-11月1日" runs backwards; 近三天 is read.
async fn periods_meant_but_unreadable(db: Db) {
    use crate::support::{message, seed, spawn_app};
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    for (n, (asked, expected)) in [
        ("统计 13月", "看不懂时间段“13月”"),
        ("统计 东门村 2026年2月30日", "看不懂时间段“2026年2月30日”"),
        ("统计 11月15日-11月1日", "结束日期早于开始日期"),
        ("统计 近三天 东门村", "东门村 20"),
    ]
    .into_iter()
    .enumerate()
    {
        app.submit(message("p-coord1", "coord1", "陈静", asked, None))
            .await
            .expect("stored");
        app.settle().await;
        let answers = said_in(&app, "p-coord1");
        assert_eq!(answers.len(), n + 1, "{asked}: {answers:?}");
        assert!(answers[n].contains(expected), "{asked}: {}", answers[n]);
        assert!(!answers[n].contains("您是指"), "{asked}: {}", answers[n]);
    }
    app.stop().await;
}
crate::both_backends!(periods_meant_but_unreadable, periods_meant_but_unreadable);

/// Questions waiting together are answered in one pass (one commit): each goes to its own
/// asker, a chat's answers in the order it asked, and none is left waiting.
async fn questions_waiting_together_are_all_answered_in_order(db: Db) {
    use crate::support::{message, seed, spawn_app};
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let held = app.engine.hold_answers().await;
    for (chat, user, name, text) in [
        ("p-coord1", "coord1", "陈静", "统计"),
        ("p-admin1", "admin1", "赵敏", "统计 全部"),
        ("p-coord1", "coord1", "陈静", "统计 东门二网格"),
    ] {
        app.submit(message(chat, user, name, text, None))
            .await
            .expect("stored");
    }
    until("the three questions committed", || async {
        app.store.questions_waiting().await.expect("questions") == 3
    })
    .await;
    // Answered after the restart, all three in the first pass.
    let app = app.restart(|_| {}).await;
    app.settle().await;
    drop(held);
    assert_eq!(app.store.questions_waiting().await.expect("questions"), 0);
    let coordinator = said_in(&app, "p-coord1");
    assert_eq!(coordinator.len(), 2, "{coordinator:?}");
    assert!(coordinator[0].contains("东门村"), "{}", coordinator[0]);
    assert!(coordinator[1].contains("东门二网格"), "{}", coordinator[1]);
    let admin = said_in(&app, "p-admin1");
    assert_eq!(admin.len(), 1, "{admin:?}");
    assert!(admin[0].contains("收到群众诉求"), "{}", admin[0]);
    app.stop().await;
}
crate::both_backends!(
    statistics_never_hold_the_write_transaction,
    statistics_are_read_after_the_commit
);
crate::both_backends!(
    answers_waiting_together,
    questions_waiting_together_are_all_answered_in_order
);

/// 统计明细's per-leader lines on a constructed history: 张伟 claimed three tickets (two by
/// the claim deadline), first responses after 10, 30 and 200 minutes; 李强 holds one he never
/// claimed; an unassigned ticket counts for nobody.
#[tokio::test]
async fn per_leader_figures_on_a_constructed_history() {
    use gridline::stats::StatsTexts as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(Db::Sqlite, &dir).await;
    let now = gridline::store::now_millis();
    let mut rng = fastrand::Rng::with_seed(5);
    let mut tx = store.begin().await.expect("begin");
    let min = 60_000;
    // (grid, assignee, claimed after, first response after), claim deadline one hour.
    let history = [
        ("T1-V1-G1", Some("L1"), Some(10 * min), Some(10 * min)),
        ("T1-V1-G1", Some("L1"), Some(30 * min), Some(30 * min)),
        ("T1-V1-G2", Some("L1"), Some(200 * min), Some(200 * min)),
        ("T1-V1-G2", Some("L2"), None, None),
        ("T1-V1-G2", None, None, None),
    ];
    let created = now - 10 * H;
    for (n, (grid, assignee, claimed, response)) in history.iter().enumerate() {
        let mut new = new_ticket(&mut rng, n as i64 + 1);
        new.grid = grid.to_string();
        new.created_at = created;
        new.claim_due = created + H;
        new.resolve_due = created + 70 * H;
        new.assignee = None;
        let ids = tx.insert_ticket(&new).await.expect("insert");
        let mut t = as_stored(ids, &new);
        t.assignee = assignee.map(str::to_string);
        t.state = if claimed.is_some() {
            TicketState::Claimed
        } else {
            TicketState::Open
        };
        t.claimed_at = claimed.map(|c| created + c);
        t.first_response_at = response.map(|r| created + r);
        t.updated_at = now;
        tx.update_ticket(&t).await.expect("update");
    }
    tx.commit().await.expect("commit");
    let (found, diffs) = store.verify_rollups(ZONE, 10).await.expect("verify");
    assert_eq!(found, 0, "{diffs:?}");

    let leaders = store
        .rollup_leaders("T1-V1", 0, 99_991_231)
        .await
        .expect("leaders");
    let figures: Vec<_> = leaders
        .iter()
        .map(|l| (l.name.as_str(), l.tickets, l.claimed, l.claimed_in_time))
        .collect();
    assert_eq!(figures, [("张伟", 3, 3, 2), ("李强", 1, 0, 0)]);
    let zhang = &leaders[0];
    assert_eq!(zhang.on_time_claim_rate(), Some(2.0 / 3.0));
    let median = zhang.median_response().expect("a median");
    assert_eq!(median, rollup::bucket_value(rollup::bucket(30 * min)));
    assert!((median - 30 * min).abs() < 3 * min, "{median}");
    assert_eq!(leaders[1].median_response(), None);
    // Under one grid only that grid's tickets count.
    let g2 = store
        .rollup_leaders("T1-V1-G2", 0, 99_991_231)
        .await
        .expect("leaders");
    let figures: Vec<_> = g2
        .iter()
        .map(|l| (l.name.as_str(), l.tickets, l.claimed, l.claimed_in_time))
        .collect();
    assert_eq!(figures, [("张伟", 1, 1, 0), ("李强", 1, 0, 0)]);

    let texts = gridline::i18n::Texts::new(gridline::config::Language::Zh);
    let text = texts.stats_leaders(&leaders);
    let median = texts.duration_rounded(median);
    assert_eq!(
        text,
        format!(
            "按负责人：\n张伟：接单3件，及时签收率66.7%，首次响应中位{median}\n李强：接单0件，及时签收率—，首次响应中位—"
        )
    );
    let english =
        gridline::i18n::Texts::new(gridline::config::Language::En).stats_leaders(&leaders);
    assert!(
        english.contains("张伟: claimed 3, on-time claim 66.7%"),
        "{english}"
    );

    // `gridline stats --detail` shows the same lines, and `--json` carries them.
    let settings = crate::support::test_settings("sqlite::memory:");
    let view = gridline::stats::View::Detail;
    let report = gridline::stats::report_view(&store, &settings, "全部", Some("T1-V1"), view)
        .await
        .expect("detail");
    let rendered = report.render(&settings, view);
    assert!(rendered.contains(&text), "{rendered}\nlacks\n{text}");
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["leaders"][0]["name"], "张伟");
    assert_eq!(json["leaders"][0]["claimed_in_time"], 2);
    let summary = gridline::stats::View::Summary;
    let report = gridline::stats::report_view(&store, &settings, "全部", Some("T1-V1"), summary)
        .await
        .expect("summary");
    assert!(!report.render(&settings, summary).contains("按负责人"));
}
