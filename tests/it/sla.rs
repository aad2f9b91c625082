//! Deadlines, reminders, escalation, quiet hours, leave, rating follow-up, digests, restarts
//! and replicas — all with the application's clock moved by the test, never by sleeping.

use std::time::Duration;

use chrono::TimeZone as _;
use chrono_tz::Asia::Shanghai;

use crate::both_backends;
use crate::support::{Db, ROSTER, TestApp, seed, spawn_app};
use gridline::domain::TicketState;
use gridline::platform::OutboundMessage;

/// The shared roster plus a coordinators' group for the village and one for the town.
fn roster() -> String {
    format!(
        "{ROSTER}group,,东门村协调群,T1-V1,,memory,v1,\ngroup,,城关镇协调群,T1,,memory,t1,\nperson,C2,孙丽,T1,,memory,coord2,coordinator\n"
    )
}

/// Unix ms of a local (Asia/Shanghai) time.
fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid local time")
        .timestamp_millis()
}

const MIN: Duration = Duration::from_secs(60);

/// Messages the bot sent to one chat, in order.
fn sent_to(app: &TestApp, chat: &str) -> Vec<OutboundMessage> {
    app.bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .filter(|m| m.chat == chat)
        .collect()
}

fn count_containing(app: &TestApp, chat: &str, needle: &str) -> usize {
    containing(app, chat, needle).len()
}

/// Messages the bot sent to one chat that contain `needle`, in order.
fn containing(app: &TestApp, chat: &str, needle: &str) -> Vec<OutboundMessage> {
    sent_to(app, chat)
        .into_iter()
        .filter(|m| m.text.contains(needle))
        .collect()
}

async fn event_kinds(app: &TestApp, ticket: i64) -> Vec<String> {
    app.store
        .ticket_events(ticket)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind.to_string())
        .collect()
}

async fn stats_text(app: &TestApp) -> String {
    app.say("g1", "coord1", "陈静", "/stats all").await;
    app.last_with("收到群众诉求")
}

async fn reminder_then_claim_escalation(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "3栋楼道灯坏了，晚上看不见")
        .await;
    assert!(app.last().text.contains("#1"), "{}", app.last().text);

    // Half the 2 h claim window: the leader is reminded, once.
    app.clock.advance(59 * MIN);
    app.tick().await;
    assert_eq!(count_containing(&app, "g1", "提醒"), 0, "too early");
    app.clock.advance(2 * MIN);
    app.tick().await;
    let reminder = sent_to(&app, "g1").pop().expect("reminder");
    assert!(
        reminder.text.contains("提醒 @张伟") && reminder.text.contains("#1"),
        "{}",
        reminder.text
    );
    assert_eq!(reminder.mentions[0].user_id, "leader1");
    app.tick().await;
    assert_eq!(count_containing(&app, "g1", "提醒"), 1, "reminded once");

    // Nothing waits on the coordinator yet: 待办 is empty for them.
    app.say("v1", "coord1", "陈静", "待办").await;
    let todo = sent_to(&app, "v1").pop().expect("待办").text;
    assert!(todo.contains("暂无"), "{todo}");

    // The claim deadline passes: the group sees it, deputies are called, the village hears.
    app.clock.advance(60 * MIN);
    app.tick().await;
    let status = sent_to(&app, "g1").pop().expect("escalation notice");
    assert!(
        status.text.contains("已超时，已上报村级"),
        "{}",
        status.text
    );
    assert!(
        status.mentions.iter().any(|m| m.user_id == "deputy1"),
        "{status:?}"
    );
    let village = sent_to(&app, "v1");
    assert_eq!(village.len(), 2, "{village:?}");
    assert!(
        village[1].text.contains("T1-V1-G1#1") && village[1].text.contains("督办 T1-V1-G1#1"),
        "{}",
        village[1].text
    );
    assert_eq!(village[1].mentions[0].user_id, "coord1");
    assert!(
        sent_to(&app, "t1").is_empty(),
        "the town is not told of a missed claim"
    );
    // Now the escalated ticket is on the village's and the town's 待办; a new ticket in the
    // other grid, not escalated, is the leader's alone.
    app.say("g2", "res1", "王芳", "/report 8栋门口垃圾没人收")
        .await;
    app.say("v1", "coord1", "陈静", "待办").await;
    let todo = sent_to(&app, "v1").pop().expect("待办").text;
    assert!(
        todo.contains("T1-V1-G1#1") && !todo.contains("T1-V1-G2"),
        "{todo}"
    );
    app.say("t1", "coord2", "孙丽", "待办").await;
    let town = sent_to(&app, "t1").pop().expect("待办").text;
    assert!(town.contains("T1-V1-G1#1"), "{town}");

    // Acting on the same deadline again changes nothing.
    let said = sent_to(&app, "v1").len();
    app.clock.advance(10 * MIN);
    app.tick().await;
    assert_eq!(sent_to(&app, "v1").len(), said);
    let kinds = event_kinds(&app, 1).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "escalated").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "reminded").count(),
        1,
        "{kinds:?}"
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.escalated.as_deref(), Some("village"));

    let stats = stats_text(&app).await;
    assert!(stats.contains("超时签收1件"), "{stats}");
    assert!(stats.contains("上报1件"), "{stats}");
    app.stop().await;
}
both_backends!(
    claim_deadline_reminds_then_escalates,
    reminder_then_claim_escalation
);

