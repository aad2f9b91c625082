//! Escalations always reach someone: `gridline doctor` lists nodes that would receive them
//! with no channel, escalations go to every channel a coordinator has (bound groups, private
//! chats), and the demo roster's coordinators' groups see one arrive in the sandbox.

use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeZone as _;
use chrono_tz::Asia::Shanghai;

use crate::both_backends;
use crate::sandbox::{Api, sandbox_app};
use crate::support::{Db, ROSTER, seed, spawn_app_with};
use gridline::i18n::Texts;
use gridline::platform::memory::MemoryAdapter;
use gridline::platform::{Adapter as _, Capabilities, PrivateChats};

const MIN: Duration = Duration::from_secs(60);

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid local time")
        .timestamp_millis()
}

/// The in-process platform, reaching people privately once they wrote to the bot.
fn after_contact() -> MemoryAdapter {
    MemoryAdapter::new(Capabilities {
        private_chats: PrivateChats::AfterContact,
        ..MemoryAdapter::default().capabilities()
    })
}

async fn doctor_lines(app: &crate::support::TestApp) -> Vec<String> {
    let reach: HashMap<String, PrivateChats> =
        [("memory".to_string(), PrivateChats::AfterContact)].into();
    let report = gridline::doctor::check(&app.store, &app.settings, &reach)
        .await
        .expect("doctor");
    report.lines(&Texts::new(gridline::config::Language::Zh))
}

async fn doctor_finds_nodes_without_channels(db: Db) {
    let app = spawn_app_with(db, after_contact()).await;
    seed(&app, ROSTER).await;
    // The village's coordinator has never written to the bot, no group is bound to the
    // village or the town, and no WeCom robot is configured.
    let lines = doctor_lines(&app).await;
    assert!(
        lines.contains(&"村级 东门村（T1-V1）：没有接收上报的渠道".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"镇级 城关镇（T1）：没有接收上报的渠道".to_string()),
        "{lines:?}"
    );
    // Grids raise tickets; they receive no escalations.
    assert!(!lines.iter().any(|l| l.contains("T1-V1-G1")), "{lines:?}");

    // The coordinator writes to the bot privately: the village can be told there now.
    app.say("p-coord1", "coord1", "陈静", "帮助").await;
    let lines = doctor_lines(&app).await;
    assert!(!lines.iter().any(|l| l.contains("T1-V1")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("城关镇")), "{lines:?}");

    // A group bound to the town: every receiving node has a channel.
    seed(
        &app,
        &format!("{ROSTER}group,,城关镇协调群,T1,,memory,t1,\n"),
    )
    .await;
    let lines = doctor_lines(&app).await;
    assert_eq!(lines, ["接收上报的 2 个节点都有渠道。"], "{lines:?}");
    app.stop().await;
}
both_backends!(
    doctor_lists_nodes_without_channels,
    doctor_finds_nodes_without_channels
);

async fn escalation_to_every_channel(db: Db) {
    let app = spawn_app_with(db, after_contact()).await;
    seed(
        &app,
        &format!("{ROSTER}group,,东门村协调群,T1-V1,,memory,v1,\n"),
    )
    .await;
    // 陈静 (village coordinator) has a private chat with the bot.
    app.say("p-coord1", "coord1", "陈静", "你好").await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g1", "res1", "王芳", "3栋楼道灯坏了，晚上看不见")
        .await;
    app.clock.advance(121 * MIN);
    app.tick().await;
    app.tick().await;
    let to = |chat: &str| -> Vec<String> {
        app.bot_messages()
            .into_iter()
            .filter(|(m, _)| m.chat == chat)
            .map(|(m, _)| m.text)
            .collect()
    };
    let group = to("v1");
    assert_eq!(group.len(), 1, "{group:?}");
    assert!(group[0].contains("T1-V1-G1#1"), "{}", group[0]);
    let private: Vec<String> = to("p-coord1")
        .into_iter()
        .filter(|t| t.contains("T1-V1-G1#1"))
        .collect();
    assert_eq!(
        private.len(),
        1,
        "the coordinator's private chat: {private:?}"
    );
    app.stop().await;
}
both_backends!(escalations_reach_every_channel, escalation_to_every_channel);

