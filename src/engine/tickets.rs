//! Opening tickets (a report typed as `/report` or read from ordinary words), what the ticket
//! commands in `commands/` share (may the sender act on this ticket, may its state change,
//! the buttons for its next step), replies to a ticket's card, edits of a report, and cards
//! redrawn after every change.

use super::commands::{Command, Name};
use super::{Effects, Engine, Notice, Outcome, Scene};
use crate::domain::HistoryKind;
use crate::domain::mask::mask_personal_numbers;
use crate::domain::message::{Button, InboundEvent, Mention};
use crate::domain::role::Subject;
use crate::domain::ticket::{self, Transition};
use crate::domain::{Category, Number, Rating, TicketState, Urgency};
use crate::i18n::Card;
use crate::store::tickets::{NewTicket, Ticket};
use crate::store::{StoreError, Tx};
use crate::understand::Understanding;
use crate::understand::command::parse_rating;
use crate::understand::holds;

/// A ticket the sender may act on, or the notice that says why not.
pub(super) enum Access {
    Granted(Box<Ticket>),
    Refused(Notice),
}

impl Engine {
    /// Opens a ticket for a request in a bound group and answers with the card.
    pub(super) async fn open_ticket(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Outcome {
        let Some(group) = scene.group.as_ref().filter(|g| g.active) else {
            // Outside a bound group only explicit reports get an answer, and any request written
            // to the bot privately: a resident telling the bot a problem one to one is told
            // where the leader will see it; chatter in an unbound group stays unanswered.
            let private = scene.group.is_none()
                && scene.event.chat.kind == crate::domain::message::ChatKind::Private;
            if !u.explicit && !private {
                return Ok(Vec::new());
            }
            let text = if private {
                self.texts.private_needs_group()
            } else {
                self.texts.unbound_group()
            };
            return Ok(vec![Notice::plain(text, None)]);
        };
        let ev: &InboundEvent = scene.event;
        let urgency = u.urgency.unwrap_or(Urgency::Normal);
        let category = u.category.unwrap_or(Category::Other);
        let due = self.due(scene.now, urgency);
        let assignee = tx.on_duty(&group.grid, &ev.platform, scene.now).await?;
        let body = if u.body.trim().is_empty() {
            u.body.clone()
        } else {
            u.body.trim().to_string()
        };
        let (id, no) = tx
            .insert_ticket(&NewTicket {
                grid: group.grid.clone(),
                platform: ev.platform.clone(),
                account: ev.account.clone(),
                chat_id: ev.chat.id.clone(),
                thread: ev.chat.thread.clone(),
                source_message_id: scene.message_id.clone().unwrap_or_default(),
                inbox_id: scene.inbox_id,
                reporter_id: ev.sender.id.clone(),
                reporter_name: ev.sender.name.clone(),
                category,
                urgency,
                location: u.location.clone(),
                body,
                assignee: assignee.as_ref().map(|p| p.code.clone()),
                created_at: scene.now,
                claim_due: due.claim_by,
                resolve_due: due.resolve_by,
                duplicate_of: None,
            })
            .await?;
        fx.record(
            scene,
            id,
            HistoryKind::Opened,
            &format!("{} {}", category.id(), urgency.id()),
        );
        self.schedule(tx, id, urgency, scene.now, true).await?;
        self.photos_for_report(tx, fx, scene, id, ev.at).await?;
        if assignee.is_none() {
            // Nobody on duty (no leader, everyone on leave): the village hears at once.
            if let Some(t) = tx.ticket(id).await? {
                let grid_name = tx.grid(&t.grid).await?.map(|g| g.name).unwrap_or_default();
                let report = self.texts.escalation_report(
                    &Number::qualified(&t.grid, t.no),
                    crate::i18n::sla::Deadline::Claim,
                    &grid_name,
                    self.texts.category(category),
                    "—",
                );
                self.tell_level(tx, fx, &t, "village", report, None).await?;
            }
        }
        let location = u.location.as_deref().map(mask_personal_numbers);
        let mut text = self.texts.card(&Card {
            ticket: scene.number(&group.grid, no),
            category,
            urgency,
            location: location.as_deref(),
            assignee: assignee.as_ref().map(|p| p.name.as_str()),
            claim_within: self.window(urgency).claim.as_millis(),
            respond_by: (!self.calendar.is_always())
                .then(|| self.texts.when(due.claim_by, self.tz())),
            linked_to: None,
            buttons: self.buttons_on(&ev.platform),
        });
        let mut people: Vec<crate::store::roster::Person> = assignee.iter().cloned().collect();
        if urgency == Urgency::Urgent {
            // Why it was read as urgent ("紧急依据：煤气味"): a leader woken at night sees at
            // once what the alarm rests on. An explicit report marked urgent carries it too.
            text.push('\n');
            text.push_str(&self.texts.urgent_why(&u.why));
            if let Some(advice) = self.safety_line(urgency, &u.body, category) {
                text.push('\n');
                text.push_str(advice);
            }
            // Urgent means act now: the deputies are called at once beside the leader, and
            // the village coordinators hear of it without waiting for a missed deadline.
            for d in tx.holders(&group.grid, "deputy", &ev.platform).await? {
                if !people.iter().any(|p| p.code == d.code) {
                    people.push(d);
                }
            }
            let called: Vec<&str> = people
                .iter()
                .filter(|p| assignee.as_ref().is_none_or(|a| a.code != p.code))
                .map(|p| p.name.as_str())
                .collect();
            if !called.is_empty() {
                text.push('\n');
                text.push_str(&self.texts.also_called(&called));
            }
            if assignee.is_some()
                && let Some(t) = tx.ticket(id).await?
            {
                let grid_name = tx.grid(&t.grid).await?.map(|g| g.name).unwrap_or_default();
                let report = self.texts.urgent_report(
                    &t.number(),
                    &grid_name,
                    self.texts.category(category),
                    &mask_personal_numbers(&t.body),
                    assignee.as_ref().map_or("—", |p| p.name.as_str()),
                );
                self.tell_level(tx, fx, &t, "village", report, None).await?;
            }
        }
        let mentions = people
            .iter()
            .filter_map(|p| {
                p.user_id.clone().map(|uid| Mention {
                    user_id: uid,
                    name: p.name.clone(),
                })
            })
            .collect();
        tracing::info!(ticket = id, grid = %group.grid, %category, ?urgency, "ticket opened");
        Ok(vec![Notice {
            text,
            ticket: Some(id),
            mentions,
            buttons: vec![self.claim_button(&Number::qualified(&group.grid, no))],
            as_reply: true,
            asked: None,
        }])
    }

    /// Redraws the card of every ticket this transaction changed, so that a card never shows
    /// a state its ticket has left, whatever changed it: a typed command, a reply, a button, a
    /// timer or the console. Where the platform edits messages (Telegram, the sandbox) the card
    /// is edited in place; elsewhere a change made outside the ticket's chat (a private chat,
    /// a timer that did not already say so) is told there as a short status line threaded to
    /// the card, since a change made in the chat was answered there already.
    pub(super) async fn keep_cards_true(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
    ) -> Result<(), StoreError> {
        let touched = std::mem::take(&mut fx.touched);
        let mut ids: Vec<i64> = touched.iter().map(|(id, _)| *id).collect();
        ids.dedup();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let Some(t) = tx.ticket(id).await? else {
                continue;
            };
            let froms = touched.iter().filter(|(t2, _)| *t2 == id).map(|(_, f)| f);
            let (mut inside, mut outside) = (false, false);
            for from in froms {
                match from {
                    Some((p, c)) if *p == t.platform && *c == t.chat_id => inside = true,
                    Some(_) => outside = true,
                    // A timer: it tells the ticket's chat itself.
                    None => inside = true,
                }
            }
            let Some(card) = tx.card_message(&t.platform, &t.chat_id, t.id).await? else {
                // Not delivered yet: it goes out as it was drawn, before anything changed.
                continue;
            };
            let last = match fx
                .events
                .iter()
                .rev()
                .find(|e| e.ticket_id == t.id && super::changes_state(e.kind))
            {
                Some(e) => Some(e.clone()),
                None => tx.last_change(t.id).await?,
            };
            let status = self.card_status(&t, last.as_ref());
            if self.edits_on(&t.platform) {
                let text = format!("{}\n{status}", self.card_text(tx, &t).await?);
                fx.outbound.push(crate::store::outbox::NewOutbound {
                    platform: t.platform.clone(),
                    account: t.account.clone(),
                    ticket_id: Some(t.id),
                    item: crate::domain::message::Outbound::Edit {
                        chat: t.chat_id.clone(),
                        message_id: card,
                        text,
                        buttons: self.next_buttons(&t),
                    },
                    not_before: None,
                });
                continue;
            }
            if outside && !inside {
                fx.outbound.push(crate::store::outbox::NewOutbound {
                    platform: t.platform.clone(),
                    account: t.account.clone(),
                    ticket_id: Some(t.id),
                    item: crate::domain::message::Outbound::Send(
                        crate::domain::message::OutboundMessage {
                            chat: t.chat_id.clone(),
                            thread: t.thread.clone(),
                            text: format!("{} {status}", Number::local(&t.grid, t.no)),
                            reply_to: Some(card),
                            mentions: Vec::new(),
                            buttons: Vec::new(),
                        },
                    ),
                    not_before: None,
                });
            }
        }
        Ok(())
    }

