//! Deadlines as they fall due: reminders to the assignee, escalation to the village (missed
//! claim) and the town (missed resolution), and closing resolved tickets nobody rated.
//!
//! Every deadline is a stored timer written with the ticket change that set it. [`run_timers`]
//! takes the due ones inside a transaction and acts on them in that same transaction, so a
//! timer is acted on once: after a restart (it is still due) and across replicas sharing one
//! PostgreSQL (only one transaction can take it). Whether a timer still matters is decided
//! when it fires, from the ticket's state then: a claimed ticket ignores its claim timers.
//!
//! [`run_timers`]: Engine::run_timers

use crate::domain::HistoryKind;
use crate::domain::TimerKind;
use crate::domain::escalation;
use tracing::Instrument;

use super::{Effects, Engine};
use crate::domain::message::{Mention, Outbound, OutboundMessage};
use crate::domain::ticket::{self, Transition};
use crate::domain::{Number, TicketState, Urgency};
use crate::i18n::sla::Deadline;
use crate::store::outbox::NewOutbound;
use crate::store::roster::Person;
use crate::store::tickets::Ticket;
use crate::store::timers::{ChatTarget, Timer};
use crate::store::{Store, StoreError, Tx};

pub(super) const REMIND_CLAIM: TimerKind = TimerKind::RemindClaim;
pub(super) const ESCALATE_CLAIM: TimerKind = TimerKind::EscalateClaim;
pub(super) const REMIND_RESOLVE: TimerKind = TimerKind::RemindResolve;
pub(super) const ESCALATE_RESOLVE: TimerKind = TimerKind::EscalateResolve;
pub(super) const RATING_TIMEOUT: TimerKind = TimerKind::RatingTimeout;

/// Timers taken per transaction, at most.
const BATCH: i64 = 64;
/// About how long one transaction of timers may hold the write turn: the intake's next batch
/// waits for it. Firing a timer costs from a fraction of a millisecond (a reminder) to several
/// (an escalation on a large database, on a busy machine): 64 escalations held the turn for
/// 400 ms and more, and every message arriving meanwhile waited as long. The batch is sized
/// from the last one's cost per timer instead.
const SLICE: std::time::Duration = std::time::Duration::from_millis(10);

/// The slice while the intake is busy ([`Store::intake_busy`]): a backlog of timers (after
/// downtime, tens of thousands) then takes longer to work off, and each message waits less
/// for a slice under way.
const BUSY_SLICE: std::time::Duration = std::time::Duration::from_millis(2);

/// The next batch's size, so that it takes about `slice` when each timer costs what the
/// last batch's cost on average (`took` for `fired` timers).
fn next_batch(took: std::time::Duration, fired: usize, slice: std::time::Duration) -> i64 {
    let per = took.as_micros() / fired.max(1) as u128;
    let fits = slice.as_micros() / per.max(1);
    i64::try_from(fits).unwrap_or(BATCH).clamp(1, BATCH)
}
/// How long a photo that no report claimed is kept beyond the longest claim window.
const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// The deadlines of a ticket's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Due {
    pub claim_by: i64,
    pub resolve_by: i64,
}

impl Engine {
    /// `work_ms` of counted time after `start`: calendar time, or working time when a
    /// calendar is configured.
    pub(super) fn after(&self, start: i64, work_ms: i64) -> i64 {
        self.calendar.add(start, work_ms)
    }

    /// The promised windows for an urgency.
    pub(super) fn window(&self, urgency: Urgency) -> crate::domain::sla::Window {
        match urgency {
            Urgency::Urgent => self.settings.sla.urgent,
            Urgency::Normal => self.settings.sla.normal,
        }
    }

    /// The deadlines of a ticket opened (or reopened) at `start`.
    pub(super) fn due(&self, start: i64, urgency: Urgency) -> Due {
        let w = self.window(urgency);
        Due {
            claim_by: self.after(start, w.claim.as_millis()),
            resolve_by: self.after(start, w.resolve.as_millis()),
        }
    }

