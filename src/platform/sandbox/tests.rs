//! The sandbox's routes and adapter over real HTTP on a loopback port, against SQLite and the
//! real intake writer (no engine: these tests look at what reaches the inbox and the history).
//! The full life of a ticket through the whole application is in tests/it/sandbox.rs.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::config::Settings;
use crate::platform::Context;
use crate::platform::{Button, ChatKind, InboundEvent, OutboundMessage};

struct Fixture {
    base: String,
    store: Store,
    adapter: Arc<dyn Adapter>,
    http: reqwest::Client,
    /// Stops the HTTP server and ends live streams.
    shutdown: CancellationToken,
    /// Stops the intake writer alone.
    intake_stop: CancellationToken,
    intake_task: Option<tokio::task::JoinHandle<()>>,
    /// Notified after every inbox commit.
    stored: Arc<Notify>,
    _dir: tempfile::TempDir,
}

async fn fixture(token: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/sandbox.db", dir.path().display());
    let settings = Settings::load(
        None,
        [
            ("GRIDLINE__DATABASE__URL".to_string(), url.clone()),
            ("GRIDLINE__SANDBOX__TOKEN".to_string(), token.to_string()),
        ],
    )
    .expect("settings");
    let store = Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("store");
    let intake_stop = CancellationToken::new();
    let stored = Arc::new(Notify::new());
    let (intake, intake_task) = crate::intake::spawn(
        store.clone(),
        64,
        crate::intake::Handoff::stored_only(stored.clone()),
        intake_stop.clone(),
    );
    let shutdown = CancellationToken::new();
    let ctx = Context {
        settings: Arc::new(settings),
        store: store.clone(),
        intake,
        shutdown: shutdown.clone(),
    };
    let mounted = mount(&ctx).await.expect("mount");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, mounted.routes)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    Fixture {
        base: format!("http://{addr}"),
        store,
        adapter: mounted.adapter,
        http: reqwest::Client::new(),
        shutdown,
        intake_stop,
        intake_task: Some(intake_task),
        stored,
        _dir: dir,
    }
}

