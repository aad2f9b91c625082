//! Working-time calendars: which stretches of local time count towards a deadline.
//!
//! By default deadlines count calendar time ([`Calendar::always`]). A calendar file (format in
//! `docs/calendar.md`) counts only working hours: weekly hours per weekday, public holidays
//! (法定节假日) that are days off, and make-up working days (调休) that are worked although they
//! fall on a weekend. Pure apart from [`Calendar::load`]; times are Unix milliseconds in UTC and
//! the file's hours are local wall-clock times of the configured zone.

use chrono::{Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// Minutes in a day; also the minute value of "24:00".
const DAY_MINUTES: u32 = 24 * 60;
/// How far `add` and `between` look ahead. A deadline further away than this never comes in
/// practice, and the bound keeps every call finite whatever the input.
const HORIZON_DAYS: u64 = 100 * 366;
/// The longest single holiday entry accepted: a longer one is a typing error (wrong year), and
/// would otherwise hide that the calendar has no working time for years.
const MAX_HOLIDAY_DAYS: i64 = 366;

/// A working-time calendar. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Calendar {
    rules: Option<Arc<Rules>>,
}

/// Working spans of one day: minutes after local midnight, half-open, sorted and disjoint.
type Spans = Vec<(u32, u32)>;

#[derive(Debug)]
struct Rules {
    tz: chrono_tz::Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    week: [Spans; 7],
    /// Inclusive date ranges, sorted, merged, neither overlapping nor adjacent.
    holidays: Vec<(NaiveDate, NaiveDate)>,
    /// Make-up working days and their hours.
    makeup: BTreeMap<NaiveDate, Spans>,
}

/// A calendar file that cannot be used. Messages name the line and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("cannot read calendar file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("calendar file {path}: {error}")]
    InFile {
        path: PathBuf,
        error: Box<CalendarError>,
    },
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("line {line}: `{key}` {message}")]
    Invalid {
        line: usize,
        key: String,
        message: String,
    },
}

impl Calendar {
    /// Calendar time: every instant counts.
    pub fn always() -> Calendar {
        Calendar { rules: None }
    }

    /// Whether this is plain calendar time (no working-hours file).
    pub fn is_always(&self) -> bool {
        self.rules.is_none()
    }

    /// Parses a calendar file's text; `tz` is the zone its local times are in.
    pub fn parse(text: &str, tz: chrono_tz::Tz) -> Result<Calendar, CalendarError> {
        let file: FileDoc = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let rules = Builder { text, tz }.build(file)?;
        Ok(Calendar {
            rules: Some(Arc::new(rules)),
        })
    }

