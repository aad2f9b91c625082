//! Three `gridline` daemons (the real binary) on one throwaway PostgreSQL, polling one
//! Telegram bot (the fake Bot API). One of them — the one polling — is killed with SIGKILL in
//! the middle of a burst of reports. Checked: every report makes one ticket and one card;
//! Telegram polling moves to a surviving daemon and the killed one's leased deliveries are
//! taken over, both within 10 s; every reminder and escalation fires once; and on the wire, the
//! bot never sends more than Telegram's limits (1 per second and 20 per minute in a group,
//! 30 per second for the bot) although three processes send at once.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use gridline::store::Store;

use crate::fake_telegram::{self as fake, Chat, FakeTelegram, User};

const GROUPS: i64 = 40;

fn group_id(n: i64) -> i64 {
    -1_001_000_000_000 - n
}

fn roster() -> String {
    let mut csv = String::from(
        "kind,code,name,parent,level,platform,external_id,role\n\
         grid,T1,城关镇,,town,,,\n\
         grid,T1-V1,东门村,T1,village,,,\n\
         person,C1,陈静,T1-V1,,telegram,301,coordinator\n",
    );
    for n in 0..GROUPS {
        csv.push_str(&format!(
            "grid,T1-V1-G{n},网格{n},T1-V1,grid,,,\n\
             group,,网格{n}群,T1-V1-G{n},,telegram,{},\n\
             person,L{n},网格长{n},T1-V1-G{n},,telegram,{},leader\n",
            group_id(n),
            2_000 + n
        ));
    }
    csv
}

/// A running daemon, killed when the test ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon(fake: &FakeTelegram, db_url: &str, log: &std::path::Path) -> Daemon {
    let log = std::fs::File::create(log).expect("log file");
    let err = log.try_clone().expect("log file");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
        .arg("run")
        .env_remove("GRIDLINE_CONFIG")
        .env("RUST_LOG", "info,gridline=debug")
        .env("GRIDLINE__DATABASE__URL", db_url)
        .env("GRIDLINE__HTTP__LISTEN", "127.0.0.1:0")
        .env("GRIDLINE__SANDBOX__ENABLED", "false")
        .env("GRIDLINE__SANDBOX__DEMO_ROSTER", "false")
        .env("GRIDLINE__TELEGRAM__ENABLED", "true")
        .env("GRIDLINE__TELEGRAM__TOKEN", fake::TOKEN)
        .env("GRIDLINE__TELEGRAM__API_URL", fake.api_url())
        // A claim reminder due 3 s after each report (the escalation after a minute, when the
        // test is over).
        .env("GRIDLINE__SLA__NORMAL__CLAIM", "60s")
        .env("GRIDLINE__SLA__REMIND_AT", "0.05")
        .env("GRIDLINE__SLA__CHECK_INTERVAL", "1s")
        .env("GRIDLINE__SLA__QUIET_HOURS", "")
        .env("GRIDLINE__DIGEST__DAILY_AT", "")
        .env("GRIDLINE__DIGEST__WEEKLY_AT", "")
        .stdout(log)
        .stderr(err)
        .spawn()
        .expect("start the gridline binary");
    Daemon(child)
}

async fn query_i64(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .expect("query")
}

/// The pid in a holder or node name `host:pid[:…]`.
fn pid_of(name: &str) -> Option<u32> {
    name.split(':').nth(1)?.parse().ok()
}