    /// The card as it stands now, without its status line.
    async fn card_text(&self, tx: &mut Tx, t: &Ticket) -> Result<String, StoreError> {
        let assignee = self.assignee(tx, t).await?;
        let location = t.location.as_deref().map(mask_personal_numbers);
        let mut text = self.texts.card(&Card {
            ticket: Number::local(&t.grid, t.no),
            category: t.category,
            urgency: t.urgency,
            location: location.as_deref(),
            assignee: assignee.as_ref().map(|p| p.name.as_str()),
            claim_within: self.window(t.urgency).claim.as_millis(),
            respond_by: None,
            linked_to: None,
            buttons: self.buttons_on(&t.platform),
        });
        if t.urgency == Urgency::Urgent {
            // The reading is not stored: the same words read again give the same cues. When a
            // person made the ticket urgent (改为紧急) and the parser does not read it so, there
            // is no parser's reason to show.
            let u = self.parser.parse(&t.body, false);
            if u.urgency == Some(Urgency::Urgent) {
                text.push('\n');
                text.push_str(&self.texts.urgent_why(&u.why));
            }
        }
        if let Some(advice) = self.safety_line(t.urgency, &t.body, t.category) {
            text.push('\n');
            text.push_str(advice);
        }
        if t.extensions > 0 && t.state.is_active() {
            let due = self.texts.when(t.resolve_due, self.tz());
            text.push('\n');
            text.push_str(&self.texts.card_extended_due(&due, t.extensions));
        }
        let evidence = tx.evidence_count(t.id).await?;
        if evidence > 0 {
            text.push('\n');
            text.push_str(&self.texts.evidence_line(evidence));
        }
        Ok(text)
    }

    /// "状态：已办结（黄丽华 12-05 12:05）".
    fn card_status(&self, t: &Ticket, last: Option<&crate::store::tickets::TicketEvent>) -> String {
        let by = last.map(|e| (e.actor_name.as_str(), self.texts.when(e.at, self.tz())));
        self.texts
            .card_state(t.state, by.as_ref().map(|(who, at)| (*who, at.as_str())))
    }

    /// The buttons for a ticket's next step.
    fn next_buttons(&self, t: &Ticket) -> Vec<Button> {
        match t.state {
            TicketState::Open => vec![self.claim_button(&t.number())],
            TicketState::Claimed => vec![self.done_button(&t.number())],
            TicketState::Resolved => self.rating_buttons(&t.number()),
            TicketState::Closed | TicketState::Dismissed => Vec::new(),
        }
    }

    // Buttons carry the number in the form read in every chat; a press is matched to the
    // card it sits on first (see `Scene::card`).
    pub(super) fn claim_button(&self, no: &Number) -> Button {
        Button {
            id: format!("/claim {no}"),
            label: self.texts.button_claim().to_string(),
        }
    }

    pub(super) fn done_button(&self, no: &Number) -> Button {
        Button {
            id: format!("/done {no}"),
            label: self.texts.button_done().to_string(),
        }
    }

