//! What the engine does with the parser's less certain answers and with reports of a problem
//! that already has a ticket:
//!
//! - **Confirmation** (the parser's middle band): the bot asks the sender "这是需要处理的诉求吗？"
//!   and remembers the message. "1", 确认 or the Confirm button from the same sender before the
//!   question expires opens the ticket from the original message, as if it had been explicit.
//!   Expiry is the stored time compared with the reply's own event time, so nothing has to run
//!   when a question lapses: a late answer simply finds nothing and stays unanswered.
//! - **Co-reporting**: a short "+1" / "我家也是" replying to a ticket card, or posted in the group
//!   soon after a ticket, adds the sender as a co-reporter of that ticket (a `co_reporter`
//!   history event and a row the rating step reads), with a one-line acknowledgement.
//! - **Linking**: a new request of the same category and place as a ticket still open in the same
//!   group is added to that ticket (a `linked` event carrying the new text, the sender as a
//!   co-reporter) instead of opening a second one: the leader has one job, not two, and the
//!   numbers count one problem once. An urgent report about a ticket that is not urgent opens
//!   its own ticket, so that danger never waits behind a routine deadline.

use super::{Effects, Engine, Notice, Scene};
use crate::domain::HistoryKind;
use crate::domain::Urgency;
use crate::domain::mask::mask_personal_numbers;
use crate::domain::message::{Button, EventKind};
use crate::store::confirm::{NewCoReporter, NewConfirmation, OpenTicket};
use crate::store::{StoreError, Tx};
use crate::understand::{Band, Understanding, same_problem};

/// What a step that may or may not handle a message returns: `None` when it did not.
pub(super) type Handled = Result<Option<Vec<Notice>>, StoreError>;

/// The button id of a confirmation question (a button id is the text it stands for).
const CONFIRM_COMMAND: &str = "/confirm";

/// Open tickets of a group looked at for a link: more would be a group with a backlog problem
/// that a link cannot fix.
const LINK_CANDIDATES: i64 = 50;

/// The suffix of an event made of the rest of a message that reported two problems.
const REST_SUFFIX: &str = "/2";

/// Most problems read out of one message: the rest after that is one report, however many
/// problems it names (a message listing a street's every fault is for a person to sort).
const MAX_SPLITS: usize = 4;

/// How many times the message an event comes from was split to make it.
fn split_so_far(event_id: &str) -> usize {
    let mut id = event_id;
    let mut n = 0;
    while let Some(rest) = id.strip_suffix(REST_SUFFIX) {
        id = rest;
        n += 1;
    }
    n
}

/// What a confirmation answer says.
enum Answer {
    /// "1", 是的, 确认 (yes) or "0", 不是, 不用了 (no): the sender's newest question in this chat.
    Newest(bool),
    /// A button: question `id`, yes or no.
    Question(i64, bool),
}

/// Typed answers to "这是需要处理的诉求吗？": yes, then no. Matched whole, after trailing
/// punctuation, and only when the sender has a question pending (otherwise they are chatter).
const YES: &[&str] = &[
    "1", "是", "是的", "是啊", "对", "对的", "确认", "確認", "确定", "要", "需要", "confirm",
    "yes", "y",
];
const NO: &[&str] = &[
    "0",
    "不是",
    "不是的",
    "不用",
    "不用了",
    "不需要",
    "否",
    "没事",
    "没事了",
    "no",
    "n",
];

fn answer(text: &str) -> Option<Answer> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix(CONFIRM_COMMAND) {
        let mut words = rest.split_whitespace();
        let id = words.next()?.parse().ok()?;
        let yes = words.next() != Some("no");
        return Some(Answer::Question(id, yes));
    }
    let t = t
        .trim_end_matches(['。', '.', '!', '！', '~', '～', '，', ','])
        .replace('１', "1")
        .replace('０', "0")
        .to_lowercase();
    if YES.contains(&t.as_str()) {
        Some(Answer::Newest(true))
    } else if NO.contains(&t.as_str()) {
        Some(Answer::Newest(false))
    } else {
        None
    }
}

/// How long after a ticket opens a report of its kind that names no place is read as its
/// follow-up: the neighbours who write while an emergency is happening, or the reporter's own
/// next words about her problem ("water works now but the tap is still dripping").
const FOLLOW_UP_MS: i64 = 30 * 60 * 1000;

