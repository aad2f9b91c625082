//! The engine: applies inbox events. For each one it decides whether it is a command, a reply
//! to a ticket card, a new request or nothing, changes tickets through the pure state machine,
//! and writes every message the chat must see to the outbox in the same transaction.
//!
//! - [`apply_read`](Engine::apply_read): a batch of inbox rows in the caller's transaction.
//!   The engine is the intake's [`Apply`](crate::intake::Apply): the intake calls it in its
//!   own transaction for fresh events and in its processor's for a backlog.
//! - `commands/`: the chat commands, one file each (see `commands/mod.rs`).
//! - `photos.rs`: photos sent around a report join its ticket.
//! - `tickets.rs`: opening tickets, what the ticket commands share, replies to cards, cards.
//! - `queries.rs`: what the read-only commands share (listings, a supervisor's scope).
//! - `corrections.rs`: what the two corrections (改类, 改为紧急) share.
//! - `timers.rs`: deadlines as they fall due — reminders, escalation, rating timeouts.
//! - `digest.rs`: the daily group summary and the weekly coordinator report.
//! - `console.rs`: the web console's actions, through the same commands.

/// The ticket id a [`Engine::find_ticket`] found, or return its notice as the answer.
macro_rules! found {
    ($found:expr) => {
        match $found {
            Ok(id) => id,
            Err(notice) => return Ok(vec![notice]),
        }
    };
}

/// The ticket of an [`Access`](tickets::Access) (from [`Engine::access`]), or return its
/// refusal as the answer.
macro_rules! granted {
    ($access:expr) => {
        match $access {
            $crate::engine::tickets::Access::Granted(t) => t,
            $crate::engine::tickets::Access::Refused(notice) => return Ok(vec![notice]),
        }
    };
}

mod console;
mod corrections;
mod digest;
mod photos;
mod places;
mod private;
mod queries;
mod tickets;
mod timers;
mod understanding;

use std::collections::HashMap;
use std::sync::Arc;

use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::calendar::Calendar;
use crate::domain::message::{
    Button, Capabilities, ChatKind, EventKind, InboundEvent, Mention, Outbound, OutboundMessage,
};
use crate::domain::quiet::QuietHours;
use crate::domain::role::{self, Grant};
use crate::domain::{Category, HistoryKind, Number, Role, TicketRef, Urgency};
use crate::i18n::Texts;
use crate::store::inbox::InboxRow;
use crate::store::outbox::NewOutbound;
use crate::store::roster::GroupBinding;
use crate::store::tickets::TicketEvent;
use crate::store::{Store, StoreError, Tx};
use crate::understand::command::{self as grammar, Problem};
use crate::understand::{Parser, Understanding};

pub mod commands;

use commands::{Command, Name, Parsed};

/// Everything the engine needs, built once at start.
pub struct Engine {
    parser: Arc<Parser>,
    texts: Texts,
    settings: Arc<Settings>,
    capabilities: HashMap<String, Capabilities>,
    clock: Arc<Clock>,
    /// Counts deadlines in calendar or working time.
    calendar: Calendar,
    /// When non-urgent reminders and notices wait (sla.quiet_hours).
    quiet: Option<QuietHours>,
    /// Safety advice on urgent cards (general.safety_advice).
    safety: crate::domain::safety::SafetyAdvice,
    /// Told after every commit which events it covered (the benchmark times replies with it);
    /// nothing is built when nobody listens.
    committed: tokio::sync::broadcast::Sender<Arc<Committed>>,
    /// Told after each statistics answer is queued (the benchmark times answers with it).
    answered: tokio::sync::broadcast::Sender<Arc<Answered>>,
    /// Answering statistics questions waits for this (tests hold it: [`Engine::hold_answers`]).
    answers_held: Arc<tokio::sync::RwLock<()>>,
    /// Told after a commit that recorded statistics questions.
    questions_asked: Arc<tokio::sync::Notify>,
    /// The batch being applied recorded statistics questions.
    asking: std::sync::atomic::AtomicBool,
}

pub use console::ConsoleOutcome;

/// The events one transaction applied, and when it committed.
#[derive(Debug)]
pub struct Committed {
    pub at: std::time::Instant,
    /// `(platform, account, event id)` of every event in the batch.
    pub events: Vec<(String, String, String)>,
}

/// A statistics answer queued in the outbox, and when its transaction committed.
#[derive(Debug)]
pub struct Answered {
    pub at: std::time::Instant,
    /// The platform and chat the answer goes to; one chat's answers come in the order its
    /// questions were asked.
    pub platform: String,
    pub chat: String,
}

/// What one event is being handled in: who, where, when.
struct Scene<'a> {
    event: &'a InboundEvent,
    inbox_id: i64,
    now: i64,
    group: Option<GroupBinding>,
    person: Option<String>,
    grants: Vec<Grant>,
    /// The sender's most senior role over this group's grid.
    standing: Role,
    /// The platform message this event came with (for replies), if any.
    message_id: Option<String>,
    /// Set for button presses: refusals go to the toast, not the chat.
    callback: Option<String>,
    /// The ticket of the bot message a pressed button sits on: it, not the number in the
    /// button, says which ticket is meant (cards posted before tickets were numbered per grid
    /// carry old numbers).
    card: Option<i64>,
    /// The batch's texts read ahead of its transaction.
    readings: &'a Readings,
    /// The answer covers only the group's own grid (no private chat to send more to).
    narrowed: bool,
}