    /// When a reminder for a window `[start, start + work_ms]` is due.
    fn remind_time(&self, start: i64, work_ms: i64) -> i64 {
        let fraction = (work_ms as f64 * self.settings.sla.remind_at) as i64;
        self.after(start, fraction)
    }

    /// Writes the timers of a new ticket (claim and resolve) or of a reopened one (resolve):
    /// the reminders. Each reminder, when it fires, writes its deadline's escalation
    /// ([`Engine::fire`]): one row per deadline waits at a time, and a burst of new tickets
    /// writes half the timer rows it would otherwise.
    pub(super) async fn schedule(
        &self,
        tx: &mut Tx,
        ticket: i64,
        urgency: Urgency,
        start: i64,
        with_claim: bool,
    ) -> Result<(), StoreError> {
        let w = self.window(urgency);
        let mut timers = Vec::with_capacity(2);
        if with_claim {
            timers.push((
                REMIND_CLAIM,
                ticket,
                self.remind_time(start, w.claim.as_millis()),
            ));
        }
        timers.push((
            REMIND_RESOLVE,
            ticket,
            self.remind_time(start, w.resolve.as_millis()),
        ));
        tx.add_timers(&timers);
        Ok(())
    }

    /// When a notice written at `now` may be delivered: urgent ones at once, others after
    /// quiet hours.
    pub(super) fn hold(&self, urgency: Urgency, now: i64) -> Option<i64> {
        if urgency == Urgency::Urgent {
            return None;
        }
        self.quiet.as_ref().and_then(|q| q.release(now, self.tz()))
    }

