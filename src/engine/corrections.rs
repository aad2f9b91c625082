//! What the two corrections share (改类 in `commands/recategorize.rs`, 改为紧急/改为一般 in
//! `commands/urgency.rs`): a leader over the ticket's grid, or a coordinator above it, sets what
//! the parser got wrong. Each command changes its field; here the ticket is saved, the history
//! keeps who changed what from what (which redraws the card), and the resident's words are kept
//! with the corrected reading for the parser to learn from.

use super::{Effects, Engine, Scene};
use crate::domain::{Category, HistoryKind, Urgency};
use crate::store::examples::{self, ExampleSource, LabelledExample};
use crate::store::tickets::Ticket;
use crate::store::{StoreError, Tx};

/// What a correction set.
#[derive(Debug, Clone, Copy)]
pub(super) enum Correction {
    Category(Category),
    Urgency(Urgency),
}

impl Engine {
    /// Saves ticket `t` as corrected by the sender: `detail` is "from to" in ids.
    pub(super) async fn corrected(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        t: &mut Ticket,
        correction: Correction,
        detail: &str,
    ) -> Result<(), StoreError> {
        let kind = match correction {
            Correction::Category(_) => HistoryKind::Recategorized,
            Correction::Urgency(_) => HistoryKind::UrgencyChanged,
        };
        t.updated_at = scene.now;
        tx.update_ticket(t).await?;
        fx.record(scene, t.id, kind, detail);
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
        Ok(())
    }
}
