//! The parser's answers acted on by the engine: confirmation questions, co-reporters and
//! linked second reports, on SQLite and PostgreSQL.

use crate::both_backends;
use crate::support::{Db, ROSTER, TestApp, message, seed, spawn_app};

/// Every message in the middle band: nothing but an explicit report opens a ticket at once,
/// and anything the parser leans towards is asked about.
async fn asking_app(db: Db) -> TestApp {
    let app = spawn_app(db, |s| {
        s.parser.open_threshold = 1.5;
        s.parser.confirm_threshold = 0.3;
    })
    .await;
    seed(&app, ROSTER).await;
    app
}

async fn ticket_count(app: &TestApp) -> i64 {
    app.store.ticket_count().await.expect("count")
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

async fn confirm_then_one_opens(db: Db) {
    let app = asking_app(db).await;
    let source = app
        .say(
            "g1",
            "res1",
            "王芳",
            "3栋楼道的灯坏了好几天了，晚上上楼看不见",
        )
        .await;
    let question = app.last();
    assert!(
        question.text.contains("这是需要处理的诉求吗"),
        "{}",
        question.text
    );
    assert_eq!(question.reply_to.as_deref(), Some(source.as_str()));
    assert_eq!(question.buttons.len(), 2, "确认 and 不是");
    assert!(question.buttons[0].id.starts_with("/confirm "));
    assert_eq!(ticket_count(&app).await, 0, "no ticket before the answer");

    // Someone else's "1" is just a message: no ticket.
    app.say("g1", "res2", "李娜", "1").await;
    assert_eq!(ticket_count(&app).await, 0);

    // The sender's "1" opens the ticket from the original message.
    app.say("g1", "res1", "王芳", "1").await;
    assert_eq!(ticket_count(&app).await, 1);
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.source_message_id, source);
    assert_eq!(t.reporter_id, "res1");
    assert!(t.body.contains("3栋楼道的灯坏了"), "{}", t.body);
    assert_eq!(t.location.as_deref(), Some("3栋楼道"));
    let card = app.last();
    assert!(
        card.text.contains("#1") && card.text.contains("@张伟"),
        "{}",
        card.text
    );
    let questions = app
        .store
        .confirmations_in_chat("memory", "g1")
        .await
        .expect("questions");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].state, "confirmed");

    // A second "1" has nothing left to confirm.
    app.say("g1", "res1", "王芳", "1").await;
    assert_eq!(ticket_count(&app).await, 1);

    // The button works the same, and only for the sender.
    app.say(
        "g1",
        "res1",
        "王芳",
        "河边那条排水沟堵死了，一下雨就漫到路上",
    )
    .await;
    let question = app.last();
    let button = question.buttons[0].id.clone();
    let question_message = app
        .bot_messages()
        .last()
        .and_then(|(_, ids)| ids.first().cloned())
        .expect("question message id");
    app.press("g1", "res2", "李娜", &question_message, &button)
        .await;
    assert_eq!(ticket_count(&app).await, 1, "not the sender's to confirm");
    app.press("g1", "res1", "王芳", &question_message, &button)
        .await;
    assert_eq!(ticket_count(&app).await, 2);
    let t = app.store.ticket(2).await.expect("db").expect("ticket");
    assert!(t.body.contains("排水沟"), "{}", t.body);
    app.stop().await;
}
both_backends!(confirm_then_one_opens_the_ticket, confirm_then_one_opens);