async fn resolution_escalation(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 2栋楼道灯坏了").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Normal);
    app.say("g1", "leader1", "张伟", "接单 1").await;

    // Claimed in time: the claim timers fire into nothing.
    app.clock.advance(3 * 60 * MIN);
    app.tick().await;
    assert!(sent_to(&app, "v1").is_empty());

    // Half of 3 days: a reminder to resolve.
    app.clock.advance(33 * 60 * MIN);
    app.tick().await;
    let reminder = sent_to(&app, "g1").pop().expect("reminder");
    assert!(
        reminder.text.contains("办结") && reminder.text.contains("提醒"),
        "{}",
        reminder.text
    );

    // Three days pass unresolved: the town is told.
    app.clock.advance(37 * 60 * MIN);
    app.tick().await;
    let status = sent_to(&app, "g1").pop().expect("status");
    assert!(
        status.text.contains("已超时，已上报镇级"),
        "{}",
        status.text
    );
    let town = sent_to(&app, "t1");
    assert_eq!(town.len(), 1, "{town:?}");
    assert_eq!(town[0].mentions[0].user_id, "coord2");
    assert!(
        sent_to(&app, "v1").is_empty(),
        "a missed resolution goes to the town"
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.escalated.as_deref(), Some("town"));
    app.stop().await;
}
both_backends!(resolve_deadline_escalates_to_town, resolution_escalation);

async fn quiet_hours(db: Db) {
    let app = spawn_app(db, |s| s.sla.quiet_hours = "22:00-07:00".into()).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 21, 30));
    app.say("g1", "res1", "王芳", "/report 5栋电梯按钮不灵")
        .await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Normal);

    // 22:31: the reminder (due 22:30) is held, not sent.
    app.clock.set(local(2026, 11, 23, 22, 31));
    app.tick().await;
    assert_eq!(count_containing(&app, "g1", "提醒"), 0);

    // 23:31: the claim deadline passed. It is recorded now; the notices wait for morning.
    app.clock.set(local(2026, 11, 23, 23, 31));
    app.tick().await;
    assert_eq!(count_containing(&app, "g1", "已超时"), 0);
    assert!(sent_to(&app, "v1").is_empty());
    assert!(
        event_kinds(&app, 1)
            .await
            .contains(&"escalated".to_string())
    );
    let held = app.store.outbox_counts().await.expect("counts").held;
    assert!(
        held >= 2,
        "group notice and village report held, got {held}"
    );

    // An urgent report at night is never held.
    app.say(
        "g1",
        "res1",
        "王芳",
        "/report 3栋楼道着火了，冒烟很大，快来人",
    )
    .await;
    let urgent = app.store.ticket(2).await.expect("db").expect("ticket");
    assert_eq!(
        urgent.urgency,
        gridline::domain::Urgency::Urgent,
        "parser should see a fire as urgent"
    );
    app.clock.advance(8 * MIN);
    app.tick().await;
    let reminder = sent_to(&app, "g1").pop().expect("urgent reminder");
    assert!(
        reminder.text.contains("提醒") && reminder.text.contains("#2"),
        "{}",
        reminder.text
    );

    // 07:01: the held notices go out; the stale reminder for #1 is not sent.
    app.clock.set(local(2026, 11, 24, 7, 1));
    app.tick().await;
    assert_eq!(count_containing(&app, "g1", "#1 已超时，已上报村级"), 1);
    assert!(sent_to(&app, "v1").iter().any(|m| m.text.contains("#1")));
    assert_eq!(app.store.outbox_counts().await.expect("counts").held, 0);
    assert!(
        !sent_to(&app, "g1")
            .iter()
            .any(|m| m.text.contains("提醒") && m.text.contains("#1"))
    );
    app.stop().await;
}
both_backends!(quiet_hours_hold_normal_notices_only, quiet_hours);

