//! What a line of a ticket's history records. Closed sets the engine writes to the database
//! are enums with one stable id per variant: the id is what is stored (so renaming a variant
//! never changes data), and every place that shows one to a person matches exhaustively.

use std::fmt;
use std::str::FromStr;

use super::UnknownValue;

/// The kind of one ticket history line (`ticket_events.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    /// The ticket was opened (detail: `category urgency`).
    Opened,
    Claimed,
    /// Progress posted (detail: the text).
    Note,
    Resolved,
    /// Rated by a reporter (detail: the rating id).
    Rated,
    Closed,
    Reopened,
    /// Handed to someone else (detail: their person code).
    Transferred,
    Dismissed,
    /// Withdrawn by its reporter.
    Cancelled,
    /// The reporter edited the message the ticket came from.
    Edited,
    /// A later message was linked to it (detail: the text).
    Linked,
    /// Someone else reported the same thing (detail: how: `linked`, `me_too`).
    CoReporter,
    /// The assignee was reminded of a deadline (detail: `claim`, `resolve`).
    Reminded,
    /// Escalated to the level above for a missed deadline.
    Escalated,
    /// Supervised (督办) by a coordinator.
    Urged,
    /// Closed because the reporter did not rate in time.
    ClosedUnrated,
    /// Handed over with the assignee's active tickets (detail: the new assignee).
    HandedOver,
    /// A photo joined the ticket (detail: the platform's file reference).
    Photo,
    /// The category was corrected (detail: `old new` category ids).
    Recategorized,
    /// The urgency was corrected (detail: `old new` urgency ids).
    UrgencyChanged,
    /// A photo from staff, as evidence of the work (办结凭证; detail: the file reference).
    Evidence,
    /// More time asked for (延期; detail: `days reason`).
    ExtensionAsked,
    /// An extension approved: the resolve deadline moved (detail: `days old_due new_due`).
    ExtensionApproved,
    /// An extension refused (detail: the reason given, if any).
    ExtensionRefused,
    /// The reporter said where, after the report (detail: `old → new` place, old may be empty).
    Relocated,
}

impl HistoryKind {
    pub const ALL: [HistoryKind; 26] = [
        HistoryKind::Opened,
        HistoryKind::Claimed,
        HistoryKind::Note,
        HistoryKind::Resolved,
        HistoryKind::Rated,
        HistoryKind::Closed,
        HistoryKind::Reopened,
        HistoryKind::Transferred,
        HistoryKind::Dismissed,
        HistoryKind::Cancelled,
        HistoryKind::Edited,
        HistoryKind::Linked,
        HistoryKind::CoReporter,
        HistoryKind::Reminded,
        HistoryKind::Escalated,
        HistoryKind::Urged,
        HistoryKind::ClosedUnrated,
        HistoryKind::HandedOver,
        HistoryKind::Photo,
        HistoryKind::Recategorized,
        HistoryKind::UrgencyChanged,
        HistoryKind::Evidence,
        HistoryKind::ExtensionAsked,
        HistoryKind::ExtensionApproved,
        HistoryKind::ExtensionRefused,
        HistoryKind::Relocated,
    ];

    /// The id stored in the database. Never change one: stored history is read back by it.
    pub fn id(self) -> &'static str {
        match self {
            HistoryKind::Opened => "opened",
            HistoryKind::Claimed => "claimed",
            HistoryKind::Note => "note",
            HistoryKind::Resolved => "resolved",
            HistoryKind::Rated => "rated",
            HistoryKind::Closed => "closed",
            HistoryKind::Reopened => "reopened",
            HistoryKind::Transferred => "transferred",
            HistoryKind::Dismissed => "dismissed",
            HistoryKind::Cancelled => "cancelled",
            HistoryKind::Edited => "edited",
            HistoryKind::Linked => "linked",
            HistoryKind::CoReporter => "co_reporter",
            HistoryKind::Reminded => "reminded",
            HistoryKind::Escalated => "escalated",
            HistoryKind::Urged => "urged",
            HistoryKind::ClosedUnrated => "closed_unrated",
            HistoryKind::HandedOver => "handed_over",
            HistoryKind::Photo => "photo",
            HistoryKind::Recategorized => "recategorized",
            HistoryKind::UrgencyChanged => "urgency_changed",
            HistoryKind::Evidence => "evidence",
            HistoryKind::ExtensionAsked => "extension_asked",
            HistoryKind::ExtensionApproved => "extension_approved",
            HistoryKind::ExtensionRefused => "extension_refused",
            HistoryKind::Relocated => "relocated",
        }
    }
}

impl fmt::Display for HistoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for HistoryKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HistoryKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

/// A deadline timer's kind (`timers.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    RemindClaim,
    EscalateClaim,
    RemindResolve,
    EscalateResolve,
    /// The reporter did not rate a resolved ticket in time: it closes unrated.
    RatingTimeout,
}

impl TimerKind {
    pub const ALL: [TimerKind; 5] = [
        TimerKind::RemindClaim,
        TimerKind::EscalateClaim,
        TimerKind::RemindResolve,
        TimerKind::EscalateResolve,
        TimerKind::RatingTimeout,
    ];

    /// The id stored in the database. Never change one.
    pub fn id(self) -> &'static str {
        match self {
            TimerKind::RemindClaim => "remind_claim",
            TimerKind::EscalateClaim => "escalate_claim",
            TimerKind::RemindResolve => "remind_resolve",
            TimerKind::EscalateResolve => "escalate_resolve",
            TimerKind::RatingTimeout => "rating_timeout",
        }
    }
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for TimerKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimerKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownValue(s.to_string()))
    }
}

/// A digest sent at most once per period (`digests.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestKind {
    /// The daily summary to each group.
    Daily,
    /// The weekly report to coordinators.
    Weekly,
}

impl DigestKind {
    /// The id stored in the database. Never change one.
    pub fn id(self) -> &'static str {
        match self {
            DigestKind::Daily => "daily",
            DigestKind::Weekly => "weekly",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_id_and_ids_are_distinct() {
        let mut ids = std::collections::HashSet::new();
        for k in HistoryKind::ALL {
            assert_eq!(k.id().parse::<HistoryKind>(), Ok(k));
            assert!(ids.insert(k.id()), "{k:?}");
        }
        for k in TimerKind::ALL {
            assert_eq!(k.id().parse::<TimerKind>(), Ok(k));
        }
        assert!("记录".parse::<HistoryKind>().is_err());
    }
}
