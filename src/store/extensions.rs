//! Requests for more time to resolve a ticket (延期) and their decisions (migration
//! 0032_extensions). The ticket's `extensions` count (approved ones) is kept by the engine
//! beside these rows and counted by the statistics rollups.

use super::{Result, Store, Tx, col, parse_col};
use crate::domain::extension::ExtensionState;

/// One request for more time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub id: i64,
    pub ticket_id: i64,
    /// Person code (or `platform:user id`) of who asked, and their name.
    pub asked_by: String,
    pub asked_name: String,
    pub days: i64,
    pub reason: String,
    pub asked_at: i64,
    pub state: ExtensionState,
    pub decided_by: Option<String>,
    pub decided_name: Option<String>,
    pub decided_at: Option<i64>,
    /// What the coordinator said with a refusal.
    pub note: Option<String>,
    pub old_due: Option<i64>,
    pub new_due: Option<i64>,
}

/// A decision on a pending request.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub state: ExtensionState,
    pub by: &'a str,
    pub name: &'a str,
    pub at: i64,
    pub note: &'a str,
    /// The resolve deadline before and after (approvals).
    pub due: Option<(i64, i64)>,
}

/// Every request for a ticket (`$1`), oldest first.
const OF_TICKET: &str = "SELECT id, ticket_id, asked_by, asked_name, days, reason, asked_at, state, \
    decided_by, decided_name, decided_at, note, old_due, new_due FROM ticket_extensions \
    WHERE ticket_id = $1 ORDER BY id";

impl Store {
    /// Every request for a ticket, oldest first (the console's ticket page), beside the writer.
    pub async fn ticket_extensions(&self, ticket: i64) -> Result<Vec<Extension>> {
        let rows = sqlx::query(OF_TICKET)
            .bind(ticket)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(extension_from).collect()
    }
}

impl Tx {
    /// Records a request, pending. Returns its id.
    pub async fn ask_extension(
        &mut self,
        ticket: i64,
        (by, name): (&str, &str),
        days: i64,
        reason: &str,
        at: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO ticket_extensions (ticket_id, asked_by, asked_name, days, reason, asked_at, state) \
             VALUES ($1,$2,$3,$4,$5,$6,'pending') RETURNING id",
        )
        .bind(ticket)
        .bind(by.to_string())
        .bind(name.to_string())
        .bind(days)
        .bind(reason.to_string())
        .bind(at)
        .fetch_one(self.db().await?)
        .await?;
        col(&row, "id")
    }

    /// Every request for a ticket, oldest first.
    pub async fn extensions_of(&mut self, ticket: i64) -> Result<Vec<Extension>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(OF_TICKET))
            .bind(ticket)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(extension_from).collect()
    }

    /// The pending requests among `tickets`: (ticket id, days asked), one per ticket.
    pub async fn pending_extensions(&mut self, tickets: &[i64]) -> Result<Vec<(i64, i64)>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=tickets.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT ticket_id, MAX(days) AS days FROM ticket_extensions \
             WHERE state = 'pending' AND ticket_id IN ({}) GROUP BY ticket_id",
            marks.join(",")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in tickets {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.db().await?).await?;
        rows.iter()
            .map(|r| Ok((col(r, "ticket_id")?, col(r, "days")?)))
            .collect()
    }

    /// Decides a pending request; false when it was decided already (by someone else meanwhile).
    pub async fn decide_extension(&mut self, id: i64, d: &Decision<'_>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE ticket_extensions SET state = $1, decided_by = $2, decided_name = $3, \
             decided_at = $4, note = $5, old_due = $6, new_due = $7 \
             WHERE id = $8 AND state = 'pending'",
        )
        .bind(d.state.id().to_string())
        .bind(d.by.to_string())
        .bind(d.name.to_string())
        .bind(d.at)
        .bind(d.note.to_string())
        .bind(d.due.map(|(old, _)| old))
        .bind(d.due.map(|(_, new)| new))
        .bind(id)
        .execute(self.db().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn extension_from(r: &sqlx::any::AnyRow) -> Result<Extension> {
    Ok(Extension {
        id: col(r, "id")?,
        ticket_id: col(r, "ticket_id")?,
        asked_by: col(r, "asked_by")?,
        asked_name: col(r, "asked_name")?,
        days: col(r, "days")?,
        reason: col(r, "reason")?,
        asked_at: col(r, "asked_at")?,
        state: parse_col(r, "state")?,
        decided_by: col(r, "decided_by")?,
        decided_name: col(r, "decided_name")?,
        decided_at: col(r, "decided_at")?,
        note: col(r, "note")?,
        old_due: col(r, "old_due")?,
        new_due: col(r, "new_due")?,
    })
}