async fn confirm_expires(db: Db) {
    let app = asking_app(db).await;
    let ttl = app.settings.parser.confirm_ttl.as_millis();
    let asked = message("g1", "res1", "王芳", "5栋门口的路灯一闪一闪的", None);
    let asked_at = asked.at;
    app.submit(asked).await.expect("stored");
    app.settle().await;
    assert!(app.last().text.contains("这是需要处理的诉求吗"));
    let said = app.bot_messages().len();

    // The answer comes, by its own clock, a second after the question lapsed.
    let mut late = message("g1", "res1", "王芳", "1", None);
    late.at = asked_at + ttl + 1_000;
    app.submit(late).await.expect("stored");
    app.settle().await;
    assert_eq!(ticket_count(&app).await, 0, "a late answer opens nothing");
    assert_eq!(app.bot_messages().len(), said, "and the bot says nothing");
    let questions = app
        .store
        .confirmations_in_chat("memory", "g1")
        .await
        .expect("questions");
    assert_eq!(questions[0].state, "expired");

    // Just inside the window it would have counted: a fresh question, answered in time.
    let asked = message("g1", "res1", "王芳", "7栋电梯按钮坏了几个", None);
    let asked_at = asked.at;
    app.submit(asked).await.expect("stored");
    app.settle().await;
    let mut in_time = message("g1", "res1", "王芳", "确认", None);
    in_time.at = asked_at + ttl;
    app.submit(in_time).await.expect("stored");
    app.settle().await;
    assert_eq!(ticket_count(&app).await, 1);
    app.stop().await;
}
both_backends!(confirm_expires_quietly, confirm_expires);

async fn me_too(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 8栋停水了，一滴水都没有")
        .await;
    let card = app.card_for(&source);

    // "+1" replying to the card.
    let plus = app.say_reply("g1", "res2", "李娜", "+1", Some(&card)).await;
    let ack = app.last();
    assert_eq!(ack.reply_to.as_deref(), Some(plus.as_str()));
    assert!(ack.text.contains("#1"), "{}", ack.text);
    // "我家也是" right after, not a reply.
    app.say("g1", "res3", "周杰", "我家也是").await;
    // The reporter agreeing with themselves, and a repeat, add nothing.
    app.say("g1", "res1", "王芳", "+1").await;
    app.say("g1", "res2", "李娜", "同样的问题").await;

    assert_eq!(ticket_count(&app).await, 1, "co-reports open no ticket");
    let co: Vec<(String, String)> = app
        .store
        .co_reporters(1)
        .await
        .expect("co-reporters")
        .into_iter()
        .map(|c| (c.user_id, c.via))
        .collect();
    assert_eq!(
        co,
        [
            ("res2".to_string(), "me_too".to_string()),
            ("res3".to_string(), "me_too".to_string())
        ]
    );
    assert_eq!(
        event_kinds(&app, 1).await,
        ["opened", "co_reporter", "co_reporter"]
    );
    // The history in the chat says it in words, not as stored.
    app.say("g1", "res2", "李娜", "查询 1").await;
    let history = app.last().text;
    assert!(
        history.contains("同报 李娜 附议") && !history.contains("me_too"),
        "{history}"
    );

    // Another group's ticket is not this group's "+1".
    app.say("g2", "res4", "孙丽", "+1").await;
    assert_eq!(app.store.co_reporters(1).await.expect("co").len(), 2);

    // On 办结 the co-reporters are asked to rate too, and their answer counts.
    app.say("g1", "leader1", "张伟", "办结 1 已恢复供水").await;
    let ask = app.last();
    assert!(
        ask.text.contains("@李娜") && ask.text.contains("@周杰") && ask.text.contains("#1"),
        "{}",
        ask.text
    );
    let asked: Vec<&str> = ask.mentions.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(asked, ["res2", "res3"]);
    app.say("g1", "res3", "周杰", "评价 1 不满意").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(
        t.state,
        gridline::domain::TicketState::Claimed,
        "a co-reporter's 不满意 reopens"
    );
    // Someone who did not report cannot rate.
    app.say("g1", "leader1", "张伟", "办结 1 再次处理").await;
    app.say("g1", "res4", "孙丽", "评价 1 满意").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.state, gridline::domain::TicketState::Resolved);
    app.stop().await;
}
both_backends!(me_too_adds_a_co_reporter, me_too);

