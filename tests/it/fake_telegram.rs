//! A fake Telegram Bot API server for the tests: real HTTP/JSON at `/bot<token>/<method>` on
//! loopback, so gridline's real teloxide client talks to it exactly as to api.telegram.org.
//!
//! It keeps what the tests need to be honest: a real update queue with getUpdates offset
//! semantics (an offset confirms and forgets everything below it) and long-poll hold (a call
//! waits up to `timeout` seconds, answering early when an update arrives), a later getUpdates
//! ending an earlier one with 409 as Telegram does, webhook state (getUpdates refused while a
//! webhook is set), message ids for what the bot sends, stored messages that replies and button
//! presses refer to, a record of every request (method + JSON parameters + answer status), and
//! injectable failures (429 with retry_after, 5xx, any Bot API error) per method.
//!
//! Method names are matched case-insensitively: teloxide calls `GetMe`, `SendMessage`.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub const BOT_ID: i64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "gridline_test_bot";
pub const TOKEN: &str = "7000000001:AAFakeTokenForGridlineTests_0123456789";

/// A person in the fake Telegram.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
}

impl User {
    pub fn new(id: i64, first_name: &str) -> User {
        User {
            id,
            first_name: first_name.into(),
            username: None,
        }
    }

    pub fn with_username(mut self, username: &str) -> User {
        self.username = Some(username.into());
        self
    }

    fn json(&self) -> Value {
        let mut v = json!({"id": self.id, "is_bot": false, "first_name": self.first_name, "language_code": "zh-hans"});
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }
}

/// A chat in the fake Telegram.
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub forum: bool,
}

impl Chat {
    pub fn supergroup(id: i64, title: &str) -> Chat {
        Chat {
            id,
            kind: "supergroup",
            title: title.into(),
            forum: false,
        }
    }

    pub fn group(id: i64, title: &str) -> Chat {
        Chat {
            id,
            kind: "group",
            title: title.into(),
            forum: false,
        }
    }

    pub fn forum(id: i64, title: &str) -> Chat {
        Chat {
            id,
            kind: "supergroup",
            title: title.into(),
            forum: true,
        }
    }

    pub fn private(user: &User) -> Chat {
        Chat {
            id: user.id,
            kind: "private",
            title: user.first_name.clone(),
            forum: false,
        }
    }

    fn json(&self) -> Value {
        match self.kind {
            "private" => json!({"id": self.id, "type": "private", "first_name": self.title}),
            kind => {
                let mut v = json!({"id": self.id, "type": kind, "title": self.title});
                if self.forum {
                    v["is_forum"] = json!(true);
                }
                v
            }
        }
    }
}

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// Lower-cased method name (`sendmessage`).
    pub method: String,
    pub params: Value,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// When the fake answered (or, for a hanging call, received) it.
    pub at: std::time::Instant,
}

/// A failure to answer instead of the real result.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 429 with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// 500 Internal Server Error.
    ServerError,
    /// Any Bot API error, e.g. (403, "Forbidden: bot was blocked by the user").
    Api { code: u16, description: String },
    /// No answer at all: the call is recorded (status 0) and then never answered, like a
    /// network that swallowed it.
    Hang,
}

#[derive(Default)]
struct Inner {
    next_update_id: i64,
    next_message_id: i64,
    next_callback_id: u64,
    /// Updates not yet confirmed by an offset.
    queue: VecDeque<(i64, Value)>,
    /// The highest offset any getUpdates call sent.
    confirmed_offset: i64,
    /// Update ids handed out by getUpdates, in order (repeats show re-reads after a crash).
    served: Vec<i64>,
    /// Bumped by every getUpdates; a waiting call that sees a newer one ends with 409.
    poll_generation: u64,
    requests: Vec<Request>,
    failures: HashMap<String, VecDeque<Failure>>,
    /// Permanent per-chat failures for sendMessage (blocked, not found, migrated).
    chat_failures: HashMap<i64, (u16, String, Option<Value>)>,
    /// Every message by (chat id, message id): what users posted and what the bot sent.
    messages: HashMap<(i64, i64), Value>,
    chats: HashMap<i64, Chat>,
    webhook: Option<(String, Option<String>)>,
    can_read_all_group_messages: bool,
    /// getMe answers without `username` (a bot Telegram would not make; gridline must not
    /// panic on it).
    no_username: bool,
}

