//! Which process holds something (an outbox incarnation, a polling duty), and whether that
//! process still runs.
//!
//! A process's node is `machine:pid`, the machine being this host's name and, on Linux,
//! its boot id (`/proc/sys/kernel/random/boot_id`): two machines never share one, and a
//! rebooted machine gets a new one. A process can then tell for certain that an incarnation of
//! its own machine is dead: its pid no longer runs there, or it is this very process's pid
//! (a restarted container whose process is pid 1 again). Without a boot id (not Linux) nothing
//! is ever judged dead this way; heartbeats decide, as for other machines.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// What this process holds (outbox incarnations, polling duty holders; tests run several in
/// one process): a holder with this process's pid that is not among them is a previous life.
static OURS: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Notes a holder (an incarnation, a duty holder) of this process.
pub fn ours(id: &str) {
    OURS.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_default()
        .insert(id.to_string());
}

/// Whether `id` is a holder of this process.
pub fn is_ours(id: &str) -> bool {
    OURS.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .is_some_and(|s| s.contains(id))
}

/// This process's node: `host#boot_id:pid` (`host:pid` where there is no boot id).
pub fn this_process() -> String {
    node_of(&host(), boot_id().as_deref(), std::process::id())
}

fn node_of(host: &str, boot: Option<&str>, pid: u32) -> String {
    match boot {
        Some(b) => format!("{host}#{b}:{pid}"),
        None => format!("{host}:{pid}"),
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// Whether a process of this machine runs with this pid.
pub fn running(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The machine part and the pid of a node.
fn split(node: &str) -> Option<(&str, u32)> {
    let (machine, pid) = node.rsplit_once(':')?;
    Some((machine, pid.parse().ok()?))
}

/// Whether the process of `other` is certainly gone, seen from the process `me`: same
/// machine (with a boot id), and its pid is ours (our own previous life) or runs no more.
pub fn gone(other: &str, me: &str, running: impl Fn(u32) -> bool) -> bool {
    let (Some((there, pid)), Some((here, mine))) = (split(other), split(me)) else {
        return false;
    };
    if there != here || !here.contains('#') {
        return false;
    }
    pid == mine || !running(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_processes_of_this_machine_that_no_longer_run_are_gone() {
        let me = node_of("box", Some("b00t"), 100);
        let alive = |pid: u32| pid == 200;
        // Killed on this machine.
        assert!(gone(&node_of("box", Some("b00t"), 300), &me, alive));
        // Our own pid: a previous life of this process (a container restarted as pid 1).
        assert!(gone(&node_of("box", Some("b00t"), 100), &me, alive));
        // Still running here.
        assert!(!gone(&node_of("box", Some("b00t"), 200), &me, alive));
        // Another machine, or this one before a reboot: left to the heartbeats.
        assert!(!gone(&node_of("other", Some("b00t"), 300), &me, alive));
        assert!(!gone(&node_of("box", Some("older"), 300), &me, alive));
        // No boot id: never judged here.
        let bare = node_of("box", None, 100);
        assert!(!gone(&node_of("box", None, 300), &bare, alive));
        // Nodes written before (`HOSTNAME:pid`) or unreadable ones.
        assert!(!gone("box:300", &me, alive));
        assert!(!gone("nonsense", &me, alive));
    }

    #[test]
    fn this_process_runs() {
        let me = this_process();
        let (_, pid) = split(&me).expect("a node");
        assert_eq!(pid, std::process::id());
        assert!(running(pid));
    }
}
