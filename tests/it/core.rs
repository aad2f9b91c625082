//! The core flow through the in-process adapter, on SQLite and PostgreSQL.

use crate::both_backends;
use crate::support::{Db, ROSTER, message, seed, spawn_app};
use gridline::domain::{Rating, TicketState};
use gridline::intake::IntakeError;
use gridline::store::outbox::Delivery;

async fn full_life(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;

    // A resident reports; the bot answers with a card naming the leader.
    let source = app
        .say("g1", "res1", "王芳", "/report 3栋楼道灯坏了，晚上看不见")
        .await;
    let card = app.last();
    assert_eq!(card.reply_to.as_deref(), Some(source.as_str()));
    assert!(card.text.contains("#1"), "{}", card.text);
    assert!(card.text.contains("@张伟"), "{}", card.text);
    assert!(card.text.contains("2小时"), "{}", card.text);
    assert_eq!(card.mentions[0].user_id, "leader1");
    assert_eq!(card.buttons[0].id, "/claim T1-V1-G1#1");
    let card_message = app.card_for(&source);

    // The leader claims by replying 接单 to the card.
    app.say_reply("g1", "leader1", "张伟", "接单", Some(&card_message))
        .await;
    assert!(
        app.last().text.contains("已由 张伟 接单"),
        "{}",
        app.last().text
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.state, TicketState::Claimed);
    assert_eq!(t.assignee.as_deref(), Some("L1"));

    app.say("g1", "leader1", "张伟", "/note 1 已联系电工，下午到")
        .await;
    assert!(app.last().text.contains("已联系电工"));
    app.say("g1", "leader1", "张伟", "办结 1 换了灯泡").await;
    let resolved = app.last();
    assert!(
        resolved.text.contains("办结") && resolved.text.contains("换了灯泡"),
        "{}",
        resolved.text
    );
    assert_eq!(resolved.buttons.len(), 3, "rating buttons");

    app.say("g1", "res1", "王芳", "/rate 1 满意").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.state, TicketState::Closed);
    assert_eq!(t.rating, Some(Rating::Satisfied));

    // History has every step, in order.
    let kinds: Vec<String> = app
        .store
        .ticket_events(1)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind.to_string())
        .collect();
    assert_eq!(kinds, ["opened", "claimed", "note", "resolved", "rated"]);

    // The coordinator's numbers are exactly those.
    app.say("g1", "coord1", "陈静", "统计").await;
    let stats = app.last_with("收到群众诉求");
    for part in [
        "收到群众诉求1件",
        "已回复1件",
        "0件正在处理中",
        "已办结1件（已关闭1件、待评价0件）",
        "超时签收0件，超时办结0件",
        "满意度100.0%（评价1人次）",
        "路灯照明 1",
    ] {
        assert!(
            stats.contains(part) || part == "路灯照明 1",
            "{stats} lacks {part}"
        );
    }
    let report = gridline::stats::report(&app.store, &app.settings, "all", Some("T1"))
        .await
        .expect("report");
    assert_eq!(report.stats.received, 1);
    assert_eq!(report.stats.replied, 1);
    assert_eq!(report.stats.finished(), 1);
    assert_eq!(report.stats.rates.satisfaction, Some(1.0));
    assert_eq!(report.outbox.parked, 0);
    app.stop().await;
}
both_backends!(full_life_of_a_ticket, full_life);

