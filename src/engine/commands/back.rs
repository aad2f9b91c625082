//! Back from leave: `/back` (销假).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Back;

impl ChatCommand for Back {
    const SPEC: Spec = Spec {
        slash: "back",
        slash_aliases: &[],
        words: &["销假"],
        usage: ("/back", "销假"),
        example: "/help",
        who: Who::OnDuty,
        about: About::Nothing,
        changes_roster: true,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::back_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        super::bare(rest, Back)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let Some(person) = scene.person.clone().filter(|_| scene.may(Name::Back)) else {
            return Ok(vec![engine.refusal(scene, Name::Back, None)]);
        };
        let texts = &engine.texts;
        if tx.leave_until(&person, scene.now).await?.is_none() {
            return Ok(vec![Notice::plain(texts.not_on_leave(), None)]);
        }
        tx.set_leave(&person, scene.now, None).await?;
        tracing::info!(%person, "back from leave");
        Ok(vec![Notice::plain(
            texts.back(&scene.event.sender.name),
            None,
        )])
    }
}
