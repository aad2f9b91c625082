//! An in-process adapter: what tests and the benchmark use in place of a chat platform.
//! It records what gridline sends and can be told to fail the next sends.

use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

use super::{Adapter, Capabilities, Delivered, Outbound, RateLimits, SendError};

/// One delivered item.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub account: String,
    pub item: Outbound,
    pub message_ids: Vec<String>,
    /// When it was handed to this adapter.
    pub at: std::time::Instant,
}

pub struct MemoryAdapter {
    capabilities: Capabilities,
    sent: Mutex<Vec<Sent>>,
    failures: Mutex<VecDeque<SendError>>,
    next_id: AtomicU64,
    delivered: Notify,
}

impl Default for MemoryAdapter {
    fn default() -> Self {
        MemoryAdapter::new(Capabilities {
            text_limit: 4_096,
            buttons: true,
            replies: true,
            edits: false,
            private_chats: super::PrivateChats::Never,
            limits: RateLimits::default(),
        })
    }
}

impl MemoryAdapter {
    pub fn new(capabilities: Capabilities) -> MemoryAdapter {
        MemoryAdapter {
            capabilities,
            sent: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            delivered: Notify::new(),
        }
    }

    /// The next send fails with `error` (queue several for several failures).
    pub fn fail_next(&self, error: SendError) {
        if let Ok(mut f) = self.failures.lock() {
            f.push_back(error);
        }
    }

    /// Everything sent so far, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits until `count` items have been sent or `timeout` passes; returns what was sent.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Sent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.delivered.notified();
            let sent = self.sent();
            if sent.len() >= count {
                return sent;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.sent();
            }
        }
    }
}

#[async_trait]
impl Adapter for MemoryAdapter {
    fn platform(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    async fn send(&self, account: &str, item: &Outbound) -> Result<Delivered, SendError> {
        let failure = self.failures.lock().ok().and_then(|mut f| f.pop_front());
        if let Some(e) = failure {
            return Err(e);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let message_ids = match item {
            Outbound::Send(_) => vec![format!("bot-{id}")],
            _ => Vec::new(),
        };
        if let Ok(mut s) = self.sent.lock() {
            s.push(Sent {
                account: account.to_string(),
                item: item.clone(),
                message_ids: message_ids.clone(),
                at: std::time::Instant::now(),
            });
        }
        self.delivered.notify_waiters();
        Ok(Delivered { message_ids })
    }
}