async fn leave_and_return(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    assert!(app.last().text.contains("@张伟"));
    // Who serves the group, asked in words: the grid, its leader and deputy.
    app.say("g1", "res1", "王芳", "我们网格员是谁啊？").await;
    let serving = app.last().text;
    assert!(
        serving.contains("网格长：张伟") && serving.contains("副网格长：刘洋"),
        "{serving}"
    );
    assert!(!serving.contains("请假"), "{serving}");
    // A village's coordinators' group is served by its coordinators.
    app.say("v1", "coord1", "陈静", "网格员").await;
    let serving = app.last().text;
    assert!(
        serving.contains("本群网格：东门村") && serving.contains("负责人：陈静"),
        "{serving}"
    );
    assert!(!serving.contains("网格长"), "{serving}");

    app.say("g1", "leader1", "张伟", "请假 至 12月3日").await;
    let answer = app.last().text;
    assert!(
        answer.contains("12月3日") && answer.contains("1 件"),
        "{answer}"
    );

    // New tickets go to the deputy while the leader is away.
    app.say("g1", "res1", "王芳", "/report 垃圾桶满了没人清")
        .await;
    assert!(app.last().text.contains("@刘洋"), "{}", app.last().text);
    app.say("g1", "res1", "王芳", "网格员").await;
    assert!(
        app.last().text.contains("网格长今天请假，由 刘洋 代班"),
        "{}",
        app.last().text
    );

    // Coordinators see who is away; residents may not ask.
    app.say("g1", "coord1", "陈静", "请假名单").await;
    assert!(
        app.last().text.contains("张伟") && app.last().text.contains("12月3日"),
        "{}",
        app.last().text
    );
    app.say("g1", "res1", "王芳", "/onleave").await;
    assert!(
        app.last()
            .text
            .contains("只有网格长或上级协调员可以使用「/onleave」"),
        "{}",
        app.last().text
    );

    // Handover moves the leader's open ticket to the deputy.
    app.say("g1", "leader1", "张伟", "交接").await;
    assert!(
        app.last().text.contains("@刘洋") && app.last().text.contains("#1"),
        "{}",
        app.last().text
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.assignee.as_deref(), Some("D1"));

    // Back: new tickets go to the leader again.
    app.say("g1", "leader1", "张伟", "/back").await;
    assert!(app.last().text.contains("销假"), "{}", app.last().text);
    app.say("g1", "res1", "王芳", "/report 路灯不亮").await;
    assert!(app.last().text.contains("@张伟"), "{}", app.last().text);

    // Leave ends by itself after the last day.
    app.say("g1", "leader1", "张伟", "/leave until 2026-11-24")
        .await;
    app.clock.set(local(2026, 11, 25, 0, 1));
    app.say("g1", "res1", "王芳", "/report 井盖松了").await;
    assert!(app.last().text.contains("@张伟"), "{}", app.last().text);

    // A resident cannot go on leave; a past day is refused.
    app.say("g1", "res1", "王芳", "/leave until 2026-12-01")
        .await;
    assert!(!app.last().text.contains("请假至"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "/leave until 2026-11-01")
        .await;
    assert!(app.last().text.contains("已过"), "{}", app.last().text);
    // A date that cannot be read is shown in the form written, with the Chinese word.
    app.say("g1", "leader1", "张伟", "请假 下周").await;
    assert!(
        app.last().text.ends_with("例如 请假 2026-12-03"),
        "{}",
        app.last().text
    );
    // Why may follow the date.
    app.say("g1", "leader1", "张伟", "请假 至 12月9日 回老家")
        .await;
    assert!(app.last().text.contains("请假至"), "{}", app.last().text);
    app.stop().await;
}
both_backends!(leave_handover_and_return, leave_and_return);

async fn urge(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    // A bare number in the village group names no grid: gridline asks for the full number.
    app.say("v1", "coord1", "陈静", "督办 1").await;
    assert!(
        app.last().text.contains("T1-V1-G1#1"),
        "{}",
        app.last().text
    );
    app.say("v1", "coord1", "陈静", "督办 T1-V1-G1#1").await;
    // The answer in the village group and the notice in the grid's group may be delivered in
    // either order (each chat is paced on its own): look at the village group's.
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(answer.text.contains("已督办 T1-V1-G1#1"), "{}", answer.text);
    let notice = sent_to(&app, "g1").pop().expect("urge notice");
    assert!(
        notice.text.contains("督办") && notice.text.contains("@张伟"),
        "{}",
        notice.text
    );
    assert_eq!(notice.mentions[0].user_id, "leader1");
    assert!(event_kinds(&app, 1).await.contains(&"urged".to_string()));
    // A leader or resident cannot supervise.
    app.say("g1", "leader1", "张伟", "/urge 1").await;
    assert!(
        !sent_to(&app, "g1")
            .last()
            .expect("answer")
            .text
            .contains("【督办】")
    );
    app.stop().await;
}
both_backends!(coordinator_supervises_by_command, urge);

/// The village of the roster with three reports: 一网格's #1 (楼道灯) and #2 (垃圾), 二网格's
/// #1 (楼道灯).
async fn three_reports(db: Db) -> TestApp {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    app.say("g2", "res1", "王芳", "/report 二网格楼道灯也坏了")
        .await;
    app
}

/// A supervisor hurries a job in words: the grid named (as shortened) and the job named reach
/// the one active ticket, 督办'd with the words; a leader's same words supervise nothing.
async fn urge_in_words(db: Db) {
    let app = three_reports(db).await;
    app.say("g1", "leader1", "张伟", "楼道灯的事抓紧处理").await;
    assert!(!event_kinds(&app, 1).await.contains(&"urged".to_string()));
    app.say("v1", "coord1", "陈静", "东门一网格楼道灯那件事抓紧办一下")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(answer.text.contains("已督办 T1-V1-G1#1"), "{}", answer.text);
    assert!(event_kinds(&app, 1).await.contains(&"urged".to_string()));
    for n in [2, 3] {
        assert!(!event_kinds(&app, n).await.contains(&"urged".to_string()));
    }
    let notice = sent_to(&app, "g1").pop().expect("urge notice");
    assert!(notice.text.contains("抓紧办一下"), "{}", notice.text);

    // The hurrying first, the job after it.
    app.say("v1", "coord1", "陈静", "帮我催一下东门二网格楼道灯那个")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(answer.text.contains("已督办 T1-V1-G2#1"), "{}", answer.text);

    // Asking after a job the same way is answered with its state; a job nobody reported
    // there is said to have nothing fitting; a leader's same words ask nothing of other grids.
    app.say("v1", "coord1", "陈静", "东门一网格垃圾那件事怎么样了")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(
        answer.text.starts_with("T1-V1-G1#2 待接单"),
        "{}",
        answer.text
    );
    app.say("v1", "coord1", "陈静", "东门二网格垃圾的事处理了没")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(
        answer.text.contains("正在处理的相关诉求") && answer.text.contains("暂无"),
        "{}",
        answer.text
    );
    let before = sent_to(&app, "g1").len();
    app.say("g1", "leader1", "张伟", "东门二网格楼道灯的事怎么样了")
        .await;
    assert!(
        sent_to(&app, "g1")[before..]
            .iter()
            .all(|m| !m.text.contains("T1-V1-G2")),
        "{:?}",
        sent_to(&app, "g1")
    );
    // In a residents' group, a coordinator's question about another grid's job is not
    // answered there; about the group's own grid it is.
    let before = sent_to(&app, "g1").len();
    app.say("g1", "coord1", "陈静", "东门二网格垃圾那件事怎么样了")
        .await;
    let said = &sent_to(&app, "g1")[before..];
    assert!(
        said.iter().all(|m| !m.text.contains("T1-V1-G2"))
            && said.iter().any(|m| m.text.contains("不是本群的网格")),
        "{said:?}"
    );
    app.say("g1", "coord1", "陈静", "东门一网格垃圾那件事怎么样了")
        .await;
    let answer = sent_to(&app, "g1").pop().expect("answer");
    assert!(answer.text.contains("#2 待接单"), "{}", answer.text);
    // How much is still outstanding: the figures in full.
    app.say("v1", "coord1", "陈静", "东门一网格还有几件没办完")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(
        answer.text.contains("累计") && answer.text.contains("2件正在处理中"),
        "{}",
        answer.text
    );
    app.stop().await;
}
both_backends!(supervisor_urges_in_words, urge_in_words);

/// `未接单` and its words: the tickets nobody has claimed under the asker's node (or the grid
/// named), longest waiting first; a claimed one is not among them.
async fn unclaimed(db: Db) {
    let app = three_reports(db).await;
    app.say("g1", "leader1", "张伟", "接单 1").await;
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains('#'))
            .map(str::to_string)
            .collect()
    };

    app.say("v1", "coord1", "陈静", "哪些还没接单？").await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    let listed = lines(&answer.text);
    assert!(answer.text.starts_with("尚未接单"), "{}", answer.text);
    assert_eq!(listed.len(), 2, "{}", answer.text);
    assert!(listed[0].contains("T1-V1-G1#2"), "{}", answer.text);
    assert!(listed[1].contains("T1-V1-G2#"), "{}", answer.text);

    app.say("v1", "coord1", "陈静", "东门二网格还有几件没人接")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    let listed = lines(&answer.text);
    assert_eq!(listed.len(), 1, "{}", answer.text);
    assert!(listed[0].contains("T1-V1-G2#"), "{}", answer.text);

    // A grid named by who looks after it.
    app.say("v1", "coord1", "陈静", "李强那边还有哪些没接单")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    let listed = lines(&answer.text);
    assert_eq!(listed.len(), 1, "{}", answer.text);
    assert!(listed[0].contains("T1-V1-G2#"), "{}", answer.text);

    // A period before the question is dropped; words naming no grid leave the asker's node.
    app.say("v1", "coord1", "陈静", "今天哪些还没接单").await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert_eq!(lines(&answer.text).len(), 2, "{}", answer.text);
    app.say("v1", "coord1", "陈静", "李强那边有没有超时的")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(answer.text.starts_with("超时未办"), "{}", answer.text);
    app.say("v1", "coord1", "陈静", "帮我看看有没有超时的")
        .await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(answer.text.starts_with("超时未办"), "{}", answer.text);
    app.say("v1", "coord1", "陈静", "李强这个月接了几单").await;
    let answer = sent_to(&app, "v1").pop().expect("answer");
    assert!(
        answer
            .text
            .starts_with("东门二网格 2026年11月：收到群众诉求1件"),
        "{}",
        answer.text
    );

    // A leader's: their own grid only. A resident's same question is no command.
    app.say("g1", "leader1", "张伟", "未接单").await;
    let answer = sent_to(&app, "g1").pop().expect("answer");
    assert!(
        answer.text.contains("#2") && !answer.text.contains("T1-V1-G2"),
        "{}",
        answer.text
    );
    app.say("g1", "leader1", "张伟", "我手上还有几件").await;
    let answer = sent_to(&app, "g1").pop().expect("answer");
    assert!(answer.text.starts_with("待办"), "{}", answer.text);
    let before = sent_to(&app, "g1").len();
    app.say("g1", "res1", "王芳", "哪些还没接单？").await;
    assert!(
        sent_to(&app, "g1")[before..]
            .iter()
            .all(|m| !m.text.starts_with("尚未接单")),
        "{:?}",
        sent_to(&app, "g1")
    );
    app.stop().await;
}
both_backends!(unclaimed_tickets_listed, unclaimed);