/// A private chat the bot can no longer write in (blocked) is forgotten: doctor lists the node
/// again.
async fn blocked_private_chat(db: Db) {
    let app = spawn_app_with(db, after_contact()).await;
    seed(&app, ROSTER).await;
    app.say("p-coord1", "coord1", "陈静", "你好").await;
    assert!(!doctor_lines(&app).await.iter().any(|l| l.contains("T1-V1")));
    let forgotten = app
        .store
        .forget_private_chat("memory", "p-coord1")
        .await
        .expect("forget");
    assert_eq!(forgotten, 1);
    assert!(doctor_lines(&app).await.iter().any(|l| l.contains("T1-V1")));
    app.stop().await;
}
both_backends!(a_blocked_private_chat_is_forgotten, blocked_private_chat);

/// The demo roster as a newcomer runs it: a missed claim in 东风一网格 reaches 东风社区's
/// coordinators' group and 周海涛's private thread, and the town hears nothing of it.
async fn demo_escalation(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    let reach: HashMap<String, PrivateChats> = [(
        "sandbox".to_string(),
        gridline::platform::sandbox::PRIVATE_CHATS,
    )]
    .into();
    let report = gridline::doctor::check(&app.store, &app.settings, &reach)
        .await
        .expect("doctor");
    assert!(report.missing.is_empty(), "{report:?}");

    app.clock.set(local(2026, 11, 23, 10, 0));
    api.say("df-01", "wangfang", "3栋2单元楼道灯坏了，晚上看不见", None)
        .await;
    assert!(api.bot_after("df", 0).await.is_empty());
    app.clock.advance(121 * MIN);
    app.tick().await;
    app.tick().await;
    let village = api.bot_after("df", 0).await;
    assert_eq!(village.len(), 1, "{village:?}");
    let text = village[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("QS-DF-01#1"), "{text}");
    let (status, private) = api
        .get("/api/sandbox/private/zhouhaitao/messages?after=0")
        .await;
    assert_eq!(status, 200, "{private}");
    let private = private.as_array().cloned().unwrap_or_default();
    assert!(
        private
            .iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("QS-DF-01#1"))),
        "{private:?}"
    );
    assert!(
        api.bot_after("qs", 0).await.is_empty(),
        "a missed claim is the village's"
    );
    // Where a number alone names no ticket (a village's group, a private chat), the coordinator
    // is shown the full key in the command he wrote, not an example he could not use.
    for (chat, text, want) in [
        ("df", "督办", "督办 QS-DF-01#42"),
        // …and the overdue tickets under him, to pick from.
        ("df", "督办", "超时未办：\nQS-DF-01#1 [待接单]"),
        ("df", "督办 1", "「督办 QS-DF-01#1」"),
        ("df", "/urge 1", "「/urge QS-DF-01#1」"),
        ("df", "查询 1", "「查询 QS-DF-01#1」"),
        ("df", "urge", "QS-DF-01#42"),
        ("df", "待办", "QS-DF-01#1 [待接单，已上报村级]"),
    ] {
        let asked = api.say(chat, "zhouhaitao", text, None).await;
        let answer = api.answer_to(chat, asked).await;
        let answer = answer["text"].as_str().unwrap_or_default();
        assert!(answer.contains(want), "{text}: {answer}");
    }
    let asked = api.say("df", "zhouhaitao", "督办 QS-DF-01#1", None).await;
    let answer = api.answer_to("df", asked).await;
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|t| t.contains("已督办 QS-DF-01#1")),
        "{answer}"
    );
    // In his private thread too: a grid below his village, not the village's own code.
    let (status, _) = api
        .post_raw(
            "/api/sandbox/private/zhouhaitao/messages",
            r#"{"from": "zhouhaitao", "text": "督办 1"}"#,
        )
        .await;
    assert_eq!(status, 200);
    app.settle().await;
    let (_, thread) = api
        .get("/api/sandbox/private/zhouhaitao/messages?after=0")
        .await;
    let last = thread
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["text"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(last.contains("「督办 QS-DF-01#1」"), "{last}");
    // In a grid's own group the number alone is the ticket.
    let asked = api.say("df-01", "zhouhaitao", "督办", None).await;
    let answer = api.answer_to("df-01", asked).await;
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|t| t.contains("例如 督办 42\n超时未办：\n#1 [待接单]")),
        "{answer}"
    );
    app.stop().await;
}
both_backends!(the_demo_roster_shows_an_escalation_arrive, demo_escalation);

