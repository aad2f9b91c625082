//! Periods as offices report them, and the figures and chart series of a node and period.

use chrono::{Datelike, NaiveDate, TimeZone as _};
use chrono_tz::Tz;

use crate::domain::TicketState;
use crate::i18n::Texts;
use crate::stats::{Stats, compute};
use crate::store::console::ConsoleFact;

const DAY: i64 = 86_400_000;

/// A reporting period, `[from, to)` in Unix milliseconds, with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// What the period was asked as (`month`, `2026-11`, `30d` …), to keep in links.
    pub key: String,
    pub from: i64,
    pub to: i64,
    pub label: String,
}

fn midnight(date: NaiveDate, tz: Tz) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .and_then(|d| tz.from_local_datetime(&d).earliest())
        .map(|d| d.timestamp_millis())
        .unwrap_or(0)
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
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

/// The period named `key` as of `now`: `month` (the default), `last_month`, `quarter`,
/// `year`, `7d`, `30d` or a month `YYYY-MM`. `None` for anything else.
pub fn period(key: &str, now: i64, tz: Tz, texts: &Texts) -> Option<Period> {
    let today = local_date(now, tz);
    let month = |y: i32, m: u32, label: String| {
        let start = month_start(y, m)?;
        let (ny, nm) = next_month(y, m);
        let end = month_start(ny, nm)?;
        Some(Period {
            key: key.to_string(),
            from: midnight(start, tz),
            to: midnight(end, tz),
            label,
        })
    };
    match key {
        "" | "month" => month(
            today.year(),
            today.month(),
            texts.month_label(today.year(), today.month()),
        ),
        "last_month" => {
            let (y, m) = if today.month() == 1 {
                (today.year() - 1, 12)
            } else {
                (today.year(), today.month() - 1)
            };
            month(y, m, texts.month_label(y, m))
        }
        "quarter" => {
            let q0 = (today.month() - 1) / 3 * 3 + 1;
            let start = month_start(today.year(), q0)?;
            let (mut y, mut m) = (today.year(), q0);
            for _ in 0..3 {
                (y, m) = next_month(y, m);
            }
            Some(Period {
                key: key.to_string(),
                from: midnight(start, tz),
                to: midnight(month_start(y, m)?, tz),
                label: texts.ui("period_quarter").to_string(),
            })
        }
        "year" => Some(Period {
            key: key.to_string(),
            from: midnight(month_start(today.year(), 1)?, tz),
            to: midnight(month_start(today.year() + 1, 1)?, tz),
            label: texts.ui("period_year").to_string(),
        }),
        "7d" | "30d" => {
            let days = if key == "7d" { 7 } else { 30 };
            let end = today.succ_opt()?;
            Some(Period {
                key: key.to_string(),
                from: midnight(end, tz) - days * DAY,
                to: midnight(end, tz),
                label: texts
                    .ui(if key == "7d" {
                        "period_7d"
                    } else {
                        "period_30d"
                    })
                    .to_string(),
            })
        }
        other => {
            let (y, m) = other.split_once('-')?;
            let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
            if !(1..=12).contains(&m) || !(2000..=2100).contains(&y) {
                return None;
            }
            month(y, m, texts.month_label(y, m))
        }
    }
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
    ]
    .iter()
    .map(|(k, l)| (k.to_string(), texts.ui(l).to_string()))
    .collect()
}

/// Everything the overview and the report show for a node and period.
#[derive(Debug, Clone)]
pub struct Figures {
    pub stats: Stats,
    /// Claimed by the claim deadline, of those claimed or past it.
    pub on_time_claim: Option<f64>,
    /// Resolved by the resolve deadline, of those resolved or past it.
    pub on_time_resolve: Option<f64>,
    /// `(day, received, resolved)` for every day of the period up to today.
    pub daily: Vec<(NaiveDate, i64, i64)>,
    /// `(week's first day, satisfied / rated)`.
    pub weekly_satisfaction: Vec<(NaiveDate, Option<f64>)>,
}

fn rate(hit: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| hit as f64 / of as f64)
}

