//! Delivery: priorities and fairness between accounts, rows of platforms that are not
//! configured set aside at once, and declared rate limits counted on what reaches the
//! platform, inside one process and across replicas sharing PostgreSQL.

use std::time::{Duration, Instant};

use gridline::platform::memory::{MemoryAdapter, Sent};
use gridline::platform::{Capabilities, Outbound, OutboundMessage, Rate, RateLimits};
use gridline::store::Store;
use gridline::store::outbox::{Lane, Lessee, NewOutbound, OutboxRow, Priority};

use crate::both_backends;
use crate::support::{Db, ROSTER, seed, spawn_app_with};

fn row(platform: &str, account: &str, chat: &str, text: &str) -> NewOutbound {
    NewOutbound {
        platform: platform.into(),
        account: account.into(),
        ticket_id: None,
        item: Outbound::Send(OutboundMessage {
            chat: chat.into(),
            thread: None,
            text: text.into(),
            reply_to: None,
            mentions: vec![],
            buttons: vec![],
        }),
        not_before: None,
    }
}

fn text(r: &OutboxRow) -> String {
    match &r.item {
        Outbound::Send(m) => m.text.clone(),
        other => format!("{other:?}"),
    }
}

async fn open(db: Db, dir: &tempfile::TempDir) -> Store {
    let url = crate::support::database_url(db, dir).await;
    Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("store")
}

/// Each account is leased on its own: a digest of thousands of rows in one account leaves the
/// other account's rows leasable at once, and a card overtakes the digest queued before it in
/// its own group. Rows of a platform that is not configured are set aside in one statement.
async fn lanes(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(db, &dir).await;
    let now = gridline::store::now_millis();
    let digest: Vec<NewOutbound> = (0..3_000)
        .map(|g| row("memory", "busy", &format!("g{g}"), "digest"))
        .collect();
    let gone: Vec<NewOutbound> = (0..5_000)
        .map(|g| row("gone", "old", &format!("g{g}"), "old"))
        .collect();
    let mut tx = store.begin().await.expect("tx");
    tx.enqueue_with(&gone, now, Priority::Reply)
        .await
        .expect("enqueue");
    tx.enqueue_with(&digest, now, Priority::Digest)
        .await
        .expect("enqueue");
    tx.enqueue(&[row("memory", "quiet", "q1", "card for q1")], now)
        .await
        .expect("enqueue");
    tx.enqueue(&[row("memory", "busy", "g7", "card for g7")], now)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");

    let lanes = store.pending_lanes().await.expect("lanes");
    let names: Vec<String> = lanes
        .iter()
        .map(|l| format!("{}/{}", l.platform, l.account))
        .collect();
    assert_eq!(names, ["gone/old", "memory/busy", "memory/quiet"]);

    store
        .register_incarnation("w", "host:1", now)
        .await
        .expect("w");
    let me = Lessee {
        incarnation: "w".into(),
        alive_since: now - 6_000,
    };
    let lane = |account: &str| Lane {
        platform: "memory".into(),
        account: account.into(),
    };
    let busy = store
        .lease_lane(now, now + 60_000, &lane("busy"), 3, &me)
        .await
        .expect("lease");
    let texts: Vec<String> = busy.iter().map(text).collect();
    assert_eq!(texts, ["card for g7", "digest", "digest"]);
    let quiet = store
        .lease_lane(now, now + 60_000, &lane("quiet"), 3, &me)
        .await
        .expect("lease");
    assert_eq!(quiet.iter().map(text).collect::<Vec<_>>(), ["card for q1"]);
    // Leased rows are not leased again, and a chat's later digest waits behind its first.
    let again = store
        .lease_lane(now, now + 60_000, &lane("busy"), 2, &me)
        .await
        .expect("lease");
    let ids: Vec<i64> = again.iter().map(|r| r.id).collect();
    assert!(busy.iter().all(|r| !ids.contains(&r.id)), "leased twice");

    let set_aside = store
        .set_aside("gone", "no adapter for platform gone")
        .await
        .expect("set aside");
    assert_eq!(set_aside, 5_000);
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts.parked, 5_000);
    assert_eq!(counts.pending, 3_002);
    store.close().await;
}
both_backends!(each_account_is_leased_on_its_own, lanes);

