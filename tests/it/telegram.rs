//! The Telegram adapter against the fake Bot API server, driven by the real teloxide client.

use gridline::app::{Context, Mounted};
use gridline::config::Settings;
use gridline::intake;
use gridline::platform::telegram::{self, BotIdentity, TelegramAdapter};
use gridline::platform::{
    Adapter, Button, EventKind, InboundEvent, Mention, Outbound, OutboundMessage, SendError,
};
use gridline::store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::fake_telegram::{self as fake, Chat, Failure, FakeTelegram, User};

const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "webhook-secret-0123456789";

/// A store, an intake writer and the settings a Telegram mount needs, without the rest of the
/// application: the adapter's own behaviour, layer by layer.
struct Rig {
    _dir: tempfile::TempDir,
    url: String,
    store: Store,
    ctx: Context,
    writer: tokio::task::JoinHandle<()>,
}

fn settings(fake: &FakeTelegram, db_url: &str, webhook: bool) -> Settings {
    let mut env = vec![
        ("GRIDLINE__DATABASE__URL", db_url.to_string()),
        ("GRIDLINE__TELEGRAM__ENABLED", "true".into()),
        ("GRIDLINE__TELEGRAM__TOKEN", fake::TOKEN.into()),
        ("GRIDLINE__TELEGRAM__API_URL", fake.api_url()),
    ];
    if webhook {
        env.push(("GRIDLINE__TELEGRAM__MODE", "webhook".into()));
        env.push((
            "GRIDLINE__TELEGRAM__WEBHOOK_URL",
            "https://bot.example.org/tg/hook".into(),
        ));
        env.push(("GRIDLINE__TELEGRAM__WEBHOOK_SECRET", SECRET.into()));
    }
    Settings::load(None, env.into_iter().map(|(k, v)| (k.to_string(), v)))
        .expect("valid test settings")
}