impl Scene<'_> {
    fn platform(&self) -> &str {
        &self.event.platform
    }
    fn sender_id(&self) -> &str {
        &self.event.sender.id
    }
    /// The actor recorded in ticket history.
    fn actor(&self) -> String {
        self.person
            .clone()
            .unwrap_or_else(|| format!("{}:{}", self.event.platform, self.event.sender.id))
    }
    /// Whether the sender writes as staff here: staff over this group's grid, or, where no
    /// grid is bound (their private chat with the bot), staff anywhere. Staff write commands
    /// and questions, not reports.
    fn writes_as_staff(&self) -> bool {
        self.standing.is_staff() || (self.group.is_none() && role::is_staff_anywhere(&self.grants))
    }
    /// Whether the sender supervises grids (a coordinator or an admin, anywhere).
    fn supervises(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.role, role::Role::Coordinator | role::Role::Admin))
    }
    fn grid_path(&self) -> Option<&str> {
        self.group.as_ref().map(|g| g.grid_path.as_str())
    }
    /// Whether the sender may use command `name` here: about this group's grid (about none in
    /// a private chat), as neither a ticket's reporter nor its assignee. Commands about a
    /// ticket ask [`Engine::access`] instead.
    fn may(&self, name: Name) -> bool {
        let subject = role::Subject {
            grants: &self.grants,
            grid_path: self.grid_path(),
            is_reporter: false,
            is_assignee: false,
        };
        name.spec().who.admits(subject)
    }
    /// Whether the sender wrote a slash command (`/done 3`) rather than the Chinese word (办结
    /// 3): answers about how to write things use the sender's form. A button press counts as
    /// the Chinese form (nobody typed it).
    fn typed_slash(&self) -> bool {
        match &self.event.kind {
            EventKind::Message { text, .. } => text.trim_start().starts_with('/'),
            _ => false,
        }
    }

    /// A ticket's number as this chat should see it: `#12` in a chat of the ticket's own
    /// grid, `QS-DF-01#12` anywhere else.
    fn number(&self, grid: &str, no: i64) -> Number {
        if self.group.as_ref().is_some_and(|g| g.grid == grid) {
            Number::local(grid, no)
        } else {
            Number::qualified(grid, no)
        }
    }
}

/// What the parser made of a batch's texts before the batch's transaction began (see
/// [`Engine::read_ahead`]).
#[derive(Debug, Default)]
pub struct Readings {
    /// Keyed by the text the engine asks about, read as a resident's.
    understood: HashMap<String, Understanding>,
    /// What each message's text is as a command, keyed by the text.
    commands: HashMap<String, Parsed>,
}

impl Readings {
    /// What `text` is as a command: looked up when it was read ahead, parsed now otherwise.
    fn command(&self, text: &str) -> Parsed {
        match self.commands.get(text) {
            Some(parsed) => parsed.clone(),
            None => commands::parse(text),
        }
    }
}

/// What a command or step answers: the notices for the chat.
type Outcome = Result<Vec<Notice>, StoreError>;

/// Writes a transaction collects before commit.
#[derive(Default)]
struct Effects {
    outbound: Vec<NewOutbound>,
    /// Statistics questions to answer after commit (`commands/stats.rs`).
    questions: Vec<crate::store::questions::NewQuestion>,
    events: Vec<TicketEvent>,
    /// Tickets whose card must be redrawn before commit, with the `(platform, chat)` the change
    /// was made from (`None`: a timer, which tells the ticket's chat itself).
    touched: Vec<(i64, Option<(String, String)>)>,
}

/// Whether a history line of this kind changes what the ticket's card shows.
fn changes_card(kind: HistoryKind) -> bool {
    matches!(
        kind,
        HistoryKind::Claimed
            | HistoryKind::Resolved
            | HistoryKind::Rated
            | HistoryKind::Closed
            | HistoryKind::Reopened
            | HistoryKind::Dismissed
            | HistoryKind::Cancelled
            | HistoryKind::Transferred
            | HistoryKind::HandedOver
            | HistoryKind::ClosedUnrated
            | HistoryKind::Recategorized
            | HistoryKind::UrgencyChanged
            | HistoryKind::Evidence
            | HistoryKind::ExtensionApproved
            | HistoryKind::Relocated
    )
}

/// Whether a history event changes the ticket's state: the card's status line names who made
/// the last such change and when (as `Tx::last_change` reads them from the history).
fn changes_state(kind: HistoryKind) -> bool {
    matches!(
        kind,
        HistoryKind::Claimed
            | HistoryKind::Resolved
            | HistoryKind::Rated
            | HistoryKind::Reopened
            | HistoryKind::Dismissed
            | HistoryKind::Cancelled
            | HistoryKind::ClosedUnrated
    )
}

impl Effects {
    fn record(&mut self, scene: &Scene<'_>, ticket: i64, kind: HistoryKind, detail: &str) {
        if changes_card(kind) {
            let from = (scene.event.platform.clone(), scene.event.chat.id.clone());
            self.touched.push((ticket, Some(from)));
        }
        self.events.push(TicketEvent {
            ticket_id: ticket,
            at: scene.now,
            actor: scene.actor(),
            actor_name: scene.event.sender.name.clone(),
            kind,
            detail: detail.to_string(),
        });
    }

