//! What one ticket adds to the statistics rollups. Pure.
//!
//! A ticket's figures go to the local day it was received on (in the configured zone), under
//! its category and urgency, and to every grid-tree node above it (the store expands the grid
//! into its ancestors). When a ticket changes, the store subtracts the [`Contribution`] of the
//! ticket as it was and adds the one of the ticket as it is; a brute-force recount is the sum of
//! every ticket's contribution, which is what `gridline stats --verify` and the property tests
//! compare against.
//!
//! Deadlines missed are counted as of the ticket's last change (`updated_at`), so that the
//! figures are a function of the stored row alone. The escalation at a missed deadline changes
//! the ticket, so a missed deadline is counted from the moment it is acted on.

use chrono::Datelike;

use super::sla::is_overdue;
use super::{Category, Ratings, TicketState, Urgency};

/// The counters kept per node, day, category and urgency, in column order.
pub const COUNTERS: [&str; 19] = [
    "received",
    "open",
    "claimed",
    "resolved",
    "closed",
    "dismissed",
    "responded",
    "claimed_in_time",
    "done",
    "done_in_time",
    "claim_overdue",
    "resolve_overdue",
    "escalated",
    "reopened",
    "satisfied",
    "neutral",
    "unsatisfied",
    "closed_unrated",
    "extended",
];

/// Index of each counter in [`Counts`].
pub mod c {
    pub const RECEIVED: usize = 0;
    pub const OPEN: usize = 1;
    pub const CLAIMED: usize = 2;
    pub const RESOLVED: usize = 3;
    pub const CLOSED: usize = 4;
    pub const DISMISSED: usize = 5;
    pub const RESPONDED: usize = 6;
    pub const CLAIMED_IN_TIME: usize = 7;
    pub const DONE: usize = 8;
    pub const DONE_IN_TIME: usize = 9;
    pub const CLAIM_OVERDUE: usize = 10;
    pub const RESOLVE_OVERDUE: usize = 11;
    pub const ESCALATED: usize = 12;
    pub const REOPENED: usize = 13;
    pub const SATISFIED: usize = 14;
    pub const NEUTRAL: usize = 15;
    pub const UNSATISFIED: usize = 16;
    pub const CLOSED_UNRATED: usize = 17;
    /// Approved extensions of the resolve deadline (延期), one per approval.
    pub const EXTENDED: usize = 18;
}

/// One value per [`COUNTERS`] entry.
pub type Counts = [i64; COUNTERS.len()];

/// Adds `b` to `a`, `sign` times (±1).
pub fn add(a: &mut Counts, b: &Counts, sign: i64) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += sign * y;
    }
}

/// Histogram kinds, as stored.
pub const RESPONSE: &str = "response";
pub const RESOLUTION: &str = "resolution";

/// Buckets per doubling of time.
const PER_DOUBLING: f64 = 4.0;
/// Bucket 0 holds times under one minute; bucket `b ≥ 1` holds
/// `[1 min · 2^((b-1)/4), 1 min · 2^(b/4))`; the last bucket holds everything longer.
pub const BUCKETS: u8 = 72;
const MINUTE_MS: f64 = 60_000.0;

/// The bucket of a duration in milliseconds.
pub fn bucket(ms: i64) -> u8 {
    if ms < 60_000 {
        return 0;
    }
    let b = ((ms as f64 / MINUTE_MS).log2() * PER_DOUBLING).floor() as i64 + 1;
    b.clamp(1, i64::from(BUCKETS) - 1) as u8
}

/// A representative duration of a bucket (its geometric middle; 30 s for bucket 0), in ms.
pub fn bucket_value(b: u8) -> i64 {
    if b == 0 {
        return 30_000;
    }
    let low = MINUTE_MS * 2f64.powf(f64::from(b - 1) / PER_DOUBLING);
    (low * 2f64.powf(0.5 / PER_DOUBLING)).round() as i64
}

/// Nearest-rank percentile `p` (0–100) of a histogram given as `(bucket, count)` pairs.
pub fn percentile(hist: &[(u8, i64)], p: u32) -> Option<i64> {
    let total: i64 = hist.iter().map(|(_, n)| n.max(&0)).sum();
    if total == 0 {
        return None;
    }
    let mut sorted: Vec<(u8, i64)> = hist.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let rank = ((f64::from(p) / 100.0) * total as f64).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (b, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(bucket_value(b));
        }
    }
    None
}

