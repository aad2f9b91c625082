//! One problem, one ticket, for places: residents often say where in a message of its own,
//! before or after saying what ("3栋" … "楼道灯坏了"; "楼道灯坏了" … "不好意思 说错了 是4栋").
//! A message that is a place and nothing else ([`crate::understand::Parser::bare_place`]) from
//! a resident in a bound group:
//!
//! - replying to the card of their own ticket still being handled, or sent within
//!   `parser.place_window` after their report of a ticket still being handled, is that
//!   ticket's place: the ticket takes it (a `relocated` history event, the card redrawn) and the
//!   chat is told in one line;
//! - otherwise it waits (one per sender and chat): their next report within the window takes
//!   it as its place, or as the place of what it names ("3栋" then "楼道灯坏了" is 3栋楼道).
//!
//! Staff naming a place is no report: it is left alone.

use super::understanding::Handled;
use super::{Effects, Engine, Notice, Scene};
use crate::domain::HistoryKind;
use crate::domain::mask::mask_personal_numbers;
use crate::store::{StoreError, Tx};
use crate::understand::Understanding;

/// Open tickets of the chat looked at for the sender's own.
const OWN_CANDIDATES: i64 = 20;

impl Engine {
    fn place_window(&self) -> i64 {
        self.settings.parser.place_window.as_millis()
    }

    /// A place named alone: the place of the sender's ticket it follows, or kept for the
    /// report that follows it. `None` when the message is not a place alone.
    pub(super) async fn place_alone(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        replied_ticket: Option<i64>,
        text: &str,
    ) -> Handled {
        if scene.standing.is_staff() || !scene.group.as_ref().is_some_and(|g| g.active) {
            return Ok(None);
        }
        let Some(place) = self.parser.bare_place(text) else {
            return Ok(None);
        };
        let ev = scene.event;
        let since = match replied_ticket {
            // A reply names its ticket: any age will do while it is being handled.
            Some(_) => i64::MIN,
            None => ev.at - self.place_window(),
        };
        let own = tx
            .open_tickets_in_chat(&ev.platform, &ev.chat.id, since, OWN_CANDIDATES)
            .await?
            .into_iter()
            .filter(|t| t.reporter_id == ev.sender.id)
            .find(|t| replied_ticket.is_none_or(|id| id == t.id));
        let Some(own) = own else {
            if replied_ticket.is_none() {
                tx.put_waiting_place(&ev.platform, &ev.chat.id, &ev.sender.id, &place, ev.at)
                    .await?;
                tracing::debug!("a place named alone waits for its report");
            }
            // Read on as any message: it is no request, and a photo with it waits as usual.
            return Ok(None);
        };
        let Some(mut t) = tx.ticket(own.id).await? else {
            return Ok(Some(Vec::new()));
        };
        let no = scene.number(&t.grid, t.no);
        if t.location.as_deref() == Some(place.as_str()) {
            return Ok(Some(Vec::new()));
        }
        let place = placed(t.location.as_deref(), &place);
        if t.location.as_deref() == Some(place.as_str()) {
            return Ok(Some(Vec::new()));
        }
        let detail = format!("{} → {place}", t.location.as_deref().unwrap_or(""));
        t.location = Some(place.clone());
        t.updated_at = scene.now;
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Relocated, &detail);
        tracing::info!(ticket = t.id, "the reporter said where");
        Ok(Some(vec![Notice::plain(
            self.texts.relocated(&no, &mask_personal_numbers(&place)),
            Some(t.id),
        )]))
    }

    /// `u` with the place the sender named alone just before it, if any: the report's place
    /// when it names none, or where the place it names is ("3栋" then "楼道灯坏了": 3栋楼道).
    /// A report that names a numbered place of its own keeps it.
    pub(super) async fn with_waiting_place(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        u: &Understanding,
    ) -> Result<Option<Understanding>, StoreError> {
        // A report that names a numbered place of its own needs none (and costs no look-up).
        if u.location.as_deref().is_some_and(numbered) {
            return Ok(None);
        }
        let ev = scene.event;
        let Some(waiting) = tx
            .take_waiting_place(
                &ev.platform,
                &ev.chat.id,
                &ev.sender.id,
                ev.at - self.place_window(),
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Understanding {
            location: Some(placed(u.location.as_deref(), &waiting)),
            ..u.clone()
        }))
    }
}

