//! Periods as offices report them, and the figures and chart series of a node and period.
//!
//! Every figure comes from the statistics rollups (`crate::stats`): a page reads one node's
//! rows for the period's days (and its children's for the tree), never the tickets, so it
//! costs the same at a thousand tickets and at a million. The rollups count a ticket on the
//! local day it was received, so the per-day series shows, for each day, the requests
//! received that day and how many of those are resolved by now; the satisfaction trend is
//! the satisfied share of the ratings given to the requests of each week (or month).

use chrono::{Datelike, NaiveDate, TimeZone as _};
use chrono_tz::Tz;

use crate::config::Language;
use crate::i18n::Texts;
use crate::stats::Summary;
use crate::stats::period::{self as span_words, Span};
use crate::store::{Store, StoreError};

/// A reporting period: local days `span`, and `[from, to)` in Unix milliseconds for the
/// ledger's filter on when a ticket was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// What the period was asked as (`month`, `2026-11`, `上月` …), to keep in links.
    pub key: String,
    pub span: Span,
    /// `None`: from the beginning.
    pub from: Option<i64>,
    pub to: i64,
    pub label: String,
}

fn midnight(date: NaiveDate, tz: Tz) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .and_then(|d| tz.from_local_datetime(&d).earliest())
        .map(|d| d.timestamp_millis())
        .unwrap_or(0)
}

/// The local date of `at`.
pub fn local_date(at: i64, tz: Tz) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.with_timezone(&tz).date_naive())
        .unwrap_or_default()
}

/// "2026-11-05 14:03" in the configured zone.
pub fn local_time(at: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The period named `key` as of `now`: the keys the pages offer (`month`, the default,
/// `last_month`, `quarter`, `year`, `7d`, `30d`, `all`), or anything the chat's 统计 takes
/// (`2026-11`, `上月`, `11月1日-11月15日`, `2026-11-01..2026-11-15` …). `None` otherwise.
pub fn period(key: &str, now: i64, tz: Tz, texts: &Texts) -> Option<Period> {
    let words = match key.trim() {
        "" | "month" => "本月",
        "last_month" => "上月",
        "week" => "本周",
        "last_week" => "上周",
        "quarter" => "本季度",
        "last_quarter" => "上季度",
        "year" => "今年",
        "last_year" => "去年",
        "7d" => "近7天",
        "30d" => "近30天",
        "all" => "全部",
        other => other,
    };
    let today = local_date(now, tz);
    let span = span_words::parse(words, today).ok()?;
    let label = match texts.lang {
        Language::Zh => span.label_zh(),
        Language::En => span.label_en(),
    };
    Some(Period {
        key: key.trim().to_string(),
        from: span.from.map(|d| midnight(d, tz)),
        to: midnight(span.to.succ_opt()?, tz),
        label,
        span,
    })
}

/// The period choices offered on pages.
pub fn period_choices(texts: &Texts) -> Vec<(String, String)> {
    [
        ("month", "period_month"),
        ("last_month", "period_last_month"),
        ("quarter", "period_quarter"),
        ("year", "period_year"),
        ("7d", "period_7d"),
        ("30d", "period_30d"),
        ("all", "period_all"),
    ]
    .iter()
    .map(|(k, l)| (k.to_string(), texts.ui(l).to_string()))
    .collect()
}

/// How a series' points are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    Week,
    Month,
}

/// One point of a series: the figures of the requests received in `[first, next step)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub first: NaiveDate,
    pub received: i64,
    /// Of those, resolved by now (办结, closed or not).
    pub done: i64,
    pub satisfied: i64,
    pub rated: i64,
}

/// Everything the overview and the report show for a node and period.
#[derive(Debug, Clone)]
pub struct Figures {
    pub summary: Summary,
    /// Received and resolved, per day for up to two months, per month beyond.
    pub volume_step: Step,
    pub volume: Vec<Point>,
    /// Satisfaction, per week for up to three months, per month beyond.
    pub trend_step: Step,
    pub trend: Vec<Point>,
}

impl Figures {
    /// Tickets past a deadline (claim or resolve), as the rollups count them.
    pub fn overdue(&self) -> i64 {
        self.summary.claim_overdue + self.summary.resolve_overdue
    }
}

fn first_of(d: NaiveDate, step: Step) -> NaiveDate {
    match step {
        Step::Day => d,
        Step::Week => d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Step::Month => d.with_day(1).unwrap_or(d),
    }
}

fn next_of(d: NaiveDate, step: Step) -> Option<NaiveDate> {
    match step {
        Step::Day => d.succ_opt(),
        Step::Week => d.checked_add_days(chrono::Days::new(7)),
        Step::Month => d.checked_add_months(chrono::Months::new(1)),
    }
}

