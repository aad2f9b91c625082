//! The outbox: what the bot must send, written with the change that caused it, delivered by
//! the worker in `crate::outbox`, which never holds a transaction across a network call.

use sqlx::AssertSqlSafe;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, rows_source};
use super::{Backend, Result, Store, StoreError, Tx, col};
use crate::domain::message::Outbound;

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub platform: String,
    pub account: String,
    pub ticket_id: Option<i64>,
    pub item: Outbound,
    /// Not before this time (quiet hours); `None` for now.
    pub not_before: Option<i64>,
}

/// A row leased for delivery.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub platform: String,
    pub account: String,
    pub chat: Option<String>,
    pub ticket_id: Option<i64>,
    pub item: Outbound,
    pub attempts: i64,
    pub priority: Priority,
}

/// A platform account: what the worker leases for fairly, and what account-wide rate limits
/// count against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lane {
    pub platform: String,
    pub account: String,
}

/// What became of a leased row ([`Store::record_deliveries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered; `message_ids` are the platform's ids of what was sent.
    Sent {
        id: i64,
        platform: String,
        chat: Option<String>,
        ticket_id: Option<i64>,
        message_ids: Vec<String>,
        at: i64,
    },
    /// Failed in a way worth retrying at `next_at` (an attempt counted).
    Retry {
        id: i64,
        next_at: i64,
        error: String,
    },
    /// Held back by a rate limit or an offline platform until `next_at` (no attempt counted).
    Postponed { id: i64, next_at: i64 },
    /// Given up on.
    Parked { id: i64, error: String },
}

/// Counts for `gridline stats` and health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub parked: i64,
    /// Notices waiting for the end of quiet hours.
    pub held: i64,
}

/// Delivery order across chats: lower goes first. Within a chat, rows keep their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Replies to a resident or leader: cards, answers, claim/resolve notices.
    Reply = 0,
    /// Reminders, escalations and what other timers send.
    Reminder = 1,
    /// Daily digests and weekly reports.
    Digest = 2,
}

impl Priority {
    fn from_stored(n: i64) -> Priority {
        match n {
            0 => Priority::Reply,
            1 => Priority::Reminder,
            _ => Priority::Digest,
        }
    }
}

impl Tx {
    /// Queues replies for delivery (one statement for the lot).
    pub async fn enqueue(&mut self, items: &[NewOutbound], now: i64) -> Result<()> {
        self.enqueue_with(items, now, Priority::Reply).await
    }

    /// Queues items for delivery at `priority`.
    pub async fn enqueue_with(
        &mut self,
        items: &[NewOutbound],
        now: i64,
        priority: Priority,
    ) -> Result<()> {
        use Ty::{Int, Text};
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO outbox (platform, account, chat, ticket_id, payload, next_attempt_at, created_at, status, priority) {}",
                rows_source(
                    backend,
                    1,
                    &[Text, Text, Text, Int, Text, Int, Int, Text, Int],
                    count
                )
            )
        };
        for chunk in items.chunks(ROWS_PER_STATEMENT) {
            let mut rows = Vec::with_capacity(chunk.len());
            for it in chunk {
                let payload = serde_json::to_string(&it.item)
                    .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
                // Held rows (quiet hours) wait outside the delivery queue, so they never
                // hold up later messages to the same chat; `release_held` queues them.
                let status = if it.not_before.is_some_and(|t| t > now) {
                    "held"
                } else {
                    "pending"
                };
                rows.push(serde_json::json!([
                    it.platform,
                    it.account,
                    it.item.chat(),
                    it.ticket_id,
                    payload,
                    it.not_before.unwrap_or(now),
                    now,
                    status,
                    priority as i64
                ]));
            }
            let q = bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?;
            q.execute(self.db().await?).await?;
        }
        Ok(())
    }
}

/// Who takes a lease: a running process ([`Store::register_incarnation`]) and the heartbeat
/// age after which another process counts as dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lessee {
    pub incarnation: String,
    /// Incarnations whose last heartbeat is older than this are dead: their leases are free.
    pub alive_since: i64,
}

