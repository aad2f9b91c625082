//! The sandbox against the whole application on port 0, SQLite and PostgreSQL, driven only
//! through its HTTP API: the demo roster, the full life of a ticket, and every refusal.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Db, TestApp, spawn_app};

/// gridline with the sandbox on and the demo roster loaded at start.
pub async fn sandbox_app(db: Db) -> TestApp {
    spawn_app(db, |s| {
        s.sandbox.enabled = true;
        s.sandbox.demo_roster = true;
    })
    .await
}

/// A client of the sandbox API.
pub struct Api<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
}

impl<'a> Api<'a> {
    pub fn new(app: &'a TestApp) -> Api<'a> {
        Api {
            app,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app.addr)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.url(path)).send().await.expect("GET");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Posts a message and waits until gridline has answered it; returns its id.
    pub async fn say(&self, group: &str, from: &str, text: &str, reply_to: Option<i64>) -> i64 {
        let mut body = json!({"from": from, "text": text});
        if let Some(r) = reply_to {
            body["reply_to"] = json!(r);
        }
        let (status, answer) = self
            .post_raw(
                &format!("/api/sandbox/groups/{group}/messages"),
                &body.to_string(),
            )
            .await;
        assert_eq!(status, 200, "{from} says {text}: {answer}");
        self.app.settle().await;
        answer["message_id"].as_i64().expect("message_id")
    }

    /// Presses a button on a bot card and waits for gridline to act on it.
    pub async fn press(&self, group: &str, from: &str, message_id: i64, button: &str) {
        let body = json!({"from": from, "message_id": message_id, "button": button});
        let (status, answer) = self
            .post_raw(
                &format!("/api/sandbox/groups/{group}/buttons"),
                &body.to_string(),
            )
            .await;
        assert_eq!(status, 200, "{from} presses {button}: {answer}");
        self.app.settle().await;
    }

    pub async fn messages(&self, group: &str, after: i64) -> Vec<Value> {
        let (status, list) = self
            .get(&format!(
                "/api/sandbox/groups/{group}/messages?after={after}"
            ))
            .await;
        assert_eq!(status, 200, "{list}");
        list.as_array().cloned().expect("a list")
    }

    /// The bot's messages in a group after message `after`.
    pub async fn bot_after(&self, group: &str, after: i64) -> Vec<Value> {
        self.messages(group, after)
            .await
            .into_iter()
            .filter(|m| m["from"] == "bot")
            .collect()
    }

    /// The one bot message answering `message`.
    pub async fn answer_to(&self, group: &str, message: i64) -> Value {
        let answers: Vec<Value> = self
            .bot_after(group, message)
            .await
            .into_iter()
            .filter(|m| m["reply_to"] == message)
            .collect();
        if answers.len() != 1 {
            let all = self.messages(group, 0).await;
            let counts = self.app.store.outbox_counts().await;
            panic!(
                "one answer to {message}, got {answers:?}; history: {all:#?}; outbox: {counts:?}"
            );
        }
        answers[0].clone()
    }

    pub async fn tickets(&self, group: &str) -> Vec<Value> {
        let (status, list) = self
            .get(&format!("/api/sandbox/groups/{group}/tickets"))
            .await;
        assert_eq!(status, 200, "{list}");
        list.as_array().cloned().expect("a list")
    }
}

fn text(m: &Value) -> &str {
    m["text"].as_str().unwrap_or_default()
}

fn button<'v>(card: &'v Value, label: &str) -> &'v str {
    card["buttons"]
        .as_array()
        .and_then(|bs| bs.iter().find(|b| b["label"] == label))
        .and_then(|b| b["id"].as_str())
        .unwrap_or_else(|| panic!("no {label} button on {card}"))
}

