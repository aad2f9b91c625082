//! Limits on untrusted input, and log lines that a flood cannot multiply.
//!
//! Anything that reaches gridline from outside is bounded before it is held in memory, stored
//! or parsed:
//!
//! - every HTTP request body (sandbox API, Telegram webhook, OneBot HTTP events, console
//!   forms) and every WebSocket message (OneBot reverse WebSocket) is limited to
//!   `http.max_body_bytes`: a larger body is refused with 413 before it is read (when it
//!   declares its length) or as soon as it passes the limit (when it does not), a larger
//!   WebSocket message closes that socket;
//! - message texts are cut to `intake.max_text_chars` before they are stored or parsed (see
//!   [`crate::domain::message::InboundEvent::cap`]); a cut text ends in `…`, is never read as a
//!   request, and an explicit report that long is told to shorten it.
//!
//! A refusal is logged through a [`Tally`]: the first one at once, then at most one line per
//! [`LOG_INTERVAL`] with the number refused since, so a flood of bad requests writes a few
//! lines, not one per request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// At most one log line per this interval for each kind of refusal.
pub const LOG_INTERVAL: Duration = Duration::from_secs(60);

/// A kind of refusal, counted and logged at most once per [`LOG_INTERVAL`].
pub struct Tally {
    /// What is refused, as the log line says it ("unauthenticated requests refused").
    what: &'static str,
    state: Mutex<TallyState>,
}

struct TallyState {
    /// Refusals since the last line.
    pending: u64,
    /// Refusals since the start.
    total: u64,
    /// The last refusal's detail (which endpoint, why), for the next line.
    detail: String,
    last_line: Option<Instant>,
}

/// What a [`Tally`] says when it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Refusals this line reports (the one that triggered it included).
    pub count: u64,
    /// The latest refusal's detail.
    pub detail: String,
}

impl Tally {
    pub const fn new(what: &'static str) -> Tally {
        Tally {
            what,
            state: Mutex::new(TallyState {
                pending: 0,
                total: 0,
                detail: String::new(),
                last_line: None,
            }),
        }
    }

    /// Refusals counted since the process started.
    pub fn total(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Counts one refusal and logs a line when none was logged in the last interval.
    pub fn note(&self, detail: impl std::fmt::Display) {
        if let Some(line) = self.note_at(Instant::now(), detail) {
            self.log(&line);
        }
    }

    /// Logs what was counted since the last line, if anything (the app calls this every
    /// interval, so a flood that stopped is still reported).
    pub fn flush(&self) {
        if let Some(line) = self.flush_at(Instant::now()) {
            self.log(&line);
        }
    }

    fn log(&self, line: &Line) {
        tracing::warn!(
            count = line.count,
            last = %line.detail,
            interval_s = LOG_INTERVAL.as_secs(),
            "{} (counted, one line per interval at most)",
            self.what
        );
    }

    /// [`note`](Self::note) at a given instant; returns the line to log, if one is due.
    pub fn note_at(&self, now: Instant, detail: impl std::fmt::Display) -> Option<Line> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.pending += 1;
        s.total += 1;
        if s.last_line
            .is_some_and(|t| now.duration_since(t) < LOG_INTERVAL)
        {
            // Only the latest detail is kept: its length is bounded by what callers pass.
            s.detail.clear();
            s.detail.push_str(&detail.to_string());
            return None;
        }
        s.last_line = Some(now);
        let count = std::mem::take(&mut s.pending);
        s.detail.clear();
        Some(Line {
            count,
            detail: detail.to_string(),
        })
    }

    /// [`flush`](Self::flush) at a given instant.
    pub fn flush_at(&self, now: Instant) -> Option<Line> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.pending == 0
            || s.last_line
                .is_some_and(|t| now.duration_since(t) < LOG_INTERVAL)
        {
            return None;
        }
        s.last_line = Some(now);
        Some(Line {
            count: std::mem::take(&mut s.pending),
            detail: std::mem::take(&mut s.detail),
        })
    }
}

