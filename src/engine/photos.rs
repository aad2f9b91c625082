//! One problem, one ticket, for photos: a resident's text and the photos they send just before
//! or after it (within `parser.photo_window`, by the platform's event times) are one report.
//!
//! - A photo without text sent in reply to a ticket's card is attached to that ticket.
//! - A photo without text from a resident whose report (a message that opened or joined a
//!   ticket) in the same chat is at most a window old is attached to that ticket: a `photo`
//!   history event with the photo's reference. No ticket, no reply.
//! - Any other photo of a bound group's message waits (`photos.ticket_id` NULL). A ticket
//!   opened or joined by the same sender's message in the same chat within the window takes it.
//! - A photo with a caption is one message: if the caption opens a ticket, the photo is its own.
//!
//! Photos of another sender, or older than the window, change nothing; waiting photos a report
//! can no longer claim are forgotten when the same sender next posts a photo, and by the
//! timer pass a day after the longest claim window.
//!
//! Photos from staff (the sender's standing over the group's grid) are evidence of the work
//! (办结凭证) rather than part of a report: sent with 办结, replying to any of the ticket's
//! messages (card, claim notice, resolution notice) before or after 办结, or sent without text
//! by the resolver within the window before their 办结. A photo sent after 办结 without replying
//! waits for that sender's next 办结 (which one it shows cannot be told otherwise).
//! `evidence.photo_required` categories are not resolved without one
//! ([`Engine::evidence_for_resolve`]).

use super::{Effects, Engine, Scene};
use crate::domain::HistoryKind;
use crate::domain::message::EventKind;
use crate::store::photos::Photo;
use crate::store::{StoreError, Tx};

impl Engine {
    /// The photos the scene's message came with, as evidence of the work or not.
    fn photos_of(scene: &Scene<'_>, evidence: bool) -> Vec<Photo> {
        let ev = scene.event;
        let EventKind::Message { photos, .. } = &ev.kind else {
            return Vec::new();
        };
        photos
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| Photo {
                platform: ev.platform.clone(),
                chat_id: ev.chat.id.clone(),
                sender_id: ev.sender.id.clone(),
                inbox_id: scene.inbox_id,
                photo: p.clone(),
                sent_at: ev.at,
                evidence,
            })
            .collect()
    }

    fn photo_window(&self) -> i64 {
        self.settings.parser.photo_window.as_millis()
    }

    /// The scene's sender reported a problem that is ticket `ticket`, in a message sent at
    /// `at` (event time): the message's own photos and their waiting ones from around then
    /// are the ticket's, and photos they send next within the window will be too.
    pub(super) async fn photos_for_report(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        ticket: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        let ev = scene.event;
        let window = self.photo_window();
        let own = tx
            .add_photos(&Self::photos_of(scene, false), Some(ticket))
            .await?;
        let waiting = tx
            .claim_waiting_photos(
                &ev.platform,
                &ev.chat.id,
                &ev.sender.id,
                at - window,
                at + window,
                ticket,
            )
            .await?;
        for photo in waiting.iter().chain(own.iter()) {
            fx.record(scene, ticket, HistoryKind::Photo, photo);
        }
        if !waiting.is_empty() || !own.is_empty() {
            tracing::info!(
                ticket,
                photos = waiting.len() + own.len(),
                "photos attached to a report"
            );
        }
        // Waiting photos are not cleared here: a confirmed request is opened by the answer, and
        // the photos around the original message are claimed after this, by its own time.
        tx.note_report(&ev.platform, &ev.chat.id, &ev.sender.id, ticket, at);
        Ok(())
    }

    /// A message with photos that is not (yet) a report: a photo without text joins the
    /// sender's report of a moment ago, if any; otherwise the photos wait for one.
    pub(super) async fn photos_without_report(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<(), StoreError> {
        let evidence = scene.standing.is_staff();
        let photos = Self::photos_of(scene, evidence);
        if photos.is_empty() || !scene.group.as_ref().is_some_and(|g| g.active) {
            return Ok(());
        }
        let only_photos = text.trim().is_empty();
        let ev = scene.event;
        let window = self.photo_window();
        // A photo sent in reply to a ticket's card belongs to that ticket, whoever sends it
        // and however late; otherwise a photo without text joins its sender's report of a
        // moment ago.
        let replied = match &ev.kind {
            EventKind::Message {
                reply_to: Some(r), ..
            } if only_photos => {
                tx.ticket_of_bot_message(&ev.platform, &ev.chat.id, r)
                    .await?
            }
            _ => None,
        };
        let ticket = match replied {
            Some(t) => Some(t),
            None if only_photos => {
                tx.recent_report(&ev.platform, &ev.chat.id, &ev.sender.id, ev.at - window)
                    .await?
            }
            None => None,
        };
        if let Some(ticket) = ticket {
            let added = tx.add_photos(&photos, Some(ticket)).await?;
            let kind = if evidence {
                HistoryKind::Evidence
            } else {
                HistoryKind::Photo
            };
            for photo in &added {
                fx.record(scene, ticket, kind, photo);
            }
            tracing::info!(
                ticket,
                photos = added.len(),
                evidence,
                "photo joined its ticket"
            );
            return Ok(());
        }
        tx.drop_waiting_photos(&ev.platform, &ev.chat.id, &ev.sender.id, ev.at - window)
            .await?;
        tx.add_photos(&photos, None).await?;
        Ok(())
    }

    /// The evidence a 办结 comes with: the message's own photos and the resolver's photos
    /// waiting from the window before it, attached to the ticket as evidence. `Err` with the
    /// refusal when the ticket's category needs a photo and it has none.
    pub(super) async fn evidence_for_resolve(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        t: &crate::store::tickets::Ticket,
    ) -> Result<Result<(), super::Notice>, StoreError> {
        let ev = scene.event;
        let mut added = tx
            .add_photos(&Self::photos_of(scene, true), Some(t.id))
            .await?;
        if scene.group.is_some() {
            let window = self.photo_window();
            added.extend(
                tx.claim_waiting_evidence(
                    &ev.platform,
                    &ev.chat.id,
                    &ev.sender.id,
                    ev.at - window,
                    ev.at,
                    t.id,
                )
                .await?,
            );
        }
        if added.is_empty()
            && self.settings.evidence.photo_required.contains(&t.category)
            && tx.evidence_count(t.id).await? == 0
        {
            tracing::info!(ticket = t.id, category = %t.category, "resolve refused: no evidence photo");
            let no = scene.number(&t.grid, t.no);
            let text = self
                .texts
                .evidence_required(&no, self.texts.category(t.category));
            return Ok(Err(super::Notice::plain(text, None)));
        }
        for photo in &added {
            fx.record(scene, t.id, HistoryKind::Evidence, photo);
        }
        Ok(Ok(()))
    }
}
