//! Go on leave until a day (inclusive): `/leave until 2026-12-03` (请假 至 12月3日).

//!
//! Leave is a date on the person (`people.on_leave_until`); assignment of new tickets skips
//! people on leave (see `Tx::on_duty`), so leave ends by itself when the day has passed.

use chrono::{Datelike, NaiveDate, TimeZone as _};

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

/// The last day of a leave as written; the year is the next occurrence when left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leave(pub LeaveDate);

impl ChatCommand for Leave {
    const SPEC: Spec = Spec {
        slash: "leave",
        slash_aliases: &[],
        words: &["请假", "休假"],
        usage: ("/leave until 2026-12-03", "请假 至 12月3日"),
        // Without "until": the example is also shown with the Chinese word (请假 2026-12-03).
        example: "/leave 2026-12-03",
        who: Who::OnDuty,
        about: About::Nothing,
        changes_roster: true,
        menu: false,
        told_when_bare: true,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::leave_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        leave_date(rest).map(Leave)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let Some(person) = scene.person.clone().filter(|_| scene.may(Name::Leave)) else {
            return Ok(vec![engine.refusal(scene, Name::Leave, None)]);
        };
        let texts = &engine.texts;
        let tz = engine.tz();
        let today = tz
            .timestamp_millis_opt(scene.now)
            .single()
            .map(|d| d.date_naive())
            .unwrap_or_default();
        let Some(last_day) = resolve_date(self.0, today) else {
            return Ok(vec![Notice::plain(texts.leave_in_past(), None)]);
        };
        // Leave runs to the end of the last day, local time.
        let end = last_day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| tz.from_local_datetime(&d).earliest())
            .map(|d| d.timestamp_millis());
        let Some(end) = end else {
            return Ok(vec![Notice::plain(texts.leave_in_past(), None)]);
        };
        tx.set_leave(&person, scene.now, Some(end)).await?;
        let active = tx.active_tickets_of(&person).await?.len();
        tracing::info!(%person, until = %last_day, "on leave");
        let day = texts.day(end - 1, tz);
        Ok(vec![Notice::plain(
            texts.on_leave(&scene.event.sender.name, &day, active),
            None,
        )])
    }
}

/// "至 12月3日", "until 2026-12-03", "2026/12/3", "12-03", "12月3号", "2026年12月3日".
fn leave_date(rest: &str) -> Result<LeaveDate, Problem> {
    let mut s = rest.trim();
    for prefix in ["至", "到", "until", "till", "to"] {
        if let Some(after) = s.strip_prefix(prefix) {
            s = after.trim();
            break;
        }
    }
    // The date, then perhaps why ("请假 至 12月9日 回老家", "/leave 2026-12-09, family").
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || "-/.年月日号".contains(*c)))
        .map_or(s.len(), |(i, _)| i);
    let s = s[..end].trim_end_matches(['日', '号', '.']);
    let numbers: Vec<&str> = s
        .split(['-', '/', '.', '年', '月'])
        .map(str::trim)
        .collect();
    let num = |t: &str| t.parse::<u32>().ok();
    let (year, month, day) = match numbers.as_slice() {
        [y, m, d] if y.len() == 4 => (Some(num(y).ok_or(Problem::BadDate)? as i32), num(m), num(d)),
        [m, d] => (None, num(m), num(d)),
        _ => return Err(Problem::BadDate),
    };
    match (month, day) {
        (Some(month @ 1..=12), Some(day @ 1..=31)) => Ok(LeaveDate { year, month, day }),
        _ => Err(Problem::BadDate),
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

    #[test]
    fn a_reason_may_follow_the_date() {
        let d = |month, day| LeaveDate {
            year: None,
            month,
            day,
        };
        for (text, want) in [
            ("至 12月9日 回老家", d(12, 9)),
            ("到12月9号，家里有事", d(12, 9)),
            ("until 12-09 family", d(12, 9)),
            ("12/9", d(12, 9)),
        ] {
            assert_eq!(leave_date(text), Ok(want), "{text}");
        }
        assert_eq!(
            leave_date("2026-12-09 family"),
            Ok(LeaveDate {
                year: Some(2026),
                month: 12,
                day: 9
            })
        );
        for bad in ["回老家", "至 下周", "12月", "13月1日"] {
            assert_eq!(leave_date(bad), Err(Problem::BadDate), "{bad}");
        }
    }
}