impl Store {
    /// Records a running process; its leases stay its own while it beats
    /// ([`Store::heartbeat`]).
    pub async fn register_incarnation(&self, id: &str, node: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query(
            "INSERT INTO incarnations (id, node, started_at, heartbeat_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, ended_at = NULL",
        )
        .bind(id.to_string())
        .bind(node.to_string())
        .bind(now)
        .execute(turn.conn())
        .await?;
        Ok(())
    }

    /// "Still alive". Old incarnations (ended, or silent for a day) are cleared on the way.
    pub async fn heartbeat(&self, id: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("UPDATE incarnations SET heartbeat_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        sqlx::query("DELETE FROM incarnations WHERE heartbeat_at < $1")
            .bind(now - 86_400_000)
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    /// Ends every incarnation but `id` (at start on SQLite, whose database one process owns:
    /// whatever a killed predecessor had leased is free at once).
    pub async fn end_other_incarnations(&self, id: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("UPDATE incarnations SET ended_at = $2 WHERE id <> $1 AND ended_at IS NULL")
            .bind(id.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    /// The incarnations not ended, other than `id`, with their nodes.
    pub async fn other_incarnations(&self, id: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT id, node FROM incarnations WHERE id <> $1 AND ended_at IS NULL")
                .bind(id.to_string())
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok((col(r, "id")?, col(r, "node")?)))
            .collect()
    }

    /// Ends these incarnations (known dead): their leases are free at once.
    pub async fn end_incarnations(&self, ids: &[String], now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        for id in ids {
            sqlx::query("UPDATE incarnations SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(id.clone())
                .bind(now)
                .execute(turn.conn())
                .await?;
        }
        Ok(())
    }

    /// A clean stop: this incarnation's leases (deliveries cut short) are free at once.
    pub async fn end_incarnation(&self, id: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("UPDATE incarnations SET ended_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    /// Leases up to `limit` rows that may be delivered now: due, not leased by another worker,
    /// and first in line for their chat (a later message never overtakes an earlier one that is
    /// waiting for a retry). Replies to people go first, then reminders, then digests. The
    /// lease expires at `lease_until`.
    pub async fn lease_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        self.lease_due_as(now, lease_until, limit, None).await
    }

    /// [`Store::lease_due`] for `lessee`: rows leased by an incarnation that has ended or whose
    /// heartbeat is older than `lessee.alive_since` are free again at once, without waiting
    /// for `lease_until`, so a delivery cut by a crash is retried within seconds. The lessee's
    /// own live leases are never taken twice.
    pub async fn lease_due_as(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
        lessee: Option<&Lessee>,
    ) -> Result<Vec<OutboxRow>> {
        self.lease_heads(now, lease_until, limit, lessee, None)
            .await
    }

    /// [`Store::lease_due_as`] for one account's rows only. The worker leases each account on
    /// its own, up to what that account may send soon, so that a backlog of one platform or
    /// account (a county's daily digest, a bridge that is down) never holds up another's.
    pub async fn lease_lane(
        &self,
        now: i64,
        lease_until: i64,
        lane: &Lane,
        limit: i64,
        lessee: &Lessee,
    ) -> Result<Vec<OutboxRow>> {
        self.lease_heads(now, lease_until, limit, Some(lessee), Some(lane))
            .await
    }

    async fn lease_heads(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
        lessee: Option<&Lessee>,
        lane: Option<&Lane>,
    ) -> Result<Vec<OutboxRow>> {
        let (me, alive_since) = match lessee {
            Some(l) => (l.incarnation.clone(), l.alive_since),
            None => (String::new(), i64::MIN),
        };
        // The first pending row of each chat among those of its priority or more urgent, due
        // and not leased; rows without a chat (button answers) have no order to keep. A chat's
        // replies stay in order, and so do its reminders behind its replies, but a card does
        // not wait behind the day's digest to the same group. Asking for heads directly, rather
        // than sifting the oldest rows in memory, means a chat with a long queue behind a
        // failing first message cannot crowd every other chat out of the lease.
        //
        // On PostgreSQL "the head" is asked as "the first row of its chat is this one", a
        // subquery that always looks up one chat in `outbox_chat_pending`. As NOT EXISTS, PostgreSQL
        // with statistics from an empty outbox planned the anti-join as a walk over every
        // pending row of the account for each candidate: 344 ms with 10,000 replies queued,
        // against 0.6 ms now.
        let lane_filter = if lane.is_some() {
            " AND o.platform = $5 AND o.account = $6"
        } else {
            ""
        };
        let head = match self.backend {
            Backend::Postgres => {
                "(o.chat IS NULL OR o.id = (SELECT e.id FROM outbox e WHERE e.status = 'pending' \
                 AND e.platform = o.platform AND e.account = o.account AND e.chat = o.chat \
                 AND e.priority <= o.priority ORDER BY e.id LIMIT 1))"
            }
            // SQLite runs that subquery slowly (24 ms against 0.4 ms with 1,000 replies
            // queued) and plans NOT EXISTS as one probe of the chat's index per candidate, as
            // long as it is told which index: with statistics taken while the outbox was
            // empty it walked every earlier pending row of the account in `outbox_lane_due`
            // instead, 406 ms per lease with 156,000 rows queued against 0.3 ms.
            Backend::Sqlite => {
                "NOT EXISTS (SELECT 1 FROM outbox e INDEXED BY outbox_chat_pending \
                 WHERE e.status = 'pending' \
                 AND e.platform = o.platform AND e.account = o.account AND e.chat = o.chat \
                 AND e.id < o.id AND e.priority <= o.priority)"
            }
        };
        let sql = format!(
            "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= $1{lane_filter} \
             AND (o.lease_until IS NULL OR o.lease_until < $1 OR (o.leased_by <> $3 \
             AND NOT EXISTS (SELECT 1 FROM incarnations i WHERE i.id = o.leased_by \
             AND i.ended_at IS NULL AND i.heartbeat_at >= $4))) \
             AND {head} \
             ORDER BY o.priority, o.id LIMIT $2"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(limit)
            .bind(me.clone())
            .bind(alive_since);
        if let Some(lane) = lane {
            q = q.bind(lane.platform.clone()).bind(lane.account.clone());
        }
        let heads = q.fetch_all(self.pool()).await?;
        let chosen = heads
            .iter()
            .map(|r| col::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..chosen.len()).map(|i| format!("${}", i + 5)).collect();
        // The same test again, so that of two workers choosing the same row only one leases it.
        let sql = format!(
            "UPDATE outbox SET lease_until = $1, leased_by = $3 WHERE id IN ({}) \
             AND status = 'pending' AND (lease_until IS NULL OR lease_until < $2 \
             OR (leased_by <> $3 AND NOT EXISTS (SELECT 1 FROM incarnations i \
             WHERE i.id = outbox.leased_by AND i.ended_at IS NULL AND i.heartbeat_at >= $4))) \
             RETURNING id, platform, account, chat, ticket_id, payload, attempts, priority",
            list.join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(lease_until)
            .bind(now)
            .bind(me)
            .bind(alive_since);
        for id in &chosen {
            q = q.bind(*id);
        }
        let leased = {
            let mut turn = self.write_turn().await?;
            q.fetch_all(turn.conn()).await?
        };
        let mut out = Vec::with_capacity(leased.len());
        for row in &leased {
            let id: i64 = col(row, "id")?;
            let payload: String = col(row, "payload")?;
            let item = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("outbox row {id}: {e}")))?;
            out.push(OutboxRow {
                id,
                platform: col(row, "platform")?,
                account: col(row, "account")?,
                chat: col(row, "chat")?,
                ticket_id: col(row, "ticket_id")?,
                item,
                attempts: col(row, "attempts")?,
                priority: Priority::from_stored(col(row, "priority")?),
            });
        }
        out.sort_by_key(|r| (r.priority, r.id));
        Ok(out)
    }

    /// The accounts that have pending rows, found by stepping through the pending-rows index
    /// (one look-up per account, however many rows each has).
    pub async fn pending_lanes(&self) -> Result<Vec<Lane>> {
        let mut lanes: Vec<Lane> = Vec::new();
        loop {
            let next = match lanes.last() {
                None => {
                    sqlx::query(
                        "SELECT platform, account FROM outbox WHERE status = 'pending' \
                         ORDER BY platform, account LIMIT 1",
                    )
                    .fetch_optional(self.pool())
                    .await?
                }
                // The next account of the same platform, else the first of a later platform:
                // two seeks in the index. SQLite reads `(platform, account) > ($1, $2)` as a
                // seek to the platform followed by a walk over every pending row of the
                // accounts before (4 ms with 25,000 queued, on every lease pass).
                Some(last) => {
                    let same = sqlx::query(
                        "SELECT platform, account FROM outbox WHERE status = 'pending' \
                         AND platform = $1 AND account > $2 ORDER BY account LIMIT 1",
                    )
                    .bind(last.platform.clone())
                    .bind(last.account.clone())
                    .fetch_optional(self.pool())
                    .await?;
                    match same {
                        Some(row) => Some(row),
                        None => {
                            sqlx::query(
                                "SELECT platform, account FROM outbox WHERE status = 'pending' \
                                 AND platform > $1 ORDER BY platform, account LIMIT 1",
                            )
                            .bind(last.platform.clone())
                            .fetch_optional(self.pool())
                            .await?
                        }
                    }
                }
            };
            let Some(row) = next else { break };
            lanes.push(Lane {
                platform: col(&row, "platform")?,
                account: col(&row, "account")?,
            });
            if lanes.len() >= 10_000 {
                break;
            }
        }
        Ok(lanes)
    }

    /// Sets aside every pending row of `platform` (one that is not configured) in one
    /// statement: parked with `reason`, so that they neither wait in the queue nor cost a
    /// statement each. Returns how many.
    pub async fn set_aside(&self, platform: &str, reason: &str) -> Result<u64> {
        let mut turn = self.write_turn().await?;
        let done = sqlx::query(
            "UPDATE outbox SET status = 'parked', last_error = $2, lease_until = NULL, \
             leased_by = NULL WHERE status = 'pending' AND platform = $1",
        )
        .bind(platform.to_string())
        .bind(reason.to_string())
        .execute(turn.conn())
        .await?;
        Ok(done.rows_affected())
    }

    /// Records what became of delivered rows, all in one transaction: the worker delivers to
    /// many chats at once, and one commit (one fsync) for each would queue the intake behind
    /// them.
    pub async fn record_deliveries(&self, deliveries: &[Delivery]) -> Result<()> {
        let mut tx = self.begin().await?;
        for d in deliveries {
            let q = match d {
                Delivery::Sent { id, at, .. } => sqlx::query(
                    "UPDATE outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, \
                     lease_until = NULL, leased_by = NULL WHERE id = $1",
                )
                .bind(*id)
                .bind(*at),
                Delivery::Retry { id, next_at, error } => sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, \
                     lease_until = NULL, leased_by = NULL, last_error = $3 WHERE id = $1",
                )
                .bind(*id)
                .bind(*next_at)
                .bind(error.clone()),
                Delivery::Postponed { id, next_at } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $2, lease_until = NULL, leased_by = NULL WHERE id = $1",
                )
                .bind(*id)
                .bind(*next_at),
                Delivery::Parked { id, error } => sqlx::query(
                    "UPDATE outbox SET status = 'parked', attempts = attempts + 1, \
                     lease_until = NULL, leased_by = NULL, last_error = $2 WHERE id = $1",
                )
                .bind(*id)
                .bind(error.clone()),
            };
            q.execute(tx.conn()).await?;
            if let Delivery::Sent {
                id,
                platform,
                chat: Some(chat),
                ticket_id: Some(ticket),
                message_ids,
                ..
            } = d
            {
                for mid in message_ids {
                    // The outbox row orders a ticket's messages: its first in its chat is its card.
                    sqlx::query(
                        "INSERT INTO bot_messages (platform, chat_id, message_id, ticket_id, outbox_id) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(platform.clone())
                    .bind(chat.clone())
                    .bind(mid.clone())
                    .bind(*ticket)
                    .bind(*id)
                    .execute(tx.conn())
                    .await?;
                }
            }
        }
        tx.commit().await
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
            .fetch_all(self.pool())
            .await?;
        let mut counts = OutboxCounts::default();
        for row in &rows {
            let status: String = col(row, "status")?;
            let n: i64 = col(row, "n")?;
            match status.as_str() {
                "pending" => counts.pending = n,
                "sent" => counts.sent = n,
                "parked" => counts.parked = n,
                "held" => counts.held = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// The earliest time a pending row becomes due, to sleep until then.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        let row =
            sqlx::query("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'")
                .fetch_one(self.pool())
                .await?;
        col(&row, "t")
    }
}