    /// Acts on every timer due now, releases held notices whose time has come, and sends
    /// the digests that are due. Returns how many timers were acted on.
    pub async fn run_timers(&self, store: &Store) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut fired = 0;
        // A first batch of a few: how long a timer takes is not known yet.
        let mut batch = 4;
        loop {
            // Timers can wait a moment; residents' messages go first (store/turns.rs).
            let mut tx = store.begin_background().await?;
            let started = std::time::Instant::now();
            let timers = tx.take_due_timers(now, batch).await?;
            if timers.is_empty() {
                tx.commit().await?;
                break;
            }
            let mut fx = Effects::default();
            for timer in &timers {
                // Instrumented, not entered: an entered guard must not live across an await.
                let span = tracing::info_span!("timer", id = timer.id, kind = %timer.kind, ticket = timer.ticket_id);
                self.fire(&mut tx, &mut fx, timer, now)
                    .instrument(span)
                    .await?;
            }
            self.write_effects(&mut tx, fx, now, crate::store::outbox::Priority::Reminder)
                .await?;
            tx.commit().await?;
            fired += timers.len();
            let slice = if store.intake_busy() {
                BUSY_SLICE
            } else {
                SLICE
            };
            batch = next_batch(started.elapsed(), timers.len(), slice);
        }
        let mut tx = store.begin_background().await?;
        let released = tx.release_held(now).await?;
        // A photo still waiting a day past anything that could claim it (its window, or a
        // confirmation's) never will: a replayed backlog is the only later claimant, and a day
        // covers it.
        let p = &self.settings.parser;
        let stale = now - p.photo_window.as_millis() - p.confirm_ttl.as_millis() - DAY_MS;
        let forgotten = tx.forget_stale_photos(stale).await?;
        // Likewise a place named alone that no report took within its window.
        tx.forget_waiting_places(now - p.place_window.as_millis() - DAY_MS)
            .await?;
        tx.commit().await?;
        if forgotten > 0 {
            tracing::info!(forgotten, "photos that no report claimed forgotten");
        }
        if released > 0 {
            tracing::info!(released, "held notices released after quiet hours");
        }
        self.send_digests(store, now).await?;
        Ok(fired)
    }

    async fn fire(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        timer: &Timer,
        now: i64,
    ) -> Result<(), StoreError> {
        let Some(mut t) = tx.ticket(timer.ticket_id).await? else {
            return Ok(());
        };
        let active = t.state.is_active();
        let open = t.state == TicketState::Open;
        let mut rearmed = false;
        match timer.kind {
            REMIND_CLAIM if open && now < t.claim_due => {
                rearmed = self
                    .remind(tx, fx, &t, timer, Deadline::Claim, t.claim_due, now)
                    .await?;
            }
            ESCALATE_CLAIM if open && t.claim_due <= now => {
                self.escalate(tx, fx, &mut t, Deadline::Claim, now).await?;
            }
            REMIND_RESOLVE if active && now < t.resolve_due => {
                rearmed = self
                    .remind(tx, fx, &t, timer, Deadline::Resolve, t.resolve_due, now)
                    .await?;
            }
            ESCALATE_RESOLVE if active && t.resolve_due <= now => {
                self.escalate(tx, fx, &mut t, Deadline::Resolve, now)
                    .await?;
            }
            RATING_TIMEOUT if t.state == TicketState::Resolved => {
                self.close_unrated(tx, fx, &mut t, now).await?;
            }
            _ => tracing::debug!(state = ?t.state, "timer no longer applies"),
        }
        // A reminder that is done (sent, or too late to send) brings its deadline's
        // escalation, at the deadline the ticket has now; a claimed ticket never goes back to
        // open, and a resolved one that reopens is scheduled afresh.
        let escalation = match timer.kind {
            REMIND_CLAIM if open => Some((ESCALATE_CLAIM, t.claim_due)),
            REMIND_RESOLVE if active => Some((ESCALATE_RESOLVE, t.resolve_due)),
            _ => None,
        };
        if let Some((kind, due)) = escalation.filter(|_| !rearmed) {
            tx.add_timers(&[(kind, t.id, due)]);
        }
        Ok(())
    }

    /// Reminds the assignee of a deadline; true when the reminder was put back to fire after
    /// quiet hours instead.
    #[allow(clippy::too_many_arguments)]
    async fn remind(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        t: &Ticket,
        timer: &Timer,
        deadline: Deadline,
        by: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        if let Some(release) = self.hold(t.urgency, now) {
            // Held until morning; whether it is still needed is decided then.
            if release < by {
                tx.rearm_timer(timer.id, release).await?;
                tracing::info!(release, "reminder held for quiet hours");
                return Ok(true);
            }
            return Ok(false);
        }
        let assignee = self.assignee(tx, t).await?;
        let name = assignee.as_ref().map_or("", |p| p.name.as_str());
        let text = self.texts.reminder(
            &Number::local(&t.grid, t.no),
            name,
            deadline,
            &self.texts.when(by, self.tz()),
        );
        fx.record_system(t.id, now, HistoryKind::Reminded, deadline_id(deadline));
        self.to_ticket_chat(fx, t, text, mention_of(assignee.iter()), None);
        Ok(false)
    }

    /// A missed deadline: recorded on the ticket, shown in its group, reported upwards.
    async fn escalate(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        t: &mut Ticket,
        deadline: Deadline,
        now: i64,
    ) -> Result<(), StoreError> {
        let level = match deadline {
            Deadline::Claim => escalation::CLAIM_LEVEL,
            Deadline::Resolve => escalation::RESOLVE_LEVEL,
        };
        if t.escalated.as_deref() != Some(escalation::RESOLVE_LEVEL) {
            t.escalated = Some(level.to_string());
        }
        t.updated_at = now;
        tx.update_ticket(t).await?;
        fx.record_system(
            t.id,
            now,
            HistoryKind::Escalated,
            &format!("{} {level}", deadline_id(deadline)),
        );
        tracing::info!(ticket = t.id, level, "deadline missed; escalated");
        let hold = self.hold(t.urgency, now);
        let assignee = self.assignee(tx, t).await?;
        // The group sees the status; on a missed claim the deputies are called in too.
        let mut people: Vec<Person> = assignee.iter().cloned().collect();
        if deadline == Deadline::Claim {
            for d in tx.holders(&t.grid, "deputy", &t.platform).await? {
                if !people.iter().any(|p| p.code == d.code) {
                    people.push(d);
                }
            }
        }
        let text = self
            .texts
            .escalated(&Number::local(&t.grid, t.no), deadline, level);
        self.to_ticket_chat(fx, t, text, mention_of(people.iter()), hold);
        let grid_name = tx.grid(&t.grid).await?.map(|g| g.name).unwrap_or_default();
        let report = self.texts.escalation_report(
            &t.number(),
            deadline,
            &grid_name,
            self.texts.category(t.category),
            assignee.as_ref().map_or("—", |p| p.name.as_str()),
        );
        self.tell_level(tx, fx, t, level, report, hold).await
    }

    async fn close_unrated(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        t: &mut Ticket,
        now: i64,
    ) -> Result<(), StoreError> {
        let Ok(to) = ticket::apply(t.state, Transition::Close) else {
            return Ok(());
        };
        t.state = to;
        t.closed_at = Some(now);
        t.updated_at = now;
        tx.update_ticket(t).await?;
        fx.record_system(t.id, now, HistoryKind::ClosedUnrated, "");
        let text = self.texts.closed_unrated(&Number::local(&t.grid, t.no));
        self.to_ticket_chat(fx, t, text, Vec::new(), self.hold(Urgency::Normal, now));
        Ok(())
    }

    /// Tells the coordinators at `level` above the ticket's grid, on every channel they have
    /// ([`Engine::channels`]). An escalation that reaches nobody is logged.
    pub(super) async fn tell_level(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        t: &Ticket,
        level: &str,
        text: String,
        not_before: Option<i64>,
    ) -> Result<(), StoreError> {
        let node = self.ancestor(tx, &t.grid, level).await?;
        let channels = match &node {
            Some(node) => self.channels(tx, node, level).await?,
            None => self
                .robot(level)
                .into_iter()
                .map(|r| (r, Vec::new()))
                .collect(),
        };
        if channels.is_empty() {
            tracing::warn!(
                ticket = t.id,
                level,
                node = node.as_deref().unwrap_or("—"),
                "escalation reached nobody: no group bound to the node, no coordinator reachable in a private chat, no WeCom robot for the level (see `gridline doctor`)"
            );
        }
        for (chat, mentions) in channels {
            self.to_chat(fx, &chat, Some(t.id), text.clone(), mentions, not_before);
        }
        Ok(())
    }

    /// Every channel a node's coordinators have, for notices to `level` (an escalation level,
    /// or the node's own level for its weekly report): the groups bound to the node (with its
    /// coordinators mentioned), each coordinator's private chat with the bot, and the level's
    /// WeCom robot.
    pub(super) async fn channels(
        &self,
        tx: &mut Tx,
        node: &str,
        level: &str,
    ) -> Result<Vec<(ChatTarget, Vec<Mention>)>, StoreError> {
        let mut out = Vec::new();
        for chat in tx.groups_of_grid(node).await? {
            let coordinators = tx.holders(node, "coordinator", &chat.platform).await?;
            out.push((chat, mention_of(coordinators.iter())));
        }
        for contact in tx.coordinator_contacts(node).await? {
            if let Some((account, chat_id)) = self.private_chat_of(&contact) {
                let target = ChatTarget {
                    platform: contact.platform,
                    account,
                    chat_id,
                };
                if !out.iter().any(|(c, _)| *c == target) {
                    out.push((target, Vec::new()));
                }
            }
        }
        out.extend(self.robot(level).map(|r| (r, Vec::new())));
        Ok(out)
    }

    /// The private chat the bot may write in with a coordinator: the one they opened, or any
    /// on a platform where everyone can be written to.
    fn private_chat_of(&self, contact: &crate::store::reach::Contact) -> Option<(String, String)> {
        contact.private.clone().or_else(|| {
            self.capabilities
                .get(&contact.platform)
                .and_then(|c| c.private_chats.always_with(&contact.user_id))
        })
    }

    /// The WeCom robot configured for `level`, if any.
    fn robot(&self, level: &str) -> Option<ChatTarget> {
        self.settings
            .wecom
            .webhooks
            .contains_key(level)
            .then(|| ChatTarget {
                platform: crate::domain::message::WECOM.into(),
                account: String::new(),
                chat_id: level.to_string(),
            })
    }

    /// The node above `grid` that hears an escalation to `level`
    /// ([`crate::domain::escalation::receiver`]).
    pub(super) async fn ancestor(
        &self,
        tx: &mut Tx,
        grid: &str,
        level: &str,
    ) -> Result<Option<String>, StoreError> {
        let Some(own) = tx.grid(grid).await? else {
            return Ok(None);
        };
        let mut above: Vec<(String, String)> = Vec::new();
        for code in escalation::path_codes(&own.path).filter(|c| *c != own.code) {
            let level = tx.grid(code).await?.map(|g| g.level).unwrap_or_default();
            above.push((code.to_string(), level));
        }
        let borrowed: Vec<(&str, &str)> = above
            .iter()
            .map(|(c, l)| (c.as_str(), l.as_str()))
            .collect();
        Ok(escalation::receiver(&borrowed, level).map(str::to_string))
    }

    pub(super) async fn assignee(
        &self,
        tx: &mut Tx,
        t: &Ticket,
    ) -> Result<Option<Person>, StoreError> {
        match &t.assignee {
            Some(code) => tx.person(code, &t.platform).await,
            None => Ok(None),
        }
    }

    /// A notice in the ticket's own group, as a reply to the resident's message.
    pub(super) fn to_ticket_chat(
        &self,
        fx: &mut Effects,
        t: &Ticket,
        text: String,
        mentions: Vec<Mention>,
        not_before: Option<i64>,
    ) {
        fx.outbound.push(NewOutbound {
            platform: t.platform.clone(),
            account: t.account.clone(),
            ticket_id: Some(t.id),
            item: Outbound::Send(OutboundMessage {
                chat: t.chat_id.clone(),
                thread: t.thread.clone(),
                text,
                reply_to: (!t.source_message_id.is_empty()).then(|| t.source_message_id.clone()),
                mentions,
                buttons: Vec::new(),
            }),
            not_before,
        });
    }

    /// A notice to a chat that did not write to us (coordinators' groups, robots, digests).
    pub(super) fn to_chat(
        &self,
        fx: &mut Effects,
        chat: &ChatTarget,
        ticket: Option<i64>,
        text: String,
        mentions: Vec<Mention>,
        not_before: Option<i64>,
    ) {
        fx.outbound.push(NewOutbound {
            platform: chat.platform.clone(),
            account: chat.account.clone(),
            ticket_id: ticket,
            item: Outbound::Send(OutboundMessage {
                chat: chat.chat_id.clone(),
                thread: None,
                text,
                reply_to: None,
                mentions,
                buttons: Vec::new(),
            }),
            not_before,
        });
    }
}