/// Supervisors write as they speak: 督办 with what they ask for, 超时 with the unit they mean
/// (a code, a name or a name shortened), and a command word of theirs that does not fit is
/// answered with the command's usage rather than silence.
async fn supervisors_name_the_unit_and_say_what_they_want(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    app.say("g2", "res1", "王芳", "/report 二网格路面塌了一块")
        .await;

    app.say("v1", "coord1", "陈静", "督办 T1-V1-G1#1 请今天下班前处理完")
        .await;
    let notice = sent_to(&app, "g1").pop().expect("urge notice");
    assert!(
        notice.text.contains("【督办】") && notice.text.contains("请今天下班前处理完"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("@张伟"), "{}", notice.text);
    let urged = app
        .store
        .ticket_events(1)
        .await
        .expect("events")
        .into_iter()
        .find(|e| e.kind.to_string() == "urged")
        .expect("urged in the history");
    assert_eq!(urged.detail, "请今天下班前处理完");

    // Both tickets past their claim deadline.
    app.clock.set(local(2026, 11, 23, 14, 0));
    app.say("v1", "coord1", "陈静", "超时").await;
    let all = sent_to(&app, "v1").pop().expect("answer").text;
    assert!(
        all.contains("T1-V1-G1#1") && all.contains("T1-V1-G2#1"),
        "{all}"
    );
    for scope in ["东门一网格", "T1-V1-G1", "东门一"] {
        app.say("v1", "coord1", "陈静", &format!("超时 {scope}"))
            .await;
        let one = sent_to(&app, "v1").pop().expect("answer").text;
        assert!(one.contains("T1-V1-G1#1"), "{scope}: {one}");
        assert!(!one.contains("T1-V1-G2#"), "{scope}: {one}");
    }
    app.say("v1", "coord1", "陈静", "超时 西门村").await;
    let unknown = sent_to(&app, "v1").pop().expect("answer").text;
    assert!(
        unknown.contains("没有名为或编号为“西门村”的网格"),
        "{unknown}"
    );
    // A grid outside what the asker oversees: told so, with what they do oversee, not the
    // refusal meant for residents; and an unknown name suggests only grids they may ask about.
    app.say("v1", "coord1", "陈静", "统计 城关镇").await;
    let outside = sent_to(&app, "v1").pop().expect("answer").text;
    assert_eq!(
        outside, "抱歉，只有负责城关镇（T1）的人员可以对它使用「统计」；您负责：东门村（T1-V1）。",
        "{outside}"
    );
    app.say("g2", "leader2", "李强", "超时 东门一网格").await;
    let other = sent_to(&app, "g2").pop().expect("answer").text;
    assert!(
        other.contains("只有负责东门一网格（T1-V1-G1）的人员")
            && other.contains("东门二网格（T1-V1-G2）"),
        "{other}"
    );
    app.say("v1", "coord1", "陈静", "超时 西门镇").await;
    let suggested = sent_to(&app, "v1").pop().expect("answer").text;
    assert!(
        suggested.contains("没有名为或编号为“西门镇”的网格") && !suggested.contains("城关镇"),
        "{suggested}"
    );

    // 请假名单 for a unit too.
    app.say("g1", "leader1", "张伟", "/leave until 2026-11-25")
        .await;
    app.say("v1", "coord1", "陈静", "请假名单 东门一").await;
    let one = sent_to(&app, "v1").pop().expect("answer").text;
    assert!(one.contains("张伟（东门一网格）"), "{one}");
    app.say("v1", "coord1", "陈静", "请假名单 东门二网格").await;
    let other = sent_to(&app, "v1").pop().expect("answer").text;
    assert!(
        other.contains("请假人员") && !other.contains("张伟"),
        "{other}"
    );

    // A command word that does not fit: its usage, not silence.
    let before = sent_to(&app, "v1").len();
    app.say("v1", "coord1", "陈静", "待办 明天再说").await;
    let usage = sent_to(&app, "v1");
    assert_eq!(usage.len(), before + 1, "answered");
    assert!(
        usage.last().expect("usage").text.contains("不用写其他内容"),
        "{}",
        usage.last().expect("usage").text
    );
    // From a resident the same words are speech: no usage, no refusal.
    let before = sent_to(&app, "g1").len();
    app.say("g1", "res1", "王芳", "督办 一下吧 这灯都坏三天了")
        .await;
    assert!(
        sent_to(&app, "g1")[before..]
            .iter()
            .all(|m| !m.text.contains("例如") && !m.text.contains("督办")),
        "{:?}",
        &sent_to(&app, "g1")[before..]
    );
    app.stop().await;
}
both_backends!(
    supervisors_name_the_unit_and_say_what_they_want,
    supervisors_name_the_unit_and_say_what_they_want
);

/// At 22:40, with quiet hours until 07:00, supervision says when the reminder goes out; an
/// urgent ticket's goes out at once.
async fn urge_in_quiet_hours(db: Db) {
    let app = spawn_app(db, |s| s.sla.quiet_hours = "22:00-07:00".into()).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 22, 40));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    app.say("v1", "coord1", "陈静", "督办 T1-V1-G1#1").await;
    // The answer in the village group and an urgent ticket's notice in the grid's group may be
    // delivered in either order: read the village group's.
    let village_answer = |app: &TestApp| sent_to(app, "v1").pop().expect("answer").text;
    let answer = village_answer(&app);
    assert!(answer.contains("提醒将于 07:00 发出"), "{answer}");
    assert!(!answer.contains("已提醒负责人"), "{answer}");
    app.say("g1", "res1", "王芳", "/report 厨房煤气泄漏，味道很大")
        .await;
    let t = app.store.ticket(2).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Urgent);
    app.say("v1", "coord1", "陈静", "督办 T1-V1-G1#2").await;
    let answer = village_answer(&app);
    assert!(
        answer.contains("已督办") && !answer.contains("07:00"),
        "{answer}"
    );
    app.stop().await;
}
both_backends!(urge_in_quiet_hours_says_when, urge_in_quiet_hours);

