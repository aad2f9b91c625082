//! Message understanding: is this text a request, and if so what about, how urgent, and where.
//!
//! The parser is pure: no I/O after [`Parser::load`], safe to share between threads.
//! Command parsing (`/claim 42`, `接单 42`) lives in [`command`].

pub mod cli;
pub mod command;

use crate::domain::{Category, Urgency};
use serde::Serialize;
use std::path::Path;

/// What the parser concluded about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understanding {
    pub is_request: bool,
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    /// The place as written ("3栋2单元", "Block 5").
    pub location: Option<String>,
    /// 0.0 ..= 1.0: how sure the parser is of `is_request`.
    pub confidence: f32,
    /// Written in an explicit form (`/report …`, `#诉求 …`, `报修：…`): always a ticket.
    pub explicit: bool,
    /// The text with any explicit prefix removed.
    pub body: String,
}

/// Loading the lexicons failed: names the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LexiconError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The request parser. Build once at start with [`Parser::load`], then share.
pub struct Parser {
    _private: (),
}

impl Parser {
    /// Builds the parser from the built-in lexicons, extended by `*.toml` files in `dir` if given.
    pub fn load(_dir: Option<&Path>) -> Result<Parser, LexiconError> {
        Ok(Parser { _private: () })
    }

    /// Understands one message. `from_staff` is true for leaders, deputies and coordinators,
    /// whose messages are requests only in explicit form.
    pub fn parse(&self, text: &str, from_staff: bool) -> Understanding {
        let _ = from_staff;
        Understanding {
            is_request: false,
            category: None,
            urgency: None,
            location: None,
            confidence: 0.0,
            explicit: false,
            body: text.to_string(),
        }
    }
}

/// What to do with a message given its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Open a ticket.
    Open,
    /// Ask the sender to confirm.
    Confirm,
    /// Stay silent.
    Silent,
}

impl Understanding {
    pub fn band(&self, open_threshold: f32, confirm_threshold: f32) -> Band {
        if self.explicit || (self.is_request && self.confidence >= open_threshold) {
            Band::Open
        } else if self.is_request && self.confidence >= confirm_threshold {
            Band::Confirm
        } else {
            Band::Silent
        }
    }
}

/// A leader's reply to a ticket card that claims it.
pub fn claim_word(text: &str) -> bool {
    let t = text
        .trim()
        .trim_end_matches(['!', '！', '。', '.'])
        .to_lowercase();
    matches!(
        t.as_str(),
        "接单" | "收到" | "好的" | "马上去" | "马上处理" | "ok" | "on it" | "claim" | "got it"
    )
}

/// A resident saying the problem is not fixed.
pub fn not_fixed(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "没修好",
        "还是坏",
        "没解决",
        "没有解决",
        "还没好",
        "not fixed",
        "still broken",
    ]
    .iter()
    .any(|w| t.contains(w))
}
