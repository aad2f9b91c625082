//! Take a ticket: `/claim 42` (接单 42).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Claim(pub TicketNo);

impl ChatCommand for Claim {
    const SPEC: Spec = Spec {
        slash: "claim",
        slash_aliases: &[],
        words: &["接单"],
        usage: ("/claim 42", "接单 42"),
        example: "/claim 42",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::claim_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Claim)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.claim(tx, fx, scene, n).await
    }
}
