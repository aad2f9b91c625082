//! A fake OneBot v11 bridge (the NapCat / LLOneBot side), speaking the real protocol over
//! loopback: it connects to gridline's reverse WebSocket with tokio-tungstenite, pushes events,
//! answers actions with `{"status","retcode","data":{"message_id"},"echo"}` and records every
//! action it received. It can also post events over HTTP with an `X-Signature`, and serve a
//! bridge HTTP API (`POST /<action>`).

#![allow(dead_code)]

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

/// What the bridge has seen and how it answers; shared across reconnects.
#[derive(Default)]
struct Shared {
    actions: Mutex<Vec<Value>>,
    /// Retcodes to answer the next actions with instead of 0.
    failures: Mutex<VecDeque<i64>>,
    /// Message ids handed out, counting down from -1000 (QQ bridges produce negative ids).
    next_id: AtomicI64,
}

impl Shared {
    /// Answers an action and records it, with the answer under `"answer"`.
    fn answer(&self, action: &Value) -> Value {
        let echo = action.get("echo").cloned().unwrap_or(Value::Null);
        let answer = match self.failures.lock().expect("failures lock").pop_front() {
            Some(code) => json!({"status": "failed", "retcode": code, "data": null,
                "message": format!("failed with {code}"), "echo": echo}),
            None => {
                let id = -1000 - self.next_id.fetch_add(1, Ordering::SeqCst);
                json!({"status": "ok", "retcode": 0, "data": {"message_id": id}, "echo": echo})
            }
        };
        let mut recorded = action.clone();
        recorded["answer"] = answer.clone();
        self.actions.lock().expect("actions lock").push(recorded);
        answer
    }
}