async fn duplicate(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 5栋门口的路灯坏了")
        .await;
    assert_eq!(ticket_count(&app).await, 1);

    // The same problem at the same place, in other words: linked, not a second ticket.
    let second = app
        .say(
            "g1",
            "res2",
            "李娜",
            "5栋门口路灯不亮好几天了，晚上黑漆漆的，麻烦修一下",
        )
        .await;
    assert_eq!(ticket_count(&app).await, 1, "linked to #1");
    let answer = app.last();
    assert_eq!(answer.reply_to.as_deref(), Some(second.as_str()));
    assert!(
        answer.text.contains("#1") && answer.text.contains("并入"),
        "{}",
        answer.text
    );
    let events = app.store.ticket_events(1).await.expect("events");
    let linked = events
        .iter()
        .find(|e| e.kind.id() == "linked")
        .expect("a linked event");
    assert!(linked.detail.contains("黑漆漆"), "{}", linked.detail);
    let co = app.store.co_reporters(1).await.expect("co");
    assert_eq!(co.len(), 1);
    assert_eq!(
        (co[0].user_id.as_str(), co[0].via.as_str()),
        ("res2", "linked")
    );

    // The same problem elsewhere is its own ticket, and so is one in another group.
    app.say("g1", "res2", "李娜", "9栋门口的路灯坏了，晚上黑漆漆的")
        .await;
    assert_eq!(ticket_count(&app).await, 2);
    app.say("g2", "res4", "孙丽", "5栋门口的路灯坏了，晚上黑漆漆的")
        .await;
    assert_eq!(ticket_count(&app).await, 3);

    // Once #1 is resolved, a new report of its problem is a new ticket.
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "办结 1 换了灯").await;
    app.say("g1", "res3", "周杰", "5栋门口的路灯又坏了，黑漆漆的")
        .await;
    assert_eq!(ticket_count(&app).await, 4);
    app.stop().await;
}
both_backends!(duplicate_report_is_linked, duplicate);

/// A neighbour writing during an emergency, naming no place ("物业电话打了没人接" minutes after
/// "9栋电梯困人了"), joins the urgent ticket of its kind instead of opening a second one with no
/// place; half an hour on, or for an everyday report, it does not.
async fn emergency_follow_up(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "9栋电梯困人了！！里面有个小孩")
        .await;
    assert_eq!(ticket_count(&app).await, 1);
    assert!(app.last().text.contains("紧急"), "{}", app.last().text);
    app.clock.advance(std::time::Duration::from_secs(2 * 60));
    app.say("g1", "res2", "李娜", "物业电话打了没人接").await;
    assert_eq!(ticket_count(&app).await, 1, "{}", app.last().text);
    assert!(app.last().text.contains("并入 #1"), "{}", app.last().text);
    // A neighbour asking whether anyone is on it, naming nothing: the chat's one problem of
    // the last hours.
    for ask in ["有人管吗？", "is anyone handling this?"] {
        app.say("g1", "res3", "周杰", ask).await;
        assert!(
            app.last().text.starts_with("#1 "),
            "{ask}: {}",
            app.last().text
        );
    }
    // The leader's news of it, in words and not replying, is progress on it.
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "人已经救出来了，孩子没事")
        .await;
    assert!(
        app.last().text.contains("#1 进展（张伟）：人已经救出来了"),
        "{}",
        app.last().text
    );
    // An everyday report with no place is its own.
    app.say("g1", "res3", "周杰", "楼道灯坏了好几天了").await;
    assert_eq!(ticket_count(&app).await, 2);
    // Half an hour later the emergency's window has closed.
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    app.say("g1", "res2", "李娜", "物业电话打了没人接").await;
    assert_eq!(ticket_count(&app).await, 3, "{}", app.last().text);
    app.stop().await;
}
both_backends!(an_emergency_follow_up_joins_it, emergency_follow_up);

