//! The periods coordinators report on, in Chinese and English, as spans of local days. Pure:
//! the caller passes today's date in the configured zone.
//!
//! | words | span |
//! |---|---|
//! | 今天 today, 昨天 yesterday | that day |
//! | 本周 this week, 上周 last week | Monday to Sunday |
//! | 本月 this month, 上月 last month | the calendar month |
//! | 本季度 this quarter, 上季度 last quarter | January–March, April–June, … |
//! | 今年 this year, 去年 last year | the calendar year |
//! | 前天 | the day before yesterday |
//! | 近7天 7d, 近30天 30d, and any 近N天 / 最近N天 / 近三天 / Nd / last N days | today and the N − 1 days before |
//! | 近两周 last 2 weeks, 近3个月 last 3 months | today back to the same weekday or day of the month, N weeks or months before (exclusive) |
//! | 全部 all 累计 | everything |
//! | 11月, 2026年11月, 2026-11, nov, november 2026 | a month; without a year the latest one not in the future |
//! | 2026年 | a year |
//! | 11月5日, 2026-11-05 | a day |
//! | 11月1日-11月15日, 11月1日至15日, 2026-11-01..2026-11-15, 2026-11-01 to 2026-11-15 | a range, both ends included |
//!
//! The current week, month, quarter and year end today: days to come have nothing yet.

use chrono::{Datelike, Duration, NaiveDate};

/// A span of local days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// `None`: from the beginning (全部).
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub kind: SpanKind,
}

/// How a span is named in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    All,
    Day,
    Month,
    /// Monday to Sunday: named by the whole week, though the current one is counted to today.
    Week,
    Quarter,
    Year,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("unknown period `{0}`")]
    Unknown(String),
    #[error("the period ends before it starts")]
    Backwards,
}

impl Span {
    /// yyyymmdd of the first and last day, as the rollups count days.
    pub fn days(&self) -> (i32, i32) {
        let ymd = |d: NaiveDate| d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32;
        (self.from.map_or(0, ymd), ymd(self.to))
    }

    /// "2026年11月", "2026年11月1日至15日", "累计".
    pub fn label_zh(&self) -> String {
        let Some(from) = self.from else {
            return "累计".into();
        };
        let to = match self.kind {
            SpanKind::Week => from + Duration::days(6),
            _ => self.to,
        };
        let day = |d: NaiveDate| format!("{}年{}月{}日", d.year(), d.month(), d.day());
        match self.kind {
            SpanKind::All => "累计".into(),
            SpanKind::Day => day(from),
            SpanKind::Month => format!("{}年{}月", from.year(), from.month()),
            SpanKind::Quarter => format!("{}年第{}季度", from.year(), (from.month() - 1) / 3 + 1),
            SpanKind::Year => format!("{}年", from.year()),
            SpanKind::Range if from == to => day(from),
            SpanKind::Range | SpanKind::Week => {
                let end = if from.year() != to.year() {
                    day(to)
                } else if from.month() != to.month() {
                    format!("{}月{}日", to.month(), to.day())
                } else {
                    format!("{}日", to.day())
                };
                format!("{}至{end}", day(from))
            }
        }
    }

    /// "November 2026", "1–15 Nov 2026", "all time".
    pub fn label_en(&self) -> String {
        let Some(from) = self.from else {
            return "all time".into();
        };
        let to = match self.kind {
            SpanKind::Week => from + Duration::days(6),
            _ => self.to,
        };
        match self.kind {
            SpanKind::All => "all time".into(),
            SpanKind::Day => from.format("%-d %b %Y").to_string(),
            SpanKind::Month => from.format("%B %Y").to_string(),
            SpanKind::Quarter => format!("Q{} {}", (from.month() - 1) / 3 + 1, from.year()),
            SpanKind::Year => from.year().to_string(),
            SpanKind::Range if from == to => from.format("%-d %b %Y").to_string(),
            SpanKind::Range | SpanKind::Week => {
                format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y"))
            }
        }
    }
}