/// The figures of `facts` (tickets created in `period`) as of `now`.
pub fn figures(facts: &[ConsoleFact], period: &Period, now: i64, tz: Tz) -> Figures {
    let plain: Vec<_> = facts.iter().map(|f| f.facts.clone()).collect();
    let stats = compute(&plain, now);
    let (mut claim_hit, mut claim_of, mut resolve_hit, mut resolve_of) = (0, 0, 0, 0);
    for f in &plain {
        if f.state == TicketState::Dismissed {
            continue;
        }
        let claimed = f.claimed_at.or(f.resolved_at);
        if claimed.is_some() || f.claim_due < now {
            claim_of += 1;
            claim_hit += i64::from(claimed.is_some_and(|c| c <= f.claim_due));
        }
        if f.resolved_at.is_some() || f.resolve_due < now {
            resolve_of += 1;
            resolve_hit += i64::from(f.resolved_at.is_some_and(|r| r <= f.resolve_due));
        }
    }
    let first = local_date(period.from, tz);
    let last = local_date(period.to.min(now.max(period.from + 1)) - 1, tz);
    let mut daily = Vec::new();
    let mut day = first;
    while day <= last && daily.len() < 400 {
        daily.push((day, 0, 0));
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    let index = |d: NaiveDate| (d - first).num_days();
    for f in &plain {
        if let Some(slot) = usize::try_from(index(local_date(f.created_at, tz)))
            .ok()
            .and_then(|i| daily.get_mut(i))
        {
            slot.1 += 1;
        }
        if let Some(r) = f.resolved_at
            && let Some(slot) = usize::try_from(index(local_date(r, tz)))
                .ok()
                .and_then(|i| daily.get_mut(i))
        {
            slot.2 += 1;
        }
    }
    let mut weeks: std::collections::BTreeMap<NaiveDate, (i64, i64)> = Default::default();
    for f in &plain {
        let d = local_date(f.created_at, tz);
        let monday = d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
        let w = weeks.entry(monday).or_default();
        w.1 += f.ratings.total();
        w.0 += f.ratings.satisfied;
    }
    Figures {
        stats,
        on_time_claim: rate(claim_hit, claim_of),
        on_time_resolve: rate(resolve_hit, resolve_of),
        daily,
        weekly_satisfaction: weeks
            .into_iter()
            .map(|(d, (s, n))| (d, rate(s, n)))
            .collect(),
    }
}

/// "97.8%" or "—".
pub fn percent(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// Hours with one decimal, or "—".
pub fn hours(ms: Option<i64>) -> String {
    ms.map(|m| format!("{:.1}", m as f64 / 3_600_000.0))
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Language;
    use crate::domain::Category;
    use crate::store::tickets::TicketFacts;

    const H: i64 = 3_600_000;

    fn fact(created: i64) -> ConsoleFact {
        ConsoleFact {
            id: 1,
            grid: "G".into(),
            facts: TicketFacts {
                state: TicketState::Open,
                category: Category::Lighting,
                created_at: created,
                first_response_at: None,
                resolved_at: None,
                claim_due: created + 2 * H,
                resolve_due: created + 72 * H,
                ratings: crate::domain::Ratings::default(),
                claimed_at: None,
                escalated: false,
                reopened: 0,
            },
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
        assert_eq!(local_time(p.from, tz), "2026-12-01 00:00");
        let last = period("last_month", now, tz, &texts).expect("period");
        assert_eq!(last.label, "2026年11月");
        assert_eq!(last.to, p.from);
        assert!(period("2026-13", now, tz, &texts).is_none());
        assert_eq!(
            period("2026-02", now, tz, &texts).map(|p| (p.to - p.from) / DAY),
            Some(28)
        );
    }

    #[test]
    fn on_time_rates_and_daily_series() {
        let tz: Tz = "UTC".parse().expect("zone");
        let texts = Texts::new(Language::En);
        let p = period("2026-11", 0, tz, &texts).expect("period");
        let start = p.from;
        let mut on_time = fact(start);
        on_time.facts.claimed_at = Some(start + H);
        on_time.facts.resolved_at = Some(start + DAY + H);
        on_time.facts.state = TicketState::Resolved;
        let late = fact(start + DAY);
        let figures = figures(&[on_time, late], &p, start + 3 * DAY, tz);
        assert_eq!(figures.on_time_claim, Some(0.5));
        assert_eq!(figures.on_time_resolve, Some(1.0));
        assert_eq!(figures.daily.len(), 3);
        assert_eq!(figures.daily[0].1, 1);
        assert_eq!(figures.daily[1], (figures.daily[1].0, 1, 1));
    }
}
