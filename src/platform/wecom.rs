//! WeCom (企业微信) group robots: notices for coordinators' groups.
//!
//! `wecom.webhooks` maps a coordinator level (`town`, `village` …) to a robot's webhook URL.
//! Escalations, overdue lists and digests are posted there as markdown
//! (`{"msgtype":"markdown","markdown":{"content":…}}`).
//!
//! A robot takes at most 20 messages a minute (more are refused with errcode 45009). Each robot
//! has one task that sends its notices in order and counts what it sent in the last minute; while
//! the window is full, notices wait, and when a slot frees up everything that waited goes out
//! together as one message. A caller of [`WeCom::notify`] gets the result of the post that
//! carried its notice, so the outbox marks an item sent only once it really was.
//!
//! As an [`Adapter`] (platform `wecom`) the chat id is the level name, so notices can be written
//! to the outbox like any other message.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::config::Secret;
use crate::platform::{
    Adapter, Capabilities, Delivered, Outbound, PrivateChats, Rate, RateLimits, SendError,
};
use crate::platform::{Context, Mounted};

pub const PLATFORM: &str = crate::domain::message::WECOM;

/// What WeCom allows per robot.
pub const ROBOT_RATE: Rate = Rate {
    max: 20,
    per: Duration::from_secs(60),
};

/// WeCom's limit on a markdown message's content, in bytes.
pub const CONTENT_MAX_BYTES: usize = 4096;

/// Between notices batched into one message.
const SEPARATOR: &str = "\n\n---\n\n";

/// WeCom's "api freq out of limit".
const ERR_RATE_LIMITED: i64 = 45009;

/// The robots, by coordinator level.
pub struct WeCom {
    robots: BTreeMap<String, mpsc::Sender<Notice>>,
}

struct Notice {
    markdown: String,
    done: oneshot::Sender<Result<(), SendError>>,
}

impl WeCom {
    /// Robots for `webhooks` (level → URL), each sending at most `rate`. Spawns one task per
    /// robot; they end when the `WeCom` is dropped.
    pub fn new(
        webhooks: impl IntoIterator<Item = (String, String)>,
        rate: Rate,
    ) -> anyhow::Result<WeCom> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| anyhow::anyhow!("building the WeCom HTTP client: {e}"))?;
        let mut robots = BTreeMap::new();
        for (level, url) in webhooks {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                anyhow::bail!(
                    "configuration key `wecom.webhooks.{level}`: must be an http(s):// URL"
                );
            }
            let (tx, rx) = mpsc::channel(1024);
            let robot = Robot {
                level: level.clone(),
                url,
                client: client.clone(),
                rate,
                sent: VecDeque::new(),
            };
            tokio::spawn(robot.run(rx));
            robots.insert(level, tx);
        }
        Ok(WeCom { robots })
    }

    /// The configured levels.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.robots.keys().map(String::as_str)
    }

    /// Posts `markdown` to the robot of `level`, waiting (within the robot's rate) until it is
    /// out. Longer than one message allows, it goes out in several parts.
    pub async fn notify(&self, level: &str, markdown: &str) -> Result<(), SendError> {
        let robot = self
            .robots
            .get(level)
            .ok_or_else(|| SendError::Permanent(format!("no WeCom robot for level `{level}`")))?;
        let mut waits = Vec::new();
        for part in split_bytes(markdown, CONTENT_MAX_BYTES) {
            let (done, wait) = oneshot::channel();
            robot
                .send(Notice {
                    markdown: part,
                    done,
                })
                .await
                .map_err(|_| stopped())?;
            waits.push(wait);
        }
        for wait in waits {
            wait.await.map_err(|_| stopped())??;
        }
        Ok(())
    }
}

fn stopped() -> SendError {
    SendError::Retry {
        after: None,
        reason: "WeCom robot task stopped".into(),
    }
}

struct Robot {
    level: String,
    url: String,
    client: reqwest::Client,
    rate: Rate,
    /// When the posts of the last `rate.per` went out.
    sent: VecDeque<Instant>,
}

impl Robot {
    async fn run(mut self, mut rx: mpsc::Receiver<Notice>) {
        let mut queue: VecDeque<Notice> = VecDeque::new();
        let mut open = true;
        loop {
            if queue.is_empty() {
                match rx.recv().await {
                    Some(n) => queue.push_back(n),
                    None => break,
                }
            }
            // Wait for a free slot, gathering what arrives meanwhile.
            loop {
                let wait = self.wait_for_slot(Instant::now());
                if wait.is_zero() {
                    break;
                }
                if !open {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    n = rx.recv() => match n {
                        Some(n) => queue.push_back(n),
                        // Dropped: still deliver what is queued.
                        None => open = false,
                    },
                }
            }
            while let Ok(n) = rx.try_recv() {
                queue.push_back(n);
            }
            let free = self.free_slots(Instant::now());
            // Under the rate every notice is its own message; over it, they share one.
            let take = if queue.len() <= free {
                1
            } else {
                fitting(&queue)
            };
            let batch: Vec<Notice> = queue.drain(..take).collect();
            let content = batch
                .iter()
                .map(|n| n.markdown.as_str())
                .collect::<Vec<_>>()
                .join(SEPARATOR);
            let result = self.post(&content).await;
            debug!(level = %self.level, notices = batch.len(), ok = result.is_ok(), "WeCom post");
            for n in batch {
                let _ = n.done.send(result.clone());
            }
        }
    }