    pub(super) fn rating_buttons(&self, no: &Number) -> Vec<Button> {
        [Rating::Satisfied, Rating::Neutral, Rating::Unsatisfied]
            .into_iter()
            .map(|r| Button {
                id: format!("/rate {no} {}", r.id()),
                label: self.texts.rating(r).to_string(),
            })
            .collect()
    }

    /// Loads ticket `n` and checks that the sender may act on it with command `name`.
    pub(super) async fn access(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        n: i64,
        name: Name,
    ) -> Result<Access, StoreError> {
        let Some(t) = tx.ticket(n).await? else {
            return Ok(Access::Refused(Notice::plain(
                self.texts
                    .no_such_ticket(&crate::domain::TicketRef::here(n)),
                None,
            )));
        };
        let path = tx.grid(&t.grid).await?.map(|g| g.path);
        // Co-reporters ("我家也是") are asked to rate too, so they may.
        let is_reporter = self.is_reporter(tx, &t, scene, name == Name::Rate).await?;
        let subject = Subject {
            grants: &scene.grants,
            grid_path: path.as_deref(),
            is_reporter,
            is_assignee: scene.person.is_some() && t.assignee == scene.person,
        };
        if !name.spec().who.admits(subject) {
            tracing::info!(ticket = n, sender = %scene.sender_id(), command = ?name, "refused: not permitted");
            let no = scene.number(&t.grid, t.no);
            return Ok(Access::Refused(self.refusal(scene, name, Some(&no))));
        }
        Ok(Access::Granted(Box::new(t)))
    }

    /// Whether the sender reported ticket `t` (or, with `or_co_reporter`, joined the report).
    pub(super) async fn is_reporter(
        &self,
        tx: &mut Tx,
        t: &Ticket,
        scene: &Scene<'_>,
        or_co_reporter: bool,
    ) -> Result<bool, StoreError> {
        if t.platform == scene.platform() && t.reporter_id == scene.sender_id() {
            return Ok(true);
        }
        if !or_co_reporter {
            return Ok(false);
        }
        Ok(tx
            .co_reporters(t.id)
            .await?
            .iter()
            .any(|c| c.platform == scene.platform() && c.user_id == scene.sender_id()))
    }

    /// Applies a transition, or explains why the ticket's state does not allow it.
    /// A refusal says what happened instead of only the state: someone pressing an old button
    /// learns "#3 已由 黄丽华 于 12月5日 12:05 办结，不能接单。".
    pub(super) async fn transition(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        t: &mut Ticket,
        transition: Transition,
        action: Name,
    ) -> Result<Result<(), Notice>, StoreError> {
        let refused = match ticket::apply(t.state, transition) {
            Ok(to) => {
                t.state = to;
                return Ok(Ok(()));
            }
            Err(refused) => refused,
        };
        let no = scene.number(&t.grid, t.no);
        let action = action.words(&self.texts).action;
        let text = match tx.last_change(t.id).await? {
            Some(e) if e.actor != "system" => self.texts.already_done(
                &no,
                &e.actor_name,
                &self.texts.when(e.at, self.tz()),
                self.texts.event_kind(e.kind),
                action,
            ),
            _ => self.texts.wrong_state(&no, refused.from, action),
        };
        Ok(Err(Notice::plain(text, None)))
    }

    /// Unless `t` is still active (open or claimed): the answer that command `name` cannot act
    /// on it in its state.
    pub(super) fn unless_active(
        &self,
        scene: &Scene<'_>,
        t: &Ticket,
        name: Name,
    ) -> Option<Notice> {
        if t.state.is_active() {
            return None;
        }
        let no = scene.number(&t.grid, t.no);
        let action = name.words(&self.texts).action;
        let text = self.texts.wrong_state(&no, t.state, action);
        Some(Notice::plain(text, None))
    }

    /// Staff acted on `t` at `now`: its first response, if none was recorded yet.
    pub(super) fn staff_responded(t: &mut Ticket, now: i64) {
        if t.first_response_at.is_none() {
            t.first_response_at = Some(now);
        }
        t.updated_at = now;
    }

    /// A reply to a bot message about a ticket: 接单/收到 from staff claims it; the reporter's
    /// rating word rates it; the reporter's "没修好" reopens it. `None` when the reply is none
    /// of these (it is then read as an ordinary message).
    pub(super) async fn reply_to_card(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        ticket: i64,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let text = text.trim();
        if scene.standing.is_staff()
            && let Some(what) = crate::understand::command::done_reply(text)
        {
            // "搞定了" alone: ask for a word on what was done, and resolve with it.
            if what.is_empty() {
                let t = tx.ticket(ticket).await?;
                if let Some(t) = t.filter(|t| t.state.is_active()) {
                    let no = scene.number(&t.grid, t.no);
                    return Ok(Some(vec![Notice::plain(
                        self.texts.done_needs_result(&no),
                        None,
                    )]));
                }
            } else {
                return self.resolve(tx, fx, scene, ticket, what).await.map(Some);
            }
        }
        // "井盖已经固定好了": the job named, then the word of done; the ticket replied to is the
        // one meant, unless the words name another kind of job.
        if scene.standing.is_staff()
            && let Some((subject, what)) = crate::understand::command::done_said(text)
            && let Some(t) = tx.ticket(ticket).await?
            && t.state.is_active()
            && about(&self.parser.named(subject).0, None, &t)
        {
            let result = said_result(text, subject, what);
            return self.resolve(tx, fx, scene, ticket, result).await.map(Some);
        }
        if scene.standing.is_staff() && self.parser.claim_word(text) {
            // "好的谢谢", "收到" from the one who holds it already: an acknowledgement, not a
            // second claim to refuse.
            if let Some(t) = tx.ticket(ticket).await?
                && t.state != TicketState::Open
                && scene.person.is_some()
                && t.assignee == scene.person
            {
                return Ok(Some(Vec::new()));
            }
            return self.claim(tx, fx, scene, ticket).await.map(Some);
        }
        // A handler's answer to a consultation, replying to it or its card ("带身份证户口本到
        // 社区服务站办理"): the answer settles it, as 办结 with the answer would (咨询类 are
        // resolved by answering them); the asker rates it, or reopens it if it did not help.
        if scene.standing.is_staff()
            && crate::understand::command::answers(text)
            && let Some(t) = tx.ticket(ticket).await?
            && t.state.is_active()
            && t.category == Category::Admin
            && crate::understand::command::asks_for_information(&t.body)
        {
            return self.resolve(tx, fx, scene, ticket, text).await.map(Some);
        }
        // A handler's own words on a claimed ticket, replying to its card ("已经放了警示锥，井盖
        // 明天换"): progress, as 进展 would record it. Questions, thanks and "收到" are not.
        if scene.standing.is_staff()
            && crate::understand::command::progress_reply(text)
            && let Access::Granted(t) = self.access(tx, scene, ticket, Name::Note).await?
            && t.state == TicketState::Claimed
        {
            return self.add_note(tx, fx, scene, *t, text).await.map(Some);
        }
        let Some(t) = tx.ticket(ticket).await? else {
            return Ok(None);
        };
        // Rating words count while the ticket waits for its ratings: resolved, or closed by a
        // rating with the window still open (co-reporters rate after the reporter).
        let rating_open = match t.state {
            TicketState::Resolved => true,
            TicketState::Closed => t.rating.is_some() && scene.now < self.rating_window_end(&t),
            _ => false,
        };
        if !rating_open || !self.is_reporter(tx, &t, scene, true).await? {
            return Ok(None);
        }
        if let Some(rating) = parse_rating(text) {
            return self.rate(tx, fx, scene, ticket, rating).await.map(Some);
        }
        if self.parser.not_fixed(text) || crate::understand::command::sounds_not_fixed(text) {
            return self
                .rate(tx, fx, scene, ticket, Rating::Unsatisfied)
                .await
                .map(Some);
        }
        Ok(None)
    }

