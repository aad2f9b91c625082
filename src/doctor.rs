//! `gridline doctor`, also run at start and after an import: lists each grid node that would
//! receive escalations but has no channel to receive them on.
//!
//! A missed claim is reported to the village above the ticket's grid, a missed resolution to
//! the town ([`crate::domain::escalation`]). Tickets are raised on grids with a bound group and
//! on the leaves of the tree; the villages and towns above them receive escalations. Such a
//! node has a channel for a level when a group is bound to it, when one of its coordinators
//! can be written to privately (they wrote to the bot privately, or the platform reaches
//! everyone: the sandbox), or when a WeCom robot is configured for the level. Escalations to a
//! node with none reach nobody, which the engine logs when it happens; this check says so
//! beforehand.

use std::collections::{BTreeSet, HashMap};

use crate::config::Settings;
use crate::domain::escalation::{self, Node};
use crate::domain::message::PrivateChats;
use crate::i18n::Texts;
use crate::store::reach::NodeChannels;
use crate::store::{Store, StoreError};

/// A node that would receive escalations with no channel for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: String,
    pub name: String,
    /// The node's own level (`village`, `town` …).
    pub level: String,
    /// The escalation levels it would receive and has no channel for.
    pub unreached: Vec<&'static str>,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Nodes that would receive escalations.
    pub receivers: usize,
    pub missing: Vec<Finding>,
}

impl Report {
    /// One line per node without a channel, then what to do; or that all is well.
    pub fn lines(&self, texts: &Texts) -> Vec<String> {
        if self.missing.is_empty() {
            return vec![texts.every_node_has_a_channel(self.receivers)];
        }
        let mut lines: Vec<String> = self
            .missing
            .iter()
            .map(|f| texts.no_escalation_channel(&f.level, &f.name, &f.code))
            .collect();
        lines.push(texts.no_channel_hint().to_string());
        lines
    }

    /// Logs every node without a channel (start-up, after an import).
    pub fn log(&self, texts: &Texts) {
        for f in &self.missing {
            tracing::warn!(
                node = %f.code,
                levels = ?f.unreached,
                "{}",
                texts.no_escalation_channel(&f.level, &f.name, &f.code)
            );
        }
        if !self.missing.is_empty() {
            tracing::warn!("{}", texts.no_channel_hint());
        }
    }
}

/// Checks the roster in `store`. `reach` says, per platform in use, who the bot can write to
/// privately ([`crate::platform::private_reach`], or the mounted adapters' capabilities).
pub async fn check(
    store: &Store,
    settings: &Settings,
    reach: &HashMap<String, PrivateChats>,
) -> Result<Report, StoreError> {
    let nodes = store.node_channels().await?;
    Ok(census(&nodes, settings, reach))
}

/// The check over rows already read. Pure.
pub fn census(
    nodes: &[NodeChannels],
    settings: &Settings,
    reach: &HashMap<String, PrivateChats>,
) -> Report {
    let parents: BTreeSet<&str> = nodes
        .iter()
        .flat_map(|n| escalation::path_codes(&n.path).filter(move |c| *c != n.code))
        .collect();
    let tree: Vec<Node<'_>> = nodes
        .iter()
        .map(|n| Node {
            code: &n.code,
            level: &n.level,
            path: &n.path,
            raises: n.groups > 0 || !parents.contains(n.code.as_str()),
        })
        .collect();
    let receivers = escalation::receivers(&tree);
    let by_code: HashMap<&str, &NodeChannels> =
        nodes.iter().map(|n| (n.code.as_str(), n)).collect();
    let mut missing = Vec::new();
    for (code, levels) in &receivers {
        let Some(node) = by_code.get(code) else {
            continue;
        };
        let private = node.coordinators.iter().any(|c| {
            c.private.is_some()
                || reach
                    .get(&c.platform)
                    .is_some_and(|r| r.always_with(&c.user_id).is_some())
        });
        if node.groups > 0 || private {
            continue;
        }
        let unreached: Vec<&'static str> = levels
            .iter()
            .copied()
            .filter(|level| !settings.wecom.webhooks.contains_key(*level))
            .collect();
        if !unreached.is_empty() {
            missing.push(Finding {
                code: node.code.clone(),
                name: node.name.clone(),
                level: node.level.clone(),
                unreached,
            });
        }
    }
    Report {
        receivers: receivers.len(),
        missing,
    }
}
