//! Fuzz targets, one per reader of untrusted input, on stable Rust: a seeded corpus
//! (`tests/fuzz-corpus/<target>/`) mutated at random, byte-wise and JSON-aware, for a bounded
//! time per target (`GRIDLINE_FUZZ_SECONDS`, 3 s by default; `GRIDLINE_FUZZ_SEED` repeats a
//! run). Each case must not panic and must come to the documented outcome:
//!
//! - Telegram updates: an event, a skip (only for what is not a person's group message) or a
//!   row kept as received — a group text message from a person is never skipped;
//! - OneBot events: an event, ignored (only what is not a person's message) or an error the
//!   caller keeps as received — a well-formed group message is always an event;
//! - CQ strings: well-formed segments; escaped text reads back as itself;
//! - command text: parsed the same way twice, a confidence in 0..=1, `/report X` always a
//!   report, whatever X is;
//! - sandbox bodies (through the real HTTP API): answered 200 and stored, or refused with a
//!   4xx and nothing stored; never a 5xx.
//!
//! A failing case is written to `target/fuzz-failures/` and named in the panic, so it can be
//! added to the corpus.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use gridline::engine::commands::{self as command, Command, Parsed};
use gridline::platform::EventKind;
use gridline::platform::onebot::{cq, event as onebot_event};
use gridline::platform::telegram::BotIdentity;
use gridline::platform::telegram::raw::{Read, read_update};
use gridline::understand::Parser;
use serde_json::{Value, json};

use crate::support::{Db, spawn_app};

