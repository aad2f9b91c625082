//! Loading many finished tickets at once, with their statistics rollups, for `gridline bench
//! --scenario stats` (a county's year of tickets in minutes). Each call is one transaction:
//! multi-row inserts of whole ticket rows (final state, times, rating), then the rollup deltas
//! of every ticket as it stands, written at commit exactly as a ticket change writes them, so
//! `gridline stats --verify` finds the rollups equal to a recount.

use sqlx::AssertSqlSafe;

use super::tickets::Ticket;
use super::{Result, Store, row_placeholders};

/// Columns written for each ticket (`id` is left to the database).
const WIDTH: usize = 32;

impl Store {
    /// Inserts `tickets` as they are (their `id` is ignored; `inbox_id` is given separately
    /// and must be unique) and adds their figures to the rollups, in one transaction.
    pub async fn bulk_tickets(&self, tickets: &[(Ticket, i64)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for chunk in tickets.chunks(500) {
            let sql = format!(
                "INSERT INTO tickets (grid, grid_no, platform, account, chat_id, thread, \
                 source_message_id, inbox_id, reporter_id, reporter_name, category, urgency, \
                 location, body, assignee, state, created_at, first_response_at, claimed_at, \
                 resolved_at, closed_at, claim_due, resolve_due, rating, duplicate_of, updated_at, \
                 escalated, reopened, rated_satisfied, rated_neutral, rated_unsatisfied, \
                 extensions) VALUES {}",
                row_placeholders(tx.backend(), chunk.len(), WIDTH)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (t, inbox_id) in chunk {
                q = q
                    .bind(t.grid.clone())
                    .bind(t.no)
                    .bind(t.platform.clone())
                    .bind(t.account.clone())
                    .bind(t.chat_id.clone())
                    .bind(t.thread.clone())
                    .bind(t.source_message_id.clone())
                    .bind(*inbox_id)
                    .bind(t.reporter_id.clone())
                    .bind(t.reporter_name.clone())
                    .bind(t.category.id().to_string())
                    .bind(t.urgency.id().to_string())
                    .bind(t.location.clone())
                    .bind(t.body.clone())
                    .bind(t.assignee.clone())
                    .bind(t.state.id().to_string())
                    .bind(t.created_at)
                    .bind(t.first_response_at)
                    .bind(t.claimed_at)
                    .bind(t.resolved_at)
                    .bind(t.closed_at)
                    .bind(t.claim_due)
                    .bind(t.resolve_due)
                    .bind(t.rating.map(|r| r.id().to_string()))
                    .bind(t.duplicate_of)
                    .bind(t.updated_at)
                    .bind(t.escalated.clone())
                    .bind(t.reopened)
                    .bind(t.ratings.satisfied)
                    .bind(t.ratings.neutral)
                    .bind(t.ratings.unsatisfied)
                    .bind(t.extensions);
            }
            q.execute(tx.conn()).await?;
        }
        for (t, _) in tickets {
            tx.rollup_add(t);
        }
        tx.commit().await
    }

    /// Sets each grid's last ticket number to the highest number its tickets carry (after
    /// [`Store::bulk_tickets`], so that the next ticket opened in chat takes the next one).
    pub async fn bulk_ticket_numbers(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE grids SET last_ticket_no = COALESCE((SELECT MAX(grid_no) FROM tickets \
             WHERE tickets.grid = grids.code), 0)",
        )
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    /// Refreshes the planner's statistics (SQLite `ANALYZE`, PostgreSQL `ANALYZE`), as an
    /// operator would after a bulk load.
    pub async fn analyze(&self) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("ANALYZE").execute(turn.conn()).await?;
        Ok(())
    }
}