impl Rig {
    async fn new(fake: &FakeTelegram, webhook: bool) -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/gridline.db", dir.path().display());
        let (store, ctx, writer) = Rig::open(fake, &url, webhook).await;
        Rig {
            _dir: dir,
            url,
            store,
            ctx,
            writer,
        }
    }

    async fn open(
        fake: &FakeTelegram,
        url: &str,
        webhook: bool,
    ) -> (Store, Context, tokio::task::JoinHandle<()>) {
        let settings = settings(fake, url, webhook);
        let store = Store::open(url, 4, Duration::from_secs(5))
            .await
            .expect("open store");
        let shutdown = CancellationToken::new();
        let (intake, writer) = intake::spawn(
            store.clone(),
            settings.intake.batch_max,
            intake::Handoff::stored_only(Arc::new(Notify::new())),
            shutdown.clone(),
        );
        let ctx = Context {
            settings: Arc::new(settings),
            store: store.clone(),
            intake,
            shutdown,
        };
        (store, ctx, writer)
    }

    /// Stops everything the way the application does at shutdown, then starts afresh on the
    /// same database (a clean restart).
    async fn restart(&mut self, fake: &FakeTelegram, mounted: Mounted) {
        self.ctx.shutdown.cancel();
        for t in mounted.tasks {
            t.await.expect("task ends");
        }
        (&mut self.writer).await.expect("writer ends");
        let (store, ctx, writer) = Rig::open(fake, &self.url, false).await;
        self.store = store;
        self.ctx = ctx;
        self.writer = writer;
    }

    async fn inbox(&self) -> Vec<InboundEvent> {
        let mut tx = self.store.begin().await.expect("begin");
        tx.take_unprocessed(10_000)
            .await
            .expect("read inbox")
            .into_iter()
            .map(|r| r.event)
            .collect()
    }

    async fn wait_inbox(&self, n: usize) -> Vec<InboundEvent> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let events = self.inbox().await;
            if events.len() >= n {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "inbox has {} events, expected {n}",
                events.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn text_of(ev: &InboundEvent) -> &str {
    match &ev.kind {
        EventKind::Message { text, .. } | EventKind::Edited { text, .. } => text,
        _ => "",
    }
}

#[tokio::test]
async fn telegram_polling_stores_each_batch_with_its_offset_and_resumes_without_loss() {
    let fake = FakeTelegram::start().await;
    let mut rig = Rig::new(&fake, false).await;
    let group = Chat::supergroup(-100_100, "幸福小区1号网格");
    let fang = User::new(111, "王芳").with_username("wangfang");

    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    assert_eq!(mounted.adapter.platform(), "telegram");
    // At start: getMe, the menu in three languages (default, zh, en), and no webhook.
    assert_eq!(fake.calls("getMe").len(), 1);
    let menus = fake.calls("setMyCommands");
    let languages: Vec<Option<&str>> = menus.iter().map(|m| m["language_code"].as_str()).collect();
    assert_eq!(languages, vec![None, Some("zh"), Some("en")]);
    assert!(
        menus[1]["commands"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["command"] == "claim"
                && c["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("接单"))))
    );
    assert_eq!(fake.calls("deleteWebhook").len(), 1);

    for text in ["3栋楼道灯坏了", "谢谢", "/list@gridline_test_bot"] {
        fake.send_text(&group, &fang, text);
    }
    let events = rig.wait_inbox(3).await;
    let texts: Vec<&str> = events.iter().map(text_of).collect();
    assert_eq!(texts, vec!["3栋楼道灯坏了", "谢谢", "/list"]);
    assert!(events.iter().all(|e| e.account == fake::BOT_ID.to_string()));

    // The stored cursor is the next offset; Telegram learns it only from the next call.
    let key = format!("telegram:{}:offset", fake::BOT_ID);
    let last_served = *fake.served().last().expect("served");
    let cursor = rig.store.cursor(&key).await.expect("cursor");
    assert_eq!(cursor, Some((last_served + 1).to_string()));
    fake.wait_for(WAIT, "offset confirmed", |f| {
        (f.confirmed_offset() == last_served + 1).then_some(())
    })
    .await;
    assert_eq!(fake.pending_updates(), 0);

    // Stop, write while gridline is down, start again: the new messages come, nothing twice.
    rig.restart(&fake, mounted).await;
    fake.send_text(&group, &fang, "下水道堵了");
    fake.send_photo(&group, &fang, "路边大树要倒了", "photo-1");
    let mounted = telegram::mount(&rig.ctx).await.expect("mount again");
    let events = rig.wait_inbox(5).await;
    let texts: Vec<&str> = events.iter().map(text_of).collect();
    assert_eq!(
        texts,
        vec![
            "3栋楼道灯坏了",
            "谢谢",
            "/list",
            "下水道堵了",
            "路边大树要倒了"
        ]
    );
    let EventKind::Message { photos, .. } = &events[4].kind else {
        panic!("a photo message")
    };
    assert_eq!(photos, &vec!["photo-1".to_string()]);
    // Every update was handed out exactly once: the restart resumed from the stored offset.
    let served = fake.served();
    let mut unique = served.clone();
    unique.dedup();
    assert_eq!(served, unique);
    rig.ctx.shutdown.cancel();
    for t in mounted.tasks {
        t.await.expect("task ends");
    }
}

#[tokio::test]
async fn telegram_polling_rereads_after_losing_its_cursor_and_stores_nothing_twice() {
    // An offset that never reached the database (a crash between fetch and commit) means
    // Telegram sends the batch again; the inbox must take each message once.
    let fake = FakeTelegram::start().await;
    let mut rig = Rig::new(&fake, false).await;
    let group = Chat::supergroup(-100_200, "g");
    let li = User::new(222, "李强");
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    fake.send_text(&group, &li, "一");
    fake.send_text(&group, &li, "二");
    rig.wait_inbox(2).await;
    rig.restart(&fake, mounted).await;

    // Roll the stored cursor back, as if the last commit had not happened.
    let key = format!("telegram:{}:offset", fake::BOT_ID);
    let mut tx = rig.store.begin().await.expect("begin");
    tx.put_cursor(&key, "0", 0).await.expect("put");
    tx.commit().await.expect("commit");
    // Telegram still holds what was not confirmed: queue two more, and resend one old update
    // by leaving the confirmed ones aside — the fake forgot them, so push copies with the same
    // chat and message ids (what a re-read looks like to gridline).
    let first = rig.inbox().await[0].clone();
    let EventKind::Message { message_id, .. } = &first.kind else {
        panic!("message")
    };
    fake.push_raw(
        "message",
        json!({"message_id": message_id.parse::<i64>().expect("id"), "from": {"id": 222, "is_bot": false, "first_name": "李强"},
               "chat": {"id": -100_200, "type": "supergroup", "title": "g"}, "date": 1_717_000_000, "text": "一"}),
    );
    fake.send_text(&group, &li, "三");
    let mounted = telegram::mount(&rig.ctx).await.expect("mount again");
    let events = rig.wait_inbox(3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts: Vec<String> = rig
        .inbox()
        .await
        .iter()
        .map(|e| text_of(e).to_string())
        .collect();
    assert_eq!(texts, vec!["一", "二", "三"], "{events:?}");
    rig.ctx.shutdown.cancel();
    for t in mounted.tasks {
        t.await.expect("task ends");
    }
}

#[tokio::test]
async fn telegram_polling_survives_getupdates_429_and_conflicts() {
    let fake = FakeTelegram::start().await;
    let rig = Rig::new(&fake, false).await;
    let group = Chat::supergroup(-100_300, "g");
    let u = User::new(333, "张三");
    fake.fail_next("getUpdates", Failure::TooManyRequests { retry_after: 1 }, 1);
    fake.fail_next(
        "getUpdates",
        Failure::Api {
            code: 409,
            description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".into(),
        },
        1,
    );
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    fake.send_text(&group, &u, "路灯不亮");
    let events = rig.wait_inbox(1).await;
    assert_eq!(text_of(&events[0]), "路灯不亮");
    let refused = fake
        .requests()
        .iter()
        .filter(|r| r.method == "getupdates" && r.status != 200)
        .count();
    assert_eq!(refused, 2);
    rig.ctx.shutdown.cancel();
    for t in mounted.tasks {
        t.await.expect("task ends");
    }
}

#[tokio::test]
async fn telegram_maps_groups_topics_edits_buttons_migration_and_removal() {
    let fake = FakeTelegram::start().await;
    let rig = Rig::new(&fake, false).await;
    let forum = Chat::forum(-100_400, "社区论坛");
    let old_group = Chat::group(-4_567, "老群");
    let fang = User::new(111, "王芳");
    let li = User::new(222, "李强");
    let private = Chat::private(&li);
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");

    let topic = fake.open_topic(&forum, &fang, "报修");
    let asked = fake.send_full(
        &forum,
        &fang,
        "电梯坏了 @李强 快来",
        None,
        Some(topic),
        &[(&li, "@李强")],
    );
    fake.edit_text(&forum, &fang, asked, "3号楼电梯坏了");
    fake.send_text(&private, &li, "/my");
    fake.migrate(&old_group, &fang, -100_456_700);
    fake.remove_bot(&forum, &fang);
    let events = rig.wait_inbox(5).await;

    let msg = &events[0];
    assert_eq!(msg.chat.thread, Some(topic.to_string()));
    let EventKind::Message {
        reply_to, mentions, ..
    } = &msg.kind
    else {
        panic!("message")
    };
    assert_eq!(reply_to, &None, "the topic root is not a reply");
    assert_eq!(mentions, &vec!["222".to_string()]);
    assert_eq!(
        events[1].kind,
        EventKind::Edited {
            message_id: asked.to_string(),
            text: "3号楼电梯坏了".into()
        }
    );
    assert_eq!(events[2].chat.kind, gridline::platform::ChatKind::Private);
    assert_eq!(
        events[3].kind,
        EventKind::ChatMigrated {
            new_chat_id: "-100456700".into()
        }
    );
    assert_eq!(events[3].chat.id, "-4567");
    assert_eq!(events[4].kind, EventKind::BotRemoved);

    // The bot answers in the topic with a button; a press comes back with its callback id.
    let adapter = &mounted.adapter;
    let delivered = adapter
        .send(
            &fake::BOT_ID.to_string(),
            &Outbound::Send(OutboundMessage {
                chat: forum.id.to_string(),
                thread: Some(topic.to_string()),
                text: "#1 已受理，@李强 请接单".into(),
                reply_to: Some(asked.to_string()),
                mentions: vec![Mention {
                    user_id: "222".into(),
                    name: "李强".into(),
                }],
                buttons: vec![Button {
                    id: "/claim 1".into(),
                    label: "接单".into(),
                }],
            }),
        )
        .await
        .expect("sent");
    let card: i64 = delivered.message_ids[0].parse().expect("id");
    let qid = fake.press_button(&forum, &li, card, "/claim 1");
    let events = rig.wait_inbox(6).await;
    assert_eq!(
        events[5].kind,
        EventKind::Button {
            message_id: card.to_string(),
            button: "/claim 1".into(),
            callback_id: Some(qid),
        }
    );
    assert_eq!(events[5].sender.id, "222");
    assert_eq!(events[5].chat.thread, Some(topic.to_string()));
    rig.ctx.shutdown.cancel();
    for t in mounted.tasks {
        t.await.expect("task ends");
    }
}

async fn adapter(fake: &FakeTelegram) -> TelegramAdapter {
    let s = settings(fake, "sqlite::memory:", false);
    let bot = telegram::build_bot(&s.telegram).expect("bot");
    TelegramAdapter::new(
        bot,
        BotIdentity {
            id: fake::BOT_ID as u64,
            username: fake::BOT_USERNAME.into(),
        },
    )
}

fn message(chat: i64, text: &str) -> Outbound {
    Outbound::Send(OutboundMessage {
        chat: chat.to_string(),
        thread: None,
        text: text.into(),
        reply_to: None,
        mentions: vec![],
        buttons: vec![],
    })
}

#[tokio::test]
async fn telegram_sends_replies_mentions_keyboards_and_splits_long_texts() {
    let fake = FakeTelegram::start().await;
    let a = adapter(&fake).await;
    let account = fake::BOT_ID.to_string();
    let group = Chat::supergroup(-100_500, "g");
    let fang = User::new(111, "王芳");
    let asked = fake.send_text(&group, &fang, "灯坏了");

    let caps = a.capabilities();
    assert_eq!(caps.text_limit, 4096);
    assert!(caps.buttons && caps.replies && caps.edits);
    assert_eq!(caps.limits.per_chat.len(), 2);

    let long = "统计\n".repeat(3_000); // 9,000 characters: three messages
    let delivered = a
        .send(
            &account,
            &Outbound::Send(OutboundMessage {
                chat: group.id.to_string(),
                thread: None,
                text: long.clone(),
                reply_to: Some(asked.to_string()),
                mentions: vec![Mention {
                    user_id: "111".into(),
                    name: "王芳".into(),
                }],
                buttons: vec![
                    Button {
                        id: "/rate 1 满意".into(),
                        label: "满意".into(),
                    },
                    Button {
                        id: "/rate 1 不满意".into(),
                        label: "不满意".into(),
                    },
                ],
            }),
        )
        .await
        .expect("delivered");
    assert_eq!(delivered.message_ids.len(), 3);
    let sent = fake.calls("sendMessage");
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent.iter()
            .map(|p| p["text"].as_str().unwrap_or_default())
            .collect::<String>(),
        long
    );
    assert!(sent.iter().all(|p| {
        p["text"]
            .as_str()
            .is_some_and(|t| t.chars().count() <= 4096)
    }));
    // The reply goes on the first part, the keyboard on the last.
    assert_eq!(sent[0]["reply_parameters"]["message_id"], json!(asked));
    assert!(sent[1]["reply_parameters"].is_null());
    assert!(sent[0]["reply_markup"].is_null());
    assert_eq!(
        sent[2]["reply_markup"]["inline_keyboard"][0][1]["callback_data"],
        json!("/rate 1 不满意")
    );

    // A text mention names the person by id even without a username.
    a.send(
        &account,
        &Outbound::Send(OutboundMessage {
            chat: group.id.to_string(),
            thread: None,
            text: "请 @王芳 确认".into(),
            reply_to: None,
            mentions: vec![Mention {
                user_id: "111".into(),
                name: "王芳".into(),
            }],
            buttons: vec![],
        }),
    )
    .await
    .expect("delivered");
    let last = fake.calls("sendMessage").pop().expect("sent");
    let entities = last["entities"].as_array().expect("entities");
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0]["type"], "text_mention");
    assert_eq!(entities[0]["offset"], 2);
    assert_eq!(entities[0]["length"], 3);
    assert_eq!(entities[0]["user"]["id"], 111);
}

#[tokio::test]
async fn telegram_send_failures_are_retryable_or_permanent() {
    let fake = FakeTelegram::start().await;
    let a = adapter(&fake).await;
    let account = fake::BOT_ID.to_string();

    fake.fail_next(
        "sendMessage",
        Failure::TooManyRequests { retry_after: 3 },
        1,
    );
    match a.send(&account, &message(-100_600, "x")).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(3))),
        other => panic!("429 must be retried after retry_after: {other:?}"),
    }

    fake.fail_chat(42, 403, "Forbidden: bot was blocked by the user");
    fake.fail_chat(-100_601, 400, "Bad Request: chat not found");
    for chat in [42, -100_601] {
        assert!(
            matches!(
                a.send(&account, &message(chat, "x")).await,
                Err(SendError::Permanent(_))
            ),
            "chat {chat}"
        );
    }
    // An unknown account or a chat id that is not a number never works either.
    assert!(matches!(
        a.send("123", &message(-100_600, "x")).await,
        Err(SendError::Permanent(_))
    ));
    let not_a_chat = Outbound::Send(OutboundMessage {
        chat: "not-a-chat".into(),
        thread: None,
        text: "x".into(),
        reply_to: None,
        mentions: vec![],
        buttons: vec![],
    });
    assert!(matches!(
        a.send(&account, &not_a_chat).await,
        Err(SendError::Permanent(_))
    ));

    // A group that became a supergroup: the message goes to the new id at once.
    fake.migrated_chat(-4_000, -100_400_000);
    let d = a
        .send(&account, &message(-4_000, "迁移后"))
        .await
        .expect("delivered");
    assert_eq!(d.message_ids.len(), 1);
    assert_eq!(fake.texts_to(-100_400_000), vec!["迁移后".to_string()]);

    // 5xx is worth retrying (teloxide waits 10 s on a 5xx before it reads the answer).
    fake.fail_next("sendMessage", Failure::ServerError, 1);
    assert!(matches!(
        a.send(&account, &message(-100_600, "x")).await,
        Err(SendError::Retry { after: None, .. })
    ));
}

