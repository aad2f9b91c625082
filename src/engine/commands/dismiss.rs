//! Not a request, or a duplicate: `/dismiss 42 重复 7` (驳回 42 理由).

use crate::domain::TicketRef;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Dismiss {
    pub ticket: TicketNo,
    pub reason: String,
    /// The ticket this one repeats, when the reason names one ("重复 7").
    pub duplicate_of: Option<TicketNo>,
}

impl ChatCommand for Dismiss {
    const SPEC: Spec = Spec {
        slash: "dismiss",
        slash_aliases: &[],
        words: &["驳回"],
        usage: ("/dismiss 42 理由", "驳回 42 理由"),
        example: "/dismiss 42 重复 7",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::dismiss_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (ticket, rest) = number(rest)?;
        let reason = rest.trim().to_string();
        let duplicate_of = duplicate_reference(&reason);
        Ok(Dismiss {
            ticket,
            reason,
            duplicate_of,
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.ticket).await?);
        let duplicate_of = match &self.duplicate_of {
            Some(of) => Some(found!(engine.find_ticket(tx, scene, of).await?)),
            None => None,
        };
        engine
            .dismiss(tx, fx, scene, n, &self.reason, duplicate_of)
            .await
    }
}

/// "重复 7", "与7重复", "duplicate of 7", "dup #7" → 7; "重复 QS-DF-01#7" → that ticket.
fn duplicate_reference(reason: &str) -> Option<TicketNo> {
    let lower = reason.to_lowercase();
    if !(lower.contains("重复") || lower.contains("dup")) {
        return None;
    }
    let qualified = reason
        .split(|c: char| c.is_whitespace() || "，,。:：与和".contains(c))
        .filter_map(TicketRef::parse)
        .find(|r| r.grid.is_some());
    if qualified.is_some() {
        return qualified;
    }
    let digits: String = lower
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|n| *n > 0).map(TicketRef::here)
}