    /// A rating typed on its own in a group, not as a reply ("满意", "很满意，谢谢", or a short
    /// "没修好" / "还是不亮" / "still broken" for 不满意): residents answer the rating request
    /// that way, above all where the platform shows no buttons. It
    /// rates the sender's one ticket in this chat that waits for a rating; with several, the
    /// sender is asked which. `None` when the text is no rating or nothing of the sender's
    /// waits (the text is then read as an ordinary message).
    pub(super) async fn rating_typed(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        // "没修好" and its kin typed alone say 不满意, as they do in a reply; only when short
        // (a longer sentence, or one with a number, may be about something new).
        let t = text.trim();
        let brief = !t.chars().any(|c| c.is_ascii_digit())
            && if t.is_ascii() {
                t.split_whitespace().count() <= 4
            } else {
                t.chars().count() <= 8
            };
        // The word lists first; the parser's pass only for a brief text they do not settle
        // (every message of a group comes this way: a longer one gets the word lists alone).
        let sounds_not_fixed = !crate::understand::command::is_question(t)
            && (crate::understand::command::sounds_not_fixed(t)
                || (brief && self.parser.not_fixed(t)));
        let rating = crate::understand::command::bare_rating(text)
            .or((brief && sounds_not_fixed).then_some(Rating::Unsatisfied));
        if rating.is_none() && !sounds_not_fixed {
            return Ok(None);
        }
        // The sender's latest tickets: a rating request is about a recent one.
        let waiting: Vec<Ticket> = tx
            .tickets_of_reporter(scene.platform(), scene.sender_id(), 20)
            .await?
            .into_iter()
            .filter(|t| t.chat_id == scene.event.chat.id && t.state == TicketState::Resolved)
            .collect();
        let Some(rating) = rating else {
            // A longer sentence saying the fix did not hold ("还是没人来收啊，垃圾还在"): the one
            // ticket of the sender's here waiting for a rating that it reads as (no other
            // category, no other place); anything else is a message of its own.
            let same: Vec<&Ticket> = waiting
                .iter()
                .filter(|t| self.same_problem(scene, text, t))
                .collect();
            return match same.as_slice() {
                [t] => self
                    .rate(tx, fx, scene, t.id, Rating::Unsatisfied)
                    .await
                    .map(Some),
                _ => Ok(None),
            };
        };
        match waiting.as_slice() {
            [] => Ok(None),
            [t] => self.rate(tx, fx, scene, t.id, rating).await.map(Some),
            several => {
                let mut numbers: Vec<Number> = several
                    .iter()
                    .map(|t| scene.number(&t.grid, t.no))
                    .collect();
                numbers.reverse();
                let text = self.texts.rating_which(&numbers, rating);
                Ok(Some(vec![Notice::plain(text, None)]))
            }
        }
    }

    /// Whether `text` reads as about `ticket`'s problem: the parser hears no other category in
    /// it and no place the ticket's own words do not share.
    fn same_problem(&self, scene: &Scene<'_>, text: &str, ticket: &Ticket) -> bool {
        let reading = self.read(scene, text);
        let category: Vec<Category> = reading.category.into_iter().collect();
        about(&category, reading.location.as_deref(), ticket)
    }

    /// The sender's tickets reported in this chat, newest first; in their private chat with
    /// the bot (no group bound), those reported anywhere.
    async fn mine_here(&self, tx: &mut Tx, scene: &Scene<'_>) -> Result<Vec<Ticket>, StoreError> {
        let anywhere = scene.group.is_none();
        Ok(tx
            .tickets_of_reporter(scene.platform(), scene.sender_id(), 20)
            .await?
            .into_iter()
            .filter(|t| anywhere || t.chat_id == scene.event.chat.id)
            .collect())
    }

    /// The tickets of `mine` that `text` names, when it names a problem or a place ("any update
    /// on my lift report?", "路灯那个修了吗"): those it reads as about (same category, a place
    /// they share). All of `mine` when it names nothing, or nothing of theirs matches.
    fn named_in(&self, text: &str, mine: Vec<Ticket>) -> Vec<Ticket> {
        let (category, place) = self.parser.named(text);
        if category.is_empty() && place.is_none() {
            return mine;
        }
        let named: Vec<Ticket> = mine
            .iter()
            .filter(|t| about(&category, place.as_deref(), t))
            .cloned()
            .collect();
        if named.is_empty() { mine } else { named }
    }