/// The ticket number a card announces ("已受理 #12" → 12).
fn card_number(text: &str) -> Option<i64> {
    let rest = &text[text.find("已受理 #")? + "已受理 #".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn logs(dir: &std::path::Path) -> String {
    (0..3)
        .map(|i| {
            let text = std::fs::read_to_string(dir.join(format!("d{i}.log"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            format!(
                "--- daemon {i} (last lines) ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_one_killed_lose_nothing_and_keep_the_limits() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = crate::support::postgres::fresh_database().await;
    let store = Store::open(&db_url, 2, Duration::from_secs(5))
        .await
        .expect("store");
    gridline::import::import_csv(&store, roster().as_bytes())
        .await
        .expect("roster");
    let pool = sqlx::PgPool::connect(&db_url).await.expect("pool");
    let started = Instant::now();
    let mut daemons: Vec<Option<Daemon>> = (0..3)
        .map(|i| {
            Some(daemon(
                &fake,
                &db_url,
                &dir.path().join(format!("d{i}.log")),
            ))
        })
        .collect();
    let pids: Vec<u32> = daemons.iter().flatten().map(|d| d.0.id()).collect();
    let duty = format!("telegram:{}:polling", fake::BOT_ID);

    // All three deliver (registered) and one polls. Three debug binaries starting at once on
    // a loaded machine may take a while: a generous deadline, and a daemon that exits is
    // reported at once.
    let deadline = Instant::now() + Duration::from_secs(180);
    let poller = loop {
        for (i, d) in daemons.iter_mut().enumerate() {
            if let Some(d) = d
                && let Ok(Some(status)) = d.0.try_wait()
            {
                panic!("daemon {i} exited ({status})\n{}", logs(dir.path()));
            }
        }
        let live = query_i64(
            &pool,
            "SELECT COUNT(*) FROM incarnations WHERE ended_at IS NULL",
        )
        .await;
        let holder = store.duty_holder(&duty).await.expect("duty");
        if live == 3
            && let Some(pid) = holder.as_ref().and_then(|(h, _)| pid_of(h))
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the daemons did not start\n{}",
            logs(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("three daemons up after {:?}", started.elapsed());
    let victim = pids
        .iter()
        .position(|p| *p == poller)
        .expect("the poller is one of ours");

    // A burst: two reports in each of 40 groups (80 cards, more than the bot may send in a
    // second and two per group).
    let resident = |n: i64| User::new(10_000 + n, "居民");
    let mut reports = 0;
    for round in 0..2 {
        for n in 0..GROUPS {
            let group = Chat::supergroup(group_id(n), &format!("网格{n}群"));
            fake.send_text(
                &group,
                &resident(n),
                &format!("/report {round}号楼{n}单元路灯不亮"),
            );
            reports += 1;
        }
    }
    // Kill the poller once part of the burst is out.
    let cards_sent = |fake: &FakeTelegram| {
        fake.requests()
            .iter()
            .filter(|r| r.method == "sendmessage" && r.status == 200)
            .filter(|r| r.params["text"].as_str().and_then(card_number).is_some())
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while cards_sent(&fake) < 20 {
        assert!(Instant::now() < deadline, "no cards\n{}", logs(dir.path()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let victim_incarnations: Vec<String> =
        sqlx::query_scalar("SELECT id FROM incarnations WHERE node LIKE $1")
            .bind(format!("%:{poller}"))
            .fetch_all(&pool)
            .await
            .expect("incarnations");
    drop(daemons[victim].take());
    let killed = Instant::now();
    let mut leased_by_victim: Vec<i64> = Vec::new();
    for inc in &victim_incarnations {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM outbox WHERE status = 'pending' AND leased_by = $1")
                .bind(inc)
                .fetch_all(&pool)
                .await
                .expect("leased rows");
        leased_by_victim.extend(ids);
    }
    eprintln!(
        "killed the poller (pid {poller}) after {} cards; it held {} rows",
        cards_sent(&fake),
        leased_by_victim.len()
    );
    // Reports written after the kill need the polling to move.
    for n in 0..20 {
        let group = Chat::supergroup(group_id(n), &format!("网格{n}群"));
        fake.send_text(
            &group,
            &resident(n),
            &format!("/report 9号楼{n}单元门禁坏了"),
        );
        reports += 1;
    }

    // Within 10 s: another daemon polls, and nothing is leased by the dead one any more.
    let mut polling_moved = None;
    let mut taken_over = None;
    while (polling_moved.is_none() || taken_over.is_none())
        && killed.elapsed() < Duration::from_secs(10)
    {
        if polling_moved.is_none()
            && let Some((holder, _)) = store.duty_holder(&duty).await.expect("duty")
            && pid_of(&holder).is_some_and(|p| p != poller)
        {
            polling_moved = Some(killed.elapsed());
        }
        if taken_over.is_none() {
            let mut still = 0;
            for inc in &victim_incarnations {
                still += sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND leased_by = $1",
                )
                .bind(inc)
                .fetch_one(&pool)
                .await
                .expect("count");
            }
            if still == 0 {
                taken_over = Some(killed.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("polling moved after {polling_moved:?}; leases taken over after {taken_over:?}");
    assert!(
        polling_moved.is_some(),
        "polling did not move within 10 s\n{}",
        logs(dir.path())
    );
    assert!(
        taken_over.is_some(),
        "the killed daemon's deliveries were not taken over within 10 s\n{}",
        logs(dir.path())
    );

    // Everything settles: each report one ticket, each ticket one card.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let tickets = query_i64(&pool, "SELECT COUNT(*) FROM tickets").await;
        let pending = query_i64(
            &pool,
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'held')",
        )
        .await;
        let fired = query_i64(
            &pool,
            "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind = 'remind_claim'",
        )
        .await;
        if tickets == reports && pending == 0 && fired == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not settle: {tickets}/{reports} tickets, {pending} rows queued, {fired} claim timers unfired\n{}",
            logs(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("settled after {:?}", started.elapsed());
    assert_eq!(
        query_i64(&pool, "SELECT COUNT(*) FROM inbox").await,
        reports,
        "every report stored once"
    );
    // Replicas numbering tickets in the same grids: each grid's numbers run 1..n, no gap and
    // no number twice, and the grid's counter stands at n.
    assert_eq!(
        query_i64(
            &pool,
            "SELECT COUNT(*) FROM (SELECT t.grid FROM tickets t JOIN grids g ON g.code = t.grid \
             GROUP BY t.grid, g.last_ticket_no \
             HAVING COUNT(*) <> MAX(t.grid_no) OR COUNT(DISTINCT t.grid_no) <> COUNT(*) \
               OR MAX(t.grid_no) <> g.last_ticket_no) AS wrong"
        )
        .await,
        0,
        "grids numbered wrongly"
    );
    let requests = fake.requests();
    let sends: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "sendmessage" && r.status == 200)
        .collect();
    // Numbers count per grid: a card is its group and number.
    let mut cards: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for r in &sends {
        if let Some(n) = r.params["text"].as_str().and_then(card_number) {
            *cards
                .entry((r.params["chat_id"].to_string(), n))
                .or_default() += 1;
        }
    }
    assert_eq!(cards.len() as i64, reports, "a card for every ticket");
    // A card whose send the kill cut between the platform's answer and the database's record
    // goes out again (at least once); no other is doubled.
    let doubled: Vec<&(String, i64)> = cards
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(t, _)| t)
        .collect();
    assert!(
        doubled.len() <= leased_by_victim.len() && cards.values().all(|n| *n <= 2),
        "cards doubled: {doubled:?} (the killed daemon held {} rows)",
        leased_by_victim.len()
    );

    // Timers fired once across the replicas: one reminder per ticket.
    let events: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT ticket_id, kind, COUNT(*) FROM ticket_events \
         WHERE kind = 'reminded' GROUP BY ticket_id, kind",
    )
    .fetch_all(&pool)
    .await
    .expect("events");
    let mut per_kind: HashMap<String, usize> = HashMap::new();
    for (ticket, kind, n) in &events {
        assert_eq!(*n, 1, "ticket {ticket}: {kind} {n} times");
        *per_kind.entry(kind.clone()).or_default() += 1;
    }
    assert_eq!(
        per_kind.get("reminded").copied().unwrap_or(0) as i64,
        reports,
        "every ticket reminded: {per_kind:?}"
    );

    // On the wire: Telegram's limits for the bot and for each chat, with 100 ms allowed for
    // the network and the processes' scheduling.
    let slack = Duration::from_millis(100);
    let mut worst_bot = 0;
    let mut busiest_end = 0;
    let mut worst_chat_second = 0;
    let mut chat_seconds: Vec<String> = Vec::new();
    let mut worst_chat_minute = 0;
    for (i, r) in sends.iter().enumerate() {
        let chat = &r.params["chat_id"];
        let window = |per: Duration, same_chat: bool| {
            sends[..=i]
                .iter()
                .filter(|s| r.at.duration_since(s.at) < per.saturating_sub(slack))
                .filter(|s| !same_chat || &s.params["chat_id"] == chat)
                .count()
        };
        let bot = window(Duration::from_secs(1), false);
        if bot > worst_bot {
            (worst_bot, busiest_end) = (bot, i);
        }
        let chat_second = window(Duration::from_secs(1), true);
        if chat_second > worst_chat_second {
            // For the failure message: the sends to this chat in that second, ms before the
            // last of them, and what each was.
            chat_seconds = sends[..=i]
                .iter()
                .filter(|s| &s.params["chat_id"] == chat)
                .filter(|s| r.at.duration_since(s.at) < Duration::from_secs(1))
                .map(|s| {
                    let text: String = s.params["text"]
                        .as_str()
                        .unwrap_or("")
                        .chars()
                        .take(12)
                        .collect();
                    format!(
                        "-{} ms {chat} {text}",
                        r.at.duration_since(s.at).as_millis()
                    )
                })
                .collect();
            worst_chat_second = chat_second;
        }
        worst_chat_minute = worst_chat_minute.max(window(Duration::from_secs(60), true));
    }
    eprintln!(
        "{} sends; busiest second for the bot {worst_bot}, for a chat {worst_chat_second}; busiest minute for a chat {worst_chat_minute}",
        sends.len()
    );
    // The busiest second on the wire, for the failure message: when each send came (ms after
    // the first of them) and to which chat.
    let busiest: Vec<String> = sends[..=busiest_end]
        .iter()
        .rev()
        .take(worst_bot + 2)
        .rev()
        .map(|s| {
            let ms =
                s.at.saturating_duration_since(sends[busiest_end].at - Duration::from_secs(1));
            format!("{} ms {}", ms.as_millis(), s.params["chat_id"])
        })
        .collect();
    assert!(
        worst_bot <= 30,
        "{worst_bot} sends by the bot in a second: {busiest:?}\n{}",
        logs(dir.path())
    );
    assert!(
        worst_chat_second <= 1,
        "{worst_chat_second} sends to one chat in a second: {chat_seconds:?}\n{}",
        logs(dir.path())
    );
    assert!(
        worst_chat_minute <= 20,
        "{worst_chat_minute} sends to one chat in a minute"
    );
    drop(daemons);
    pool.close().await;
    store.close().await;
}