/// The running fake. Dropping it stops the server.
pub struct FakeTelegram {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
    stop: CancellationToken,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let inner = Arc::new(Mutex::new(Inner {
            next_update_id: 500_000,
            next_message_id: 1_000,
            can_read_all_group_messages: true,
            ..Inner::default()
        }));
        let changed = Arc::new(Notify::new());
        let shared = Shared {
            inner: inner.clone(),
            changed: changed.clone(),
        };
        let app = Router::new()
            .route("/{bot}/{method}", any(handle))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Telegram");
        let addr = listener.local_addr().expect("local addr");
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped.cancelled().await })
                .await;
        });
        FakeTelegram {
            addr,
            inner,
            changed,
            stop,
        }
    }

    /// What `telegram.api_url` must be set to.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake telegram state")
    }

    /// getMe answers without a `username` from now on.
    pub fn drop_username(&self) {
        self.lock().no_username = true;
    }

    /// getMe's `can_read_all_group_messages` (privacy mode off when true).
    pub fn set_privacy_mode(&self, on: bool) {
        self.lock().can_read_all_group_messages = !on;
    }

    // ---- failures ----------------------------------------------------------------------

    /// The next `times` calls of `method` fail with `failure`.
    pub fn fail_next(&self, method: &str, failure: Failure, times: usize) {
        let mut inner = self.lock();
        let q = inner.failures.entry(method.to_lowercase()).or_default();
        for _ in 0..times {
            q.push_back(failure.clone());
        }
    }

    /// Every sendMessage to `chat` fails with this Bot API error from now on.
    pub fn fail_chat(&self, chat: i64, code: u16, description: &str) {
        self.lock()
            .chat_failures
            .insert(chat, (code, description.to_string(), None));
    }

    /// The group `old` became supergroup `new`: sending to `old` fails as Telegram does, with
    /// `parameters.migrate_to_chat_id`.
    pub fn migrated_chat(&self, old: i64, new: i64) {
        self.lock().chat_failures.insert(
            old,
            (
                400,
                "Bad Request: group chat was upgraded to a supergroup chat".into(),
                Some(json!({"migrate_to_chat_id": new})),
            ),
        );
    }

    // ---- what people do ----------------------------------------------------------------

    fn push_update(&self, key: &str, value: Value) -> i64 {
        let id = {
            let mut inner = self.lock();
            inner.next_update_id += 1;
            let id = inner.next_update_id;
            let mut update = json!({"update_id": id});
            update[key] = value;
            inner.queue.push_back((id, update));
            id
        };
        self.changed.notify_waiters();
        id
    }

    /// Queues an arbitrary update object (with its own `update_id` filled in).
    pub fn push_raw(&self, key: &str, value: Value) -> i64 {
        self.push_update(key, value)
    }

    fn message_json(&self, chat: &Chat, from: &User, thread: Option<i64>) -> (i64, Value) {
        let mut inner = self.lock();
        inner.chats.insert(chat.id, chat.clone());
        inner.next_message_id += 1;
        let id = inner.next_message_id;
        let mut msg = json!({
            "message_id": id,
            "from": from.json(),
            "chat": chat.json(),
            "date": now_secs(),
        });
        if let Some(t) = thread {
            msg["message_thread_id"] = json!(t);
            msg["is_topic_message"] = json!(true);
            if let Some(root) = inner.messages.get(&(chat.id, t)) {
                msg["reply_to_message"] = root.clone();
            }
        }
        (id, msg)
    }

    fn remember(&self, chat: i64, id: i64, msg: &Value) {
        self.lock().messages.insert((chat, id), msg.clone());
    }

    /// A user writes `text` in `chat`. Returns the message id.
    pub fn send_text(&self, chat: &Chat, from: &User, text: &str) -> i64 {
        self.send_full(chat, from, text, None, None, &[])
    }

    /// A user answers message `reply_to` (Telegram's "Reply").
    pub fn reply(&self, chat: &Chat, from: &User, reply_to: i64, text: &str) -> i64 {
        self.send_full(chat, from, text, Some(reply_to), None, &[])
    }

    /// The full form: optional reply, forum topic and text mentions (user, "@name" in text).
    pub fn send_full(
        &self,
        chat: &Chat,
        from: &User,
        text: &str,
        reply_to: Option<i64>,
        thread: Option<i64>,
        mentions: &[(&User, &str)],
    ) -> i64 {
        let (id, mut msg) = self.message_json(chat, from, thread);
        msg["text"] = json!(text);
        let mut entities = Vec::new();
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .encode_utf16()
                .count();
            entities.push(json!({"offset": 0, "length": len, "type": "bot_command"}));
        }
        for (user, name) in mentions {
            if let Some(at) = text.find(name) {
                entities.push(json!({
                    "offset": text[..at].encode_utf16().count(),
                    "length": name.encode_utf16().count(),
                    "type": "text_mention",
                    "user": user.json(),
                }));
            }
        }
        if !entities.is_empty() {
            msg["entities"] = json!(entities);
        }
        if let Some(r) = reply_to
            && let Some(original) = self.lock().messages.get(&(chat.id, r))
        {
            msg["reply_to_message"] = original.clone();
        }
        self.remember(chat.id, id, &msg);
        self.push_update("message", msg);
        id
    }

    /// A user posts a photo with `caption`.
    pub fn send_photo(&self, chat: &Chat, from: &User, caption: &str, file_id: &str) -> i64 {
        let (id, mut msg) = self.message_json(chat, from, None);
        msg["photo"] = json!([
            {"file_id": format!("{file_id}-s"), "file_unique_id": "s", "file_size": 1000, "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "l", "file_size": 90000, "width": 1280, "height": 960},
        ]);
        msg["caption"] = json!(caption);
        self.remember(chat.id, id, &msg);
        self.push_update("message", msg);
        id
    }

    /// A user edits message `id` to `text`.
    pub fn edit_text(&self, chat: &Chat, from: &User, id: i64, text: &str) {
        let mut msg = self
            .lock()
            .messages
            .get(&(chat.id, id))
            .cloned()
            .unwrap_or_else(|| json!({"message_id": id, "from": from.json(), "chat": chat.json(), "date": now_secs()}));
        msg["text"] = json!(text);
        msg["edit_date"] = json!(now_secs() + 1);
        self.remember(chat.id, id, &msg);
        self.push_update("edited_message", msg);
    }

    /// A user presses the button with `data` under the bot's message `message_id`.
    /// Returns the callback query id.
    pub fn press_button(&self, chat: &Chat, from: &User, message_id: i64, data: &str) -> String {
        let (qid, message) = {
            let mut inner = self.lock();
            inner.next_callback_id += 1;
            let qid = format!("cbq{}", inner.next_callback_id);
            let message = inner
                .messages
                .get(&(chat.id, message_id))
                .cloned()
                .unwrap_or_else(
                    || json!({"message_id": message_id, "chat": chat.json(), "date": 0}),
                );
            (qid, message)
        };
        self.push_update(
            "callback_query",
            json!({"id": qid, "from": from.json(), "message": message,
                   "chat_instance": format!("{}", chat.id), "data": data}),
        );
        qid
    }

    /// The group is upgraded to a supergroup with id `new_id`.
    pub fn migrate(&self, chat: &Chat, by: &User, new_id: i64) {
        let (_, mut msg) = self.message_json(chat, by, None);
        msg["migrate_to_chat_id"] = json!(new_id);
        self.push_update("message", msg);
    }

    /// Someone removes the bot from `chat`.
    pub fn remove_bot(&self, chat: &Chat, by: &User) {
        let bot = bot_user();
        self.push_update(
            "my_chat_member",
            json!({"chat": chat.json(), "from": by.json(), "date": now_secs(),
                   "old_chat_member": {"user": bot, "status": "member"},
                   "new_chat_member": {"user": bot, "status": "left"}}),
        );
    }

    /// A topic is opened in a forum chat; returns its thread id.
    pub fn open_topic(&self, chat: &Chat, by: &User, name: &str) -> i64 {
        let (id, mut msg) = self.message_json(chat, by, None);
        msg["message_thread_id"] = json!(id);
        msg["is_topic_message"] = json!(true);
        msg["forum_topic_created"] = json!({"name": name, "icon_color": 7_322_096});
        self.remember(chat.id, id, &msg);
        self.push_update("message", msg);
        id
    }

    // ---- what the bot did --------------------------------------------------------------

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// Successful calls of `method` (any case), in order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let m = method.to_lowercase();
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == m && r.status == 200)
            .map(|r| r.params.clone())
            .collect()
    }

    /// Texts the bot delivered to `chat`, in order.
    pub fn texts_to(&self, chat: i64) -> Vec<String> {
        self.calls("sendMessage")
            .into_iter()
            .filter(|p| p["chat_id"].as_i64() == Some(chat))
            .map(|p| p["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A message as the fake holds it now (after edits).
    pub fn message(&self, chat: i64, id: i64) -> Option<Value> {
        self.lock().messages.get(&(chat, id)).cloned()
    }

    /// The bot's messages in `chat` as (message id, message JSON), in order.
    pub fn bot_messages(&self, chat: i64) -> Vec<(i64, Value)> {
        let inner = self.lock();
        let mut out: Vec<(i64, Value)> = inner
            .messages
            .iter()
            .filter(|((c, _), m)| *c == chat && m["from"]["id"].as_i64() == Some(BOT_ID))
            .map(|((_, id), m)| (*id, m.clone()))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    pub fn confirmed_offset(&self) -> i64 {
        self.lock().confirmed_offset
    }

    /// Updates still held (not confirmed).
    pub fn pending_updates(&self) -> usize {
        self.lock().queue.len()
    }

    /// Update ids handed out by getUpdates so far, with repeats.
    pub fn served(&self) -> Vec<i64> {
        self.lock().served.clone()
    }

    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.lock().webhook.clone()
    }

    /// Waits until `check` returns something, for at most `within`.
    pub async fn wait_for<T>(
        &self,
        within: Duration,
        what: &str,
        check: impl Fn(&Self) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            if let Some(v) = check(self) {
                return v;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                if let Some(v) = check(self) {
                    return v;
                }
                panic!("timed out after {within:?} waiting for {what}");
            }
        }
    }
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Gridline Test", "username": BOT_USERNAME})
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The text fields of a multipart/form-data body as a JSON object. Telegram reads a field that
/// holds JSON (arrays, objects) as that JSON; anything else is a string.
fn form_fields(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut out = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = match serde_json::from_str::<Value>(value) {
            Ok(v @ (Value::Array(_) | Value::Object(_) | Value::Number(_) | Value::Bool(_))) => v,
            _ => Value::String(value.to_string()),
        };
        out.insert(name.to_string(), parsed);
    }
    Value::Object(out)
}

fn ok(result: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"ok": true, "result": result})),
    )
        .into_response()
}

