//! Duty: a leader or deputy goes on leave and comes back, hands active tickets to a
//! colleague, coordinators see who is away and supervise a ticket (督办).
//!
//! Leave is a date on the person (`people.on_leave_until`); assignment of new tickets skips
//! people on leave (see `Tx::on_duty`), so leave ends by itself when the day has passed.

use crate::domain::HistoryKind;
use chrono::{Datelike, NaiveDate, TimeZone as _};

use super::commands::Name;
use super::commands::leave::LeaveDate;
use super::timers::mention_of;
use super::{Effects, Engine, Notice, Outcome, Scene};
use crate::domain::role;
use crate::store::roster::Person;
use crate::store::{StoreError, Tx};

impl Engine {
    /// The sender's person code when they may use `name` (a duty command: leaders and
    /// deputies).
    fn on_duty_person(&self, scene: &Scene<'_>, name: Name) -> Option<String> {
        let subject = role::Subject {
            grants: &scene.grants,
            grid_path: scene.grid_path(),
            is_reporter: false,
            is_assignee: false,
        };
        let on_duty = name.spec().who.admits(subject);
        scene.person.clone().filter(|_| on_duty)
    }

    pub(super) async fn leave(
        &self,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
        until: LeaveDate,
    ) -> Outcome {
        let Some(person) = self.on_duty_person(scene, Name::Leave) else {
            return Ok(vec![self.refusal(scene, Name::Leave, None)]);
        };
        let tz = self.tz();
        let today = tz
            .timestamp_millis_opt(scene.now)
            .single()
            .map(|d| d.date_naive())
            .unwrap_or_default();
        let Some(last_day) = resolve_date(until, today) else {
            return Ok(vec![Notice::plain(self.texts.leave_in_past(), None)]);
        };
        // Leave runs to the end of the last day, local time.
        let end = last_day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| tz.from_local_datetime(&d).earliest())
            .map(|d| d.timestamp_millis());
        let Some(end) = end else {
            return Ok(vec![Notice::plain(self.texts.leave_in_past(), None)]);
        };
        tx.set_leave(&person, scene.now, Some(end)).await?;
        let active = tx.active_tickets_of(&person).await?.len();
        tracing::info!(%person, until = %last_day, "on leave");
        let day = self.texts.day(end - 1, tz);
        Ok(vec![Notice::plain(
            self.texts.on_leave(&scene.event.sender.name, &day, active),
            None,
        )])
    }

    pub(super) async fn back(&self, tx: &mut Tx, scene: &Scene<'_>) -> Outcome {
        let Some(person) = self.on_duty_person(scene, Name::Back) else {
            return Ok(vec![self.refusal(scene, Name::Back, None)]);
        };
        if tx.leave_until(&person, scene.now).await?.is_none() {
            return Ok(vec![Notice::plain(self.texts.not_on_leave(), None)]);
        }
        tx.set_leave(&person, scene.now, None).await?;
        tracing::info!(%person, "back from leave");
        Ok(vec![Notice::plain(
            self.texts.back(&scene.event.sender.name),
            None,
        )])
    }

    /// Moves every active ticket of the sender to `to`, or to the colleague on duty in the
    /// tickets' grid.
    pub(super) async fn handover(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        to: Option<&str>,
    ) -> Outcome {
        let Some(person) = self.on_duty_person(scene, Name::Handover) else {
            return Ok(vec![self.refusal(scene, Name::Handover, None)]);
        };
        let ids = tx.active_tickets_of(&person).await?;
        let Some(first) = ids.first() else {
            return Ok(vec![Notice::plain(self.texts.nothing_to_hand_over(), None)]);
        };
        let target = match to {
            Some(who) => {
                let mut people = tx.find_people(who, scene.platform()).await?;
                people.retain(|p| p.code != person);
                match people.len() {
                    0 => return Ok(vec![Notice::plain(self.texts.no_such_person(who), None)]),
                    1 => people.remove(0),
                    _ => return Ok(vec![Notice::plain(self.texts.ambiguous_person(who), None)]),
                }
            }
            None => {
                let grid = tx.ticket(*first).await?.map(|t| t.grid).unwrap_or_default();
                match self.colleague(tx, &grid, &person, scene).await? {
                    Some(p) => p,
                    None => return Ok(vec![Notice::plain(self.texts.no_colleague(), None)]),
                }
            }
        };
        let mut moved = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(mut t) = tx.ticket(id).await? else {
                continue;
            };
            if !t.state.is_active() {
                continue;
            }
            t.assignee = Some(target.code.clone());
            t.updated_at = scene.now;
            tx.update_ticket(&t).await?;
            fx.record(scene, t.id, HistoryKind::HandedOver, &target.code);
            moved.push(scene.number(&t.grid, t.no));
        }
        tracing::info!(from = %person, to = %target.code, count = moved.len(), "tickets handed over");
        let mut notice = Notice::plain(self.texts.handed_over(&target.name, &moved), None);
        notice.mentions = mention_of(std::iter::once(&target));
        Ok(vec![notice])
    }

    /// A leader or deputy of `grid` other than `person`, not on leave.
    async fn colleague(
        &self,
        tx: &mut Tx,
        grid: &str,
        person: &str,
        scene: &Scene<'_>,
    ) -> Result<Option<Person>, StoreError> {
        for role in ["leader", "deputy"] {
            for p in tx.holders(grid, role, scene.platform()).await? {
                if p.code != person && tx.leave_until(&p.code, scene.now).await?.is_none() {
                    return Ok(Some(p));
                }
            }
        }
        Ok(None)
    }

    pub(super) async fn on_leave_list(&self, tx: &mut Tx, scene: &Scene<'_>) -> Outcome {
        let (_, path) = match self.scope(tx, scene, None, Name::OnLeave).await? {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let tz = self.tz();
        let lines = tx
            .absences(&path, scene.now)
            .await?
            .iter()
            .map(|a| {
                self.texts
                    .absence_line(&a.name, &a.grid_name, &self.texts.day(a.until - 1, tz))
            })
            .collect();
        Ok(vec![self.listing(self.texts.heading_on_leave(), lines)])
    }

    /// 督办: a coordinator reminds the assignee, on the record, in the ticket's group.
    pub(super) async fn urge(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
    ) -> Outcome {
        let Some(t) = tx.ticket(n).await? else {
            return Ok(vec![Notice::plain(
                self.texts
                    .no_such_ticket(&crate::domain::TicketRef::here(n)),
                None,
            )]);
        };
        let path = tx.grid(&t.grid).await?.map(|g| g.path);
        let subject = role::Subject {
            grants: &scene.grants,
            grid_path: path.as_deref(),
            is_reporter: false,
            is_assignee: false,
        };
        if !Name::Urge.spec().who.admits(subject) {
            return Ok(vec![self.refusal(
                scene,
                Name::Urge,
                Some(&scene.number(&t.grid, t.no)),
            )]);
        }
        if !t.state.is_active() {
            return Ok(vec![Notice::plain(
                self.texts.wrong_state(
                    &scene.number(&t.grid, t.no),
                    t.state,
                    Name::Urge.words(&self.texts).action,
                ),
                None,
            )]);
        }
        fx.record(scene, t.id, HistoryKind::Urged, "");
        let assignee = self.assignee(tx, &t).await?;
        let name = assignee.as_ref().map_or("", |p| p.name.as_str());
        let text = self.texts.urged(
            &crate::domain::Number::local(&t.grid, t.no),
            &scene.event.sender.name,
            name,
        );
        let in_ticket_chat = t.platform == scene.platform() && t.chat_id == scene.event.chat.id;
        // A reminder like any other: a normal ticket's waits for the end of quiet hours.
        let hold = self.hold(t.urgency, scene.now);
        if in_ticket_chat && hold.is_none() {
            let mut notice = Notice::plain(text, Some(t.id));
            notice.mentions = mention_of(assignee.iter());
            notice.as_reply = false;
            return Ok(vec![notice]);
        }
        self.to_ticket_chat(fx, &t, text, mention_of(assignee.iter()), hold);
        Ok(vec![Notice::plain(
            self.texts.urge_recorded(
                &scene.number(&t.grid, t.no),
                hold.map(|at| self.texts.clock_time(at, self.tz()))
                    .as_deref(),
            ),
            None,
        )])
    }
}

/// The last day of leave: the given date, or (without a year) its next occurrence from today.
/// `None` for a day already past.
fn resolve_date(d: LeaveDate, today: NaiveDate) -> Option<NaiveDate> {
    match d.year {
        Some(y) => NaiveDate::from_ymd_opt(y, d.month, d.day).filter(|day| *day >= today),
        None => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), d.month, d.day);
            match this_year {
                Some(day) if day >= today => Some(day),
                _ => NaiveDate::from_ymd_opt(today.year() + 1, d.month, d.day),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_dates_resolve_to_the_next_occurrence() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("a date");
        let d = |year, month, day| LeaveDate { year, month, day };
        let ymd = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(resolve_date(d(None, 12, 3), today), ymd(2026, 12, 3));
        assert_eq!(resolve_date(d(None, 11, 22), today), ymd(2026, 11, 22));
        assert_eq!(resolve_date(d(None, 1, 5), today), ymd(2027, 1, 5));
        assert_eq!(resolve_date(d(Some(2026), 12, 3), today), ymd(2026, 12, 3));
        assert_eq!(resolve_date(d(Some(2026), 11, 1), today), None);
        assert_eq!(resolve_date(d(Some(2026), 2, 30), today), None);
    }
}