fn span(from: NaiveDate, to: NaiveDate, kind: SpanKind) -> Span {
    Span {
        from: Some(from),
        to,
        kind,
    }
}

fn month_span(year: i32, month: u32, today: NaiveDate) -> Option<Span> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = next.pred_opt()?;
    Some(span(first, last.min(today.max(first)), SpanKind::Month))
}

fn quarter_span(year: i32, q: u32, today: NaiveDate) -> Option<Span> {
    let first = NaiveDate::from_ymd_opt(year, q * 3 - 2, 1)?;
    let last = month_span(year, q * 3, NaiveDate::MAX)?.to;
    Some(span(first, last.min(today.max(first)), SpanKind::Quarter))
}

fn year_span(year: i32, today: NaiveDate) -> Option<Span> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    Some(span(first, last.min(today.max(first)), SpanKind::Year))
}

/// Parses a period as people write it, relative to `today` (local).
pub fn parse(text: &str, today: NaiveDate) -> Result<Span, PeriodError> {
    let t: String = text
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' | '—' | '–' | '～' | '~' => '-',
            c => c,
        })
        .collect();
    let t = t.trim();
    let unknown = || PeriodError::Unknown(text.trim().to_string());
    let day = |d: NaiveDate| span(d, d, SpanKind::Day);
    let yesterday = today.pred_opt().unwrap_or(today);
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let quarter = (today.month() - 1) / 3 + 1;
    let named = match t {
        "" | "全部" | "所有" | "累计" | "all" | "all time" | "total" => Some(Span {
            from: None,
            to: today,
            kind: SpanKind::All,
        }),
        "今天" | "今日" | "当天" | "today" | "1d" => Some(day(today)),
        "昨天" | "昨日" | "yesterday" => Some(day(yesterday)),
        "前天" | "前日" | "day before yesterday" | "the day before yesterday" => {
            Some(day(yesterday.pred_opt().unwrap_or(yesterday)))
        }
        "本周" | "这周" | "本星期" | "this week" | "week" => {
            Some(span(monday, today, SpanKind::Week))
        }
        "上周" | "上星期" | "last week" => Some(span(
            monday - Duration::days(7),
            monday - Duration::days(1),
            SpanKind::Week,
        )),
        "本月" | "这个月" | "当月" | "this month" | "month" => {
            month_span(today.year(), today.month(), today)
        }
        "上月" | "上个月" | "last month" => {
            let last = today
                .with_day(1)
                .and_then(|d| d.pred_opt())
                .unwrap_or(today);
            month_span(last.year(), last.month(), today)
        }
        "本季度" | "本季" | "这个季度" | "this quarter" | "quarter" => {
            quarter_span(today.year(), quarter, today)
        }
        "上季度" | "上个季度" | "上季" | "last quarter" => {
            if quarter == 1 {
                quarter_span(today.year() - 1, 4, today)
            } else {
                quarter_span(today.year(), quarter - 1, today)
            }
        }
        "今年" | "本年" | "本年度" | "this year" | "year" => year_span(today.year(), today),
        "去年" | "上年" | "上一年" | "last year" => year_span(today.year() - 1, today),
        "近7天" | "最近7天" | "7天" | "近一周" | "7d" | "last 7 days" => {
            Some(span(today - Duration::days(6), today, SpanKind::Range))
        }
        "近30天" | "最近30天" | "30天" | "30d" | "last 30 days" => {
            Some(span(today - Duration::days(29), today, SpanKind::Range))
        }
        _ => None,
    };
    if let Some(s) = named.or_else(|| recent(t, today)) {
        return Ok(s);
    }
    // A range: two dates around a separator.
    for sep in ["..", "至", "到", " to ", " - ", "-"] {
        if sep == "-" && iso_date(t).is_some() {
            continue;
        }
        let mut found = None;
        for (i, _) in t.match_indices(sep) {
            let (a, b) = (t[..i].trim(), t[i + sep.len()..].trim());
            if let Some(first) = date(a, None, today)
                && let Some(last) = date(b, Some(first), today)
            {
                found = Some((first, last));
                break;
            }
        }
        if let Some((first, last)) = found {
            if last < first {
                return Err(PeriodError::Backwards);
            }
            return Ok(span(first, last, SpanKind::Range));
        }
    }
    if let Some(d) = date(t, None, today) {
        return Ok(day(d));
    }
    if let Some(s) = month(t, today) {
        return Ok(s);
    }
    if let Some(y) = t
        .strip_suffix('年')
        .or(Some(t).filter(|t| t.len() == 4))
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
    {
        return year_span(y, today).ok_or_else(unknown);
    }
    Err(unknown())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn english_month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| w.starts_with(m) && "january february march april may june july august september october november december".split(' ').any(|full| full.starts_with(w)))
        .map(|i| i as u32 + 1)
}

