//! Correct a ticket's category: `/recategorize 42 sanitation` (改类 42 环境卫生).

use crate::domain::Category;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::corrections::Correction;
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, category_word, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Recategorize(pub TicketNo, pub Category);

impl ChatCommand for Recategorize {
    const SPEC: Spec = Spec {
        slash: "recategorize",
        slash_aliases: &[],
        words: &["改类", "改类别"],
        usage: ("/recategorize 42 类别", "改类 42 环境卫生"),
        example: "/recategorize 42 sanitation",
        who: Who::Supervisors,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::recategorize_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        let category = category_word(rest.trim()).ok_or(Problem::BadCategory)?;
        Ok(Recategorize(n, category))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let mut t = granted!(engine.access(tx, scene, n, Name::Recategorize).await?);
        let texts = &engine.texts;
        let (no, to) = (scene.number(&t.grid, t.no), self.1);
        if t.category == to {
            return Ok(vec![Notice::plain(
                texts.already_so(&no, texts.category(to)),
                None,
            )]);
        }
        let detail = format!("{} {}", t.category.id(), to.id());
        t.category = to;
        let text = texts.recategorized(&no, texts.category(to), &scene.event.sender.name);
        engine
            .corrected(tx, fx, scene, &mut t, Correction::Category(to), &detail)
            .await?;
        Ok(vec![Notice::plain(text, Some(t.id))])
    }
}