impl Fixture {
    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("post");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_raw(path, &body.to_string()).await
    }

    async fn say(&self, group: &str, from: &str, text: &str) -> i64 {
        let (status, body) = self
            .post(
                &format!("/api/sandbox/groups/{group}/messages"),
                json!({"from": from, "text": text}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["message_id"].as_i64().expect("message_id")
    }

    async fn inbox(&self) -> Vec<InboundEvent> {
        let mut tx = self.store.begin().await.expect("tx");
        let rows = tx.take_unprocessed(1_000).await.expect("inbox");
        rows.into_iter().map(|r| r.event).collect()
    }

    async fn bot_says(
        &self,
        group: &str,
        text: &str,
        reply_to: Option<i64>,
        buttons: &[(&str, &str)],
    ) -> i64 {
        let item = Outbound::Send(OutboundMessage {
            chat: group.into(),
            thread: None,
            text: text.into(),
            reply_to: reply_to.map(|r| r.to_string()),
            mentions: vec![],
            buttons: buttons
                .iter()
                .map(|(id, label)| Button {
                    id: id.to_string(),
                    label: label.to_string(),
                })
                .collect(),
        });
        let delivered = self.adapter.send(ACCOUNT, &item).await.expect("send");
        assert_eq!(delivered.message_ids.len(), 1);
        delivered.message_ids[0].parse().expect("numeric id")
    }
}

/// Reads a server-sent event stream until `want` events named `name` arrived.
struct Events {
    resp: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(f: &Fixture, path: &str) -> Events {
        let resp = f
            .http
            .get(format!("{}{path}", f.base))
            .send()
            .await
            .expect("events");
        assert_eq!(resp.status().as_u16(), 200);
        Events {
            resp,
            buffer: String::new(),
        }
    }

    /// The next event (name, data) that is not a keep-alive comment.
    async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some((name, serde_json::from_str(&data).expect("json data")));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("an event within 10s")
                .expect("stream read")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn the_demo_roster_loads_and_places_people_in_groups() {
    let f = fixture("").await;
    let (status, roster) = f.get("/api/sandbox/roster").await;
    assert_eq!(status, 200);
    let groups = roster["groups"].as_array().expect("groups");
    // A group per grid, and a coordinators' group per village and for the town.
    assert_eq!(groups.len(), 9);
    let personas = roster["personas"].as_array().expect("personas");
    let persona = |id: &str| {
        personas
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("persona {id}"))
            .clone()
    };
    let group_ids = |id: &str| persona(id)["groups"].as_array().expect("groups").len();
    assert_eq!(persona("wangfang")["role"], "resident");
    assert_eq!(persona("wangfang")["groups"], json!(["df-01"]));
    assert_eq!(persona("lijianguo")["role"], "leader");
    assert_eq!(persona("chenjing")["role_label"], "副网格长");
    assert_eq!(persona("zhouhaitao")["role_label"], "村级协调员");
    assert_eq!(group_ids("zhouhaitao"), 4);
    assert_eq!(persona("liuweidong")["role_label"], "镇级协调员");
    assert_eq!(group_ids("liuweidong"), 9);
    assert_eq!(group_ids("sunxiaomei"), 9);
    let residents = personas.iter().filter(|p| p["role"] == "resident").count();
    assert!(
        residents >= 18,
        "several residents per group, got {residents}"
    );
    for g in groups {
        let id = g["id"].as_str().expect("id");
        let grid_level = g["grid"]
            .as_str()
            .is_some_and(|c| c.matches('-').count() == 2);
        let in_group = |role: &str| {
            personas
                .iter()
                .filter(|p| {
                    p["role"] == role
                        && p["groups"]
                            .as_array()
                            .is_some_and(|gs| gs.iter().any(|x| x == id))
                })
                .count()
        };
        if grid_level {
            assert_eq!(in_group("leader"), 1, "{id}");
            assert_eq!(in_group("deputy"), 1, "{id}");
            assert!(in_group("resident") >= 3, "{id}");
        } else {
            // A coordinators' group: its coordinators and those above them, no residents.
            assert!(in_group("coordinator") >= 1, "{id}");
            assert_eq!(in_group("resident") + in_group("leader"), 0, "{id}");
        }
    }

    // A second start finds a roster and imports nothing.
    assert!(!load_demo_roster(&f.store).await.expect("second load"));
}

#[tokio::test]
async fn a_message_is_in_the_inbox_before_it_is_answered_and_then_in_the_history() {
    let f = fixture("").await;
    let first = f
        .say("df-01", "wangfang", "  3栋2单元楼道灯坏了 @李建国  ")
        .await;
    let (status, body) = f
        .post(
            "/api/sandbox/groups/df-01/messages",
            json!({"from": "lijianguo", "text": "收到", "reply_to": first}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let second = body["message_id"].as_i64().expect("id");

    let inbox = f.inbox().await;
    assert_eq!(inbox.len(), 2);
    let ev = &inbox[0];
    assert_eq!(
        (ev.platform.as_str(), ev.account.as_str()),
        ("sandbox", "sandbox")
    );
    assert_eq!(ev.event_id, first.to_string());
    assert_eq!(ev.chat.id, "df-01");
    assert_eq!(ev.chat.kind, ChatKind::Group);
    assert_eq!(ev.sender.id, "wangfang");
    assert_eq!(ev.sender.name, "王芳");
    match &ev.kind {
        EventKind::Message {
            message_id,
            text,
            reply_to,
            mentions,
            ..
        } => {
            assert_eq!(message_id, &first.to_string());
            assert_eq!(text, "3栋2单元楼道灯坏了 @李建国");
            assert_eq!(reply_to, &None);
            assert_eq!(mentions, &vec!["lijianguo".to_string()]);
        }
        other => panic!("not a message: {other:?}"),
    }
    match &inbox[1].kind {
        EventKind::Message { reply_to, .. } => assert_eq!(reply_to, &Some(first.to_string())),
        other => panic!("not a message: {other:?}"),
    }

    let (status, list) = f.get("/api/sandbox/groups/df-01/messages").await;
    assert_eq!(status, 200);
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[0]["from"], "wangfang");
    assert_eq!(list[0]["text"], "3栋2单元楼道灯坏了 @李建国");
    assert_eq!(list[0]["buttons"], json!([]));
    assert!(
        list[0]["time"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000_000)
    );
    assert_eq!(list[1]["reply_to"], first);
    let (_, after) = f
        .get(&format!("/api/sandbox/groups/df-01/messages?after={first}"))
        .await;
    assert_eq!(after.as_array().map(|a| a.len()), Some(1));
    assert_eq!(after[0]["id"], second);
    let (_, none) = f
        .get(&format!(
            "/api/sandbox/groups/df-01/messages?after={second}"
        ))
        .await;
    assert_eq!(none, json!([]));
    // Other groups do not see it.
    let (_, other) = f.get("/api/sandbox/groups/df-02/messages").await;
    assert_eq!(other, json!([]));
}

#[tokio::test]
async fn bad_requests_get_a_4xx_that_says_what_is_wrong() {
    let f = fixture("").await;
    let first = f.say("df-01", "wangfang", "路灯不亮").await;
    let other_group = f.say("df-02", "zhoumin", "你好").await;
    let card = f
        .bot_says("df-01", "工单 #1", Some(first), &[("/claim 1", "接单")])
        .await;
    let long = "灯".repeat(MAX_TEXT_CHARS + 1);
    let msg = "/api/sandbox/groups/df-01/messages";
    let btn = "/api/sandbox/groups/df-01/buttons";
    let cases: Vec<(&str, String, Option<String>, u16, &str)> = vec![
        (
            "POST",
            "/api/sandbox/groups/nope/messages".into(),
            Some(json!({"from":"wangfang","text":"x"}).to_string()),
            404,
            "unknown_group",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"nobody","text":"x"}).to_string()),
            400,
            "unknown_persona",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"zhoumin","text":"x"}).to_string()),
            403,
            "not_in_group",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang","text":"   "}).to_string()),
            400,
            "empty_text",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang","text":long}).to_string()),
            413,
            "text_too_long",
        ),
        (
            "POST",
            msg.into(),
            Some("{\"from\": \"wangfang\", \"text\": ".into()),
            400,
            "malformed_json",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang"}).to_string()),
            400,
            "malformed_json",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang","text":5}).to_string()),
            400,
            "malformed_json",
        ),
        ("POST", msg.into(), Some("".into()), 400, "malformed_json"),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang","text":"x","reply_to":other_group}).to_string()),
            400,
            "unknown_reply_to",
        ),
        (
            "POST",
            msg.into(),
            Some(json!({"from":"wangfang","text":"x","reply_to":"abc"}).to_string()),
            400,
            "bad_message_id",
        ),
        (
            "POST",
            btn.into(),
            Some(json!({"from":"lijianguo","message_id":card,"button":"/done 1"}).to_string()),
            400,
            "unknown_button",
        ),
        (
            "POST",
            btn.into(),
            Some(json!({"from":"lijianguo","message_id":999_999,"button":"/claim 1"}).to_string()),
            404,
            "unknown_message",
        ),
        (
            "POST",
            btn.into(),
            Some(json!({"from":"zhoumin","message_id":card,"button":"/claim 1"}).to_string()),
            403,
            "not_in_group",
        ),
        (
            "POST",
            btn.into(),
            Some(json!({"from":"lijianguo","button":"/claim 1"}).to_string()),
            400,
            "malformed_json",
        ),
        (
            "POST",
            "/api/sandbox/groups/nope/buttons".into(),
            Some(json!({"from":"lijianguo","message_id":card,"button":"/claim 1"}).to_string()),
            404,
            "unknown_group",
        ),
        (
            "GET",
            "/api/sandbox/groups/nope/messages".into(),
            None,
            404,
            "unknown_group",
        ),
        (
            "GET",
            format!("{msg}?after={other_group}"),
            None,
            404,
            "unknown_message",
        ),
        ("GET", format!("{msg}?after=soon"), None, 400, "bad_query"),
        ("GET", format!("{msg}?limit=lots"), None, 400, "bad_query"),
        (
            "GET",
            "/api/sandbox/groups/nope/tickets".into(),
            None,
            404,
            "unknown_group",
        ),
        (
            "GET",
            "/api/sandbox/groups/nope/events".into(),
            None,
            404,
            "unknown_group",
        ),
        (
            "GET",
            "/api/sandbox/nothing/here".into(),
            None,
            404,
            "no_such_endpoint",
        ),
    ];
    let before = f.inbox().await.len();
    for (method, path, body, want_status, want_code) in cases {
        let (status, answer) = match body {
            Some(b) => f.post_raw(&path, &b).await,
            None => f.get(&path).await,
        };
        assert_eq!(status, want_status, "{method} {path}: {answer}");
        assert_eq!(answer["error"], want_code, "{method} {path}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.len() > 10,
            "{method} {path}: the message says what is wrong: {answer}"
        );
    }
    assert_eq!(
        f.inbox().await.len(),
        before,
        "no refused request reached the inbox"
    );
    let (_, history) = f.get(msg).await;
    assert_eq!(
        history.as_array().map(|h| h.len()),
        Some(2),
        "nor the history"
    );
}