    /// A reporter asking how their report stands without its number ("我报的灯修了吗", "any
    /// update on my report?"), or typing 查询 alone: of their tickets in this chat that the text
    /// names (all when it names none), the state and history of the one still being handled,
    /// else of the latest; a list when several are being handled. `None` when nothing of the
    /// sender's is in this chat (the text is then read as an ordinary message).
    pub(super) async fn own_progress(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let mine = self.mine_here(tx, scene).await?;
        let mine = self.named_in(text, mine);
        let active: Vec<Ticket> = mine
            .iter()
            .filter(|t| t.state.is_active())
            .cloned()
            .collect();
        let one = match active.as_slice() {
            [t] => t,
            [] => match mine.first() {
                Some(latest) => latest,
                None => return Ok(None),
            },
            several => {
                let heading = if scene.group.is_some() {
                    self.texts.heading_mine_here()
                } else {
                    self.texts.heading_my()
                };
                return Ok(Some(vec![self.ticket_listing(scene, heading, several)]));
            }
        };
        self.status_of(tx, fx, scene, one).await
    }

    /// A ticket's state and history, as 查询 N gives it.
    async fn status_of(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        t: &Ticket,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let no = crate::domain::TicketRef::in_grid(&t.grid, t.no);
        let status = Command::Status(super::commands::Status(no));
        self.command(tx, fx, scene, status).await.map(Some)
    }

    /// Anyone asking how a problem of the group stands, naming it ("3栋的灯修好了吗", "any update
    /// on the bins?"): the state and history of the one ticket of this chat being handled that
    /// the words name (category and place, as for a reporter's own), as 查询 N would; a list
    /// when several fit. Words that name nothing ask after the sender's one report being
    /// handled here. `None` when nothing fits (the text is then read as an ordinary message:
    /// it may be the first report).
    pub(super) async fn group_progress(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        /// How far back a ticket still being handled is looked for.
        const WITHIN_DAYS: i64 = 90;
        let (category, place) = self.parser.named(text);
        if category.is_empty() && place.is_none() {
            // "什么时候能修好啊", "any idea when it'll be back?" names nothing: from someone with
            // one report being handled here, it asks after that one.
            let mine: Vec<Ticket> = self
                .mine_here(tx, scene)
                .await?
                .into_iter()
                .filter(|t| t.state.is_active())
                .collect();
            if let [t] = mine.as_slice() {
                return self.status_of(tx, fx, scene, t).await;
            }
            // "is anyone handling this?" from a neighbour: "this" is the chat's one problem
            // reported in the last hours, still being handled.
            if mine.is_empty() {
                const RECENT_MS: i64 = 2 * 3_600_000;
                let recent = tx
                    .open_tickets_in_chat(
                        scene.platform(),
                        &scene.event.chat.id,
                        scene.now - RECENT_MS,
                        2,
                    )
                    .await?;
                if let [o] = recent.as_slice()
                    && let Some(t) = tx.ticket(o.id).await?
                {
                    return self.status_of(tx, fx, scene, &t).await;
                }
            }
            return Ok(None);
        }
        let since = scene.now - WITHIN_DAYS * 86_400_000;
        let open = tx
            .open_tickets_in_chat(
                scene.platform(),
                &scene.event.chat.id,
                since,
                super::queries::LIST_LIMIT,
            )
            .await?;
        let mut fit = Vec::new();
        for o in open
            .iter()
            .filter(|o| category.is_empty() || category.contains(&o.category))
        {
            if let Some(t) = tx.ticket(o.id).await?
                && about(&category, place.as_deref(), &t)
            {
                fit.push(t);
            }
        }
        // A supervisor asking after a job in a grid they oversee ("二网格那个电梯的事怎么样了"),
        // from anywhere: the active tickets there that the words name; none is said so.
        if fit.is_empty()
            && scene.supervises()
            && let Some(job) = self.supervised_job(tx, scene, text).await?
        {
            let (name, meant) = match job {
                Job::Here(name, meant) => (name, meant),
                Job::Elsewhere(name) => return Ok(Some(self.ask_privately(&name))),
            };
            if let [t] = meant.as_slice() {
                return self.status_of(tx, fx, scene, t).await;
            }
            let heading = self.texts.heading_fitting_in(&name);
            if meant.is_empty() {
                return Ok(Some(vec![self.listing(&heading, Vec::new())]));
            }
            return Ok(Some(vec![self.ticket_listing(scene, &heading, &meant)]));
        }
        match fit.as_slice() {
            [] => Ok(None),
            [t] => self.status_of(tx, fx, scene, t).await,
            several => {
                let heading = self.texts.heading_fitting_here();
                Ok(Some(vec![self.ticket_listing(scene, heading, several)]))
            }
        }
    }

    /// A reporter taking their report back without its number ("我报错了，不用管了", "刚才那个不
    /// 用修了", "never mind, it's working again"), or typing 撤销 alone: their one ticket of this
    /// chat still being handled (of those the text names, as for progress) is withdrawn, as
    /// `撤销 N` would; with several, they are listed to choose from. `None` when nothing of
    /// theirs is being handled here.
    /// A reporter saying in their own words that their problem was fixed, no number and not
    /// replying ("修好了，谢谢黄姐", "灯亮了", "fixed now, thanks"): as "#N 修好了" from them, the
    /// words go into the history of their one ticket being handled here (the one the words
    /// name, if they name one) and its handler is asked to confirm with 办结. `None` when
    /// nothing or several of theirs are being handled here.
    pub(super) async fn own_fixed(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        if scene.standing.is_staff() {
            return Ok(None);
        }
        let mine = self.mine_here(tx, scene).await?;
        let active: Vec<Ticket> = self
            .named_in(text, mine)
            .into_iter()
            .filter(|t| t.state.is_active())
            .collect();
        let [t] = active.as_slice() else {
            return Ok(None);
        };
        Ok(self
            .reporter_says_fixed(tx, fx, scene, t.id, text)
            .await?
            .map(|notice| vec![notice]))
    }

    pub(super) async fn own_withdrawal(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let mine = self.mine_here(tx, scene).await?;
        let active: Vec<Ticket> = self
            .named_in(text, mine)
            .into_iter()
            .filter(|t| t.state.is_active())
            .collect();
        match active.as_slice() {
            [] => Ok(None),
            [t] => {
                let cancel = super::commands::Command::Cancel(super::commands::Cancel(
                    crate::domain::TicketRef::in_grid(&t.grid, t.no),
                ));
                self.command(tx, fx, scene, cancel).await.map(Some)
            }
            several => {
                let heading = self.texts.heading_withdraw_which();
                Ok(Some(vec![self.ticket_listing(scene, heading, several)]))
            }
        }
    }

