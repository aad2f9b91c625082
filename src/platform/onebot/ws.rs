//! The reverse WebSocket: bridges connect to gridline at `/onebot/v11/ws`.
//!
//! One connection per bridge account (`X-Self-ID`). Events read from a connection are stored in
//! the order they arrived: frames already waiting are taken as one batch, submitted to intake,
//! and nothing more is read until that batch is committed. Actions go out on the same socket as
//! `{"action","params","echo"}` frames; the answer carrying the same `echo` completes the call.
//!
//! `X-Client-Role` is `Universal` (events and actions, the default), `Event` (events only; not
//! used for sending) or `API` (actions only).

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::action::ActionResponse;
use super::event::{self, Parsed, id_of};
use crate::config::Secret;
use crate::intake::{Intake, IntakeError};
use crate::platform::{InboundEvent, SendError};
use crate::store::unread::Unread;

use crate::store::{Store, now_millis};

/// The most events read from one socket before they are committed.
const BATCH_MAX: usize = 256;

/// The connected bridges that accept actions, by account.
#[derive(Default)]
pub struct Bridges {
    connections: Mutex<HashMap<String, Arc<Connection>>>,
    next_id: AtomicU64,
}

impl Bridges {
    /// The connection actions for `account` go through, if the bridge is connected.
    pub fn api_connection(&self, account: &str) -> Option<Arc<Connection>> {
        let map = self.lock();
        if account.is_empty() {
            // A group bound by import that has not spoken yet: the one bridge connected, if
            // there is only one.
            return match map.len() {
                1 => map.values().next().cloned(),
                _ => None,
            };
        }
        map.get(account).cloned()
    }

    fn register(&self, conn: Arc<Connection>) {
        // A bridge that reconnects before its old socket timed out replaces it.
        self.lock().insert(conn.account.clone(), conn);
    }

