//! Withdraw your report: `/cancel 42` (撤销 42).

use crate::domain::HistoryKind;
use crate::domain::role::Who;
use crate::domain::ticket::Transition;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
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
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let mut t = granted!(engine.access(tx, scene, n, Name::Cancel).await?);
        if let Err(notice) = engine
            .transition(tx, scene, &mut t, Transition::Cancel, Name::Cancel)
            .await?
        {
            return Ok(vec![notice]);
        }
        t.closed_at = Some(scene.now);
        t.updated_at = scene.now;
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Cancelled, "");
        Ok(vec![Notice::plain(
            engine.texts.cancelled(&scene.number(&t.grid, t.no)),
            Some(t.id),
        )])
    }
}
