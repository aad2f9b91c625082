//! Hand your active tickets to someone (default: the grid's on-duty colleague):
//! `/handover [@刘洋]` (交接 @刘洋).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Handover(pub Option<String>);

impl ChatCommand for Handover {
    const SPEC: Spec = Spec {
        slash: "handover",
        slash_aliases: &[],
        words: &["交接", "移交"],
        usage: ("/handover [@姓名]", "交接 [@姓名]"),
        example: "/help",
        who: Who::OnDuty,
        about: About::Nothing,
        changes_roster: true,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::handover_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let target = rest.trim().trim_start_matches('@').trim();
        Ok(Handover((!target.is_empty()).then(|| target.to_string())))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        engine.handover(tx, fx, scene, self.0.as_deref()).await
    }
}
