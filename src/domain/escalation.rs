//! Where escalations go: a missed claim is reported to the village above the ticket's grid, a
//! missed resolution to the town. The same rule tells the engine whom to tell and `gridline
//! doctor` which nodes must have a channel.

use std::collections::{BTreeMap, BTreeSet};

/// The level a missed claim is reported to.
pub const CLAIM_LEVEL: &str = "village";
/// The level a missed resolution is reported to.
pub const RESOLVE_LEVEL: &str = "town";
/// Every level escalations go to.
pub const LEVELS: [&str; 2] = [CLAIM_LEVEL, RESOLVE_LEVEL];

/// The node that hears an escalation to `level`, given the nodes above a grid as
/// `(code, level)` from the root down: the nearest one at that level; in a tree without that
/// level, the parent (village) or the root (town).
pub fn receiver<'a>(above: &[(&'a str, &'a str)], level: &str) -> Option<&'a str> {
    if let Some((code, _)) = above.iter().rev().find(|(_, l)| *l == level) {
        return Some(code);
    }
    match level {
        RESOLVE_LEVEL => above.first().map(|(code, _)| *code),
        _ => above.last().map(|(code, _)| *code),
    }
}

/// The grid codes on a materialised path (`/QS/QS-DF/QS-DF-01/`), root first.
pub fn path_codes(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// A grid node as the census needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    pub code: &'a str,
    pub level: &'a str,
    pub path: &'a str,
    /// Tickets can be raised here: a group is bound to it, or it is a leaf of the tree.
    pub raises: bool,
}

/// Every node that would receive an escalation, with the levels it would receive: the
/// receivers, at both levels, of every node tickets can be raised on.
pub fn receivers<'a>(nodes: &[Node<'a>]) -> BTreeMap<&'a str, BTreeSet<&'static str>> {
    let levels: BTreeMap<&str, &str> = nodes.iter().map(|n| (n.code, n.level)).collect();
    let mut out: BTreeMap<&'a str, BTreeSet<&'static str>> = BTreeMap::new();
    for n in nodes.iter().filter(|n| n.raises) {
        let above: Vec<(&str, &str)> = path_codes(n.path)
            .filter(|c| *c != n.code)
            .filter_map(|c| levels.get_key_value(c).map(|(k, l)| (*k, *l)))
            .collect();
        for level in LEVELS {
            if let Some(node) = receiver(&above, level) {
                out.entry(node).or_default().insert(level);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node<'a>(code: &'a str, level: &'a str, path: &'a str, raises: bool) -> Node<'a> {
        Node {
            code,
            level,
            path,
            raises,
        }
    }

    #[test]
    fn claims_go_to_the_village_and_resolutions_to_the_town() {
        let above = [("QS", "town"), ("QS-DF", "village")];
        assert_eq!(receiver(&above, CLAIM_LEVEL), Some("QS-DF"));
        assert_eq!(receiver(&above, RESOLVE_LEVEL), Some("QS"));
        // A tree with no village level: the parent hears a missed claim.
        let flat = [("T", "town"), ("S", "street")];
        assert_eq!(receiver(&flat, CLAIM_LEVEL), Some("S"));
        assert_eq!(receiver(&[("Z", "zone")], RESOLVE_LEVEL), Some("Z"));
        assert_eq!(receiver(&[], CLAIM_LEVEL), None);
    }

    #[test]
    fn receivers_are_the_villages_and_towns_above_grids_that_raise_tickets() {
        let nodes = [
            node("QS", "town", "/QS/", false),
            node("QS-DF", "village", "/QS/QS-DF/", false),
            node("QS-XL", "village", "/QS/QS-XL/", false),
            node("QS-DF-01", "grid", "/QS/QS-DF/QS-DF-01/", true),
            // A village with no grid raising tickets receives nothing.
        ];
        let r = receivers(&nodes);
        assert_eq!(r.keys().copied().collect::<Vec<_>>(), ["QS", "QS-DF"]);
        assert_eq!(r["QS"].iter().copied().collect::<Vec<_>>(), ["town"]);
        assert_eq!(r["QS-DF"].iter().copied().collect::<Vec<_>>(), ["village"]);
    }
}