#[tokio::test]
async fn the_bot_speaks_through_the_adapter_and_viewers_see_it_live() {
    let f = fixture("").await;
    let mut live = Events::open(&f, "/api/sandbox/groups/df-01/events").await;
    let report = f.say("df-01", "wangfang", "3栋楼道灯坏了").await;
    let (name, first) = live.next().await.expect("event");
    assert_eq!(
        (name.as_str(), first["id"].as_i64()),
        ("message", Some(report))
    );

    let card = f
        .bot_says(
            "df-01",
            "已登记工单 #7，网格长李建国负责",
            Some(report),
            &[("/claim 7", "接单"), ("/dismiss 7", "驳回")],
        )
        .await;
    let (name, shown) = live.next().await.expect("event");
    assert_eq!(name, "message");
    assert_eq!(shown["id"], card);
    assert_eq!(shown["from"], "bot");
    assert_eq!(shown["reply_to"], report);
    assert_eq!(
        shown["buttons"][0],
        json!({"id": "/claim 7", "label": "接单"})
    );

    // A leader presses 接单: a Button event reaches the inbox with the press as callback.
    let (status, pressed) = f
        .post(
            "/api/sandbox/groups/df-01/buttons",
            json!({"from": "lijianguo", "message_id": card, "button": "/claim 7"}),
        )
        .await;
    assert_eq!(status, 200, "{pressed}");
    let press_id = pressed["press_id"].as_i64().expect("press id");
    let inbox = f.inbox().await;
    let press = inbox.last().expect("press event");
    assert_eq!(press.sender.id, "lijianguo");
    assert_eq!(
        press.kind,
        EventKind::Button {
            message_id: card.to_string(),
            button: "/claim 7".into(),
            callback_id: Some(press_id.to_string()),
        }
    );

    // The bot's answer to the press goes to the presser; an edit replaces the card.
    let toast = Outbound::AnswerButton {
        callback_id: press_id.to_string(),
        text: "已接单".into(),
    };
    f.adapter.send(ACCOUNT, &toast).await.expect("toast");
    let (name, data) = live.next().await.expect("event");
    assert_eq!(name, "toast");
    assert_eq!(data, json!({"to": "lijianguo", "text": "已接单"}));
    let edit = Outbound::Edit {
        chat: "df-01".into(),
        message_id: card.to_string(),
        text: "工单 #7 已由李建国接单".into(),
        buttons: vec![],
    };
    f.adapter.send(ACCOUNT, &edit).await.expect("edit");
    let (name, data) = live.next().await.expect("event");
    assert_eq!(name, "edit");
    assert_eq!(
        (data["id"].as_i64(), data["buttons"].clone()),
        (Some(card), json!([]))
    );

    // A reconnecting viewer resumes after what it saw.
    let mut resumed = Events::open(
        &f,
        &format!("/api/sandbox/groups/df-01/events?after={report}"),
    )
    .await;
    let (_, again) = resumed.next().await.expect("event");
    assert_eq!(again["id"], card);
    assert_eq!(again["text"], "工单 #7 已由李建国接单");

    // Deliveries the sandbox cannot make are permanent failures, not retries.
    let nowhere = Outbound::Send(OutboundMessage {
        chat: "no-such-group".into(),
        thread: None,
        text: "x".into(),
        reply_to: None,
        mentions: vec![],
        buttons: vec![],
    });
    assert!(matches!(
        f.adapter.send(ACCOUNT, &nowhere).await,
        Err(SendError::Permanent(_))
    ));
    let unknown_press = Outbound::AnswerButton {
        callback_id: "42424242".into(),
        text: "x".into(),
    };
    assert!(matches!(
        f.adapter.send(ACCOUNT, &unknown_press).await,
        Err(SendError::Permanent(_))
    ));

    // Shutting down ends the live streams, so the HTTP server can stop.
    f.shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while live.resp.chunk().await.ok().flatten().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream ended at shutdown");
}

