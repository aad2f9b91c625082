//! Understanding's tables: confirmation questions, co-reporters, places named alone waiting
//! for their report, and the look-up of a group's open tickets that co-reports and second
//! reports are matched against.

use sqlx::any::AnyRow;

use super::{Result, Store, Tx, col, parse_col};
use crate::domain::{Category, TicketState, Urgency};

/// A question "is this a request?" put to a message's sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub id: i64,
    pub platform: String,
    pub account: String,
    pub chat_id: String,
    pub sender_id: String,
    /// The inbox row of the message the question is about.
    pub inbox_id: i64,
    pub message_id: String,
    pub body: String,
    pub asked_at: i64,
    pub expires_at: i64,
    pub state: String,
}

/// What a new question records.
#[derive(Debug, Clone)]
pub struct NewConfirmation {
    pub platform: String,
    pub account: String,
    pub chat_id: String,
    pub sender_id: String,
    pub inbox_id: i64,
    pub message_id: String,
    pub body: String,
    pub asked_at: i64,
    pub expires_at: i64,
}

/// Someone who reported a ticket's problem besides its reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoReporter {
    pub ticket_id: i64,
    pub platform: String,
    pub user_id: String,
    pub name: String,
    /// `me_too` ("我家也是", "+1") or `linked` (a second report of the same problem).
    pub via: String,
    pub added_at: i64,
}

/// What adding a co-reporter records.
#[derive(Debug, Clone)]
pub struct NewCoReporter {
    pub ticket_id: i64,
    pub platform: String,
    pub user_id: String,
    pub name: String,
    pub via: &'static str,
    /// The inbox row of the message that made them one.
    pub inbox_id: i64,
    pub added_at: i64,
}

/// The part of an open ticket a new message is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenTicket {
    pub id: i64,
    pub grid: String,
    /// The number within the grid that people see.
    pub no: i64,
    pub reporter_id: String,
    pub category: Category,
    pub urgency: Urgency,
    pub location: Option<String>,
    pub assignee: Option<String>,
    pub state: TicketState,
    pub created_at: i64,
}

const CONFIRM_COLUMNS: &str = "id, platform, account, chat_id, sender_id, inbox_id, message_id, \
    body, asked_at, expires_at, state";

fn confirmation_from(row: &AnyRow) -> Result<Confirmation> {
    Ok(Confirmation {
        id: col(row, "id")?,
        platform: col(row, "platform")?,
        account: col(row, "account")?,
        chat_id: col(row, "chat_id")?,
        sender_id: col(row, "sender_id")?,
        inbox_id: col(row, "inbox_id")?,
        message_id: col(row, "message_id")?,
        body: col(row, "body")?,
        asked_at: col(row, "asked_at")?,
        expires_at: col(row, "expires_at")?,
        state: col(row, "state")?,
    })
}

fn co_reporter_from(row: &AnyRow) -> Result<CoReporter> {
    Ok(CoReporter {
        ticket_id: col(row, "ticket_id")?,
        platform: col(row, "platform")?,
        user_id: col(row, "user_id")?,
        name: col(row, "name")?,
        via: col(row, "via")?,
        added_at: col(row, "added_at")?,
    })
}

