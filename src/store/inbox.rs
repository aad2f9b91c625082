//! The inbox: every inbound event, de-duplicated on (platform, account, event id), and the
//! adapters' cursors stored with them.

use sqlx::AssertSqlSafe;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, list_source, rows_source};
use super::{Backend, Result, Store, StoreError, Tx, col, param};
use crate::domain::message::InboundEvent;

/// An event waiting to be processed.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: i64,
    pub received_at: i64,
    pub event: InboundEvent,
}

/// Counts for `gridline stats` and health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct InboxCounts {
    pub total: i64,
    pub unprocessed: i64,
}

impl Tx {
    /// Stores events; ones already stored are skipped. Returns how many were new.
    pub async fn insert_events(
        &mut self,
        events: &[InboundEvent],
        received_at: i64,
    ) -> Result<u64> {
        let refs: Vec<&InboundEvent> = events.iter().collect();
        let ids = self
            .insert_events_flagged(&refs, Vec::new(), received_at, None)
            .await?;
        Ok(ids.iter().filter(|id| id.is_some()).count() as u64)
    }

    /// Stores events from several submissions in as few statements as possible; ones already
    /// stored (or earlier in `events`) are skipped. Returns, per event, its inbox id when it
    /// was new. `processed_at` is set when the caller applies the events in this same
    /// transaction.
    ///
    /// `payloads` are the events' stored forms ([`event_payload`]) when the caller made them
    /// ahead of the transaction, one per event; otherwise (empty) they are made here.
    pub async fn insert_events_flagged(
        &mut self,
        events: &[&InboundEvent],
        mut payloads: Vec<String>,
        received_at: i64,
        processed_at: Option<i64>,
    ) -> Result<Vec<Option<i64>>> {
        let mut ids = Vec::with_capacity(events.len());
        let made_ahead = payloads.len() == events.len();
        use Ty::{Int, Text};
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO inbox (platform, account, event_id, received_at, payload, processed_at) \
                 {} ON CONFLICT (platform, account, event_id) DO NOTHING \
                 RETURNING id, platform, account, event_id",
                rows_source(backend, 1, &[Text, Text, Text, Int, Text, Int], count)
            )
        };
        for (n, chunk) in events.chunks(1_000).enumerate() {
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, ev) in chunk.iter().enumerate() {
                let payload = if made_ahead {
                    std::mem::take(&mut payloads[n * 1_000 + i])
                } else {
                    event_payload(ev)?
                };
                rows.push(serde_json::json!([
                    ev.platform,
                    ev.account,
                    ev.event_id,
                    received_at,
                    payload,
                    processed_at
                ]));
            }
            let q = bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?;
            let mut inserted = std::collections::HashMap::new();
            for row in q.fetch_all(self.conn()).await? {
                let key: (String, String, String) = (
                    col(&row, "platform")?,
                    col(&row, "account")?,
                    col(&row, "event_id")?,
                );
                inserted.insert(key, col::<i64>(&row, "id")?);
            }
            // The first occurrence of a key in the chunk is the one that was inserted.
            for ev in chunk {
                let key = (ev.platform.clone(), ev.account.clone(), ev.event_id.clone());
                ids.push(inserted.remove(&key));
            }
        }
        Ok(ids)
    }

    /// Whether any stored event still waits to be processed (or is being processed by another
    /// replica right now).
    pub async fn inbox_backlog(&mut self) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM inbox WHERE processed_at IS NULL LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        Ok(row.is_some())
    }

    /// Saves an adapter position (e.g. Telegram's next getUpdates offset).
    pub async fn put_cursor(&mut self, key: &str, value: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO cursors (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key.to_string())
        .bind(value.to_string())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Takes up to `limit` unprocessed events in arrival order. On PostgreSQL the rows stay
    /// locked until commit and other replicas skip them.
    pub async fn take_unprocessed(&mut self, limit: i64) -> Result<Vec<InboxRow>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id, received_at, payload FROM inbox WHERE processed_at IS NULL \
             ORDER BY id LIMIT $1{lock}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|row| {
                let payload: String = col(row, "payload")?;
                let id: i64 = col(row, "id")?;
                let event = serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("inbox row {id}: {e}")))?;
                Ok(InboxRow {
                    id,
                    received_at: col(row, "received_at")?,
                    event,
                })
            })
            .collect()
    }

    /// Marks events processed.
    pub async fn mark_processed(&mut self, ids: &[i64], at: i64) -> Result<()> {
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "UPDATE inbox SET processed_at = {} WHERE id IN ({})",
                param(backend, 1),
                list_source(backend, 2, Ty::Int, count)
            )
        };
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let list: Vec<serde_json::Value> = chunk.iter().map(|id| (*id).into()).collect();
            let q = sqlx::query(AssertSqlSafe(sql(chunk.len()))).bind(at);
            bind_rows(backend, q, &list)?.execute(self.conn()).await?;
        }
        Ok(())
    }
}

impl Store {
    /// An adapter position saved with [`Tx::put_cursor`].
    pub async fn cursor(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM cursors WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| col(&r, "value")).transpose()
    }

    pub async fn inbox_counts(&self) -> Result<InboxCounts> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN processed_at IS NULL THEN 1 ELSE 0 END), 0) AS unprocessed \
             FROM inbox",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(InboxCounts {
            total: col(&row, "total")?,
            unprocessed: col_i64_lenient(&row, "unprocessed")?,
        })
    }
}

/// SUM() is NUMERIC on PostgreSQL and INTEGER on SQLite: read either as i64.
pub(crate) fn col_i64_lenient(row: &sqlx::any::AnyRow, name: &str) -> Result<i64> {
    use sqlx::Row;
    if let Ok(v) = row.try_get::<i64, _>(name) {
        return Ok(v);
    }
    if let Ok(v) = row.try_get::<f64, _>(name) {
        return Ok(v as i64);
    }
    let text: String = col(row, name)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("column {name}: `{text}` is not a number")))
}

/// An event as the inbox stores it (JSON).
pub fn event_payload(event: &InboundEvent) -> Result<String> {
    serde_json::to_string(event).map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))
}