fn deadline_id(d: Deadline) -> &'static str {
    match d {
        Deadline::Claim => "claim",
        Deadline::Resolve => "resolve",
    }
}

/// Mentions of the people who have an account on the platform.
pub(super) fn mention_of<'a>(people: impl Iterator<Item = &'a Person>) -> Vec<Mention> {
    people
        .filter_map(|p| {
            p.user_id.clone().map(|uid| Mention {
                user_id: uid,
                name: p.name.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_batch_of_timers_holds_the_write_turn_about_a_slice() {
        // Escalations at 6 ms each: one or two per transaction, not 64.
        assert_eq!(next_batch(Duration::from_millis(24), 4, SLICE), 1);
        // Reminders at 0.2 ms: 50; 10 while the intake is busy.
        assert_eq!(next_batch(Duration::from_micros(800), 4, SLICE), 50);
        assert_eq!(next_batch(Duration::from_micros(800), 4, BUSY_SLICE), 10);
        // Cheaper still: never more than the cap; and never none.
        assert_eq!(next_batch(Duration::from_micros(4), 4, SLICE), BATCH);
        assert_eq!(next_batch(Duration::from_secs(3), 64, BUSY_SLICE), 1);
        assert_eq!(next_batch(Duration::ZERO, 0, SLICE), BATCH);
    }
}