async fn ratings(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    for text in [
        "/report 1栋灯坏了",
        "/report 2栋灯坏了",
        "/report 3栋灯坏了",
    ] {
        app.say("g1", "res1", "王芳", text).await;
    }
    for n in 1..=3 {
        app.say("g1", "leader1", "张伟", &format!("办结 {n} 换了灯泡"))
            .await;
    }
    // Satisfied closes; not fixed reopens and tells the village; silence closes unrated.
    app.say("g1", "res1", "王芳", "评价 1 满意").await;
    app.say("g1", "res1", "王芳", "/rate 2 不满意").await;
    let t2 = app.store.ticket(2).await.expect("db").expect("ticket");
    assert_eq!(t2.state, TicketState::Claimed);
    assert_eq!(t2.reopened, 1);
    // The group's answer and the village's notice are paced per chat and may go out in either
    // order: look at the group's last message.
    let answer = sent_to(&app, "g1").pop().expect("answer");
    assert!(answer.text.contains("@张伟"), "{}", answer.text);
    let village = sent_to(&app, "v1");
    assert!(
        village
            .iter()
            .any(|m| m.text.contains("退回重办") && m.text.contains("#2")),
        "{village:?}"
    );

    app.clock.advance(3 * 24 * 60 * MIN + MIN);
    app.tick().await;
    let t3 = app.store.ticket(3).await.expect("db").expect("ticket");
    assert_eq!(t3.state, TicketState::Closed);
    assert_eq!(t3.rating, None);
    assert_eq!(count_containing(&app, "g1", "#3 超过评价期限"), 1);
    // The reopened ticket does not time out as unrated: it is not resolved any more.
    let t2 = app.store.ticket(2).await.expect("db").expect("ticket");
    assert_eq!(t2.state, TicketState::Claimed);

    let stats = stats_text(&app).await;
    assert!(stats.contains("未评价结案1件"), "{stats}");
    assert!(stats.contains("重办1件"), "{stats}");
    // Two ratings (满意, 不满意); the unrated closure is not counted as satisfied.
    assert!(stats.contains("满意度50.0%（评价2人次）"), "{stats}");
    app.stop().await;
}
both_backends!(rating_satisfied_reopen_and_timeout, ratings);