fn error(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

async fn handle(
    State(shared): State<Shared>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = method.to_lowercase();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let params: Value = if body.is_empty() {
        json!({})
    } else if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
    {
        // Methods that may carry files (setWebhook's certificate …) come as multipart.
        form_fields(&body, boundary.trim_matches('"'))
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return error(400, "Bad Request: can't parse request JSON", None),
        }
    };
    let response = if bot != format!("bot{TOKEN}") {
        error(401, "Unauthorized", None)
    } else {
        answer(&shared, &method, &params).await
    };
    let status = response.status().as_u16();
    {
        let mut inner = shared.inner.lock().expect("fake telegram state");
        inner.requests.push(Request {
            method,
            params,
            status,
            at: std::time::Instant::now(),
        });
    }
    shared.changed.notify_waiters();
    response
}

async fn answer(shared: &Shared, method: &str, params: &Value) -> Response {
    let injected = {
        let mut inner = shared.inner.lock().expect("fake telegram state");
        inner.failures.get_mut(method).and_then(VecDeque::pop_front)
    };
    if let Some(f) = injected {
        return match f {
            Failure::Hang => {
                {
                    let mut inner = shared.inner.lock().expect("fake telegram state");
                    inner.requests.push(Request {
                        method: method.to_string(),
                        params: params.clone(),
                        status: 0,
                        at: std::time::Instant::now(),
                    });
                }
                shared.changed.notify_waiters();
                std::future::pending::<Response>().await
            }
            Failure::TooManyRequests { retry_after } => error(
                429,
                &format!("Too Many Requests: retry after {retry_after}"),
                Some(json!({"retry_after": retry_after})),
            ),
            Failure::ServerError => error(500, "Internal Server Error", None),
            Failure::Api { code, description } => error(code, &description, None),
        };
    }
    match method {
        "getme" => {
            let inner = shared.inner.lock().expect("fake telegram state");
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(inner.can_read_all_group_messages);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            if inner.no_username
                && let Some(m) = me.as_object_mut()
            {
                m.remove("username");
            }
            ok(me)
        }
        "getupdates" => get_updates(shared, params).await,
        "sendmessage" => send_message(shared, params),
        "editmessagetext" => edit_message_text(shared, params),
        "answercallbackquery" | "setmycommands" | "deletemycommands" => ok(json!(true)),
        "deletewebhook" => {
            shared.inner.lock().expect("fake telegram state").webhook = None;
            ok(json!(true))
        }
        "setwebhook" => {
            let url = params["url"].as_str().unwrap_or_default().to_string();
            let secret = params["secret_token"].as_str().map(str::to_string);
            shared.inner.lock().expect("fake telegram state").webhook = Some((url, secret));
            ok(json!(true))
        }
        _ => error(404, "Not Found", None),
    }
}