/// `gridline doctor` on a database whose village has no channel: the line, exit status 1.
#[test]
fn the_doctor_command_lists_a_channel_less_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let csv = dir.path().join("roster.csv");
    std::fs::write(&csv, ROSTER).expect("write roster");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridline"))
            .args(args)
            .env_remove("GRIDLINE_CONFIG")
            .env("GRIDLINE__DATABASE__URL", &url)
            .env("GRIDLINE__SANDBOX__ENABLED", "false")
            .output()
            .expect("run gridline")
    };
    assert!(run(&["migrate"]).status.success());
    let imported = run(&["import", csv.to_str().expect("path")]);
    assert!(imported.status.success());
    // The import says so too.
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(
        said.contains("村级 东门村（T1-V1）：没有接收上报的渠道"),
        "{said}"
    );
    let out = run(&["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("村级 东门村（T1-V1）：没有接收上报的渠道"),
        "{stdout}"
    );
    assert!(stdout.contains("镇级 城关镇（T1）"), "{stdout}");
}

/// The commands whose answers can reveal other grids, as a coordinator writes them.
const REVEALING: [&str; 6] = ["统计", "统计明细", "统计 排名", "超时", "待办", "请假名单"];

/// A coordinator's 超时 asked in a residents' group never lists another grid's ticket there:
/// without a private chat every revealing answer covers the group's own grid; once the
/// coordinator has written to the bot privately, each full answer goes there and the group
/// gets one line.
async fn overdue_asked_in_a_residents_group(db: Db) {
    let app = spawn_app_with(db, after_contact()).await;
    seed(&app, ROSTER).await;
    app.clock.set(local(2026, 11, 23, 10, 0));
    app.say("g2", "res9", "路人", "/report 5栋路灯坏了").await;
    app.say("g2", "res9", "路人", "/report 6栋门禁坏了").await;
    // The coordinator takes the second one himself: it is on his 待办.
    app.say("g2", "coord1", "陈静", "/claim 2").await;
    app.say("g2", "leader2", "李强", "/leave until 2026-11-30")
        .await;
    app.clock.advance(4 * 24 * 60 * MIN);
    app.tick().await;
    let in_chat = |app: &crate::support::TestApp, chat: &str| -> Vec<String> {
        app.bot_messages()
            .into_iter()
            .filter(|(m, _)| m.chat == chat)
            .map(|(m, _)| m.text)
            .collect()
    };
    for question in REVEALING {
        let before = in_chat(&app, "g1").len();
        app.say("g1", "coord1", "陈静", question).await;
        let answers = in_chat(&app, "g1").split_off(before);
        assert_eq!(answers.len(), 1, "{question}: {answers:?}");
        let answer = &answers[0];
        assert!(
            answer.contains("只显示本群网格「东门一网格」"),
            "{question}: {answer}"
        );
        for other in ["T1-V1-G2", "东门二网格", "李强", "东门村"] {
            assert!(
                !answer.contains(other),
                "{question} showed {other} in g1: {answer}"
            );
        }
    }
    assert!(in_chat(&app, "p-coord1").is_empty());

    app.say("p-coord1", "coord1", "陈静", "你好").await;
    // The commands, and the same questions asked in words.
    let expected = |question: &str| match question {
        "统计" | "这个月东门村怎么样" | "这个月东门村收到多少件诉求" => {
            "收到群众诉求2件"
        }
        "统计明细" | "统计 排名" | "哪个网格超时最多" => "东门二网格",
        "超时" | "哪些超时了？" => "T1-V1-G2#1",
        "待办" => "T1-V1-G2#2",
        _ => "李强",
    };
    for question in REVEALING.into_iter().chain([
        "哪些超时了？",
        "这个月东门村怎么样",
        "这个月东门村收到多少件诉求",
        "哪个网格超时最多",
    ]) {
        let (before, privately) = (in_chat(&app, "g1").len(), in_chat(&app, "p-coord1").len());
        app.say("g1", "coord1", "陈静", question).await;
        assert_eq!(
            in_chat(&app, "g1").split_off(before),
            ["已私信发送给 陈静。"],
            "{question}"
        );
        let answers = in_chat(&app, "p-coord1").split_off(privately);
        assert_eq!(answers.len(), 1, "{question}: {answers:?}");
        assert!(
            answers[0].contains(expected(question)),
            "{question}: {}",
            answers[0]
        );
    }
    // In the private chat with the bot too.
    let privately = in_chat(&app, "p-coord1").len();
    app.say("p-coord1", "coord1", "陈静", "这个月情况怎么样？")
        .await;
    let answers = in_chat(&app, "p-coord1").split_off(privately);
    assert!(
        answers.len() == 1 && answers[0].contains("收到群众诉求2件"),
        "{answers:?}"
    );
    let (before, privately) = (in_chat(&app, "g1").len(), in_chat(&app, "p-coord1").len());
    app.say("g1", "coord1", "陈静", "今天天气怎么样").await;
    assert_eq!(in_chat(&app, "g1").len(), before);
    assert_eq!(in_chat(&app, "p-coord1").len(), privately);
    assert!(
        !in_chat(&app, "g1").iter().any(|t| t.contains("T1-V1-G2")),
        "{:?}",
        in_chat(&app, "g1")
    );

    // A leader's own 待办 stays in their grid's group.
    app.say("g1", "leader1", "张伟", "待办").await;
    assert!(
        in_chat(&app, "g1")
            .pop()
            .is_some_and(|t| t.contains("待办"))
    );
    app.stop().await;
}
both_backends!(
    a_coordinators_overdue_list_stays_private,
    overdue_asked_in_a_residents_group
);

/// In the sandbox every persona has a private thread: the town coordinator's 统计 in a
/// residents' group arrives there.
async fn sandbox_private_answer(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    let asked = api.say("df-01", "liuweidong", "统计", None).await;
    let answer = api.answer_to("df-01", asked).await;
    assert_eq!(answer["text"], "已私信发送给 刘卫东。");
    let (status, private) = api
        .get("/api/sandbox/private/liuweidong/messages?after=0")
        .await;
    assert_eq!(status, 200, "{private}");
    let texts: Vec<String> = private
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect();
    assert!(texts.iter().any(|t| t.contains("青石镇")), "{texts:?}");
    // Writing in one's own private thread works; in someone else's it does not.
    let body = serde_json::json!({"from": "liuweidong", "text": "超时"}).to_string();
    let (status, _) = api
        .post_raw("/api/sandbox/private/liuweidong/messages", &body)
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .post_raw("/api/sandbox/private/wangfang/messages", &body)
        .await;
    assert_eq!(status, 403);
    app.stop().await;
}
both_backends!(
    sandbox_statistics_asked_in_a_group_arrive_privately,
    sandbox_private_answer
);
