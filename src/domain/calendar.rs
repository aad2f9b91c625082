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
                        "{date} is both a make-up working day{label} and a holiday (line \
                         {line}{holiday}); it can only be one"
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
