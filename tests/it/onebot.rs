//! The OneBot v11 adapter against a fake bridge over real WebSocket and HTTP on loopback, and
//! WeCom robot notices against a fake webhook.

use gridline::app::Context;
use gridline::config::{Secret, Settings};
use gridline::platform::onebot;
use gridline::platform::wecom::WeCom;
use gridline::platform::{Adapter, EventKind, Mention, Outbound, OutboundMessage, Rate, SendError};
use gridline::store::Store;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite;
use tokio_util::sync::CancellationToken;

use crate::fake_onebot::{self, FakeBridge, FakeHttpApi, at, group_message, post_event, text};
use crate::fake_wecom::FakeWeCom;

const TOKEN: &str = "bridge-access-token";
const SECRET: &str = "bridge-signing-secret";
const WAIT: Duration = Duration::from_secs(10);

/// gridline's intake and the OneBot endpoints on a loopback port, against a fresh SQLite file.
struct Node {
    addr: SocketAddr,
    store: Store,
    adapter: Arc<dyn Adapter>,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn node(configure: impl FnOnce(&mut Settings)) -> Node {
    let mut settings = Settings::defaults().expect("defaults");
    settings.onebot.enabled = true;
    settings.onebot.access_token = Secret::new(TOKEN);
    settings.onebot.secret = Secret::new(SECRET);
    settings.onebot.action_timeout = gridline::domain::sla::HumanDuration(Duration::from_secs(3));
    configure(&mut settings);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("gridline.db").display());
    let store = Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("store");
    let shutdown = CancellationToken::new();
    let (intake, _writer) = gridline::intake::spawn(
        store.clone(),
        512,
        gridline::intake::Handoff::stored_only(Arc::new(tokio::sync::Notify::new())),
        shutdown.clone(),
    );
    let ctx = Context {
        settings: Arc::new(settings),
        store: store.clone(),
        intake,
        shutdown: shutdown.clone(),
    };
    let mounted = onebot::mount(&ctx).await.expect("mount");
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
    Node {
        addr,
        store,
        adapter: mounted.adapter,
        shutdown,
        _dir: dir,
    }
}

impl Node {
    /// Every stored event, in arrival order.
    async fn inbox(&self) -> Vec<gridline::platform::InboundEvent> {
        let mut tx = self.store.begin().await.expect("begin");
        let rows = tx.take_unprocessed(100_000).await.expect("inbox");
        rows.into_iter().map(|r| r.event).collect()
    }