async fn full_life(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);

    let (status, roster) = api.get("/api/sandbox/roster").await;
    assert_eq!(status, 200);
    assert_eq!(roster["groups"].as_array().map(Vec::len), Some(9));

    // 王芳, a resident of 东风一网格, writes about a broken light as anyone would; the bot
    // answers with a card that names the leader and carries a 接单 button.
    let report = api
        .say("df-01", "wangfang", "3栋2单元楼道灯坏了，晚上看不见", None)
        .await;
    let card = api.answer_to("df-01", report).await;
    assert!(text(&card).contains("#1"), "{card}");
    assert!(text(&card).contains("李建国"), "{card}");
    let claim = button(&card, "接单").to_string();
    let card_id = card["id"].as_i64().expect("card id");
    let tickets = api.tickets("df-01").await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["state"], "open");
    assert_eq!(tickets[0]["assignee_name"], "李建国");
    assert_eq!(tickets[0]["reporter"], "王芳");

    // A resident cannot claim it; the leader can, with the card's button.
    api.press("df-01", "zhangwei", card_id, &claim).await;
    assert_eq!(api.tickets("df-01").await[0]["state"], "open");
    api.press("df-01", "lijianguo", card_id, &claim).await;
    assert_eq!(api.tickets("df-01").await[0]["state"], "claimed");

    // Progress note, then 办结 with rating buttons for the resident.
    let note = api
        .say("df-01", "lijianguo", "/note 1 已联系电工，下午到", None)
        .await;
    assert!(text(&api.answer_to("df-01", note).await).contains("已联系电工"));
    let done = api.say("df-01", "lijianguo", "办结 1 换了灯泡", None).await;
    let resolved = api.answer_to("df-01", done).await;
    assert!(text(&resolved).contains("换了灯泡"), "{resolved}");
    assert_eq!(api.tickets("df-01").await[0]["state"], "resolved");
    let satisfied = button(&resolved, "满意").to_string();
    api.press(
        "df-01",
        "wangfang",
        resolved["id"].as_i64().expect("id"),
        &satisfied,
    )
    .await;
    let closed = &api.tickets("df-01").await[0];
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["rating"], "satisfied");
    assert_eq!(closed["rating_label"], "满意");
    assert_eq!(closed["state_label"], "已关闭");

    // A second ticket, claimed by replying 接单 to its card.
    let report2 = api
        .say("df-01", "liuxiuying", "报修：1栋门口的下水道堵了", None)
        .await;
    let card2 = api.answer_to("df-01", report2).await;
    assert!(text(&card2).contains("#2"), "{card2}");
    api.say(
        "df-01",
        "lijianguo",
        "接单",
        Some(card2["id"].as_i64().expect("id")),
    )
    .await;
    let states: Vec<Value> = api
        .tickets("df-01")
        .await
        .iter()
        .map(|t| json!([t["id"], t["state"]]))
        .collect();
    assert_eq!(states, [json!([2, "claimed"]), json!([1, "closed"])]);

    // The village coordinator asks for the numbers in the group: they arrive privately.
    let ask = api.say("df-01", "zhouhaitao", "统计", None).await;
    let sent = api.answer_to("df-01", ask).await;
    assert_eq!(text(&sent), "已私信发送给 周海涛。");
    let (_, private) = api
        .get("/api/sandbox/private/zhouhaitao/messages?after=0")
        .await;
    let stats = private
        .as_array()
        .and_then(|list| list.last().cloned())
        .unwrap_or_default();
    for part in [
        "东风社区 累计：收到群众诉求2件",
        "已回复2件",
        "1件正在处理中",
        "已办结1件",
        "满意度100.0%（评价1人次）",
    ] {
        assert!(text(&stats).contains(part), "`{part}` in {stats}");
    }

    // Every message is in the history once, in order, people's and the bot's.
    let all = api.messages("df-01", 0).await;
    let ids: Vec<i64> = all.iter().filter_map(|m| m["id"].as_i64()).collect();
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(ids.len(), sorted.len());
    assert!(
        all.iter()
            .any(|m| m["id"] == report && m["from"] == "wangfang")
    );
    assert!(
        api.messages("df-02", 0).await.is_empty(),
        "other groups hear nothing"
    );
    app.stop().await;
}
both_backends!(full_life_of_a_ticket_over_http, full_life);