    fn prune(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.rate.per)
        {
            self.sent.pop_front();
        }
    }

    fn free_slots(&mut self, now: Instant) -> usize {
        self.prune(now);
        (self.rate.max as usize).saturating_sub(self.sent.len())
    }

    fn wait_for_slot(&mut self, now: Instant) -> Duration {
        if self.free_slots(now) > 0 {
            return Duration::ZERO;
        }
        self.sent
            .front()
            .map(|t| (*t + self.rate.per).saturating_duration_since(now))
            .unwrap_or_default()
    }

    async fn post(&mut self, content: &str) -> Result<(), SendError> {
        let body = json!({"msgtype": "markdown", "markdown": {"content": content}});
        let response = self.client.post(&self.url).json(&body).send().await;
        // Counted from when the answer came back: WeCom counts from when the post arrived,
        // which is earlier, so the window here never frees a slot before WeCom's does.
        self.sent.push_back(Instant::now());
        let response = response.map_err(|e| SendError::Retry {
            after: None,
            reason: format!("WeCom robot unreachable: {}", e.without_url()),
        })?;
        let status = response.status();
        if !status.is_success() {
            let reason = format!("WeCom robot answered HTTP {status}");
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                SendError::Retry {
                    after: None,
                    reason,
                }
            } else {
                SendError::Permanent(reason)
            });
        }
        let answer: WeComAnswer = response.json().await.map_err(|e| SendError::Retry {
            after: None,
            reason: format!("WeCom answer unreadable: {}", e.without_url()),
        })?;
        match answer.errcode {
            0 => Ok(()),
            ERR_RATE_LIMITED => {
                // Something else posted through this robot too (another replica, a person's
                // script): treat the window as full so the next post waits a whole period.
                warn!(level = %self.level, "WeCom robot over its rate (45009)");
                let now = Instant::now();
                self.sent.clear();
                self.sent
                    .extend(std::iter::repeat_n(now, self.rate.max as usize));
                Err(SendError::Retry {
                    after: Some(self.rate.per),
                    reason: "WeCom robot over its rate (errcode 45009)".into(),
                })
            }
            code => Err(classify(code, &answer.errmsg)),
        }
    }
}

/// WeCom errcodes: 93xxx are about the robot itself (invalid webhook key, robot disabled,
/// removed from the group) and 40xxx–44xxx about the request (bad content): both permanent.
/// Others (-1 system busy …) are retried.
fn classify(code: i64, message: &str) -> SendError {
    let reason = format!("WeCom errcode {code}: {message}");
    if (40_000..45_000).contains(&code) || (93_000..94_000).contains(&code) {
        SendError::Permanent(reason)
    } else {
        SendError::Retry {
            after: None,
            reason,
        }
    }
}

#[derive(Deserialize)]
struct WeComAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// How many queued notices fit in one message (at least one: every part is within the limit).
fn fitting(queue: &VecDeque<Notice>) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for notice in queue {
        let add = notice.markdown.len() + if n == 0 { 0 } else { SEPARATOR.len() };
        if n > 0 && bytes + add > CONTENT_MAX_BYTES {
            break;
        }
        bytes += add;
        n += 1;
    }
    n.max(1)
}

/// Splits `text` into parts of at most `max` bytes, at line breaks where it can, never inside
/// a character.
pub fn split_bytes(text: &str, max: usize) -> Vec<String> {
    let max = max.max(4);
    if text.len() <= max {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if current.len() + line.len() > max && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        if line.len() <= max {
            current.push_str(line);
            continue;
        }
        for ch in line.chars() {
            if current.len() + ch.len_utf8() > max {
                parts.push(std::mem::take(&mut current));
            }
            current.push(ch);
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[async_trait]
impl Adapter for WeCom {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // 4096 bytes of Chinese text, with room for batching separators.
            text_limit: 1300,
            buttons: false,
            replies: false,
            edits: false,
            private_chats: PrivateChats::Never,
            // The robot tasks pace and batch themselves; the outbox adds no limit of its own.
            limits: RateLimits::default(),
        }
    }

    async fn send(&self, _account: &str, item: &Outbound) -> Result<Delivered, SendError> {
        match item {
            Outbound::Send(m) => {
                self.notify(&m.chat, &m.text).await?;
                Ok(Delivered::default())
            }
            other => Err(SendError::Permanent(format!(
                "WeCom robots only post messages, not {other:?}"
            ))),
        }
    }
}

/// Mounts the WeCom robots (no routes: robots only post).
pub async fn mount(ctx: &Context) -> anyhow::Result<Mounted> {
    let webhooks = ctx
        .settings
        .wecom
        .webhooks
        .iter()
        .map(|(level, url): (&String, &Secret)| (level.clone(), url.expose().to_string()));
    let wecom = WeCom::new(webhooks, ROBOT_RATE)?;
    Ok(Mounted {
        adapter: Arc::new(wecom),
        routes: axum::Router::new(),
        tasks: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bytes_keeps_characters_whole() {
        let text = "通知\n".repeat(300) + &"长".repeat(2000);
        let parts = split_bytes(&text, CONTENT_MAX_BYTES);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= CONTENT_MAX_BYTES));
        assert_eq!(parts.concat(), text);
        assert_eq!(split_bytes("short", 4096), vec!["short".to_string()]);
    }

    #[test]
    fn errcodes() {
        assert!(matches!(
            classify(93000, "invalid webhook url"),
            SendError::Permanent(_)
        ));
        assert!(matches!(
            classify(40058, "invalid content"),
            SendError::Permanent(_)
        ));
        assert!(matches!(
            classify(-1, "system busy"),
            SendError::Retry { .. }
        ));
    }

    #[test]
    fn batches_stop_at_the_content_limit() {
        let mut q = VecDeque::new();
        for _ in 0..5 {
            let (done, _) = oneshot::channel();
            q.push_back(Notice {
                markdown: "x".repeat(1500),
                done,
            });
        }
        // Two notices and a separator fit in 4096 bytes; a third does not.
        assert_eq!(fitting(&q), 2);
    }
}