#[tokio::test]
async fn long_bot_texts_are_split_and_keep_buttons_on_the_last_part() {
    let f = fixture("").await;
    let text = "长".repeat(MAX_TEXT_CHARS + 10);
    let item = Outbound::Send(OutboundMessage {
        chat: "df-01".into(),
        thread: None,
        text: text.clone(),
        reply_to: None,
        mentions: vec![],
        buttons: vec![Button {
            id: "/claim 1".into(),
            label: "接单".into(),
        }],
    });
    let delivered = f.adapter.send(ACCOUNT, &item).await.expect("send");
    assert_eq!(delivered.message_ids.len(), 2);
    let (_, list) = f.get("/api/sandbox/groups/df-01/messages").await;
    let parts: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(parts.concat(), text);
    assert_eq!(list[0]["buttons"], json!([]));
    assert_eq!(list[1]["buttons"][0]["label"], "接单");
}

#[tokio::test]
async fn when_the_inbox_cannot_take_a_message_the_answer_is_503_and_nothing_is_kept() {
    let mut f = fixture("").await;
    f.intake_stop.cancel();
    if let Some(task) = f.intake_task.take() {
        task.await.expect("intake stopped");
    }
    let (status, body) = f
        .post(
            "/api/sandbox/groups/df-01/messages",
            json!({"from": "wangfang", "text": "路灯坏了"}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "shutting_down");
    let (_, history) = f.get("/api/sandbox/groups/df-01/messages").await;
    assert_eq!(history, json!([]));
    assert!(f.inbox().await.is_empty());
}

#[tokio::test]
async fn a_token_guards_every_sandbox_request_when_set() {
    let f = fixture("s3cret-token").await;
    for path in [
        "/",
        "/api/sandbox/roster",
        "/api/sandbox/groups/df-01/messages",
    ] {
        let (status, body) = f.get(path).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["error"], "unauthorized");
        let (status, _) = f.get(&format!("{path}?token=wrong")).await;
        assert_eq!(status, 401, "{path} with a wrong token");
        let resp = f
            .http
            .get(format!("{}{path}", f.base))
            .bearer_auth("s3cret-token")
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 200, "{path} with the header");
        let resp = f
            .http
            .get(format!("{}{path}?token=s3cret-token", f.base))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 200, "{path} with ?token=");
    }
    let resp = f
        .http
        .post(format!("{}/api/sandbox/groups/df-01/messages", f.base))
        .body(json!({"from": "wangfang", "text": "x"}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 401);
    assert!(f.inbox().await.is_empty());
}