#[tokio::test]
async fn telegram_edits_cards_and_answers_button_presses() {
    let fake = FakeTelegram::start().await;
    let a = adapter(&fake).await;
    let account = fake::BOT_ID.to_string();
    let group = Chat::supergroup(-100_700, "g");
    let card = a
        .send(
            &account,
            &Outbound::Send(OutboundMessage {
                chat: group.id.to_string(),
                thread: None,
                text: "#3 待接单".into(),
                reply_to: None,
                mentions: vec![],
                buttons: vec![Button {
                    id: "/claim 3".into(),
                    label: "接单".into(),
                }],
            }),
        )
        .await
        .expect("sent")
        .message_ids[0]
        .clone();
    let edit = Outbound::Edit {
        chat: group.id.to_string(),
        message_id: card.clone(),
        text: "#3 李强已接单".into(),
        buttons: vec![Button {
            id: "/done 3".into(),
            label: "办结".into(),
        }],
    };
    a.send(&account, &edit).await.expect("edited");
    let now = fake
        .message(group.id, card.parse().expect("id"))
        .expect("card");
    assert_eq!(now["text"], "#3 李强已接单");
    assert_eq!(
        now["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "/done 3"
    );
    // The same edit again is "not modified" on Telegram's side: done, not failed.
    a.send(&account, &edit).await.expect("same edit is fine");
    // No buttons: the keyboard goes away.
    a.send(
        &account,
        &Outbound::Edit {
            chat: group.id.to_string(),
            message_id: card.clone(),
            text: "#3 已办结".into(),
            buttons: vec![],
        },
    )
    .await
    .expect("edited");
    let now = fake
        .message(group.id, card.parse().expect("id"))
        .expect("card");
    assert!(now["reply_markup"].is_null());
    // Editing a message that does not exist will never work.
    assert!(matches!(
        a.send(
            &account,
            &Outbound::Edit {
                chat: group.id.to_string(),
                message_id: "999999".into(),
                text: "x".into(),
                buttons: vec![]
            }
        )
        .await,
        Err(SendError::Permanent(_))
    ));

    a.send(
        &account,
        &Outbound::AnswerButton {
            callback_id: "cbq9".into(),
            text: "已接单".into(),
        },
    )
    .await
    .expect("answered");
    assert_eq!(
        fake.calls("answerCallbackQuery"),
        vec![json!({"callback_query_id": "cbq9", "text": "已接单"})]
    );
}

#[tokio::test]
async fn telegram_webhook_refuses_a_wrong_secret_and_stores_before_200() {
    let fake = FakeTelegram::start().await;
    let rig = Rig::new(&fake, true).await;
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    assert!(mounted.tasks.is_empty(), "no polling in webhook mode");
    assert_eq!(
        fake.webhook(),
        Some((
            "https://bot.example.org/tg/hook".to_string(),
            Some(SECRET.to_string())
        ))
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = rig.ctx.shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, mounted.routes)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    let url = format!("http://{addr}/tg/hook");
    let update = json!({"update_id": 9001, "message": {"message_id": 5,
        "from": {"id": 111, "is_bot": false, "first_name": "王芳"},
        "chat": {"id": -100_800, "type": "supergroup", "title": "g"},
        "date": 1_717_000_000, "text": "楼道灯坏了"}});
    let http = reqwest::Client::new();
    let post = |secret: Option<&'static str>| {
        let mut req = http.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send()
    };
    for wrong in [Some("webhook-secret-0123456780"), Some(""), None, Some("x")] {
        let status = post(wrong).await.expect("answer").status();
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    assert!(
        rig.inbox().await.is_empty(),
        "a refused update must not be stored"
    );

    assert_eq!(post(Some(SECRET)).await.expect("answer").status(), 200);
    let events = rig.inbox().await;
    assert_eq!(events.len(), 1, "stored before the 200");
    assert_eq!(text_of(&events[0]), "楼道灯坏了");
    // Telegram resends when unsure; the inbox keeps one.
    assert_eq!(post(Some(SECRET)).await.expect("answer").status(), 200);
    assert_eq!(rig.inbox().await.len(), 1);
    rig.ctx.shutdown.cancel();
}

/// Updates teloxide cannot type: an entity type, a chat type and fields from a newer Bot API, a
/// date that is not a number, an update kind gridline never heard of.
fn newer_api_updates(group: &Chat) -> Vec<(&'static str, serde_json::Value)> {
    let from = json!({"id": 111, "is_bot": false, "first_name": "王芳"});
    let chat = json!({"id": group.id, "type": "supergroup", "title": group.title});
    vec![
        (
            "message",
            json!({"message_id": 71, "from": from, "chat": chat, "date": 1_717_000_000,
            "text": "3栋电梯坏了 ✨",
            "entities": [{"type": "sparkle_effect", "offset": 7, "length": 1}]}),
        ),
        (
            "message",
            json!({"message_id": 72, "from": from, "chat": chat, "date": "2026-12-05",
            "text": "5栋漏水了"}),
        ),
        (
            "message",
            json!({"message_id": 73, "from": from, "chat": chat, "date": 1_717_000_000,
            "text": "路灯不亮", "paid_star_reaction_count": {"stars": [1, 2]},
            "reply_markup_v2": "anything"}),
        ),
        (
            "message",
            json!({"message_id": 74, "from": from, "date": 1_717_000_000,
            "chat": {"id": -100_777, "type": "community_hub", "title": "新型群"},
            "text": "新型群里的诉求"}),
        ),
        ("guild_post", json!({"id": 1, "text": "一种新的更新"})),
    ]
}

/// Every one is stored: three read leniently as messages, two kept unread.
async fn assert_newer_api_updates_stored(rig: &Rig, group: &Chat) {
    let events = rig.wait_inbox(4).await;
    let texts: Vec<&str> = events.iter().map(text_of).collect();
    assert_eq!(
        texts,
        vec!["楼道灯坏了", "3栋电梯坏了 ✨", "5栋漏水了", "路灯不亮"],
        "every readable update is an event"
    );
    assert!(events.iter().all(|e| e.chat.id == group.id.to_string()));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let kept = rig.store.recent_unread(10).await.expect("unread");
        if kept.len() == 2 {
            assert!(
                kept.iter()
                    .any(|u| u.raw.contains("community_hub") && u.reason.contains("community_hub"))
            );
            assert!(kept.iter().any(|u| u.raw.contains("guild_post")));
            assert_eq!(rig.store.unread_count().await.expect("count"), 2);
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "kept: {kept:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn telegram_polling_stores_updates_from_a_newer_bot_api() {
    let fake = FakeTelegram::start().await;
    // A getMe without a username must not stop gridline either.
    fake.drop_username();
    let rig = Rig::new(&fake, false).await;
    let group = Chat::supergroup(-100_300, "幸福小区3号网格");
    fake.send_text(&group, &User::new(111, "王芳"), "楼道灯坏了");
    let mut last = 0;
    for (key, value) in newer_api_updates(&group) {
        last = fake.push_raw(key, value);
    }
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    assert_newer_api_updates_stored(&rig, &group).await;
    // Confirmed only once stored, and then for good.
    fake.wait_for(WAIT, "offset confirmed", |f| {
        (f.confirmed_offset() == last + 1).then_some(())
    })
    .await;
    assert_eq!(fake.pending_updates(), 0);
    rig.ctx.shutdown.cancel();
    for t in mounted.tasks {
        t.await.expect("task ends");
    }
}

#[tokio::test]
async fn telegram_webhook_stores_updates_from_a_newer_bot_api() {
    let fake = FakeTelegram::start().await;
    let rig = Rig::new(&fake, true).await;
    let mounted = telegram::mount(&rig.ctx).await.expect("mount");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = rig.ctx.shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, mounted.routes)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    let group = Chat::supergroup(-100_300, "幸福小区3号网格");
    let url = format!("http://{addr}/tg/hook");
    let http = reqwest::Client::new();
    let mut updates = vec![json!({"update_id": 1, "message": {"message_id": 70,
        "from": {"id": 111, "is_bot": false, "first_name": "王芳"},
        "chat": {"id": group.id, "type": "supergroup", "title": group.title},
        "date": 1_717_000_000, "text": "楼道灯坏了"}})];
    for (n, (key, value)) in newer_api_updates(&group).into_iter().enumerate() {
        let mut update = json!({"update_id": n + 2});
        update[key] = value;
        updates.push(update);
    }
    for update in &updates {
        let status = http
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(update)
            .send()
            .await
            .expect("answer")
            .status();
        assert_eq!(status, 200, "{update}");
    }
    assert_newer_api_updates_stored(&rig, &group).await;
    rig.ctx.shutdown.cancel();
}

// ---- The whole daemon against the fake Telegram ------------------------------------------------

use crate::both_backends;
use crate::support::{Db, TestApp, seed, spawn_app};
use gridline::domain::TicketState;

const GROUP: i64 = -1_001_001;
const GROUP2: i64 = -1_001_002;

/// One grid with its Telegram group; the leader has no username (mentions need text mentions).
fn telegram_roster() -> String {
    format!(
        "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
group,,东门一网格群,T1-V1-G1,,telegram,{GROUP},
group,,东门一网格二群,T1-V1-G1,,telegram,{GROUP2},
person,L1,张伟,T1-V1-G1,,telegram,201,leader
person,R1,王芳,T1-V1-G1,,telegram,101,resident
person,R2,赵丽,T1-V1-G1,,telegram,102,resident
person,C1,陈静,T1-V1,,telegram,301,coordinator
"
    )
}

fn leader() -> User {
    User::new(201, "张伟")
}
fn resident() -> User {
    User::new(101, "王芳").with_username("wangfang")
}

fn use_fake(fake: &FakeTelegram) -> impl FnOnce(&mut Settings) + '_ {
    move |s: &mut Settings| {
        s.telegram.enabled = true;
        s.telegram.token = gridline::config::Secret::new(fake::TOKEN);
        s.telegram.api_url = fake.api_url();
    }
}

