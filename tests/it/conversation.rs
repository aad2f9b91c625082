//! Conversations as people write them: phrasings with the number first or in a sentence,
//! replies to cards and notices, yes and no to the confirmation question, and a card that
//! always shows its ticket's state, on a platform that edits messages.

use crate::both_backends;
use crate::support::{Db, ROSTER, TestApp, seed, spawn_app, spawn_app_with};
use gridline::domain::TicketState;
use gridline::platform::memory::MemoryAdapter;
use gridline::platform::{Adapter as _, Capabilities, Outbound};

/// The edits of message `card`: (text, button ids), oldest first.
fn edits_of(app: &TestApp, card: &str) -> Vec<(String, Vec<String>)> {
    app.memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            Outbound::Edit {
                message_id,
                text,
                buttons,
                ..
            } if message_id == card => Some((text, buttons.into_iter().map(|b| b.id).collect())),
            _ => None,
        })
        .collect()
}

async fn state(app: &TestApp, id: i64) -> TicketState {
    app.store
        .ticket(id)
        .await
        .expect("db")
        .expect("ticket")
        .state
}

async fn phrasings_and_a_true_card(db: Db) {
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 3栋门口下水道堵了")
        .await;
    let card = app.card_for(&source);

    // A neighbour's "我家楼下也是" in reply to the card: a co-reporter, not a new ticket.
    app.say_reply("g1", "res2", "李娜", "我家楼下也是", Some(&card))
        .await;
    let co = app.store.co_reporters(1).await.expect("co-reporters");
    assert_eq!(co.len(), 1, "{co:?}");
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);

    // A question about a ticket acts on nothing.
    app.say("g1", "leader1", "张伟", "1号处理了没").await;
    assert_eq!(state(&app, 1).await, TicketState::Open);

    // "#1 接单", typed: claimed, and the card says so with the next button.
    app.say("g1", "leader1", "张伟", "#1 接单").await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    let claim_notice = app.last();
    assert!(
        claim_notice.text.contains("#1 已由 张伟 接单"),
        "{}",
        claim_notice.text
    );
    let edits = edits_of(&app, &card);
    let (text, buttons) = edits.last().expect("the card was redrawn");
    assert!(text.contains("状态：处理中（张伟"), "{text}");
    assert_eq!(buttons, &["/done T1-V1-G1#1"]);

    // "搞定了" in reply to the card, with nothing on what was done: asked for a word.
    app.say_reply("g1", "leader1", "张伟", "搞定了", Some(&card))
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    assert!(app.last().text.contains("办结 #1"), "{}", app.last().text);
    // "修好了，疏通了管道": resolved with it.
    app.say_reply("g1", "leader1", "张伟", "修好了，疏通了管道", Some(&card))
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    let resolution = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .rfind(|m| m.text.contains("已由 张伟 办结"))
        .expect("resolution notice");
    assert!(
        resolution.text.contains("疏通了管道"),
        "{}",
        resolution.text
    );
    // The co-reporter is asked to rate too.
    assert!(app.last().text.contains("@李娜"), "{}", app.last().text);
    let (text, buttons) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：已办结"), "{text}");
    assert_eq!(buttons.len(), 3, "rating buttons: {buttons:?}");

    // The resident answers the resolution notice in her own words: reopened, no new ticket.
    let notice_id = app
        .bot_messages()
        .into_iter()
        .find(|(m, _)| m.text == resolution.text)
        .and_then(|(_, ids)| ids.into_iter().next())
        .expect("resolution notice id");
    app.say_reply(
        "g1",
        "res1",
        "王芳",
        "还是堵着呢，没清干净",
        Some(&notice_id),
    )
    .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    let (text, _) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：处理中（王芳"), "{text}");

    // "1号办结了，杂物已清理": resolved again by a sentence.
    app.say("g1", "leader1", "张伟", "1号办结了，杂物已清理")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    app.say("g1", "res1", "王芳", "/rate 1 满意").await;
    assert_eq!(state(&app, 1).await, TicketState::Closed);
    let (text, buttons) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：已关闭（王芳"), "{text}");
    assert!(buttons.is_empty(), "{buttons:?}");

    // A stale button says what happened, not only that it cannot be done.
    app.press("g1", "leader1", "张伟", &card, "/done T1-V1-G1#1")
        .await;
    let toast = app
        .memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            Outbound::AnswerButton { text, .. } => Some(text),
            _ => None,
        })
        .next_back()
        .expect("the press is answered");
    assert!(
        toast.contains("#1 已由 王芳 于") && toast.contains("评价，不能办结"),
        "{toast}"
    );

    // A dismissed ticket's card loses its buttons too, whoever typed the command.
    let second = app.say("g1", "res1", "王芳", "/report 5栋电梯坏了").await;
    let second_card = app.card_for(&second);
    app.say("g1", "leader1", "张伟", "驳回 2 已由物业处理")
        .await;
    let (text, buttons) = edits_of(&app, &second_card).pop().expect("redrawn");
    assert!(text.contains("状态：已驳回"), "{text}");
    assert!(buttons.is_empty());
    // The claim notice stayed a notice: only cards are edited.
    let notice_ids: Vec<String> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.text == claim_notice.text)
        .flat_map(|(_, ids)| ids)
        .collect();
    assert!(notice_ids.iter().all(|id| edits_of(&app, id).is_empty()));
    app.stop().await;
}
both_backends!(phrasings_and_a_true_card, phrasings_and_a_true_card);

