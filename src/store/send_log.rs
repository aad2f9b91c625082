//! The sending schedule: every send gridline makes, per rate-limit key (a chat, a bot
//! account), for the sliding windows of the platforms' declared limits. Kept in the database
//! on PostgreSQL so that every replica of a deployment counts the others' sends: the limits
//! hold for the deployment, not for each process.
//!
//! A slot is taken by one transaction that checks every window of every key and records the
//! send only if all have room, serialised per key (PostgreSQL advisory locks; SQLite has a
//! single writer). A sender that found no room waits and asks again: it never sends on the
//! strength of an earlier answer.
//!
//! A send is recorded when its slot is taken, but it reaches the platform later: the request
//! waits for the runtime, a connection, the network. Were the slot time left as the send's
//! time, a send that went out late would leave the next send to its chat a window counted
//! from too early, and two sends could reach the platform closer together than its limit
//! (Telegram answers 429). So once a send has been made, its rows are stamped again with the
//! time its request was answered ([`Store::restamp_send`]): later than the platform saw it,
//! never earlier, so the next slot is counted from a time the send had surely arrived by.

use super::{Backend, Result, Store, col, now_millis};
use crate::domain::message::Rate;
use sqlx::AssertSqlSafe;

/// A rate-limit key and the limits that apply to it.
#[derive(Debug, Clone, Copy)]
pub struct SendKey<'a> {
    pub key: &'a str,
    pub rates: &'a [Rate],
}

/// The answer of [`Store::take_send_slot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Recorded against every key at this time (ms; see [`Store::take_send_slot`]): send
    /// now, then give the time to [`Store::restamp_send`].
    Taken(i64),
    /// Nothing recorded. Milliseconds until each key (in the order given) has room; 0 for a
    /// key that has room now.
    Wait(Vec<i64>),
}

/// Milliseconds until one more send fits every rate, given the key's earlier send times
/// (ascending, none after `now`). 0: it fits now.
pub fn wait_for(times: &[i64], rates: &[Rate], now: i64) -> i64 {
    rates
        .iter()
        .map(|rate| {
            let per = i64::try_from(rate.per.as_millis()).unwrap_or(i64::MAX / 4);
            let max = rate.max.max(1) as usize;
            let in_window: Vec<i64> = times.iter().copied().filter(|t| *t > now - per).collect();
            if in_window.len() < max {
                return 0;
            }
            // The oldest send that still counts must leave the window first.
            (in_window[in_window.len() - max] + per - now).max(1)
        })
        .max()
        .unwrap_or(0)
}

fn longest(rates: &[Rate]) -> i64 {
    rates
        .iter()
        .map(|r| i64::try_from(r.per.as_millis()).unwrap_or(i64::MAX / 4))
        .max()
        .unwrap_or(0)
}