async fn buttons_act_like_commands(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let source = app.say("g1", "res1", "王芳", "/report 路灯不亮").await;
    let card_message = app.card_for(&source);
    // A resident pressing 接单 is refused with a toast; nothing changes.
    app.press("g1", "res1", "王芳", &card_message, "/claim 1")
        .await;
    assert_eq!(
        app.store.ticket(1).await.expect("db").expect("t").state,
        TicketState::Open
    );
    app.press("g1", "leader1", "张伟", &card_message, "/claim 1")
        .await;
    assert_eq!(
        app.store.ticket(1).await.expect("db").expect("t").state,
        TicketState::Claimed
    );
    let toasts: Vec<String> = app
        .memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            gridline::platform::Outbound::AnswerButton { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(toasts.len(), 2);
    assert!(
        toasts[0].contains("只有负责人、副网格长或上级协调员可以接单 #1"),
        "the refusal names who may: {toasts:?}"
    );
    app.stop().await;
}
both_backends!(buttons, buttons_act_like_commands);

async fn duplicate_delivery(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let ev = message("g1", "res1", "王芳", "/report 下水道堵了", None);
    let first = app.submit(ev.clone()).await.expect("stored");
    let second = app.submit(ev).await.expect("stored");
    assert_eq!((first.new, first.duplicates), (1, 0));
    assert_eq!((second.new, second.duplicates), (0, 1));
    app.settle().await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    assert_eq!(app.bot_messages().len(), 1, "one card, not two");
    app.stop().await;
}
both_backends!(same_event_twice_makes_one_ticket, duplicate_delivery);

async fn refusals(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 井盖丢了").await;

    // A resident cannot claim or resolve.
    // Refusals name who may do it, in the form the sender wrote.
    app.say("g1", "res1", "王芳", "/claim 1").await;
    let refusal = app.last().text;
    assert!(
        refusal.contains("只有负责人、副网格长或上级协调员可以接单 #1")
            && refusal.contains("/help"),
        "{refusal}"
    );
    // (The reporter's own 办结 asks the assignee to confirm: conversation tests.)
    app.say("g1", "res2", "李娜", "办结 1 好了").await;
    let refusal = app.last().text;
    assert!(
        refusal.contains("只有负责人、副网格长或上级协调员可以办结 #1")
            && refusal.contains("发送「帮助」"),
        "{refusal}"
    );
    // A leader of another grid cannot either.
    app.say("g1", "leader2", "李强", "/claim 1").await;
    assert!(
        app.last().text.contains("只有负责人"),
        "{}",
        app.last().text
    );
    assert_eq!(
        app.store.ticket(1).await.expect("db").expect("t").state,
        TicketState::Open
    );
    // Nor can a resident see statistics.
    app.say("g1", "res1", "王芳", "/stats").await;
    assert!(
        app.last()
            .text
            .contains("只有网格长或上级协调员可以使用「/stats」"),
        "{}",
        app.last().text
    );

    // Unknown and malformed commands get specific answers.
    app.say("g1", "res1", "王芳", "/frobnicate 3").await;
    assert!(
        app.last().text.contains("不认识的命令 /frobnicate"),
        "{}",
        app.last().text
    );
    // (/claim alone takes the grid's one waiting ticket: conversation tests.)
    app.say("g1", "leader1", "张伟", "/claim abc").await;
    assert!(app.last().text.contains("/claim 42"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "/claim 99").await;
    assert!(app.last().text.contains("没有找到诉求 #99"));
    app.say("g1", "leader1", "张伟", "/rate 1 满意").await;
    assert!(
        app.last().text.contains("只有反映人可以评价 #1"),
        "only the reporter rates"
    );
    // Wrong state: resolving twice.
    app.say("g1", "leader1", "张伟", "/done 1").await;
    app.say("g1", "leader1", "张伟", "/done 1").await;
    assert!(app.last().text.contains("不能办结"), "{}", app.last().text);
    app.stop().await;
}
both_backends!(refusals_are_clear, refusals);

async fn empty_and_huge(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let before = app.bot_messages().len();
    app.say("g1", "res1", "王芳", "").await;
    app.say("g1", "res1", "王芳", &"灯".repeat(100 * 1024 / 3))
        .await;
    assert_eq!(
        app.bot_messages().len(),
        before,
        "chatter, however long, gets no answer"
    );
    app.say("g1", "res1", "王芳", "/report").await;
    assert!(
        app.last().text.contains("请写上内容"),
        "{}",
        app.last().text
    );
    app.say(
        "g1",
        "res1",
        "王芳",
        &format!("/report {}", "坏".repeat(100 * 1024 / 3)),
    )
    .await;
    assert!(app.last().text.contains("内容太长"), "{}", app.last().text);
    assert_eq!(app.store.ticket_count().await.expect("count"), 0);
    let inbox = app.store.inbox_counts().await.expect("inbox");
    assert_eq!(inbox.total, 4, "every message is stored, none lost");
    app.stop().await;
}
both_backends!(empty_and_oversized_messages, empty_and_huge);

async fn bad_import(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let bad = format!("{ROSTER}person,X1,某人,NO-SUCH-GRID,,memory,x1,leader\n");
    let err = gridline::import::import_csv(&app.store, bad.as_bytes())
        .await
        .expect_err("bad row");
    let text = err.to_string();
    assert!(
        text.contains("line 14") && text.contains("NO-SUCH-GRID"),
        "{text}"
    );
    assert_eq!(
        app.store.grid_count().await.expect("count"),
        0,
        "nothing imported"
    );
    // The good file imports, and again without change.
    seed(&app, ROSTER).await;
    seed(&app, ROSTER).await;
    assert_eq!(app.store.grid_count().await.expect("count"), 4);
    app.stop().await;
}
both_backends!(import_is_all_or_nothing, bad_import);

/// The engine remembers roster lookups from one batch to the next; a change made outside it (an
/// import) must still reach the very next message: the group moved to another grid, then a new
/// leader who comes first by code.
async fn roster_change(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    assert!(app.last().text.contains("@张伟"), "{}", app.last().text);
    // Numbering a ticket is not a roster change: the memo stays good for the next batch.
    let generation = app.store.roster_generation().await.expect("generation");
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    assert!(app.last().text.contains("@张伟"), "{}", app.last().text);
    assert_eq!(
        app.store.roster_generation().await.expect("generation"),
        generation
    );

    let moved = ROSTER.replace(
        "group,,东门一网格群,T1-V1-G1,,memory,g1,",
        "group,,东门一网格群,T1-V1-G2,,memory,g1,",
    );
    seed(&app, &moved).await;
    assert!(app.store.roster_generation().await.expect("generation") > generation);
    app.say("g1", "res1", "王芳", "/report 7栋水管漏水").await;
    assert!(app.last().text.contains("@李强"), "{}", app.last().text);

    let newcomer = format!("{moved}person,L0,孙丽,T1-V1-G2,,memory,leader0,leader\n");
    seed(&app, &newcomer).await;
    app.say("g1", "res1", "王芳", "/report 9栋电梯停了").await;
    let card = app.last();
    assert!(card.text.contains("@孙丽"), "{}", card.text);
    assert_eq!(card.mentions[0].user_id, "leader0");
    app.stop().await;
}
both_backends!(
    roster_changes_outside_the_engine_reach_the_next_message,
    roster_change
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_going_away_acknowledges_nothing_unstored() {
    let app = spawn_app(Db::Postgres, |s| {
        s.database.acquire_timeout = "1s".parse().expect("duration");
    })
    .await;
    seed(&app, ROSTER).await;
    let name = app.db_url.rsplit('/').next().expect("db name").to_string();
    crate::support::postgres::admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await;
    crate::support::postgres::admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let ev = message("g1", "res1", "王芳", "/report 停电了", None);
    let err = app.submit(ev.clone()).await.expect_err("database is down");
    assert!(matches!(err, IntakeError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("not stored"), "{err}");

    // The database comes back; the platform redelivers the unacknowledged event.
    crate::support::postgres::admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let mut stored = None;
    for _ in 0..50 {
        match app.submit(ev.clone()).await {
            Ok(s) => {
                stored = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert_eq!(stored.expect("stored after recovery").new, 1);
    app.settle().await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    app.stop().await;
}

/// Where the platform can edit messages, a pressed card is redrawn with the new state and the
/// next step's buttons.
async fn card_redrawn(db: Db) {
    use gridline::platform::memory::MemoryAdapter;
    use gridline::platform::{Adapter, Capabilities, Outbound};
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = crate::support::spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let source = app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    let card = app.card_for(&source);
    app.press("g1", "leader1", "张伟", &card, "/claim 1").await;
    let edits: Vec<_> = app
        .memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            Outbound::Edit {
                chat,
                message_id,
                text,
                buttons,
            } => Some((chat, message_id, text, buttons)),
            _ => None,
        })
        .collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    let (chat, message_id, text, buttons) = &edits[0];
    assert_eq!((chat.as_str(), message_id.as_str()), ("g1", card.as_str()));
    assert!(
        text.contains("#1") && text.contains("状态：处理中"),
        "{text}"
    );
    assert_eq!(
        buttons.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        ["/done T1-V1-G1#1"]
    );
    // A refused press (a resident) changes nothing and redraws nothing.
    app.press("g1", "res1", "王芳", &card, "/done 1").await;
    let edits = app
        .memory
        .sent()
        .into_iter()
        .filter(|s| matches!(s.item, Outbound::Edit { .. }))
        .count();
    assert_eq!(edits, 1);
    app.stop().await;
}
both_backends!(pressed_card_is_redrawn, card_redrawn);

/// A platform that is offline (no bridge connected) delays delivery without using up attempts:
/// with one attempt allowed, an ordinary failure would park the card; being offline does not.
async fn offline_is_not_an_attempt(db: Db) {
    use gridline::platform::SendError;
    let app = spawn_app(db, |s| {
        s.outbox.max_attempts = 1;
        s.outbox.retry_max = "1s".parse().expect("duration");
    })
    .await;
    seed(&app, ROSTER).await;
    app.memory
        .fail_next(SendError::Offline("bridge 1 is not connected".into()));
    app.memory
        .fail_next(SendError::Offline("bridge 1 is not connected".into()));
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    assert!(app.last().text.contains("#1"), "{}", app.last().text);
    let counts = app.store.outbox_counts().await.expect("counts");
    assert_eq!(counts.parked, 0, "{counts:?}");
    app.stop().await;
}
both_backends!(
    offline_platform_waits_without_parking,
    offline_is_not_an_attempt
);

/// Many events applied in one engine transaction: new tickets are written behind, yet every
/// later event of the batch sees them (linking, claiming, status), numbers are consecutive,
/// and each ticket's timers are stored.
async fn one_batch(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let events = vec![
        message("g1", "res1", "王芳", "/report 5栋门口的路灯坏了", None),
        message(
            "g2",
            "res9",
            "孙丽",
            "/report 8号楼下水道堵了，污水漫出来",
            None,
        ),
        message(
            "g1",
            "res2",
            "李娜",
            "5栋门口路灯不亮好几天了，晚上黑漆漆的，麻烦修一下",
            None,
        ),
        message("g1", "leader1", "张伟", "/claim 1", None),
        message("g2", "res9", "孙丽", "/status 1", None),
        message("g1", "res1", "王芳", "/report 3栋电梯坏了", None),
    ];
    // One submission is one inbox commit, and the idle engine takes it as one batch.
    let stored = app.intake.submit(events, None).await.expect("stored");
    assert_eq!(stored.new, 6);
    app.settle().await;

    assert_eq!(app.store.ticket_count().await.expect("count"), 3);
    // Chats are delivered independently, so only each chat's own order is fixed.
    let chat = |id: &str| -> Vec<String> {
        app.bot_messages()
            .into_iter()
            .filter(|(m, _)| m.chat == id)
            .map(|(m, _)| m.text)
            .collect()
    };
    let g1 = chat("g1");
    assert_eq!(g1.len(), 4, "{g1:?}");
    assert!(g1[0].contains("#1"), "{g1:?}");
    assert!(g1[1].contains("#1") && g1[1].contains("并入"), "{g1:?}");
    assert!(g1[2].contains("已由 张伟 接单"), "{g1:?}");
    // Numbers count within each grid: g1's second ticket is #2, g2's first is #1.
    assert!(g1[3].contains("#2"), "{g1:?}");
    let g2 = chat("g2");
    assert_eq!(g2.len(), 2, "{g2:?}");
    assert!(g2[0].contains("#1"), "{g2:?}");
    assert!(g2[1].contains("#1") && g2[1].contains("待接单"), "{g2:?}");
    let t1 = app.store.ticket(1).await.expect("db").expect("ticket 1");
    assert_eq!(t1.state, TicketState::Claimed);
    let t3 = app.store.ticket(3).await.expect("db").expect("ticket 3");
    assert_eq!(t3.grid, "T1-V1-G1");
    assert_eq!(t3.state, TicketState::Open);

    // Every new ticket got its two reminders, which write the escalations when they fire (a
    // claim does not remove the claim reminder: it finds the ticket claimed when it falls due).
    let timers = app.store.pending_timers().await.expect("timers");
    let kinds = |id: i64| {
        let mut k: Vec<String> = timers
            .iter()
            .filter(|t| t.ticket_id == id)
            .map(|t| t.kind.to_string())
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(2), ["remind_claim", "remind_resolve"], "{timers:?}");
    assert_eq!(kinds(3), kinds(2));
    assert_eq!(kinds(1), kinds(2));

    // The bot account that serves each group was recorded (reminders and digests use it).
    let mut tx = app.store.begin().await.expect("tx");
    for grid in ["T1-V1-G1", "T1-V1-G2"] {
        let groups = tx.groups_of_grid(grid).await.expect("groups");
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].account, "bot", "{groups:?}");
    }
    drop(tx);
    app.stop().await;
}
both_backends!(one_batch_sees_its_own_new_tickets, one_batch);

/// Events that arrive while older ones wait in the inbox are only stored, and applied after
/// them: a claim never overtakes the report it claims.
async fn backlog_order(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    // An older event already stored and waiting (as after a restart, or from another replica):
    // written straight to the inbox, so nobody is woken to process it.
    let report = message("g1", "res1", "王芳", "/report 5栋门口的路灯坏了", None);
    let mut tx = app.store.begin().await.expect("tx");
    tx.insert_events(&[report], gridline::store::now_millis())
        .await
        .expect("stored");
    tx.commit().await.expect("commit");
    app.say("g1", "leader1", "张伟", "/claim 1").await;

    let t = app.store.ticket(1).await.expect("db").expect("ticket 1");
    assert_eq!(t.state, TicketState::Claimed);
    let g1: Vec<String> = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m.text)
        .collect();
    assert_eq!(g1.len(), 2, "{g1:?}");
    assert!(g1[0].contains("已受理 #1"), "{g1:?}");
    assert!(g1[1].contains("已由 张伟 接单"), "{g1:?}");
    app.stop().await;
}
both_backends!(events_behind_a_backlog_wait_their_turn, backlog_order);

/// A chat whose first message keeps failing holds back only its own later messages: with a
/// queue longer than a lease's worth of rows behind it, other chats are still delivered.
async fn stuck_chat(db: Db) {
    use gridline::platform::{Outbound, OutboundMessage};
    use gridline::store::outbox::NewOutbound;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = crate::support::database_url(db, &dir).await;
    let store = gridline::store::Store::open(&url, 4, std::time::Duration::from_secs(5))
        .await
        .expect("store");
    let row = |chat: &str, n: usize| NewOutbound {
        platform: "memory".into(),
        account: "bot".into(),
        ticket_id: None,
        item: Outbound::Send(OutboundMessage {
            chat: chat.into(),
            thread: None,
            text: format!("{chat} {n}"),
            reply_to: None,
            mentions: vec![],
            buttons: vec![],
        }),
        not_before: None,
    };
    let now = gridline::store::now_millis();
    let mut items: Vec<NewOutbound> = (0..300).map(|n| row("stuck", n)).collect();
    items.push(row("other", 0));
    items.push(row("other", 1));
    let mut tx = store.begin().await.expect("tx");
    tx.enqueue(&items, now).await.expect("enqueue");
    tx.commit().await.expect("commit");

    // Each chat's first row is leased, however long the queue before the other chat's.
    let first = store.lease_due(now, now + 60_000, 8).await.expect("lease");
    let text = |r: &gridline::store::outbox::OutboxRow| match &r.item {
        Outbound::Send(m) => m.text.clone(),
        other => format!("{other:?}"),
    };
    let texts: Vec<String> = first.iter().map(text).collect();
    assert_eq!(texts, ["stuck 0", "other 0"]);
    // The stuck chat's first row failed and waits an hour for its retry; the other was sent.
    store
        .record_deliveries(&[
            Delivery::Retry {
                id: first[0].id,
                next_at: now + 3_600_000,
                error: "chat muted".into(),
            },
            Delivery::Sent {
                id: first[1].id,
                platform: first[1].platform.clone(),
                chat: first[1].chat.clone(),
                ticket_id: None,
                message_ids: vec![],
                at: now,
            },
        ])
        .await
        .expect("recorded");

    // Nothing of the stuck chat may go now (its later rows wait behind the first), but the
    // other chat's next message does.
    let next = store
        .lease_due(now + 1, now + 60_000, 8)
        .await
        .expect("lease");
    let texts: Vec<String> = next.iter().map(text).collect();
    assert_eq!(texts, ["other 1"]);
    store.close().await;
}
both_backends!(a_stuck_chat_does_not_hold_up_the_others, stuck_chat);

/// Leases belong to a running process. While its heartbeat is fresh nobody else takes its rows;
/// once it is silent for the dead-after time (a kill -9) or has stopped, another process takes
/// them at once instead of waiting for the lease to run out. Replies go before reminders, which
/// go before digests.
async fn leases_of_the_dead(db: Db) {
    use gridline::platform::{Outbound, OutboundMessage};
    use gridline::store::outbox::{Lessee, NewOutbound, Priority};
    let dir = tempfile::tempdir().expect("tempdir");
    let url = crate::support::database_url(db, &dir).await;
    let store = gridline::store::Store::open(&url, 4, std::time::Duration::from_secs(5))
        .await
        .expect("store");
    let row = |chat: &str| NewOutbound {
        platform: "memory".into(),
        account: "bot".into(),
        ticket_id: None,
        item: Outbound::Send(OutboundMessage {
            chat: chat.into(),
            thread: None,
            text: chat.into(),
            reply_to: None,
            mentions: vec![],
            buttons: vec![],
        }),
        not_before: None,
    };
    let now = 1_000_000;
    let mut tx = store.begin().await.expect("tx");
    tx.enqueue_with(&[row("digest")], now, Priority::Digest)
        .await
        .expect("enqueue");
    tx.enqueue_with(&[row("reminder")], now, Priority::Reminder)
        .await
        .expect("enqueue");
    tx.enqueue(&[row("card")], now).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let lessee = |me: &str, at: i64| Lessee {
        incarnation: me.into(),
        alive_since: at - 6_000,
    };
    let chats = |rows: &[gridline::store::outbox::OutboxRow]| -> Vec<String> {
        let mut c: Vec<String> = rows.iter().filter_map(|r| r.chat.clone()).collect();
        c.sort();
        c
    };

    store
        .register_incarnation("a", "host:1", now)
        .await
        .expect("a");
    store
        .register_incarnation("b", "host:2", now)
        .await
        .expect("b");
    // An hour-long lease, as a process would take before delivering.
    let taken = store
        .lease_due_as(now, now + 3_600_000, 2, Some(&lessee("a", now)))
        .await
        .expect("lease");
    assert_eq!(
        chats(&taken),
        ["card", "reminder"],
        "by priority, the digest last"
    );
    // a beats; b finds only the digest.
    store.heartbeat("a", now + 4_000).await.expect("beat");
    let b = store
        .lease_due_as(
            now + 5_000,
            now + 3_600_000,
            8,
            Some(&lessee("b", now + 5_000)),
        )
        .await
        .expect("lease");
    assert_eq!(chats(&b), ["digest"]);
    // a goes silent (killed): 6 s after its last beat its rows are b's, not an hour later.
    let still = store
        .lease_due_as(
            now + 9_000,
            now + 3_600_000,
            8,
            Some(&lessee("b", now + 9_000)),
        )
        .await
        .expect("lease");
    assert!(still.is_empty(), "a beat at +4 s: alive until +10 s");
    let after = store
        .lease_due_as(
            now + 10_500,
            now + 3_600_000,
            8,
            Some(&lessee("b", now + 10_500)),
        )
        .await
        .expect("lease");
    assert_eq!(chats(&after), ["card", "reminder"]);
    // A clean stop frees its rows at once.
    store
        .register_incarnation("c", "host:3", now)
        .await
        .expect("c");
    store.heartbeat("b", now + 11_000).await.expect("beat");
    store.end_incarnation("b", now + 11_000).await.expect("end");
    let taken_over = store
        .lease_due_as(
            now + 11_001,
            now + 3_600_000,
            8,
            Some(&lessee("c", now + 11_001)),
        )
        .await
        .expect("lease");
    assert_eq!(chats(&taken_over), ["card", "digest", "reminder"]);
    store.close().await;
}
both_backends!(
    dead_processes_leases_are_taken_over_in_seconds,
    leases_of_the_dead
);

/// Text reaches the tickets, history and inbox exactly as written, whatever characters it
/// holds: the rows of a transaction are bound as one JSON parameter on PostgreSQL
/// (`store::rows`), so quotes, backslashes, JSON-looking text, line and paragraph separators
/// and characters outside the basic plane must all come back unchanged, on both backends.
async fn awkward_text(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let texts = [
        "3栋\"楼道\"灯坏了 \\ 反斜杠 \\\\ 和 \\\" 引号",
        "{\"is_request\": true, \"x\": [1, 2]} 5号楼路灯不亮 null",
        "2单元\n楼梯灯坏了\t制表\u{2028}行\u{2029}段 🏮💡 𠀀",
        "O'Brien's block: the corridor light is out -- ' OR 1=1; --",
    ];
    for (n, text) in texts.iter().enumerate() {
        app.say("g1", "res1", "王\"芳\\", &format!("/report {text}"))
            .await;
        let t = app
            .store
            .ticket(n as i64 + 1)
            .await
            .expect("db")
            .expect("ticket");
        assert_eq!(&t.body, text);
        assert_eq!(t.reporter_name, "王\"芳\\");
    }
    assert_eq!(app.store.ticket_count().await.expect("count"), 4);
    app.stop().await;
}
both_backends!(awkward_text_is_stored_as_written, awkward_text);

/// 转派 hands a ticket to a person by name, or to the leader on duty of a grid beside the
/// ticket's named as people say it; an unknown name changes nothing and says so.
async fn transfers(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 东门二网格那边的路灯坏了")
        .await;
    let assignee = |app: &crate::support::TestApp| {
        let store = app.store.clone();
        async move { store.ticket(1).await.expect("db").expect("ticket").assignee }
    };
    assert_eq!(assignee(&app).await.as_deref(), Some("L1"));

    // A grid beside this one, shortened: its leader on duty takes it.
    app.say("g1", "leader1", "张伟", "转派 1 二网格").await;
    assert!(app.last().text.contains("李强"), "{}", app.last().text);
    assert_eq!(assignee(&app).await.as_deref(), Some("L2"));

    // Back by name.
    app.say("g1", "leader2", "李强", "转给 1 张伟").await;
    assert_eq!(assignee(&app).await.as_deref(), Some("L1"));

    // Nobody and no grid of that name: said, nothing changes.
    app.say("g1", "leader1", "张伟", "转派 1 九网格").await;
    assert!(app.last().text.contains("找不到"), "{}", app.last().text);
    assert_eq!(assignee(&app).await.as_deref(), Some("L1"));
    app.stop().await;
}
both_backends!(transfer_to_a_person_or_a_grid, transfers);