async fn refusals(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    let report = api.say("df-01", "wangfang", "/report 路灯不亮", None).await;
    let card = api.answer_to("df-01", report).await;
    let card_id = card["id"].as_i64().expect("id");
    let elsewhere = api.say("df-02", "zhoumin", "大家好", None).await;
    let long = "灯".repeat(5_000);
    let msg = "/api/sandbox/groups/df-01/messages";
    let btn = "/api/sandbox/groups/df-01/buttons";
    let cases: Vec<(String, Option<String>, u16, &str)> = vec![
        (
            "/api/sandbox/groups/nope/messages".into(),
            Some(json!({"from": "wangfang", "text": "x"}).to_string()),
            404,
            "unknown_group",
        ),
        (
            msg.into(),
            Some(json!({"from": "ghost", "text": "x"}).to_string()),
            400,
            "unknown_persona",
        ),
        (
            msg.into(),
            Some(json!({"from": "zhoumin", "text": "x"}).to_string()),
            403,
            "not_in_group",
        ),
        (
            msg.into(),
            Some(json!({"from": "wangfang", "text": ""}).to_string()),
            400,
            "empty_text",
        ),
        (
            msg.into(),
            Some(json!({"from": "wangfang", "text": long}).to_string()),
            413,
            "text_too_long",
        ),
        (msg.into(), Some("not json".into()), 400, "malformed_json"),
        (
            msg.into(),
            Some(json!({"text": "x"}).to_string()),
            400,
            "malformed_json",
        ),
        (
            msg.into(),
            Some(json!({"from": "wangfang", "text": "x", "reply_to": elsewhere}).to_string()),
            400,
            "unknown_reply_to",
        ),
        (
            btn.into(),
            Some(
                json!({"from": "lijianguo", "message_id": card_id, "button": "/claim 99"})
                    .to_string(),
            ),
            400,
            "unknown_button",
        ),
        (
            btn.into(),
            Some(
                json!({"from": "lijianguo", "message_id": elsewhere, "button": "/claim 1"})
                    .to_string(),
            ),
            404,
            "unknown_message",
        ),
        (
            btn.into(),
            Some(
                json!({"from": "huanglihua", "message_id": card_id, "button": "/claim 1"})
                    .to_string(),
            ),
            403,
            "not_in_group",
        ),
        (btn.into(), Some("{".into()), 400, "malformed_json"),
        (
            "/api/sandbox/groups/nope/messages".into(),
            None,
            404,
            "unknown_group",
        ),
        (
            format!("{msg}?after={elsewhere}"),
            None,
            404,
            "unknown_message",
        ),
        (format!("{msg}?after=-"), None, 400, "bad_query"),
        (
            "/api/sandbox/groups/nope/tickets".into(),
            None,
            404,
            "unknown_group",
        ),
        (
            "/api/sandbox/groups/nope/events".into(),
            None,
            404,
            "unknown_group",
        ),
    ];
    let before = api.messages("df-01", 0).await.len();
    for (path, body, want_status, want_code) in cases {
        let (status, answer) = match &body {
            Some(b) => api.post_raw(&path, b).await,
            None => api.get(&path).await,
        };
        assert_eq!(status, want_status, "{path} {body:?}: {answer}");
        assert_eq!(answer["error"], want_code, "{path}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| m.len() > 10),
            "{path}: says what is wrong: {answer}"
        );
    }
    app.settle().await;
    assert_eq!(
        api.messages("df-01", 0).await.len(),
        before,
        "refusals leave no trace"
    );
    assert_eq!(api.tickets("df-01").await.len(), 1);
    app.stop().await;
}
both_backends!(bad_requests_are_refused_with_4xx, refusals);