    /// A history line written by gridline itself (timers), not by a person.
    fn record_system(&mut self, ticket: i64, at: i64, kind: HistoryKind, detail: &str) {
        if changes_card(kind) {
            self.touched.push((ticket, None));
        }
        self.events.push(TicketEvent {
            ticket_id: ticket,
            at,
            actor: "system".into(),
            actor_name: "gridline".into(),
            kind,
            detail: detail.to_string(),
        });
    }
}

/// A message for the chat the event came from.
struct Notice {
    text: String,
    ticket: Option<i64>,
    mentions: Vec<Mention>,
    buttons: Vec<Button>,
    /// Answer the triggering message as a reply.
    as_reply: bool,
    /// A statistics question: the answer is read after commit (`commands/stats.rs`) and
    /// `text`, often empty, follows its figures.
    asked: Option<commands::stats::Asked>,
}

impl Notice {
    fn plain(text: String, ticket: Option<i64>) -> Notice {
        Notice {
            text,
            ticket,
            mentions: Vec::new(),
            buttons: Vec::new(),
            as_reply: true,
            asked: None,
        }
    }

    /// The answer to a statistics question, read after commit.
    fn asked(asked: commands::stats::Asked) -> Notice {
        Notice {
            asked: Some(asked),
            ..Notice::plain(String::new(), None)
        }
    }

    /// Adds a line after the notice's text (after the figures, for a statistics answer).
    fn append_line(&mut self, line: &str) {
        self.text = if self.text.is_empty() {
            line.to_string()
        } else {
            format!("{}\n{line}", self.text)
        };
    }
}

