//! Overdue tickets: `/overdue` (超时).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::queries::LIST_LIMIT;
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Overdue;

impl ChatCommand for Overdue {
    const SPEC: Spec = Spec {
        slash: "overdue",
        slash_aliases: &[],
        words: &["超时", "逾期"],
        usage: ("/overdue", "超时"),
        example: "/help",
        who: Who::Supervisors,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Private,
        words_in: Texts::overdue_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        super::bare(rest, Overdue)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let (_, path) = match engine.scope(tx, scene, None, Name::Overdue).await? {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let tickets = tx.overdue(&path, scene.now, LIST_LIMIT).await?;
        let heading = engine.texts.heading_overdue();
        Ok(vec![engine.ticket_listing(scene, heading, &tickets)])
    }
}
