//! More time to resolve a ticket (延期): asked by whoever handles it, decided in chat by a
//! coordinator above (typed or with the button), at most three approved, each in the history,
//! the deadline moved only on approval, counted in the statistics, the card redrawn with the
//! new deadline. In-process, on Telegram's fake and in the sandbox.

use serde_json::json;
use std::time::Duration;

use crate::both_backends;
use crate::fake_telegram::{Chat, FakeTelegram, User};
use crate::sandbox::{Api, sandbox_app};
use crate::support::{Db, ROSTER, TestApp, seed, spawn_app, spawn_app_with};
use gridline::platform::memory::MemoryAdapter;
use gridline::platform::{Adapter as _, Capabilities, OutboundMessage};

const DAY: i64 = 24 * 3600 * 1000;

fn roster() -> String {
    format!("{ROSTER}group,,东门村协调群,T1-V1,,memory,v1,\n")
}

fn sent_to(app: &TestApp, chat: &str) -> Vec<(OutboundMessage, Vec<String>)> {
    app.bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == chat)
        .collect()
}

async fn resolve_due(app: &TestApp, id: i64) -> i64 {
    app.store
        .ticket(id)
        .await
        .expect("db")
        .expect("ticket")
        .resolve_due
}

/// The last message the bot sent to `chat` (chats are delivered independently).
fn last_in(app: &TestApp, chat: &str) -> String {
    sent_to(app, chat).pop().expect("an answer").0.text
}

/// The last text the card `card` was edited to.
fn card_now(app: &TestApp, card: &str) -> String {
    app.card_redrawn(card).expect("card redrawn")
}

