//! Tickets nobody has claimed yet: `/unclaimed [GRID]` (未接单, 未接单 东风社区), under the
//! asker's widest grid or under a grid named within it, longest waiting first, whether or not
//! their claim deadline has passed (`超时` lists those that missed it).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::queries::LIST_LIMIT;
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

/// The grid asked about, as typed (code or name), if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Unclaimed(pub Option<String>);

impl ChatCommand for Unclaimed {
    const SPEC: Spec = Spec {
        slash: "unclaimed",
        slash_aliases: &[],
        words: &["未接单"],
        usage: ("/unclaimed [GRID]", "未接单 [网格编号或名称]"),
        example: "/unclaimed",
        who: Who::Supervisors,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Private,
        words_in: Texts::unclaimed_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        Ok(Unclaimed((!rest.is_empty()).then(|| rest.to_string())))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let asked = self.0.as_deref();
        let (_, path) = match engine
            .asked_scope(tx, scene, asked, Name::Unclaimed)
            .await?
        {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let tickets = tx.unclaimed(&path, LIST_LIMIT).await?;
        let heading = engine.texts.heading_unclaimed();
        Ok(vec![engine.ticket_listing(scene, heading, &tickets)])
    }
}