#[tokio::test]
async fn the_page_is_served_with_its_script_and_style_inline() {
    let f = fixture("").await;
    let resp = f
        .http
        .get(format!("{}/", f.base))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(
        html.contains("/api/sandbox/roster"),
        "the script is inlined"
    );
    assert!(html.contains(".card"), "the stylesheet is inlined");
    assert!(!html.contains("/*SANDBOX_JS*/") && !html.contains("/*SANDBOX_CSS*/"));
}

#[tokio::test]
async fn a_restart_restores_messages_the_inbox_took_but_the_history_missed() {
    let f = fixture("").await;
    // What a crash between the inbox commit and the history write leaves behind.
    let id = f.store.sandbox_next_id().await.expect("id");
    let event = InboundEvent {
        platform: PLATFORM.into(),
        account: ACCOUNT.into(),
        event_id: id.to_string(),
        chat: crate::platform::ChatRef {
            id: "df-01".into(),
            kind: ChatKind::Group,
            title: None,
            thread: None,
        },
        sender: crate::platform::Sender {
            id: "wangfang".into(),
            name: "王芳".into(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: id.to_string(),
            text: "垃圾没人收".into(),
            reply_to: None,
            mentions: vec![],
            photos: vec![],
        },
        at: 1_700_000_000_000,
    };
    let mut tx = f.store.begin().await.expect("tx");
    tx.insert_events(&[event], 1).await.expect("insert");
    tx.commit().await.expect("commit");
    let kept = f.say("df-01", "zhangwei", "我也看到了").await;

    let hub = Hub::new();
    assert_eq!(repair_history(&f.store, &hub).await.expect("repair"), 1);
    assert_eq!(repair_history(&f.store, &hub).await.expect("again"), 0);
    let (_, list) = f.get("/api/sandbox/groups/df-01/messages").await;
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    assert_eq!(ids, [kept, id]);
    assert_eq!(list[1]["text"], "垃圾没人收");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_never_lands_before_the_message_it_answers() {
    let f = fixture("").await;
    // A bot as fast as possible: it answers each message the moment the inbox has it, which
    // can be before the handler wrote the message to the history.
    let store = f.store.clone();
    let adapter = f.adapter.clone();
    let stored = f.stored.clone();
    let answers = 60;
    let bot = tokio::spawn(async move {
        let mut answered = std::collections::HashSet::new();
        while answered.len() < answers {
            let _ = tokio::time::timeout(Duration::from_millis(50), stored.notified()).await;
            let events = store
                .sandbox_recent_events(ACCOUNT, 100)
                .await
                .expect("inbox");
            for event in events {
                let EventKind::Message { message_id, .. } = &event.kind else {
                    continue;
                };
                if !answered.insert(message_id.clone()) {
                    continue;
                }
                let reply = Outbound::Send(OutboundMessage {
                    chat: event.chat.id.clone(),
                    thread: None,
                    text: "收到".into(),
                    reply_to: Some(message_id.clone()),
                    mentions: vec![],
                    buttons: vec![],
                });
                adapter.send(ACCOUNT, &reply).await.expect("send");
            }
        }
    });
    for i in 0..answers {
        f.say("df-01", "wangfang", &format!("第{i}条")).await;
    }
    tokio::time::timeout(Duration::from_secs(20), bot)
        .await
        .expect("the bot answered everything")
        .expect("bot task");
    let (_, list) = f.get("/api/sandbox/groups/df-01/messages?limit=1000").await;
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2 * answers);
    let mut seen = std::collections::HashSet::new();
    for m in list {
        if let Some(answered) = m["reply_to"].as_i64() {
            assert!(
                seen.contains(&answered),
                "the answer {} is listed before message {answered}",
                m["id"]
            );
        }
        seen.insert(m["id"].as_i64().expect("id"));
    }
}