async fn digests(db: Db) {
    let app = spawn_app(db, |s| {
        s.digest.daily_at = "20:00".into();
        s.digest.weekly_at = "mon 09:00".into();
    })
    .await;
    seed(&app, &roster()).await;
    // Tuesday 2026-11-24, before the daily summary (and long after Monday's weekly report,
    // which is not sent late).
    app.clock.set(local(2026, 11, 24, 19, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "/report 垃圾没人收").await;
    app.say("g1", "leader1", "张伟", "办结 1 修好了").await;
    app.tick().await;
    assert_eq!(
        count_containing(&app, "g1", "小结"),
        0,
        "not yet 20:00: {:?}",
        sent_to(&app, "g1")
    );

    app.clock.set(local(2026, 11, 24, 20, 1));
    app.tick().await;
    app.tick().await;
    let digest = containing(&app, "g1", "小结");
    assert_eq!(digest.len(), 1, "one summary, however often timers run");
    assert!(
        digest[0].text.contains("新增诉求 2 件")
            && digest[0].text.contains("办结 1 件")
            && digest[0].text.contains("仍在处理 1 件"),
        "{}",
        digest[0].text
    );
    assert!(
        !digest[0].text.contains("王芳") && !digest[0].text.contains("张伟"),
        "no personal data"
    );
    assert_eq!(
        count_containing(&app, "g2", "小结"),
        0,
        "a quiet group gets no summary"
    );

    // The next Monday 09:00: the weekly report reaches the coordinators' groups.
    app.clock.set(local(2026, 11, 30, 9, 1));
    app.tick().await;
    let weekly = sent_to(&app, "v1")
        .into_iter()
        .find(|m| m.text.contains("周报"))
        .expect("village weekly report");
    assert!(weekly.text.contains("收到群众诉求2件"), "{}", weekly.text);
    assert!(
        weekly.text.contains("2026年11月23日至29日"),
        "{}",
        weekly.text
    );
    assert!(
        weekly.text.contains("#2"),
        "slowest open ticket listed: {}",
        weekly.text
    );
    assert!(sent_to(&app, "t1").iter().any(|m| m.text.contains("周报")));
    app.tick().await;
    assert_eq!(count_containing(&app, "v1", "周报"), 1);

    // Sent after midnight, the summary is the day's. The daemon's timers may send it before
    // the morning's report is stored, so the count's upper bound is checked on the store below.
    app.clock.set(local(2026, 11, 30, 19, 0));
    app.say("g2", "res9", "路人", "/report 5栋路灯坏了").await;
    app.clock.set(local(2026, 12, 1, 1, 0));
    app.say("g2", "res9", "路人", "/report 6栋门禁坏了").await;
    app.tick().await;
    let late = containing(&app, "g2", "小结");
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(
        late[0].text.contains("11月30日")
            && late[0].text.contains("新增诉求 1 件")
            && late[0].text.contains("仍在处理 1 件"),
        "{}",
        late[0].text
    );
    // The day's counts stop at the summary's time, whenever it is sent.
    let mut tx = app.store.begin_background().await.expect("tx");
    let day = tx
        .group_activity(local(2026, 11, 30, 0, 0), local(2026, 11, 30, 20, 0))
        .await
        .expect("activity");
    let g2 = day.iter().find(|g| g.target.chat_id == "g2").expect("g2");
    assert_eq!((g2.created, g2.resolved, g2.open), (1, 0, 1));
    drop(tx);
    app.stop().await;
}
both_backends!(daily_and_weekly_digests, digests);

async fn restart_after_missed_deadline(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    // Down from 10:00 until well past the claim deadline.
    let app = app.restart(|clock| clock.advance(5 * 60 * MIN)).await;
    app.tick().await;
    app.tick().await;
    let village = sent_to(&app, "v1");
    assert_eq!(
        village.len(),
        1,
        "acted on once after the restart: {village:?}"
    );
    // The reminder's moment passed with the deadline: only the escalation is sent.
    assert_eq!(count_containing(&app, "g1", "提醒"), 0);
    let kinds = event_kinds(&app, 1).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "escalated").count(),
        1,
        "{kinds:?}"
    );
    // And a second restart does not repeat it.
    let app = app.restart(|_| {}).await;
    app.tick().await;
    assert!(
        sent_to(&app, "v1").is_empty(),
        "nothing new after another restart"
    );
    let kinds = event_kinds(&app, 1).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "escalated").count(),
        1,
        "{kinds:?}"
    );
    app.stop().await;
}
both_backends!(
    restart_acts_once_on_missed_deadline,
    restart_after_missed_deadline
);

