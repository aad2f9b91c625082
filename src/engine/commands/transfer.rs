//! Hand a ticket to someone else: `/transfer 42 @李强` (转派 42 @李强).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Transfer(pub TicketNo, pub String);

impl ChatCommand for Transfer {
    const SPEC: Spec = Spec {
        slash: "transfer",
        slash_aliases: &[],
        words: &["转派", "转交"],
        usage: ("/transfer 42 @姓名", "转派 42 @姓名"),
        example: "/transfer 42 @李强",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::transfer_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        let target = rest.trim();
        if target.is_empty() {
            return Err(Problem::MissingTarget);
        }
        Ok(Transfer(n, target.trim_start_matches('@').to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.transfer(tx, fx, scene, n, &self.1).await
    }
}