    /// 接单 or 办结 typed alone by staff in a grid's group, not replying to a card: the grid's
    /// one ticket waiting to be claimed (for 办结: the sender's one claimed ticket here) is the
    /// one meant, as if its number had been written; with several, they are listed to choose
    /// from. `None` when there is none (the usage is told as before).
    pub(super) async fn the_one_meant(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        name: Name,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let Some(group) = &scene.group else {
            return Ok(None);
        };
        if !scene.standing.is_staff() {
            return Ok(None);
        }
        let assignee = match name {
            Name::Claim => None,
            _ => match &scene.person {
                Some(person) => Some(person.as_str()),
                None => return Ok(None),
            },
        };
        let waiting = tx
            .waiting_in_grid(&group.grid, assignee, super::queries::LIST_LIMIT)
            .await?;
        let command = |no| match name {
            Name::Claim => Command::Claim(super::commands::Claim(no)),
            _ => Command::Done(super::commands::Done(no, String::new())),
        };
        self.on_the_one(tx, fx, scene, name, &waiting, command)
            .await
    }

    /// `command` on the one ticket of `meant`; with several, they are listed for the sender to
    /// say which (`name` heads the list); with none, `None` (the words are chat).
    async fn on_the_one(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        name: Name,
        meant: &[Ticket],
        command: impl Fn(crate::domain::TicketRef) -> Command,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        match meant {
            [] => Ok(None),
            [t] => {
                let no = crate::domain::TicketRef::in_grid(&t.grid, t.no);
                self.command(tx, fx, scene, command(no)).await.map(Some)
            }
            several => {
                let heading = self.texts.heading_which_ticket(name.named(&self.texts));
                Ok(Some(vec![self.ticket_listing(scene, &heading, several)]))
            }
        }
    }

