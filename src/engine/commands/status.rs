//! One ticket's state and history: `/status 42` (查询 42).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Status(pub TicketNo);

impl ChatCommand for Status {
    const SPEC: Spec = Spec {
        slash: "status",
        slash_aliases: &[],
        words: &["查询", "进度"],
        usage: ("/status 42", "查询 42"),
        example: "/status 42",
        who: Who::TicketViewers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::status_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Status)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        // The history shown includes what this batch wrote before.
        tx.add_events(&std::mem::take(&mut fx.events)).await?;
        engine.status(tx, scene, n).await
    }
}