/// Requests refused for a missing or wrong token, signature, session or CSRF token
/// (401/403 on any endpoint).
pub static UNAUTHENTICATED: Tally = Tally::new("unauthenticated requests refused");
/// Request bodies over `http.max_body_bytes` (413).
pub static OVERSIZED_BODIES: Tally =
    Tally::new("request bodies over http.max_body_bytes refused (413)");
/// WebSocket messages over `http.max_body_bytes`, or unreadable frames (the socket is closed).
pub static OVERSIZED_FRAMES: Tally =
    Tally::new("WebSocket connections closed: message over http.max_body_bytes or unreadable");
/// Message texts cut to `intake.max_text_chars` before they were stored.
pub static CUT_TEXTS: Tally =
    Tally::new("message texts over intake.max_text_chars cut before they were stored");

/// Logs whatever every tally counted since its last line (called once per interval).
pub fn flush_all() {
    for t in [
        &UNAUTHENTICATED,
        &OVERSIZED_BODIES,
        &OVERSIZED_FRAMES,
        &CUT_TEXTS,
    ] {
        t.flush();
    }
}

/// The first segment of a request's path ("onebot", "telegram", "api", "console"): which
/// endpoint a refusal came from, short and bounded, never the whole (attacker-chosen) path.
fn endpoint(path: &str) -> String {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect()
}

/// Middleware in front of every route: refuses a body that declares a length over `max`
/// before reading it, and counts refusals (413 from a body that grew past the limit while it
/// was read; 401/403 from any endpoint's authentication) in the tallies.
pub async fn guard(max: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let path = endpoint(req.uri().path());
    if declared.is_some_and(|n| n > max as u64) {
        OVERSIZED_BODIES.note(format_args!(
            "/{path}: {} bytes declared",
            declared.unwrap_or_default()
        ));
        return too_large(max);
    }
    let response = next.run(req).await;
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            OVERSIZED_BODIES.note(format_args!("/{path}"));
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            UNAUTHENTICATED.note(format_args!("/{path}: {}", response.status().as_u16()));
        }
        _ => {}
    }
    response
}

fn too_large(max: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONNECTION, "close")],
        format!("request body over {max} bytes (http.max_body_bytes)\n"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_makes_one_line_per_interval_with_its_count() {
        let t = Tally::new("test refusals");
        let start = Instant::now();
        // The first refusal is logged at once.
        let first = t.note_at(start, "a").expect("first line");
        assert_eq!(first.count, 1);
        assert_eq!(first.detail, "a");
        // 10,000 more within the interval: silent.
        for i in 0..10_000u64 {
            let at = start + Duration::from_millis(i * 5);
            assert_eq!(t.note_at(at, i), None);
        }
        // A flush inside the interval says nothing either.
        assert_eq!(t.flush_at(start + Duration::from_secs(59)), None);
        // After the interval, one line with the count and the latest detail.
        let flushed = t.flush_at(start + LOG_INTERVAL).expect("a line");
        assert_eq!(flushed.count, 10_000);
        assert_eq!(flushed.detail, "9999");
        // Nothing new: nothing to say.
        assert_eq!(t.flush_at(start + LOG_INTERVAL * 3), None);
        // A refusal after a quiet interval is logged at once again, counting only itself.
        let again = t
            .note_at(start + LOG_INTERVAL * 3, "b")
            .expect("a new line");
        assert_eq!(again.count, 1);
        // Within the interval after it, the next refusal waits for the flush.
        assert_eq!(
            t.note_at(start + LOG_INTERVAL * 3 + Duration::from_secs(1), "c"),
            None
        );
        let next = t.note_at(start + LOG_INTERVAL * 4, "d").expect("line");
        assert_eq!(next.count, 2);
        assert_eq!(next.detail, "d");
    }

    #[test]
    fn the_endpoint_is_the_first_path_segment_and_bounded() {
        assert_eq!(endpoint("/onebot/v11/events"), "onebot");
        assert_eq!(endpoint("/"), "");
        assert_eq!(endpoint(&format!("/{}", "x".repeat(10_000))).len(), 32);
    }
}