/// The reporter's own next words about her report, naming no place ("还是不亮，晚上黑得看不见
/// 路"), are added to it rather than opening a second ticket; a neighbour's everyday words are
/// their own report, and so are hers on another problem or half an hour on.
async fn own_follow_up(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "5栋门口的路灯坏了").await;
    assert_eq!(ticket_count(&app).await, 1);
    app.clock.advance(std::time::Duration::from_secs(5 * 60));
    app.say("g1", "res1", "王芳", "路灯还是不亮，晚上黑得看不见路")
        .await;
    assert_eq!(ticket_count(&app).await, 1, "{}", app.last().text);
    assert!(
        app.last()
            .text
            .contains("已补充到您反映的 #1（路灯照明，5栋门口）"),
        "{}",
        app.last().text
    );
    let events = app.store.ticket_events(1).await.expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.kind.id() == "linked" && e.detail.contains("看不见路")),
        "{events:?}"
    );
    // She is no co-reporter of her own ticket.
    assert!(app.store.co_reporters(1).await.expect("co").is_empty());
    // A neighbour's words of the same kind are his own report.
    app.say("g1", "res2", "李娜", "楼道灯也坏了好几天了").await;
    assert_eq!(ticket_count(&app).await, 2);
    // Her words on another kind of problem are a report of their own.
    app.say("g1", "res1", "王芳", "垃圾好几天没人清了").await;
    assert_eq!(ticket_count(&app).await, 3);
    // Half an hour on, the window has closed.
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    app.say("g1", "res1", "王芳", "路灯还是不亮，晚上黑得看不见路")
        .await;
    assert_eq!(ticket_count(&app).await, 4, "{}", app.last().text);
    app.stop().await;
}
both_backends!(the_reporters_own_follow_up_joins_hers, own_follow_up);

/// A message from `user` carrying `photos`, sent at `at` (the platform's clock).
fn photo_message(
    chat: &str,
    user: &str,
    name: &str,
    text: &str,
    photos: &[&str],
    at: i64,
) -> gridline::platform::InboundEvent {
    let mut ev = message(chat, user, name, text, None);
    if let gridline::platform::EventKind::Message { photos: p, .. } = &mut ev.kind {
        *p = photos.iter().map(|s| s.to_string()).collect();
    }
    ev.at = at;
    ev
}

async fn send(app: &TestApp, ev: gridline::platform::InboundEvent) {
    app.submit(ev).await.expect("stored");
    app.settle().await;
}

async fn photo_refs(app: &TestApp, ticket: i64) -> Vec<String> {
    app.store
        .ticket_photos(ticket)
        .await
        .expect("photos")
        .into_iter()
        .map(|p| p.photo)
        .collect()
}