    /// A handler taking a job in their own words, with no number and not replying to a card:
    /// the grid's one ticket waiting when the words name no job ("收到，马上过去"), else the
    /// waiting ticket they name ("5栋垃圾我来处理"), as `接单 N` would. With several, they are
    /// listed; words naming nothing waiting are chat (`None`).
    pub(super) async fn claim_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        subject: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        if subject.is_empty() {
            return self.the_one_meant(tx, fx, scene, Name::Claim).await;
        }
        let Some(group) = &scene.group else {
            return Ok(None);
        };
        let (category, place) = self.parser.named(subject);
        if !scene.standing.is_staff() || (category.is_empty() && place.is_none()) {
            return Ok(None);
        }
        let named = (category.as_slice(), place.as_deref());
        let meant = waiting_named(tx, &group.grid, None, named).await?;
        let claim = |no| Command::Claim(super::commands::Claim(no));
        self.on_the_one(tx, fx, scene, Name::Claim, &meant, claim)
            .await
    }

    /// A handler's answer typed into the group soon after a resident asked, not replying ("带身份
    /// 证户口本到社区服务站就能办"): the consultation it answers, when there is exactly one — a
    /// question of the admin kind asked in this chat within the last quarter hour and not yet
    /// answered or claimed — is resolved with the answer, as a reply to it would be. Notices to
    /// everyone and "let me find out" words are no answer (`None`).
    pub(super) async fn answer_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        // Soon after, or the words are as likely about something else said since.
        const RECENT_MS: i64 = 15 * 60_000;
        let Some(group) = &scene.group else {
            return Ok(None);
        };
        if !scene.standing.is_staff() || !crate::understand::command::answers(text) {
            return Ok(None);
        }
        let open = tx
            .waiting_in_grid(&group.grid, None, super::queries::LIST_LIMIT)
            .await?;
        let asked: Vec<Ticket> = open
            .into_iter()
            .filter(|t| {
                t.category == Category::Admin
                    && t.chat_id == scene.event.chat.id
                    && t.created_at >= scene.now - RECENT_MS
                    && t.first_response_at.is_none()
                    && crate::understand::command::asks_for_information(&t.body)
            })
            .collect();
        let [t] = asked.as_slice() else {
            return Ok(None);
        };
        self.resolve(tx, fx, scene, t.id, text.trim())
            .await
            .map(Some)
    }

    /// A handler telling what has been done or is set for a job, naming it, not replying and
    /// with no number ("已经放了警示牌，明天市政来换井盖", "电梯公司下午来修3栋电梯"): the grid's one
    /// waiting ticket the words name is claimed, as 接单 would, and the words go into its
    /// history; the sender's one claimed ticket they name gets them as progress (进展). `None`
    /// when the words name no job, or several, or say nothing of doing.
    pub(super) async fn acted_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        const DOING: [&str; 12] = [
            "已经", "已", "明天", "今天", "上午", "下午", "晚上", "马上", "正在", "在修", "在弄",
            "安排",
        ];
        let (Some(group), Some(person)) = (&scene.group, &scene.person) else {
            return Ok(None);
        };
        if !scene.standing.is_staff()
            || !crate::understand::command::progress_reply(text)
            || !DOING.iter().any(|w| text.contains(w))
        {
            return Ok(None);
        }
        let (category, place) = self.parser.named(text);
        if category.is_empty() && place.is_none() {
            return Ok(None);
        }
        let named = (category.as_slice(), place.as_deref());
        let mut waiting = waiting_named(tx, &group.grid, None, named).await?;
        // The place the news names may be where the work is ("警示牌", "市政"), not the job's.
        if waiting.is_empty() && place.is_some() && !category.is_empty() {
            waiting = waiting_named(tx, &group.grid, None, (category.as_slice(), None)).await?;
        }
        if let [t] = waiting.as_slice() {
            let no = crate::domain::TicketRef::in_grid(&t.grid, t.no);
            let claim = Command::Claim(super::commands::Claim(no));
            let notices = self.command(tx, fx, scene, claim).await?;
            if tx
                .ticket(t.id)
                .await?
                .is_some_and(|t| t.state == TicketState::Claimed)
            {
                let said = crate::domain::mask::mask_personal_numbers(text);
                fx.record(scene, t.id, HistoryKind::Note, &said);
            }
            return Ok(Some(notices));
        }
        if !waiting.is_empty() {
            return Ok(None);
        }
        let held = waiting_named(tx, &group.grid, Some(person), named).await?;
        match held.as_slice() {
            [t] => self
                .add_note(tx, fx, scene, t.clone(), text)
                .await
                .map(Some),
            _ => Ok(None),
        }
    }

    /// A handler handing a job to someone of the roster in words, not replying ("这个交给吴强处理
    /// 吧", "楼顶漏水的事转给吴强"): the grid's active ticket the words name (the one there is
    /// when they point at it) is transferred as `转派 N 吴强` would; several are listed. `None`
    /// when the words name nobody of the roster ("我转给他们") or nothing active.
    pub(super) async fn handed_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let Some(group) = &scene.group else {
            return Ok(None);
        };
        let Some((job, to)) = crate::understand::command::handed_to(text) else {
            return Ok(None);
        };
        if !scene.standing.is_staff() || tx.find_people(to, scene.platform()).await?.is_empty() {
            return Ok(None);
        }
        let (category, place) = self.parser.named(job);
        if !job.is_empty() && category.is_empty() && place.is_none() {
            return Ok(None);
        }
        let meant = active_named(tx, &group.grid, (&category, place.as_deref())).await?;
        let to = to.to_string();
        let transfer = |no| Command::Transfer(super::commands::Transfer(no, to.clone()));
        self.on_the_one(tx, fx, scene, Name::Transfer, &meant, transfer)
            .await
    }

    /// A supervisor hurrying a job in words, not replying ("东风一网格楼道灯那件事抓紧办一下"): the
    /// active ticket the words name — in the grid they name (the longest name of a grid the
    /// sender supervises), else in the group's grid — is 督办'd as `督办 N <words>` would, the
    /// words from the hurrying on as the note. With several that fit, they are listed. `None`
    /// for anyone who supervises nothing, and when the words name no grid or nothing active.
    pub(super) async fn urge_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let Some((named, asked)) = crate::understand::command::urged_in_words(text) else {
            return Ok(None);
        };
        if !scene.supervises() {
            return Ok(None);
        }
        let meant = match self.supervised_job(tx, scene, named).await? {
            Some(Job::Here(_, meant)) => meant,
            Some(Job::Elsewhere(name)) => return Ok(Some(self.ask_privately(&name))),
            None => match &scene.group {
                Some(group) => {
                    let (category, place) = self.parser.named(named);
                    active_named(tx, &group.grid, (&category, place.as_deref())).await?
                }
                None => return Ok(None),
            },
        };
        let note = asked.trim().to_string();
        let urge = |no| Command::Urge(super::commands::Urge(no, note.clone()));
        self.on_the_one(tx, fx, scene, Name::Urge, &meant, urge)
            .await
    }

    /// The answer to a supervisor's words about a job of a grid the group must not see.
    fn ask_privately(&self, grid_name: &str) -> Vec<Notice> {
        vec![Notice::plain(
            self.texts.ask_privately_about(grid_name),
            None,
        )]
    }

    /// A job a supervisor names in words, in a grid named at the start as people shorten it
    /// ("东风一网格楼道灯那件事", "二网格那个电梯的事", "下罗组"): the longest opening up to a
    /// level word that names one grid the sender supervises, and the active tickets there that
    /// the rest of the words name. `None` when no such grid is named.
    ///
    /// Decision: asked in a group, only a grid inside the group's own subtree is answered
    /// there (a village's coordinators' group, or the residents' group of that grid); a grid
    /// outside it is [`Job::Elsewhere`], so a residents' group never sees another grid's job.
    async fn supervised_job(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        named: &str,
    ) -> Result<Option<Job>, StoreError> {
        let mut ends: Vec<usize> = ["网格", "社区", "村", "组", "镇"]
            .iter()
            .flat_map(|w| named.match_indices(w).map(|(at, w)| at + w.len()))
            .collect();
        if ends.is_empty() {
            return Ok(None);
        }
        let grids: Vec<crate::store::roster::Grid> = tx
            .existing_grids()
            .await?
            .into_iter()
            .filter(|g| scene.grants.iter().any(|grant| grant.covers(&g.path)))
            .collect();
        ends.sort_unstable_by(|a, b| b.cmp(a));
        let Some((grid, job)) = ends.into_iter().find_map(|end| {
            crate::stats::resolve_scope(&named[..end], &grids)
                .ok()
                .map(|g| (g, &named[end..]))
        }) else {
            return Ok(None);
        };
        if let Some(group) = &scene.group
            && !grid.path.starts_with(&group.grid_path)
        {
            return Ok(Some(Job::Elsewhere(grid.name)));
        }
        let (category, place) = self.parser.named(job);
        let meant = active_named(tx, &grid.code, (&category, place.as_deref())).await?;
        Ok(Some(Job::Here(grid.name, meant)))
    }

    /// A handler's news of an emergency met, not replying ("人已经救出来了，孩子没事"): progress on
    /// the one urgent ticket they hold in this chat, opened within the last six hours, as `进展
    /// N` records it. `None` when they hold no such ticket, or several.
    pub(super) async fn emergency_progress(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        const RECENT_MS: i64 = 6 * 3_600_000;
        let (Some(group), Some(person)) = (&scene.group, &scene.person) else {
            return Ok(None);
        };
        let held = tx
            .waiting_in_grid(&group.grid, Some(person), super::queries::LIST_LIMIT)
            .await?;
        let urgent: Vec<Ticket> = held
            .into_iter()
            .filter(|t| {
                t.urgency == Urgency::Urgent
                    && t.chat_id == scene.event.chat.id
                    && t.created_at >= scene.now - RECENT_MS
            })
            .collect();
        let [t] = urgent.as_slice() else {
            return Ok(None);
        };
        self.add_note(tx, fx, scene, t.clone(), text)
            .await
            .map(Some)
    }

    /// A handler saying a job is done in their own words, with no number first and not
    /// replying to a card ("灯已经修好了", "1号灯换好了", "the lamp at block 5 is fixed"): the
    /// ticket the words name is resolved as `办结 N` would, with what was done (the words
    /// themselves when nothing follows the phrase). A number names it outright; otherwise the
    /// sender's claimed tickets here are read, else (when the words name the job) the grid's
    /// tickets waiting, narrowed by what the words name. With several, they are
    /// listed; words that name something else ("今天的巡查已完成") or nothing of the grid's are
    /// chat (`None`).
    pub(super) async fn done_in_words(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Option<Vec<Notice>>, StoreError> {
        let (Some(group), Some(person)) = (&scene.group, &scene.person) else {
            return Ok(None);
        };
        if !scene.standing.is_staff() {
            return Ok(None);
        }
        let Some((subject, what)) = crate::understand::command::done_said(text) else {
            return Ok(None);
        };
        let result = said_result(text, subject, what);
        let done = |no| Command::Done(super::commands::Done(no, result.to_string()));
        let (category, place) = self.parser.named(subject);
        // "1号灯换好了": the number names it; in "3号楼的灯" it is the building's.
        if let Some((no, rest)) = crate::understand::command::leading_ref(subject)
            && place
                .as_deref()
                .is_none_or(|p| !p.starts_with(&subject[..subject.len() - rest.len()]))
        {
            return self.command(tx, fx, scene, done(no)).await.map(Some);
        }
        let pointed = subject.is_empty() || crate::understand::command::points_at_the_job(subject);
        if category.is_empty() && place.is_none() && !pointed {
            return Ok(None);
        }
        let named = (category.as_slice(), place.as_deref());
        let mut meant = waiting_named(tx, &group.grid, Some(person), named).await?;
        // Naming the job reaches the grid's tickets waiting too; "修好了" alone only the
        // sender's own, as 办结 alone does.
        if meant.is_empty() && !pointed {
            meant = waiting_named(tx, &group.grid, None, named).await?;
        }
        self.on_the_one(tx, fx, scene, Name::Done, &meant, done)
            .await
    }

    /// An edit of the message that opened a ticket updates the ticket's text; it never opens
    /// a second ticket.
    pub(super) async fn edited(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        ev: &InboundEvent,
        message_id: &str,
        text: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let Some(id) = tx
            .ticket_of_source(&ev.platform, &ev.chat.id, message_id)
            .await?
        else {
            return Ok(());
        };
        let Some(mut t) = tx.ticket(id).await? else {
            return Ok(());
        };
        if t.reporter_id != ev.sender.id {
            return Ok(());
        }
        let max = self.settings.intake.max_text_chars;
        t.body = text.chars().take(max).collect();
        t.updated_at = now;
        // The place written anew is the place, while the ticket is being handled: the card
        // must not keep showing the one the resident took back.
        let place = self.parser.parse(&t.body, false).location;
        let moved = t.state.is_active() && place.is_some() && place != t.location;
        let detail = format!(
            "{} → {}",
            t.location.as_deref().unwrap_or(""),
            place.as_deref().unwrap_or("")
        );
        if moved {
            t.location = place;
        }
        tx.update_ticket(&t).await?;
        let event = |kind, detail: &str| crate::store::tickets::TicketEvent {
            ticket_id: id,
            at: now,
            actor: format!("{}:{}", ev.platform, ev.sender.id),
            actor_name: ev.sender.name.clone(),
            kind,
            detail: detail.to_string(),
        };
        fx.events.push(event(HistoryKind::Edited, ""));
        if moved {
            fx.events.push(event(HistoryKind::Relocated, &detail));
            fx.touched
                .push((id, Some((ev.platform.clone(), ev.chat.id.clone()))));
            tracing::info!(ticket = id, "an edit moved the ticket's place");
        }
        Ok(())
    }
}

