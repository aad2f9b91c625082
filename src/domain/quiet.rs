//! Quiet hours (`sla.quiet_hours = "22:00-07:00"`): a daily stretch of local time during which
//! normal-urgency reminders and notices are held, to be released when it ends. Pure; times are
//! Unix milliseconds in UTC, the local clock is that of the configured time zone.

use chrono::{Days, NaiveTime, TimeZone, Timelike};
use std::fmt;
use std::str::FromStr;

use super::calendar::{local_instants, parse_clock};

/// Minutes in a day; also the minute value of "24:00".
const DAY_MINUTES: u32 = 24 * 60;

/// A daily quiet stretch from `start` (inclusive) to `end` (exclusive), in local wall-clock time.
/// `end` before `start` means the stretch crosses midnight ("22:00-07:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Minutes after local midnight, 0..1440.
    start: u32,
    /// Minutes after local midnight, 0..=1440 (1440 is "24:00").
    end: u32,
}

/// A quiet-hours text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a quiet-hours range ({reason}): write \"HH:MM-HH:MM\", e.g. \"22:00-07:00\""
)]
pub struct BadQuietHours {
    pub text: String,
    pub reason: String,
}

impl FromStr for QuietHours {
    type Err = BadQuietHours;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| BadQuietHours {
            text: s.to_string(),
            reason,
        };
        let (from, to) = s
            .split_once('-')
            .ok_or_else(|| bad("no `-` between start and end".into()))?;
        let start = parse_clock(from).map_err(&bad)?;
        let end = parse_clock(to).map_err(&bad)?;
        if start == DAY_MINUTES {
            return Err(bad("24:00 can only end a range".into()));
        }
        // "00:00-24:00" would hold every notice forever; equal ends are as ambiguous.
        if start == end || (start == 0 && end == DAY_MINUTES) {
            return Err(bad(
                "start and end are the same time, so it is unclear whether no time or all day is meant"
                    .into(),
            ));
        }
        Ok(QuietHours { start, end })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl QuietHours {
    /// Whether the stretch crosses local midnight.
    pub fn crosses_midnight(&self) -> bool {
        self.end < self.start
    }

    /// Whether `at_ms` falls inside quiet hours.
    pub fn is_quiet(&self, at_ms: i64, tz: chrono_tz::Tz) -> bool {
        self.release(at_ms, tz).is_some()
    }

    /// None when `at_ms` is outside quiet hours; otherwise the instant (UTC ms) quiet hours end,
    /// i.e. when held notices are released. The start instant is quiet, the end instant is not.
    pub fn release(&self, at_ms: i64, tz: chrono_tz::Tz) -> Option<i64> {
        let local = tz.timestamp_millis_opt(at_ms).single()?.naive_local();
        let date = local.date();
        let time = local.time();
        // Compare in milliseconds after midnight so that 06:59:59.999 is still quiet.
        let now = i64::from(time.num_seconds_from_midnight()) * 1000
            + i64::from(time.nanosecond() / 1_000_000).min(999);
        let start = i64::from(self.start) * 60_000;
        let end = i64::from(self.end) * 60_000;
        let end_date = if self.crosses_midnight() {
            if now >= start {
                date.checked_add_days(Days::new(1))?
            } else if now < end {
                date
            } else {
                return None;
            }
        } else if start <= now && now < end {
            date
        } else {
            return None;
        };
        let end_local = if self.end == DAY_MINUTES {
            end_date
                .checked_add_days(Days::new(1))?
                .and_time(NaiveTime::MIN)
        } else {
            end_date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(
                self.end * 60,
                0,
            )?)
        };
        // On a day the clocks go back the end time can occur twice: release at the first
        // occurrence that is still ahead. In a spring-forward gap it is the moment of the jump.
        let (earliest, latest) = local_instants(tz, end_local);
        Some(if earliest > at_ms {
            earliest
        } else {
            latest.max(at_ms.saturating_add(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;
    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    /// UTC ms of a local wall-clock time "YYYY-MM-DD HH:MM[:SS]" in `tz` (must be unambiguous).
    fn at(tz: Tz, text: &str) -> i64 {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
            .expect("test time");
        tz.from_local_datetime(&naive)
            .single()
            .expect("unambiguous")
            .timestamp_millis()
    }

    fn q(text: &str) -> QuietHours {
        text.parse().expect("valid quiet hours")
    }

    #[test]
    fn parses_and_prints() {
        for (text, shown, crosses) in [
            ("22:00-07:00", "22:00-07:00", true),
            ("12:00-13:30", "12:00-13:30", false),
            ("9:05-9:10", "09:05-09:10", false),
            (" 23:30 - 00:15 ", "23:30-00:15", true),
            ("22:00-24:00", "22:00-24:00", false),
            ("00:00-06:00", "00:00-06:00", false),
        ] {
            let h = q(text);
            assert_eq!(h.to_string(), shown, "{text}");
            assert_eq!(h.crosses_midnight(), crosses, "{text}");
        }
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        for (text, reason) in [
            ("", "no `-`"),
            ("22:00", "no `-`"),
            ("22:00-", "not a time"),
            ("25:00-07:00", "not a time"),
            ("22:60-07:00", "not a time"),
            ("22-07", "not a time"),
            ("22:00-07:00:00", "not a time"),
            ("ten-seven", "not a time"),
            ("24:00-07:00", "24:00"),
            ("22:00-22:00", "same time"),
            ("00:00-24:00", "same time"),
            ("-1:00-07:00", "not a time"),
        ] {
            let err = text.parse::<QuietHours>().expect_err(text);
            let shown = err.to_string();
            assert!(
                shown.contains(reason),
                "{text:?}: `{shown}` should say {reason}"
            );
            assert!(shown.contains("22:00-07:00"), "gives an example: {shown}");
        }
    }

    #[test]
    fn release_across_midnight() {
        let h = q("22:00-07:00");
        let cases = [
            // (now, release)
            ("2026-03-10 21:59:59", None),
            ("2026-03-10 22:00", Some("2026-03-11 07:00")),
            ("2026-03-10 23:59:59", Some("2026-03-11 07:00")),
            ("2026-03-11 00:00", Some("2026-03-11 07:00")),
            ("2026-03-11 06:59:59", Some("2026-03-11 07:00")),
            ("2026-03-11 07:00", None),
            ("2026-03-11 12:00", None),
            // Month and year ends.
            ("2026-12-31 23:00", Some("2027-01-01 07:00")),
        ];
        for (now, release) in cases {
            assert_eq!(
                h.release(at(SHANGHAI, now), SHANGHAI),
                release.map(|r| at(SHANGHAI, r)),
                "{now}"
            );
            assert_eq!(h.is_quiet(at(SHANGHAI, now), SHANGHAI), release.is_some());
        }
        // The last millisecond before the end is still quiet.
        let end = at(SHANGHAI, "2026-03-11 07:00");
        assert_eq!(h.release(end - 1, SHANGHAI), Some(end));
    }

    #[test]
    fn release_within_a_day() {
        let h = q("12:00-13:30");
        for (now, release) in [
            ("2026-03-10 11:59:59", None),
            ("2026-03-10 12:00", Some("2026-03-10 13:30")),
            ("2026-03-10 13:29", Some("2026-03-10 13:30")),
            ("2026-03-10 13:30", None),
            ("2026-03-10 23:00", None),
            ("2026-03-10 00:00", None),
        ] {
            assert_eq!(
                h.release(at(SHANGHAI, now), SHANGHAI),
                release.map(|r| at(SHANGHAI, r)),
                "{now}"
            );
        }
        let until_midnight = q("22:00-24:00");
        assert_eq!(
            until_midnight.release(at(SHANGHAI, "2026-03-10 23:00"), SHANGHAI),
            Some(at(SHANGHAI, "2026-03-11 00:00"))
        );
        assert_eq!(
            until_midnight.release(at(SHANGHAI, "2026-03-11 00:00"), SHANGHAI),
            None
        );
    }

    #[test]
    fn release_uses_the_zone_of_the_caller() {
        let h = q("22:00-07:00");
        // 15:00 UTC is 23:00 in Shanghai (quiet) and 16:00 in Berlin in winter (not quiet).
        let utc = chrono::Utc
            .with_ymd_and_hms(2026, 1, 10, 15, 0, 0)
            .single()
            .expect("valid")
            .timestamp_millis();
        assert_eq!(
            h.release(utc, SHANGHAI),
            Some(at(SHANGHAI, "2026-01-11 07:00"))
        );
        assert_eq!(h.release(utc, BERLIN), None);
    }

    #[test]
    fn release_over_daylight_saving_changes() {
        // Berlin springs forward on 2026-03-29 at 02:00 → 03:00 and falls back on 2026-10-25
        // at 03:00 → 02:00.
        let h = q("22:00-07:00");
        let release = h
            .release(at(BERLIN, "2026-03-28 23:00"), BERLIN)
            .expect("quiet");
        assert_eq!(release, at(BERLIN, "2026-03-29 07:00"));
        // That night is one hour shorter.
        assert_eq!(release - at(BERLIN, "2026-03-28 23:00"), 7 * 3_600_000);

        // An end inside the spring gap releases at the moment of the jump.
        let gap = q("01:00-02:30");
        let jump = at(BERLIN, "2026-03-29 03:00");
        assert_eq!(
            gap.release(at(BERLIN, "2026-03-29 01:30"), BERLIN),
            Some(jump)
        );
        assert_eq!(gap.release(jump, BERLIN), None);

        // An end that happens twice: the first pass releases at the first 02:30, the second
        // pass of the repeated hour is quiet again and releases at the second 02:30.
        let twice = q("02:00-02:30");
        let first_0210 = at(BERLIN, "2026-10-25 01:10") + 3_600_000;
        let first_0230 = first_0210 + 20 * 60_000;
        assert_eq!(twice.release(first_0210, BERLIN), Some(first_0230));
        let second_0210 = first_0210 + 3_600_000;
        assert_eq!(
            twice.release(second_0210, BERLIN),
            Some(first_0230 + 3_600_000)
        );
    }
}
