//! Corrections (改类, 改为紧急/改为一般): a leader over the ticket's grid, or a coordinator above
//! it, sets what the parser got wrong. Deadlines follow the new urgency, counted from when the
//! ticket was opened (the promise stands from the report); the card is redrawn; the history
//! keeps who changed what from what.

use super::commands::Name;
use super::timers::{ESCALATE_CLAIM, ESCALATE_RESOLVE, REMIND_CLAIM, REMIND_RESOLVE};
use super::{Effects, Engine, Notice, Scene};
use crate::domain::{Category, HistoryKind, TicketState, Urgency};
use crate::store::examples::{self, ExampleSource, LabelledExample};
use crate::store::{StoreError, Tx};

type Outcome = Result<Vec<Notice>, StoreError>;

/// What a correction sets.
#[derive(Debug, Clone, Copy)]
pub(super) enum Correction {
    Category(Category),
    Urgency(Urgency),
}

impl Engine {
    pub(super) async fn correct(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
        correction: Correction,
    ) -> Outcome {
        let name = match correction {
            Correction::Category(_) => Name::Recategorize,
            Correction::Urgency(_) => Name::Urgency,
        };
        let mut t = match self.access(tx, scene, n, name).await? {
            super::tickets::Access::Granted(t) => t,
            super::tickets::Access::Refused(notice) => return Ok(vec![notice]),
        };
        let no = scene.number(&t.grid, t.no);
        let (kind, detail, text) = match correction {
            Correction::Category(to) => {
                if t.category == to {
                    return Ok(vec![Notice::plain(
                        self.texts.already_so(&no, self.texts.category(to)),
                        None,
                    )]);
                }
                let detail = format!("{} {}", t.category.id(), to.id());
                t.category = to;
                let text = self.texts.recategorized(
                    &no,
                    self.texts.category(to),
                    &scene.event.sender.name,
                );
                (HistoryKind::Recategorized, detail, text)
            }
            Correction::Urgency(to) => {
                if t.urgency == to {
                    return Ok(vec![Notice::plain(
                        self.texts.already_so(&no, self.texts.urgency(to)),
                        None,
                    )]);
                }
                let detail = format!("{} {}", t.urgency.id(), to.id());
                t.urgency = to;
                let due = self.due(t.created_at, to);
                t.claim_due = due.claim_by;
                t.resolve_due = due.resolve_by;
                if t.state.is_active() {
                    // The old urgency's reminders and escalations give way to the new ones.
                    tx.cancel_timers(
                        t.id,
                        &[
                            REMIND_CLAIM,
                            ESCALATE_CLAIM,
                            REMIND_RESOLVE,
                            ESCALATE_RESOLVE,
                        ],
                        scene.now,
                    )
                    .await?;
                    self.schedule(tx, t.id, to, t.created_at, t.state == TicketState::Open)
                        .await?;
                }
                let w = self.window(to);
                let text = self.texts.urgency_changed(
                    &no,
                    self.texts.urgency(to),
                    &self.texts.duration(w.claim.as_millis()),
                    &self.texts.duration(w.resolve.as_millis()),
                    &scene.event.sender.name,
                );
                (HistoryKind::UrgencyChanged, detail, text)
            }
        };
        t.updated_at = scene.now;
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, kind, &detail);
        // Kept for the parser to learn from: the resident's words with the corrected reading.
        let (category, urgency, source) = match correction {
            Correction::Category(c) => (Some(c), None, ExampleSource::Recategorize),
            Correction::Urgency(u) => (None, Some(u), ExampleSource::Urgency),
        };
        examples::record(
            tx,
            &LabelledExample {
                ticket_id: Some(t.id),
                text: t.body.clone(),
                is_request: true,
                category,
                urgency,
                source,
                actor: scene.actor(),
                created_at: scene.now,
            },
        )
        .await?;
        tracing::info!(ticket = t.id, %kind, %detail, "ticket corrected");
        Ok(vec![Notice::plain(text, Some(t.id))])
    }
}