/// The stored facts of a ticket that its figures depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub grid: String,
    pub state: TicketState,
    pub category: Category,
    pub urgency: Urgency,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub claimed_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub claim_due: i64,
    pub resolve_due: i64,
    /// Every rating of the ticket (one per person asked, their latest): satisfaction counts
    /// each one, so a ticket its reporter and two neighbours rated counts three times.
    pub ratings: Ratings,
    pub escalated: bool,
    pub reopened: i64,
    /// Approved extensions (延期).
    pub extensions: i64,
    /// The person (code) the ticket is assigned to.
    pub assignee: Option<String>,
}

/// The per-leader counters (`rollup_leaders`, migration 0022), in column order.
pub const LEADER_COUNTERS: [&str; 3] = ["tickets", "claimed", "claimed_in_time"];

/// What a ticket with an assignee adds to its assignee's figures: under the bucket of its
/// first response time (`-1`: none yet), one ticket, whether it was claimed and whether the
/// claim came by the claim deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderShare {
    pub person: String,
    pub bucket: i16,
    pub counts: [i64; LEADER_COUNTERS.len()],
}

/// What one ticket adds: its counters under `(grid, day, category, urgency)` and at most one
/// bucket of each histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub grid: String,
    /// The local day received, as yyyymmdd.
    pub day: i32,
    pub category: Category,
    pub urgency: Urgency,
    pub counts: Counts,
    pub response: Option<u8>,
    pub resolution: Option<u8>,
    /// Its assignee's share, if it has one.
    pub leader: Option<LeaderShare>,
}

/// The local day (yyyymmdd) of a time in `zone`.
pub fn day_of(ms: i64, zone: chrono_tz::Tz) -> i32 {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            let d = d.with_timezone(&zone).date_naive();
            d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32
        })
        .unwrap_or(0)
}

/// The figures a ticket adds, as it stands.
pub fn contribution(f: &Facts, zone: chrono_tz::Tz) -> Contribution {
    let mut k: Counts = [0; COUNTERS.len()];
    k[c::RECEIVED] = 1;
    k[match f.state {
        TicketState::Open => c::OPEN,
        TicketState::Claimed => c::CLAIMED,
        TicketState::Resolved => c::RESOLVED,
        TicketState::Closed => c::CLOSED,
        TicketState::Dismissed => c::DISMISSED,
    }] = 1;
    k[c::RESPONDED] = i64::from(f.first_response_at.is_some());
    let taken = f.claimed_at.or(f.resolved_at);
    k[c::CLAIMED_IN_TIME] = i64::from(taken.is_some_and(|t| t <= f.claim_due));
    k[c::DONE] = i64::from(f.resolved_at.is_some());
    k[c::DONE_IN_TIME] = i64::from(f.resolved_at.is_some_and(|t| t <= f.resolve_due));
    if f.state != TicketState::Dismissed {
        k[c::CLAIM_OVERDUE] = i64::from(is_overdue(f.claim_due, taken, f.updated_at));
        k[c::RESOLVE_OVERDUE] = i64::from(is_overdue(f.resolve_due, f.resolved_at, f.updated_at));
    }
    k[c::ESCALATED] = i64::from(f.escalated);
    k[c::REOPENED] = i64::from(f.reopened > 0);
    k[c::SATISFIED] = f.ratings.satisfied;
    k[c::NEUTRAL] = f.ratings.neutral;
    k[c::UNSATISFIED] = f.ratings.unsatisfied;
    k[c::CLOSED_UNRATED] = i64::from(f.state == TicketState::Closed && f.ratings.total() == 0);
    k[c::EXTENDED] = f.extensions;
    Contribution {
        grid: f.grid.clone(),
        day: day_of(f.created_at, zone),
        category: f.category,
        urgency: f.urgency,
        counts: k,
        response: f.first_response_at.map(|t| bucket(t - f.created_at)),
        resolution: f.resolved_at.map(|t| bucket(t - f.created_at)),
        leader: f.assignee.as_ref().map(|person| LeaderShare {
            person: person.clone(),
            bucket: f
                .first_response_at
                .map_or(-1, |t| i16::from(bucket(t - f.created_at))),
            counts: [
                1,
                i64::from(f.claimed_at.is_some()),
                i64::from(f.claimed_at.is_some_and(|t| t <= f.claim_due)),
            ],
        }),
    }
}

