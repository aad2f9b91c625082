//! The ticket state machine: which actions are allowed in which state. Pure code.
//!
//! ```text
//! open ──claim──▶ claimed ──resolve──▶ resolved ──close──▶ closed
//!   │               │    ▲                 │
//!   └──dismiss──────┴────┼──reopen─────────┘
//!                        └─(reopen returns to claimed: the same leader keeps it)
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::UnknownValue;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketState {
    /// Assigned, not yet claimed (待接单).
    Open,
    /// A leader took it (已接单).
    Claimed,
    /// The leader says it is done (已办结); waits for the resident's rating.
    Resolved,
    /// Rated, or closed without rating after the timeout (已关闭).
    Closed,
    /// Not a request, a duplicate or out of scope (已驳回).
    Dismissed,
}

impl TicketState {
    pub const ALL: [TicketState; 5] = [
        TicketState::Open,
        TicketState::Claimed,
        TicketState::Resolved,
        TicketState::Closed,
        TicketState::Dismissed,
    ];

    pub fn id(self) -> &'static str {
        match self {
            TicketState::Open => "open",
            TicketState::Claimed => "claimed",
            TicketState::Resolved => "resolved",
            TicketState::Closed => "closed",
            TicketState::Dismissed => "dismissed",
        }
    }

    /// Still needs work from staff.
    pub fn is_active(self) -> bool {
        matches!(self, TicketState::Open | TicketState::Claimed)
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for TicketState {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TicketState::ALL
            .into_iter()
            .find(|st| st.id() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

/// Something that changes a ticket's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    Claim,
    Resolve,
    /// The resident rated, or the rating window expired.
    Close,
    Dismiss,
    /// The resident says it is not fixed.
    Reopen,
    /// The reporter withdraws the request (撤销).
    Cancel,
}

/// A transition that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition:?} a ticket that is {from}")]
pub struct Refused {
    pub from: TicketState,
    pub transition: Transition,
}

/// The next state after `transition`, or why not.
pub fn apply(from: TicketState, transition: Transition) -> Result<TicketState, Refused> {
    use TicketState::*;
    use Transition::*;
    let to = match (from, transition) {
        (Open, Claim) => Claimed,
        // A leader may resolve without claiming first: the claim is implied.
        (Open | Claimed, Resolve) => Resolved,
        (Resolved, Close) => Closed,
        (Open | Claimed, Dismiss) => Dismissed,
        (Open | Claimed, Cancel) => Dismissed,
        (Resolved, Reopen) => Claimed,
        _ => return Err(Refused { from, transition }),
    };
    Ok(to)
}

/// How the resident judged the result (满意 / 一般 / 不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Satisfied,
    Neutral,
    Unsatisfied,
}

impl Rating {
    pub fn id(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Neutral => "neutral",
            Rating::Unsatisfied => "unsatisfied",
        }
    }
}

impl FromStr for Rating {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "satisfied" => Ok(Rating::Satisfied),
            "neutral" => Ok(Rating::Neutral),
            "unsatisfied" => Ok(Rating::Unsatisfied),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

/// How many ratings of each value a ticket holds: one per person asked to rate (its reporter
/// and each co-reporter), each person's latest. Satisfaction counts each of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Ratings {
    pub satisfied: i64,
    pub neutral: i64,
    pub unsatisfied: i64,
}

impl Ratings {
    /// One rating of `r`.
    pub fn one(r: Rating) -> Ratings {
        let mut out = Ratings::default();
        out.add(r, 1);
        out
    }

    /// Adds `n` (which may be negative) ratings of `r`.
    pub fn add(&mut self, r: Rating, n: i64) {
        match r {
            Rating::Satisfied => self.satisfied += n,
            Rating::Neutral => self.neutral += n,
            Rating::Unsatisfied => self.unsatisfied += n,
        }
    }

    /// Every rating, whatever its value.
    pub fn total(&self) -> i64 {
        self.satisfied + self.neutral + self.unsatisfied
    }
}

#[cfg(test)]
mod tests {
    use super::TicketState::*;
    use super::Transition::*;
    use super::*;

    /// Every (state, transition) pair: the allowed ones with their target, all others refused.
    #[test]
    fn every_transition_is_allowed_or_refused_as_designed() {
        let allowed = [
            (Open, Claim, Claimed),
            (Open, Resolve, Resolved),
            (Claimed, Resolve, Resolved),
            (Resolved, Close, Closed),
            (Open, Dismiss, Dismissed),
            (Claimed, Dismiss, Dismissed),
            (Open, Cancel, Dismissed),
            (Claimed, Cancel, Dismissed),
            (Resolved, Reopen, Claimed),
        ];
        let transitions = [Claim, Resolve, Close, Dismiss, Reopen, Cancel];
        for from in TicketState::ALL {
            for t in transitions {
                let expected = allowed
                    .iter()
                    .find(|(f, tr, _)| *f == from && *tr == t)
                    .map(|(_, _, to)| *to);
                match (apply(from, t), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {t:?}"),
                    (Err(r), None) => assert_eq!(
                        r,
                        Refused {
                            from,
                            transition: t
                        }
                    ),
                    (got, want) => panic!("{from} + {t:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn closed_and_dismissed_are_final() {
        for t in [Claim, Resolve, Close, Dismiss, Reopen, Cancel] {
            assert!(apply(Closed, t).is_err());
            assert!(apply(Dismissed, t).is_err());
        }
    }

    #[test]
    fn states_round_trip_through_their_ids() {
        for s in TicketState::ALL {
            assert_eq!(s.id().parse::<TicketState>(), Ok(s));
        }
        assert!("done".parse::<TicketState>().is_err());
    }
}
