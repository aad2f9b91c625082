//! Overdue tickets: `/overdue [GRID]` (超时, 超时 东风社区): under the asker's widest grid, or
//! under a grid named by code or name within it.

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::queries::LIST_LIMIT;
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

/// The grid asked about, as typed (code or name), if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue(pub Option<String>);

impl ChatCommand for Overdue {
    const SPEC: Spec = Spec {
        slash: "overdue",
        slash_aliases: &[],
        words: &["超时", "逾期"],
        usage: ("/overdue [GRID]", "超时 [网格编号或名称]"),
        example: "/overdue",
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
        Ok(Overdue((!rest.is_empty()).then(|| rest.to_string())))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let asked = self.0.as_deref();
        let (_, path) = match engine.asked_scope(tx, scene, asked, Name::Overdue).await? {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let tickets = tx.overdue(&path, scene.now, LIST_LIMIT).await?;
        let heading = engine.texts.heading_overdue();
        Ok(vec![engine.ticket_listing(scene, heading, &tickets)])
    }
}
