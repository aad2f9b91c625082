//! Timers (ticket deadlines and follow-ups), digests already sent, held notices, and the
//! roster look-ups that notices to staff need.

use sqlx::AssertSqlSafe;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, rows_source};
use super::{Result, Store, Tx, col, parse_col};
use crate::domain::{DigestKind, TimerKind};

/// A timer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: i64,
    pub kind: TimerKind,
    pub ticket_id: i64,
    pub due_at: i64,
}

/// A chat a notice can go to without an inbound message to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTarget {
    pub platform: String,
    pub account: String,
    pub chat_id: String,
}

/// One group's activity for the daily digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupActivity {
    pub target: ChatTarget,
    pub created: i64,
    pub resolved: i64,
    pub open: i64,
}

/// A person on leave, for coordinators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    pub code: String,
    pub name: String,
    pub grid_name: String,
    pub until: i64,
}

impl Tx {
    /// Schedules `(kind, ticket, due)` timers. Written behind with the transaction's new
    /// tickets (see `Held` in the store module): one statement for the lot.
    pub fn add_timers(&mut self, timers: &[(TimerKind, i64, i64)]) {
        self.held.timers.extend_from_slice(timers);
    }

    pub(super) async fn write_timers(&mut self, timers: &[(TimerKind, i64, i64)]) -> Result<()> {
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO timers (kind, ticket_id, due_at) {}",
                rows_source(backend, 1, &[Ty::Text, Ty::Int, Ty::Int], count)
            )
        };
        for chunk in timers.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(kind, ticket, due)| serde_json::json!([kind.id(), ticket, due]))
                .collect();
            bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Takes up to `limit` timers due at `now` for this transaction. A timer taken here is
    /// fired when the transaction commits; another replica's concurrent attempt waits for the
    /// row and then finds it already fired, so each timer is acted on once.
    pub async fn take_due_timers(&mut self, now: i64, limit: i64) -> Result<Vec<Timer>> {
        let candidates = sqlx::query(
            "SELECT id FROM timers WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.db().await?)
        .await?;
        let mut taken = Vec::with_capacity(candidates.len());
        for row in &candidates {
            let id: i64 = col(row, "id")?;
            let row = sqlx::query(
                "UPDATE timers SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL \
                 RETURNING id, kind, ticket_id, due_at",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(self.db().await?)
            .await?;
            if let Some(r) = row {
                taken.push(Timer {
                    id: col(&r, "id")?,
                    kind: parse_col(&r, "kind")?,
                    ticket_id: col(&r, "ticket_id")?,
                    due_at: col(&r, "due_at")?,
                });
            }
        }
        Ok(taken)
    }

    /// Retires a ticket's unfired timers of the given kinds (its window was reset).
    pub async fn cancel_timers(
        &mut self,
        ticket: i64,
        kinds: &[TimerKind],
        now: i64,
    ) -> Result<()> {
        for kind in kinds {
            sqlx::query(
                "UPDATE timers SET fired_at = $3 WHERE ticket_id = $1 AND kind = $2 AND fired_at IS NULL",
            )
            .bind(ticket)
            .bind(kind.id())
            .bind(now)
            .execute(self.db().await?)
            .await?;
        }
        Ok(())
    }

    /// Puts a taken timer back to fire at `at` (a reminder held through quiet hours).
    pub async fn rearm_timer(&mut self, id: i64, at: i64) -> Result<()> {
        sqlx::query("UPDATE timers SET fired_at = NULL, due_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(self.db().await?)
            .await?;
        Ok(())
    }

    /// Whether a ticket still has an unfired timer of `kind` due at or before `at`.
    pub async fn timer_pending(&mut self, ticket: i64, kind: TimerKind, at: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM timers WHERE ticket_id = $1 AND kind = $2 \
             AND fired_at IS NULL AND due_at <= $3",
        )
        .bind(ticket)
        .bind(kind.id())
        .bind(at)
        .fetch_one(self.db().await?)
        .await?;
        Ok(col::<i64>(&row, "n")? > 0)
    }

    /// Claims the right to send one digest: true for exactly one caller per (kind, period).
    pub async fn claim_digest(&mut self, kind: DigestKind, period: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO digests (kind, period, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(kind.id())
        .bind(period.to_string())
        .bind(now)
        .execute(self.db().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets or ends (`None`) a person's leave.
    pub async fn set_leave(&mut self, person: &str, since: i64, until: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE people SET on_leave_until = $2, on_leave_since = $3 WHERE code = $1")
            .bind(person.to_string())
            .bind(until)
            .bind(until.map(|_| since))
            .execute(self.db().await?)
            .await?;
        Ok(())
    }

    /// The person's leave end, if on leave at `now`.
    pub async fn leave_until(&mut self, person: &str, now: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT on_leave_until FROM people WHERE code = $1 AND on_leave_until > $2",
        )
        .bind(person.to_string())
        .bind(now)
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "on_leave_until")).transpose()
    }

    /// Staff on leave at `now` in the subtree under `path_prefix`.
    pub async fn absences(&mut self, path_prefix: &str, now: i64) -> Result<Vec<Absence>> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.code, p.name, r.name AS grid_name, p.on_leave_until FROM people p \
             JOIN grants g ON g.person = p.code JOIN grids r ON r.code = g.grid \
             WHERE p.on_leave_until > $2 AND g.role IN ('leader', 'deputy') \
             AND substr(r.path, 1, length(CAST($1 AS TEXT))) = $1 \
             ORDER BY p.on_leave_until, p.code",
        )
        .bind(path_prefix.to_string())
        .bind(now)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Absence {
                    code: col(r, "code")?,
                    name: col(r, "name")?,
                    grid_name: col(r, "grid_name")?,
                    until: col(r, "on_leave_until")?,
                })
            })
            .collect()
    }

    /// Ids of the active tickets assigned to `person`.
    pub async fn active_tickets_of(&mut self, person: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM tickets WHERE assignee = $1 AND state IN ('open', 'claimed') ORDER BY id",
        )
        .bind(person.to_string())
        .fetch_all(self.db().await?)
        .await?;
        rows.iter().map(|r| col(r, "id")).collect()
    }

    /// Per-group counts since `since`: tickets created, resolved, and all still open, for
    /// groups with something created or resolved since then.
    pub async fn group_activity(&mut self, since: i64, until: i64) -> Result<Vec<GroupActivity>> {
        let rows = sqlx::query(
            "SELECT t.platform, COALESCE(MAX(g.account), '') AS account, t.chat_id, \
             SUM(CASE WHEN t.created_at >= $1 AND t.created_at < $2 THEN 1 ELSE 0 END) AS created, \
             SUM(CASE WHEN t.resolved_at >= $1 AND t.resolved_at < $2 THEN 1 ELSE 0 END) AS resolved, \
             SUM(CASE WHEN t.state IN ('open', 'claimed') AND t.created_at < $2 THEN 1 ELSE 0 END) AS still_open \
             FROM tickets t JOIN chat_groups g ON g.platform = t.platform AND g.chat_id = t.chat_id \
             WHERE g.active = 1 AND t.created_at < $2 \
             AND (t.created_at >= $1 OR t.resolved_at >= $1 OR t.state IN ('open', 'claimed')) \
             GROUP BY t.platform, t.chat_id ORDER BY t.platform, t.chat_id",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.db().await?)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let created: i64 = col(r, "created")?;
            let resolved: i64 = col(r, "resolved")?;
            if created == 0 && resolved == 0 {
                continue;
            }
            out.push(GroupActivity {
                target: ChatTarget {
                    platform: col(r, "platform")?,
                    account: col(r, "account")?,
                    chat_id: col(r, "chat_id")?,
                },
                created,
                resolved,
                open: col(r, "still_open")?,
            });
        }
        Ok(out)
    }

    /// Grids where someone holds the coordinator role, for the weekly report.
    pub async fn coordinated_grids(&mut self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT grid FROM grants WHERE role = 'coordinator' AND grid <> '' ORDER BY grid",
        )
        .fetch_all(self.db().await?)
        .await?;
        rows.iter().map(|r| col(r, "grid")).collect()
    }

    /// Active tickets under a subtree, oldest first.
    pub async fn slowest_open(
        &mut self,
        path_prefix: &str,
        limit: i64,
    ) -> Result<Vec<super::tickets::Ticket>> {
        let sql = format!(
            "SELECT {} FROM tickets WHERE state IN ('open', 'claimed') AND grid IN \
             (SELECT code FROM grids WHERE substr(path, 1, length(CAST($1 AS TEXT))) = $1) \
             ORDER BY created_at, id LIMIT $2",
            super::tickets::COLUMNS
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(path_prefix.to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(super::tickets::ticket_from).collect()
    }

    /// Notices held through quiet hours whose time has come become deliverable.
    pub async fn release_held(&mut self, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'pending' WHERE status = 'held' AND next_attempt_at <= $1",
        )
        .bind(now)
        .execute(self.db().await?)
        .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Timers not yet fired (tests, `gridline stats`).
    pub async fn pending_timers(&self) -> Result<Vec<Timer>> {
        let rows = sqlx::query(
            "SELECT id, kind, ticket_id, due_at FROM timers WHERE fired_at IS NULL ORDER BY due_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Timer {
                    id: col(r, "id")?,
                    kind: parse_col(r, "kind")?,
                    ticket_id: col(r, "ticket_id")?,
                    due_at: col(r, "due_at")?,
                })
            })
            .collect()
    }
}
