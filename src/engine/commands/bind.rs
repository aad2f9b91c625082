//! Bind this group to a grid: `/bind T01-V01-G01` (绑定 …).

use crate::domain::message::ChatKind;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Bind(pub String);

impl ChatCommand for Bind {
    const SPEC: Spec = Spec {
        slash: "bind",
        slash_aliases: &[],
        words: &["绑定"],
        usage: ("/bind 网格编号", "绑定 网格编号"),
        example: "/bind T01-V01-G01",
        who: Who::Admins,
        about: About::Group,
        changes_roster: true,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::bind_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let code = rest.split_whitespace().next().ok_or(Problem::MissingGrid)?;
        Ok(Bind(code.to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        if !scene.may(Name::Bind) {
            return Ok(vec![engine.refusal(scene, Name::Bind, None)]);
        }
        let texts = &engine.texts;
        if scene.event.chat.kind != ChatKind::Group {
            return Ok(vec![Notice::plain(texts.private_needs_group(), None)]);
        }
        let Some(grid) = tx.grid(&self.0).await? else {
            return Ok(vec![Notice::plain(texts.no_such_grid(&self.0), None)]);
        };
        let title = scene.event.chat.title.clone().unwrap_or_default();
        tx.bind_group(scene.platform(), &scene.event.chat.id, &grid.code, &title)
            .await?;
        tracing::info!(chat = %scene.event.chat.id, grid = %grid.code, "group bound");
        Ok(vec![Notice::plain(texts.bound(&grid.code), None)])
    }
}
