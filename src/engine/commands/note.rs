//! Post progress: `/note 42 已联系电工` (进展 42 …).

use crate::domain::HistoryKind;
use crate::domain::mask::mask_personal_numbers;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::store::tickets::Ticket;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Note(pub TicketNo, pub String);

impl ChatCommand for Note {
    const SPEC: Spec = Spec {
        slash: "note",
        slash_aliases: &[],
        words: &["进展", "备注"],
        usage: ("/note 42 进展", "进展 42 …"),
        example: "/note 42 已联系电工",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::note_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        let text = rest.trim();
        if text.is_empty() {
            return Err(Problem::MissingText);
        }
        Ok(Note(n, text.to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let text = self.1.as_str();
        let t = granted!(engine.access(tx, scene, n, Name::Note).await?);
        if let Some(notice) = engine.unless_active(scene, &t, Name::Note) {
            return Ok(vec![notice]);
        }
        engine.add_note(tx, fx, scene, *t, text).await
    }
}

impl Engine {
    /// Progress on ticket `t` in the sender's words (进展, or a handler's reply to its card):
    /// recorded in its history and told in the chat.
    pub(in crate::engine) async fn add_note(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        mut t: Ticket,
        text: &str,
    ) -> Outcome {
        Engine::staff_responded(&mut t, scene.now);
        tx.update_ticket(&t).await?;
        let text = mask_personal_numbers(text);
        fx.record(scene, t.id, HistoryKind::Note, &text);
        Ok(vec![Notice::plain(
            self.texts.note(
                &scene.number(&t.grid, t.no),
                &scene.event.sender.name,
                &text,
            ),
            Some(t.id),
        )])
    }
}