async fn extensions(db: Db) {
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = spawn_app_with(db, memory).await;
    seed(&app, &roster()).await;
    let source = app.say("g1", "res1", "王芳", "/report 3栋水管漏水").await;
    let card = app.card_for(&source);
    app.say("g1", "leader1", "张伟", "接单 1").await;
    let due = resolve_due(&app, 1).await;

    // A resident may not ask; the leader may, and the village hears of it with buttons.
    app.say("g1", "res1", "王芳", "延期 1 3天 等配件").await;
    let refusal = last_in(&app, "g1");
    assert!(refusal.contains("只有负责人"), "{refusal}");
    app.say("g1", "leader1", "张伟", "延期 1 3天 等配件").await;
    let answer = last_in(&app, "g1");
    assert!(answer.contains("已提交 #1 延期 3 天的申请"), "{answer}");
    assert!(answer.contains("东门村协调员审批"), "{answer}");
    assert_eq!(
        resolve_due(&app, 1).await,
        due,
        "nothing moves before approval"
    );
    let (request, ids) = sent_to(&app, "v1").pop().expect("the village is asked");
    assert!(
        request.text.contains("【延期申请】T1-V1-G1#1")
            && request.text.contains("张伟")
            && request.text.contains("等配件")
            && request.text.contains("第 1 次"),
        "{}",
        request.text
    );
    assert!(request.mentions.iter().any(|m| m.user_id == "coord1"));
    let buttons: Vec<&str> = request.buttons.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(buttons, ["/approve T1-V1-G1#1", "/reject T1-V1-G1#1"]);
    // A second request while one waits is told so; days beyond the limit are refused.
    app.say("g1", "leader1", "张伟", "/extend 1 2d").await;
    assert!(
        last_in(&app, "g1").contains("等待审批"),
        "{}",
        last_in(&app, "g1")
    );
    // Days that cannot be read get a hint, in the form the sender used.
    app.say("g1", "leader1", "张伟", "延期 1 三个月").await;
    assert!(
        last_in(&app, "g1").contains("延期 42 3d"),
        "{}",
        last_in(&app, "g1")
    );

    // The request waits on the coordinator: it is on their 待办 until decided.
    app.say("v1", "coord1", "陈静", "待办").await;
    let todo = last_in(&app, "v1");
    assert!(
        todo.contains("T1-V1-G1#1 [处理中，延期3天待审批]"),
        "what waits on the coordinator: {todo}"
    );
    // 同意延期 alone: how to write it, and the requests to pick from.
    app.say("v1", "coord1", "陈静", "同意延期").await;
    let which = last_in(&app, "v1");
    assert!(
        which.contains("待审批的延期申请：\nT1-V1-G1#1 [处理中，延期3天待审批]"),
        "{which}"
    );

    // The leader cannot approve; the coordinator presses 同意延期 in the village's group.
    app.say("g1", "leader1", "张伟", "同意延期 1").await;
    let refusal = last_in(&app, "g1");
    assert!(refusal.contains("只有上级协调员"), "{refusal}");
    app.press("v1", "coord1", "陈静", &ids[0], &request.buttons[0].id)
        .await;
    let new_due = due + 3 * DAY;
    assert_eq!(resolve_due(&app, 1).await, new_due);
    app.say("v1", "coord1", "陈静", "待办").await;
    let todo = last_in(&app, "v1");
    assert!(todo.contains("暂无"), "decided: off the 待办: {todo}");
    let told = sent_to(&app, "g1").pop().expect("the group is told").0;
    assert!(
        told.text.contains("#1 延期 3 天已由 陈静 同意") && told.text.contains("新的办结时限"),
        "{}",
        told.text
    );
    assert!(
        told.mentions.iter().any(|m| m.user_id == "leader1"),
        "the asker is mentioned"
    );
    // The card shows the new deadline.
    let redrawn = card_now(&app, &card);
    assert!(
        redrawn.contains("办结时限") && redrawn.contains("已延期 1 次"),
        "{redrawn}"
    );
    assert!(redrawn.contains("状态：处理中"), "{redrawn}");

    // Refused in typed form, with a reason: the deadline stays.
    app.say("g1", "leader1", "张伟", "#1 延期 2天 还要等").await;
    app.say("v1", "coord1", "陈静", "不同意延期 T1-V1-G1#1 尽快处理")
        .await;
    assert_eq!(resolve_due(&app, 1).await, new_due);
    let told = sent_to(&app, "g1").pop().expect("told").0;
    assert!(
        told.text.contains("未获 陈静 同意（尽快处理）"),
        "{}",
        told.text
    );
    // Nothing waits now.
    app.say("v1", "coord1", "陈静", "/approve T1-V1-G1#1").await;
    assert!(
        last_in(&app, "v1").contains("没有待审批的延期申请"),
        "{}",
        last_in(&app, "v1")
    );
    // Asked after the deadline has passed: the coordinator sees that it was missed.
    app.clock.set(new_due + 60_000);
    app.say("g1", "leader1", "张伟", "/extend 1 1d 配件未到")
        .await;
    let late = sent_to(&app, "v1").pop().expect("the village is asked").0;
    assert!(late.text.contains("（已超时）"), "{}", late.text);
    app.say("v1", "coord1", "陈静", "/approve T1-V1-G1#1").await;
    // A day from the approval, not from the deadline already missed.
    let late_due = resolve_due(&app, 1).await;
    assert!(late_due >= new_due + 60_000 + DAY, "{late_due}");
    // One more approved makes three; a fourth may not be asked.
    app.say("g1", "leader1", "张伟", "/extend 1 1d 配件未到")
        .await;
    app.say("v1", "coord1", "陈静", "/approve T1-V1-G1#1").await;
    assert_eq!(resolve_due(&app, 1).await, late_due + DAY);
    app.say("g1", "leader1", "张伟", "延期 1 1天").await;
    assert!(
        last_in(&app, "g1").contains("已延期 3 次，不能再申请延期"),
        "{}",
        last_in(&app, "g1")
    );
    assert!(card_now(&app, &card).contains("已延期 3 次"));
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.extensions, 3);
    let kinds: Vec<String> = app
        .store
        .ticket_events(1)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind.id().to_string())
        .filter(|k| k.starts_with("extension"))
        .collect();
    assert_eq!(
        kinds,
        [
            "extension_asked",
            "extension_approved",
            "extension_asked",
            "extension_refused",
            "extension_asked",
            "extension_approved",
            "extension_asked",
            "extension_approved"
        ]
    );
    // 查询 shows the history lines.
    app.say("g1", "leader1", "张伟", "查询 1").await;
    let status = last_in(&app, "g1");
    assert!(
        status.contains("申请延期") && status.contains("同意延期") && status.contains("不同意延期"),
        "{status}"
    );

    // A coordinator handling a ticket may ask, but another decides it.
    app.say("g1", "res1", "王芳", "/report 5栋路灯不亮").await;
    app.say("v1", "coord1", "陈静", "接单 T1-V1-G1#2").await;
    app.say("v1", "coord1", "陈静", "延期 T1-V1-G1#2 2天 等电工")
        .await;
    app.say("v1", "coord1", "陈静", "同意延期 T1-V1-G1#2").await;
    assert!(
        last_in(&app, "v1").contains("是您提交的"),
        "{}",
        last_in(&app, "v1")
    );
    app.say("p-admin1", "admin1", "赵敏", "/approve T1-V1-G1#2")
        .await;
    assert!(
        last_in(&app, "p-admin1").contains("同意"),
        "{}",
        last_in(&app, "p-admin1")
    );

    // A finished ticket cannot be extended.
    app.say("g1", "leader1", "张伟", "办结 1 换了水管").await;
    app.say("g1", "leader1", "张伟", "延期 1 1天").await;
    assert!(
        last_in(&app, "g1").contains("不能申请延期"),
        "{}",
        last_in(&app, "g1")
    );
    assert_eq!(
        app.store
            .ticket(1)
            .await
            .expect("db")
            .expect("t")
            .extensions,
        3
    );

    // Counted in the statistics: the detail view of the village shows the grid's four.
    app.say("v1", "coord1", "陈静", "统计明细").await;
    // Statistics are answered after the asking message's transaction: wait for the answer.
    let mut detail = None;
    for _ in 0..200 {
        detail = sent_to(&app, "v1")
            .into_iter()
            .map(|(m, _)| m.text)
            .rfind(|t| t.contains("东门一网格") && !t.contains("【延期申请】"));
        if detail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        app.settle().await;
    }
    let detail = detail.expect("the detail view");
    assert!(detail.contains("延期4次"), "{detail}");
    let (found, diffs) = app
        .store
        .verify_rollups(app.settings.general.timezone.0, 10)
        .await
        .expect("verify");
    assert_eq!(found, 0, "{diffs:?}");
    app.stop().await;
}
both_backends!(extensions_asked_and_decided, extensions);

