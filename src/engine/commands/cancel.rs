//! Withdraw your report: `/cancel 42` (撤销 42).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Cancel(pub TicketNo);

impl ChatCommand for Cancel {
    const SPEC: Spec = Spec {
        slash: "cancel",
        slash_aliases: &[],
        words: &["撤销", "撤回"],
        usage: ("/cancel 42", "撤销 42"),
        example: "/cancel 42",
        who: Who::ReporterOrHandler,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::cancel_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Cancel)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.cancel(tx, fx, scene, n).await
    }
}