impl Engine {
    pub fn new(
        parser: Arc<Parser>,
        settings: Arc<Settings>,
        capabilities: HashMap<String, Capabilities>,
        clock: Arc<Clock>,
        calendar: Calendar,
    ) -> Engine {
        Engine {
            parser,
            texts: Texts::new(settings.general.language),
            quiet: settings.sla.quiet(),
            safety: crate::domain::safety::SafetyAdvice::built_in(),
            settings,
            capabilities,
            clock,
            calendar,
            committed: tokio::sync::broadcast::channel(4_096).0,
            answered: tokio::sync::broadcast::channel(4_096).0,
            answers_held: Arc::default(),
            questions_asked: Arc::default(),
            asking: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The same engine with this safety advice instead of the built-in list.
    pub fn with_safety(mut self, safety: crate::domain::safety::SafetyAdvice) -> Engine {
        self.safety = safety;
        self
    }

    /// The advice line an urgent card carries for a report, if any.
    fn safety_line(&self, urgency: Urgency, body: &str, category: Category) -> Option<&str> {
        let (zh, en) = self
            .safety
            .for_report(body, category)
            .filter(|_| urgency == Urgency::Urgent)?;
        Some(match self.settings.general.language {
            crate::config::Language::Zh => zh,
            crate::config::Language::En => en,
        })
    }

    fn tz(&self) -> chrono_tz::Tz {
        self.settings.general.timezone.0
    }

    /// Told after each commit that recorded statistics questions (the loop answering them
    /// waits on it).
    pub fn questions_asked(&self) -> Arc<tokio::sync::Notify> {
        self.questions_asked.clone()
    }

    /// Commits from now on; a receiver that falls more than 4,096 batches behind is told it lagged.
    pub fn watch_commits(&self) -> tokio::sync::broadcast::Receiver<Arc<Committed>> {
        self.committed.subscribe()
    }

    /// Statistics answers queued from now on (lagging as [`Engine::watch_commits`]).
    pub fn watch_answers(&self) -> tokio::sync::broadcast::Receiver<Arc<Answered>> {
        self.answered.subscribe()
    }

    fn buttons_on(&self, platform: &str) -> bool {
        self.capabilities.get(platform).is_some_and(|c| c.buttons)
    }

    /// Reads the messages among `events` ahead of their transaction. Parsing is pure and the
    /// costliest step of handling a message: the intake does it for the next batch while the
    /// current one is being written, on another core, and the writer only looks the answers
    /// up ([`Engine::apply_read`]). What it reads is what [`Engine::understand_and_act`] asks:
    /// a message's text, or the report of a report command.
    pub fn read_ahead(&self, events: &[InboundEvent]) -> Readings {
        let mut readings = Readings::default();
        for ev in events {
            let EventKind::Message { text, .. } = &ev.kind else {
                continue;
            };
            if text.chars().count() > self.settings.intake.max_text_chars
                || readings.commands.contains_key(text)
            {
                continue;
            }
            let parsed = commands::parse(text);
            let asked = match &parsed {
                Parsed::Command(Command::Report(report)) => Some(report.reading()),
                Parsed::NotCommand => Some(text.clone()),
                _ => None,
            };
            readings.commands.insert(text.clone(), parsed);
            if let Some(std::collections::hash_map::Entry::Vacant(slot)) =
                asked.map(|a| readings.understood.entry(a))
            {
                let u = self.parser.parse(slot.key(), false);
                slot.insert(u);
            }
        }
        readings
    }

    /// The parser's reading of `text` from the scene's sender: looked up when it was read
    /// ahead, parsed now otherwise.
    fn read(&self, scene: &Scene<'_>, text: &str) -> Understanding {
        let staff = scene.standing.is_staff();
        match scene.readings.understood.get(text) {
            Some(u) if staff => u.clone().as_staff(),
            Some(u) => u.clone(),
            None => self.parser.parse(text, staff),
        }
    }

    /// Applies inbox rows inside the caller's transaction: every ticket change, history line
    /// and outbox row they cause, with the rows' texts read ahead ([`Engine::read_ahead`]); a
    /// text not among `readings` is parsed as it comes. Marking the rows processed is the
    /// caller's part.
    pub async fn apply_read(
        &self,
        tx: &mut Tx,
        rows: &[InboxRow],
        readings: &Readings,
    ) -> Result<(), StoreError> {
        let t0 = std::time::Instant::now();
        let now = self.clock.now();
        let mut fx = Effects::default();
        // A burst comes from a few groups and many senders: read their roster entries in a
        // few statements for the whole batch instead of one or two per event.
        tx.cache_roster().await?;
        let (chats, senders) = roster_keys(rows.iter().map(|r| &r.event));
        tx.prefetch_roster(&chats, &senders).await?;
        // Photos a report in this batch could claim: sent within the photo window of its
        // message, which for a confirmed request is the original message (confirm_ttl back).
        let p = &self.settings.parser;
        let earliest = rows.iter().map(|r| r.event.at).min().unwrap_or(now);
        tx.prefetch_waiting_photos(
            earliest - p.photo_window.as_millis() - p.confirm_ttl.as_millis(),
        )
        .await?;
        // Ticket ids and grid numbers for the batch's likely requests in a statement or two,
        // not one or two each.
        let likely: Vec<&InboundEvent> = rows
            .iter()
            .map(|r| &r.event)
            .filter(|e| self.likely_ticket(e, readings))
            .collect();
        tx.reserve_ticket_ids(likely.len()).await?;
        let mut grids = Vec::with_capacity(likely.len());
        for e in &likely {
            if let Some(group) = tx.group(&e.platform, &e.chat.id).await? {
                grids.push(group.grid);
            }
        }
        tx.prefetch_grid_numbers(&grids).await?;
        let prefetched = t0.elapsed();
        for row in rows {
            let span =
                tracing::debug_span!("event", inbox = row.id, platform = %row.event.platform);
            self.handle(tx, &mut fx, row, readings, now)
                .instrument(span)
                .await?;
        }
        let handled = t0.elapsed();
        self.write_effects(tx, fx, now, crate::store::outbox::Priority::Reply)
            .await?;
        tracing::debug!(
            rows = rows.len(),
            prefetch_us = prefetched.as_micros() as u64,
            handle_us = (handled - prefetched).as_micros() as u64,
            write_us = (t0.elapsed() - handled).as_micros() as u64,
            "batch applied"
        );
        Ok(())
    }

    /// Writes what a transaction collected, the one way every path does it (events, timers,
    /// the console, digests): the cards of the tickets it changed are redrawn first
    /// ([`Engine::keep_cards_true`]), then the history lines, the outbox rows at `priority`
    /// and the statistics questions. A path that wrote its effects by hand could forget a
    /// card, and the group would keep seeing a state that is no longer true. Answers the
    /// number of outbox rows queued.
    async fn write_effects(
        &self,
        tx: &mut Tx,
        mut fx: Effects,
        now: i64,
        priority: crate::store::outbox::Priority,
    ) -> Result<usize, StoreError> {
        self.keep_cards_true(tx, &mut fx).await?;
        tx.add_events(&fx.events).await?;
        tx.enqueue_with(&fx.outbound, now, priority).await?;
        if !fx.questions.is_empty() {
            tx.ask(&fx.questions, now).await?;
            self.asking
                .store(true, std::sync::atomic::Ordering::Release);
        }
        Ok(fx.outbound.len())
    }

    /// Tells commit watchers (the benchmark) that `rows` were just committed.
    pub fn announce(&self, rows: &[InboxRow]) {
        if self.asking.swap(false, std::sync::atomic::Ordering::AcqRel) {
            self.questions_asked.notify_one();
        }
        if self.committed.receiver_count() == 0 {
            return;
        }
        let events = rows
            .iter()
            .map(|r| {
                let e = &r.event;
                (e.platform.clone(), e.account.clone(), e.event_id.clone())
            })
            .collect();
        let _ = self.committed.send(Arc::new(Committed {
            at: std::time::Instant::now(),
            events,
        }));
    }

    /// Whether an event will most likely open a ticket: a report command, or a group message
    /// the parser would open one for. Only sizes the batch's reservation of ticket numbers.
    fn likely_ticket(&self, ev: &InboundEvent, readings: &Readings) -> bool {
        let EventKind::Message { text, .. } = &ev.kind else {
            return false;
        };
        if ev.chat.kind != ChatKind::Group
            || text.chars().count() > self.settings.intake.max_text_chars
        {
            return false;
        }
        match readings.command(text) {
            Parsed::Command(Command::Report(_)) => true,
            Parsed::NotCommand => {
                let p = &self.settings.parser;
                let read;
                let u = match readings.understood.get(text.as_str()) {
                    Some(u) => u,
                    None => {
                        read = self.parser.parse(text, false);
                        &read
                    }
                };
                u.band(p.open_threshold, p.confirm_threshold) == crate::understand::Band::Open
                    && !self.parser.is_me_too(text)
                    && !grammar::sounds_me_too(text)
            }
            _ => false,
        }
    }

    async fn handle(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        row: &InboxRow,
        readings: &Readings,
        now: i64,
    ) -> Result<(), StoreError> {
        // The batch remembers roster look-ups (groups, senders, who is on duty). Only the
        // commands that change the roster (`Name::changes_roster`), and group events
        // (migration, removal), change the roster: the remembered roster is dropped before and
        // after them. Everything else, including chatter that looks like an incomplete
        // command ("收到"), keeps it.
        let changes_roster = |text: &str| matches!(readings.command(text), Parsed::Command(c) if c.name().changes_roster());
        let roster_kept = match &row.event.kind {
            EventKind::Message { text, .. } => !changes_roster(text),
            EventKind::Button { button, .. } => !changes_roster(button),
            EventKind::Edited { .. } => true,
            EventKind::ChatMigrated { .. } | EventKind::BotRemoved => false,
        };
        if !roster_kept {
            tx.forget_roster();
        }
        let handled = self.handle_event(tx, fx, row, readings, now).await;
        if !roster_kept {
            tx.forget_roster();
        }
        handled
    }

    async fn handle_event(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        row: &InboxRow,
        readings: &Readings,
        now: i64,
    ) -> Result<(), StoreError> {
        let ev = &row.event;
        match &ev.kind {
            EventKind::ChatMigrated { new_chat_id } => {
                tx.rebind_chat(&ev.platform, &ev.chat.id, new_chat_id)
                    .await?;
                tracing::info!(old = %ev.chat.id, new = %new_chat_id, "group migrated; binding moved");
                return Ok(());
            }
            EventKind::BotRemoved => {
                tx.deactivate_group(&ev.platform, &ev.chat.id).await?;
                tracing::warn!(chat = %ev.chat.id, "bot removed from group; binding kept, group inactive");
                return Ok(());
            }
            EventKind::Edited { message_id, text } => {
                return self.edited(tx, fx, ev, message_id, text, now).await;
            }
            EventKind::Message { .. } | EventKind::Button { .. } => {}
        }
        let group = match ev.chat.kind {
            ChatKind::Group => tx.group(&ev.platform, &ev.chat.id).await?,
            ChatKind::Private => {
                // Someone who wrote here can be written to here: private answers and
                // escalations come to this chat from now on.
                tx.remember_private_chat(
                    &ev.platform,
                    &ev.sender.id,
                    &ev.account,
                    &ev.chat.id,
                    now,
                )
                .await?;
                None
            }
        };
        if let Some(g) = group.as_ref().filter(|g| g.account != ev.account) {
            // Notices that answer no message (reminders, digests) go out through this account.
            tx.set_group_account(&ev.platform, &ev.chat.id, &ev.account);
            tracing::debug!(chat = %ev.chat.id, old = %g.account, "group account recorded");
        }
        let sender = tx.sender(&ev.platform, &ev.sender.id).await?;
        let standing = role::standing(&sender.grants, group.as_ref().map(|g| g.grid_path.as_str()));
        let (message_id, callback, text) = match &ev.kind {
            EventKind::Message {
                message_id, text, ..
            } => (Some(message_id.clone()), None, text.as_str()),
            EventKind::Button {
                button,
                callback_id,
                ..
            } => (
                None,
                Some(callback_id.clone().unwrap_or_default()),
                button.as_str(),
            ),
            _ => return Ok(()),
        };
        let card = match &ev.kind {
            EventKind::Button { message_id, .. } => {
                tx.ticket_of_bot_message(&ev.platform, &ev.chat.id, message_id)
                    .await?
            }
            _ => None,
        };
        let scene = Scene {
            event: ev,
            inbox_id: row.id,
            now,
            group,
            person: sender.person,
            grants: sender.grants,
            standing,
            message_id,
            callback,
            card,
            readings,
            narrowed: false,
        };
        // Whatever the event changed, its card is redrawn before commit (`keep_cards_true`).
        let notices = self.understand_and_act(tx, fx, &scene, text).await?;
        for n in notices {
            self.post(fx, &scene, n);
        }
        Ok(())
    }

    fn edits_on(&self, platform: &str) -> bool {
        self.capabilities.get(platform).is_some_and(|c| c.edits)
    }

    /// Decides what a text is and acts on it; returns what the chat should see.
    async fn understand_and_act(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Vec<Notice>, StoreError> {
        let max = self.settings.intake.max_text_chars;
        if text.chars().count() > max {
            // Stored, never read as a request; an explicit report or command gets told why.
            let head: String = text.chars().take(64).collect();
            let explicit = !matches!(commands::parse(&head), Parsed::NotCommand)
                || self.parser.parse(&head, scene.standing.is_staff()).explicit;
            return Ok(if explicit {
                vec![Notice::plain(self.texts.too_long(max), None)]
            } else {
                Vec::new()
            });
        }
        let replied_ticket = match &scene.event.kind {
            EventKind::Message {
                reply_to: Some(reply_to),
                ..
            } => {
                // A card or notice of the ticket's, or the message that opened it: leaders
                // answer the resident's own message as often as the card ("收到，下午过去看看").
                match tx
                    .ticket_of_bot_message(scene.platform(), &scene.event.chat.id, reply_to)
                    .await?
                {
                    Some(ticket) => Some(ticket),
                    None => {
                        tx.ticket_of_source(scene.platform(), &scene.event.chat.id, reply_to)
                            .await?
                    }
                }
            }
            _ => None,
        };
        if let Some(notices) = self.confirmation(tx, fx, scene, text).await? {
            return Ok(notices);
        }
        match scene.readings.command(text) {
            Parsed::Command(cmd) => return self.command(tx, fx, scene, cmd).await,
            // "接单" in reply to a card: the card says which ticket.
            Parsed::Invalid {
                problem: Problem::MissingNumber,
                ..
            } if replied_ticket.is_some() => {
                let n = replied_ticket.unwrap_or_default();
                if let Parsed::Command(cmd) = commands::parse(&format!("{} {n}", text.trim())) {
                    return self.command(tx, fx, scene, cmd).await;
                }
            }
            // 查询 or 撤销 alone: the sender's own ticket here, when that says which.
            Parsed::Invalid {
                name: name @ (Name::Status | Name::Cancel),
                problem: Problem::MissingNumber,
            } if replied_ticket.is_none()
                && let Some(notices) = match name {
                    Name::Status => self.own_progress(tx, fx, scene, text).await?,
                    _ => self.own_withdrawal(tx, fx, scene, text).await?,
                } =>
            {
                return Ok(notices);
            }
            // 接单 or 办结 alone from staff: the grid's one ticket it can mean.
            Parsed::Invalid {
                name: name @ (Name::Claim | Name::Done),
                problem: Problem::MissingNumber,
            } if replied_ticket.is_none()
                && scene.callback.is_none()
                // The word alone (a Telegram menu sends "/claim" so): "/claim abc" is told how.
                && crate::understand::command::split_word(
                    text.trim().trim_end_matches(['.', '!', '?', '。', '！', '？']),
                )
                .1
                .trim()
                .is_empty()
                && let Some(notices) = self.the_one_meant(tx, fx, scene, name).await? =>
            {
                return Ok(notices);
            }
            Parsed::Invalid { name, problem } => {
                let slash = scene.typed_slash();
                return Ok(vec![self.usage(tx, scene, name, &problem, slash).await?]);
            }
            Parsed::Unknown(word) => {
                return Ok(vec![Notice::plain(self.texts.unknown_command(&word), None)]);
            }
            // Staff write commands, not reports (theirs open tickets only in the explicit
            // forms): a command word of theirs whose rest does not fit gets the command's
            // usage instead of silence (a reply to a card is read against the card below).
            Parsed::NotCommand if scene.writes_as_staff() && replied_ticket.is_none() => {
                // "这个交给吴强处理吧": handed to someone of the roster, as 转派 N.
                if scene.callback.is_none()
                    && let Some(notices) = self.handed_in_words(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                // "我来处理", "收到，明天上午去看", "5栋垃圾我来处理" with no number: the
                // ticket waiting that the words name, or the grid's one, as 接单 alone.
                if scene.callback.is_none()
                    && let Some(subject) = crate::understand::command::claim_said(text)
                    && let Some(notices) = self.claim_in_words(tx, fx, scene, subject).await?
                {
                    return Ok(notices);
                }
                // "哪些超时了", "这周东风社区怎么样": a supervisor's question, as its command.
                if scene.callback.is_none()
                    && let Some(canonical) = commands::asked_in_words(text)
                {
                    // A list asked with words before it that name no grid ("帮我看看有没有超时
                    // 的"): the list under the asker's own node. Other words naming no grid
                    // ("今天天气怎么样") are chat.
                    let canonical = if self.names_a_scope(tx, scene, &canonical).await? {
                        Some(canonical)
                    } else {
                        match canonical.split_once(' ') {
                            Some((word @ ("超时" | "未接单"), _)) => Some(word.to_string()),
                            _ => None,
                        }
                    };
                    if let Some(canonical) = canonical
                        && let Parsed::Command(cmd) = commands::parse(&canonical)
                    {
                        return self.command(tx, fx, scene, cmd).await;
                    }
                }
                // "灯已经修好了", "1号灯换好了": the job the words name, as 办结 N.
                if scene.callback.is_none()
                    && let Some(notices) = self.done_in_words(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                // "东风一网格楼道灯那件事抓紧办一下": a supervisor's 督办 in words.
                if scene.callback.is_none()
                    && let Some(notices) = self.urge_in_words(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                // "带身份证户口本到社区办": the answer to a resident's question just asked.
                if scene.callback.is_none()
                    && let Some(notices) = self.answer_in_words(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                // "人已经救出来了": news of the emergency being handled, as 进展.
                if scene.callback.is_none()
                    && crate::understand::command::emergency_news(text)
                    && let Some(notices) = self.emergency_progress(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                // "已经放了警示牌，明天市政来换井盖": the job named is taken, the words its news.
                if scene.callback.is_none()
                    && let Some(notices) = self.acted_in_words(tx, fx, scene, text).await?
                {
                    return Ok(notices);
                }
                if let Some((name, problem)) = commands::loose(text) {
                    // "claim" or "done." alone: the grid's one ticket it can mean, as for 接单.
                    if matches!(name, Name::Claim | Name::Done)
                        && problem == Problem::MissingNumber
                        && scene.callback.is_none()
                        && let Some(notices) = self.the_one_meant(tx, fx, scene, name).await?
                    {
                        return Ok(notices);
                    }
                    return Ok(vec![self.usage(tx, scene, name, &problem, false).await?]);
                }
            }
            Parsed::NotCommand => {}
        }
        if scene.callback.is_some() {
            // A button id that is not a command: an old or forged button.
            return Ok(vec![Notice::plain(self.texts.unknown_command(text), None)]);
        }
        if let Some(ticket) = replied_ticket
            && let Some(notices) = self.reply_to_card(tx, fx, scene, ticket, text).await?
        {
            return Ok(notices);
        }
        if replied_ticket.is_none()
            && let Some(notices) = self.rating_typed(tx, fx, scene, text).await?
        {
            return Ok(notices);
        }
        // A reporter asking about their own report without its number (read once).
        let asks_own =
            replied_ticket.is_none() && crate::understand::command::asks_own_progress(text);
        if replied_ticket.is_none() {
            let own = if crate::understand::command::asks_contact(text) {
                // "网格员是谁": who serves this group, as 网格员 (/contact).
                let contact = Command::Contact(commands::Contact);
                Some(self.command(tx, fx, scene, contact).await?)
            } else if asks_own {
                self.own_progress(tx, fx, scene, text).await?
            } else if crate::understand::command::asks_progress_of(text)
                || crate::understand::command::nudges(text)
            {
                // "3栋的灯修好了吗" from anyone: the ticket being handled that it names;
                // "都两个小时了还没人来": the one being hurried.
                self.group_progress(tx, fx, scene, text).await?
            } else if crate::understand::command::withdraws(text) {
                self.own_withdrawal(tx, fx, scene, text).await?
            } else if crate::understand::command::fixed_said(text) {
                // "修好了，谢谢黄姐" from the reporter: their handler is asked to confirm.
                self.own_fixed(tx, fx, scene, text).await?
            } else {
                None
            };
            if let Some(notices) = own {
                return Ok(notices);
            }
        }
        if let Some(notices) = self.me_too(tx, fx, scene, replied_ticket, text).await? {
            return Ok(notices);
        }
        if let Some(notices) = self
            .place_alone(tx, fx, scene, replied_ticket, text)
            .await?
        {
            return Ok(notices);
        }
        let u = self.read(scene, text);
        let notices = self.act_on_request(tx, fx, scene, &u).await?;
        if notices.is_empty() && asks_own {
            // Asked about a report of theirs, with none here (and no request read in it).
            let none = if scene.group.is_some() {
                self.texts.nothing_reported_here()
            } else {
                self.texts.nothing_reported()
            };
            return Ok(vec![Notice::plain(none.to_string(), None)]);
        }
        Ok(notices)
    }

    /// Turns a notice into an outbox row for the scene's chat.
    fn post(&self, fx: &mut Effects, scene: &Scene<'_>, mut n: Notice) {
        let ev = scene.event;
        if let Some(asked) = n.asked.take() {
            // Answered after commit, to the same chat and message as any other notice.
            let reply = Outbound::Send(OutboundMessage {
                chat: ev.chat.id.clone(),
                thread: ev.chat.thread.clone(),
                text: n.text,
                reply_to: if n.as_reply {
                    scene.message_id.clone()
                } else {
                    None
                },
                mentions: n.mentions,
                buttons: Vec::new(),
            });
            fx.questions
                .push(asked.record(ev.platform.clone(), ev.account.clone(), reply));
            return;
        }
        if let Some(callback) = &scene.callback {
            // Button presses: a toast for the presser; notices about a ticket also go to the chat.
            let toast: String = n.text.chars().take(190).collect();
            if !callback.is_empty() {
                fx.outbound.push(NewOutbound {
                    platform: ev.platform.clone(),
                    account: ev.account.clone(),
                    ticket_id: None,
                    item: Outbound::AnswerButton {
                        callback_id: callback.clone(),
                        text: toast,
                    },
                    not_before: None,
                });
            }
            if n.ticket.is_none() {
                return;
            }
        }
        fx.outbound.push(NewOutbound {
            platform: ev.platform.clone(),
            account: ev.account.clone(),
            ticket_id: n.ticket,
            item: Outbound::Send(OutboundMessage {
                chat: ev.chat.id.clone(),
                thread: ev.chat.thread.clone(),
                text: n.text,
                reply_to: if n.as_reply {
                    scene.message_id.clone()
                } else {
                    None
                },
                mentions: n.mentions,
                buttons: if self.buttons_on(&ev.platform) {
                    n.buttons
                } else {
                    Vec::new()
                },
            }),
            not_before: None,
        });
    }

    /// The refusal of command `name` (about `ticket`, if any), naming who may use it, in the
    /// sender's form.
    fn refusal(&self, scene: &Scene<'_>, name: Name, ticket: Option<&Number>) -> Notice {
        let text = self.texts.not_permitted(
            name.spec().who,
            name.named(&self.texts),
            ticket,
            scene.typed_slash(),
        );
        Notice::plain(text, None)
    }

    /// The id of the ticket a typed reference names: `#12` in the chat's own grid, or
    /// `QS-DF-01#12` anywhere. A pressed button means the ticket of the card it sits on.
    /// A bare number where it names no grid is told how to write the key, in command `name`.
    async fn find_ticket(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        r: &TicketRef,
        name: Name,
    ) -> Result<Result<i64, Notice>, StoreError> {
        if let Some(card) = scene.card {
            return Ok(Ok(card));
        }
        let grid = match (&r.grid, &scene.group) {
            (Some(grid), _) => grid.clone(),
            (None, Some(group)) => group.grid.clone(),
            (None, None) => String::new(),
        };
        if !grid.is_empty()
            && let Some(id) = tx.ticket_by_number(&grid, r.no).await?
        {
            return Ok(Ok(id));
        }
        // A bare number in a private chat, or in a village or town group whose tickets live
        // in the grids below: the full key, with a grid the sender could mean.
        if r.grid.is_none()
            && let Some(example) = self.key_grid(tx, scene).await?
        {
            let text = self.texts.number_needs_grid(
                name.named(&self.texts),
                scene.typed_slash(),
                &example,
                r.no,
            );
            return Ok(Err(Notice::plain(text, None)));
        }
        Ok(Err(Notice::plain(self.texts.no_such_ticket(r), None)))
    }

    /// How to write command `name`, whose arguments had `problem`, in the form the sender used
    /// (`slash`). Where a number alone names no ticket, the example shows a full key.
    async fn usage(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        name: Name,
        problem: &Problem,
        slash: bool,
    ) -> Result<Notice, StoreError> {
        let keyed =
            if *problem == Problem::MissingNumber && name.spec().about == commands::About::Ticket {
                self.key_grid(tx, scene).await?
            } else {
                None
            };
        let mut text =
            self.texts
                .invalid_command(name.named(&self.texts), problem, slash, keyed.as_deref());
        // 同意延期 alone: the requests waiting on the sender, to pick from.
        if matches!(name, Name::Approve | Name::Reject)
            && *problem == Problem::MissingNumber
            && let Some(person) = &scene.person
        {
            let tickets = tx.todo(person, queries::LIST_LIMIT).await?;
            let lines = self.todo_lines(tx, scene, &tickets, true).await?;
            if !lines.is_empty() {
                text.push('\n');
                text.push_str(self.texts.heading_extensions_waiting());
                for line in lines {
                    text.push('\n');
                    text.push_str(&line);
                }
            }
        }
        // 督办 alone from a supervisor: the overdue tickets under him, to pick from.
        if name == Name::Urge
            && *problem == Problem::MissingNumber
            && scene.may(Name::Overdue)
            && let Ok((_, path)) = self.scope(tx, scene, None, Name::Overdue).await?
        {
            let overdue = tx.overdue(&path, scene.now, queries::LIST_LIMIT).await?;
            if !overdue.is_empty() {
                text.push('\n');
                text.push_str(self.texts.heading_overdue());
                for t in &overdue {
                    text.push('\n');
                    text.push_str(&self.texts.ticket_line(
                        &scene.number(&t.grid, t.no),
                        t.state,
                        t.category,
                        &t.body,
                    ));
                }
            }
        }
        Ok(Notice::plain(text, None))
    }

    /// The grid to show in an example of a full ticket key (`QS-DF-01#12`) where a bare number
    /// names no ticket: `None` in a group bound to a grid with no grids below it (a number alone
    /// works there). Otherwise the first grid at the bottom of the chat's grid, or of the
    /// sender's own; a word standing for a grid's code when neither is known.
    async fn key_grid(&self, tx: &mut Tx, scene: &Scene<'_>) -> Result<Option<String>, StoreError> {
        let start = match &scene.group {
            Some(group) => Some(group.grid.clone()),
            None => scene
                .grants
                .iter()
                .filter_map(|g| g.grid_path.as_deref())
                .find_map(|path| path.trim_end_matches('/').rsplit('/').next())
                .filter(|code| !code.is_empty())
                .map(str::to_string),
        };
        let Some(mut code) = start else {
            return Ok(Some(self.texts.grid_code_word().to_string()));
        };
        let mut descended = false;
        // Bounded: a grid tree is a handful of levels deep.
        for _ in 0..16 {
            match tx.first_child_grid(&code).await? {
                Some(child) => {
                    code = child;
                    descended = true;
                }
                None => break,
            }
        }
        Ok((descended || scene.group.is_none()).then_some(code))
    }

    async fn command(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        cmd: Command,
    ) -> Outcome {
        let span =
            tracing::info_span!("command", command = ?cmd.name(), sender = %scene.sender_id());
        // Instrumented, not entered: an entered span guard held across an await corrupts the
        // subscriber's span stack when the task moves between threads.
        self.run_for_audience(tx, fx, scene, cmd)
            .instrument(span)
            .await
    }

    async fn run_command(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        cmd: Command,
    ) -> Outcome {
        cmd.run(self, tx, fx, scene).await
    }
}

#[async_trait::async_trait]
impl crate::intake::Apply for Engine {
    type Prepared = Readings;

    /// Brings the batch's groups and senders into the shared roster memo and reads its texts,
    /// outside any write transaction.
    async fn prepare(&self, store: &Store, events: &[InboundEvent]) -> Readings {
        let (chats, senders) = roster_keys(events.iter());
        if let Err(e) = store.warm_roster(&chats, &senders).await {
            tracing::debug!(error = %e, "roster not read ahead; the batch reads it itself");
        }
        self.read_ahead(events)
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        rows: &[InboxRow],
        readings: &Readings,
    ) -> Result<(), StoreError> {
        self.apply_read(tx, rows, readings).await
    }

    fn applied(&self, rows: &[InboxRow]) {
        self.announce(rows);
    }
}

/// A roster look-up key: `(platform, chat or user id)`.
pub type RosterKey = (String, String);

/// The `(platform, chat id)` of the group events among `events` and the `(platform, user id)`
/// of their senders: the roster entries handling them reads.
pub fn roster_keys<'a>(
    events: impl Iterator<Item = &'a InboundEvent>,
) -> (Vec<RosterKey>, Vec<RosterKey>) {
    let mut chats = Vec::new();
    let mut senders = Vec::new();
    for ev in events {
        if ev.chat.kind == ChatKind::Group {
            chats.push((ev.platform.clone(), ev.chat.id.clone()));
        }
        senders.push((ev.platform.clone(), ev.sender.id.clone()));
    }
    (chats, senders)
}