/// Waits for the `n`-th (1-based) message the bot sends to `chat` and returns (id, message).
async fn nth_bot_message(fake: &FakeTelegram, chat: i64, n: usize) -> (i64, serde_json::Value) {
    fake.wait_for(
        Duration::from_secs(30),
        &format!("bot message {n} in {chat}"),
        |f| f.bot_messages(chat).into_iter().nth(n - 1),
    )
    .await
}

async fn ticket_state(app: &TestApp, id: i64) -> Option<TicketState> {
    app.store.ticket(id).await.expect("db").map(|t| t.state)
}

async fn wait_state(app: &TestApp, id: i64, state: TicketState) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while ticket_state(app, id).await != Some(state) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ticket {id} never became {state:?}: {:?}",
            ticket_state(app, id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn buttons(msg: &serde_json::Value) -> Vec<String> {
    msg["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
        .collect()
}

async fn ticket_life_in_a_group(db: Db) {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(db, use_fake(&fake)).await;
    seed(&app, &telegram_roster()).await;
    let group = Chat::supergroup(GROUP, "东门一网格群");

    // A resident reports; the card answers the report, names the leader with a text mention
    // (he has no username) and offers 接单.
    let report = fake.send_text(
        &group,
        &resident(),
        "/report 3栋2单元楼道灯坏了，晚上看不见",
    );
    let (card_id, card) = nth_bot_message(&fake, GROUP, 1).await;
    let text = card["text"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("#1") && text.contains("@张伟"), "{text}");
    assert_eq!(card["reply_to_message"]["message_id"], json!(report));
    let mention = card["entities"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["type"] == "text_mention").cloned())
        .expect("a text mention of the leader");
    assert_eq!(mention["user"]["id"], 201);
    assert_eq!(buttons(&card), vec!["/claim T1-V1-G1#1".to_string()]);

    // A resident may not claim: the press is answered, nothing changes.
    let refused = fake.press_button(&group, &resident(), card_id, "/claim 1");
    fake.wait_for(WAIT, "the refused press answered", |f| {
        f.calls("answerCallbackQuery")
            .into_iter()
            .find(|c| c["callback_query_id"] == json!(refused))
    })
    .await;
    assert_eq!(ticket_state(&app, 1).await, Some(TicketState::Open));

    // The leader presses 接单 on the card.
    let pressed = fake.press_button(&group, &leader(), card_id, "/claim 1");
    wait_state(&app, 1, TicketState::Claimed).await;
    let answer = fake
        .wait_for(WAIT, "the claim press answered", |f| {
            f.calls("answerCallbackQuery")
                .into_iter()
                .find(|c| c["callback_query_id"] == json!(pressed))
        })
        .await;
    assert!(answer["text"].as_str().is_some_and(|t| !t.is_empty()));
    // The card is edited in place to its new state, with the next step's button.
    let edit = fake
        .wait_for(WAIT, "the card edited after the claim", |f| {
            f.calls("editMessageText").into_iter().find(|p| {
                p["message_id"] == json!(card_id)
                    && p["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("状态：处理中（张伟"))
            })
        })
        .await;
    assert_eq!(buttons(&edit), vec!["/done T1-V1-G1#1".to_string()]);

    // Typed commands, with the bot's name as Telegram appends it in groups.
    fake.send_text(
        &group,
        &leader(),
        "/note@gridline_test_bot 1 已联系电工，下午到",
    );
    fake.send_text(&group, &leader(), "/done@gridline_test_bot 1 换了灯泡");
    wait_state(&app, 1, TicketState::Resolved).await;
    let resolved = fake
        .wait_for(Duration::from_secs(30), "the rating buttons", |f| {
            f.bot_messages(GROUP)
                .into_iter()
                .find(|(_, m)| buttons(m).iter().any(|b| b.starts_with("/rate T1-V1-G1#1")))
        })
        .await;
    assert_eq!(buttons(&resolved.1).len(), 3, "满意 / 一般 / 不满意");
    let satisfied = buttons(&resolved.1)[0].clone();
    // The typed command changed the card too: edited in place to its new state.
    let edit = fake
        .wait_for(WAIT, "the card edited after the typed /done", |f| {
            f.calls("editMessageText").into_iter().find(|p| {
                p["message_id"] == json!(card_id)
                    && p["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("状态：已办结"))
            })
        })
        .await;
    assert!(
        edit["text"].as_str().is_some_and(|t| t.contains("#1")),
        "{edit}"
    );

    // The reporter rates with a button; the ticket closes and its card says so, buttonless.
    fake.press_button(&group, &resident(), resolved.0, &satisfied);
    wait_state(&app, 1, TicketState::Closed).await;
    let edit = fake
        .wait_for(WAIT, "the card edited after the rating", |f| {
            f.calls("editMessageText").into_iter().find(|p| {
                p["message_id"] == json!(card_id)
                    && p["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("状态：已关闭"))
            })
        })
        .await;
    assert!(buttons(&edit).is_empty(), "{edit}");

    // Every message to the group went out once, in the order the ticket moved.
    let texts = fake.texts_to(GROUP);
    let mut unique = texts.clone();
    unique.dedup();
    assert_eq!(texts, unique, "nothing sent twice");
    assert!(texts.iter().any(|t| t.contains("已联系电工")), "{texts:?}");

    // The coordinator asks for the numbers in a private chat with the bot.
    let coordinator = User::new(301, "陈静");
    let private = Chat::private(&coordinator);
    fake.send_text(&private, &coordinator, "/stats");
    let (_, stats) = nth_bot_message(&fake, coordinator.id, 1).await;
    assert!(
        stats["text"]
            .as_str()
            .is_some_and(|t| t.contains("收到群众诉求1件")),
        "{stats}"
    );
    app.stop().await;
}

both_backends!(telegram_ticket_life_in_a_group, ticket_life_in_a_group);

async fn storm_of_429(db: Db) {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(db, use_fake(&fake)).await;
    seed(&app, &telegram_roster()).await;
    let group = Chat::supergroup(GROUP, "东门一网格群");
    let other = Chat::supergroup(GROUP2, "东门一网格二群");
    // Telegram pushes back again and again: every other sendMessage is refused at first.
    for _ in 0..4 {
        fake.fail_next(
            "sendMessage",
            Failure::TooManyRequests { retry_after: 1 },
            1,
        );
    }
    let places = ["1栋", "2栋", "3栋", "4栋", "5栋"];
    for p in places {
        fake.send_text(&group, &resident(), &format!("/report {p}楼道灯坏了"));
    }
    fake.send_text(&other, &User::new(102, "赵丽"), "/report 6栋门禁坏了");
    let cards = fake
        .wait_for(Duration::from_secs(60), "five cards in the group", |f| {
            let t = f.texts_to(GROUP);
            (t.len() >= 5).then_some(t)
        })
        .await;
    nth_bot_message(&fake, GROUP2, 1).await;
    // Each report got its card once, in the order they were written, despite the refusals.
    let numbers: Vec<String> = cards
        .iter()
        .map(|t| {
            let at = t.find('#').expect("a ticket number");
            t[at..]
                .chars()
                .take_while(|c| *c == '#' || c.is_ascii_digit())
                .collect()
        })
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort_by_key(|n| n[1..].parse::<u32>().unwrap_or(0));
    sorted.dedup();
    assert_eq!(numbers, sorted, "in order, none twice: {cards:?}");
    assert_eq!(numbers.len(), 5);
    let refused = fake
        .requests()
        .iter()
        .filter(|r| r.method == "sendmessage" && r.status == 429)
        .count();
    assert_eq!(refused, 4);
    // Nothing is left waiting or parked.
    app.settle().await;
    let counts = app.store.outbox_counts().await.expect("counts");
    assert_eq!(counts.pending, 0, "{counts:?}");
    app.stop().await;
}

both_backends!(telegram_429_storm_loses_and_reorders_nothing, storm_of_429);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_webhook_mode_through_the_daemon_refuses_a_wrong_secret() {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(Db::Sqlite, |s| {
        use_fake(&fake)(s);
        s.telegram.mode = gridline::config::TelegramMode::Webhook;
        s.telegram.webhook_url = "https://bot.example.org/telegram/webhook".into();
        s.telegram.webhook_secret = gridline::config::Secret::new(SECRET);
    })
    .await;
    seed(&app, &telegram_roster()).await;
    assert!(fake.webhook().is_some());
    let url = format!("http://{}/telegram/webhook", app.addr);
    let update = json!({"update_id": 77, "message": {"message_id": 5,
        "from": {"id": 101, "is_bot": false, "first_name": "王芳"},
        "chat": {"id": GROUP, "type": "supergroup", "title": "东门一网格群"},
        "date": 1_717_000_000, "text": "/report 9栋电梯坏了"}});
    let http = reqwest::Client::new();
    for secret in ["wrong-secret-value-000", ""] {
        let status = http
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(&update)
            .send()
            .await
            .expect("answer")
            .status();
        assert!(status == 401 || status == 403, "{status}");
    }
    let status = http
        .post(&url)
        .json(&update)
        .send()
        .await
        .expect("answer")
        .status();
    assert_eq!(status, 401);
    assert_eq!(app.store.inbox_counts().await.expect("counts").total, 0);

    let status = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .json(&update)
        .send()
        .await
        .expect("answer")
        .status();
    assert_eq!(status, 200);
    assert_eq!(app.store.inbox_counts().await.expect("counts").total, 1);
    let (_, card) = nth_bot_message(&fake, GROUP, 1).await;
    assert!(card["text"].as_str().is_some_and(|t| t.contains("#1")));
    app.stop().await;
}

/// The real `gridline` binary, configured by environment like an operator would.
/// A running daemon, killed if a test fails before it does.
struct Daemon(std::process::Child);

impl Daemon {
    /// SIGKILL: no shutdown, no draining.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn daemon(fake: &FakeTelegram, db_url: &str, log: &std::path::Path) -> Daemon {
    daemon_with(fake, db_url, log, &[])
}

/// [`daemon`] with more environment (`GRIDLINE__…` keys).
fn daemon_with(
    fake: &FakeTelegram,
    db_url: &str,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> Daemon {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
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
        .envs(env.iter().copied())
        .stdout(log)
        .stderr(err)
        .spawn()
        .expect("start the gridline binary");
    Daemon(child)
}

/// Kills the process (SIGKILL: no shutdown, no draining) the moment `ids` were all handed out
/// by getUpdates, i.e. right after the daemon fetched them.
async fn kill_once_fetched(fake: &FakeTelegram, child: &mut Daemon, ids: &[i64]) {
    // A deadline, not a measure: a debug binary starting (migrations, the parser's model) on
    // a 2-core machine that runs the rest of the suite beside it has taken up to 30 s.
    fake.wait_for(Duration::from_secs(120), "the batch fetched", |f| {
        let served = f.served();
        ids.iter().all(|id| served.contains(id)).then_some(())
    })
    .await;
    child.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_crash_right_after_fetching_then_restart_handles_every_message_once() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}/gridline.db", dir.path().display());
    let log = dir.path().join("gridline.log");
    let store = Store::open(&db_url, 2, Duration::from_secs(5))
        .await
        .expect("store");
    gridline::import::import_csv(&store, telegram_roster().as_bytes())
        .await
        .expect("roster");
    let group = Chat::supergroup(GROUP, "东门一网格群");
    let people = [resident(), User::new(102, "赵丽")];
    let mut reports = Vec::new();
    let mut report = |n: usize| {
        let who = &people[n % 2];
        let id = fake.send_text(&group, who, &format!("/report {n}号楼路灯不亮"));
        reports.push(id);
    };
    let key = format!("telegram:{}:offset", fake::BOT_ID);

    // Round 1: five reports wait on Telegram; gridline starts, fetches them and dies at once.
    for n in 1..=5 {
        report(n);
    }
    let batch1: Vec<i64> = (0..5).map(|i| 500_001 + i).collect();
    let mut child = daemon(&fake, &db_url, &log);
    kill_once_fetched(&fake, &mut child, &batch1).await;
    let stored = store.cursor(&key).await.expect("cursor");
    eprintln!("after the first kill the stored offset is {stored:?}");

    // Round 2: three more while it is down; it starts, fetches and dies again.
    for n in 6..=8 {
        report(n);
    }
    let batch2: Vec<i64> = (5..8).map(|i| 500_001 + i).collect();
    let mut child = daemon(&fake, &db_url, &log);
    kill_once_fetched(&fake, &mut child, &batch2).await;

    // Round 3: a clean run handles whatever is left.
    let mut child = daemon(&fake, &db_url, &log);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = store.ticket(8).await.expect("db").is_some()
            && store.inbox_counts().await.expect("counts").unprocessed == 0
            && store.outbox_counts().await.expect("counts").pending == 0;
        if done {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("not every report became a ticket; daemon log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill();

    // Every report is in the inbox once and made exactly one ticket.
    assert_eq!(store.inbox_counts().await.expect("counts").total, 8);
    assert!(
        store.ticket(9).await.expect("db").is_none(),
        "a ninth ticket"
    );
    let mut sources = Vec::new();
    for id in 1..=8 {
        let t = store.ticket(id).await.expect("db").expect("ticket");
        sources.push(t.source_message_id.parse::<i64>().expect("message id"));
    }
    sources.sort_unstable();
    assert_eq!(sources, reports);
    // Each ticket's card reached the group (a card sent just before a kill may go out twice,
    // since delivery is at least once; every ticket number appears).
    let texts = fake.texts_to(GROUP);
    for id in 1..=8 {
        assert!(
            texts.iter().any(|t| t.contains(&format!("#{id}"))),
            "no card for #{id}: {texts:?}"
        );
    }
    // A batch killed before it was stored was not confirmed: Telegram handed it out again.
    if stored.is_none() {
        let served = fake.served();
        for id in &batch1 {
            assert!(
                served.iter().filter(|s| *s == id).count() >= 2,
                "update {id} was fetched once only: {served:?}"
            );
        }
    }
    // Telegram was told of each batch only after it was stored: nothing it forgot is missing.
    assert_eq!(fake.pending_updates(), 0);
    assert_eq!(
        store.cursor(&key).await.expect("cursor"),
        Some((500_001 + 8).to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_topics_photos_edits_and_migration_through_the_daemon() {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(Db::Sqlite, use_fake(&fake)).await;
    seed(&app, &telegram_roster()).await;
    let forum = Chat::forum(GROUP, "东门一网格群");

    // A report in a forum topic is answered in that topic.
    let topic = fake.open_topic(&forum, &leader(), "报修");
    let report = fake.send_full(
        &forum,
        &resident(),
        "/report 5栋水管爆了",
        None,
        Some(topic),
        &[],
    );
    let (_, card) = nth_bot_message(&fake, GROUP, 1).await;
    assert_eq!(card["message_thread_id"], json!(topic));
    assert_eq!(card["reply_to_message"]["message_id"], json!(report));
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.thread, Some(topic.to_string()));

    // Editing the report updates the ticket; it never opens a second one.
    fake.edit_text(&forum, &resident(), report, "/report 5栋2单元水管爆了");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !app
        .store
        .ticket(1)
        .await
        .expect("db")
        .is_some_and(|t| t.body.contains("2单元"))
    {
        assert!(tokio::time::Instant::now() < deadline, "edit not applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A photo with a caption opens a ticket.
    fake.send_photo(
        &forum,
        &User::new(102, "赵丽"),
        "/report 路边大树要倒了",
        "tree-photo",
    );
    let (_, card2) = nth_bot_message(&fake, GROUP, 2).await;
    assert!(
        card2["text"].as_str().is_some_and(|t| t.contains("#2")),
        "{card2}"
    );
    app.settle().await;
    assert!(app.store.ticket(3).await.expect("db").is_none());

    // The group becomes a supergroup: reports in the new chat reach the same grid.
    let new_id = -1_009_999;
    fake.migrate(&forum, &leader(), new_id);
    // Stored (report, edit, photo, migration) and applied before anyone writes in the new chat.
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.store.inbox_counts().await.expect("counts").total < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "migration not stored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.settle().await;
    let upgraded = Chat::supergroup(new_id, "东门一网格群");
    fake.send_text(&upgraded, &resident(), "/report 8栋路灯不亮");
    let (_, card3) = nth_bot_message(&fake, new_id, 1).await;
    assert!(
        card3["text"].as_str().is_some_and(|t| t.contains("#3")),
        "{card3}"
    );
    assert_eq!(
        app.store.ticket(3).await.expect("db").expect("ticket").grid,
        "T1-V1-G1"
    );
    app.stop().await;
}

/// SIGTERM while a sendMessage never gets an answer: the daemon still exits within
/// `shutdown.grace` (1 s here; without the grace it would wait on the network), and the card
/// that was not confirmed stays queued and goes out after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_within_the_grace_while_a_send_hangs_and_the_send_survives() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}/gridline.db", dir.path().display());
    let log = dir.path().join("gridline.log");
    let store = Store::open(&db_url, 2, Duration::from_secs(5))
        .await
        .expect("store");
    gridline::import::import_csv(&store, telegram_roster().as_bytes())
        .await
        .expect("roster");
    let group = Chat::supergroup(GROUP, "东门一网格群");
    fake.fail_next("sendMessage", Failure::Hang, 1);
    fake.send_text(&group, &resident(), "/report 3栋路灯不亮");
    let mut child = daemon_with(&fake, &db_url, &log, &[("GRIDLINE__SHUTDOWN__GRACE", "1s")]);
    // The card's sendMessage reached the fake and will never be answered.
    fake.wait_for(Duration::from_secs(60), "the hanging sendMessage", |f| {
        f.requests()
            .iter()
            .any(|r| r.method == "sendmessage" && r.status == 0)
            .then_some(())
    })
    .await;
    let pid = child.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let signalled = std::time::Instant::now();
    // Generous against a loaded machine, far below what waiting on the network would take
    // (the send is never answered).
    let bound = Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        if signalled.elapsed() > bound {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("still running {bound:?} after SIGTERM; daemon log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("exited {:?} after SIGTERM", signalled.elapsed());
    assert!(status.success(), "exit status {status}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("shutdown grace over"), "{text}");
    // The card was not confirmed: it is still queued and the restarted daemon sends it.
    assert!(store.outbox_counts().await.expect("counts").pending >= 1);
    let _child = daemon(&fake, &db_url, &log);
    let card = fake
        .wait_for(Duration::from_secs(60), "the card after restart", |f| {
            f.requests()
                .into_iter()
                .find(|r| r.method == "sendmessage" && r.status == 200)
        })
        .await;
    assert!(
        card.params["text"]
            .as_str()
            .is_some_and(|t| t.contains("#1")),
        "{:?}",
        card.params
    );
}

/// 统计 and 超时 asked by the coordinator in a residents' group: with no private chat yet the
/// answer covers only the group's grid; once the coordinator has written to the bot, the answer
/// arrives in the private chat (sendMessage to the user's id) and the group gets one short line.
async fn revealing_answers_go_private(db: Db) {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(db, use_fake(&fake)).await;
    seed(&app, &telegram_roster()).await;
    let group = Chat::supergroup(GROUP, "东门一网格群");
    let coordinator = User::new(301, "陈静");

    fake.send_text(&group, &resident(), "/report 3栋2单元楼道灯坏了");
    nth_bot_message(&fake, GROUP, 1).await;
    fake.send_text(&group, &coordinator, "/stats");
    let (_, narrowed) = nth_bot_message(&fake, GROUP, 2).await;
    let narrowed = narrowed["text"].as_str().unwrap_or_default().to_string();
    assert!(
        narrowed.contains("只显示本群网格「东门一网格」"),
        "{narrowed}"
    );
    assert!(fake.texts_to(coordinator.id).is_empty());

    let private = Chat::private(&coordinator);
    fake.send_text(&private, &coordinator, "/start");
    nth_bot_message(&fake, coordinator.id, 1).await;
    for (n, (question, expected)) in [("/stats", "收到群众诉求1件"), ("超时", "超时")]
        .into_iter()
        .enumerate()
    {
        let before = fake.texts_to(GROUP).len();
        fake.send_text(&group, &coordinator, question);
        let (_, answer) = nth_bot_message(&fake, coordinator.id, n + 2).await;
        let answer = answer["text"].as_str().unwrap_or_default().to_string();
        assert!(answer.contains(expected), "{question}: {answer}");
        app.settle().await;
        let in_group = fake.texts_to(GROUP).split_off(before);
        assert_eq!(in_group, ["已私信发送给 陈静。"], "{question}");
    }
    app.stop().await;
}

both_backends!(
    telegram_revealing_answers_go_to_the_private_chat,
    revealing_answers_go_private
);