impl Engine {
    /// The parser's verdict on a plain message, acted on: open (or link), ask, or stay silent.
    pub(super) async fn act_on_request(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Result<Vec<Notice>, StoreError> {
        let p = &self.settings.parser;
        match u.band(p.open_threshold, p.confirm_threshold) {
            Band::Open if !u.explicit && split_so_far(&scene.event.event_id) < MAX_SPLITS => {
                // Two problems in one message are two reports: the first is read here, the
                // rest goes through the inbox as a message of its own (split again if need be).
                let Some((first, rest)) = self.parser.split_report(&u.body, p.open_threshold)
                else {
                    return self.open_or_link(tx, fx, scene, u).await;
                };
                self.report_rest(tx, scene, &rest).await?;
                self.open_or_link(tx, fx, scene, &first).await
            }
            Band::Open => self.open_or_link(tx, fx, scene, u).await,
            Band::Confirm => {
                // The reporter's own words minutes after her report, of its kind and naming no
                // place ("water works now but the tap is still dripping"), are about it: they
                // are added to it, not asked about as a possible second problem.
                if u.location.is_none()
                    && let Some(existing) = self.same_open_problem(tx, scene, u).await?
                    && existing.reporter_id == scene.event.sender.id
                {
                    return self.link(tx, fx, scene, u, &existing).await;
                }
                // The photos wait for the answer: a confirmed ticket takes them.
                self.photos_without_report(tx, fx, scene, &u.body).await?;
                self.ask_to_confirm(tx, scene, u).await
            }
            Band::Silent => {
                // A photo alone, or with words that are no request: it may belong to the
                // sender's report of a moment ago, or to the one they are about to type.
                self.photos_without_report(tx, fx, scene, &u.body).await?;
                Ok(Vec::new())
            }
        }
    }

    /// Stores the rest of a message that reports two problems as an event of its own, after
    /// the message in the inbox: its own de-duplication key (the message's with `/2`), the same
    /// sender, chat and message to answer, no photos (they went with the first report).
    async fn report_rest(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        rest: &str,
    ) -> Result<(), StoreError> {
        let ev = scene.event;
        let EventKind::Message { message_id, .. } = &ev.kind else {
            return Ok(());
        };
        let mut part = ev.clone();
        part.event_id = format!("{}{REST_SUFFIX}", ev.event_id);
        part.kind = EventKind::Message {
            message_id: message_id.clone(),
            text: rest.to_string(),
            reply_to: None,
            mentions: Vec::new(),
            photos: Vec::new(),
        };
        tx.insert_events(&[part], scene.now).await?;
        tracing::info!("a message of two reports split; the second waits in the inbox");
        Ok(())
    }

    /// Opens a ticket for `u`, unless an open ticket of the group is about the same problem.
    async fn open_or_link(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Result<Vec<Notice>, StoreError> {
        let placed = self.with_waiting_place(tx, scene, u).await?;
        let u = placed.as_ref().unwrap_or(u);
        if let Some(existing) = self.same_open_problem(tx, scene, u).await? {
            return self.link(tx, fx, scene, u, &existing).await;
        }
        self.open_ticket(tx, fx, scene, u).await
    }

    async fn same_open_problem(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Result<Option<OpenTicket>, StoreError> {
        let Some(category) = u.category else {
            return Ok(None);
        };
        let urgent = u.urgency == Some(Urgency::Urgent);
        // No place: the same problem only as a follow-up of a report of its kind just opened,
        // an emergency's ("物业电话打了没人接" minutes after "9栋电梯困人了") or the sender's own
        // (her next words about it are no second problem: "还在漏，越来越大了").
        let follow_up = u.location.is_none();
        if !scene.group.as_ref().is_some_and(|g| g.active) {
            return Ok(None);
        }
        let since = if follow_up {
            scene.now - FOLLOW_UP_MS
        } else {
            scene.now - self.settings.parser.link_window.as_millis()
        };
        let open = tx
            .open_tickets_in_chat(
                scene.platform(),
                &scene.event.chat.id,
                since,
                LINK_CANDIDATES,
            )
            .await?;
        Ok(open.into_iter().find(|t| {
            let same = match u.location.as_deref() {
                Some(location) => {
                    same_problem(category, Some(location), t.category, t.location.as_deref())
                }
                None => {
                    t.category == category
                        && t.created_at >= since
                        && (urgent || t.reporter_id == scene.event.sender.id)
                }
            };
            same && (!urgent || t.urgency == Urgency::Urgent)
        }))
    }

    /// Adds a second report of the same problem to the open ticket.
    async fn link(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        u: &Understanding,
        t: &OpenTicket,
    ) -> Result<Vec<Notice>, StoreError> {
        let ev = scene.event;
        let body: String = u
            .body
            .trim()
            .chars()
            .take(self.settings.intake.max_text_chars)
            .collect();
        fx.record(scene, t.id, HistoryKind::Linked, &body);
        if ev.sender.id != t.reporter_id {
            let added = tx
                .add_co_reporter(&NewCoReporter {
                    ticket_id: t.id,
                    platform: ev.platform.clone(),
                    user_id: ev.sender.id.clone(),
                    name: ev.sender.name.clone(),
                    via: "linked",
                    inbox_id: scene.inbox_id,
                    added_at: scene.now,
                })
                .await?;
            if added {
                fx.record(scene, t.id, HistoryKind::CoReporter, "linked");
            }
        }
        self.photos_for_report(tx, fx, scene, t.id, ev.at).await?;
        tracing::info!(ticket = t.id, "second report linked to an open ticket");
        let place = t
            .location
            .as_deref()
            .map(mask_personal_numbers)
            .unwrap_or_default();
        let no = scene.number(&t.grid, t.no);
        let text = if ev.sender.id == t.reporter_id {
            self.texts.added_to_own_report(&no, t.category, &place)
        } else {
            self.texts.linked_report(&no, t.category, &place)
        };
        Ok(vec![Notice::plain(text, Some(t.id))])
    }

    /// Asks the sender whether a message the parser is unsure of is a request.
    async fn ask_to_confirm(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Result<Vec<Notice>, StoreError> {
        // Only where a ticket could be opened, and only about a message (not a button).
        let Some(message_id) = scene.message_id.clone() else {
            return Ok(Vec::new());
        };
        if !scene.group.as_ref().is_some_and(|g| g.active) || scene.standing.is_staff() {
            return Ok(Vec::new());
        }
        let ev = scene.event;
        let asked = tx
            .add_confirmation(&NewConfirmation {
                platform: ev.platform.clone(),
                account: ev.account.clone(),
                chat_id: ev.chat.id.clone(),
                sender_id: ev.sender.id.clone(),
                inbox_id: scene.inbox_id,
                message_id,
                body: u.body.clone(),
                asked_at: ev.at,
                expires_at: ev.at + self.settings.parser.confirm_ttl.as_millis(),
            })
            .await?;
        let Some(id) = asked else {
            return Ok(Vec::new());
        };
        tracing::info!(
            question = id,
            confidence = u.confidence,
            "asked to confirm a request"
        );
        let buttons = self.buttons_on(&ev.platform);
        Ok(vec![Notice {
            text: self.texts.confirm_question(buttons),
            ticket: None,
            mentions: Vec::new(),
            buttons: vec![
                Button {
                    id: format!("{CONFIRM_COMMAND} {id}"),
                    label: self.texts.button_confirm().to_string(),
                },
                Button {
                    id: format!("{CONFIRM_COMMAND} {id} no"),
                    label: self.texts.button_decline().to_string(),
                },
            ],
            as_reply: true,
            asked: None,
        }])
    }

    /// An answer to a confirmation question: opens the ticket, or (late, or nothing asked)
    /// returns `None` for a typed answer so that it is read like any message. A late button
    /// gets a toast only: the chat hears nothing.
    pub(super) async fn confirmation(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        text: &str,
    ) -> Handled {
        let Some(answer) = answer(text) else {
            return Ok(None);
        };
        let ev = scene.event;
        let (question, yes) = match answer {
            Answer::Newest(yes) => (
                tx.pending_confirmation(&ev.platform, &ev.chat.id, &ev.sender.id)
                    .await?,
                yes,
            ),
            Answer::Question(id, yes) => (tx.confirmation(id).await?, yes),
        };
        let by_button = matches!(answer, Answer::Question(..));
        let late =
            || Ok(by_button.then(|| vec![Notice::plain(self.texts.confirm_expired(), None)]));
        let Some(q) = question else {
            return late();
        };
        if q.platform != ev.platform || q.chat_id != ev.chat.id {
            return late();
        }
        if q.sender_id != ev.sender.id {
            return Ok(Some(vec![Notice::plain(
                self.texts.not_your_question(),
                None,
            )]));
        }
        if q.state != "pending" {
            return late();
        }
        if ev.at > q.expires_at {
            tx.settle_confirmation(q.id, "expired").await?;
            tracing::info!(
                question = q.id,
                "confirmation came too late; question expired"
            );
            return late();
        }
        let example = |source, is_request| crate::store::examples::LabelledExample {
            ticket_id: None,
            text: q.body.clone(),
            is_request,
            category: None,
            urgency: None,
            source,
            actor: scene.actor(),
            created_at: scene.now,
        };
        if !yes {
            if !tx.settle_confirmation(q.id, "declined").await? {
                return late();
            }
            let no = example(crate::store::examples::ExampleSource::ConfirmNo, false);
            crate::store::examples::record(tx, &no).await?;
            tracing::info!(question = q.id, "not a request, says its sender");
            return Ok(Some(vec![Notice::plain(
                self.texts.confirm_declined(),
                None,
            )]));
        }
        if !tx.settle_confirmation(q.id, "confirmed").await? {
            return late();
        }
        let yes = example(crate::store::examples::ExampleSource::ConfirmYes, true);
        crate::store::examples::record(tx, &yes).await?;
        // The ticket is the original message's: its inbox row, its message, its words.
        let mut u = self.parser.parse(&q.body, false);
        u.explicit = true;
        u.is_request = true;
        let original = Scene {
            event: scene.event,
            inbox_id: q.inbox_id,
            now: scene.now,
            group: scene.group.clone(),
            person: scene.person.clone(),
            grants: scene.grants.clone(),
            standing: scene.standing,
            message_id: Some(q.message_id.clone()),
            callback: None,
            card: None,
            readings: scene.readings,
            narrowed: false,
        };
        tracing::info!(question = q.id, "request confirmed by its sender");
        let notices = self.open_or_link(tx, fx, &original, &u).await?;
        // Photos sent around the original message (not around the answer) are its photos.
        if let Some(ticket) = notices.iter().find_map(|n| n.ticket) {
            self.photos_for_report(tx, fx, &original, ticket, q.asked_at)
                .await?;
        }
        Ok(Some(notices))
    }

    /// "+1" / "我家也是" about a ticket: the card it replies to, or the group's newest open
    /// ticket when that is recent. `None` when the message is not a co-report.
    pub(super) async fn me_too(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        replied_ticket: Option<i64>,
        text: &str,
    ) -> Handled {
        let me_too = self.parser.is_me_too(text) || crate::understand::command::sounds_me_too(text);
        if scene.standing.is_staff() || !me_too {
            return Ok(None);
        }
        if !matches!(scene.event.kind, EventKind::Message { .. }) {
            return Ok(None);
        }
        let ev = scene.event;
        let since = match replied_ticket {
            // A reply names its ticket; any age will do while it is open.
            Some(_) => self
                .settings
                .parser
                .link_window
                .as_millis()
                .max(self.settings.parser.me_too_window.as_millis()),
            None => self.settings.parser.me_too_window.as_millis(),
        };
        let open = tx
            .open_tickets_in_chat(
                &ev.platform,
                &ev.chat.id,
                scene.now - since,
                LINK_CANDIDATES,
            )
            .await?;
        let target = match replied_ticket {
            Some(n) => open.into_iter().find(|t| t.id == n),
            None => open.into_iter().next(),
        };
        let Some(t) = target else {
            return Ok(None);
        };
        // "7栋楼道灯坏了，还有两个也不亮" says "也" of a problem of its own: another kind of
        // problem or another place than the ticket's is a report, not a "me too".
        let own = self.read(scene, text);
        let elsewhere = own.is_request
            && (own.category.is_some_and(|c| c != t.category)
                || own
                    .location
                    .as_deref()
                    .is_some_and(|l| crate::understand::other_place(l, t.location.as_deref())));
        if elsewhere {
            return Ok(None);
        }
        if t.reporter_id == ev.sender.id {
            // The reporter agreeing with themselves adds nothing.
            return Ok(Some(Vec::new()));
        }
        let added = tx
            .add_co_reporter(&NewCoReporter {
                ticket_id: t.id,
                platform: ev.platform.clone(),
                user_id: ev.sender.id.clone(),
                name: ev.sender.name.clone(),
                via: "me_too",
                inbox_id: scene.inbox_id,
                added_at: scene.now,
            })
            .await?;
        if !added {
            return Ok(Some(Vec::new()));
        }
        fx.record(scene, t.id, HistoryKind::CoReporter, "me_too");
        tracing::info!(ticket = t.id, "co-reporter added");
        Ok(Some(vec![Notice::plain(
            self.texts.co_reported(&scene.number(&t.grid, t.no)),
            Some(t.id),
        )]))
    }
}

#[cfg(test)]
mod split_tests {
    use super::{MAX_SPLITS, split_so_far};

    #[test]
    fn the_rest_of_a_message_counts_its_splits() {
        assert_eq!(split_so_far("e17"), 0);
        assert_eq!(split_so_far("e17/2"), 1);
        assert_eq!(split_so_far("e17/2/2/2"), 3);
        assert_eq!(split_so_far("chat/2024/2"), 1);
        assert!(split_so_far("e1/2/2/2/2") >= MAX_SPLITS);
    }
}
