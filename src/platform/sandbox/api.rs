//! The sandbox's HTTP surface: the page, the JSON API and the live event stream.
//!
//! Every handler answers a bad request with a 4xx and a JSON body `{"error": code, "message":
//! what is wrong}`, built in one place ([`ApiError`]). A person's message is answered only after
//! the inbox committed it; if it could not be stored the answer is 503 and nothing is kept.

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::roster::{Persona, Roster};
use super::{ACCOUNT, Hub, Live, MAX_TEXT_CHARS, PLATFORM};
use crate::i18n::Texts;
use crate::intake::{Intake, IntakeError};
use crate::platform::{Button, ChatKind, ChatRef, EventKind, InboundEvent, Sender};
use crate::store::sandbox::{BOT, GroupTicket, NewSandboxMessage, SandboxMessage, SandboxPress};
use crate::store::{Store, StoreError, now_millis};

/// How many messages one GET returns at most.
const MAX_PAGE: i64 = 1_000;
/// How many messages one GET returns when the request does not say.
const DEFAULT_PAGE: i64 = 200;
/// How often a live stream looks at the database even when nothing here woke it (another
/// replica may have written to the group).
const STREAM_POLL: Duration = Duration::from_secs(2);

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct SandboxState {
    pub store: Store,
    pub intake: Intake,
    pub hub: Hub,
    pub shutdown: CancellationToken,
    /// SHA-1 of `sandbox.token`, when one is set. Comparing digests in constant time hides
    /// both the token and its length.
    pub token_digest: Option<[u8; 20]>,
    /// The page, built once at mount.
    pub page: axum::body::Bytes,
    /// Labels in the configured language (general.language).
    pub texts: Texts,
}

/// The sandbox's routes, with the token check in front of all of them.
pub(crate) fn routes(state: SandboxState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/sandbox/roster", get(roster))
        .route(
            "/api/sandbox/groups/{group_id}/messages",
            get(list_messages).post(post_message),
        )
        .route("/api/sandbox/groups/{group_id}/buttons", post(press_button))
        .route("/api/sandbox/groups/{group_id}/tickets", get(list_tickets))
        .route("/api/sandbox/groups/{group_id}/events", get(live_events))
        .route(
            "/api/sandbox/private/{persona}/messages",
            get(private_messages).post(private_post),
        )
        .route(
            "/api/sandbox/private/{persona}/buttons",
            post(private_press),
        )
        .route("/api/sandbox/private/{persona}/events", get(private_events))
        .route(
            "/api/sandbox/{*rest}",
            get(no_such_endpoint).post(no_such_endpoint),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

/// A refusal, as JSON.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        warn!(error = %e, "sandbox request failed in the database");
        match e {
            StoreError::Corrupt(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("stored data could not be read: {e}"),
            ),
            _ => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!("the database did not answer: {e}"),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            message: &'a str,
        }
        let body = Json(Body {
            error: self.code,
            message: &self.message,
        });
        (self.status, body).into_response()
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Lets a request through when no token is configured, or when it carries the token as
/// `Authorization: Bearer …` or `?token=…` (the page and its event stream, which cannot set
/// headers).
async fn require_token(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.token_digest else {
        return next.run(req).await;
    };
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let from_query = Query::<TokenQuery>::try_from_uri(req.uri())
        .ok()
        .and_then(|q| q.0.token);
    let presented = from_header.or(from_query);
    let ok = presented.is_some_and(|t| {
        let digest: [u8; 20] = Sha1::digest(t.as_bytes()).into();
        bool::from(digest.ct_eq(&expected))
    });
    if ok {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this sandbox needs its token: send `Authorization: Bearer TOKEN` or add ?token=TOKEN",
        )
        .into_response()
    }
}

async fn page(State(state): State<SandboxState>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(state.page.clone()),
    )
        .into_response()
}

async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("no_such_endpoint", "no such sandbox API endpoint")
}