/// The latest `month` not after `today`'s month, when no year is written.
fn recent_year(month: u32, today: NaiveDate) -> i32 {
    if month > today.month() {
        today.year() - 1
    } else {
        today.year()
    }
}

/// A month: 11月, 2026年11月, 2026-11, 2026/11, nov, november 2026.
fn month(t: &str, today: NaiveDate) -> Option<Span> {
    if let Some(rest) = t.strip_suffix('月') {
        let (year, m) = match rest.split_once('年') {
            Some((y, m)) => (Some(y.trim().parse::<i32>().ok()?), m.trim()),
            None => (None, rest.trim()),
        };
        let m = chinese_number(m)?;
        if !(1..=12).contains(&m) {
            return None;
        }
        return month_span(year.unwrap_or_else(|| recent_year(m, today)), m, today);
    }
    if let Some((y, m)) = t.split_once(['-', '/'])
        && y.len() == 4
        && let (Ok(y), Ok(m)) = (y.parse::<i32>(), m.parse::<u32>())
        && (1..=12).contains(&m)
    {
        return month_span(y, m, today);
    }
    let words: Vec<&str> = t.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [m] => english_month(m).and_then(|m| month_span(recent_year(m, today), m, today)),
        [m, y] => {
            let m = english_month(m)?;
            month_span(y.parse().ok()?, m, today)
        }
        _ => None,
    }
}

/// 1–99 written as digits or Chinese numerals (十一月, 三十一日, 九十天); 零 or 〇 for nought.
fn chinese_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| {
        let c = if c == '零' { '〇' } else { c };
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|n| n as u32)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

fn iso_date(t: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
        .ok()
}

/// A day: 2026-11-05, 2026年11月5日, 11月5日, 5日 or 15号 (after `first`, in its month),
/// nov 5, 5 nov 2026. A day without a year is the latest one not after today (a range's
/// second day: not before the first).
fn date(t: &str, first: Option<NaiveDate>, today: NaiveDate) -> Option<NaiveDate> {
    if let Some(d) = iso_date(t) {
        return Some(d);
    }
    let t = t.trim();
    if let Some(rest) = t.strip_suffix(['日', '号']) {
        let (year, rest) = match rest.split_once('年') {
            Some((y, r)) => (Some(y.trim().parse::<i32>().ok()?), r),
            None => (None, rest),
        };
        let (month, d) = match rest.split_once('月') {
            Some((m, d)) => (Some(chinese_number(m.trim())?), chinese_number(d.trim())?),
            None => (None, chinese_number(rest.trim())?),
        };
        return resolve(year, month, d, first, today);
    }
    // English: "nov 5", "5 nov", "nov 5 2026", "5 nov 2026".
    let words: Vec<&str> = t.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let (m, d, y) = match words.as_slice() {
        [a, b] => match (english_month(a), english_month(b)) {
            (Some(m), None) => (m, b.parse().ok()?, None),
            (None, Some(m)) => (m, a.parse().ok()?, None),
            _ => return None,
        },
        [a, b, y] => match (english_month(a), english_month(b)) {
            (Some(m), None) => (m, b.parse().ok()?, Some(y.parse().ok()?)),
            (None, Some(m)) => (m, a.parse().ok()?, Some(y.parse().ok()?)),
            _ => return None,
        },
        [d] if first.is_some() => return resolve(None, None, d.parse().ok()?, first, today),
        _ => return None,
    };
    resolve(y, Some(m), d, first, today)
}