/// Two daemons sharing one PostgreSQL race for the same due timers: each is acted on once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_race_for_timers_on_postgres() {
    let a = spawn_app(Db::Postgres, |_| {}).await;
    seed(&a, &roster()).await;
    a.clock.set(local(2026, 11, 23, 10, 0));
    for n in 0..20 {
        a.say("g1", "res1", "王芳", &format!("/report {n}号楼道灯坏了"))
            .await;
    }
    let b = a.replica().await;
    a.clock.advance(3 * 60 * MIN);
    let (fa, fb) = tokio::join!(a.engine.run_timers(&a.store), b.engine.run_timers(&b.store));
    let (fa, fb) = (fa.expect("replica a"), fb.expect("replica b"));
    a.settle().await;
    b.settle().await;
    // 20 tickets × (claim reminder + claim escalation) fell due; the two replicas together
    // (and the background loops) acted on each once.
    let mut escalations = 0;
    for n in 1..=20 {
        let kinds = event_kinds(&a, n).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "escalated").count(),
            1,
            "ticket {n}: {kinds:?}"
        );
        escalations += 1;
    }
    assert_eq!(escalations, 20);
    let village: usize = [&a, &b].iter().map(|app| sent_to(app, "v1").len()).sum();
    assert_eq!(
        village, 20,
        "one village report per ticket across both replicas"
    );
    assert!(fa + fb <= 40, "no timer taken twice ({fa} + {fb})");
    b.stop().await;
    a.stop().await;
}