    async fn wait_inbox(&self, n: usize) -> Vec<gridline::platform::InboundEvent> {
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

    /// Waits until the adapter no longer reaches `account` (its socket has ended and been
    /// let go).
    async fn wait_offline(&self, account: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let r = self.adapter.send(account, &message("probe", "ping")).await;
            if matches!(&r, Err(SendError::Offline(reason)) if reason.contains("not connected")) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "bridge {account} still connected: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the adapter reaches `account` over its WebSocket. The bridge registers only
    /// after the handshake answer went out, so the probe is a real send (to chat `probe`).
    async fn wait_connected(&self, account: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let r = self.adapter.send(account, &message("probe", "ping")).await;
            if !matches!(&r, Err(SendError::Offline(reason)) if reason.contains("not connected")) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "bridge {account} never connected"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn message(chat: &str, text: &str) -> Outbound {
    Outbound::Send(OutboundMessage {
        chat: chat.into(),
        thread: None,
        text: text.into(),
        reply_to: None,
        mentions: vec![],
        buttons: vec![],
    })
}

fn text_of(ev: &gridline::platform::InboundEvent) -> &str {
    match &ev.kind {
        EventKind::Message { text, .. } => text,
        _ => "",
    }
}

#[tokio::test]
async fn onebot_websocket_events_are_stored_in_order_once() {
    let node = node(|_| {}).await;
    let mut bridge = FakeBridge::new(node.addr, "3889001234", Some(TOKEN));
    bridge.connect().await.expect("connect");
    let mut sent = Vec::new();
    for i in 0..60i64 {
        // Alternate the two message forms and negative ids, as real bridges do.
        let body = if i % 2 == 0 {
            json!([at("3889001234"), text(&format!(" 第{i}条 3栋灯坏了"))])
        } else {
            json!(format!(
                "[CQ:at,qq=3889001234] 第{i}条 &#91;急&#93; 漏水&amp;停电"
            ))
        };
        let ev = group_message("3889001234", "812345678", "20002", "王芳", -5000 - i, body);
        bridge.send(ev.clone());
        sent.push(ev);
    }
    let events = node.wait_inbox(60).await;
    for (i, ev) in events.iter().enumerate() {
        let expected = if i % 2 == 0 {
            format!("第{i}条 3栋灯坏了")
        } else {
            format!("第{i}条 [急] 漏水&停电")
        };
        assert_eq!(text_of(ev), expected, "event {i} in arrival order");
        assert_eq!(ev.account, "3889001234");
        assert_eq!(ev.chat.id, "812345678");
    }
    // A bridge that re-sends what it is unsure about after a reconnect doubles nothing.
    bridge.disconnect().await;
    bridge.connect().await.expect("reconnect");
    for ev in &sent[50..] {
        bridge.send(ev.clone());
    }
    let late = group_message(
        "3889001234",
        "812345678",
        "20002",
        "王芳",
        -9999,
        json!("最后一条"),
    );
    bridge.send(late);
    let events = node.wait_inbox(61).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events_after = node.inbox().await;
    assert_eq!(
        events_after.len(),
        61,
        "re-sent events are not stored twice"
    );
    assert_eq!(text_of(&events[60]), "最后一条");
}

#[tokio::test]
async fn onebot_wrong_or_missing_token_is_refused() {
    let node = node(|_| {}).await;
    let status_of = |r: Result<(), tungstenite::Error>| match r {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    };
    let mut wrong = FakeBridge::new(node.addr, "10001", Some("not-the-token"));
    assert_eq!(status_of(wrong.connect().await), 403);
    let mut missing = FakeBridge::new(node.addr, "10001", None);
    assert_eq!(status_of(missing.connect().await), 401);
    let mut right = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    right.connect().await.expect("the right token is let in");
    // Refused bridges were never registered: sends go only to the one that authenticated.
    node.wait_connected("10001").await;
}

#[tokio::test]
async fn onebot_http_events_need_a_valid_signature() {
    let node = node(|_| {}).await;
    let ev = group_message(
        "10001",
        "812345678",
        "20002",
        "王芳",
        77,
        json!("[CQ:at,qq=10001] 路灯不亮了"),
    );
    assert_eq!(
        post_event(node.addr, "10001", Some("wrong-secret"), &ev).await,
        403
    );
    assert_eq!(post_event(node.addr, "10001", None, &ev).await, 401);
    assert!(
        node.inbox().await.is_empty(),
        "refused events are not stored"
    );
    assert_eq!(post_event(node.addr, "10001", Some(SECRET), &ev).await, 204);
    // Answered only once stored: it is there now, with no waiting.
    let events = node.inbox().await;
    assert_eq!(events.len(), 1);
    assert_eq!(text_of(&events[0]), "路灯不亮了");
    // A bridge retrying the same post stores nothing twice.
    assert_eq!(post_event(node.addr, "10001", Some(SECRET), &ev).await, 204);
    assert_eq!(node.inbox().await.len(), 1);
    // Heartbeats are accepted and not stored.
    let beat = json!({"time": 1, "self_id": 10001, "post_type": "meta_event", "meta_event_type": "heartbeat"});
    assert_eq!(
        post_event(node.addr, "10001", Some(SECRET), &beat).await,
        204
    );
    assert_eq!(node.inbox().await.len(), 1);
}

/// Events a bridge sends that gridline cannot read are kept as received, over HTTP and over the
/// WebSocket, each once; the readable ones around them are stored as usual.
#[tokio::test]
async fn onebot_unreadable_events_are_kept_not_dropped() {
    let node = node(|_| {}).await;
    let broken = json!({"time": 1, "self_id": 10001, "post_type": "message",
        "message_type": "group", "message_id": 5, "user_id": 20002, "message": "没有群号"});
    assert_eq!(
        post_event(node.addr, "10001", Some(SECRET), &broken).await,
        204
    );
    assert_eq!(
        post_event(node.addr, "10001", Some(SECRET), &broken).await,
        204
    );
    let mut bridge = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    bridge.connect().await.expect("connect");
    bridge.send(
        json!({"post_type": "message", "self_id": 10001, "message_type": "channel",
        "message_id": 6, "user_id": 20002, "message": "新的消息类型"}),
    );
    bridge.send(group_message(
        "10001",
        "812345678",
        "20002",
        "王芳",
        7,
        json!("路灯不亮了"),
    ));
    let events = node.wait_inbox(1).await;
    assert_eq!(text_of(&events[0]), "路灯不亮了");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let kept = node.store.recent_unread(10).await.expect("unread");
        if kept.len() == 2 {
            assert!(kept.iter().any(|u| u.raw.contains("没有群号")));
            assert!(kept.iter().any(|u| u.raw.contains("新的消息类型")));
            assert!(
                kept.iter()
                    .all(|u| u.platform == "onebot" && !u.reason.is_empty())
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "kept: {kept:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn onebot_sends_with_reply_and_at_segments_and_maps_retcodes() {
    let node = node(|_| {}).await;
    let mut bridge = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    bridge.connect().await.expect("connect");
    node.wait_connected("10001").await;
    let before = bridge.actions().len();
    let card = Outbound::Send(OutboundMessage {
        chat: "812345678".into(),
        thread: None,
        text: "#42 路灯照明 已派给 @李强，回复 接单 42".into(),
        reply_to: Some("-2071935419".into()),
        mentions: vec![Mention {
            user_id: "30003".into(),
            name: "李强".into(),
        }],
        buttons: vec![],
    });
    let delivered = node.adapter.send("10001", &card).await.expect("delivered");
    let actions = bridge.wait_actions(before + 1, WAIT).await;
    let action = &actions[before];
    assert_eq!(action["action"], "send_group_msg");
    assert_eq!(action["params"]["group_id"], json!(812345678));
    assert_eq!(
        fake_onebot::reply_id(action).as_deref(),
        Some("-2071935419")
    );
    assert_eq!(fake_onebot::at_targets(action), vec!["30003"]);
    assert_eq!(
        fake_onebot::message_text(action),
        "#42 路灯照明 已派给 ，回复 接单 42"
    );
    assert_eq!(delivered.message_ids.len(), 1);
    assert!(
        delivered.message_ids[0].starts_with('-'),
        "negative ids kept: {:?}",
        delivered
    );

    // A private chat goes out with send_private_msg; a long text in several messages.
    let long = "很长的待办清单\n".repeat(1000);
    let delivered = node
        .adapter
        .send("10001", &message("private:20002", &long))
        .await
        .expect("delivered");
    assert!(delivered.message_ids.len() >= 2);
    let actions = bridge.actions();
    let parts: Vec<&Value> = actions
        .iter()
        .filter(|a| a["action"] == "send_private_msg")
        .collect();
    assert_eq!(parts.len(), delivered.message_ids.len());
    assert_eq!(parts[0]["params"]["user_id"], json!(20002));
    let joined: String = parts.iter().map(|a| fake_onebot::message_text(a)).collect();
    assert_eq!(joined, long);

    bridge.fail_next(&[100]);
    let r = node.adapter.send("10001", &message("812345678", "x")).await;
    assert!(matches!(r, Err(SendError::Permanent(_))), "{r:?}");
    bridge.fail_next(&[103]);
    let r = node.adapter.send("10001", &message("812345678", "x")).await;
    assert!(matches!(r, Err(SendError::Retry { .. })), "{r:?}");
    assert!(!node.adapter.capabilities().buttons);
}

#[tokio::test]
async fn onebot_several_bridges_at_once() {
    let node = node(|_| {}).await;
    let mut qq = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    let mut wechat = FakeBridge::new(node.addr, "wxid_bot01", Some(TOKEN));
    qq.connect().await.expect("qq");
    wechat.connect().await.expect("wechat");
    qq.send(group_message(
        "10001",
        "812345678",
        "20002",
        "王芳",
        1,
        json!("A"),
    ));
    wechat.send(group_message(
        "wxid_bot01",
        "20342@chatroom",
        "wxid_x",
        "李四",
        1,
        json!("B"),
    ));
    let events = node.wait_inbox(2).await;
    let by_account = |acc: &str| {
        events
            .iter()
            .find(|e| e.account == acc)
            .map(|e| e.chat.id.clone())
    };
    assert_eq!(by_account("10001").as_deref(), Some("812345678"));
    assert_eq!(by_account("wxid_bot01").as_deref(), Some("20342@chatroom"));
    node.wait_connected("wxid_bot01").await;
    let q_before = qq.actions().len();
    let w_before = wechat.actions().len();
    node.adapter
        .send("wxid_bot01", &message("20342@chatroom", "收到"))
        .await
        .expect("sent");
    let actions = wechat.wait_actions(w_before + 1, WAIT).await;
    assert_eq!(
        actions[w_before]["params"]["group_id"],
        json!("20342@chatroom")
    );
    assert_eq!(qq.actions().len(), q_before, "the other bridge got nothing");
}

#[tokio::test]
async fn onebot_disconnected_bridge_is_a_retry_then_delivers_after_reconnect() {
    let node = node(|_| {}).await;
    let mut bridge = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    bridge.connect().await.expect("connect");
    node.wait_connected("10001").await;
    bridge.disconnect().await;
    // The socket is gone: the reply waits in the outbox, without using up its attempts.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = node
            .adapter
            .send("10001", &message("812345678", "排队的回复"))
            .await;
        if matches!(&r, Err(SendError::Offline(_))) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still delivering after disconnect: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = bridge.actions().len();
    bridge.connect().await.expect("reconnect");
    node.wait_connected("10001").await;
    node.adapter
        .send("10001", &message("812345678", "排队的回复"))
        .await
        .expect("delivered");
    let actions = bridge.wait_actions(seen + 1, WAIT).await;
    assert!(
        actions[seen..]
            .iter()
            .any(|a| fake_onebot::message_text(a) == "排队的回复")
    );
}

/// A bridge that goes away without a closing handshake (a crash, a reset, a lost network) is
/// normal life, not a refused frame: only a message over the limit is counted in the
/// "oversized or unreadable" tally. Over real sockets, so that the tell between the two (the
/// WebSocket library's error, as axum hands it over) is checked as it really arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onebot_bridge_gone_without_closing_is_not_counted_as_refused() {
    let node = node(|s| s.http.max_body_bytes = 64 * 1024).await;
    let refused = &gridline::limits::OVERSIZED_FRAMES;
    let before = refused.total();
    let mut bridge = FakeBridge::new(node.addr, "10001", Some(TOKEN));
    for reset in [false, true] {
        bridge.connect().await.expect("connect");
        node.wait_connected("10001").await;
        bridge.vanish(reset).await;
        node.wait_offline("10001").await;
    }
    assert_eq!(
        refused.total(),
        before,
        "a bridge that went away was counted as a refused frame"
    );
    // A message over the limit is counted (the same sockets, the same tally).
    bridge.connect().await.expect("connect");
    node.wait_connected("10001").await;
    bridge.send_raw("x".repeat(65 * 1024));
    node.wait_offline("10001").await;
    assert_eq!(refused.total(), before + 1);
}

#[tokio::test]
async fn onebot_http_api_is_used_when_no_socket_is_connected() {
    let api = FakeHttpApi::start(Some(TOKEN)).await;
    let url = format!("http://{}", api.addr);
    let node = node(|s| s.onebot.api_url = url).await;
    let out = Outbound::Send(OutboundMessage {
        chat: "812345678".into(),
        thread: None,
        text: "办结了".into(),
        reply_to: Some("55".into()),
        mentions: vec![],
        buttons: vec![],
    });
    let delivered = node
        .adapter
        .send("10001", &out)
        .await
        .expect("delivered over HTTP");
    let actions = api.actions();
    assert_eq!(
        delivered.message_ids,
        vec![fake_onebot::sent_id(&actions[0]).expect("id")]
    );
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["action"], "send_group_msg");
    assert_eq!(fake_onebot::reply_id(&actions[0]).as_deref(), Some("55"));

    // A wrong token is a configuration error, not worth retrying.
    let node = node_with_wrong_api_token(&api).await;
    let r = node.adapter.send("10001", &message("812345678", "x")).await;
    assert!(
        matches!(r, Err(SendError::Permanent(ref m)) if m.contains("403")),
        "{r:?}"
    );
}

async fn node_with_wrong_api_token(api: &FakeHttpApi) -> Node {
    let url = format!("http://{}", api.addr);
    node(|s| {
        s.onebot.api_url = url;
        s.onebot.access_token = Secret::new("stale-token");
    })
    .await
}

#[tokio::test]
async fn wecom_notices_honour_the_robot_rate_and_batch_when_over() {
    // A robot allowing 5 posts per 2 s stands in for WeCom's 20 per minute.
    let rate = Rate {
        max: 5,
        per: Duration::from_secs(2),
    };
    let fake = FakeWeCom::start(rate.max as usize, rate.per).await;
    let wecom =
        Arc::new(WeCom::new([("town".to_string(), fake.url("town-key"))], rate).expect("wecom"));
    let escalation = "**超时升级** #42 路灯照明（下罗组）\n> 2小时未接单，已升级至镇级";
    wecom.notify("town", escalation).await.expect("posted");
    assert_eq!(fake.accepted("town-key"), vec![escalation.to_string()]);

    // Four more, one after another, fill the robot's window: each is its own message.
    for i in 0..4 {
        wecom
            .notify("town", &format!("日报 第{i}条"))
            .await
            .expect("posted");
    }
    assert_eq!(fake.accepted("town-key").len(), 5);
    // Six at once while the window is full: they wait for a slot and share one message.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let w = wecom.clone();
        tasks.push(tokio::spawn(async move {
            w.notify("town", &format!("逾期清单 第{i}条")).await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("every notice delivered");
    }
    let posts = fake.posts();
    assert!(
        posts.iter().all(|p| p.errcode == 0),
        "the robot was never over its rate: {posts:#?}"
    );
    let accepted = fake.accepted("town-key");
    assert_eq!(
        accepted.len(),
        6,
        "the six waiting notices went out as one message: {accepted:#?}"
    );
    for i in 0..6 {
        assert!(
            accepted[5].contains(&format!("逾期清单 第{i}条")),
            "{}",
            accepted[5]
        );
    }
    assert!(
        posts[5].at.duration_since(posts[0].at) >= rate.per,
        "the batch waited for a slot"
    );
    // Through the adapter interface (the outbox's way): chat = level; unknown levels are permanent.
    let r = wecom.send("robot", &message("province", "x")).await;
    assert!(matches!(r, Err(SendError::Permanent(_))), "{r:?}");
}

#[tokio::test]
async fn wecom_rate_refusal_is_a_retry() {
    // The fake allows fewer posts than the client believes: the client meets 45009.
    let fake = FakeWeCom::start(1, Duration::from_secs(30)).await;
    let wecom = WeCom::new(
        [("village".to_string(), fake.url("v-key"))],
        Rate {
            max: 20,
            per: Duration::from_secs(60),
        },
    )
    .expect("wecom");
    wecom
        .send("robot", &message("village", "第一条"))
        .await
        .expect("first");
    let r = wecom.send("robot", &message("village", "第二条")).await;
    assert!(
        matches!(r, Err(SendError::Retry { after: Some(_), ref reason }) if reason.contains("45009")),
        "{r:?}"
    );
    assert_eq!(fake.accepted("v-key"), vec!["第一条".to_string()]);
}

// ---------------------------------------------------------------------------------------------
// Through the whole application: engine, outbox, SQLite and PostgreSQL.

use crate::both_backends;
use crate::support::{Db, TestApp, seed, spawn_app};
use gridline::domain::{Rating, TicketState};

const BOT: &str = "10001";
const GROUP: &str = "812345678";
const RESIDENT: &str = "20002";
const LEADER: &str = "30003";
const COORDINATOR: &str = "40004";

/// One grid whose QQ group is reached through a OneBot bridge.
const ONEBOT_ROSTER: &str = "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
group,,东门一网格群,T1-V1-G1,,onebot,812345678,
person,L1,张伟,T1-V1-G1,,onebot,30003,leader
person,R1,王芳,T1-V1-G1,,onebot,20002,resident
person,C1,陈静,T1-V1,,onebot,40004,coordinator
";

async fn onebot_app(db: Db) -> TestApp {
    let app = spawn_app(db, |s| {
        s.onebot.enabled = true;
        s.onebot.access_token = Secret::new(TOKEN);
        s.onebot.secret = Secret::new(SECRET);
        s.outbox.retry_base = gridline::domain::sla::HumanDuration(Duration::from_millis(100));
        s.outbox.retry_max = gridline::domain::sla::HumanDuration(Duration::from_millis(400));
        s.outbox.poll_interval = gridline::domain::sla::HumanDuration(Duration::from_millis(50));
    })
    .await;
    seed(&app, ONEBOT_ROSTER).await;
    app
}

/// Waits until `n` events are stored, then until gridline has processed and delivered
/// everything it can.
async fn settle_after(app: &TestApp, n: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let counts = app.store.inbox_counts().await.expect("inbox");
        if counts.total >= n {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} events stored",
            counts.total
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.settle().await;
}

/// The bot's group messages that reply to `message_id`.
fn replies_to(bridge: &FakeBridge, message_id: &str) -> Vec<Value> {
    bridge
        .actions()
        .into_iter()
        .filter(|a| fake_onebot::reply_id(a).as_deref() == Some(message_id))
        .collect()
}

async fn onebot_full_ticket_life(db: Db) {
    let app = onebot_app(db).await;
    let mut bridge = FakeBridge::new(app.addr, BOT, Some(TOKEN));
    bridge.connect().await.expect("bridge connects");

    // A resident @s the bot in the group (array form, negative message id).
    bridge.send(group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        -2071935419,
        json!([at(BOT), text(" /report 3栋楼道灯坏了，晚上看不见")]),
    ));
    settle_after(&app, 1).await;
    let cards = bridge.wait_actions(1, WAIT).await;
    let card = &cards[0];
    assert_eq!(card["action"], "send_group_msg");
    assert_eq!(card["params"]["group_id"], json!(812345678));
    assert_eq!(fake_onebot::reply_id(card).as_deref(), Some("-2071935419"));
    assert_eq!(
        fake_onebot::at_targets(card),
        vec![LEADER],
        "the leader is @-ed"
    );
    let card_text = fake_onebot::message_text(card);
    assert!(card_text.contains("#1"), "{card_text}");
    // No buttons on OneBot: the card says what to type.
    assert!(card_text.contains("接单 #1"), "{card_text}");
    let card_id = fake_onebot::sent_id(card).expect("card id");
    let ticket = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(ticket.state, TicketState::Open);

    // The leader replies 接单 to the card (CQ-code string form, with the bot's @ in it).
    bridge.send(group_message(
        BOT,
        GROUP,
        LEADER,
        "张伟",
        -2071935400,
        json!(format!("[CQ:reply,id={card_id}][CQ:at,qq={BOT}] 接单")),
    ));
    settle_after(&app, 2).await;
    let claimed = replies_to(&bridge, "-2071935400");
    assert_eq!(claimed.len(), 1, "{claimed:#?}");
    assert!(fake_onebot::message_text(&claimed[0]).contains("已由 张伟 接单"));
    let ticket = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(ticket.state, TicketState::Claimed);
    assert_eq!(ticket.assignee.as_deref(), Some("L1"));

    // Resolved, with an escaped character in the result.
    bridge.send(group_message(
        BOT,
        GROUP,
        LEADER,
        "张伟",
        -2071935300,
        json!("办结 1 换了灯泡&amp;灯罩"),
    ));
    settle_after(&app, 3).await;
    let resolved = replies_to(&bridge, "-2071935300");
    assert_eq!(resolved.len(), 1);
    let resolved_text = fake_onebot::message_text(&resolved[0]);
    assert!(resolved_text.contains("换了灯泡&灯罩"), "{resolved_text}");
    assert!(
        resolved_text.contains("评价 #1"),
        "typed rating: {resolved_text}"
    );
    assert_eq!(fake_onebot::at_targets(&resolved[0]), vec![RESIDENT]);

    bridge.send(group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        88,
        json!([text("评价 1 满意")]),
    ));
    settle_after(&app, 4).await;
    let ticket = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(ticket.state, TicketState::Closed);
    assert_eq!(ticket.rating, Some(Rating::Satisfied));

    // The coordinator asks for numbers in a private chat; the answer comes back privately.
    bridge.send(fake_onebot::private_message(
        BOT,
        COORDINATOR,
        "陈静",
        99,
        json!("统计"),
    ));
    settle_after(&app, 5).await;
    let private: Vec<Value> = bridge
        .actions()
        .into_iter()
        .filter(|a| a["action"] == "send_private_msg")
        .collect();
    assert_eq!(private.len(), 1, "{private:#?}");
    assert_eq!(private[0]["params"]["user_id"], json!(40004));
    assert!(fake_onebot::message_text(&private[0]).contains("收到群众诉求1件"));

    bridge.disconnect().await;
    app.stop().await;
}

both_backends!(onebot_ticket_life, onebot_full_ticket_life);

async fn onebot_bridge_reconnects(db: Db) {
    let app = onebot_app(db).await;
    let mut bridge = FakeBridge::new(app.addr, BOT, Some(TOKEN));
    bridge.connect().await.expect("bridge connects");
    let first = group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        501,
        json!("/report 5栋门口路灯不亮"),
    );
    bridge.send(first.clone());
    settle_after(&app, 1).await;
    assert_eq!(replies_to(&bridge, "501").len(), 1);

    // Another report arrives, and the bridge drops right after sending it: the card cannot go out.
    let second = group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        502,
        json!("/report 6栋下水道堵了"),
    );
    bridge.send(second.clone());
    bridge.disconnect().await;
    // While it is away, its HTTP reporter posts a third (signed).
    let third = group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        503,
        json!("[CQ:at,qq=10001] /report 7栋电梯坏了"),
    );
    assert_eq!(post_event(app.addr, BOT, Some(SECRET), &third).await, 204);
    // Both are stored and become tickets; their replies wait in the outbox.
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.store.ticket(3).await.expect("db").is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tickets 2 and 3 were not opened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outbox = app.store.outbox_counts().await.expect("outbox");
    assert!(
        outbox.pending >= 1,
        "replies are queued while the bridge is away: {outbox:?}"
    );
    assert_eq!(outbox.parked, 0);

    // Back again, unsure what got through, the bridge re-sends the last two events.
    tokio::time::sleep(Duration::from_millis(300)).await;
    bridge.connect().await.expect("bridge reconnects");
    bridge.send(second);
    bridge.send(third);
    settle_after(&app, 3).await;
    let counts = app.store.inbox_counts().await.expect("inbox");
    assert_eq!(counts.total, 3, "no event lost or doubled");
    assert!(
        app.store.ticket(4).await.expect("db").is_none(),
        "no ticket twice"
    );
    for source in ["501", "502", "503"] {
        let cards = replies_to(&bridge, source);
        assert_eq!(cards.len(), 1, "exactly one card for {source}: {cards:#?}");
    }
    // The queued cards went out in the order their tickets were opened.
    let order: Vec<String> = bridge
        .actions()
        .iter()
        .filter_map(fake_onebot::reply_id)
        .collect();
    assert_eq!(order, ["501", "502", "503"]);
    let outbox = app.store.outbox_counts().await.expect("outbox");
    assert_eq!((outbox.pending, outbox.parked), (0, 0));

    bridge.disconnect().await;
    app.stop().await;
}

both_backends!(onebot_reconnect, onebot_bridge_reconnects);

#[tokio::test]
async fn onebot_off_loopback_needs_an_access_token() {
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let base = [
        ("GRIDLINE__HTTP__LISTEN", "0.0.0.0:8080"),
        ("GRIDLINE__SANDBOX__ENABLED", "false"),
        ("GRIDLINE__ONEBOT__ENABLED", "true"),
    ];
    let err = Settings::load(None, env(&base))
        .expect_err("an open OneBot endpoint is refused")
        .to_string();
    assert!(err.contains("onebot.access_token"), "{err}");
    let mut with_token = base.to_vec();
    with_token.push(("GRIDLINE__ONEBOT__ACCESS_TOKEN", TOKEN));
    Settings::load(None, env(&with_token)).expect("valid with a token");
}

#[tokio::test]
async fn wecom_notices_go_through_the_outbox() {
    use gridline::store::outbox::NewOutbound;
    let fake = FakeWeCom::start(20, Duration::from_secs(60)).await;
    let url = fake.url("town-key");
    let app = spawn_app(Db::Sqlite, |s| {
        s.wecom.webhooks.insert("town".into(), Secret::new(url));
        s.outbox.poll_interval = gridline::domain::sla::HumanDuration(Duration::from_millis(50));
    })
    .await;
    let notice = "**超时升级** #7 供水排水（东门一网格）\n> 已超过 2 小时未接单";
    let mut tx = app.store.begin().await.expect("begin");
    tx.enqueue(
        &[NewOutbound {
            platform: "wecom".into(),
            account: "robot".into(),
            ticket_id: None,
            item: message("town", notice),
            not_before: None,
        }],
        gridline::store::now_millis(),
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    app.settle().await;
    assert_eq!(fake.accepted("town-key"), vec![notice.to_string()]);
    let body = &fake.posts()[0].body;
    assert_eq!(body["msgtype"], "markdown");
    app.stop().await;
}

/// Throughput of one bridge's socket into the inbox (run with `--ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement"]
async fn onebot_ws_intake_throughput() {
    let node = node(|_| {}).await;
    let mut bridge = FakeBridge::new(node.addr, BOT, Some(TOKEN));
    bridge.connect().await.expect("connect");
    let n = 5_000i64;
    let started = std::time::Instant::now();
    for i in 0..n {
        bridge.send(group_message(
            BOT,
            GROUP,
            RESIDENT,
            "王芳",
            i,
            json!([at(BOT), text(&format!(" 第{i}条"))]),
        ));
    }
    let events = node.wait_inbox(n as usize).await;
    let elapsed = started.elapsed();
    for (i, ev) in events.iter().enumerate() {
        assert_eq!(text_of(ev), format!("第{i}条"));
    }
    eprintln!(
        "{n} events over one socket stored in order in {elapsed:?}: {:.0} events/s",
        n as f64 / elapsed.as_secs_f64()
    );
}

/// 统计 and 超时 asked by the coordinator in the QQ group: with no private chat yet the answer
/// covers only the group's grid; once the coordinator has written to the bot, the answer goes
/// out with send_private_msg and the group gets one short line.
async fn onebot_revealing_answers_go_private(db: Db) {
    let app = onebot_app(db).await;
    let mut bridge = FakeBridge::new(app.addr, BOT, Some(TOKEN));
    bridge.connect().await.expect("bridge connects");
    let sent = |bridge: &FakeBridge, action: &str| -> Vec<Value> {
        bridge
            .actions()
            .into_iter()
            .filter(|a| a["action"] == action)
            .collect()
    };

    bridge.send(group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        1,
        json!([at(BOT), text(" /report 3栋楼道灯坏了")]),
    ));
    bridge.send(group_message(
        BOT,
        GROUP,
        COORDINATOR,
        "陈静",
        2,
        json!("统计"),
    ));
    settle_after(&app, 2).await;
    let narrowed = replies_to(&bridge, "2");
    assert_eq!(narrowed.len(), 1, "{narrowed:#?}");
    let narrowed = fake_onebot::message_text(&narrowed[0]);
    assert!(
        narrowed.contains("只显示本群网格「东门一网格」"),
        "{narrowed}"
    );
    assert!(sent(&bridge, "send_private_msg").is_empty());

    bridge.send(fake_onebot::private_message(
        BOT,
        COORDINATOR,
        "陈静",
        3,
        json!("你好"),
    ));
    settle_after(&app, 3).await;
    for (n, (question, expected)) in [("统计", "收到群众诉求1件"), ("超时", "超时")]
        .into_iter()
        .enumerate()
    {
        let (groups, privately) = (
            sent(&bridge, "send_group_msg").len(),
            sent(&bridge, "send_private_msg").len(),
        );
        let id = 4 + n as i64;
        bridge.send(group_message(
            BOT,
            GROUP,
            COORDINATOR,
            "陈静",
            id,
            json!(question),
        ));
        settle_after(&app, 4 + n as i64).await;
        let answers = sent(&bridge, "send_private_msg").split_off(privately);
        assert_eq!(answers.len(), 1, "{question}: {answers:#?}");
        assert_eq!(answers[0]["params"]["user_id"], json!(40004));
        let answer = fake_onebot::message_text(&answers[0]);
        assert!(answer.contains(expected), "{question}: {answer}");
        let in_group = sent(&bridge, "send_group_msg").split_off(groups);
        assert_eq!(in_group.len(), 1, "{question}: {in_group:#?}");
        assert_eq!(
            fake_onebot::message_text(&in_group[0]),
            "已私信发送给 陈静。"
        );
        assert_eq!(
            fake_onebot::reply_id(&in_group[0]).as_deref(),
            Some(id.to_string().as_str())
        );
    }
    bridge.disconnect().await;
    app.stop().await;
}

both_backends!(
    onebot_revealing_answers_go_to_the_private_chat,
    onebot_revealing_answers_go_private
);

/// OneBot cannot edit messages: a change made outside the group (here the coordinator, in a
/// private chat with the bot) is told in the group as a short status line that replies to the
/// ticket's card, which itself replies to the resident's report; a change made in the group is
/// answered there once, with no extra status line.
async fn onebot_status_line_threaded_to_the_card(db: Db) {
    let app = onebot_app(db).await;
    let mut bridge = FakeBridge::new(app.addr, BOT, Some(TOKEN));
    bridge.connect().await.expect("bridge connects");
    bridge.send(group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        501,
        json!([text("/report 3栋楼道灯坏了")]),
    ));
    settle_after(&app, 1).await;
    let card = bridge.wait_actions(1, WAIT).await[0].clone();
    assert_eq!(fake_onebot::reply_id(&card).as_deref(), Some("501"));
    let card_id = fake_onebot::sent_id(&card).expect("card id");