async fn text_then_photo(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let window = app.settings.parser.photo_window.as_millis();
    let t0 = gridline::store::now_millis();
    send(
        &app,
        photo_message(
            "g1",
            "res1",
            "王芳",
            "5栋门口的路灯坏了，晚上黑漆漆的，麻烦修一下",
            &[],
            t0,
        ),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 1);
    let said = app.bot_messages().len();

    // The same resident's photo a minute later belongs to that ticket: no ticket, no reply.
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-lamp-1"], t0 + 60_000),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 1, "a photo opens no ticket");
    assert_eq!(app.bot_messages().len(), said, "and gets no answer");
    assert_eq!(photo_refs(&app, 1).await, ["file-lamp-1"]);
    let events = app.store.ticket_events(1).await.expect("events");
    let photo = events
        .iter()
        .find(|e| e.kind.id() == "photo")
        .expect("a photo event");
    assert_eq!(photo.detail, "file-lamp-1");

    // Someone else's photo, and the reporter's own once the window has passed, change nothing.
    send(
        &app,
        photo_message("g1", "res2", "李娜", "", &["file-other"], t0 + 61_000),
    )
    .await;
    send(
        &app,
        photo_message(
            "g1",
            "res1",
            "王芳",
            " ",
            &["file-late"],
            t0 + window + 1_000,
        ),
    )
    .await;
    // Nor does a photo in another group.
    send(
        &app,
        photo_message("g2", "res1", "王芳", "", &["file-g2"], t0 + 62_000),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(photo_refs(&app, 1).await, ["file-lamp-1"]);
    assert_eq!(app.bot_messages().len(), said);

    // The status shows how many photos the ticket has.
    app.say("g1", "leader1", "张伟", "查询 1").await;
    let status = app.last();
    assert!(status.text.contains("照片 1 张"), "{}", status.text);
    app.stop().await;
}
both_backends!(photo_after_text_joins_its_ticket, text_then_photo);

async fn photo_then_text(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let window = app.settings.parser.photo_window.as_millis();
    let t0 = gridline::store::now_millis();
    // An old photo, another resident's photo, then two photos of the reporter's own.
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-old"], t0 - window - 1_000),
    )
    .await;
    send(
        &app,
        photo_message("g1", "res2", "李娜", "", &["file-neighbour"], t0),
    )
    .await;
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-a", "file-b"], t0),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 0, "photos alone open nothing");
    assert!(app.bot_messages().is_empty(), "and get no answer");

    // The text follows within the window: one ticket, carrying the photos sent just before.
    send(
        &app,
        photo_message(
            "g1",
            "res1",
            "王芳",
            "河边那条排水沟堵死了，一下雨就漫到路上，麻烦派人疏通一下",
            &[],
            t0 + 90_000,
        ),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(photo_refs(&app, 1).await, ["file-a", "file-b"]);
    let kinds = event_kinds(&app, 1).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "photo").count(),
        2,
        "{kinds:?}"
    );

    // A photo with a caption is one message: the ticket it opens has the photo.
    send(
        &app,
        photo_message(
            "g1",
            "res3",
            "周杰",
            "/report 9栋楼道的扶手断了",
            &["file-rail"],
            t0 + 100_000,
        ),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 2);
    assert_eq!(photo_refs(&app, 2).await, ["file-rail"]);
    // The neighbour's photo stays nobody's.
    assert_eq!(photo_refs(&app, 1).await, ["file-a", "file-b"]);
    app.stop().await;
}
both_backends!(photo_before_text_goes_with_its_ticket, photo_then_text);

async fn photo_with_confirmation(db: Db) {
    let app = asking_app(db).await;
    let t0 = gridline::store::now_millis();
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-before"], t0),
    )
    .await;
    send(
        &app,
        photo_message(
            "g1",
            "res1",
            "王芳",
            "3栋楼道的灯坏了好几天了，晚上上楼看不见",
            &[],
            t0 + 20_000,
        ),
    )
    .await;
    assert!(app.last().text.contains("这是需要处理的诉求吗"));
    // A photo while the question is open waits too; the answer opens one ticket with both.
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-after"], t0 + 40_000),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 0);
    send(
        &app,
        photo_message("g1", "res1", "王芳", "1", &[], t0 + 300_000),
    )
    .await;
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(photo_refs(&app, 1).await, ["file-before", "file-after"]);
    app.stop().await;
}
both_backends!(photos_go_with_a_confirmed_request, photo_with_confirmation);

/// A photo sent in reply to a ticket's card joins that ticket, whoever sends it and however
/// late; no new ticket, no answer.
async fn photo_reply_to_card(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let t0 = gridline::store::now_millis();
    let source = app
        .say("g1", "res1", "王芳", "/report 5栋门口的路灯坏了")
        .await;
    let card = app.card_for(&source);
    let said = app.bot_messages().len();
    // A neighbour answers the card with a photo an hour later (well outside the window).
    let mut ev = photo_message(
        "g1",
        "res2",
        "李娜",
        "",
        &["file-neighbour"],
        t0 + 3_600_000,
    );
    if let gridline::platform::EventKind::Message { reply_to, .. } = &mut ev.kind {
        *reply_to = Some(card);
    }
    send(&app, ev).await;
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(app.bot_messages().len(), said, "no answer to a photo");
    assert_eq!(photo_refs(&app, 1).await, ["file-neighbour"]);
    app.stop().await;
}
both_backends!(
    photo_in_reply_to_a_card_joins_its_ticket,
    photo_reply_to_card
);