impl Store {
    /// Takes a sending slot under every key's limits at once, or says how long to wait.
    /// The time is the database's on PostgreSQL (replicas' clocks may differ), this host's
    /// on SQLite.
    pub async fn take_send_slot(&self, keys: &[SendKey<'_>]) -> Result<Slot> {
        let mut tx = self.begin().await?;
        let now = match self.backend {
            Backend::Sqlite => now_millis(),
            Backend::Postgres => {
                // Locks in one order, so that two senders sharing keys never deadlock.
                let mut names: Vec<&str> = keys.iter().map(|k| k.key).collect();
                names.sort_unstable();
                names.dedup();
                for name in names {
                    sqlx::query(
                        "SELECT 1 AS one FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS locked",
                    )
                    .bind(name.to_string())
                    .execute(tx.conn())
                    .await?;
                }
                let row = sqlx::query(
                    "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now",
                )
                .fetch_one(tx.conn())
                .await?;
                col::<i64>(&row, "now")?
            }
        };
        let mut waits = Vec::with_capacity(keys.len());
        for k in keys {
            let most = k.rates.iter().map(|r| i64::from(r.max)).max().unwrap_or(0);
            if most == 0 {
                waits.push(0);
                continue;
            }
            let rows = sqlx::query(
                "SELECT at FROM send_log WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3",
            )
            .bind(k.key.to_string())
            .bind(now - longest(k.rates))
            .bind(most)
            .fetch_all(tx.conn())
            .await?;
            let mut times = rows
                .iter()
                .map(|r| col::<i64>(r, "at"))
                .collect::<Result<Vec<_>>>()?;
            times.reverse();
            waits.push(wait_for(&times, k.rates, now));
        }
        if waits.iter().any(|w| *w > 0) {
            return Ok(Slot::Wait(waits));
        }
        for k in keys {
            sqlx::query("INSERT INTO send_log (key, at) VALUES ($1, $2)")
                .bind(k.key.to_string())
                .bind(now)
                .execute(tx.conn())
                .await?;
            // What has left the longest window no longer counts.
            sqlx::query("DELETE FROM send_log WHERE key = $1 AND at <= $2")
                .bind(k.key.to_string())
                .bind(now - longest(k.rates).max(1))
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        Ok(Slot::Taken(now))
    }

    /// Moves a send recorded at `slot` (the time [`Slot::Taken`] gave) to now, against every
    /// key of its slot: called once its request has been answered, so that the next slot of
    /// its keys is counted from when it had surely reached the platform. Never moves a send
    /// earlier. The clock is the same as [`Store::take_send_slot`]'s: the database's on
    /// PostgreSQL, this host's on SQLite.
    ///
    /// One statement for all the keys, outside any lock: a slot taken meanwhile was counted
    /// from the earlier time, as if it had been asked for before the answer came. Another send
    /// recorded against the same key in the same millisecond moves with it, which only makes
    /// its key's next slot later.
    ///
    /// No margin is added: the answer comes after the request arrived, so the time is already
    /// late enough for any request answered within the window. A request in flight longer than
    /// its key's window (seconds, for Telegram's 1 a second per chat) could still arrive after
    /// the next send's slot; such requests end in a timeout and a retry, and a fixed margin
    /// would delay every send to cover them.
    pub async fn restamp_send(&self, keys: &[&str], slot: i64) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let marks: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 2)).collect();
        let now = format!("${}", keys.len() + 2);
        let later = match self.backend {
            Backend::Sqlite => format!("MAX(at, {now})"),
            // The database's clock, as when the slot was taken.
            Backend::Postgres => {
                "GREATEST(at, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))".into()
            }
        };
        let sql = format!(
            "UPDATE send_log SET at = {later} WHERE at = $1 AND key IN ({})",
            marks.join(", ")
        );
        let mut turn = self.write_turn().await?;
        // Only placeholders and fixed text.
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(slot);
        for key in keys {
            query = query.bind(key.to_string());
        }
        if self.backend == Backend::Sqlite {
            query = query.bind(now_millis());
        }
        let done = query.execute(turn.conn()).await?;
        Ok(done.rows_affected())
    }

    /// Forgets sends older than `before` (keys that fell silent keep their last rows until
    /// then).
    pub async fn prune_send_log(&self, before: i64) -> Result<u64> {
        let mut turn = self.write_turn().await?;
        let done = sqlx::query("DELETE FROM send_log WHERE at < $1")
            .bind(before)
            .execute(turn.conn())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn waits_until_the_oldest_counted_send_leaves_each_window() {
        let rates = [
            Rate {
                max: 1,
                per: Duration::from_secs(1),
            },
            Rate {
                max: 3,
                per: Duration::from_secs(60),
            },
        ];
        assert_eq!(wait_for(&[], &rates, 10_000), 0);
        assert_eq!(wait_for(&[9_500], &rates, 10_000), 500);
        assert_eq!(wait_for(&[9_000], &rates, 10_000), 0);
        // Three in the minute: the first must leave it.
        assert_eq!(wait_for(&[1_000, 5_000, 8_000], &rates, 10_000), 51_000);
        assert_eq!(wait_for(&[1_000, 5_000, 8_000], &[], 10_000), 0);
    }
}
