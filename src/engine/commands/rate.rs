//! Rate the result: `/rate 42 满意|一般|不满意` (评价 42 满意). A reporter replying a rating
//! word or "没修好" to the ticket's card rates it the same way (`Engine::reply_to_card`).

use crate::domain::Rating;
use crate::domain::message::Mention;
use crate::domain::role::Who;
use crate::domain::ticket::Transition;
use crate::domain::{HistoryKind, Number, TicketState};
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::StoreError;
use crate::store::Tx;
use crate::store::tickets::Ticket;
use crate::understand::command::{Problem, TicketNo, number, parse_rating};

#[derive(Debug, Clone, PartialEq)]
pub struct Rate(pub TicketNo, pub Rating);

impl ChatCommand for Rate {
    const SPEC: Spec = Spec {
        slash: "rate",
        slash_aliases: &[],
        words: &["评价"],
        usage: ("/rate 42 满意|一般|不满意", "评价 42 满意"),
        example: "/rate 42 满意",
        who: Who::Reporter,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::rate_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        let rating = parse_rating(rest.trim()).ok_or(Problem::BadRating)?;
        Ok(Rate(n, rating))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        engine.rate(tx, fx, scene, n, self.1).await
    }
}

impl Engine {
    /// A rating by someone asked to rate (the reporter or a co-reporter). Everyone asked rates
    /// once per resolution, until the rating window (`rating.timeout` after the resolution)
    /// ends. The first rating decides what happens to the ticket: 满意/一般 close it, 不满意
    /// reopens it for the same leader. Later ratings in the window are counted (statistics
    /// count every rating) without changing the ticket; a later 不满意 is passed to the
    /// assignee. Documented in docs/conversation.md ("Ratings").
    pub(in crate::engine) async fn rate(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
        rating: Rating,
    ) -> Outcome {
        let mut t = granted!(self.access(tx, scene, n, Name::Rate).await?);
        let no = scene.number(&t.grid, t.no);
        let earlier = tx
            .rating_by(t.id, scene.platform(), scene.sender_id())
            .await?;
        let rated_now = matches!(t.state, TicketState::Resolved | TicketState::Closed);
        if let Some(e) = earlier
            .as_ref()
            .filter(|e| rated_now && e.round == t.reopened)
        {
            return Ok(vec![Notice::plain(
                self.texts
                    .already_rated(&no, &self.texts.when(e.rated_at, self.tz()), e.rating),
                None,
            )]);
        }
        if t.state == TicketState::Closed && t.rating.is_some() {
            let ends = self.rating_window_end(&t);
            if scene.now >= ends {
                let when = self.texts.when(ends, self.tz());
                return Ok(vec![Notice::plain(
                    self.texts.rating_window_over(&no, &when),
                    None,
                )]);
            }
            // Closed by an earlier rating of this resolution: counted, the ticket stays closed.
            self.count_rating(tx, scene, &mut t, rating, earlier.as_ref())
                .await?;
            tx.update_ticket(&t).await?;
            fx.record(scene, t.id, HistoryKind::Rated, rating.id());
            if rating != Rating::Unsatisfied {
                return Ok(vec![Notice::plain(
                    self.texts.rated(&no, rating),
                    Some(t.id),
                )]);
            }
            let assignee = self.assignee(tx, &t).await?;
            let name = assignee.as_ref().map_or("", |p| p.name.as_str());
            let mut notice = Notice::plain(
                self.texts
                    .rated_unsatisfied_after_close(&no, &scene.event.sender.name, name),
                Some(t.id),
            );
            if let Some(p) = assignee
                && let Some(uid) = p.user_id
            {
                notice.mentions = vec![Mention {
                    user_id: uid,
                    name: p.name,
                }];
            }
            return Ok(vec![notice]);
        }
        if rating == Rating::Unsatisfied {
            if let Err(notice) = self
                .transition(tx, scene, &mut t, Transition::Reopen, Name::Rate)
                .await?
            {
                return Ok(vec![notice]);
            }
            t.rating = Some(rating);
            t.updated_at = scene.now;
            self.count_rating(tx, scene, &mut t, rating, earlier.as_ref())
                .await?;
            t.resolved_at = None;
            t.reopened += 1;
            // A fresh resolve window from now, with its own reminder and escalation.
            let due = self.due(scene.now, t.urgency);
            t.resolve_due = due.resolve_by;
            tx.update_ticket(&t).await?;
            tx.cancel_timers(
                t.id,
                &[
                    crate::engine::timers::REMIND_RESOLVE,
                    crate::engine::timers::ESCALATE_RESOLVE,
                    crate::engine::timers::RATING_TIMEOUT,
                ],
                scene.now,
            )
            .await?;
            self.schedule(tx, t.id, t.urgency, scene.now, false).await?;
            fx.record(scene, t.id, HistoryKind::Rated, rating.id());
            fx.record(scene, t.id, HistoryKind::Reopened, "");
            let assignee = self.assignee(tx, &t).await?;
            let grid_name = tx.grid(&t.grid).await?.map(|g| g.name).unwrap_or_default();
            let report = self.texts.reopen_report(
                &t.number(),
                &grid_name,
                self.texts.category(t.category),
                assignee.as_ref().map_or("—", |p| p.name.as_str()),
            );
            self.tell_level(tx, fx, &t, "village", report, None).await?;
            return Ok(vec![self.reopened_notice(tx, &t).await?]);
        }
        if let Err(notice) = self
            .transition(tx, scene, &mut t, Transition::Close, Name::Rate)
            .await?
        {
            return Ok(vec![notice]);
        }
        t.rating = Some(rating);
        t.updated_at = scene.now;
        t.closed_at = Some(scene.now);
        self.count_rating(tx, scene, &mut t, rating, earlier.as_ref())
            .await?;
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Rated, rating.id());
        Ok(vec![Notice::plain(
            self.texts.rated(&no, rating),
            Some(t.id),
        )])
    }

    /// When the rating window of a ticket's latest resolution ends.
    pub(in crate::engine) fn rating_window_end(&self, t: &Ticket) -> i64 {
        let resolved = t.resolved_at.unwrap_or(t.updated_at);
        resolved + self.settings.rating.timeout.as_millis()
    }

    /// Records the sender's rating of `t` for its current resolution and counts it in the
    /// ticket's `ratings` (their rating of an earlier resolution is replaced, not added to).
    async fn count_rating(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        t: &mut Ticket,
        rating: Rating,
        earlier: Option<&crate::store::ratings::PersonRating>,
    ) -> Result<(), StoreError> {
        if let Some(e) = earlier {
            t.ratings.add(e.rating, -1);
        }
        t.ratings.add(rating, 1);
        tx.put_rating(&crate::store::ratings::PersonRating {
            ticket_id: t.id,
            platform: scene.platform().to_string(),
            user_id: scene.sender_id().to_string(),
            name: scene.event.sender.name.clone(),
            rating,
            round: t.reopened,
            rated_at: scene.now,
        })
        .await
    }

    async fn reopened_notice(&self, tx: &mut Tx, t: &Ticket) -> Result<Notice, StoreError> {
        let assignee = match &t.assignee {
            Some(code) => tx.person(code, &t.platform).await?,
            None => None,
        };
        let name = assignee
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let mut notice = Notice::plain(
            self.texts.reopened(&Number::local(&t.grid, t.no), &name),
            Some(t.id),
        );
        if let Some(uid) = assignee.and_then(|p| p.user_id) {
            notice.mentions = vec![Mention { user_id: uid, name }];
        }
        notice.buttons = vec![self.done_button(&t.number())];
        Ok(notice)
    }
}
