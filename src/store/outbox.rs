//! The outbox: what the bot must send, written with the change that caused it, delivered by
//! the worker in `crate::outbox`, which never holds a transaction across a network call.

use sqlx::AssertSqlSafe;

use super::{Result, Store, StoreError, Tx, col, row_placeholders};
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

impl Tx {
    /// Queues items for delivery (one statement for the lot).
    pub async fn enqueue(&mut self, items: &[NewOutbound], now: i64) -> Result<()> {
        for chunk in items.chunks(500) {
            let sql = format!(
                "INSERT INTO outbox (platform, account, chat, ticket_id, payload, next_attempt_at, created_at, status) VALUES {}",
                row_placeholders(self.backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for it in chunk {
                let payload = serde_json::to_string(&it.item)
                    .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
                q = q
                    .bind(it.platform.clone())
                    .bind(it.account.clone())
                    .bind(it.item.chat().map(str::to_string))
                    .bind(it.ticket_id)
                    .bind(payload)
                    .bind(it.not_before.unwrap_or(now))
                    .bind(now)
                    // Held rows (quiet hours) wait outside the delivery queue, so they never
                    // hold up later messages to the same chat; `release_held` queues them.
                    .bind(if it.not_before.is_some_and(|t| t > now) {
                        "held"
                    } else {
                        "pending"
                    });
            }
            q.execute(self.db().await?).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Leases up to `limit` rows that may be delivered now: due, not leased by another worker,
    /// and first in line for their chat (a later message never overtakes an earlier one that is
    /// waiting for a retry). The lease expires at `lease_until`.
    pub async fn lease_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        // The first pending row of each chat, due and not leased; rows without a chat (button
        // answers) have no order to keep. Asking for heads directly, rather than sifting the
        // oldest rows in memory, means a chat with a long queue behind a failing first message
        // cannot crowd every other chat out of the lease.
        let heads = sqlx::query(
            "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= $1 \
             AND (o.lease_until IS NULL OR o.lease_until < $1) \
             AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending' \
               AND e.platform = o.platform AND e.account = o.account AND e.chat = o.chat AND e.id < o.id) \
             ORDER BY o.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let chosen = heads
            .iter()
            .map(|r| col::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..chosen.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE outbox SET lease_until = $1 WHERE id IN ({}) AND status = 'pending' \
             AND (lease_until IS NULL OR lease_until < $2) \
             RETURNING id, platform, account, chat, ticket_id, payload, attempts",
            list.join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(lease_until).bind(now);
        for id in &chosen {
            q = q.bind(*id);
        }
        let leased = {
            let _turn = self.write_turn().await?;
            q.fetch_all(self.pool()).await?
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
            });
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
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
                     lease_until = NULL WHERE id = $1",
                )
                .bind(*id)
                .bind(*at),
                Delivery::Retry { id, next_at, error } => sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, \
                     lease_until = NULL, last_error = $3 WHERE id = $1",
                )
                .bind(*id)
                .bind(*next_at)
                .bind(error.clone()),
                Delivery::Postponed { id, next_at } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $2, lease_until = NULL WHERE id = $1",
                )
                .bind(*id)
                .bind(*next_at),
                Delivery::Parked { id, error } => sqlx::query(
                    "UPDATE outbox SET status = 'parked', attempts = attempts + 1, \
                     lease_until = NULL, last_error = $2 WHERE id = $1",
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