async fn working_time(db: Db) {
    let calendar = concat!(env!("CARGO_MANIFEST_DIR"), "/config/calendar-example.toml");
    let app = spawn_app(db, |s| s.sla.calendar = calendar.into()).await;
    seed(&app, &roster()).await;
    // Friday 17:00: half an hour of working time left today, the rest on Monday morning.
    app.clock.set(local(2026, 11, 27, 17, 0));
    app.say("g1", "res1", "王芳", "/report 楼道灯坏了").await;
    let card = app.last().text;
    assert!(
        card.contains("工作时间2小时") && card.contains("11月30日 10:00"),
        "{card}"
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    // (The clock keeps flowing after it is set: allow the milliseconds the report took.)
    assert!(
        (t.claim_due - local(2026, 11, 30, 10, 0)).abs() < 60_000,
        "{}",
        t.claim_due
    );

    // The weekend does not count: nothing is overdue on Saturday.
    app.clock.set(local(2026, 11, 28, 12, 0));
    app.tick().await;
    assert!(sent_to(&app, "v1").is_empty());
    app.clock.set(local(2026, 11, 30, 10, 1));
    app.tick().await;
    assert_eq!(sent_to(&app, "v1").len(), 1);
    app.stop().await;
}
both_backends!(deadlines_count_working_time_with_a_calendar, working_time);
