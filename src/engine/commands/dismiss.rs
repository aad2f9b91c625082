//! Not a request, or a duplicate: `/dismiss 42 重复 7` (驳回 42 理由).

use crate::domain::HistoryKind;
use crate::domain::TicketRef;
use crate::domain::role::Who;
use crate::domain::ticket::Transition;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Dismiss {
    pub ticket: TicketNo,
    pub reason: String,
    /// The ticket this one repeats, when the reason names one ("重复 7").
    pub duplicate_of: Option<TicketNo>,
}

impl ChatCommand for Dismiss {
    const SPEC: Spec = Spec {
        slash: "dismiss",
        slash_aliases: &[],
        words: &["驳回"],
        usage: ("/dismiss 42 理由", "驳回 42 理由"),
        example: "/dismiss 42 重复 7",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::dismiss_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (ticket, rest) = number(rest)?;
        let reason = rest.trim().to_string();
        let duplicate_of = duplicate_reference(&reason);
        Ok(Dismiss {
            ticket,
            reason,
            duplicate_of,
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(
            engine
                .find_ticket(tx, scene, &self.ticket, Self::NAME)
                .await?
        );
        let duplicate_of = match &self.duplicate_of {
            Some(of) => Some(found!(engine.find_ticket(tx, scene, of, Self::NAME).await?)),
            None => None,
        };
        let reason = self.reason.as_str();
        let mut t = granted!(engine.access(tx, scene, n, Name::Dismiss).await?);
        let original = match duplicate_of {
            Some(of) => match tx.ticket(of).await?.filter(|o| o.id != t.id) {
                Some(o) => Some(scene.number(&o.grid, o.no)),
                None => {
                    let typed = crate::domain::TicketRef::here(t.no);
                    return Ok(vec![Notice::plain(
                        engine.texts.no_such_ticket(&typed),
                        None,
                    )]);
                }
            },
            None => None,
        };
        if let Err(notice) = engine
            .transition(tx, scene, &mut t, Transition::Dismiss, Name::Dismiss)
            .await?
        {
            return Ok(vec![notice]);
        }
        Engine::staff_responded(&mut t, scene.now);
        t.closed_at = Some(scene.now);
        t.duplicate_of = duplicate_of;
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Dismissed, reason);
        if original.is_none() {
            // Not a request (a duplicate is one): an example for the parser to learn from.
            let example = crate::store::examples::LabelledExample {
                ticket_id: Some(t.id),
                text: t.body.clone(),
                is_request: false,
                category: None,
                urgency: None,
                source: crate::store::examples::ExampleSource::Dismiss,
                actor: scene.actor(),
                created_at: scene.now,
            };
            crate::store::examples::record(tx, &example).await?;
        }
        let text = match &original {
            Some(of) => engine.texts.duplicate(&scene.number(&t.grid, t.no), of),
            None => engine.texts.dismissed(&scene.number(&t.grid, t.no), reason),
        };
        Ok(vec![Notice::plain(text, Some(t.id))])
    }
}

/// "重复 7", "与7重复", "duplicate of 7", "dup #7" → 7; "重复 QS-DF-01#7" → that ticket.
fn duplicate_reference(reason: &str) -> Option<TicketNo> {
    let lower = reason.to_lowercase();
    if !(lower.contains("重复") || lower.contains("dup")) {
        return None;
    }
    let qualified = reason
        .split(|c: char| c.is_whitespace() || "，,。:：与和".contains(c))
        .filter_map(TicketRef::parse)
        .find(|r| r.grid.is_some());
    if qualified.is_some() {
        return qualified;
    }
    let digits: String = lower
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|n| *n > 0).map(TicketRef::here)
}