/// On Telegram: the request reaches the village's group with inline buttons, the press is
/// answered, the deadline moves and the card in the grid's group is edited to show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_on_telegram() {
    const GROUP: i64 = -1_002_001;
    const VILLAGE: i64 = -1_002_009;
    let fake = FakeTelegram::start().await;
    let app = spawn_app(Db::Sqlite, |s| {
        s.telegram.enabled = true;
        s.telegram.token = gridline::config::Secret::new(crate::fake_telegram::TOKEN);
        s.telegram.api_url = fake.api_url();
    })
    .await;
    seed(
        &app,
        &format!(
            "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
group,,东门一网格群,T1-V1-G1,,telegram,{GROUP},
group,,东门村协调群,T1-V1,,telegram,{VILLAGE},
person,L1,张伟,T1-V1-G1,,telegram,201,leader
person,R1,王芳,T1-V1-G1,,telegram,101,resident
person,C1,陈静,T1-V1,,telegram,301,coordinator
"
        ),
    )
    .await;
    let group = Chat::supergroup(GROUP, "东门一网格群");
    let village = Chat::supergroup(VILLAGE, "东门村协调群");
    let (leader, resident, coordinator) = (
        User::new(201, "张伟"),
        User::new(101, "王芳"),
        User::new(301, "陈静"),
    );
    let wait = Duration::from_secs(30);
    fake.send_text(&group, &resident, "/report 3栋水管漏水");
    let (card_id, _) = fake
        .wait_for(wait, "the card", |f| {
            f.bot_messages(GROUP).into_iter().next()
        })
        .await;
    fake.send_text(&group, &leader, "/claim 1");
    fake.wait_for(wait, "the claim", |f| {
        f.bot_messages(GROUP)
            .into_iter()
            .find(|(_, m)| m["text"].as_str().is_some_and(|t| t.contains("接单")))
    })
    .await;
    let due = resolve_due_eventually(&app).await;
    fake.send_text(&group, &leader, "/extend 1 3d waiting for parts");
    let (request_id, request) = fake
        .wait_for(wait, "the request in the village group", |f| {
            f.bot_messages(VILLAGE).into_iter().next()
        })
        .await;
    let text = request["text"].as_str().unwrap_or_default();
    assert!(text.contains("【延期申请】T1-V1-G1#1"), "{request}");
    let buttons: Vec<String> = request["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
        .collect();
    assert_eq!(buttons, ["/approve T1-V1-G1#1", "/reject T1-V1-G1#1"]);
    let pressed = fake.press_button(&village, &coordinator, request_id, &buttons[0]);
    fake.wait_for(wait, "the press answered", |f| {
        f.calls("answerCallbackQuery")
            .into_iter()
            .find(|c| c["callback_query_id"] == json!(pressed))
    })
    .await;
    let edit = fake
        .wait_for(wait, "the card edited with the new deadline", |f| {
            f.calls("editMessageText").into_iter().find(|p| {
                p["message_id"] == json!(card_id)
                    && p["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("已延期 1 次"))
            })
        })
        .await;
    assert!(
        edit["text"]
            .as_str()
            .is_some_and(|t| t.contains("状态：处理中")),
        "{edit}"
    );
    assert_eq!(resolve_due(&app, 1).await, due + 3 * DAY);
    fake.wait_for(wait, "the group told", |f| {
        f.bot_messages(GROUP).into_iter().find(|(_, m)| {
            m["text"]
                .as_str()
                .is_some_and(|t| t.contains("延期 3 天已由 陈静 同意"))
        })
    })
    .await;
    app.stop().await;
}

async fn resolve_due_eventually(app: &TestApp) -> i64 {
    for _ in 0..600 {
        if let Some(t) = app.store.ticket(1).await.expect("db")
            && t.state == gridline::domain::TicketState::Claimed
        {
            return t.resolve_due;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ticket 1 never claimed");
}

/// In the sandbox: the leader asks in the grid's group, the village coordinator refuses in
/// the village's group, then approves a second request with its button; the card in the grid's
/// group shows the new deadline.
async fn in_the_sandbox(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    let report = api
        .say("df-01", "wangfang", "3栋2单元楼道灯坏了，晚上看不见", None)
        .await;
    let card = api.answer_to("df-01", report).await;
    let card_id = card["id"].as_i64().expect("card id");
    api.say("df-01", "lijianguo", "接单 1", None).await;
    let due = resolve_due(&app, 1).await;
    let asked = api
        .say("df-01", "lijianguo", "延期 1 3天 灯具缺货", None)
        .await;
    let answer = api.answer_to("df-01", asked).await;
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|t| t.contains("等待东风社区协调员审批")),
        "{answer}"
    );
    let request = api
        .bot_after("df", 0)
        .await
        .into_iter()
        .rfind(|m| {
            m["text"]
                .as_str()
                .is_some_and(|t| t.contains("【延期申请】"))
        })
        .expect("the request in the village's group");
    let refuse = api
        .say("df", "zhouhaitao", "不同意延期 QS-DF-01#1 先排查线路", None)
        .await;
    let refused = api.answer_to("df", refuse).await;
    assert!(
        refused["text"]
            .as_str()
            .is_some_and(|t| t.contains("先排查线路")),
        "{refused}"
    );
    assert_eq!(resolve_due(&app, 1).await, due);
    // The old request's buttons now say nothing is waiting; a new request is approved with its.
    api.say("df-01", "lijianguo", "延期 1 2天 灯具缺货", None)
        .await;
    let request = api
        .bot_after("df", request["id"].as_i64().expect("id"))
        .await
        .into_iter()
        .rfind(|m| {
            m["text"]
                .as_str()
                .is_some_and(|t| t.contains("【延期申请】"))
        })
        .expect("the second request");
    let approve = request["buttons"]
        .as_array()
        .and_then(|bs| bs.iter().find(|b| b["label"] == "同意延期"))
        .and_then(|b| b["id"].as_str())
        .expect("a 同意延期 button")
        .to_string();
    api.press(
        "df",
        "zhouhaitao",
        request["id"].as_i64().expect("id"),
        &approve,
    )
    .await;
    assert_eq!(resolve_due(&app, 1).await, due + 2 * DAY);
    let card = api
        .messages("df-01", 0)
        .await
        .into_iter()
        .find(|m| m["id"] == card_id)
        .expect("the card");
    let text = card["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("已延期 1 次") && text.contains("状态：处理中"),
        "{card}"
    );
    app.stop().await;
}
both_backends!(extension_in_the_sandbox, in_the_sandbox);