/// A photo no report ever claims is forgotten by the timer pass once nothing could claim it.
async fn unclaimed_photo(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let now = app.clock.now();
    send(
        &app,
        photo_message("g1", "res1", "王芳", "", &["file-alone"], now),
    )
    .await;
    assert_eq!(app.store.waiting_photo_count().await.expect("count"), 1);
    app.tick().await;
    assert_eq!(
        app.store.waiting_photo_count().await.expect("count"),
        1,
        "still claimable"
    );
    app.clock
        .advance(std::time::Duration::from_secs(2 * 24 * 60 * 60));
    app.tick().await;
    assert_eq!(app.store.waiting_photo_count().await.expect("count"), 0);
    assert_eq!(ticket_count(&app).await, 0);
    app.stop().await;
}
both_backends!(unclaimed_photos_are_forgotten, unclaimed_photo);

/// Corrections stored as labelled examples come back whole, in order, on both backends; the
/// ticket they correct may be one the same transaction still holds back.
async fn labelled_examples_round_trip(db: Db) {
    use gridline::domain::category::{Category, Urgency};
    use gridline::store::examples::{self, ExampleSource, LabelledExample};
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋门口的路灯不亮")
        .await;
    let ticket = app
        .store
        .tickets_in_chat("memory", "g1", 1)
        .await
        .expect("tickets")
        .pop()
        .expect("a ticket")
        .id;
    let corrected = LabelledExample {
        ticket_id: Some(ticket),
        text: "3栋门口的路灯不亮".into(),
        is_request: true,
        category: Some(Category::Lighting),
        urgency: Some(Urgency::Normal),
        source: ExampleSource::Recategorize,
        actor: "leader0".into(),
        created_at: 1_700_000_000_000,
    };
    let refused = LabelledExample {
        ticket_id: None,
        text: "谁家有梯子借用一下".into(),
        is_request: false,
        category: None,
        urgency: None,
        source: ExampleSource::ConfirmNo,
        actor: "res2".into(),
        created_at: 1_700_000_000_500,
    };
    let mut tx = app.store.begin().await.expect("begin");
    let first = examples::record(&mut tx, &corrected).await.expect("record");
    let second = examples::record(&mut tx, &refused).await.expect("record");
    tx.commit().await.expect("commit");
    assert!(second > first);

    // A transaction that rolls back leaves nothing behind.
    let mut tx = app.store.begin().await.expect("begin");
    examples::record(&mut tx, &refused).await.expect("record");
    drop(tx);

    let all = examples::load_all(&app.store).await.expect("load");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, first);
    assert_eq!(all[0].example, corrected);
    assert_eq!(all[1].example, refused);
    app.stop().await;
}
both_backends!(
    labelled_examples_are_stored_and_loaded,
    labelled_examples_round_trip
);

