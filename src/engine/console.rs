//! Console actions (督办, reassign, note, dismiss) run through the chat commands' own
//! implementation: the console builds the same [`Command`] a chat message would parse to, and
//! the engine applies it for the signed-in person with the same permission checks, history
//! lines and outbox messages. What the command would have answered in a private chat comes
//! back as text for the console to show; what it would have posted about the ticket goes to
//! the ticket's group.

use super::commands::Command;
use crate::domain::message::{ChatKind, ChatRef, EventKind, InboundEvent, Sender};
use crate::store::{Store, StoreError};

use super::{Effects, Engine, Readings, Scene};

/// What a console action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleOutcome {
    /// The answers the person would have read in chat (done, refused, why).
    pub answers: Vec<String>,
    /// Messages written to the outbox (0 when the command was refused).
    pub sent: usize,
    /// Ticket history lines written.
    pub recorded: usize,
}

impl Engine {
    /// Applies `cmd` about ticket `ticket` as person `person` (named `name`) acting from the
    /// console, in one transaction.
    pub async fn console_command(
        &self,
        store: &Store,
        person: &str,
        name: &str,
        ticket: i64,
        cmd: Command,
    ) -> Result<ConsoleOutcome, StoreError> {
        let now = self.clock.now();
        let mut tx = store.begin().await?;
        // The ticket's platform, so that a reassignment mentions the new assignee by their
        // account there; the sender is nobody's account on it.
        let (platform, account) = match tx.ticket(ticket).await? {
            Some(t) => (t.platform, t.account),
            None => ("console".to_string(), "console".to_string()),
        };
        let grants = tx.console_grants(person).await?;
        let event = InboundEvent {
            platform,
            account,
            event_id: format!("console-{person}-{now}"),
            chat: ChatRef {
                id: format!("console:{person}"),
                kind: ChatKind::Private,
                title: None,
                thread: None,
            },
            sender: Sender {
                id: format!("console:{person}"),
                name: name.to_string(),
                username: None,
            },
            kind: EventKind::Message {
                message_id: String::new(),
                text: String::new(),
                reply_to: None,
                mentions: Vec::new(),
                photos: Vec::new(),
            },
            at: now,
        };
        let readings = Readings::default();
        let scene = Scene {
            event: &event,
            inbox_id: 0,
            now,
            group: None,
            person: Some(person.to_string()),
            standing: crate::domain::role::standing(&grants, None),
            grants,
            message_id: None,
            callback: None,
            card: None,
            readings: &readings,
            narrowed: false,
        };
        let mut fx = Effects::default();
        let notices = self.run_command(&mut tx, &mut fx, &scene, cmd).await?;
        let mut answers = Vec::new();
        for n in notices {
            answers.push(n.text.clone());
            // A notice about a ticket is for its group (as when the command is typed there).
            if let Some(id) = n.ticket
                && let Some(t) = tx.ticket(id).await?
            {
                self.to_ticket_chat(&mut fx, &t, n.text, n.mentions, None);
            }
        }
        let recorded = fx.events.len();
        let sent = self
            .write_effects(&mut tx, fx, now, crate::store::outbox::Priority::Reply)
            .await?;
        tx.commit().await?;
        Ok(ConsoleOutcome {
            answers,
            sent,
            recorded,
        })
    }
}
