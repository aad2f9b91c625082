//! Refuse a request for more time: `/reject 42 理由` (不同意延期 42 理由), or the 不同意 button
//! on the request. A coordinator above the ticket's grid (or an admin) decides; the deadline
//! stays, the refusal and its reason are in the ticket's history and told in its group. The
//! decision itself is shared with `approve.rs`.

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub ticket: TicketNo,
    /// Why (may be empty: the button carries none).
    pub reason: String,
}

impl ChatCommand for Reject {
    const SPEC: Spec = Spec {
        slash: "reject",
        slash_aliases: &[],
        words: &["不同意延期", "驳回延期"],
        usage: ("/reject 42 理由", "不同意延期 42 理由"),
        example: "/reject 42 请尽快处理",
        who: Who::Coordinators,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::reject_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (ticket, rest) = number(rest)?;
        Ok(Reject {
            ticket,
            reason: rest.trim().to_string(),
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(
            engine
                .find_ticket(tx, scene, &self.ticket, Self::NAME)
                .await?
        );
        super::approve::decide(engine, tx, fx, scene, n, Name::Reject, &self.reason).await
    }
}