/// "不是" answers the confirmation question: no ticket, one short answer; "是的" opens it.
async fn yes_and_no(db: Db) {
    let app = spawn_app(db, |s| {
        s.parser.open_threshold = 1.5;
        s.parser.confirm_threshold = 0.3;
    })
    .await;
    seed(&app, ROSTER).await;
    app.say(
        "g1",
        "res1",
        "王芳",
        "3栋楼道的灯坏了好几天了，晚上上楼看不见",
    )
    .await;
    assert!(app.last().text.contains("不是"), "{}", app.last().text);
    app.say("g1", "res1", "王芳", "不是").await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 0);
    assert!(
        app.last().text.contains("不作为诉求"),
        "{}",
        app.last().text
    );
    // Asked again about another message, "是的" opens it.
    app.say("g1", "res1", "王芳", "小区门口的路灯好像坏了，晚上很黑")
        .await;
    app.say("g1", "res1", "王芳", "是的").await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    let examples = gridline::store::examples::load_all(&app.store)
        .await
        .expect("examples");
    let answers: Vec<(String, bool)> = examples
        .iter()
        .map(|e| (e.example.source.to_string(), e.example.is_request))
        .collect();
    assert_eq!(
        answers,
        [
            ("confirm_no".to_string(), false),
            ("confirm_yes".to_string(), true)
        ]
    );
    app.stop().await;
}
both_backends!(confirmation_yes_and_no, yes_and_no);

/// 改为紧急 / 改类: leaders over the grid and coordinators above it; deadlines follow the new
/// urgency from the report; the history keeps who changed what.
async fn corrections(db: Db) {
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 狗在小区里乱拉屎")
        .await;
    let card = app.card_for(&source);
    let before = app.store.ticket(1).await.expect("db").expect("ticket");

    // The parser took it for a danger; the leader says it is not urgent.
    app.say("g1", "leader1", "张伟", "改为一般 1").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Normal);
    assert_eq!(t.claim_due, t.created_at + 2 * 3_600_000);
    assert!(app.last().text.contains("2小时"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "改为一般 1").await;
    assert!(app.last().text.contains("已经是"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "改为紧急 1").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Urgent);
    assert_eq!(t.claim_due, t.created_at + 15 * 60_000);
    let _ = before.urgency;

    // A resident may not; a leader of another grid may not; the coordinator above may.
    app.say("g1", "res1", "王芳", "改类 1 道路交通").await;
    app.say("g2", "leader2", "李强", "改类 T1-V1-G1#1 道路交通")
        .await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.category, before.category);
    app.say("g1", "coord1", "陈静", "改类 1 环境卫生").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.category, gridline::domain::Category::Sanitation);
    let (text, _) = edits_of(&app, &card).pop().expect("the card was redrawn");
    assert!(text.contains("环境卫生"), "{text}");

    let history = app.store.ticket_events(1).await.expect("events");
    let corrections: Vec<(String, String, String)> = history
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                gridline::domain::HistoryKind::Recategorized
                    | gridline::domain::HistoryKind::UrgencyChanged
            )
        })
        .map(|e| (e.kind.to_string(), e.actor.clone(), e.detail.clone()))
        .collect();
    assert_eq!(corrections.len(), 3, "{corrections:?}");
    // Each correction is kept as a labelled example for the parser.
    let examples = gridline::store::examples::load_all(&app.store)
        .await
        .expect("examples");
    let sources: Vec<String> = examples
        .iter()
        .map(|e| e.example.source.to_string())
        .collect();
    assert_eq!(sources, ["urgency", "urgency", "recategorize"]);
    assert_eq!(examples[0].example.text, "狗在小区里乱拉屎");
    assert_eq!(
        examples[2].example.category,
        Some(gridline::domain::Category::Sanitation)
    );
    assert_eq!(corrections[0].1, "L1");
    assert_eq!(corrections[2].1, "C1");
    assert!(corrections[2].2.ends_with(" sanitation"), "{corrections:?}");
    app.stop().await;
}
both_backends!(corrections_by_leaders_and_coordinators, corrections);

/// An urgent report calls the leader and the deputies at once, tells the village coordinators
/// without waiting for a deadline, and its card carries safety advice for its kind.
async fn urgent_fan_out(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let roster = format!("{ROSTER}group,,东门村协调群,T1-V1,,memory,v1,\n");
    seed(&app, &roster).await;
    let source = app
        .say("g1", "res1", "王芳", "厨房煤气泄漏，味道很大，快来人")
        .await;
    let card = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| m.reply_to.as_deref() == Some(source.as_str()))
        .expect("card");
    assert!(card.text.contains("紧急"), "{}", card.text);
    // The card says what the urgent reading rests on, in the words of the report.
    assert!(
        card.text
            .lines()
            .any(|l| l.starts_with("紧急依据：") && l.contains("煤气")),
        "{}",
        card.text
    );
    assert!(
        card.text.contains("开窗通风") && card.text.contains("不要开关电器"),
        "{}",
        card.text
    );
    let called: Vec<&str> = card.mentions.iter().map(|m| m.user_id.as_str()).collect();
    assert!(
        called.contains(&"leader1") && called.contains(&"deputy1"),
        "{called:?}"
    );
    let village: Vec<String> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == "v1")
        .map(|(m, _)| m.text)
        .collect();
    assert_eq!(village.len(), 1, "{village:?}");
    assert!(
        village[0].contains("【紧急】T1-V1-G1#1") && village[0].contains("煤气"),
        "{village:?}"
    );
    // A normal report calls the leader only, with no advice and nothing to the village.
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    let normal = app.last();
    assert!(!normal.text.contains("安全提示"), "{}", normal.text);
    assert!(!normal.text.contains("紧急依据"), "{}", normal.text);
    assert_eq!(normal.mentions.len(), 1);
    assert_eq!(
        app.bot_messages()
            .into_iter()
            .filter(|(m, _)| m.chat == "v1")
            .count(),
        1
    );
    app.stop().await;
}
both_backends!(urgent_calls_everyone_at_once, urgent_fan_out);