impl SandboxState {
    async fn roster(&self) -> Result<Roster, ApiError> {
        let groups = self.store.sandbox_groups().await?;
        let grants = self.store.sandbox_persona_grants().await?;
        Ok(Roster::build(groups, grants, &self.texts))
    }
}

/// A sandbox chat as a request names it: a group, or a persona's private thread with the bot.
enum Where {
    Group(String),
    Private(String),
}

impl Where {
    /// The chat id the engine and the history use.
    fn chat_id(&self) -> String {
        match self {
            Where::Group(id) => id.clone(),
            Where::Private(persona) => format!("{}{persona}", super::PRIVATE_PREFIX),
        }
    }

    /// The chat, checked to exist.
    fn chat(&self, roster: &Roster, texts: &Texts) -> Result<ChatRef, ApiError> {
        match self {
            Where::Group(id) => {
                let group = find_group(roster, id)?;
                Ok(ChatRef {
                    id: id.clone(),
                    kind: ChatKind::Group,
                    title: Some(group.title.clone()),
                    thread: None,
                })
            }
            Where::Private(persona) => {
                roster.persona(persona).ok_or_else(|| {
                    ApiError::not_found(
                        "unknown_persona",
                        format!("there is no persona `{persona}` (see GET /api/sandbox/roster)"),
                    )
                })?;
                Ok(ChatRef {
                    id: self.chat_id(),
                    kind: ChatKind::Private,
                    title: Some(texts.sandbox_private_title().to_string()),
                    thread: None,
                })
            }
        }
    }

    /// The persona `from`, checked to be in the chat: a member of the group, or the owner of
    /// the private thread.
    fn speaker<'a>(&self, roster: &'a Roster, from: &str) -> Result<&'a Persona, ApiError> {
        match self {
            Where::Group(id) => find_member(roster, id, from),
            Where::Private(persona) => {
                let p = roster.persona(from).ok_or_else(|| {
                    ApiError::bad(
                        "unknown_persona",
                        format!("there is no persona `{from}` (see GET /api/sandbox/roster)"),
                    )
                })?;
                if p.id != *persona {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "not_in_group",
                        format!("only `{persona}` writes in their private chat with the bot"),
                    ));
                }
                Ok(p)
            }
        }
    }
}

/// The roster, checked for a group (and a persona in it).
fn find_group<'a>(
    roster: &'a Roster,
    group_id: &str,
) -> Result<&'a super::roster::GroupView, ApiError> {
    roster.group(group_id).ok_or_else(|| {
        ApiError::not_found(
            "unknown_group",
            format!("there is no sandbox group `{group_id}`"),
        )
    })
}

fn find_member<'a>(
    roster: &'a Roster,
    group_id: &str,
    persona: &str,
) -> Result<&'a Persona, ApiError> {
    let p = roster.persona(persona).ok_or_else(|| {
        ApiError::bad(
            "unknown_persona",
            format!("there is no persona `{persona}` (see GET /api/sandbox/roster)"),
        )
    })?;
    if !p.is_in(group_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_in_group",
            format!(
                "persona `{persona}` ({}) is not in group `{group_id}`",
                p.name
            ),
        ));
    }
    Ok(p)
}

async fn roster(State(state): State<SandboxState>) -> Result<Json<Roster>, ApiError> {
    Ok(Json(state.roster().await?))
}

/// A message as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct MessageView {
    id: i64,
    /// Persona id, or "bot".
    from: String,
    name: String,
    text: String,
    reply_to: Option<i64>,
    buttons: Vec<Button>,
    /// Unix milliseconds.
    time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    edited: Option<i64>,
    /// An attached photo, as a data URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    photo: Option<String>,
}

impl From<SandboxMessage> for MessageView {
    fn from(m: SandboxMessage) -> Self {
        let name = if m.from == BOT {
            "gridline".to_string()
        } else {
            m.name
        };
        MessageView {
            id: m.id,
            from: m.from,
            name,
            text: m.text,
            reply_to: m.reply_to,
            buttons: m.buttons,
            time: m.at,
            edited: m.edited_at,
            photo: m.photo,
        }
    }
}