    pub fn load(path: &Path, tz: chrono_tz::Tz) -> Result<Calendar, CalendarError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Calendar::parse(&text, tz).map_err(|error| CalendarError::InFile {
            path: path.to_path_buf(),
            error: Box::new(error),
        })
    }

    /// The instant at which `work_ms` of working time has passed since `start_ms`
    /// (for `always()`: start_ms + work_ms). A start outside working hours begins counting at the
    /// next working moment. When the working time runs out exactly at the end of a span, the
    /// answer is that end (e.g. 17:30), not the start of the next span. Returns `i64::MAX` when
    /// the answer lies beyond about a hundred years.
    pub fn add(&self, start_ms: i64, work_ms: i64) -> i64 {
        let Some(rules) = &self.rules else {
            return start_ms.saturating_add(work_ms);
        };
        if work_ms <= 0 {
            return start_ms;
        }
        let Some((mut date, horizon)) = rules.walk_bounds(start_ms) else {
            return i64::MAX;
        };
        let mut remaining = work_ms;
        while date <= horizon {
            for (from, to) in rules.day_instants(date) {
                let from = from.max(start_ms);
                if to <= from {
                    continue;
                }
                if remaining <= to - from {
                    return from + remaining;
                }
                remaining -= to - from;
            }
            match rules.next_date(date) {
                Some(next) => date = next,
                None => break,
            }
        }
        i64::MAX
    }

    /// Working time between two instants (0 if end <= start). Counts at most about a hundred
    /// years after `start_ms`.
    pub fn between(&self, start_ms: i64, end_ms: i64) -> i64 {
        if end_ms <= start_ms {
            return 0;
        }
        let Some(rules) = &self.rules else {
            return end_ms.saturating_sub(start_ms);
        };
        let Some((mut date, horizon)) = rules.walk_bounds(start_ms) else {
            return 0;
        };
        let mut total = 0i64;
        while date <= horizon {
            for (from, to) in rules.day_instants(date) {
                if from >= end_ms {
                    return total;
                }
                let (from, to) = (from.max(start_ms), to.min(end_ms));
                if to > from {
                    total += to - from;
                }
            }
            match rules.next_date(date) {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }

    pub fn is_working(&self, at_ms: i64) -> bool {
        let Some(rules) = &self.rules else {
            return true;
        };
        let Some(date) = rules.local_date(at_ms) else {
            return false;
        };
        // Neighbouring days too: on a day the clocks change, a day's spans in UTC can reach
        // past its own local date.
        [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
            .any(|d| {
                rules
                    .day_instants(d)
                    .any(|(from, to)| from <= at_ms && at_ms < to)
            })
    }
}

impl Rules {
    fn local_date(&self, at_ms: i64) -> Option<NaiveDate> {
        Some(
            self.tz
                .timestamp_millis_opt(at_ms)
                .single()?
                .naive_local()
                .date(),
        )
    }

    /// The first date to look at for a walk starting at `start_ms` (the day before its local
    /// date, in case clock changes stretch that day into it) and the last.
    fn walk_bounds(&self, start_ms: i64) -> Option<(NaiveDate, NaiveDate)> {
        let date = self.local_date(start_ms)?;
        let first = date.pred_opt().unwrap_or(date);
        let horizon = date
            .checked_add_days(Days::new(HORIZON_DAYS))
            .unwrap_or(NaiveDate::MAX);
        Some((first, horizon))
    }

    /// The date after `date`, jumping over whole holiday ranges at once.
    fn next_date(&self, date: NaiveDate) -> Option<NaiveDate> {
        let next = date.succ_opt()?;
        match self.holiday_end(next) {
            Some(end) => end.succ_opt(),
            None => Some(next),
        }
    }

    /// The last day of the holiday range containing `date`, if any.
    fn holiday_end(&self, date: NaiveDate) -> Option<NaiveDate> {
        let after = self.holidays.partition_point(|(from, _)| *from <= date);
        let (_, to) = *self.holidays.get(after.checked_sub(1)?)?;
        (to >= date).then_some(to)
    }

    fn spans_on(&self, date: NaiveDate) -> &[(u32, u32)] {
        if let Some(spans) = self.makeup.get(&date) {
            return spans;
        }
        if self.holiday_end(date).is_some() {
            return &[];
        }
        &self.week[date.weekday().num_days_from_monday() as usize]
    }

    /// The day's working spans as UTC instants, half-open, in order.
    fn day_instants(&self, date: NaiveDate) -> impl Iterator<Item = (i64, i64)> + '_ {
        let tz = self.tz;
        self.spans_on(date).iter().filter_map(move |&(from, to)| {
            let from = local_instants(tz, wall_clock(date, from)?).0;
            let to = local_instants(tz, wall_clock(date, to)?).0;
            // A span swallowed by a spring-forward gap has no working time.
            (to > from).then_some((from, to))
        })
    }
}

/// The local wall-clock time `minutes` after midnight of `date` (1440 is the next midnight).
fn wall_clock(date: NaiveDate, minutes: u32) -> Option<NaiveDateTime> {
    if minutes >= DAY_MINUTES {
        return Some(date.succ_opt()?.and_time(NaiveTime::MIN));
    }
    Some(date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(
        minutes * 60,
        0,
    )?))
}

/// The UTC instants (ms) at which the wall clock of `tz` shows `local`: the earliest and the
/// latest (different only when the clocks go back and the time happens twice). A time skipped
/// when the clocks go forward maps to the moment of the jump.
pub(crate) fn local_instants(tz: chrono_tz::Tz, local: NaiveDateTime) -> (i64, i64) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.timestamp_millis(), t.timestamp_millis()),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.timestamp_millis(), b.timestamp_millis());
            (a.min(b), a.max(b))
        }
        LocalResult::None => {
            // The first wall-clock minute after the gap is the jump itself (zones change on
            // whole minutes); gaps are far shorter than a day, so this loop is short.
            for minutes in 1..=DAY_MINUTES {
                let later = local + chrono::Duration::minutes(i64::from(minutes));
                if let Some(t) = tz.from_local_datetime(&later).earliest() {
                    let t = t.timestamp_millis();
                    return (t, t);
                }
            }
            let t = local.and_utc().timestamp_millis();
            (t, t)
        }
    }
}