/// A stored correction is learned by the running application without a restart: the same
/// words no longer open a ticket, but the explicit form of them still does.
async fn corrections_are_learned_without_a_restart(db: Db) {
    use gridline::store::examples::{self, ExampleSource, LabelledExample};
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let text = "3栋楼道的灯坏了好几天了，晚上上楼看不见";
    let (store, parser) = (app.store.clone(), app.parser.clone());
    assert!(parser.parse(text, false).is_request);
    let mut tx = store.begin().await.expect("begin");
    examples::record(
        &mut tx,
        &LabelledExample {
            ticket_id: None,
            text: text.into(),
            is_request: false,
            category: None,
            urgency: None,
            source: ExampleSource::ConfirmNo,
            actor: "res1".into(),
            created_at: 1,
        },
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
    let learned = gridline::learn::relearn(&store, &parser)
        .await
        .expect("relearn");
    assert_eq!(learned, 1);
    app.say("g1", "res1", "王芳", text).await;
    assert_eq!(
        ticket_count(&app).await,
        0,
        "the corrected words open nothing"
    );
    app.say("g1", "res1", "王芳", &format!("/report {text}"))
        .await;
    assert_eq!(
        ticket_count(&app).await,
        1,
        "the explicit form always opens"
    );
    app.stop().await;
}
both_backends!(
    corrections_reach_the_running_parser,
    corrections_are_learned_without_a_restart
);

/// `user` writes `text` in `chat` at `at` (the platform's clock), and gridline acts on it.
async fn say_at(app: &TestApp, chat: &str, user: &str, name: &str, text: &str, at: i64) {
    send(app, photo_message(chat, user, name, text, &[], at)).await;
}

async fn location(app: &TestApp, ticket: i64) -> Option<String> {
    app.store
        .ticket(ticket)
        .await
        .expect("read")
        .expect("the ticket")
        .location
}

/// A place said in a message of its own, before or after the report, is the report's place.
async fn places_alone(db: Db) {
    use gridline::platform::memory::MemoryAdapter;
    use gridline::platform::{Adapter, Capabilities};
    // A platform that edits messages, so that the card can be seen redrawn.
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = crate::support::spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let window = app.settings.parser.place_window.as_millis();
    let t0 = gridline::store::now_millis();
    // Before: "3栋", then what is wrong there.
    say_at(&app, "g1", "res1", "王芳", "3栋", t0).await;
    assert_eq!(ticket_count(&app).await, 0, "a place alone opens nothing");
    assert!(app.bot_messages().is_empty(), "and gets no answer");
    let report = photo_message("g1", "res1", "王芳", "楼道灯坏了好几天了", &[], t0 + 30_000);
    let gridline::platform::EventKind::Message { message_id, .. } = &report.kind else {
        unreachable!()
    };
    let source = message_id.clone();
    send(&app, report).await;
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(location(&app, 1).await.as_deref(), Some("3栋楼道"));
    assert!(app.last().text.contains("3栋楼道"), "{}", app.last().text);

    // After: the reporter corrects the building; the card is redrawn with it.
    say_at(
        &app,
        "g1",
        "res1",
        "王芳",
        "不好意思 说错了 是4栋",
        t0 + 60_000,
    )
    .await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("4栋楼道"));
    assert!(app.last().text.contains("4栋楼道"), "{}", app.last().text);
    assert!(
        event_kinds(&app, 1)
            .await
            .contains(&"relocated".to_string())
    );
    let card = app.card_for(&source);
    let redrawn = app.card_redrawn(&card).expect("the card redrawn");
    assert!(redrawn.contains("4栋楼道"), "{redrawn}");
    assert_eq!(ticket_count(&app).await, 1);
    // "不对" before the place is a correction too.
    say_at(&app, "g1", "res1", "王芳", "不对，是5栋", t0 + 65_000).await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("5栋楼道"));
    say_at(&app, "g1", "res1", "王芳", "搞错了 是4栋", t0 + 66_000).await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("4栋楼道"));

    // A neighbour's place alone is not the reporter's: it changes nothing.
    let said = app.bot_messages().len();
    say_at(&app, "g1", "res2", "李娜", "5栋", t0 + 70_000).await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("4栋楼道"));
    assert_eq!(app.bot_messages().len(), said);

    // Past the window, the reporter's place alone no longer changes the ticket...
    say_at(
        &app,
        "g1",
        "res1",
        "王芳",
        "6栋",
        t0 + 30_000 + window + 1_000,
    )
    .await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("4栋楼道"));
    assert_eq!(app.bot_messages().len(), said);
    // ...unless it replies to the card.
    app.say_reply("g1", "res1", "王芳", "是7栋", Some(&card))
        .await;
    assert_eq!(location(&app, 1).await.as_deref(), Some("7栋楼道"));

    // A report naming a numbered place of its own keeps it; an old place alone is forgotten.
    say_at(&app, "g1", "res3", "周杰", "在9栋", t0).await;
    say_at(
        &app,
        "g1",
        "res3",
        "周杰",
        "2栋门口的垃圾桶满了没人清",
        t0 + 90_000,
    )
    .await;
    assert_eq!(ticket_count(&app).await, 2);
    assert_eq!(location(&app, 2).await.as_deref(), Some("2栋门口"));
    say_at(&app, "g1", "res4", "赵磊", "12栋", t0).await;
    say_at(
        &app,
        "g1",
        "res4",
        "赵磊",
        "水管漏水了 一直在滴",
        t0 + window + 1_000,
    )
    .await;
    assert_eq!(ticket_count(&app).await, 3);
    assert_eq!(location(&app, 3).await, None);

    // An edit of the report that names another place moves the ticket and redraws its card.
    let source = app.say("g1", "res5", "孙丽", "8栋楼道的灯坏了").await;
    assert_eq!(ticket_count(&app).await, 4);
    let card = app.card_for(&source);
    let mut edit = message("g1", "res5", "孙丽", "", None);
    edit.kind = gridline::platform::EventKind::Edited {
        message_id: source.clone(),
        text: "9栋楼道的灯坏了".into(),
    };
    send(&app, edit).await;
    assert_eq!(ticket_count(&app).await, 4, "an edit opens nothing");
    let moved = location(&app, 4).await.unwrap_or_default();
    assert!(moved.contains("9栋"), "{moved}");
    let redrawn = app.card_redrawn(&card).expect("the card redrawn");
    assert!(
        redrawn.contains("9栋") && !redrawn.contains("8栋"),
        "{redrawn}"
    );
    let kinds = event_kinds(&app, 4).await;
    assert!(kinds.contains(&"edited".to_string()) && kinds.contains(&"relocated".to_string()));
    app.stop().await;
}
both_backends!(a_place_alone_is_its_reports_place, places_alone);