/// An adapter with tight limits (short windows, so that a test takes seconds): at most one
/// message per chat and eight per account in any second, and three per chat in any 4 s.
fn tight() -> MemoryAdapter {
    MemoryAdapter::new(Capabilities {
        text_limit: 4_096,
        buttons: true,
        replies: true,
        edits: false,
        private_chats: gridline::platform::PrivateChats::Never,
        limits: RateLimits {
            per_chat: vec![
                Rate {
                    max: 1,
                    per: Duration::from_secs(1),
                },
                Rate {
                    max: 3,
                    per: Duration::from_secs(4),
                },
            ],
            per_account: vec![Rate {
                max: 8,
                per: Duration::from_secs(1),
            }],
        },
    })
}

/// The most sends found in any window of `per` (less 150 ms for the scheduling of the tasks
/// between a slot and the adapter's clock reading, on a loaded machine), overall and per chat.
fn busiest(sent: &[(Instant, String)], per: Duration) -> (usize, usize) {
    let slack = Duration::from_millis(150);
    let window = per.saturating_sub(slack);
    let mut all = 0;
    let mut chat = 0;
    for (i, (t, c)) in sent.iter().enumerate() {
        let before = &sent[..=i];
        all = all.max(
            before
                .iter()
                .filter(|(u, _)| t.duration_since(*u) < window)
                .count(),
        );
        chat = chat.max(
            before
                .iter()
                .filter(|(u, d)| d == c && t.duration_since(*u) < window)
                .count(),
        );
    }
    (all, chat)
}

fn timeline(sent: &[Sent]) -> Vec<(Instant, String)> {
    let mut out: Vec<(Instant, String)> = sent
        .iter()
        .filter_map(|s| s.item.chat().map(|c| (s.at, c.to_string())))
        .collect();
    out.sort_by_key(|(t, _)| *t);
    out
}

/// Inside one process: many chats' rows due at once, several to the same chat, never more
/// than the declared limits per chat and per account, per short window and per long one.
async fn limits_hold(db: Db) {
    let app = spawn_app_with(db, tight()).await;
    seed(&app, ROSTER).await;
    let now = gridline::store::now_millis();
    // 6 chats × 4 rows: 24 sends, at most 8 a second for the account.
    let rows: Vec<NewOutbound> = (0..24)
        .map(|n| row("memory", "bot", &format!("c{}", n % 6), &format!("n{n}")))
        .collect();
    let mut tx = app.store.begin().await.expect("tx");
    tx.enqueue_with(&rows, now, Priority::Digest)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    // The fourth row of each chat must wait for the 4 s window: 18 go first.
    let sent = app.memory.wait_for(24, Duration::from_secs(20)).await;
    assert_eq!(sent.len(), 24, "not all delivered");
    let line = timeline(&sent);
    let (account, chat) = busiest(&line, Duration::from_secs(1));
    assert!(account <= 8, "{account} sends to the account in a second");
    assert!(chat <= 1, "{chat} sends to one chat in a second");
    let (_, chat_long) = busiest(&line, Duration::from_secs(4));
    assert!(chat_long <= 3, "{chat_long} sends to one chat in 4 s");
    // Each chat's rows in order.
    for c in 0..6 {
        let texts: Vec<String> = sent
            .iter()
            .filter_map(|s| match &s.item {
                Outbound::Send(m) if m.chat == format!("c{c}") => Some(m.text.clone()),
                _ => None,
            })
            .collect();
        let want: Vec<String> = (0..24)
            .filter(|n| n % 6 == c)
            .map(|n| format!("n{n}"))
            .collect();
        assert_eq!(texts, want);
    }
    app.stop().await;
}
both_backends!(declared_limits_hold_inside_one_process, limits_hold);