/// The nodes a grid's figures count towards: `'*'` (the whole tree) and every code on its
/// materialised path (`/T01/T01-V01/T01-V01-G01/`), the grid itself last.
pub fn nodes_of(path: &str) -> Vec<String> {
    std::iter::once("*")
        .chain(path.split('/').filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn facts() -> Facts {
        Facts {
            grid: "G".into(),
            state: TicketState::Open,
            category: Category::Lighting,
            urgency: Urgency::Normal,
            created_at: 0,
            updated_at: 0,
            first_response_at: None,
            claimed_at: None,
            resolved_at: None,
            claim_due: 2 * H,
            resolve_due: 72 * H,
            ratings: Ratings::default(),
            escalated: false,
            reopened: 0,
            extensions: 0,
            assignee: None,
        }
    }

    #[test]
    fn buckets_are_log_scale_and_values_fall_inside() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(59_999), 0);
        assert_eq!(bucket(60_000), 1);
        assert_eq!(bucket(120_000), 5, "four buckets per doubling");
        assert_eq!(bucket(i64::MAX), BUCKETS - 1);
        for ms in [61_000, 90_000, 3 * H, 50 * H, 20 * 24 * H] {
            let v = bucket_value(bucket(ms));
            let err = (v - ms).abs() as f64 / ms as f64;
            assert!(err < 0.1, "{ms} ms shown as {v} ms");
        }
    }

    #[test]
    fn percentile_comes_from_buckets() {
        let hist = [(bucket(10 * 60_000), 9), (bucket(5 * H), 1)];
        let p50 = percentile(&hist, 50).expect("p50");
        assert!((p50 - 10 * 60_000).abs() < 60_000, "{p50}");
        let p99 = percentile(&hist, 99).expect("p99");
        assert!((p99 - 5 * H).abs() < H / 2, "{p99}");
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn a_closed_rated_ticket_counts_once_per_figure() {
        let mut f = facts();
        f.state = TicketState::Closed;
        f.first_response_at = Some(H);
        f.claimed_at = Some(H);
        f.resolved_at = Some(80 * H);
        f.updated_at = 90 * H;
        f.ratings = Ratings::one(crate::domain::Rating::Satisfied);
        let k = contribution(&f, chrono_tz::Asia::Shanghai).counts;
        assert_eq!(k[c::RECEIVED], 1);
        assert_eq!(k[c::CLOSED], 1);
        assert_eq!(
            k[c::OPEN] + k[c::CLAIMED] + k[c::RESOLVED] + k[c::DISMISSED],
            0
        );
        assert_eq!(k[c::CLAIMED_IN_TIME], 1);
        assert_eq!(k[c::DONE], 1);
        assert_eq!(k[c::DONE_IN_TIME], 0, "resolved after 72 h");
        assert_eq!(k[c::RESOLVE_OVERDUE], 1);
        assert_eq!(k[c::CLAIM_OVERDUE], 0);
        assert_eq!(k[c::SATISFIED], 1);
        assert_eq!(k[c::CLOSED_UNRATED], 0);
    }

    /// The reporter and two neighbours rated: satisfaction counts three ratings, and a ticket
    /// with ratings is never "closed unrated".
    #[test]
    fn every_rating_counts() {
        let mut f = facts();
        f.state = TicketState::Closed;
        f.resolved_at = Some(H);
        f.ratings = Ratings {
            satisfied: 2,
            neutral: 0,
            unsatisfied: 1,
        };
        let k = contribution(&f, chrono_tz::UTC).counts;
        assert_eq!(
            (k[c::SATISFIED], k[c::NEUTRAL], k[c::UNSATISFIED]),
            (2, 0, 1)
        );
        assert_eq!(k[c::CLOSED], 1, "still one ticket");
        assert_eq!(k[c::CLOSED_UNRATED], 0);
        f.ratings = Ratings::default();
        let k = contribution(&f, chrono_tz::UTC).counts;
        assert_eq!(k[c::CLOSED_UNRATED], 1);
    }

    #[test]
    fn overdue_is_as_of_the_last_change_and_never_for_dismissed() {
        let mut f = facts();
        assert_eq!(contribution(&f, chrono_tz::UTC).counts[c::CLAIM_OVERDUE], 0);
        f.updated_at = 3 * H;
        f.escalated = true;
        let k = contribution(&f, chrono_tz::UTC).counts;
        assert_eq!((k[c::CLAIM_OVERDUE], k[c::ESCALATED]), (1, 1));
        f.state = TicketState::Dismissed;
        assert_eq!(contribution(&f, chrono_tz::UTC).counts[c::CLAIM_OVERDUE], 0);
    }

    #[test]
    fn the_day_is_local() {
        // 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Shanghai.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-11-30T16:30:00Z")
            .expect("time")
            .timestamp_millis();
        assert_eq!(day_of(ms, chrono_tz::Asia::Shanghai), 20261201);
        assert_eq!(day_of(ms, chrono_tz::UTC), 20261130);
    }

    #[test]
    fn nodes_are_the_tree_and_every_ancestor() {
        assert_eq!(nodes_of("/T/T-V/T-V-G/"), vec!["*", "T", "T-V", "T-V-G"]);
    }
}
