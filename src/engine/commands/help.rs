//! What you may do: `/help` (帮助); Telegram sends `/start` first.

use crate::domain::Role;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec, help_entries};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
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
        let standing = if scene.group.is_some() {
            scene.standing
        } else {
            scene
                .grants
                .iter()
                .map(|g| g.role)
                .max()
                .unwrap_or(Role::Resident)
        };
        // The sender's own form first: the Chinese words in a Chinese chat, unless they typed
        // the slash command; the slash form in an English one.
        let chinese_first =
            engine.texts.lang == crate::config::Language::Zh && !scene.typed_slash();
        let lines: Vec<String> = help_entries(standing)
            .into_iter()
            .map(|(slash, zh)| {
                if chinese_first {
                    format!("{zh}（{slash}）")
                } else {
                    format!("{slash}  ({zh})")
                }
            })
            .collect();
        Ok(vec![Notice::plain(
            format!("{}\n{}", engine.texts.heading_help(), lines.join("\n")),
            None,
        )])
    }
}