async fn get_updates(shared: &Shared, params: &Value) -> Response {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0).min(50));
    let generation = {
        let mut inner = shared.inner.lock().expect("fake telegram state");
        if inner.webhook.is_some() {
            return error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                None,
            );
        }
        // An offset confirms every update below it: Telegram forgets them.
        if offset > 0 {
            inner.queue.retain(|(id, _)| *id >= offset);
            inner.confirmed_offset = inner.confirmed_offset.max(offset);
        }
        inner.poll_generation += 1;
        inner.poll_generation
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = shared.changed.notified();
        {
            let mut inner = shared.inner.lock().expect("fake telegram state");
            if inner.poll_generation != generation {
                return error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    None,
                );
            }
            let batch: Vec<(i64, Value)> = inner
                .queue
                .iter()
                .filter(|(id, _)| *id >= offset)
                .take(limit)
                .cloned()
                .collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                inner.served.extend(batch.iter().map(|(id, _)| *id));
                let updates: Vec<Value> = batch.into_iter().map(|(_, u)| u).collect();
                return ok(json!(updates));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

fn send_message(shared: &Shared, params: &Value) -> Response {
    let Some(chat_id) = params["chat_id"].as_i64() else {
        return error(400, "Bad Request: chat_id is empty", None);
    };
    let text = params["text"].as_str().unwrap_or_default();
    if text.is_empty() {
        return error(400, "Bad Request: message text is empty", None);
    }
    if text.chars().count() > 4096 {
        return error(400, "Bad Request: message is too long", None);
    }
    let mut inner = shared.inner.lock().expect("fake telegram state");
    if let Some((code, description, parameters)) = inner.chat_failures.get(&chat_id).cloned() {
        return error(code, &description, parameters);
    }
    if let Some(data) = params["reply_markup"]["inline_keyboard"].as_array() {
        for b in data
            .iter()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        {
            if b["callback_data"].as_str().is_some_and(|d| d.len() > 64) {
                return error(400, "Bad Request: BUTTON_DATA_INVALID", None);
            }
        }
    }
    let chat = inner.chats.get(&chat_id).cloned().unwrap_or_else(|| {
        if chat_id < 0 {
            Chat::supergroup(chat_id, "group")
        } else {
            Chat::private(&User::new(chat_id, "user"))
        }
    });
    inner.next_message_id += 1;
    let id = inner.next_message_id;
    let mut msg = json!({"message_id": id, "from": bot_user(), "chat": chat.json(), "date": now_secs(), "text": text});
    if let Some(t) = params["message_thread_id"].as_i64() {
        if !chat.forum {
            return error(400, "Bad Request: message thread not found", None);
        }
        msg["message_thread_id"] = json!(t);
        msg["is_topic_message"] = json!(true);
    }
    if let Some(r) = params["reply_parameters"]["message_id"].as_i64()
        && let Some(original) = inner.messages.get(&(chat_id, r))
    {
        msg["reply_to_message"] = original.clone();
    }
    for key in ["entities", "reply_markup"] {
        if !params[key].is_null() {
            msg[key] = params[key].clone();
        }
    }
    inner.messages.insert((chat_id, id), msg.clone());
    ok(msg)
}

