//! Your to-do list: `/list` (待办).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct List;

impl ChatCommand for List {
    const SPEC: Spec = Spec {
        slash: "list",
        slash_aliases: &[],
        words: &["待办"],
        usage: ("/list", "待办"),
        example: "/help",
        who: Who::Staff,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::PrivateUnlessOwnGrid,
        words_in: Texts::list_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        if rest.is_empty() {
            Ok(List)
        } else {
            Err(Problem::MissingText)
        }
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        engine.todo(tx, scene).await
    }
}