    // The coordinator claims it privately: answered privately, and the group's card gets a
    // status line replying to it.
    bridge.send(fake_onebot::private_message(
        BOT,
        COORDINATOR,
        "陈静",
        502,
        json!("接单 T1-V1-G1#1"),
    ));
    settle_after(&app, 2).await;
    let threaded = replies_to(&bridge, &card_id);
    assert_eq!(threaded.len(), 1, "{threaded:#?}");
    assert_eq!(threaded[0]["action"], "send_group_msg");
    assert_eq!(threaded[0]["params"]["group_id"], json!(812345678));
    let line = fake_onebot::message_text(&threaded[0]);
    assert!(
        line.contains("#1") && line.contains("状态：处理中") && line.contains("陈静"),
        "{line}"
    );

    // Resolved in the group: the answer there is the only message; no second status line.
    bridge.send(group_message(
        BOT,
        GROUP,
        COORDINATOR,
        "陈静",
        503,
        json!("办结 1 换了灯泡"),
    ));
    settle_after(&app, 3).await;
    assert_eq!(replies_to(&bridge, "503").len(), 1);
    assert_eq!(replies_to(&bridge, &card_id).len(), 1);

    // Dismissed from the private chat after a reopening: a second status line, 已驳回.
    bridge.send(group_message(
        BOT,
        GROUP,
        RESIDENT,
        "王芳",
        504,
        json!("评价 1 不满意"),
    ));
    settle_after(&app, 4).await;
    bridge.send(fake_onebot::private_message(
        BOT,
        COORDINATOR,
        "陈静",
        505,
        json!("驳回 T1-V1-G1#1 已另行处理"),
    ));
    settle_after(&app, 5).await;
    let threaded = replies_to(&bridge, &card_id);
    assert_eq!(threaded.len(), 2, "{threaded:#?}");
    let line = fake_onebot::message_text(&threaded[1]);
    assert!(line.contains("状态：已驳回"), "{line}");
    bridge.disconnect().await;
    app.stop().await;
}
both_backends!(onebot_status_line, onebot_status_line_threaded_to_the_card);
