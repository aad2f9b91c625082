//! Deadline arithmetic: human durations ("90s", "15m", "2h", "3d", "1h30m") and the claim and
//! resolve deadlines of a new ticket. Pure; times are Unix milliseconds in UTC.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::Urgency;

/// A duration written the way people write it in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub Duration);

/// A duration string that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a duration: write a number with a unit, e.g. \"90s\", \"15m\", \"2h\", \"3d\" or \"1h30m\""
)]
pub struct BadDuration(pub String);

impl FromStr for HumanDuration {
    type Err = BadDuration;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadDuration(s.to_string());
        let text = s.trim();
        if text.is_empty() {
            return Err(bad());
        }
        let mut total: u64 = 0;
        let mut number: Option<u64> = None;
        for ch in text.chars() {
            if let Some(d) = ch.to_digit(10) {
                let n = number.unwrap_or(0);
                number = Some(
                    n.checked_mul(10)
                        .and_then(|n| n.checked_add(d as u64))
                        .ok_or_else(bad)?,
                );
                continue;
            }
            if ch.is_whitespace() {
                continue;
            }
            let unit = match ch {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let n = number.take().ok_or_else(bad)?;
            total = n
                .checked_mul(unit)
                .and_then(|secs| total.checked_add(secs))
                .ok_or_else(bad)?;
        }
        if number.is_some() {
            // A trailing number without unit ("90") is ambiguous: refuse it.
            return Err(bad());
        }
        Ok(HumanDuration(Duration::from_secs(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        if secs == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if secs >= size {
                write!(f, "{}{unit}", secs / size)?;
                secs %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl HumanDuration {
    pub fn as_millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The two promises made for one urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub claim: HumanDuration,
    pub resolve: HumanDuration,
}

/// Deadlines per urgency (DESIGN: claim 2 h / resolve 3 d; urgent 15 min / 4 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub normal: Window,
    pub urgent: Window,
}

impl Default for Deadlines {
    fn default() -> Self {
        let h = |secs| HumanDuration(Duration::from_secs(secs));
        Deadlines {
            normal: Window {
                claim: h(2 * 3_600),
                resolve: h(3 * 86_400),
            },
            urgent: Window {
                claim: h(15 * 60),
                resolve: h(4 * 3_600),
            },
        }
    }
}

/// When a ticket created at `created_at` must be claimed and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub claim_by: i64,
    pub resolve_by: i64,
}

impl Deadlines {
    pub fn window(&self, urgency: Urgency) -> Window {
        match urgency {
            Urgency::Normal => self.normal,
            Urgency::Urgent => self.urgent,
        }
    }

    /// Calendar-time deadlines for a new ticket.
    pub fn due(&self, created_at: i64, urgency: Urgency) -> Due {
        let w = self.window(urgency);
        Due {
            claim_by: created_at.saturating_add(w.claim.as_millis()),
            resolve_by: created_at.saturating_add(w.resolve.as_millis()),
        }
    }
}

/// Is a deadline missed at `now`? A ticket claimed or resolved in time is never overdue.
pub fn is_overdue(due: i64, done_at: Option<i64>, now: i64) -> bool {
    match done_at {
        Some(t) => t > due,
        None => now > due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Result<u64, BadDuration> {
        s.parse::<HumanDuration>().map(|h| h.0.as_secs())
    }

    #[test]
    fn parses_humane_durations() {
        assert_eq!(d("90s"), Ok(90));
        assert_eq!(d("15m"), Ok(900));
        assert_eq!(d("2h"), Ok(7_200));
        assert_eq!(d("3d"), Ok(259_200));
        assert_eq!(d("1h30m"), Ok(5_400));
        assert_eq!(d(" 1h 30m "), Ok(5_400));
        assert_eq!(d("1w"), Ok(604_800));
        for bad in ["", "90", "h", "2x", "1.5h", "-2h", "99999999999999999999d"] {
            assert!(d(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(
            HumanDuration(Duration::from_secs(5_400)).to_string(),
            "1h30m"
        );
        assert_eq!(HumanDuration(Duration::from_secs(0)).to_string(), "0s");
    }

    #[test]
    fn deadlines_follow_urgency() {
        let dl = Deadlines::default();
        let t0 = 1_700_000_000_000;
        assert_eq!(
            dl.due(t0, Urgency::Normal),
            Due {
                claim_by: t0 + 2 * 3_600_000,
                resolve_by: t0 + 3 * 86_400_000
            }
        );
        assert_eq!(
            dl.due(t0, Urgency::Urgent),
            Due {
                claim_by: t0 + 15 * 60_000,
                resolve_by: t0 + 4 * 3_600_000
            }
        );
    }

    #[test]
    fn overdue_depends_on_completion_time() {
        assert!(!is_overdue(100, None, 100));
        assert!(is_overdue(100, None, 101));
        assert!(!is_overdue(100, Some(99), 1_000));
        assert!(is_overdue(100, Some(150), 1_000));
    }
}