/// A message that reports two problems opens two tickets, each answered under the message; the
/// same event again opens none, and one problem told in two clauses stays one ticket.
async fn two_problems(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let ev = message(
        "g1",
        "res1",
        "王芳",
        "3栋楼道灯坏了，还有5栋门口的垃圾好几天没人清了",
        None,
    );
    let gridline::platform::EventKind::Message { message_id, .. } = &ev.kind else {
        unreachable!()
    };
    let source = message_id.clone();
    send(&app, ev.clone()).await;
    assert_eq!(ticket_count(&app).await, 2);
    let (a, b) = (
        app.store.ticket(1).await.expect("read").expect("first"),
        app.store.ticket(2).await.expect("read").expect("second"),
    );
    assert_eq!(a.category.id(), "lighting");
    assert_eq!(a.location.as_deref(), Some("3栋楼道"));
    assert_eq!(a.body, "3栋楼道灯坏了");
    assert_eq!(b.category.id(), "sanitation");
    assert_eq!(b.location.as_deref(), Some("5栋门口"));
    assert_eq!(b.reporter_id, "res1");
    let cards: Vec<_> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.reply_to.as_deref() == Some(source.as_str()))
        .collect();
    assert_eq!(cards.len(), 2, "{cards:?}");

    // The same event delivered again changes nothing.
    send(&app, ev).await;
    assert_eq!(ticket_count(&app).await, 2);

    for (text, count) in [
        ("7栋楼道灯坏了，还有两个也不亮", 3),
        ("9栋着火了 还有人在里面", 4),
    ] {
        app.say("g1", "res2", "李娜", text).await;
        let said = app.last().text;
        assert_eq!(ticket_count(&app).await, count, "{text}: {said}");
    }
    app.stop().await;
}
both_backends!(two_problems_in_one_message_are_two_tickets, two_problems);