fn edit_message_text(shared: &Shared, params: &Value) -> Response {
    let (Some(chat_id), Some(id)) = (params["chat_id"].as_i64(), params["message_id"].as_i64())
    else {
        return error(
            400,
            "Bad Request: message identifier is not specified",
            None,
        );
    };
    let mut inner = shared.inner.lock().expect("fake telegram state");
    let Some(msg) = inner.messages.get_mut(&(chat_id, id)) else {
        return error(400, "Bad Request: message to edit not found", None);
    };
    let text = params["text"].clone();
    let markup = if params["reply_markup"].is_null() {
        Value::Null
    } else {
        params["reply_markup"].clone()
    };
    let old_markup = msg.get("reply_markup").cloned().unwrap_or(Value::Null);
    let empty =
        |m: &Value| m.is_null() || m["inline_keyboard"].as_array().is_some_and(Vec::is_empty);
    if msg["text"] == text && (old_markup == markup || (empty(&old_markup) && empty(&markup))) {
        return error(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            None,
        );
    }
    msg["text"] = text;
    msg["edit_date"] = json!(now_secs());
    if empty(&markup) {
        if let Some(o) = msg.as_object_mut() {
            o.remove("reply_markup");
        }
    } else {
        msg["reply_markup"] = markup;
    }
    let out = msg.clone();
    ok(out)
}
