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

use super::{Effects, Engine, Scene};
use crate::domain::HistoryKind;
use crate::domain::message::EventKind;
use crate::store::photos::Photo;
use crate::store::{StoreError, Tx};

impl Engine {
    /// The photos the scene's message came with.
    fn photos_of(scene: &Scene<'_>) -> Vec<Photo> {
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
        let own = tx.add_photos(&Self::photos_of(scene), Some(ticket)).await?;
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
        let photos = Self::photos_of(scene);
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
            for photo in &added {
                fx.record(scene, ticket, HistoryKind::Photo, photo);
            }
            tracing::info!(
                ticket,
                photos = added.len(),
                "photo joined its sender's report"
            );
            return Ok(());
        }
        tx.drop_waiting_photos(&ev.platform, &ev.chat.id, &ev.sender.id, ev.at - window)
            .await?;
        tx.add_photos(&photos, None).await?;
        Ok(())
    }
}
