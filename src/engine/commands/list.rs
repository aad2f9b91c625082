//! Your to-do list: `/list` (待办).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::queries::LIST_LIMIT;
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
        super::bare(rest, List)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let Some(person) = scene.person.as_ref().filter(|_| scene.may(Name::List)) else {
            return Ok(vec![engine.refusal(scene, Name::List, None)]);
        };
        let mut tickets = tx.todo(person, LIST_LIMIT).await?;
        if scene.narrowed
            && let Some(group) = &scene.group
        {
            // Asked in a group with no private chat to answer in: that group's grid only.
            tickets.retain(|t| t.grid == group.grid);
        }
        let texts = &engine.texts;
        let lines = engine.todo_lines(tx, scene, &tickets, false).await?;
        Ok(vec![engine.listing(texts.heading_todo(), lines)])
    }
}