/// A message id given as a number or as a string of digits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MessageId {
    Number(i64),
    Text(String),
}

impl MessageId {
    fn get(&self, field: &str) -> Result<i64, ApiError> {
        match self {
            MessageId::Number(n) => Ok(*n),
            MessageId::Text(t) => t.trim().parse().map_err(|_| {
                ApiError::bad(
                    "bad_message_id",
                    format!("`{field}` must be a message id, not `{t}`"),
                )
            }),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    after: Option<String>,
    limit: Option<String>,
}

fn parse_number(field: &str, value: &str) -> Result<i64, ApiError> {
    value.trim().parse::<i64>().map_err(|_| {
        ApiError::bad(
            "bad_query",
            format!("`{field}` must be a whole number, not `{value}`"),
        )
    })
}

/// The position after which to list: that of message `after` in `group_id`; 0 lists from the
/// start.
async fn seq_after(store: &Store, group_id: &str, after: i64) -> Result<i64, ApiError> {
    if after <= 0 {
        return Ok(0);
    }
    match store.sandbox_message(after).await? {
        Some(m) if m.group_id == group_id => Ok(m.seq),
        _ => Err(ApiError::not_found(
            "unknown_message",
            format!("message {after} is not in group `{group_id}`"),
        )),
    }
}

async fn list_messages(
    State(state): State<SandboxState>,
    Path(group_id): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    list_in(state, Where::Group(group_id), query).await
}

async fn private_messages(
    State(state): State<SandboxState>,
    Path(persona): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    list_in(state, Where::Private(persona), query).await
}

async fn list_in(
    state: SandboxState,
    place: Where,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad("bad_query", e.body_text()))?;
    let roster = state.roster().await?;
    place.chat(&roster, &state.texts)?;
    let group_id = place.chat_id();
    let limit = match &query.limit {
        Some(l) => parse_number("limit", l)?.clamp(1, MAX_PAGE),
        None => DEFAULT_PAGE,
    };
    let after_seq = match &query.after {
        Some(a) => Some(seq_after(&state.store, &group_id, parse_number("after", a)?).await?),
        None => None,
    };
    let messages = state
        .store
        .sandbox_messages(&group_id, after_seq, limit)
        .await?;
    Ok(Json(messages.into_iter().map(MessageView::from).collect()))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "malformed_json",
            format!("the request body is not the expected JSON: {e}"),
        )
    })
}

#[derive(Debug, Deserialize)]
struct PostMessage {
    from: String,
    text: String,
    #[serde(default)]
    reply_to: Option<MessageId>,
    /// A photo sent with the message (the text is then its caption and may be empty), as a
    /// data URL: `data:image/jpeg;base64,…`. The request body limit bounds its size.
    #[serde(default)]
    photo: Option<String>,
}

#[derive(Debug, Serialize)]
struct Posted {
    message_id: i64,
}