/// A card written while a digest drains in the same account goes out with the next free
/// slots, not after the digest.
async fn card_first(db: Db) {
    let app = spawn_app_with(db, tight()).await;
    seed(&app, ROSTER).await;
    let now = gridline::store::now_millis();
    // 40 digest rows at 8 a second: five seconds of sending, including group g1's own.
    let mut digest: Vec<NewOutbound> = (0..39)
        .map(|n| row("memory", "bot", &format!("d{n}"), "digest"))
        .collect();
    digest.push(row("memory", "bot", "g1", "digest"));
    let mut tx = app.store.begin().await.expect("tx");
    tx.enqueue_with(&digest, now, Priority::Digest)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    app.memory.wait_for(4, Duration::from_secs(10)).await;
    let ev = crate::support::message("g1", "res1", "王芳", "/report 3栋楼道灯坏了", None);
    app.submit(ev).await.expect("stored");
    let sent = app.memory.wait_for(41, Duration::from_secs(30)).await;
    let card = sent
        .iter()
        .position(|s| matches!(&s.item, Outbound::Send(m) if m.text.contains("#1")))
        .expect("the card was sent");
    assert!(
        card < 16,
        "the card went out {card}th, behind most of the digest"
    );
    app.stop().await;
}
both_backends!(a_card_overtakes_a_draining_digest, card_first);

/// A send is counted from when it was stamped again (its request answered), not from when its
/// slot was taken: the next slot of its chat waits a whole window from the new time. Only the
/// send's own keys move. (A 3 s window, half of it gone before the stamp: the bounds leave a
/// loaded machine over a second.)
async fn restamped(db: Db) {
    use gridline::store::send_log::{SendKey, Slot};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(db, &dir).await;
    let per = Duration::from_secs(3);
    let rates = [Rate { max: 1, per }];
    let chat = |key| SendKey { key, rates: &rates };
    let slot = async |keys: Vec<SendKey<'_>>| store.take_send_slot(&keys).await.expect("slot");
    let Slot::Taken(at) = slot(vec![chat("late")]).await else {
        panic!("an empty schedule has room")
    };
    let Slot::Taken(_) = slot(vec![chat("on time")]).await else {
        panic!("an empty schedule has room")
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let stamped = store.restamp_send(&["late"], at).await.expect("stamp");
    assert_eq!(stamped, 1, "the send's row is stamped again");
    // A slot time that was never given moves nothing.
    assert_eq!(
        store.restamp_send(&["late"], at - 1).await.expect("stamp"),
        0
    );
    let Slot::Wait(waits) = slot(vec![chat("late"), chat("on time")]).await else {
        panic!("both chats are within their window")
    };
    // Counted from the slot, "late" would have room in 1.5 s at most; from the stamp, in
    // nearly 3 s. "On time" was not stamped: its window runs from its slot.
    assert!(
        waits[0] > 1_600 && waits[0] <= 3_000,
        "the stamped send's chat waits {} ms",
        waits[0]
    );
    assert!(
        waits[1] <= 1_500,
        "the other chat waits {} ms, past its own slot's window",
        waits[1]
    );
    store.close().await;
}
both_backends!(a_send_counts_from_when_it_was_answered, restamped);

/// Two replicas on one PostgreSQL, each with its own connection to the platform: together
/// they keep to the limits declared for the account and the chats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_limits_hold_across_replicas() {
    let a = spawn_app_with(Db::Postgres, tight()).await;
    seed(&a, ROSTER).await;
    let b = a.replica_with(tight()).await;
    let now = gridline::store::now_millis();
    // More chats than one replica leases at a time (what the account may send in a second),
    // so that both replicas have work.
    let rows: Vec<NewOutbound> = (0..32)
        .map(|n| row("memory", "bot", &format!("c{}", n % 16), &format!("n{n}")))
        .collect();
    let mut tx = a.store.begin().await.expect("tx");
    tx.enqueue_with(&rows, now, Priority::Digest)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let sent = loop {
        let mut sent = a.memory.sent();
        sent.extend(b.memory.sent());
        if sent.len() >= 32 || tokio::time::Instant::now() > deadline {
            break sent;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sent.len(), 32, "every row delivered once");
    assert!(
        !a.memory.sent().is_empty() && !b.memory.sent().is_empty(),
        "both replicas delivered"
    );
    let line = timeline(&sent);
    let (account, chat) = busiest(&line, Duration::from_secs(1));
    assert!(account <= 8, "{account} sends to the account in a second");
    assert!(chat <= 1, "{chat} sends to one chat in a second");
    let (_, chat_long) = busiest(&line, Duration::from_secs(4));
    assert!(chat_long <= 3, "{chat_long} sends to one chat in 4 s");
    b.stop().await;
    a.stop().await;
}
