//! Remind the assignee, on the record: `/urge 42` (督办 42).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Urge(pub TicketNo);

impl ChatCommand for Urge {
    const SPEC: Spec = Spec {
        slash: "urge",
        slash_aliases: &[],
        words: &["督办", "催办"],
        usage: ("/urge 42", "督办 42"),
        example: "/urge 42",
        who: Who::Coordinators,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::urge_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Urge)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.urge(tx, fx, scene, n).await
    }
}