/// A report's place `old` with the place `new` said alone beside it: `new` is where `old` is
/// ("楼道" and "3栋": 3栋楼道), or replaces the numbered part of `old` ("3栋楼道" and "是4栋":
/// 4栋楼道; "5栋" and "6栋": 6栋).
fn placed(old: Option<&str>, new: &str) -> String {
    let Some(old) = old.filter(|o| !o.trim().is_empty()) else {
        return new.to_string();
    };
    if old.contains(new) || new.contains(old) {
        return new.to_string();
    }
    if !numbered(old) {
        return join_places(new, old);
    }
    // The part after the last number and its unit: what in the numbered place it was
    // ("楼道", "门口", "lift lobby").
    let after_number = old
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_ascii_digit() || "一二三四五六七八九十百".contains(c))
        .map_or(old.len(), |(i, c)| i + c.len_utf8());
    let rest = &old[after_number..];
    let tail = UNITS
        .iter()
        .find_map(|u| rest.strip_prefix(u))
        .unwrap_or(rest)
        .trim();
    if numbered(new) && !tail.is_empty() && !new.contains(tail) {
        join_places(new, tail)
    } else {
        new.to_string()
    }
}

/// The words that follow a number in a place's name (号楼 before 号, longest first).
const UNITS: &[&str] = &[
    "号楼", "单元", "栋", "幢", "座", "号", "组", "层", "楼", "室", "期", "区",
];

/// Whether a place carries a number of its own (3栋, Block 5, 三组): it says where by itself.
fn numbered(place: &str) -> bool {
    place
        .chars()
        .any(|c| c.is_ascii_digit() || "一二三四五六七八九十百".contains(c))
}

/// "3栋" and "楼道" as one place: 3栋楼道; "Block 5" and "lift lobby": Block 5 lift lobby. A
/// vague "那边" after the outer place says nothing once the inner one follows ("4栋2单元那边"
/// and "楼顶": 4栋2单元楼顶).
fn join_places(outer: &str, inner: &str) -> String {
    const VAGUE: [&str; 9] = [
        "那边", "这边", "那里", "这里", "那儿", "这儿", "那块", "这块", "一带",
    ];
    let outer = VAGUE
        .iter()
        .find_map(|v| outer.strip_suffix(v))
        .filter(|o| !o.is_empty())
        .unwrap_or(outer);
    let ascii_meet = outer.chars().next_back().is_some_and(|c| c.is_ascii())
        || inner.chars().next().is_some_and(|c| c.is_ascii());
    if ascii_meet {
        format!("{outer} {inner}")
    } else {
        format!("{outer}{inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::{join_places, numbered, placed};

    #[test]
    fn places_join_as_written() {
        assert_eq!(join_places("3栋", "楼道"), "3栋楼道");
        assert_eq!(join_places("Block 5", "lift lobby"), "Block 5 lift lobby");
        assert_eq!(join_places("Blk 231", "楼道"), "Blk 231 楼道");
        assert!(numbered("3栋2单元"));
        assert!(numbered("三组"));
        assert!(!numbered("楼道"));
        assert!(!numbered("the lift lobby"));
        assert_eq!(placed(None, "4栋"), "4栋");
        assert_eq!(placed(Some("楼道"), "3栋"), "3栋楼道");
        assert_eq!(placed(Some("3栋楼道"), "4栋"), "4栋楼道");
        assert_eq!(placed(Some("5栋2单元门口"), "6栋2单元"), "6栋2单元门口");
        assert_eq!(placed(Some("5栋"), "6栋"), "6栋");
        assert_eq!(placed(Some("3栋"), "3栋2单元"), "3栋2单元");
        assert_eq!(placed(Some("4栋楼顶"), "4栋2单元那边"), "4栋2单元楼顶");
        assert_eq!(placed(Some("楼道"), "3栋那边"), "3栋楼道");
        assert_eq!(placed(Some("lift lobby"), "Block 7"), "Block 7 lift lobby");
        assert_eq!(
            placed(Some("Block 5 lift lobby"), "block 7"),
            "block 7 lift lobby"
        );
    }
}
