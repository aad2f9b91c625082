//! A one-time sign-in link to the web console, sent in a private chat: `/console` (控制台).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Console;

impl ChatCommand for Console {
    const SPEC: Spec = Spec {
        slash: "console",
        slash_aliases: &[],
        words: &["控制台"],
        usage: ("/console", "控制台"),
        example: "/console",
        who: Who::Staff,
        about: About::Nothing,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::PrivateOnly,
        words_in: Texts::console_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        if rest.is_empty() {
            Ok(Console)
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
        engine.console_link(tx, scene).await
    }
}
