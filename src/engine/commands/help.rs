//! What you may do: `/help` (帮助); Telegram sends `/start` first.

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Help;

impl ChatCommand for Help {
    const SPEC: Spec = Spec {
        slash: "help",
        slash_aliases: &["start"],
        words: &["帮助", "菜单"],
        usage: ("/help", "帮助"),
        example: "/help",
        who: Who::Anyone,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::help_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        // Whatever follows (`/start payload`) changes nothing.
        let _ = rest;
        Ok(Help)
    }

    async fn run(
        self,
        engine: &Engine,
        _tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        Ok(vec![engine.help(scene)])
    }
}
