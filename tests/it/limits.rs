//! Bounded input: request bodies and WebSocket messages over `http.max_body_bytes` are refused
//! at every listener, and texts over `intake.max_text_chars` are cut before they are stored.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gridline::config::Secret;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite;

use crate::fake_telegram::{self as fake, FakeTelegram};
use crate::support::{Db, ROSTER, seed, spawn_app};

const LIMIT: usize = 64 * 1024;

/// Sends a POST over a raw socket (so the body may be far larger than the server accepts, and
/// chunked without a declared length) and returns the status the server answered.
async fn raw_post(addr: std::net::SocketAddr, path: &str, body: &[u8], chunked: bool) -> u16 {
    let s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut r, mut w) = s.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    );
    let body = body.to_vec();
    // Written while the answer is read: the server may answer and close before the body is
    // through, which is the point.
    let writer = tokio::spawn(async move {
        w.write_all(head.as_bytes()).await?;
        for part in body.chunks(16 * 1024) {
            if chunked {
                let mut framed = format!("{:x}\r\n", part.len()).into_bytes();
                framed.extend_from_slice(part);
                framed.extend_from_slice(b"\r\n");
                w.write_all(&framed).await?;
            } else {
                w.write_all(part).await?;
            }
        }
        if chunked {
            w.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(w)
    });
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(30), r.read(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    writer.abort();
    let line = String::from_utf8_lossy(&answer[..n]).to_string();
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {line:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_at_every_listener() {
    let fake = FakeTelegram::start().await;
    let app = spawn_app(Db::Sqlite, |s| {
        s.http.max_body_bytes = LIMIT;
        s.sandbox.enabled = true;
        s.sandbox.demo_roster = true;
        s.telegram.enabled = true;
        s.telegram.token = Secret::new(fake::TOKEN);
        s.telegram.api_url = fake.api_url();
        s.telegram.mode = gridline::config::TelegramMode::Webhook;
        s.telegram.webhook_url = "https://bot.example.org/telegram/webhook".into();
        s.telegram.webhook_secret = Secret::new("webhook-secret-0123456789");
        s.onebot.enabled = true;
        s.onebot.access_token = Secret::new("onebot-token");
    })
    .await;
    let big = vec![b'a'; 3 * 1024 * 1024];
    for path in [
        "/api/sandbox/groups/G1/messages",
        "/api/sandbox/groups/G1/buttons",
        "/telegram/webhook",
        "/onebot/v11/events",
        "/console/tickets/1/action",
        "/console/logout",
        "/no/such/route",
    ] {
        for chunked in [false, true] {
            let status = raw_post(app.addr, path, &big, chunked).await;
            // A declared length is refused before the body is read; a chunked one as soon as
            // it passes the limit (an endpoint that refuses for another reason first, such as
            // a missing token or the wrong content type, may answer that instead: it never
            // reads the body either).
            assert!(
                status == 413 || (chunked && (400..500).contains(&status)),
                "{path} chunked={chunked}: {status}"
            );
            if !chunked {
                assert_eq!(status, 413, "{path}");
            }
        }
    }
    // Nothing of it was stored.
    assert_eq!(app.store.inbox_counts().await.expect("counts").total, 0);
    // A body under the limit still goes through.
    let http = reqwest::Client::new();
    let roster: Value = http
        .get(format!("http://{}/api/sandbox/roster", app.addr))
        .send()
        .await
        .expect("roster")
        .json()
        .await
        .expect("json");
    // A resident and a group they are in (coordinators' groups have no residents).
    let persona = roster["personas"]
        .as_array()
        .expect("personas")
        .iter()
        .find(|p| p["role"] == "resident" && p["groups"].as_array().is_some_and(|g| !g.is_empty()))
        .expect("a resident");
    let resident = persona["id"].as_str().expect("id").to_string();
    let group = persona["groups"][0].as_str().expect("group").to_string();
    let status = http
        .post(format!(
            "http://{}/api/sandbox/groups/{group}/messages",
            app.addr
        ))
        .json(&json!({"from": resident, "text": "3栋楼道灯坏了"}))
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status, 200);
    assert_eq!(app.store.inbox_counts().await.expect("counts").total, 1);

    // The OneBot WebSocket: a message over the limit closes the socket; the next connection
    // works.
    let url = format!("ws://{}/onebot/v11/ws", app.addr);
    let connect = || {
        let mut req = tungstenite::client::IntoClientRequest::into_client_request(url.as_str())
            .expect("request");
        let h = req.headers_mut();
        h.insert("authorization", "Bearer onebot-token".parse().expect("h"));
        h.insert("x-self-id", "10001".parse().expect("h"));
        tokio_tungstenite::connect_async(req)
    };
    let (mut ws, _) = connect().await.expect("connect");
    let _ = ws
        .send(tungstenite::Message::text("x".repeat(LIMIT + 10)))
        .await;
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(tungstenite::Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the socket stayed open");
    let (mut ws, _) = connect().await.expect("a new connection");
    ws.send(tungstenite::Message::text(
        json!({"post_type": "meta_event", "meta_event_type": "heartbeat", "self_id": 10001})
            .to_string(),
    ))
    .await
    .expect("a small message is taken");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_are_cut_before_they_are_stored_and_never_read_as_requests() {
    let app = spawn_app(Db::Sqlite, |s| s.intake.max_text_chars = 50).await;
    seed(&app, ROSTER).await;
    // A long natural message: stored cut, no ticket, no answer.
    let long = format!("3栋楼道灯坏了{}", "很久了".repeat(3_000));
    app.say("g1", "res1", "王芳", &long).await;
    let payloads: Vec<(String,)> = sqlx::query_as("SELECT payload FROM inbox ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .expect("inbox");
    let stored: Value = serde_json::from_str(&payloads[0].0).expect("json");
    let text = stored["kind"]["text"].as_str().expect("text");
    assert_eq!(text.chars().count(), 51, "{text}");
    assert!(text.starts_with("3栋楼道灯坏了") && text.ends_with('…'));
    assert!(app.store.ticket(1).await.expect("db").is_none());
    assert!(app.bot_messages().is_empty());
    // An explicit report that long: told to shorten it, no ticket.
    app.say("g1", "res1", "王芳", &format!("/report {long}"))
        .await;
    let answer = app.last();
    assert!(answer.text.contains("50"), "{}", answer.text);
    assert!(app.store.ticket(1).await.expect("db").is_none());
    // Names are cut too; a text at the limit is kept whole and read.
    let mut ev = crate::support::message(
        "g1",
        "res1",
        &"王".repeat(1_000),
        "/report 3栋楼道灯坏了",
        None,
    );
    ev.event_id = "whole".into();
    app.submit(ev).await.expect("stored");
    app.settle().await;
    let t = app.store.ticket(1).await.expect("db").expect("a ticket");
    assert!(t.body.contains("3栋楼道灯坏了"));
    app.stop().await;
}
