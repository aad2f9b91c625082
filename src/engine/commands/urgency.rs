//! Correct a ticket's urgency: `/urgency 42 urgent|normal` (改为紧急 42, 改为一般 42).
//! Deadlines follow the new urgency, counted from when the ticket was opened (the promise
//! stands from the report).

use crate::domain::TicketState;
use crate::domain::Urgency;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::corrections::Correction;
use crate::engine::timers::{ESCALATE_CLAIM, ESCALATE_RESOLVE, REMIND_CLAIM, REMIND_RESOLVE};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct SetUrgency(pub TicketNo, pub Urgency);

impl ChatCommand for SetUrgency {
    const SPEC: Spec = Spec {
        slash: "urgency",
        slash_aliases: &[],
        words: &["改为紧急", "改为一般", "改成紧急", "改成一般"],
        usage: ("/urgency 42 urgent|normal", "改为紧急 42"),
        example: "/urgency 42 urgent",
        who: Who::Supervisors,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::urgency_command,
    };

    fn read(word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        // 改为紧急 42 says the level in its word; /urgency 42 urgent after the number.
        let level = match rest.trim() {
            "" => word
                .strip_prefix("改为")
                .or_else(|| word.strip_prefix("改成")),
            level => Some(level),
        };
        let urgency = match level.map(str::to_lowercase).as_deref() {
            Some("urgent" | "紧急" | "急") => Urgency::Urgent,
            Some("normal" | "一般" | "普通" | "不急") => Urgency::Normal,
            _ => return Err(Problem::BadUrgency),
        };
        Ok(SetUrgency(n, urgency))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let mut t = granted!(engine.access(tx, scene, n, Name::Urgency).await?);
        let texts = &engine.texts;
        let (no, to) = (scene.number(&t.grid, t.no), self.1);
        if t.urgency == to {
            return Ok(vec![Notice::plain(
                texts.already_so(&no, texts.urgency(to)),
                None,
            )]);
        }
        let detail = format!("{} {}", t.urgency.id(), to.id());
        t.urgency = to;
        let due = engine.due(t.created_at, to);
        t.claim_due = due.claim_by;
        t.resolve_due = due.resolve_by;
        if t.extensions > 0 {
            // Approved extensions (延期) keep their days on the recomputed deadline.
            let days: i64 = tx
                .extensions_of(t.id)
                .await?
                .iter()
                .filter(|e| e.state == crate::domain::extension::ExtensionState::Approved)
                .map(|e| e.days)
                .sum();
            t.resolve_due += days * 24 * 3600 * 1000;
        }
        if t.state.is_active() {
            // The old urgency's reminders and escalations give way to the new ones.
            let old = [
                REMIND_CLAIM,
                ESCALATE_CLAIM,
                REMIND_RESOLVE,
                ESCALATE_RESOLVE,
            ];
            tx.cancel_timers(t.id, &old, scene.now).await?;
            let open = t.state == TicketState::Open;
            engine.schedule(tx, t.id, to, t.created_at, open).await?;
        }
        let w = engine.window(to);
        let text = texts.urgency_changed(
            &no,
            texts.urgency(to),
            &texts.duration(w.claim.as_millis()),
            &texts.duration(w.resolve.as_millis()),
            &scene.event.sender.name,
        );
        engine
            .corrected(tx, fx, scene, &mut t, Correction::Urgency(to), &detail)
            .await?;
        Ok(vec![Notice::plain(text, Some(t.id))])
    }
}