/// A photo sent in the sandbox (the page's 📷: a data URL in `photo`) is shown with the
/// message and reaches the ticket: a resident's with their report, a leader's with 办结 as
/// evidence. Anything but an image data URL is refused.
async fn photos(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    // A 1×1 PNG.
    let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let body = json!({"from": "wangfang", "text": "3栋门口的井盖坏了", "photo": png});
    let (status, posted) = api
        .post_raw("/api/sandbox/groups/df-01/messages", &body.to_string())
        .await;
    assert_eq!(status, 200, "{posted}");
    app.settle().await;
    let report = posted["message_id"].as_i64().expect("id");
    let shown = api
        .messages("df-01", 0)
        .await
        .into_iter()
        .find(|m| m["id"] == report)
        .expect("the report");
    assert_eq!(shown["photo"], png);
    let card = api.answer_to("df-01", report).await;
    assert!(text(&card).contains("#1"), "{card}");
    assert_eq!(api.tickets("df-01").await[0]["photos"], 1);

    // The leader claims, then sends a photo without text replying to the card: evidence.
    api.say("df-01", "lijianguo", "接单 1", None).await;
    let body = json!({"from": "lijianguo", "text": "", "photo": png,
                      "reply_to": card["id"]});
    let (status, posted) = api
        .post_raw("/api/sandbox/groups/df-01/messages", &body.to_string())
        .await;
    assert_eq!(status, 200, "{posted}");
    app.settle().await;
    api.say("df-01", "lijianguo", "办结 1 换了井盖", None).await;
    let ticket = &api.tickets("df-01").await[0];
    assert_eq!(ticket["state"], "resolved", "{ticket}");
    assert_eq!(ticket["photos"], 2, "{ticket}");
    assert_eq!(ticket["evidence"], 1, "{ticket}");

    for bad in [
        "http://example.org/a.png",
        "data:text/html;base64,PGI+",
        "data:image/png;base64,<b>",
    ] {
        let body = json!({"from": "wangfang", "text": "", "photo": bad});
        let (status, answer) = api
            .post_raw("/api/sandbox/groups/df-01/messages", &body.to_string())
            .await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"], "bad_photo", "{answer}");
    }
    app.stop().await;
}
both_backends!(sandbox_photos_reach_the_ticket, photos);

/// The card follows a change nobody typed: when the rating window ends, the timer closes the
/// ticket and the card in the page is edited to 已关闭, its rating buttons gone.
async fn card_after_timer(db: Db) {
    let app = sandbox_app(db).await;
    let api = Api::new(&app);
    let report = api.say("df-01", "wangfang", "/report 路灯不亮", None).await;
    let card = api.answer_to("df-01", report).await;
    let card_id = card["id"].as_i64().expect("card id");
    api.say("df-01", "lijianguo", "接单 1", None).await;
    api.say("df-01", "lijianguo", "办结 1 换了灯泡", None).await;
    let shown = |all: Vec<Value>| {
        all.into_iter()
            .find(|m| m["id"] == card_id)
            .expect("the card")
    };
    let resolved = shown(api.messages("df-01", 0).await);
    assert!(text(&resolved).contains("状态：已办结"), "{resolved}");
    app.clock
        .advance(std::time::Duration::from_secs(3 * 24 * 3600 + 60));
    assert!(app.tick().await > 0, "the rating timeout fired");
    let closed = shown(api.messages("df-01", 0).await);
    assert!(text(&closed).contains("状态：已关闭"), "{closed}");
    assert!(
        closed["buttons"].as_array().is_none_or(Vec::is_empty),
        "{closed}"
    );
    assert!(closed["edited"].is_i64(), "edited in place: {closed}");
    assert_eq!(api.tickets("df-01").await[0]["state"], "closed");
    app.stop().await;
}
both_backends!(sandbox_card_after_the_rating_timeout, card_after_timer);