fn budget() -> Duration {
    let secs = std::env::var("GRIDLINE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// Tokens that tend to break readers, spliced into inputs.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "1e400",
    "-0",
    "18446744073709551616",
    "9007199254740993",
    "\"\\ud800\"",
    "\\u0000",
    "[CQ:",
    "]",
    "&#91;",
    "&amp;",
    "&#44;",
    "=",
    "/report",
    "/claim@",
    "接单",
    "报修：",
    "＃",
    "／",
    "\u{200b}",
    "\u{202e}",
    "👨‍👩‍👧",
    "\r\n",
    "\t",
    "",
    "  ",
    "#",
    "42",
    "99999999999999999999999",
];

struct Fuzzer {
    name: &'static str,
    rng: fastrand::Rng,
    corpus: Vec<Vec<u8>>,
    deadline: Instant,
    cases: u64,
}

impl Fuzzer {
    fn new(name: &'static str) -> Fuzzer {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-corpus")
            .join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        let corpus: Vec<Vec<u8>> = files
            .iter()
            .map(|p| std::fs::read(p).expect("corpus file"))
            .collect();
        assert!(!corpus.is_empty(), "empty corpus {}", dir.display());
        let seed = std::env::var("GRIDLINE_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        eprintln!("fuzz {name}: seed {seed}");
        Fuzzer {
            name,
            rng: fastrand::Rng::with_seed(seed),
            corpus,
            deadline: Instant::now() + budget(),
            cases: 0,
        }
    }

    /// The next input: every seed once as it is, then mutants, until the time is up.
    fn next(&mut self) -> Option<Vec<u8>> {
        let n = self.cases as usize;
        if n >= self.corpus.len() && Instant::now() >= self.deadline {
            eprintln!("fuzz {}: {} cases", self.name, self.cases);
            return None;
        }
        self.cases += 1;
        if n < self.corpus.len() {
            return Some(self.corpus[n].clone());
        }
        let base = self.corpus[self.rng.usize(..self.corpus.len())].clone();
        let mut input = if self.rng.bool() {
            self.mutate_json(&base).unwrap_or(base)
        } else {
            base
        };
        for _ in 0..self.rng.usize(1..5) {
            self.mutate_bytes(&mut input);
        }
        Some(input)
    }

    fn mutate_bytes(&mut self, input: &mut Vec<u8>) {
        let len = input.len();
        match self.rng.u8(0..7) {
            0 if len > 0 => {
                let i = self.rng.usize(..len);
                input[i] ^= 1 << self.rng.u8(0..8);
            }
            1 => {
                let i = self.rng.usize(..=len);
                let b = self.rng.u8(..);
                input.insert(i, b);
            }
            2 if len > 0 => {
                let a = self.rng.usize(..len);
                let b = (a + self.rng.usize(1..64)).min(len);
                input.drain(a..b);
            }
            3 if len > 0 => {
                let a = self.rng.usize(..len);
                let b = (a + self.rng.usize(1..64)).min(len);
                let part = input[a..b].to_vec();
                let at = self.rng.usize(..=input.len());
                input.splice(at..at, part);
            }
            4 => {
                let t = TOKENS[self.rng.usize(..TOKENS.len())].as_bytes();
                let at = self.rng.usize(..=len);
                input.splice(at..at, t.iter().copied());
            }
            5 => {
                let other = &self.corpus[self.rng.usize(..self.corpus.len())];
                if !other.is_empty() {
                    let a = self.rng.usize(..other.len());
                    let b = (a + self.rng.usize(1..256)).min(other.len());
                    let at = self.rng.usize(..=len);
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ if len > 0 => {
                // Truncate, as a connection cut mid-body would.
                input.truncate(self.rng.usize(..len));
            }
            _ => {}
        }
    }

    /// Replaces one node of a JSON input with a value of another kind (or removes it, or
    /// nests it deeply), keeping the rest well-formed.
    fn mutate_json(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        let mut v: Value = serde_json::from_slice(input).ok()?;
        let mut paths = Vec::new();
        collect_paths(&v, &mut Vec::new(), &mut paths);
        if paths.is_empty() {
            return None;
        }
        let path = paths[self.rng.usize(..paths.len())].clone();
        let replacement = match self.rng.u8(0..10) {
            0 => Value::Null,
            1 => json!(self.rng.i64(..)),
            2 => json!(-(self.rng.i64(0..10))),
            3 => json!(self.rng.f64() * 1e300),
            4 => json!("x".repeat(self.rng.usize(0..5_000))),
            5 => json!(TOKENS[self.rng.usize(..TOKENS.len())]),
            6 => json!([]),
            7 => json!({}),
            8 => {
                let mut deep = json!(1);
                for _ in 0..self.rng.usize(1..200) {
                    deep = json!([deep]);
                }
                deep
            }
            _ => {
                remove_at(&mut v, &path);
                return serde_json::to_vec(&v).ok();
            }
        };
        if let Some(slot) = pointer_mut(&mut v, &path) {
            *slot = replacement;
        }
        serde_json::to_vec(&v).ok()
    }

    /// Runs `case` on `input`; a panic is recorded with the input and fails the target.
    fn check(&self, input: &[u8], case: impl FnOnce()) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(case)) {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{}-{}", self.name, self.cases));
            let _ = std::fs::write(&file, input);
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "fuzz {}: case {} failed ({why}); input saved to {}",
                self.name,
                self.cases,
                file.display()
            );
        }
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn collect_paths(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                at.push(Step::Key(k.clone()));
                out.push(at.clone());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                at.push(Step::Index(i));
                out.push(at.clone());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer_mut<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            Step::Key(k) => cur.get_mut(k.as_str())?,
            Step::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn remove_at(v: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if let Some(p) = pointer_mut(v, parent) {
        match (p, last) {
            (Value::Object(m), Step::Key(k)) => {
                m.remove(k);
            }
            (Value::Array(a), Step::Index(i)) if *i < a.len() => {
                a.remove(*i);
            }
            _ => {}
        }
    }
}

/// A Telegram group text message from a person, well-formed in the fields gridline reads
/// (a command addressed to another bot, `/report@otherbot`, is not for gridline).
fn person_group_text(v: &Value) -> bool {
    let m = &v["message"];
    let to_another_bot = m["text"].as_str().is_some_and(|t| {
        t.strip_prefix('/').is_some_and(|rest| {
            let word = rest.split(char::is_whitespace).next().unwrap_or_default();
            word.split_once('@')
                .is_some_and(|(_, bot)| !bot.eq_ignore_ascii_case("gridline_bot"))
        })
    });
    v["update_id"].is_i64()
        && m["message_id"].is_i64()
        && m["text"].as_str().is_some_and(|t| !t.trim().is_empty())
        && m["chat"]["id"].is_i64()
        && matches!(m["chat"]["type"].as_str(), Some("group" | "supergroup"))
        && m["from"]["id"].as_i64().is_some_and(|id| id != 999)
        && m["from"]["is_bot"] == json!(false)
        && m["from"]["first_name"].is_string()
        && !to_another_bot
}

#[test]
fn fuzz_telegram_updates() {
    let me = BotIdentity {
        id: 999,
        username: "gridline_bot".into(),
    };
    let mut f = Fuzzer::new("telegram");
    while let Some(input) = f.next() {
        f.check(&input, || {
            // As the webhook and getUpdates read them: JSON, or kept as text when it is not.
            let raw: Value = serde_json::from_slice(&input).unwrap_or_else(|e| {
                Value::String(format!(
                    "{} (not JSON: {e})",
                    String::from_utf8_lossy(&input)
                ))
            });
            match read_update(&me, &raw, 1_717_000_000_000) {
                Read::Event { mut event, .. } => {
                    assert_eq!(event.platform, "telegram");
                    assert!(!event.event_id.is_empty());
                    event.cap(2_000);
                }
                Read::Skip => assert!(
                    !person_group_text(&raw),
                    "a person's group message was skipped: {raw}"
                ),
                Read::Unread(row) => {
                    assert!(!row.reason.is_empty());
                    assert_eq!(row.raw, raw.to_string(), "not kept as received");
                    assert!(
                        !person_group_text(&raw) || !raw["message"]["date"].is_i64(),
                        "a well-formed group message was not read: {raw}"
                    );
                }
            }
        });
    }
}

/// A OneBot group message from a person, well-formed in the fields gridline reads.
fn person_group_message(v: &Value) -> bool {
    let id = |k: &str| onebot_event::id_of(v.get(k));
    v["post_type"] == "message"
        && v["message_type"] == "group"
        && id("group_id").is_some()
        && id("message_id").is_some()
        && id("user_id").is_some_and(|u| Some(u) != id("self_id"))
        && id("self_id").is_some()
        && (v["message"].is_string() || v["message"].is_array())
}

#[test]
fn fuzz_onebot_events() {
    let mut f = Fuzzer::new("onebot");
    while let Some(input) = f.next() {
        f.check(&input, || {
            // Not JSON is kept as received by both endpoints before this reader is reached.
            let Ok(v) = serde_json::from_slice::<Value>(&input) else {
                return;
            };
            match onebot_event::parse(&v, Some("10001"), 1_717_000_000_000) {
                Ok(onebot_event::Parsed::Inbound(mut ev)) => {
                    assert_eq!(ev.platform, "onebot");
                    if let EventKind::Message { .. } = ev.kind {
                        assert!(!ev.chat.id.is_empty());
                        assert!(!ev.sender.id.is_empty());
                    }
                    ev.cap(2_000);
                }
                Ok(onebot_event::Parsed::Ignored(why)) => {
                    assert!(
                        !person_group_message(&v) || why == "own message",
                        "a group message was ignored ({why}): {v}"
                    );
                }
                Err(e) => {
                    assert!(
                        !person_group_message(&v),
                        "a well-formed group message was refused ({e}): {v}"
                    );
                }
            }
        });
    }
}

#[test]
fn fuzz_cq_strings() {
    let mut f = Fuzzer::new("cq");
    while let Some(input) = f.next() {
        let text = String::from_utf8_lossy(&input).to_string();
        f.check(&input, || {
            for seg in cq::parse(&text) {
                assert!(seg["type"].is_string(), "{seg}");
                assert!(seg["data"].is_object(), "{seg}");
            }
            // Text escaped for a CQ string reads back as itself.
            let escaped = cq::escape_text(&text);
            let read: String = cq::parse(&escaped)
                .iter()
                .map(|s| {
                    assert_eq!(s["type"], "text", "{s}");
                    s["data"]["text"].as_str().unwrap_or_default().to_string()
                })
                .collect();
            assert_eq!(read, text);
        });
    }
}

#[test]
fn fuzz_command_text() {
    let parser = Parser::load_with(None, &[]).expect("parser");
    let mut f = Fuzzer::new("command");
    while let Some(input) = f.next() {
        let text = String::from_utf8_lossy(&input).to_string();
        f.check(&input, || {
            let first = command::parse(&text);
            assert_eq!(first, command::parse(&text), "parsed differently twice");
            for staff in [false, true] {
                let u = parser.parse(&text, staff);
                assert!(
                    u.confidence.is_finite() && (0.0..=1.0).contains(&u.confidence),
                    "confidence {}",
                    u.confidence
                );
                if staff && !u.explicit {
                    assert!(!u.is_request, "a staff message read as a request: {text:?}");
                }
            }
            // `/report X` is a report whatever X is (when X is more than blanks).
            let body = text.replace(['\n', '\r'], " ");
            if !body.trim().is_empty() {
                let report = format!("/report {body}");
                match command::parse(&report) {
                    Parsed::Command(Command::Report(_)) | Parsed::Invalid { .. } => {}
                    other => panic!("{report:?} read as {other:?}"),
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_sandbox_bodies() {
    let app = spawn_app(Db::Sqlite, |s| {
        s.sandbox.enabled = true;
        s.sandbox.demo_roster = true;
    })
    .await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/sandbox", app.addr);
    let roster: Value = http
        .get(format!("{base}/roster"))
        .send()
        .await
        .expect("roster")
        .json()
        .await
        .expect("json");
    let group = roster["groups"][0]["id"]
        .as_str()
        .expect("a group")
        .to_string();
    let member = |role: &str| {
        roster["personas"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| {
                p["role"] == role
                    && p["groups"]
                        .as_array()
                        .is_some_and(|g| g.contains(&json!(group)))
            })
            .and_then(|p| p["id"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (resident, leader) = (member("resident"), member("leader"));
    let mut f = Fuzzer::new("sandbox");
    // The corpus speaks of personas r1 and l1: these are the roster's.
    let ids = |input: &[u8]| {
        String::from_utf8_lossy(input)
            .replace("\"r1\"", &format!("\"{resident}\""))
            .replace("\"l1\"", &format!("\"{leader}\""))
            .into_bytes()
    };
    while let Some(input) = f.next() {
        let input = ids(&input);
        let endpoint = if f.rng.bool() { "messages" } else { "buttons" };
        let before = app.store.inbox_counts().await.expect("counts").total;
        let response = http
            .post(format!("{base}/groups/{group}/{endpoint}"))
            .header("content-type", "application/json")
            .body(input.clone())
            .send()
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let after = app.store.inbox_counts().await.expect("counts").total;
        f.check(&input, || {
            assert!(status < 500, "{endpoint}: {status} {answer}");
            if status == 200 {
                assert_eq!(after, before + 1, "answered 200 but not stored: {answer}");
            } else {
                assert!((400..500).contains(&status), "{status}");
                assert_eq!(after, before, "refused ({status}) but stored");
                assert!(answer["error"].is_string(), "{answer}");
            }
        });
    }
    app.stop().await;
}