async fn post_message(
    State(state): State<SandboxState>,
    Path(group_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Posted>, ApiError> {
    post_in(state, Where::Group(group_id), body).await
}

async fn private_post(
    State(state): State<SandboxState>,
    Path(persona): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Posted>, ApiError> {
    post_in(state, Where::Private(persona), body).await
}

async fn post_in(
    state: SandboxState,
    place: Where,
    body: axum::body::Bytes,
) -> Result<Json<Posted>, ApiError> {
    let req: PostMessage = parse_json(&body)?;
    let roster = state.roster().await?;
    let chat = place.chat(&roster, &state.texts)?;
    let persona = place.speaker(&roster, &req.from)?;
    let group_id = chat.id.clone();
    let text = req.text.trim();
    let photo = match req.photo.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) if is_image_data_url(p) => Some(p),
        Some(_) => {
            return Err(ApiError::bad(
                "bad_photo",
                "`photo` must be a data URL of an image: data:image/jpeg;base64,…",
            ));
        }
    };
    if text.is_empty() && photo.is_none() {
        return Err(ApiError::bad("empty_text", "`text` is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text_too_long",
            format!(
                "`text` has {chars} characters; the most one message may have is {MAX_TEXT_CHARS}"
            ),
        ));
    }
    let reply_to = match &req.reply_to {
        Some(r) => {
            let id = r.get("reply_to")?;
            match state.store.sandbox_message(id).await? {
                Some(m) if m.group_id == group_id => Some(id),
                _ => {
                    return Err(ApiError::bad(
                        "unknown_reply_to",
                        format!("`reply_to`: message {id} is not in group `{group_id}`"),
                    ));
                }
            }
        }
        None => None,
    };
    let mentions: Vec<String> = roster
        .members(&group_id)
        .filter(|p| p.id != persona.id && text.contains(&format!("@{}", p.name)))
        .map(|p| p.id.clone())
        .collect();

    let id = state.store.sandbox_next_id().await?;
    let at = now_millis();
    let event = InboundEvent {
        platform: PLATFORM.to_string(),
        account: ACCOUNT.to_string(),
        event_id: id.to_string(),
        chat,
        sender: Sender {
            id: persona.id.clone(),
            name: persona.name.clone(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: id.to_string(),
            text: text.to_string(),
            reply_to: reply_to.map(|r| r.to_string()),
            mentions,
            photos: photo
                .map(|_| vec![format!("{PLATFORM}:{id}")])
                .unwrap_or_default(),
        },
        at,
    };
    // Held until the history has the message, so that no answer to it is written first.
    let _ordered = state.hub.lock_group(&group_id).await;
    submit(&state.intake, event).await?;
    let message = NewSandboxMessage {
        id,
        group_id: &group_id,
        from: &persona.id,
        name: &persona.name,
        text,
        reply_to,
        buttons: &[],
        at,
        photo,
    };
    // The inbox has the message now; the history must get it too. A second try covers a
    // passing hiccup; after that the next start repairs the history from the inbox.
    let appended = match state.store.sandbox_append(&message).await {
        Ok(m) => m,
        Err(first) => {
            debug!(error = %first, id, "sandbox history append failed; trying once more");
            state.store.sandbox_append(&message).await?
        }
    };
    state.hub.appended(&appended.group_id);
    Ok(Json(Posted { message_id: id }))
}

/// `data:image/png;base64,iVBOR…`: an image, base64-encoded, nothing else.
fn is_image_data_url(s: &str) -> bool {
    let Some((head, data)) = s.split_once(',') else {
        return false;
    };
    head.starts_with("data:image/")
        && head.ends_with(";base64")
        && !data.is_empty()
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

async fn submit(intake: &Intake, event: InboundEvent) -> Result<(), ApiError> {
    intake
        .submit(vec![event], None)
        .await
        .map(|_| ())
        .map_err(|e| {
            let code = match e {
                IntakeError::ShuttingDown => "shutting_down",
                IntakeError::Unavailable(_) => "intake_unavailable",
            };
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                code,
                format!("the message was not accepted and nothing was kept: {e}"),
            )
        })
}

#[derive(Debug, Deserialize)]
struct PressButton {
    from: String,
    message_id: MessageId,
    button: String,
}

#[derive(Debug, Serialize)]
struct Pressed {
    press_id: i64,
}

async fn press_button(
    State(state): State<SandboxState>,
    Path(group_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Pressed>, ApiError> {
    press_in(state, Where::Group(group_id), body).await
}

async fn private_press(
    State(state): State<SandboxState>,
    Path(persona): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Pressed>, ApiError> {
    press_in(state, Where::Private(persona), body).await
}

async fn press_in(
    state: SandboxState,
    place: Where,
    body: axum::body::Bytes,
) -> Result<Json<Pressed>, ApiError> {
    let req: PressButton = parse_json(&body)?;
    let roster = state.roster().await?;
    let chat = place.chat(&roster, &state.texts)?;
    let persona = place.speaker(&roster, &req.from)?;
    let group_id = chat.id.clone();
    let message_id = req.message_id.get("message_id")?;
    let message = match state.store.sandbox_message(message_id).await? {
        Some(m) if m.group_id == group_id => m,
        _ => {
            return Err(ApiError::not_found(
                "unknown_message",
                format!("message {message_id} is not in group `{group_id}`"),
            ));
        }
    };
    if !message.buttons.iter().any(|b| b.id == req.button) {
        return Err(ApiError::bad(
            "unknown_button",
            format!("message {message_id} has no button `{}`", req.button),
        ));
    }
    let id = state.store.sandbox_next_id().await?;
    let at = now_millis();
    let event = InboundEvent {
        platform: PLATFORM.to_string(),
        account: ACCOUNT.to_string(),
        event_id: id.to_string(),
        chat,
        sender: Sender {
            id: persona.id.clone(),
            name: persona.name.clone(),
            username: None,
        },
        kind: EventKind::Button {
            message_id: message_id.to_string(),
            button: req.button.clone(),
            callback_id: Some(id.to_string()),
        },
        at,
    };
    submit(&state.intake, event).await?;
    let press = SandboxPress {
        id,
        group_id: group_id.clone(),
        persona: persona.id.clone(),
        message_id,
        button: req.button,
        at,
    };
    // Losing this row only loses the toast answering the press; the press itself is stored.
    if let Err(e) = state.store.sandbox_record_press(&press).await {
        warn!(error = %e, id, "could not record a sandbox button press");
    }
    Ok(Json(Pressed { press_id: id }))
}

/// A ticket as the side panel shows it.
#[derive(Debug, Serialize)]
struct TicketView {
    id: i64,
    /// The number shown in the group (`#12`).
    no: i64,
    /// `withdrawn` for a ticket its reporter withdrew, else the stored state.
    state: String,
    state_label: String,
    category: String,
    category_label: String,
    urgency: String,
    location: Option<String>,
    body: String,
    reporter: String,
    assignee: Option<String>,
    assignee_name: Option<String>,
    created: i64,
    claim_due: i64,
    resolve_due: i64,
    rating: Option<String>,
    rating_label: Option<String>,
    /// Every rating (the reporter's and each co-reporter's).
    ratings: i64,
    photos: i64,
    /// Photos from staff as evidence of the work (办结凭证).
    evidence: i64,
    co_reporters: Vec<String>,
}

impl TicketView {
    /// Labels come from i18n; a stored id gridline does not know is shown as it is.
    fn new(t: GroupTicket, texts: &Texts) -> Self {
        let state_label = if t.withdrawn {
            texts.withdrawn().to_string()
        } else {
            t.state
                .parse::<crate::domain::TicketState>()
                .map(|s| texts.state_done(s).to_string())
                .unwrap_or_else(|_| t.state.clone())
        };
        // A withdrawn ticket is stored as dismissed; the page tells the two apart.
        let state = if t.withdrawn {
            "withdrawn".to_string()
        } else {
            t.state
        };
        let category_label = t
            .category
            .parse::<crate::domain::Category>()
            .map(|c| texts.category(c).to_string())
            .unwrap_or_else(|_| t.category.clone());
        let rating_label = t.rating.as_deref().map(|r| {
            r.parse::<crate::domain::Rating>()
                .map(|r| texts.rating(r).to_string())
                .unwrap_or_else(|_| r.to_string())
        });
        TicketView {
            id: t.id,
            no: t.no,
            state_label,
            state,
            category: t.category,
            category_label,
            urgency: t.urgency,
            location: t.location,
            body: t.body,
            reporter: t.reporter_name,
            assignee: t.assignee,
            assignee_name: t.assignee_name,
            created: t.created_at,
            claim_due: t.claim_due,
            resolve_due: t.resolve_due,
            rating: t.rating,
            rating_label,
            ratings: t.ratings,
            photos: t.photos,
            evidence: t.evidence,
            co_reporters: t.co_reporters,
        }
    }
}

async fn list_tickets(
    State(state): State<SandboxState>,
    Path(group_id): Path<String>,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    let roster = state.roster().await?;
    find_group(&roster, &group_id)?;
    let tickets = state
        .store
        .sandbox_group_tickets(ACCOUNT, &group_id, 200)
        .await?;
    Ok(Json(
        tickets
            .into_iter()
            .map(|t| TicketView::new(t, &state.texts))
            .collect(),
    ))
}

/// Server-sent events for one group: `message` (a new message, with the message id as the
/// event id so that a reconnecting browser resumes after it), `edit` (a changed bot card) and
/// `toast` (the bot's answer to a button press, for the persona who pressed). Ends when
/// gridline shuts down.
async fn live_events(
    State(state): State<SandboxState>,
    Path(group_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    events_in(state, Where::Group(group_id), headers, query).await
}

/// The live stream of a persona's private thread, as [`live_events`] for a group.
async fn private_events(
    State(state): State<SandboxState>,
    Path(persona): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    events_in(state, Where::Private(persona), headers, query).await
}

async fn events_in(
    state: SandboxState,
    place: Where,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad("bad_query", e.body_text()))?;
    let roster = state.roster().await?;
    place.chat(&roster, &state.texts)?;
    let group_id = place.chat_id();
    // Subscribe before reading the position so that nothing appended in between is missed.
    let live = state.hub.subscribe();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query.after);
    let last_seq = match resume {
        Some(a) => seq_after(&state.store, &group_id, parse_number("after", &a)?).await?,
        // No position: only what comes from now on.
        None => state
            .store
            .sandbox_messages(&group_id, None, 1)
            .await?
            .last()
            .map_or(0, |m| m.seq),
    };
    let mut poll = tokio::time::interval(STREAM_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let feed = Feed {
        store: state.store.clone(),
        group_id,
        last_seq,
        live,
        queued: VecDeque::new(),
        shutdown: state.shutdown.clone(),
        poll,
        // Read the backlog (if any) at once.
        dirty: true,
    };
    let events = stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The state of one live stream.
struct Feed {
    store: Store,
    group_id: String,
    last_seq: i64,
    live: broadcast::Receiver<Live>,
    queued: VecDeque<Event>,
    shutdown: CancellationToken,
    poll: tokio::time::Interval,
    dirty: bool,
}

impl Feed {
    /// The next event to send; None ends the stream (shutdown).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if self.shutdown.is_cancelled() {
                return None;
            }
            if let Some(event) = self.queued.pop_front() {
                return Some(event);
            }
            if self.dirty {
                self.dirty = false;
                self.read_new().await;
                continue;
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return None,
                received = self.live.recv() => match received {
                    Ok(Live::Appended { group_id }) => self.dirty = group_id == self.group_id,
                    Ok(Live::Edited(m)) if m.group_id == self.group_id => {
                        self.queued.push_back(json_event("edit", &MessageView::from(m)));
                    }
                    Ok(Live::Toast { group_id, persona, text }) if group_id == self.group_id => {
                        #[derive(Serialize)]
                        struct Toast<'a> { to: &'a str, text: &'a str }
                        self.queued.push_back(json_event("toast", &Toast { to: &persona, text: &text }));
                    }
                    Ok(_) => {}
                    // Missed notices: read from the database, which has everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.dirty = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.poll.tick() => self.dirty = true,
            }
        }
    }

    async fn read_new(&mut self) {
        match self
            .store
            .sandbox_messages(&self.group_id, Some(self.last_seq), MAX_PAGE)
            .await
        {
            Ok(messages) => {
                if messages.len() as i64 == MAX_PAGE {
                    self.dirty = true;
                }
                for m in messages {
                    self.last_seq = m.seq;
                    let id = m.id.to_string();
                    self.queued
                        .push_back(json_event("message", &MessageView::from(m)).id(id));
                }
            }
            // The stream stays open; the next poll tries again.
            Err(e) => debug!(error = %e, "sandbox live stream could not read new messages"),
        }
    }
}

fn json_event<T: Serialize>(name: &str, data: &T) -> Event {
    match serde_json::to_string(data) {
        Ok(json) => Event::default().event(name).data(json),
        Err(e) => Event::default().event("error").data(e.to_string()),
    }
}