fn resolve(
    year: Option<i32>,
    month: Option<u32>,
    day: u32,
    first: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let month = match (month, first) {
        (Some(m), _) => m,
        (None, Some(f)) => f.month(),
        (None, None) => today.month(),
    };
    let year = match (year, first) {
        (Some(y), _) => y,
        (None, Some(f)) if month >= f.month() => f.year(),
        (None, Some(f)) => f.year() + 1,
        (None, None) => {
            let this = NaiveDate::from_ymd_opt(today.year(), month, day)?;
            if this > today {
                today.year() - 1
            } else {
                today.year()
            }
        }
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Text that was meant as a period though [`parse`] cannot read it ("13月", "2026年2月30日",
/// "11月15日-11月1日", "近0天"): a number with a unit of time or a date's separator. Grid names
/// have numbers too ("第1网格", "3组"), but not with these.
pub fn looks_like_period(text: &str) -> bool {
    let t = text.trim();
    let digits = t
        .chars()
        .any(|c| c.is_ascii_digit() || "０１２３４５６７８９".contains(c));
    let unit = [
        "年", "月", "日", "天", "周", "季度", "..", "day", "week", "month", "year",
    ]
    .iter()
    .any(|u| t.contains(u));
    let iso =
        t.len() >= 7 && t.as_bytes()[..4].iter().all(u8::is_ascii_digit) && t.as_bytes()[4] == b'-';
    digits && unit || iso
}

/// 近N天, 最近N周, 近N个月, Nd, "last N days" (N in digits or Chinese numerals up to 99):
/// today and the days before it, N days, weeks or months back.
fn recent(t: &str, today: NaiveDate) -> Option<Span> {
    let t = t.trim();
    let (body, english) = match ["近", "最近", "过去"]
        .iter()
        .find_map(|p| t.strip_prefix(p))
    {
        Some(rest) => (rest, false),
        None => match t.strip_prefix("last ").or_else(|| t.strip_prefix("past ")) {
            Some(rest) => (rest, true),
            // "7d", "90d"; "7天" alone is in the named words.
            None => {
                let n: u32 = t.strip_suffix('d')?.parse().ok()?;
                return days_back(n, today);
            }
        },
    };
    let body = body.trim();
    let units: &[(&str, u8)] = if english {
        &[
            (" days", b'd'),
            (" day", b'd'),
            (" weeks", b'w'),
            (" week", b'w'),
            (" months", b'm'),
            (" month", b'm'),
        ]
    } else {
        &[
            ("天", b'd'),
            ("日", b'd'),
            ("周", b'w'),
            ("个星期", b'w'),
            ("星期", b'w'),
            ("个月", b'm'),
            ("月", b'm'),
        ]
    };
    let (number, unit) = units
        .iter()
        .find_map(|(suffix, unit)| body.strip_suffix(suffix).map(|n| (n.trim(), *unit)))?;
    let n = count(number)?;
    match unit {
        b'd' => days_back(n, today),
        b'w' => days_back(n.checked_mul(7)?, today),
        _ => {
            let first = today
                .checked_sub_months(chrono::Months::new(n))?
                .succ_opt()?;
            Some(span(first, today, SpanKind::Range))
        }
    }
}

/// Today and the `n` − 1 days before it.
fn days_back(n: u32, today: NaiveDate) -> Option<Span> {
    if n == 0 || n > 3_660 {
        return None;
    }
    let first = today - Duration::days(i64::from(n) - 1);
    Some(span(first, today, SpanKind::Range))
}

/// A count in digits or Chinese numerals (一 … 九十九, 两); none counts one (近周 is 近一周).
fn count(s: &str) -> Option<u32> {
    if s.is_empty() {
        return Some(1);
    }
    chinese_number(&s.replace('两', "二"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    /// Saturday 5 December 2026.
    fn today() -> NaiveDate {
        d(2026, 12, 5)
    }

    fn p(text: &str) -> (Option<NaiveDate>, NaiveDate) {
        let s = parse(text, today()).unwrap_or_else(|e| panic!("{text}: {e}"));
        (s.from, s.to)
    }

    #[test]
    fn periods_that_cannot_be_read_are_still_periods() {
        for t in [
            "13月",
            "2026年2月30日",
            "11月15日-11月1日",
            "近0天",
            "2026-13",
            "last 0 days",
        ] {
            assert!(parse(t, today()).is_err(), "{t}");
            assert!(looks_like_period(t), "{t}");
        }
        for t in ["东风社区", "第1网格", "QS-DF-01", "3组", "下罗村"] {
            assert!(!looks_like_period(t), "{t}");
        }
    }

    #[test]
    fn every_period_word() {
        let t = today();
        for (words, from, to) in [
            (&["今天", "today", "今日"][..], Some(t), t),
            (&["前天"][..], Some(d(2026, 12, 3)), d(2026, 12, 3)),
            (
                &[
                    "近3天",
                    "近三天",
                    "最近3天",
                    "3d",
                    "last 3 days",
                    "过去三天",
                ][..],
                Some(d(2026, 12, 3)),
                t,
            ),
            (
                &["近两周", "近2周", "last 2 weeks", "近十四天"][..],
                Some(d(2026, 11, 22)),
                t,
            ),
            (
                &["近3个月", "近三个月", "last 3 months"][..],
                Some(d(2026, 9, 6)),
                t,
            ),
            (
                &["近一个月", "近1个月", "过去一个月"][..],
                Some(d(2026, 11, 6)),
                t,
            ),
            (&["近90天", "90d"][..], Some(d(2026, 9, 7)), t),
            (
                &["昨天", "yesterday"][..],
                Some(d(2026, 12, 4)),
                d(2026, 12, 4),
            ),
            (&["本周", "this week"][..], Some(d(2026, 11, 30)), t),
            (
                &["上周", "last week"][..],
                Some(d(2026, 11, 23)),
                d(2026, 11, 29),
            ),
            (&["本月", "this month"][..], Some(d(2026, 12, 1)), t),
            (
                &["上月", "上个月", "last month"][..],
                Some(d(2026, 11, 1)),
                d(2026, 11, 30),
            ),
            (&["本季度", "this quarter"][..], Some(d(2026, 10, 1)), t),
            (
                &["上季度", "last quarter"][..],
                Some(d(2026, 7, 1)),
                d(2026, 9, 30),
            ),
            (&["今年", "this year"][..], Some(d(2026, 1, 1)), t),
            (
                &["去年", "last year"][..],
                Some(d(2025, 1, 1)),
                d(2025, 12, 31),
            ),
            (
                &["近7天", "7d", "last 7 days"][..],
                Some(d(2026, 11, 29)),
                t,
            ),
            (
                &["近30天", "30d", "last 30 days"][..],
                Some(d(2026, 11, 6)),
                t,
            ),
            (&["全部", "all", "累计", ""][..], None, t),
        ] {
            for w in words {
                assert_eq!(p(w), (from, to), "{w}");
            }
        }
    }

    #[test]
    fn months_and_years() {
        let nov = (Some(d(2026, 11, 1)), d(2026, 11, 30));
        for w in [
            "11月",
            "十一月",
            "2026年11月",
            "2026-11",
            "nov",
            "November",
            "november 2026",
        ] {
            assert_eq!(p(w), nov, "{w}");
        }
        // A month still to come this year means last year's.
        assert_eq!(p("12月"), (Some(d(2026, 12, 1)), today()));
        assert_eq!(
            parse("2月", d(2026, 1, 10)).expect("feb").from,
            Some(d(2025, 2, 1))
        );
        assert_eq!(p("2月"), (Some(d(2026, 2, 1)), d(2026, 2, 28)));
        assert_eq!(p("2024年2月"), (Some(d(2024, 2, 1)), d(2024, 2, 29)));
        assert_eq!(p("2025年"), (Some(d(2025, 1, 1)), d(2025, 12, 31)));
        assert_eq!(p("2025"), (Some(d(2025, 1, 1)), d(2025, 12, 31)));
    }

    #[test]
    fn ranges_and_days() {
        let first_half = (Some(d(2026, 11, 1)), d(2026, 11, 15));
        for w in [
            "11月1日-11月15日",
            "11月1日至11月15日",
            "11月1日至15日",
            "11月1日～11月15日",
            "2026-11-01..2026-11-15",
            "2026-11-01 to 2026-11-15",
            "2026-11-01 - 2026-11-15",
            "2026年11月1日-2026年11月15日",
            "nov 1 - nov 15",
            "1 nov 2026 to 15 nov 2026",
        ] {
            assert_eq!(p(w), first_half, "{w}");
        }
        assert_eq!(p("11月5日"), (Some(d(2026, 11, 5)), d(2026, 11, 5)));
        assert_eq!(p("2026-11-05"), (Some(d(2026, 11, 5)), d(2026, 11, 5)));
        // Across a year end.
        assert_eq!(p("12月20日-1月5日"), (Some(d(2025, 12, 20)), d(2026, 1, 5)));
        assert_eq!(
            parse("2026-11-15..2026-11-01", today()),
            Err(PeriodError::Backwards)
        );
        assert!(matches!(
            parse("东风社区", today()),
            Err(PeriodError::Unknown(_))
        ));
        assert!(parse("13月", today()).is_err());
        assert!(parse("2月30日", today()).is_err());
    }

    #[test]
    fn boundaries_at_year_and_week_ends() {
        // Thursday 1 January 2026: this week began in 2025, last month and quarter are 2025's.
        let ny = d(2026, 1, 1);
        let s = parse("本周", ny).expect("week");
        assert_eq!((s.from, s.to), (Some(d(2025, 12, 29)), ny));
        let s = parse("上月", ny).expect("last month");
        assert_eq!((s.from, s.to), (Some(d(2025, 12, 1)), d(2025, 12, 31)));
        let s = parse("上季度", ny).expect("last quarter");
        assert_eq!((s.from, s.to), (Some(d(2025, 10, 1)), d(2025, 12, 31)));
        assert_eq!(
            parse("今天", ny).expect("today").days(),
            (20260101, 20260101)
        );
        // A Monday is the first day of its own week; a Sunday the last.
        let mon = d(2026, 11, 30);
        assert_eq!(parse("本周", mon).expect("week").from, Some(mon));
        let sun = d(2026, 11, 29);
        assert_eq!(
            parse("本周", sun).expect("week").from,
            Some(d(2026, 11, 23))
        );
    }

    #[test]
    fn labels_name_the_span() {
        let l = |w: &str| parse(w, today()).expect(w).label_zh();
        assert_eq!(l("11月"), "2026年11月");
        assert_eq!(l("本季度"), "2026年第4季度");
        assert_eq!(l("去年"), "2025年");
        assert_eq!(l("11月1日-11月15日"), "2026年11月1日至15日");
        assert_eq!(l("11月20日-12月5日"), "2026年11月20日至12月5日");
        assert_eq!(l("全部"), "累计");
        assert_eq!(l("今天"), "2026年12月5日");
        // A week is named by its Monday to Sunday, also on its first day, when it is counted
        // to today only: a Monday's 本周 is no report of one day.
        assert_eq!(l("本周"), "2026年11月30日至12月6日");
        assert_eq!(l("上周"), "2026年11月23日至29日");
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let week = parse("本周", monday).expect("week");
        assert_eq!((week.from, week.to), (Some(monday), monday));
        assert_eq!(week.label_zh(), "2026年12月7日至13日");
        assert_eq!(week.label_en(), "7 Dec 2026 – 13 Dec 2026");
        let e = |w: &str| parse(w, today()).expect(w).label_en();
        assert_eq!(e("11月"), "November 2026");
        assert_eq!(e("上季度"), "Q3 2026");
        assert_eq!(e("all"), "all time");
        assert_eq!(e("2026-11-01..2026-11-15"), "1 Nov 2026 – 15 Nov 2026");
    }
}
