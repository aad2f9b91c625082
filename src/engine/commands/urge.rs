//! Remind the assignee, on the record: `/urge 42 [what to do]` (督办 42 请今天内处理完). A
//! coordinator's supervision: the reminder, with the coordinator's words when given, is posted
//! in the ticket's group; like any other it waits for the end of quiet hours on a normal
//! ticket.

use crate::domain::role::{self, Who};
use crate::domain::{HistoryKind, Number, TicketRef};
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::timers::mention_of;
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number, trim_joiners};

/// The ticket and what the supervisor asks for (may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Urge(pub TicketNo, pub String);

impl ChatCommand for Urge {
    const SPEC: Spec = Spec {
        slash: "urge",
        slash_aliases: &[],
        words: &["督办", "催办"],
        usage: ("/urge 42 [what to do]", "督办 42 [督办意见]"),
        example: "/urge 42",
        who: Who::Coordinators,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::urge_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, after) = number(rest)?;
        Ok(Urge(n, trim_joiners(after).to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let texts = &engine.texts;
        let Some(t) = tx.ticket(n).await? else {
            return Ok(vec![Notice::plain(
                texts.no_such_ticket(&TicketRef::here(n)),
                None,
            )]);
        };
        let path = tx.grid(&t.grid).await?.map(|g| g.path);
        let subject = role::Subject {
            grants: &scene.grants,
            grid_path: path.as_deref(),
            is_reporter: false,
            is_assignee: false,
        };
        let no = scene.number(&t.grid, t.no);
        if !Self::SPEC.who.admits(subject) {
            return Ok(vec![engine.refusal(scene, Name::Urge, Some(&no))]);
        }
        if let Some(notice) = engine.unless_active(scene, &t, Name::Urge) {
            return Ok(vec![notice]);
        }
        fx.record(scene, t.id, HistoryKind::Urged, &self.1);
        let assignee = engine.assignee(tx, &t).await?;
        let name = assignee.as_ref().map_or("", |p| p.name.as_str());
        let text = texts.urged(
            &Number::local(&t.grid, t.no),
            &scene.event.sender.name,
            name,
            &self.1,
        );
        let in_ticket_chat = t.platform == scene.platform() && t.chat_id == scene.event.chat.id;
        // A reminder like any other: a normal ticket's waits for the end of quiet hours.
        let hold = engine.hold(t.urgency, scene.now);
        if in_ticket_chat && hold.is_none() {
            let mut notice = Notice::plain(text, Some(t.id));
            notice.mentions = mention_of(assignee.iter());
            notice.as_reply = false;
            return Ok(vec![notice]);
        }
        engine.to_ticket_chat(fx, &t, text, mention_of(assignee.iter()), hold);
        let at = hold.map(|at| texts.clock_time(at, engine.tz()));
        Ok(vec![Notice::plain(
            texts.urge_recorded(&no, at.as_deref()),
            None,
        )])
    }
}
