//! Take a ticket: `/claim 42` (接单 42). Staff replying 接单/收到 to the ticket's card, or
//! pressing its button, claim it the same way (`Engine::reply_to_card`).

use crate::domain::HistoryKind;
use crate::domain::role::Who;
use crate::domain::ticket::Transition;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Claim(pub TicketNo);

impl ChatCommand for Claim {
    const SPEC: Spec = Spec {
        slash: "claim",
        slash_aliases: &[],
        words: &["接单"],
        usage: ("/claim 42", "接单 42"),
        example: "/claim 42",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::claim_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Claim)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        engine.claim(tx, fx, scene, n).await
    }
}

impl Engine {
    /// Claims ticket `n` for the sender: it becomes theirs, and the card's button turns to 办结.
    pub(in crate::engine) async fn claim(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
    ) -> Outcome {
        let mut t = granted!(self.access(tx, scene, n, Name::Claim).await?);
        if let Err(notice) = self
            .transition(tx, scene, &mut t, Transition::Claim, Name::Claim)
            .await?
        {
            return Ok(vec![notice]);
        }
        Self::staff_responded(&mut t, scene.now);
        t.claimed_at = Some(scene.now);
        if scene.person.is_some() {
            t.assignee = scene.person.clone();
        }
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Claimed, "");
        let mut notice = Notice::plain(
            self.texts
                .claimed(&scene.number(&t.grid, t.no), &scene.event.sender.name),
            Some(t.id),
        );
        notice.buttons = vec![self.done_button(&t.number())];
        Ok(vec![notice])
    }
}