/// The tickets of `grid` waiting (open, or claimed by `assignee`: see
/// [`Tx::waiting_in_grid`]) that words naming `named` (their categories and place) are about.
async fn waiting_named(
    tx: &mut Tx,
    grid: &str,
    assignee: Option<&str>,
    (category, place): (&[Category], Option<&str>),
) -> Result<Vec<Ticket>, StoreError> {
    let waiting = tx
        .waiting_in_grid(grid, assignee, super::queries::LIST_LIMIT)
        .await?;
    Ok(waiting
        .into_iter()
        .filter(|t| about(category, place, t))
        .collect())
}

/// A grid's active tickets (open or claimed by anyone) that words naming `category` and
/// `place` are about: what a handover or a supervisor's words about a job can mean.
async fn active_named(
    tx: &mut Tx,
    grid: &str,
    (category, place): (&[Category], Option<&str>),
) -> Result<Vec<Ticket>, StoreError> {
    let active = tx.active_in_grid(grid, super::queries::LIST_LIMIT).await?;
    Ok(active
        .into_iter()
        .filter(|t| about(category, place, t))
        .collect())
}

/// Whether a message naming `category` (the categories its words name; none when it names
/// none) and `place` (unnamed: `None`) is about `ticket`'s problem: the ticket's category among
/// them, and no place the ticket's own words do not share. Compared
/// without case, and an English plural as its singular ("bins", "bin area").
fn about(category: &[Category], place: Option<&str>, ticket: &Ticket) -> bool {
    let body = ticket.body.to_lowercase();
    let theirs = ticket
        .location
        .as_deref()
        .unwrap_or_default()
        .to_lowercase();
    let place = place.is_none_or(|place| {
        let place = place.to_lowercase();
        let singular = place.strip_suffix('s').unwrap_or(&place);
        holds(&body, singular) || (!theirs.is_empty() && holds(&place, &theirs))
    });
    (category.is_empty() || category.contains(&ticket.category)) && place
}

/// What was done, from a handler's own words of done: the words themselves when they name
/// the job ("井盖已经固定好了", "drain has been cleared, was full of leaves") or when what
/// follows the word says nothing ("now", "了"); else what follows ("修好了，换了个灯泡").
fn said_result<'a>(text: &'a str, subject: &str, what: &'a str) -> &'a str {
    if !subject.is_empty() || what.chars().count() <= 3 || (what.is_ascii() && !what.contains(' '))
    {
        text.trim()
    } else {
        what
    }
}

/// A job a supervisor names in words ([`Engine::supervised_job`]).
enum Job {
    /// The grid's name and its active tickets that the words name.
    Here(String, Vec<Ticket>),
    /// A grid outside the group asked in: its name.
    Elsewhere(String),
}