/// One bridge account.
pub struct FakeBridge {
    pub self_id: String,
    url: String,
    token: Option<String>,
    shared: Arc<Shared>,
    events: Option<mpsc::UnboundedSender<Message>>,
    /// Ends the socket without a closing handshake: `true` resets it (RST), `false` closes
    /// the TCP connection (FIN).
    vanish: Option<tokio::sync::oneshot::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeBridge {
    /// A bridge for `self_id` that will connect to gridline at `addr`.
    pub fn new(addr: SocketAddr, self_id: &str, token: Option<&str>) -> FakeBridge {
        FakeBridge {
            self_id: self_id.to_string(),
            url: format!("ws://{addr}/onebot/v11/ws"),
            token: token.map(str::to_string),
            shared: Arc::new(Shared::default()),
            events: None,
            vanish: None,
            task: None,
        }
    }

    /// Connects (or reconnects) the reverse WebSocket, as NapCat does at start.
    pub async fn connect(&mut self) -> Result<(), tungstenite::Error> {
        let mut request = self.url.as_str().into_client_request()?;
        let headers = request.headers_mut();
        headers.insert("X-Self-ID", header(&self.self_id));
        headers.insert("X-Client-Role", HeaderValue::from_static("Universal"));
        headers.insert("User-Agent", HeaderValue::from_static("OneBot/11"));
        if let Some(token) = &self.token {
            headers.insert("Authorization", header(&format!("Bearer {token}")));
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let (vanish, mut vanished) = tokio::sync::oneshot::channel::<bool>();
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    reset = &mut vanished => {
                        if let (Ok(reset), Ok(socket)) = (reset, sink.reunite(stream)) {
                            if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = socket.get_ref()
                                && reset
                            {
                                tcp.set_zero_linger().expect("linger");
                            }
                            drop(socket);
                        }
                        return;
                    },
                    out = rx.recv() => match out {
                        Some(frame) => {
                            let closing = matches!(frame, Message::Close(_));
                            if sink.send(frame).await.is_err() || closing {
                                break;
                            }
                        }
                        None => break,
                    },
                    frame = stream.next() => match frame {
                        Some(Ok(Message::Text(text))) => {
                            let action: Value = serde_json::from_str(text.as_str()).expect("action is JSON");
                            let answer = shared.answer(&action);
                            if sink.send(Message::Text(answer.to_string().into())).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    },
                }
            }
        });
        self.events = Some(tx);
        self.vanish = Some(vanish);
        self.task = Some(task);
        // Bridges announce themselves with a lifecycle event first.
        self.send(
            json!({"time": now_secs(), "self_id": id_value(&self.self_id),
            "post_type": "meta_event", "meta_event_type": "lifecycle", "sub_type": "connect"}),
        );
        Ok(())
    }

    /// Pushes one event frame.
    pub fn send(&self, event: Value) {
        self.send_raw(event.to_string());
    }

    /// Pushes a frame as is.
    pub fn send_raw(&self, frame: String) {
        let tx = self.events.as_ref().expect("bridge is connected");
        tx.send(Message::Text(frame.into()))
            .expect("socket task alive");
    }

    /// Goes away without a closing handshake, as a bridge that crashed or lost its network
    /// does: the TCP connection is reset (`reset`) or just closed. Waits until it is gone.
    pub async fn vanish(&mut self, reset: bool) {
        self.events = None;
        if let Some(vanish) = self.vanish.take() {
            let _ = vanish.send(reset);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Closes the socket cleanly and waits until the task ended.
    pub async fn disconnect(&mut self) {
        if let Some(tx) = self.events.take() {
            let _ = tx.send(Message::Close(None));
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Answer the next actions with these retcodes instead of success.
    pub fn fail_next(&self, retcodes: &[i64]) {
        self.shared
            .failures
            .lock()
            .expect("failures lock")
            .extend(retcodes);
    }

    /// Every action received so far.
    pub fn actions(&self) -> Vec<Value> {
        self.shared.actions.lock().expect("actions lock").clone()
    }

    /// Waits until at least `n` actions arrived (or panics after `within`).
    pub async fn wait_actions(&self, n: usize, within: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let actions = self.actions();
            if actions.len() >= n {
                return actions;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "bridge {} got {} actions, expected {n}: {actions:#?}",
                self.self_id,
                actions.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("header value")
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// QQ bridges send numeric ids; others (WeChat) strings.
fn id_value(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(id))
}

/// A group message as NapCat sends it (segment array).
pub fn group_message(
    self_id: &str,
    group: &str,
    user: &str,
    name: &str,
    message_id: i64,
    message: Value,
) -> Value {
    json!({
        "time": now_secs(), "self_id": id_value(self_id), "post_type": "message",
        "message_type": "group", "sub_type": "normal", "message_id": message_id,
        "group_id": id_value(group), "user_id": id_value(user),
        "message": message, "raw_message": "", "font": 14,
        "sender": {"user_id": id_value(user), "nickname": name, "card": name, "role": "member"}
    })
}

/// A private message.
pub fn private_message(
    self_id: &str,
    user: &str,
    name: &str,
    message_id: i64,
    message: Value,
) -> Value {
    json!({
        "time": now_secs(), "self_id": id_value(self_id), "post_type": "message",
        "message_type": "private", "sub_type": "friend", "message_id": message_id,
        "user_id": id_value(user), "message": message, "raw_message": "", "font": 14,
        "sender": {"user_id": id_value(user), "nickname": name}
    })
}

pub fn text(t: &str) -> Value {
    json!({"type": "text", "data": {"text": t}})
}

pub fn at(qq: &str) -> Value {
    json!({"type": "at", "data": {"qq": qq}})
}

pub fn reply(id: &str) -> Value {
    json!({"type": "reply", "data": {"id": id}})
}

/// The plain text of an outgoing `message` (segment array or CQ string).
pub fn message_text(action: &Value) -> String {
    match &action["params"]["message"] {
        Value::String(s) => s.clone(),
        Value::Array(segs) => segs
            .iter()
            .filter(|s| s["type"] == "text")
            .filter_map(|s| s["data"]["text"].as_str())
            .collect(),
        _ => String::new(),
    }
}

/// The `reply` segment's id of an outgoing message, if any.
pub fn reply_id(action: &Value) -> Option<String> {
    action["params"]["message"]
        .as_array()?
        .iter()
        .find_map(|s| {
            (s["type"] == "reply").then(|| match &s["data"]["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        })
}

/// The users an outgoing message `at`s.
pub fn at_targets(action: &Value) -> Vec<String> {
    action["params"]["message"]
        .as_array()
        .map(|segs| {
            segs.iter()
                .filter(|s| s["type"] == "at")
                .filter_map(|s| s["data"]["qq"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The message id the bridge gave a recorded action, as gridline sees it.
pub fn sent_id(action: &Value) -> Option<String> {
    action["answer"]["data"]["message_id"]
        .as_i64()
        .map(|n| n.to_string())
}

/// Posts an event the way a bridge's HTTP POST reporter does; `secret` signs the body.
pub async fn post_event(
    addr: SocketAddr,
    self_id: &str,
    secret: Option<&str>,
    event: &Value,
) -> StatusCode {
    let body = event.to_string();
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/onebot/v11/events"))
        .header("Content-Type", "application/json")
        .header("X-Self-ID", self_id);
    if let Some(secret) = secret {
        request = request.header(
            "X-Signature",
            gridline::platform::onebot::http::sign(secret, body.as_bytes()),
        );
    }
    let response = request.body(body).send().await.expect("gridline reachable");
    StatusCode::from_u16(response.status().as_u16()).expect("status")
}

/// A bridge's HTTP API (`POST /<action>`), recording what it was asked.
pub struct FakeHttpApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeHttpApi {
    pub async fn start(token: Option<&str>) -> FakeHttpApi {
        let shared = Arc::new(Shared::default());
        let state = (shared.clone(), token.map(str::to_string));
        let app = axum::Router::new()
            .route("/{action}", axum::routing::post(api_action))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeHttpApi { addr, shared }
    }

    pub fn actions(&self) -> Vec<Value> {
        self.shared.actions.lock().expect("actions lock").clone()
    }
}

async fn api_action(
    State((shared, token)): State<(Arc<Shared>, Option<String>)>,
    Path(action): Path<String>,
    headers: HeaderMap,
    Json(params): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    if let Some(token) = token {
        let given = headers.get("authorization").and_then(|v| v.to_str().ok());
        match given {
            None => return Err(StatusCode::UNAUTHORIZED),
            Some(g) if g != format!("Bearer {token}") => return Err(StatusCode::FORBIDDEN),
            Some(_) => {}
        }
    }
    let mut answer = shared.answer(&json!({"action": action, "params": params}));
    if let Some(obj) = answer.as_object_mut() {
        obj.remove("echo");
    }
    Ok(Json(answer))
}
