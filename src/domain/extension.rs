//! Extensions of a ticket's resolve deadline (延期): the handler asks for days, a village
//! coordinator approves or refuses. Pure: the request's words and the rules; the engine stores
//! and tells.

use std::fmt;
use std::str::FromStr;

use super::UnknownValue;

const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// Where a request stands (`ticket_extensions.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionState {
    Pending,
    Approved,
    Refused,
}

impl ExtensionState {
    /// The id stored in the database. Never change one.
    pub fn id(self) -> &'static str {
        match self {
            ExtensionState::Pending => "pending",
            ExtensionState::Approved => "approved",
            ExtensionState::Refused => "refused",
        }
    }
}

impl fmt::Display for ExtensionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ExtensionState {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(ExtensionState::Pending),
            "approved" => Ok(ExtensionState::Approved),
            "refused" => Ok(ExtensionState::Refused),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

/// The days a request asks for, as written: `3天`, `3日`, `3d`, `3 days`, `三天`, `3`.
pub fn parse_days(word: &str) -> Option<u32> {
    let w = word.trim().to_lowercase();
    let digits = w
        .strip_suffix("days")
        .or_else(|| w.strip_suffix("day"))
        .or_else(|| w.strip_suffix('天'))
        .or_else(|| w.strip_suffix('日'))
        .or_else(|| w.strip_suffix('d'))
        .unwrap_or(&w)
        .trim();
    let n = match digits.parse::<u32>() {
        Ok(n) => n,
        Err(_) => chinese_number(digits)?,
    };
    (n > 0).then_some(n)
}

/// 一 … 九十九 as people write small numbers of days.
fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['两'] => Some(2),
        ['十'] => Some(10),
        [c] => digit(*c).map(|d| d as u32),
        ['十', u] => digit(*u).map(|d| 10 + d as u32),
        [t, '十'] => digit(*t).map(|d| 10 * d as u32),
        [t, '十', u] => Some(10 * digit(*t)? as u32 + digit(*u)? as u32),
        _ => None,
    }
}

/// The resolve deadline after an approved extension of `days`: counted from the deadline, or
/// from `now` when the deadline has already passed (an extension never leaves a ticket overdue).
pub fn extended_due(resolve_due: i64, now: i64, days: u32) -> i64 {
    resolve_due.max(now) + i64::from(days) * DAY_MS
}

/// Why a request for more time cannot be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannotAsk {
    /// `max` extensions were approved already.
    NoMore { max: u32 },
    /// More days than one extension may give.
    TooLong { max_days: u32 },
}

/// Whether a ticket with `approved` extensions may ask for `days` more.
pub fn may_ask(approved: i64, days: u32, max: u32, max_days: u32) -> Result<(), CannotAsk> {
    if approved >= i64::from(max) {
        return Err(CannotAsk::NoMore { max });
    }
    if days > max_days {
        return Err(CannotAsk::TooLong { max_days });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_as_people_write_them() {
        for (w, n) in [
            ("3天", 3),
            ("3日", 3),
            ("3d", 3),
            ("3D", 3),
            ("3 days", 3),
            ("1 day", 1),
            ("三天", 3),
            ("两天", 2),
            ("十天", 10),
            ("十五天", 15),
            ("二十天", 20),
            ("7", 7),
        ] {
            assert_eq!(parse_days(w), Some(n), "{w}");
        }
        for w in ["", "0天", "天", "abc", "-3天", "三个月"] {
            assert_eq!(parse_days(w), None, "{w}");
        }
    }

    #[test]
    fn the_deadline_moves_from_itself_or_from_now() {
        assert_eq!(extended_due(10 * DAY_MS, 2 * DAY_MS, 3), 13 * DAY_MS);
        assert_eq!(
            extended_due(DAY_MS, 5 * DAY_MS, 3),
            8 * DAY_MS,
            "an overdue ticket gets the days from now"
        );
    }

    #[test]
    fn at_most_max_extensions_and_max_days() {
        assert_eq!(may_ask(2, 3, 3, 30), Ok(()));
        assert_eq!(may_ask(3, 3, 3, 30), Err(CannotAsk::NoMore { max: 3 }));
        assert_eq!(
            may_ask(0, 31, 3, 30),
            Err(CannotAsk::TooLong { max_days: 30 })
        );
    }

    #[test]
    fn states_round_trip() {
        for s in [
            ExtensionState::Pending,
            ExtensionState::Approved,
            ExtensionState::Refused,
        ] {
            assert_eq!(s.id().parse::<ExtensionState>(), Ok(s));
        }
    }
}