    fn unregister(&self, conn: &Connection) {
        let mut map = self.lock();
        if map.get(&conn.account).is_some_and(|c| c.id == conn.id) {
            map.remove(&conn.account);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Connection>>> {
        // The map stays consistent even if a holder panicked: every change is one insert/remove.
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One bridge's socket, as the sender sees it.
pub struct Connection {
    id: u64,
    account: String,
    frames: mpsc::Sender<Message>,
    pending: Mutex<HashMap<String, oneshot::Sender<ActionResponse>>>,
    next_echo: AtomicU64,
}

impl Connection {
    /// Sends an action and waits for its answer.
    pub async fn call(
        &self,
        action: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<ActionResponse, SendError> {
        let echo = format!(
            "gl-{}-{}",
            self.id,
            self.next_echo.fetch_add(1, Ordering::Relaxed)
        );
        let (tx, rx) = oneshot::channel();
        self.pending_lock().insert(echo.clone(), tx);
        let frame = json!({"action": action, "params": params, "echo": echo}).to_string();
        let gone = |reason: &str| SendError::Retry {
            after: None,
            reason: format!("bridge {}: {reason}", self.account),
        };
        if self.frames.send(Message::Text(frame.into())).await.is_err() {
            self.pending_lock().remove(&echo);
            return Err(gone("disconnected"));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(gone("disconnected before answering")),
            Err(_) => {
                self.pending_lock().remove(&echo);
                Err(gone(&format!("no answer to {action} within {timeout:?}")))
            }
        }
    }

    fn answer(&self, response: ActionResponse) {
        let Some(echo) = id_of(Some(&response.echo)) else {
            debug!(account = %self.account, "answer without echo ignored");
            return;
        };
        match self.pending_lock().remove(&echo) {
            Some(waiter) => {
                let _ = waiter.send(response);
            }
            None => debug!(account = %self.account, %echo, "answer to no pending action"),
        }
    }

    /// Fails every call still waiting (their senders are dropped).
    fn fail_pending(&self) {
        self.pending_lock().clear();
    }

    fn pending_lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<ActionResponse>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the WebSocket endpoint needs.
#[derive(Clone)]
pub struct WsState {
    pub bridges: Arc<Bridges>,
    pub store: Store,
    pub intake: Intake,
    pub access_token: Secret,
    pub shutdown: CancellationToken,
    /// The largest WebSocket message a bridge may send (`http.max_body_bytes`).
    pub max_message: usize,
}

pub fn routes(state: WsState) -> Router {
    Router::new()
        .route("/onebot/v11/ws", get(upgrade))
        // Some bridges append a slash or connect to the root of the configured path.
        .route("/onebot/v11/ws/", get(upgrade))
        .with_state(state)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Universal,
    Event,
    Api,
}

impl Role {
    fn parse(header: Option<&str>) -> Option<Role> {
        match header.map(|h| h.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("universal") => Some(Role::Universal),
            Some("event") => Some(Role::Event),
            Some("api") => Some(Role::Api),
            Some(_) => None,
        }
    }
}

/// Checks `Authorization: Bearer <token>` (go-cqhttp and its forks write `Token <token>`) in
/// constant time. No token configured: everyone is let in.
pub fn check_token(expected: &Secret, headers: &HeaderMap) -> Result<(), StatusCode> {
    if expected.is_empty() {
        return Ok(());
    }
    let Some(given) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    let token = given
        .split_once(' ')
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")
        })
        .map(|(_, t)| t.trim())
        .ok_or(StatusCode::UNAUTHORIZED)?;
    if bool::from(token.as_bytes().ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

async fn upgrade(
    State(state): State<WsState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(status) = check_token(&state.access_token, &headers) {
        // Counted and logged once a minute by crate::limits, not once per attempt.
        debug!(%status, "OneBot bridge refused: bad or missing access token");
        return status.into_response();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(account) = header("x-self-id").map(str::trim).filter(|s| !s.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "X-Self-ID is required").into_response();
    };
    let Some(role) = Role::parse(header("x-client-role")) else {
        return (
            StatusCode::BAD_REQUEST,
            "X-Client-Role must be Universal, Event or API",
        )
            .into_response();
    };
    let account = account.to_string();
    // A OneBot event is a few kilobytes; a frame or message over this closes the socket (with
    // a log line saying why) instead of being held in memory.
    let max = state.max_message;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, state, account, role))
}

async fn serve(socket: WebSocket, state: WsState, account: String, role: Role) {
    let (mut sink, mut stream) = socket.split();
    let (frames, mut outgoing) = mpsc::channel::<Message>(256);
    let writer = tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            let closing = matches!(frame, Message::Close(_));
            if sink.send(frame).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let conn = Arc::new(Connection {
        id: state.bridges.next_id.fetch_add(1, Ordering::Relaxed),
        account: account.clone(),
        frames: frames.clone(),
        pending: Mutex::new(HashMap::new()),
        next_echo: AtomicU64::new(0),
    });
    if role != Role::Event {
        state.bridges.register(conn.clone());
        // Replies queued while the bridge was away need not sit out their retry backoff.
        match state
            .store
            .outbox_resume_account(super::PLATFORM, &account, now_millis())
            .await
        {
            Ok(0) => {}
            Ok(n) => info!(%account, rows = n, "queued replies resumed"),
            Err(e) => warn!(%account, error = %e, "could not resume queued replies"),
        }
    }
    info!(%account, ?role, "OneBot bridge connected");

    let mut open = true;
    while open {
        let first = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => break,
            frame = stream.next() => frame,
        };
        let first = match first {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                socket_ended(&account, &e, state.max_message);
                break;
            }
            None => break,
        };
        let mut events = Vec::new();
        let mut unread = Vec::new();
        open = read_frame(first, &conn, &mut events, &mut unread);
        // Take what is already waiting, so a burst is committed in one transaction.
        while open && events.len() < BATCH_MAX {
            match stream.next().now_or_never() {
                Some(Some(Ok(frame))) => {
                    open = read_frame(frame, &conn, &mut events, &mut unread);
                }
                // An error behind frames already waiting (an oversized message right after an
                // event) ends the socket the same way, and is told and counted the same way.
                Some(Some(Err(e))) => {
                    socket_ended(&account, &e, state.max_message);
                    open = false;
                }
                Some(None) => open = false,
                None => break,
            }
        }
        if !unread.is_empty() {
            keep(&state, &unread).await;
        }
        if !events.is_empty() {
            store(&state, events).await;
        }
    }

    state.bridges.unregister(&conn);
    conn.fail_pending();
    let _ = frames.send(Message::Close(None)).await;
    drop(frames);
    let _ = writer.await;
    info!(%account, "OneBot bridge disconnected");
}

/// Tells why a bridge's socket ended with an error: a dropped connection at debug level, a
/// refused frame (over `max_message` bytes, or unreadable) counted in the tally of refusals.
fn socket_ended(account: &str, e: &axum::Error, max_message: usize) {
    match socket_end(e) {
        SocketEnd::Dropped => {
            debug!(%account, error = %e, "OneBot bridge went away without closing");
        }
        SocketEnd::Refused => {
            debug!(%account, error = %e, "OneBot connection closed: unreadable or oversized frame");
            crate::limits::OVERSIZED_FRAMES.note(format_args!(
                "OneBot account {}: {e} (limit {max_message} bytes)",
                account.chars().take(32).collect::<String>(),
            ));
        }
    }
}

/// Why a bridge's socket ended with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocketEnd {
    /// The bridge (or the network) dropped the connection: a restart, a reset, a closed
    /// laptop lid. Normal life, not a refusal.
    Dropped,
    /// gridline closed it: a message over the limit or a frame it cannot read.
    Refused,
}

/// Tells a dropped connection from a refused frame, so that only refusals are counted in the
/// "oversized or unreadable" tally. The error must be the `tungstenite` version axum uses (the
/// integration test `onebot_bridge_gone_without_closing_is_not_counted_as_refused` fails
/// when they part).
fn socket_end(e: &axum::Error) -> SocketEnd {
    use tungstenite::error::{Error as WsError, ProtocolError};
    let inner = std::error::Error::source(e).and_then(|s| s.downcast_ref::<WsError>());
    match inner {
        Some(
            WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Io(_)
            | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
        ) => SocketEnd::Dropped,
        _ => SocketEnd::Refused,
    }
}

/// Handles one frame; returns false when the bridge closed the socket. Events that cannot be
/// read go to `unread`, to be kept as received.
fn read_frame(
    frame: Message,
    conn: &Connection,
    events: &mut Vec<InboundEvent>,
    unread: &mut Vec<Unread>,
) -> bool {
    let value: Value = match &frame {
        Message::Text(t) => match serde_json::from_str(t.as_str()) {
            Ok(v) => v,
            Err(e) => {
                unread.push(super::unread(
                    &conn.account,
                    t.as_str(),
                    format!("not JSON: {e}"),
                ));
                return true;
            }
        },
        Message::Binary(b) => match serde_json::from_slice(b) {
            Ok(v) => v,
            Err(e) => {
                let raw = String::from_utf8_lossy(b);
                unread.push(super::unread(&conn.account, &raw, format!("not JSON: {e}")));
                return true;
            }
        },
        Message::Close(_) => return false,
        Message::Ping(_) | Message::Pong(_) => return true,
    };
    if value.get("post_type").is_some() {
        match event::parse(&value, Some(&conn.account), now_millis()) {
            Ok(Parsed::Inbound(ev)) => events.push(*ev),
            Ok(Parsed::Ignored(why)) => debug!(account = %conn.account, why, "event ignored"),
            Err(e) => unread.push(super::unread(
                &conn.account,
                &value.to_string(),
                e.to_string(),
            )),
        }
    } else if value.get("echo").is_some() || value.get("retcode").is_some() {
        match serde_json::from_value::<ActionResponse>(value) {
            Ok(response) => conn.answer(response),
            Err(e) => warn!(account = %conn.account, error = %e, "malformed action answer"),
        }
    } else {
        debug!(account = %conn.account, "frame that is neither event nor answer ignored");
    }
    true
}

/// Keeps events that could not be read, retrying while the database is unavailable (nothing
/// else is read from the socket meanwhile); each is logged once, when first stored.
async fn keep(state: &WsState, rows: &[Unread]) {
    let mut wait = Duration::from_millis(100);
    loop {
        match state.store.keep_unread(rows, now_millis()).await {
            Ok(new) => {
                for (row, _) in rows.iter().zip(new).filter(|(_, n)| *n) {
                    warn!(account = %row.account, reason = %row.reason, key = %row.key, "OneBot event not understood; kept as received");
                }
                return;
            }
            Err(e) => {
                warn!(error = %e, retry_in = ?wait, "unreadable OneBot events not stored yet");
                tokio::select! {
                    () = state.shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Submits events, retrying while the database is unavailable: nothing else is read from this
/// socket meanwhile, so the order holds and the bridge is slowed instead of events dropped.
async fn store(state: &WsState, events: Vec<InboundEvent>) {
    let mut wait = Duration::from_millis(100);
    loop {
        match state.intake.submit(events.clone(), None).await {
            Ok(stored) => {
                debug!(
                    new = stored.new,
                    duplicates = stored.duplicates,
                    "OneBot events stored"
                );
                return;
            }
            Err(IntakeError::ShuttingDown) => {
                warn!(
                    events = events.len(),
                    "gridline stopping; OneBot events not stored"
                );
                return;
            }
            Err(e @ IntakeError::Unavailable(_)) => {
                warn!(error = %e, retry_in = ?wait, "OneBot events not stored yet");
                tokio::select! {
                    () = state.shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert("authorization", HeaderValue::from_str(a).expect("header"));
        }
        h
    }

    #[test]
    fn tokens_are_checked() {
        let token = Secret::new("s3cret-token");
        assert_eq!(
            check_token(&token, &headers(Some("Bearer s3cret-token"))),
            Ok(())
        );
        assert_eq!(
            check_token(&token, &headers(Some("Token s3cret-token"))),
            Ok(())
        );
        assert_eq!(
            check_token(&token, &headers(Some("Bearer s3cret-tokeN"))),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            check_token(&token, &headers(Some("s3cret-token"))),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            check_token(&token, &headers(None)),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(check_token(&Secret::default(), &headers(None)), Ok(()));
    }

    #[test]
    fn roles() {
        assert_eq!(Role::parse(None), Some(Role::Universal));
        assert_eq!(Role::parse(Some("Universal")), Some(Role::Universal));
        assert_eq!(Role::parse(Some("API")), Some(Role::Api));
        assert_eq!(Role::parse(Some("Event")), Some(Role::Event));
        assert_eq!(Role::parse(Some("Bot")), None);
    }
}