impl Tx {
    /// Records a question; `None` when this message was already asked about (a replayed event).
    pub async fn add_confirmation(&mut self, c: &NewConfirmation) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO confirmations (platform, account, chat_id, sender_id, inbox_id, message_id, \
             body, asked_at, expires_at, state) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'pending') \
             ON CONFLICT (inbox_id) DO NOTHING RETURNING id",
        )
        .bind(c.platform.clone())
        .bind(c.account.clone())
        .bind(c.chat_id.clone())
        .bind(c.sender_id.clone())
        .bind(c.inbox_id)
        .bind(c.message_id.clone())
        .bind(c.body.clone())
        .bind(c.asked_at)
        .bind(c.expires_at)
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "id")).transpose()
    }

    /// The sender's newest unanswered question in a chat, whatever its expiry.
    pub async fn pending_confirmation(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
    ) -> Result<Option<Confirmation>> {
        let sql = format!(
            "SELECT {CONFIRM_COLUMNS} FROM confirmations WHERE platform = $1 AND chat_id = $2 \
             AND sender_id = $3 AND state = 'pending' ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform.to_string())
            .bind(chat.to_string())
            .bind(sender.to_string())
            .fetch_optional(self.db().await?)
            .await?;
        row.map(|r| confirmation_from(&r)).transpose()
    }

    pub async fn confirmation(&mut self, id: i64) -> Result<Option<Confirmation>> {
        let sql = format!("SELECT {CONFIRM_COLUMNS} FROM confirmations WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.db().await?)
            .await?;
        row.map(|r| confirmation_from(&r)).transpose()
    }

    /// Moves a pending question to `confirmed` or `expired`; false when it was no longer
    /// pending (another replica answered it first).
    pub async fn settle_confirmation(&mut self, id: i64, state: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE confirmations SET state = $1 WHERE id = $2 AND state = 'pending'")
                .bind(state.to_string())
                .bind(id)
                .execute(self.db().await?)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds a co-reporter; false when they already were one.
    pub async fn add_co_reporter(&mut self, c: &NewCoReporter) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO co_reporters (ticket_id, platform, user_id, name, via, inbox_id, added_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (ticket_id, platform, user_id) DO NOTHING",
        )
        .bind(c.ticket_id)
        .bind(c.platform.clone())
        .bind(c.user_id.clone())
        .bind(c.name.clone())
        .bind(c.via.to_string())
        .bind(c.inbox_id)
        .bind(c.added_at)
        .execute(self.db().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Everyone who reported ticket `ticket` besides its reporter, in the order they joined.
    pub async fn co_reporters(&mut self, ticket: i64) -> Result<Vec<CoReporter>> {
        let rows = sqlx::query(
            "SELECT ticket_id, platform, user_id, name, via, added_at FROM co_reporters \
             WHERE ticket_id = $1 ORDER BY added_at, user_id",
        )
        .bind(ticket)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter().map(co_reporter_from).collect()
    }

    /// Keeps a place a sender named alone in a chat for the report that may follow; it
    /// replaces the sender's earlier one there.
    pub async fn put_waiting_place(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        place: &str,
        sent_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO waiting_places (platform, chat_id, sender_id, place, sent_at) \
             VALUES ($1,$2,$3,$4,$5) ON CONFLICT (platform, chat_id, sender_id) \
             DO UPDATE SET place = excluded.place, sent_at = excluded.sent_at",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(sender.to_string())
        .bind(place.to_string())
        .bind(sent_at)
        .execute(self.db().await?)
        .await?;
        Ok(())
    }

    /// Takes the place a sender named alone in a chat at or after `since` (event time), if
    /// any: a report uses it once.
    pub async fn take_waiting_place(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        since: i64,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "DELETE FROM waiting_places WHERE platform = $1 AND chat_id = $2 AND sender_id = $3 \
             RETURNING place, sent_at",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(sender.to_string())
        .fetch_optional(self.db().await?)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let sent_at: i64 = col(&r, "sent_at")?;
        (sent_at >= since).then(|| col(&r, "place")).transpose()
    }

    /// Forgets places named alone before `before` that no report took.
    pub async fn forget_waiting_places(&mut self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM waiting_places WHERE sent_at < $1")
            .bind(before)
            .execute(self.db().await?)
            .await?;
        Ok(done.rows_affected())
    }

    /// Tickets of one chat still being handled (open or claimed) and created at or after
    /// `since`, newest first. Asked for every located request, so it leaves this transaction's
    /// held-back tickets where they are and adds the matching ones itself (all of them open).
    pub async fn open_tickets_in_chat(
        &mut self,
        platform: &str,
        chat: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<OpenTicket>> {
        let rows = sqlx::query(
            "SELECT id, grid, grid_no, reporter_id, category, urgency, location, assignee, state, created_at \
             FROM tickets WHERE platform = $1 AND chat_id = $2 AND created_at >= $3 \
             AND state IN ('open', 'claimed') ORDER BY id DESC LIMIT $4",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(since)
        .bind(limit)
        .fetch_all(self.conn())
        .await?;
        let held = self.held.tickets.iter().filter(|(_, _, t)| {
            t.platform == platform && t.chat_id == chat && t.created_at >= since
        });
        let mut out: Vec<OpenTicket> = held
            .map(|(id, no, t)| OpenTicket {
                id: *id,
                grid: t.grid.clone(),
                no: *no,
                reporter_id: t.reporter_id.clone(),
                category: t.category,
                urgency: t.urgency,
                location: t.location.clone(),
                assignee: t.assignee.clone(),
                state: TicketState::Open,
                created_at: t.created_at,
            })
            .collect();
        for r in &rows {
            out.push(OpenTicket {
                id: col(r, "id")?,
                grid: col(r, "grid")?,
                no: col(r, "grid_no")?,
                reporter_id: col(r, "reporter_id")?,
                category: parse_col(r, "category")?,
                urgency: parse_col(r, "urgency")?,
                location: col(r, "location")?,
                assignee: col(r, "assignee")?,
                state: parse_col(r, "state")?,
                created_at: col(r, "created_at")?,
            });
        }
        out.sort_by_key(|t| std::cmp::Reverse(t.id));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }
}

impl Store {
    /// Co-reporters of a ticket (the rating step asks them too).
    pub async fn co_reporters(&self, ticket: i64) -> Result<Vec<CoReporter>> {
        let mut tx = self.begin_report().await?;
        let out = tx.co_reporters(ticket).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every confirmation question of a chat, oldest first (tests, diagnostics).
    pub async fn confirmations_in_chat(
        &self,
        platform: &str,
        chat: &str,
    ) -> Result<Vec<Confirmation>> {
        let sql = format!(
            "SELECT {CONFIRM_COLUMNS} FROM confirmations WHERE platform = $1 AND chat_id = $2 \
             ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(platform.to_string())
            .bind(chat.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(confirmation_from).collect()
    }
}