/// Reads "H:MM" or "HH:MM" (00:00 to 24:00) as minutes after midnight.
pub(crate) fn parse_clock(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a time of day (HH:MM, 00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len: usize| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

// ---- the file format -------------------------------------------------------------------------

type SpannedList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    week: Spanned<WeekDoc>,
    #[serde(default)]
    holiday: Vec<Spanned<HolidayDoc>>,
    #[serde(default)]
    makeup: Vec<Spanned<MakeupDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeekDoc {
    hours: Option<SpannedList>,
    days: Option<SpannedList>,
    mon: Option<SpannedList>,
    tue: Option<SpannedList>,
    wed: Option<SpannedList>,
    thu: Option<SpannedList>,
    fri: Option<SpannedList>,
    sat: Option<SpannedList>,
    sun: Option<SpannedList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayDoc {
    name: Option<String>,
    date: Option<Spanned<toml::Value>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MakeupDoc {
    name: Option<String>,
    date: Spanned<toml::Value>,
    hours: Option<SpannedList>,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

struct Builder<'a> {
    text: &'a str,
    tz: chrono_tz::Tz,
}

impl Builder<'_> {
    fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(self.text, spanned.span().start)
    }

    fn invalid<T>(&self, at: &Spanned<T>, key: &str, message: String) -> CalendarError {
        CalendarError::Invalid {
            line: self.line(at),
            key: key.to_string(),
            message,
        }
    }

    fn build(&self, file: FileDoc) -> Result<Rules, CalendarError> {
        let week_doc = &file.week;
        let hours = match &week_doc.get_ref().hours {
            Some(list) => Some(self.spans(list, "week.hours")?),
            None => None,
        };
        let mut week: [Spans; 7] = Default::default();
        if let Some(days) = &week_doc.get_ref().days {
            let Some(hours) = &hours else {
                return Err(self.invalid(
                    days,
                    "week.days",
                    "lists working days, but `week.hours` (their working hours) is missing".into(),
                ));
            };
            let mut seen = [false; 7];
            for day in days.get_ref() {
                let weekday = weekday_named(day.get_ref()).ok_or_else(|| {
                    self.invalid(
                        day,
                        "week.days",
                        format!(
                            "`{}` is not a weekday: use mon, tue, wed, thu, fri, sat, sun",
                            day.get_ref()
                        ),
                    )
                })?;
                let i = weekday.num_days_from_monday() as usize;
                if std::mem::replace(&mut seen[i], true) {
                    return Err(self.invalid(
                        day,
                        "week.days",
                        format!("lists `{}` twice", day.get_ref()),
                    ));
                }
                week[i] = hours.clone();
            }
        }
        let w = week_doc.get_ref();
        for ((name, weekday), own) in WEEKDAYS
            .iter()
            .zip([&w.mon, &w.tue, &w.wed, &w.thu, &w.fri, &w.sat, &w.sun])
        {
            if let Some(list) = own {
                // A weekday's own hours replace `hours`; `[]` makes it a day off.
                week[weekday.num_days_from_monday() as usize] =
                    self.spans(list, &format!("week.{name}"))?;
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(self.invalid(
                week_doc,
                "week",
                "has no working hours on any weekday, so a deadline could never be reached: \
                 set `hours` and `days` (or per-day hours such as `mon = [\"09:00-17:00\"]`)"
                    .into(),
            ));
        }

        // Holidays: remember where each date came from to report a clash with a make-up day.
        let mut holidays: Vec<(NaiveDate, NaiveDate, usize, String)> = Vec::new();
        for entry in &file.holiday {
            let doc = entry.get_ref();
            let label = name_suffix(doc.name.as_deref());
            let (from, to) = match (&doc.date, &doc.from, &doc.to) {
                (Some(date), None, None) => {
                    let d = self.date(date, "holiday.date", &label)?;
                    (d, d)
                }
                (None, Some(from), to) => {
                    let start = self.date(from, "holiday.from", &label)?;
                    let end = match to {
                        Some(to) => self.date(to, "holiday.to", &label)?,
                        None => start,
                    };
                    if end < start {
                        let to = to.as_ref().unwrap_or(from);
                        return Err(self.invalid(
                            to,
                            "holiday.to",
                            format!("{end} is before `from` ({start}){label}"),
                        ));
                    }
                    let days = (end - start).num_days() + 1;
                    if days > MAX_HOLIDAY_DAYS {
                        return Err(self.invalid(
                            from,
                            "holiday.from",
                            format!(
                                "{start} to {end} is {days} days long; a holiday may span at most \
                                 {MAX_HOLIDAY_DAYS} days (is a year mistyped?){label}"
                            ),
                        ));
                    }
                    (start, end)
                }
                (Some(date), Some(_), _) | (Some(date), _, Some(_)) => {
                    return Err(self.invalid(
                        date,
                        "holiday.date",
                        format!(
                            "and `from`/`to` are both set: give one day with `date` or a range \
                             with `from` and `to`{label}"
                        ),
                    ));
                }
                (None, None, Some(to)) => {
                    return Err(self.invalid(
                        to,
                        "holiday.from",
                        format!("is missing: a range needs its first day in `from`{label}"),
                    ));
                }
                (None, None, None) => {
                    return Err(self.invalid(
                        entry,
                        "holiday",
                        format!("needs `date` (one day) or `from` and `to` (a range){label}"),
                    ));
                }
            };
            holidays.push((from, to, self.line(entry), label));
        }

        let mut makeup: BTreeMap<NaiveDate, Spans> = BTreeMap::new();
        let mut makeup_lines: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for entry in &file.makeup {
            let doc = entry.get_ref();
            let label = name_suffix(doc.name.as_deref());
            let date = self.date(&doc.date, "makeup.date", &label)?;
            if let Some(line) = makeup_lines.get(&date) {
                return Err(self.invalid(
                    &doc.date,
                    "makeup.date",
                    format!("{date} is already a make-up day on line {line}{label}"),
                ));
            }
            if let Some((_, _, line, holiday)) = holidays
                .iter()
                .find(|(from, to, _, _)| *from <= date && date <= *to)
            {
                return Err(self.invalid(
                    &doc.date,
                    "makeup.date",
                    format!(
                        "{date} is both a make-up working day{label} and a holiday{holiday} on \
                         line {line}; it can only be one"
                    ),
                ));
            }
            let spans = match &doc.hours {
                Some(list) => {
                    let spans = self.spans(list, "makeup.hours")?;
                    if spans.is_empty() {
                        return Err(self.invalid(
                            list,
                            "makeup.hours",
                            format!(
                                "is empty: a make-up day is worked; a day off is a [[holiday]]{label}"
                            ),
                        ));
                    }
                    spans
                }
                None => {
                    let weekday = date.weekday();
                    if !week[weekday.num_days_from_monday() as usize].is_empty() {
                        return Err(self.invalid(
                            &doc.date,
                            "makeup.date",
                            format!(
                                "{date} is a {weekday}, already a working day; a make-up day is \
                                 a day off that is worked (check the date, or give `hours` to \
                                 change that day's hours){label}"
                            ),
                        ));
                    }
                    match &hours {
                        Some(hours) => hours.clone(),
                        None => {
                            return Err(self.invalid(
                                entry,
                                "makeup.hours",
                                format!(
                                    "is missing and there is no `week.hours` to default to{label}"
                                ),
                            ));
                        }
                    }
                }
            };
            makeup_lines.insert(date, self.line(&doc.date));
            makeup.insert(date, spans);
        }

        Ok(Rules {
            tz: self.tz,
            week,
            holidays: merge_ranges(holidays.into_iter().map(|(f, t, _, _)| (f, t)).collect()),
            makeup,
        })
    }

    /// Reads a list of "HH:MM-HH:MM" spans; refuses reversed, empty and overlapping ones.
    fn spans(&self, list: &SpannedList, key: &str) -> Result<Spans, CalendarError> {
        let mut spans: Vec<(u32, u32, &Spanned<String>)> = Vec::new();
        for item in list.get_ref() {
            let text = item.get_ref();
            let (from, to) = text.split_once('-').ok_or_else(|| {
                self.invalid(
                    item,
                    key,
                    format!("`{text}` is not a span of time: write \"HH:MM-HH:MM\", e.g. \"08:30-12:00\""),
                )
            })?;
            let from = parse_clock(from).map_err(|m| self.invalid(item, key, m))?;
            let to = parse_clock(to).map_err(|m| self.invalid(item, key, m))?;
            if to <= from {
                return Err(self.invalid(
                    item,
                    key,
                    format!(
                        "`{text}` ends before it starts (a span cannot cross midnight; split it \
                         at 24:00)"
                    ),
                ));
            }
            spans.push((from, to, item));
        }
        spans.sort_by_key(|(from, _, _)| *from);
        for pair in spans.windows(2) {
            let ((_, end, earlier), (start, _, later)) = (&pair[0], &pair[1]);
            if start < end {
                return Err(self.invalid(
                    later,
                    key,
                    format!("`{}` overlaps `{}`", later.get_ref(), earlier.get_ref()),
                ));
            }
        }
        Ok(spans.into_iter().map(|(f, t, _)| (f, t)).collect())
    }

    fn date(
        &self,
        value: &Spanned<toml::Value>,
        key: &str,
        label: &str,
    ) -> Result<NaiveDate, CalendarError> {
        let parsed = match value.get_ref() {
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
                dt.date.and_then(|d| {
                    NaiveDate::from_ymd_opt(i32::from(d.year), d.month.into(), d.day.into())
                })
            }
            toml::Value::String(s) => parse_date(s),
            _ => None,
        };
        parsed.ok_or_else(|| {
            self.invalid(
                value,
                key,
                format!(
                    "`{}` is not a date: write YYYY-MM-DD, e.g. 2026-10-01{label}",
                    value.get_ref()
                ),
            )
        })
    }
}

fn weekday_named(name: &str) -> Option<Weekday> {
    let name = name.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .find(|(short, _)| *short == name)
        .map(|(_, day)| *day)
}

fn name_suffix(name: Option<&str>) -> String {
    match name {
        Some(name) if !name.trim().is_empty() => format!(" ({})", name.trim()),
        _ => String::new(),
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Sorts inclusive date ranges and merges overlapping or adjacent ones, so that a walk can jump
/// over a whole run of days off at once.
fn merge_ranges(mut ranges: Vec<(NaiveDate, NaiveDate)>) -> Vec<(NaiveDate, NaiveDate)> {
    ranges.sort();
    let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(ranges.len());
    for (from, to) in ranges {
        match merged.last_mut() {
            Some((_, last)) if last.succ_opt().is_none_or(|next| from <= next) => {
                *last = (*last).max(to);
            }
            _ => merged.push((from, to)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;
    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const HOUR: i64 = 3_600_000;
    const MINUTE: i64 = 60_000;

    /// Office hours with a lunch break, the 2026 National Day holiday, its two make-up days
    /// (one with shorter hours).
    const OFFICE: &str = r#"
[week]
hours = ["08:30-12:00", "14:00-17:30"]
days = ["mon", "tue", "wed", "thu", "fri"]

[[holiday]]
name = "国庆节"
from = 2026-10-01
to = 2026-10-07

[[makeup]]
name = "国庆节调休"
date = 2026-09-20

[[makeup]]
date = "2026-10-10"
hours = ["09:00-12:00"]
"#;

    fn office() -> Calendar {
        Calendar::parse(OFFICE, SHANGHAI).expect("valid calendar")
    }

    /// UTC ms of an unambiguous local wall-clock time "YYYY-MM-DD HH:MM" in `tz`.
    fn at(tz: Tz, text: &str) -> i64 {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test time");
        tz.from_local_datetime(&naive)
            .single()
            .expect("unambiguous")
            .timestamp_millis()
    }

    fn sh(text: &str) -> i64 {
        at(SHANGHAI, text)
    }

    #[test]
    fn always_counts_every_instant() {
        let c = Calendar::always();
        assert!(c.is_always());
        assert_eq!(c.add(1_000, 5_000), 6_000);
        assert_eq!(c.between(1_000, 6_000), 5_000);
        assert_eq!(c.between(6_000, 1_000), 0);
        assert!(c.is_working(sh("2026-10-01 03:00")));
        assert_eq!(c.add(i64::MAX - 1, 10), i64::MAX);
    }

    #[test]
    fn add_counts_only_working_hours() {
        let c = office();
        assert!(!c.is_always());
        // 2026-03-09 is a Monday; a working day has 7 hours.
        let cases = [
            // (start, working time, due)
            ("2026-03-09 09:00", HOUR, "2026-03-09 10:00"),
            ("2026-03-09 09:00", 0, "2026-03-09 09:00"),
            // Across the lunch break.
            ("2026-03-09 11:00", 2 * HOUR, "2026-03-09 15:00"),
            ("2026-03-09 11:00", HOUR, "2026-03-09 12:00"),
            // Starting inside the break, before work, after work.
            ("2026-03-09 12:30", HOUR, "2026-03-09 15:00"),
            ("2026-03-09 07:00", HOUR, "2026-03-09 09:30"),
            ("2026-03-09 17:00", HOUR, "2026-03-10 09:00"),
            ("2026-03-09 17:30", HOUR, "2026-03-10 09:30"),
            // A whole working day ends at the end of the day, not the next morning.
            ("2026-03-09 20:00", 7 * HOUR, "2026-03-10 17:30"),
            ("2026-03-09 08:30", 7 * HOUR, "2026-03-09 17:30"),
            // Over the weekend.
            ("2026-03-13 16:00", 2 * HOUR, "2026-03-16 09:00"),
            ("2026-03-14 10:00", HOUR, "2026-03-16 09:30"),
            ("2026-03-15 23:59", 30 * MINUTE, "2026-03-16 09:00"),
            // "3d" = 72 working hours: 6.5 h on Monday, nine full days, 2.5 h on the third Monday.
            ("2026-03-09 09:00", 72 * HOUR, "2026-03-23 11:00"),
            // Over the National Day holiday (Thursday 1st to Wednesday 7th).
            ("2026-09-30 17:00", HOUR, "2026-10-08 09:00"),
            ("2026-10-03 10:00", HOUR, "2026-10-08 09:30"),
            ("2026-09-30 09:00", 72 * HOUR, "2026-10-20 17:00"),
            // Make-up Sunday with the normal hours, make-up Saturday with its own.
            ("2026-09-19 10:00", HOUR, "2026-09-20 09:30"),
            ("2026-09-20 17:00", 2 * HOUR, "2026-09-21 10:00"),
            ("2026-10-09 17:00", HOUR, "2026-10-10 09:30"),
            ("2026-10-10 11:00", 2 * HOUR, "2026-10-12 09:30"),
        ];
        for (start, work, due) in cases {
            assert_eq!(
                c.add(sh(start), work),
                sh(due),
                "{start} + {}m",
                work / MINUTE
            );
        }
    }

    #[test]
    fn between_counts_working_time() {
        let c = office();
        let cases = [
            ("2026-03-09 09:00", "2026-03-09 10:00", HOUR),
            ("2026-03-09 10:00", "2026-03-09 09:00", 0),
            ("2026-03-09 09:00", "2026-03-09 09:00", 0),
            ("2026-03-09 11:00", "2026-03-09 15:00", 2 * HOUR),
            ("2026-03-09 12:10", "2026-03-09 13:50", 0),
            ("2026-03-09 00:00", "2026-03-10 00:00", 7 * HOUR),
            ("2026-03-09 00:00", "2026-03-16 00:00", 35 * HOUR),
            ("2026-03-14 00:00", "2026-03-16 00:00", 0),
            ("2026-09-14 00:00", "2026-09-21 00:00", 42 * HOUR),
            (
                "2026-09-28 00:00",
                "2026-10-12 00:00",
                3 * 7 * HOUR + 3 * HOUR + 14 * HOUR,
            ),
        ];
        for (start, end, work) in cases {
            assert_eq!(c.between(sh(start), sh(end)), work, "{start} .. {end}");
        }
    }

    #[test]
    fn between_is_the_inverse_of_add() {
        let c = office();
        let works = [1, MINUTE, HOUR, 3 * HOUR + 30 * MINUTE, 7 * HOUR, 72 * HOUR];
        // Every 37 minutes over five weeks around the holiday, so that starts fall in every kind
        // of stretch: working spans, breaks, nights, weekends, holiday, make-up days.
        let mut start = sh("2026-09-14 00:00");
        let last = sh("2026-10-19 00:00");
        while start < last {
            for work in works {
                let due = c.add(start, work);
                assert_eq!(c.between(start, due), work, "start {start} work {work}");
                // The last counted millisecond was working time; nothing after `due` was counted.
                assert!(c.is_working(due - 1), "start {start} work {work}");
                assert!(due >= start + work);
            }
            let due_later = c.add(start, 2 * HOUR);
            assert!(c.add(start, HOUR) < due_later);
            start += 37 * MINUTE;
        }
    }

    #[test]
    fn is_working_follows_hours_holidays_and_makeup_days() {
        let c = office();
        for (when, working) in [
            ("2026-03-09 08:29", false),
            ("2026-03-09 08:30", true),
            ("2026-03-09 11:59", true),
            ("2026-03-09 12:00", false),
            ("2026-03-09 14:00", true),
            ("2026-03-09 17:29", true),
            ("2026-03-09 17:30", false),
            ("2026-03-14 10:00", false),
            ("2026-10-01 10:00", false),
            ("2026-10-07 10:00", false),
            ("2026-10-08 10:00", true),
            ("2026-09-20 10:00", true),
            ("2026-09-20 15:00", true),
            ("2026-10-10 11:00", true),
            ("2026-10-10 14:30", false),
            ("2026-10-11 10:00", false),
        ] {
            assert_eq!(c.is_working(sh(when)), working, "{when}");
        }
    }

    #[test]
    fn weekday_hours_override_the_common_hours() {
        let c = Calendar::parse(
            r#"
[week]
hours = ["09:00-17:00"]
days = ["mon", "tue", "wed", "thu", "fri"]
fri = ["09:00-12:00"]
sat = ["10:00-11:00"]
"#,
            SHANGHAI,
        )
        .expect("valid");
        // 2026-03-13 is a Friday.
        assert_eq!(
            c.between(sh("2026-03-13 00:00"), sh("2026-03-14 00:00")),
            3 * HOUR
        );
        assert_eq!(
            c.add(sh("2026-03-13 11:00"), 2 * HOUR),
            sh("2026-03-14 11:00")
        );
        assert_eq!(
            c.between(sh("2026-03-09 00:00"), sh("2026-03-16 00:00")),
            4 * 8 * HOUR + 3 * HOUR + HOUR
        );
    }

    #[test]
    fn long_windows_and_long_holidays_are_quick() {
        // Overlapping and adjacent holidays merge into one run of 400 days off.
        let c = Calendar::parse(
            r#"
[week]
hours = ["09:00-17:00"]
days = ["mon", "tue", "wed", "thu", "fri"]
[[holiday]]
from = 2026-01-01
to = 2026-12-31
[[holiday]]
from = 2026-12-01
to = 2027-01-31
[[holiday]]
from = 2027-02-01
to = 2027-02-04
"#,
            SHANGHAI,
        )
        .expect("valid");
        // 2027-02-05 is a Friday.
        assert_eq!(
            c.add(sh("2025-12-31 16:00"), 2 * HOUR),
            sh("2027-02-05 10:00")
        );
        let timer = std::time::Instant::now();
        // A year of working time (8 h a day, five days a week) is about 4.2 calendar years.
        let year = 365 * 24 * HOUR;
        let due = c.add(sh("2027-03-01 09:00"), year);
        assert_eq!(c.between(sh("2027-03-01 09:00"), due), year);
        // Far beyond any useful deadline: answered, not looped over forever.
        assert_eq!(c.add(sh("2027-03-01 09:00"), i64::MAX), i64::MAX);
        assert!(c.between(0, i64::MAX) > 0);
        assert!(
            timer.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            timer.elapsed()
        );
    }

    #[test]
    fn daylight_saving_days_are_measured_in_real_time() {
        // Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25.
        let c = Calendar::parse(
            r#"
[week]
hours = ["00:00-24:00"]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"#,
            BERLIN,
        )
        .expect("valid");
        let sat = at(BERLIN, "2026-03-28 00:00");
        assert_eq!(c.add(sat, 24 * HOUR), at(BERLIN, "2026-03-29 00:00"));
        assert_eq!(c.add(sat, 25 * HOUR), at(BERLIN, "2026-03-29 01:00"));
        assert_eq!(c.add(sat, 48 * HOUR), at(BERLIN, "2026-03-30 01:00"));
        assert_eq!(
            c.between(
                at(BERLIN, "2026-03-29 00:00"),
                at(BERLIN, "2026-03-30 00:00")
            ),
            23 * HOUR
        );
        assert_eq!(
            c.between(
                at(BERLIN, "2026-10-25 00:00"),
                at(BERLIN, "2026-10-26 00:00")
            ),
            25 * HOUR
        );

        // Hours that straddle the spring gap count only the time that exists; a span inside
        // the gap counts nothing.
        let night = Calendar::parse(
            "[week]\nsun = [\"01:00-01:30\", \"02:10-02:50\", \"02:55-03:30\"]\n",
            BERLIN,
        )
        .expect("valid");
        let (before, spring) = (
            at(BERLIN, "2026-03-22 00:00"),
            at(BERLIN, "2026-03-29 00:00"),
        );
        assert_eq!(
            night.between(before, before + 24 * HOUR),
            (30 + 40 + 35) * MINUTE
        );
        // On the spring day 02:10-02:50 does not exist and 02:55-03:30 runs from the jump
        // (03:00) to 03:30.
        assert_eq!(
            night.between(spring, at(BERLIN, "2026-03-30 00:00")),
            (30 + 30) * MINUTE
        );
        assert_eq!(
            night.add(spring, 45 * MINUTE),
            at(BERLIN, "2026-03-29 03:15")
        );
        assert!(night.is_working(at(BERLIN, "2026-03-29 01:29")));
        assert!(!night.is_working(at(BERLIN, "2026-03-29 01:59")));
        assert!(night.is_working(at(BERLIN, "2026-03-29 03:00")));
    }

    #[test]
    fn the_example_file_is_valid() {
        let text = include_str!("../../config/calendar-example.toml");
        let c = Calendar::parse(text, SHANGHAI).expect("example calendar is valid");
        // Spring Festival 2026: days off 15–23 February, make-up Saturdays 14 and 28 February.
        assert!(c.is_working(sh("2026-02-14 10:00")));
        assert!(!c.is_working(sh("2026-02-16 10:00")));
        assert!(!c.is_working(sh("2026-02-23 10:00")));
        assert!(c.is_working(sh("2026-02-24 10:00")));
        assert!(c.is_working(sh("2026-02-28 10:00")));
        assert!(!c.is_working(sh("2026-03-01 10:00")));
        assert_eq!(c.add(sh("2026-02-13 17:00"), HOUR), sh("2026-02-14 09:00"));
    }

    fn invalid(text: &str) -> CalendarError {
        Calendar::parse(text, SHANGHAI).expect_err(text)
    }

    const WEEK: &str =
        "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n";

    #[test]
    fn every_mistake_names_its_line_key_and_problem() {
        let with = |rest: &str| format!("{WEEK}{rest}");
        let cases: Vec<(String, usize, &str, &str)> = vec![
            // (file, line, key, what the message says)
            (
                "[week]\nhours = [\"09:00-17:60\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "not a time of day",
            ),
            (
                "[week]\nhours = [\"25:00-26:00\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "not a time of day",
            ),
            (
                "[week]\nhours = [\"9-17\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "not a time of day",
            ),
            (
                "[week]\nhours = [\"09:00\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "not a span",
            ),
            (
                "[week]\nhours = [\n  \"09:00-12:00\",\n  \"17:00-13:00\",\n]\ndays = [\"mon\"]\n"
                    .into(),
                4,
                "week.hours",
                "ends before it starts",
            ),
            (
                "[week]\nhours = [\"09:00-09:00\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "ends before it starts",
            ),
            (
                "[week]\nhours = [\"08:30-12:00\", \"11:00-13:00\"]\ndays = [\"mon\"]\n".into(),
                2,
                "week.hours",
                "`11:00-13:00` overlaps `08:30-12:00`",
            ),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\", \"funday\"]\n".into(),
                3,
                "week.days",
                "`funday` is not a weekday",
            ),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\", \"mon\"]\n".into(),
                3,
                "week.days",
                "twice",
            ),
            (
                "[week]\ndays = [\"mon\"]\n".into(),
                2,
                "week.days",
                "`week.hours` (their working hours) is missing",
            ),
            (
                "\n[week]\nhours = [\"09:00-17:00\"]\n".into(),
                2,
                "week",
                "no working hours",
            ),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = []\nsat = []\n".into(),
                1,
                "week",
                "never be reached",
            ),
            (
                "[week]\nmon = [\"09:00-12:00\"]\nfri = [\"14:00-24:30\"]\n".into(),
                3,
                "week.fri",
                "not a time of day",
            ),
            (
                with("[[holiday]]\nname = \"春节\"\nfrom = 2026-02-23\nto = 2026-02-15\n"),
                7,
                "holiday.to",
                "2026-02-15 is before `from` (2026-02-23) (春节)",
            ),
            (
                with("[[holiday]]\nfrom = 2026-01-01\nto = 2028-01-01\n"),
                5,
                "holiday.from",
                "731 days long",
            ),
            (
                with("[[holiday]]\ndate = \"2026-13-01\"\n"),
                5,
                "holiday.date",
                "not a date",
            ),
            (
                with("[[holiday]]\ndate = 2026-10-01T09:00:00\n"),
                5,
                "holiday.date",
                "not a date",
            ),
            (
                with("[[holiday]]\ndate = 20261001\n"),
                5,
                "holiday.date",
                "not a date",
            ),
            (
                with("[[holiday]]\ndate = 2026-10-01\nfrom = 2026-10-01\n"),
                5,
                "holiday.date",
                "both set",
            ),
            (
                with("[[holiday]]\nto = 2026-10-07\n"),
                5,
                "holiday.from",
                "is missing",
            ),
            (
                with("[[holiday]]\nname = \"国庆\"\n"),
                4,
                "holiday",
                "needs `date` (one day) or `from` and `to`",
            ),
            (
                with(
                    "[[holiday]]\nname = \"国庆节\"\nfrom = 2026-10-01\nto = 2026-10-07\n[[makeup]]\ndate = 2026-10-03\n",
                ),
                9,
                "makeup.date",
                "2026-10-03 is both a make-up working day and a holiday (国庆节) on line 4",
            ),
            (
                with("[[makeup]]\ndate = 2026-09-20\n[[makeup]]\ndate = 2026-09-20\n"),
                7,
                "makeup.date",
                "already a make-up day on line 5",
            ),
            (
                with("[[makeup]]\ndate = 2026-09-21\n"),
                5,
                "makeup.date",
                "2026-09-21 is a Mon, already a working day",
            ),
            (
                with("[[makeup]]\ndate = 2026-09-20\nhours = []\n"),
                6,
                "makeup.hours",
                "is empty",
            ),
            (
                with("[[makeup]]\ndate = 2026-09-20\nhours = [\"14:00-12:00\"]\n"),
                6,
                "makeup.hours",
                "ends before it starts",
            ),
            (
                "[week]\nmon = [\"09:00-17:00\"]\n[[makeup]]\ndate = 2026-09-20\n".into(),
                3,
                "makeup.hours",
                "no `week.hours` to default to",
            ),
        ];
        for (text, line, key, says) in cases {
            match invalid(&text) {
                CalendarError::Invalid {
                    line: got_line,
                    key: got_key,
                    message,
                } => {
                    assert_eq!(
                        (got_line, got_key.as_str()),
                        (line, key),
                        "{text}\n→ {message}"
                    );
                    assert!(
                        message.contains(says),
                        "{text}\n`{message}` should say {says}"
                    );
                }
                other => panic!("{text}\nexpected Invalid, got {other}"),
            }
        }
    }

    #[test]
    fn syntax_and_shape_errors_name_their_line() {
        let cases = [
            ("[week\nhours = []\n", 1, ""),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\"]\nsatday = []\n",
                4,
                "satday",
            ),
            ("[week]\nhours = \"09:00-17:00\"\ndays = [\"mon\"]\n", 2, ""),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\"]\n\n[[makeup]]\nname = \"x\"\n",
                5,
                "date",
            ),
            ("[[holiday]]\ndate = 2026-10-01\n", 1, "week"),
            (
                "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"mon\"]\n[holidays]\n",
                4,
                "holidays",
            ),
        ];
        for (text, line, says) in cases {
            match invalid(text) {
                CalendarError::Syntax { line: got, message } => {
                    assert_eq!(got, line, "{text}\n→ {message}");
                    assert!(
                        message.contains(says),
                        "{text}\n`{message}` should say {says}"
                    );
                }
                other => panic!("{text}\nexpected Syntax, got {other}"),
            }
        }
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.toml");
        let err = Calendar::load(&missing, SHANGHAI).expect_err("missing file");
        assert!(matches!(err, CalendarError::Read { .. }), "{err}");
        assert!(err.to_string().contains("missing.toml"), "{err}");

        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            "[week]\nhours = [\"09:00-17:00\"]\ndays = [\"someday\"]\n",
        )
        .expect("write");
        let err = Calendar::load(&bad, SHANGHAI)
            .expect_err("bad file")
            .to_string();
        assert!(err.contains("bad.toml") && err.contains("line 3"), "{err}");
        assert!(
            err.contains("week.days") && err.contains("someday"),
            "{err}"
        );

        let good = dir.path().join("good.toml");
        std::fs::write(&good, OFFICE).expect("write");
        let c = Calendar::load(&good, SHANGHAI).expect("good file");
        assert!(!c.is_working(sh("2026-10-02 10:00")));
    }

    #[test]
    fn clock_times() {
        for (text, minutes) in [
            ("00:00", Some(0)),
            ("8:30", Some(510)),
            ("23:59", Some(1439)),
            ("24:00", Some(1440)),
        ] {
            assert_eq!(parse_clock(text).ok(), minutes, "{text}");
        }
        for text in [
            "24:01", "8", "8:3", "008:30", "+8:30", "08:30:00", ":30", "08:", "٣:٣٠",
        ] {
            assert!(parse_clock(text).is_err(), "{text}");
        }
    }
}