/// The points of `days` (one summary per local day with anything received), every step
/// from `from` to `to` present, at most 400 of them.
pub fn series(
    days: &[(NaiveDate, Summary)],
    from: NaiveDate,
    to: NaiveDate,
    step: Step,
) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    let mut at = first_of(from, step);
    while at <= to && out.len() < 400 {
        out.push(Point {
            first: at,
            received: 0,
            done: 0,
            satisfied: 0,
            rated: 0,
        });
        match next_of(at, step) {
            Some(n) => at = n,
            None => break,
        }
    }
    for (day, s) in days {
        let key = first_of(*day, step);
        if let Ok(i) = out.binary_search_by(|p| p.first.cmp(&key)) {
            let p = &mut out[i];
            p.received += s.received;
            p.done += s.done;
            p.satisfied += s.satisfied;
            p.rated += s.rated;
        }
    }
    out
}

/// Periods longer than this many days are charted by month (received and resolved switch
/// from days to months at 62 days, satisfaction from weeks to months here).
const MONTHS_BEYOND: i64 = 92;

/// The figures of `node` (`"*"`: the whole tree, else a grid code) over `period`, from the
/// rollups: the node's rows for the period's days, twice (totals, then per day).
pub async fn figures(store: &Store, node: &str, period: &Period) -> Result<Figures, StoreError> {
    let summary = crate::stats::summary(store, node, &period.span).await?;
    // Both charts go by month beyond three months: whole months are read as one row each.
    // A period without a beginning is taken by month when its data starts more than four
    // months back (its first day is then at most a month after the first month's start, so
    // the steps stay months); otherwise it is read again by day.
    let by_month = |first: NaiveDate| (period.span.to - first).num_days() + 1 > MONTHS_BEYOND;
    let mut days = match period.span.from {
        Some(from) if by_month(from) => crate::stats::monthly(store, node, &period.span).await?,
        Some(_) => crate::stats::daily(store, node, &period.span).await?,
        None => crate::stats::monthly(store, node, &period.span).await?,
    };
    if period.span.from.is_none()
        && days
            .first()
            .is_some_and(|(d, _)| (period.span.to - *d).num_days() < MONTHS_BEYOND + 31)
    {
        days = crate::stats::daily(store, node, &period.span).await?;
    }
    let first = period
        .span
        .from
        .or_else(|| days.first().map(|(d, _)| *d))
        .unwrap_or(period.span.to);
    let last = period.span.to;
    let length = (last - first).num_days() + 1;
    let volume_step = if length <= 62 { Step::Day } else { Step::Month };
    let trend_step = if length <= MONTHS_BEYOND {
        Step::Week
    } else {
        Step::Month
    };
    Ok(Figures {
        volume: series(&days, first, last, volume_step),
        trend: series(&days, first, last, trend_step),
        summary,
        volume_step,
        trend_step,
    })
}

/// "97.8%" or "—".
pub fn percent(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn summary(received: i64, done: i64) -> Summary {
        Summary {
            received,
            done,
            ..Summary::default()
        }
    }

    #[test]
    fn months_follow_the_zone() {
        let tz: Tz = "Asia/Shanghai".parse().expect("zone");
        let texts = Texts::new(Language::Zh);
        // 2026-11-30 20:00 UTC is 1 December in Shanghai.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 20, 0, 0)
            .single()
            .expect("time")
            .timestamp_millis();
        let p = period("month", now, tz, &texts).expect("period");
        assert_eq!(p.label, "2026年12月");
        assert_eq!(
            p.from.map(|f| local_time(f, tz)).as_deref(),
            Some("2026-12-01 00:00")
        );
        let last = period("last_month", now, tz, &texts).expect("period");
        assert_eq!(last.label, "2026年11月");
        assert_eq!(Some(last.to), p.from);
        assert!(period("2026-13", now, tz, &texts).is_none());
        let feb = period("2026-02", now, tz, &texts).expect("period");
        assert_eq!(feb.from.map(|f| (feb.to - f) / DAY), Some(28));
        // The chat's words work too.
        let range = period("11月1日-11月15日", now, tz, &texts).expect("period");
        assert_eq!(range.span.days(), (20261101, 20261115));
        let all = period("all", now, tz, &texts).expect("period");
        assert_eq!(all.from, None);
    }

    #[test]
    fn series_have_every_step_and_sum_by_step() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let days = vec![
            (d(11, 2), summary(3, 1)),
            (d(11, 4), summary(2, 2)),
            (d(11, 10), summary(1, 0)),
        ];
        let daily = series(&days, d(11, 1), d(11, 10), Step::Day);
        assert_eq!(daily.len(), 10);
        assert_eq!((daily[1].received, daily[1].done), (3, 1));
        assert_eq!(daily[2].received, 0);
        // Weeks start on Monday: 2026-11-02 is a Monday.
        let weekly = series(&days, d(11, 1), d(11, 10), Step::Week);
        assert_eq!(
            weekly.iter().map(|p| p.first).collect::<Vec<_>>(),
            vec![d(10, 26), d(11, 2), d(11, 9)]
        );
        assert_eq!(
            weekly.iter().map(|p| p.received).collect::<Vec<_>>(),
            vec![0, 5, 1]
        );
        let monthly = series(&days, d(10, 15), d(11, 10), Step::Month);
        assert_eq!(
            monthly.iter().map(|p| p.received).collect::<Vec<_>>(),
            vec![0, 6]
        );
    }
}
