//! Your own tickets: `/my` (我的诉求).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::queries::LIST_LIMIT;
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct My;

impl ChatCommand for My {
    const SPEC: Spec = Spec {
        slash: "my",
        slash_aliases: &[],
        words: &["我的诉求", "我的工单"],
        usage: ("/my", "我的诉求"),
        example: "/help",
        who: Who::Anyone,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::my_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        super::bare(rest, My)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let tickets = tx
            .tickets_of_reporter(scene.platform(), scene.sender_id(), LIST_LIMIT)
            .await?;
        let heading = engine.texts.heading_my();
        Ok(vec![engine.ticket_listing(scene, heading, &tickets)])
    }
}
