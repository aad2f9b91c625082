//! Tickets and their append-only history.

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, list_source, rows_source};
use super::{Backend, Result, Store, Tx, col, parse_col};
use crate::domain::{Category, HistoryKind, Rating, Ratings, TicketState, Urgency};

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// The key other tables refer to; never shown to people.
    pub id: i64,
    pub grid: String,
    /// The number within the grid that people see and type (`#12`).
    pub no: i64,
    pub platform: String,
    pub account: String,
    pub chat_id: String,
    pub thread: Option<String>,
    pub source_message_id: String,
    pub reporter_id: String,
    pub reporter_name: String,
    pub category: Category,
    pub urgency: Urgency,
    pub location: Option<String>,
    pub body: String,
    /// Person code of the assignee.
    pub assignee: Option<String>,
    pub state: TicketState,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub claimed_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub claim_due: i64,
    pub resolve_due: i64,
    /// The rating that decided the latest resolution (closed or reopened it).
    pub rating: Option<Rating>,
    /// Every rating it holds, one per person who rated (see `store::ratings`).
    pub ratings: Ratings,
    pub duplicate_of: Option<i64>,
    pub updated_at: i64,
    /// Highest level the ticket was escalated to ("village", "town").
    pub escalated: Option<String>,
    /// How many times the reporter reopened it.
    pub reopened: i64,
    /// Approved extensions of its resolve deadline (延期).
    pub extensions: i64,
}

impl Ticket {
    /// The ticket's number in the form understood in every chat (`QS-DF-01#12`).
    pub fn number(&self) -> crate::domain::Number {
        crate::domain::Number::qualified(&self.grid, self.no)
    }
}

/// Everything a new ticket needs; the id comes from the database.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub grid: String,
    pub platform: String,
    pub account: String,
    pub chat_id: String,
    pub thread: Option<String>,
    pub source_message_id: String,
    pub inbox_id: i64,
    pub reporter_id: String,
    pub reporter_name: String,
    pub category: Category,
    pub urgency: Urgency,
    pub location: Option<String>,
    pub body: String,
    pub assignee: Option<String>,
    pub created_at: i64,
    pub claim_due: i64,
    pub resolve_due: i64,
    pub duplicate_of: Option<i64>,
}

impl Ticket {
    /// A ticket as [`Tx::insert_ticket`] opens it: open, unrated, never escalated.
    pub(crate) fn opened(id: i64, no: i64, t: &NewTicket) -> Ticket {
        Ticket {
            id,
            grid: t.grid.clone(),
            no,
            platform: t.platform.clone(),
            account: t.account.clone(),
            chat_id: t.chat_id.clone(),
            thread: t.thread.clone(),
            source_message_id: t.source_message_id.clone(),
            reporter_id: t.reporter_id.clone(),
            reporter_name: t.reporter_name.clone(),
            category: t.category,
            urgency: t.urgency,
            location: t.location.clone(),
            body: t.body.clone(),
            assignee: t.assignee.clone(),
            state: TicketState::Open,
            created_at: t.created_at,
            first_response_at: None,
            claimed_at: None,
            resolved_at: None,
            closed_at: None,
            claim_due: t.claim_due,
            resolve_due: t.resolve_due,
            rating: None,
            ratings: Ratings::default(),
            duplicate_of: t.duplicate_of,
            updated_at: t.created_at,
            escalated: None,
            reopened: 0,
            extensions: 0,
        }
    }
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub ticket_id: i64,
    pub at: i64,
    /// Person code, or `platform:user id` for residents, or `system`.
    pub actor: String,
    pub actor_name: String,
    pub kind: HistoryKind,
    pub detail: String,
}

/// The facts statistics are computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub state: TicketState,
    pub category: Category,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub claim_due: i64,
    pub resolve_due: i64,
    /// Every rating, one per person who rated.
    pub ratings: Ratings,
    pub claimed_at: Option<i64>,
    pub escalated: bool,
    pub reopened: i64,
}

pub(crate) const COLUMNS: &str = "id, grid, grid_no, platform, account, chat_id, thread, source_message_id, reporter_id, \
    reporter_name, category, urgency, location, body, assignee, state, created_at, first_response_at, \
    claimed_at, resolved_at, closed_at, claim_due, resolve_due, rating, rated_satisfied, rated_neutral, \
    rated_unsatisfied, duplicate_of, updated_at, escalated, reopened, extensions";

/// The `rated_*` counts of a row.
pub(crate) fn ratings_from(row: &AnyRow) -> Result<Ratings> {
    Ok(Ratings {
        satisfied: col(row, "rated_satisfied")?,
        neutral: col(row, "rated_neutral")?,
        unsatisfied: col(row, "rated_unsatisfied")?,
    })
}

pub(crate) fn ticket_from(row: &AnyRow) -> Result<Ticket> {
    let rating: Option<String> = col(row, "rating")?;
    Ok(Ticket {
        id: col(row, "id")?,
        grid: col(row, "grid")?,
        no: col(row, "grid_no")?,
        platform: col(row, "platform")?,
        account: col(row, "account")?,
        chat_id: col(row, "chat_id")?,
        thread: col(row, "thread")?,
        source_message_id: col(row, "source_message_id")?,
        reporter_id: col(row, "reporter_id")?,
        reporter_name: col(row, "reporter_name")?,
        category: parse_col(row, "category")?,
        urgency: parse_col(row, "urgency")?,
        location: col(row, "location")?,
        body: col(row, "body")?,
        assignee: col(row, "assignee")?,
        state: parse_col(row, "state")?,
        created_at: col(row, "created_at")?,
        first_response_at: col(row, "first_response_at")?,
        claimed_at: col(row, "claimed_at")?,
        resolved_at: col(row, "resolved_at")?,
        closed_at: col(row, "closed_at")?,
        claim_due: col(row, "claim_due")?,
        resolve_due: col(row, "resolve_due")?,
        rating: rating.and_then(|r| r.parse().ok()),
        ratings: ratings_from(row)?,
        duplicate_of: col(row, "duplicate_of")?,
        updated_at: col(row, "updated_at")?,
        escalated: col(row, "escalated")?,
        reopened: col(row, "reopened")?,
        extensions: col(row, "extensions")?,
    })
}

impl Tx {
    /// Opens a ticket and returns its id and its number within the grid. The row itself is
    /// written behind (see `Held` in the store module), with the batch's other new tickets,
    /// before anything reads tickets.
    pub async fn insert_ticket(&mut self, t: &NewTicket) -> Result<(i64, i64)> {
        let id = self.next_ticket_id().await?;
        let no = self.next_grid_no(&t.grid).await?;
        self.rollup_new(id, t);
        self.held.tickets.push((id, no, t.clone()));
        Ok((id, no))
    }

    /// The grid's next ticket number. The counter row stays locked on PostgreSQL until the
    /// transaction ends, so replicas opening tickets in the same grid take turns; SQLite's
    /// transaction holds the only write turn anyway.
    async fn next_grid_no(&mut self, grid: &str) -> Result<i64> {
        if let Some((last, moved)) = self.held.grid_numbers.get_mut(grid) {
            *last += 1;
            *moved = true;
            return Ok(*last);
        }
        let row = sqlx::query(
            "UPDATE grids SET last_ticket_no = last_ticket_no + 1 WHERE code = $1 RETURNING last_ticket_no",
        )
        .bind(grid.to_string())
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else {
            return Err(super::StoreError::Unavailable(format!(
                "no grid {grid} to number a ticket in"
            )));
        };
        let no = col(&r, "last_ticket_no")?;
        self.held.grid_numbers.insert(grid.to_string(), (no, false));
        Ok(no)
    }

    /// Reads the ticket counters of `grids` (those of a batch's likely requests) in one
    /// statement; their tickets are then numbered in memory and the counters written once,
    /// with the held tickets. Nobody else moves a counter meanwhile: on SQLite the
    /// transaction holds the only write turn (BEGIN IMMEDIATE); on PostgreSQL the rows are
    /// locked until it ends (`FOR UPDATE`, in code order so that two replicas locking the
    /// same grids queue instead of deadlocking), and replicas opening tickets in the same
    /// grid take turns as they did with one locking update per ticket.
    pub async fn prefetch_grid_numbers(&mut self, grids: &[String]) -> Result<()> {
        let lock = match self.backend {
            Backend::Postgres => " ORDER BY code FOR UPDATE",
            Backend::Sqlite => "",
        };
        let mut wanted: Vec<&str> = grids
            .iter()
            .map(String::as_str)
            .filter(|g| !self.held.grid_numbers.contains_key(*g))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "SELECT code, last_ticket_no FROM grids WHERE code IN ({}){lock}",
                list_source(backend, 1, Ty::Text, count)
            )
        };
        for chunk in wanted.chunks(ROWS_PER_STATEMENT) {
            let list: Vec<serde_json::Value> = chunk.iter().map(|g| (*g).into()).collect();
            let rows = bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &list)?
                .fetch_all(self.conn())
                .await?;
            for r in rows {
                let code: String = col(&r, "code")?;
                let last: i64 = col(&r, "last_ticket_no")?;
                self.held.grid_numbers.insert(code, (last, false));
            }
        }
        Ok(())
    }

    /// Writes the counters numbered in memory since they were read ([`Tx::prefetch_grid_numbers`]).
    pub(super) async fn write_grid_numbers(&mut self) -> Result<()> {
        let moved: Vec<(String, i64)> = self
            .held
            .grid_numbers
            .iter_mut()
            .filter(|(_, (_, moved))| *moved)
            .map(|(code, (last, moved))| {
                *moved = false;
                (code.clone(), *last)
            })
            .collect();
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "UPDATE grids SET last_ticket_no = v.column2 FROM ({}) AS v \
                 WHERE grids.code = v.column1",
                rows_source(backend, 1, &[Ty::Text, Ty::Int], count)
            )
        };
        for chunk in moved.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(code, last)| serde_json::json!([code, last]))
                .collect();
            bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// The id of ticket number `no` of a grid; the grid code is matched without regard to
    /// case, as people type it.
    pub async fn ticket_by_number(&mut self, grid: &str, no: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT t.id FROM tickets t JOIN grids g ON g.code = t.grid \
             WHERE (g.code = $1 OR lower(g.code) = lower($1)) AND t.grid_no = $2 ORDER BY t.id LIMIT 1",
        )
        .bind(grid.to_string())
        .bind(no)
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "id")).transpose()
    }

    /// PostgreSQL: draws `n` ticket numbers in one statement for the tickets this transaction
    /// expects to open. Numbers drawn and not used are skipped (as a rolled-back insert skips
    /// one); callers ask only for what they are about to use. SQLite needs no reservation.
    pub async fn reserve_ticket_ids(&mut self, n: usize) -> Result<()> {
        if self.backend != Backend::Postgres || n == 0 {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(self.conn())
        .await?;
        let mut ids = rows
            .iter()
            .map(|r| col::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        ids.sort_unstable();
        self.held.reserved.extend(ids);
        Ok(())
    }

    async fn next_ticket_id(&mut self) -> Result<i64> {
        match self.backend {
            Backend::Postgres => {
                if let Some(id) = self.held.reserved.pop_front() {
                    return Ok(id);
                }
                let row =
                    sqlx::query("SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id")
                        .fetch_one(self.conn())
                        .await?;
                col(&row, "id")
            }
            // The transaction holds SQLite's only write turn (BEGIN IMMEDIATE): nobody else
            // can take a number between the read and the commit.
            Backend::Sqlite => {
                let next = match self.held.next_ticket {
                    Some(n) => n,
                    None => {
                        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM tickets")
                            .fetch_one(self.conn())
                            .await?;
                        col(&row, "id")?
                    }
                };
                self.held.next_ticket = Some(next + 1);
                Ok(next)
            }
        }
    }

    pub(super) async fn write_tickets(&mut self, tickets: &[(i64, i64, NewTicket)]) -> Result<()> {
        use Ty::{Int, Text};
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO tickets (id, grid, grid_no, platform, account, chat_id, thread, source_message_id, inbox_id, \
                 reporter_id, reporter_name, category, urgency, location, body, assignee, state, created_at, \
                 claim_due, resolve_due, duplicate_of, updated_at) {}",
                rows_source(
                    backend,
                    1,
                    &[
                        Int, Text, Int, Text, Text, Text, Text, Text, Int, Text, Text, Text, Text,
                        Text, Text, Text, Text, Int, Int, Int, Int, Int,
                    ],
                    count,
                )
            )
        };
        for chunk in tickets.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(id, no, t)| {
                    serde_json::json!([
                        id,
                        t.grid,
                        no,
                        t.platform,
                        t.account,
                        t.chat_id,
                        t.thread,
                        t.source_message_id,
                        t.inbox_id,
                        t.reporter_id,
                        t.reporter_name,
                        t.category.id(),
                        t.urgency.id(),
                        t.location,
                        t.body,
                        t.assignee,
                        "open",
                        t.created_at,
                        t.claim_due,
                        t.resolve_due,
                        t.duplicate_of,
                        t.created_at,
                    ])
                })
                .collect();
            bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// A ticket, locked for update on PostgreSQL so that replicas change it one at a time.
    pub async fn ticket(&mut self, id: i64) -> Result<Option<Ticket>> {
        // A ticket opened in this transaction and not written yet is exactly what it was
        // opened as (any change writes the held tickets first): answering from it keeps the
        // batch's new tickets in one insert. Its figures are already remembered (`rollup_new`).
        if let Some((_, no, t)) = self.held.tickets.iter().find(|(held, _, _)| *held == id) {
            return Ok(Some(Ticket::opened(id, *no, t)));
        }
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id = $1{lock}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.db().await?)
            .await?;
        let t = row.map(|r| ticket_from(&r)).transpose()?;
        if let Some(t) = &t {
            self.rollup_seen(t);
        }
        Ok(t)
    }

    /// Writes back every field that changes during a ticket's life.
    pub async fn update_ticket(&mut self, t: &Ticket) -> Result<()> {
        self.rollup_change(t).await?;
        sqlx::query(
            "UPDATE tickets SET assignee = $2, state = $3, first_response_at = $4, claimed_at = $5, \
             resolved_at = $6, closed_at = $7, rating = $8, duplicate_of = $9, body = $10, \
             grid = $11, updated_at = $12, claim_due = $13, resolve_due = $14, escalated = $15, \
             reopened = $16, category = $17, urgency = $18, rated_satisfied = $19, \
             rated_neutral = $20, rated_unsatisfied = $21, extensions = $22, location = $23 \
             WHERE id = $1",
        )
        .bind(t.id)
        .bind(t.assignee.clone())
        .bind(t.state.id().to_string())
        .bind(t.first_response_at)
        .bind(t.claimed_at)
        .bind(t.resolved_at)
        .bind(t.closed_at)
        .bind(t.rating.map(|r| r.id().to_string()))
        .bind(t.duplicate_of)
        .bind(t.body.clone())
        .bind(t.grid.clone())
        .bind(t.updated_at)
        .bind(t.claim_due)
        .bind(t.resolve_due)
        .bind(t.escalated.clone())
        .bind(t.reopened)
        .bind(t.category.id().to_string())
        .bind(t.urgency.id().to_string())
        .bind(t.ratings.satisfied)
        .bind(t.ratings.neutral)
        .bind(t.ratings.unsatisfied)
        .bind(t.extensions)
        .bind(t.location.clone())
        .execute(self.db().await?)
        .await?;
        Ok(())
    }

    /// Appends history lines (one statement for the lot).
    pub async fn add_events(&mut self, events: &[TicketEvent]) -> Result<()> {
        use Ty::{Int, Text};
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO ticket_events (ticket_id, at, actor, actor_name, kind, detail) {}",
                rows_source(backend, 1, &[Int, Int, Text, Text, Text, Text], count)
            )
        };
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|e| {
                    serde_json::json!([
                        e.ticket_id,
                        e.at,
                        e.actor,
                        e.actor_name,
                        e.kind.id(),
                        e.detail
                    ])
                })
                .collect();
            bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?
                .execute(self.db().await?)
                .await?;
        }
        Ok(())
    }

    pub async fn events(&mut self, ticket: i64) -> Result<Vec<TicketEvent>> {
        let rows = sqlx::query(
            "SELECT ticket_id, at, actor, actor_name, kind, detail FROM ticket_events \
             WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TicketEvent {
                    ticket_id: col(r, "ticket_id")?,
                    at: col(r, "at")?,
                    actor: col(r, "actor")?,
                    actor_name: col(r, "actor_name")?,
                    kind: parse_col(r, "kind")?,
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }

    /// The ticket a bot message (card or notice) was about.
    pub async fn ticket_of_bot_message(
        &mut self,
        platform: &str,
        chat: &str,
        message_id: &str,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT ticket_id FROM bot_messages WHERE platform = $1 AND chat_id = $2 AND message_id = $3",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(message_id.to_string())
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "ticket_id")).transpose()
    }

    /// The platform id of a ticket's card: the first message the bot sent about it in `chat`.
    pub async fn card_message(
        &mut self,
        platform: &str,
        chat: &str,
        ticket: i64,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT message_id FROM bot_messages WHERE ticket_id = $1 AND platform = $2 AND chat_id = $3 \
             ORDER BY COALESCE(outbox_id, 0), message_id LIMIT 1",
        )
        .bind(ticket)
        .bind(platform.to_string())
        .bind(chat.to_string())
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "message_id")).transpose()
    }

    /// The latest change of state of a ticket (claimed, resolved, rated, dismissed …), for
    /// telling someone who presses an old button what happened.
    pub async fn last_change(&mut self, ticket: i64) -> Result<Option<TicketEvent>> {
        let row = sqlx::query(
            "SELECT ticket_id, at, actor, actor_name, kind, detail FROM ticket_events \
             WHERE ticket_id = $1 AND kind IN ('claimed', 'resolved', 'rated', 'reopened', \
             'dismissed', 'cancelled', 'closed_unrated') ORDER BY id DESC LIMIT 1",
        )
        .bind(ticket)
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| {
            Ok(TicketEvent {
                ticket_id: col(&r, "ticket_id")?,
                at: col(&r, "at")?,
                actor: col(&r, "actor")?,
                actor_name: col(&r, "actor_name")?,
                kind: parse_col(&r, "kind")?,
                detail: col(&r, "detail")?,
            })
        })
        .transpose()
    }

    /// The ticket a resident's message opened.
    pub async fn ticket_of_source(
        &mut self,
        platform: &str,
        chat: &str,
        message_id: &str,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT id FROM tickets WHERE platform = $1 AND chat_id = $2 AND source_message_id = $3 \
             ORDER BY id LIMIT 1",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(message_id.to_string())
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "id")).transpose()
    }

    /// A reporter's recent tickets, newest first.
    pub async fn tickets_of_reporter(
        &mut self,
        platform: &str,
        reporter: &str,
        limit: i64,
    ) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE platform = $1 AND reporter_id = $2 ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(platform.to_string())
            .bind(reporter.to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// A staff member's to-do list: active tickets assigned to them, unclaimed tickets in
    /// grids where they are leader or deputy, and for a coordinator the active tickets under
    /// their grid that wait on supervision: escalated, or with an extension (延期) waiting for
    /// approval (an admin: anywhere). Oldest first.
    pub async fn todo(&mut self, person: &str, limit: i64) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE state IN ('open', 'claimed') AND (assignee = $1 OR \
             (state = 'open' AND grid IN (SELECT grid FROM grants WHERE person = $1 AND role IN ('leader', 'deputy'))) OR \
             ((escalated IS NOT NULL OR id IN (SELECT ticket_id FROM ticket_extensions WHERE state = 'pending')) AND \
              (EXISTS (SELECT 1 FROM grants WHERE person = $1 AND role = 'admin') OR \
               grid IN (SELECT g.code FROM grants r JOIN grids top ON top.code = r.grid \
                        JOIN grids g ON substr(g.path, 1, length(top.path)) = top.path \
                        WHERE r.person = $1 AND r.role = 'coordinator')))) \
             ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(person.to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// A grid's tickets waiting to be claimed, or (with `assignee`) those claimed by that person:
    /// what a bare 接单 or 办结 in the grid's group can mean. Oldest first.
    pub async fn waiting_in_grid(
        &mut self,
        grid: &str,
        assignee: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Ticket>> {
        // The repeated state test lets SQLite use the partial index of active tickets.
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE grid = $1 AND state IN ('open', 'claimed') \
             AND ((state = 'open' AND $2 = '') OR (state = 'claimed' AND assignee = $2)) \
             ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(grid.to_string())
            .bind(assignee.unwrap_or_default().to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// The facts for statistics: tickets created since `since` in the subtree under `path_prefix`.
    pub async fn ticket_facts(
        &mut self,
        path_prefix: &str,
        since: i64,
    ) -> Result<Vec<TicketFacts>> {
        let rows = sqlx::query(
            "SELECT state, category, created_at, first_response_at, resolved_at, claim_due, resolve_due, \
             rated_satisfied, rated_neutral, rated_unsatisfied, claimed_at, escalated, reopened FROM tickets \
             WHERE created_at >= $2 AND grid IN (SELECT code FROM grids WHERE substr(path, 1, length(CAST($1 AS TEXT))) = $1)",
        )
        .bind(path_prefix.to_string())
        .bind(since)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TicketFacts {
                    state: parse_col(r, "state")?,
                    category: parse_col(r, "category")?,
                    created_at: col(r, "created_at")?,
                    first_response_at: col(r, "first_response_at")?,
                    resolved_at: col(r, "resolved_at")?,
                    claim_due: col(r, "claim_due")?,
                    resolve_due: col(r, "resolve_due")?,
                    ratings: ratings_from(r)?,
                    claimed_at: col(r, "claimed_at")?,
                    escalated: col::<Option<String>>(r, "escalated")?.is_some(),
                    reopened: col(r, "reopened")?,
                })
            })
            .collect()
    }

    /// A grid's active tickets (open or claimed by anyone), oldest first: what a supervisor's
    /// words about one of the grid's jobs can mean.
    pub async fn active_in_grid(&mut self, grid: &str, limit: i64) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE grid = $1 AND state IN ('open', 'claimed') \
             ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(grid.to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// Tickets under a grid subtree still waiting to be claimed, longest waiting first. The
    /// active tickets' own index is named in full so that both backends walk it, not the table.
    pub async fn unclaimed(&mut self, path_prefix: &str, limit: i64) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE state IN ('open', 'claimed') AND state = 'open' \
             AND grid IN (SELECT code FROM grids WHERE substr(path, 1, length(CAST($1 AS TEXT))) = $1) \
             ORDER BY created_at, id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(path_prefix.to_string())
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }

    /// Active tickets under a grid subtree whose deadline has passed, oldest deadline first.
    pub async fn overdue(
        &mut self,
        path_prefix: &str,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE grid IN (SELECT code FROM grids WHERE substr(path, 1, length(CAST($1 AS TEXT))) = $1) \
             AND ((state = 'open' AND claim_due < $2) OR (state IN ('open', 'claimed') AND resolve_due < $2)) \
             ORDER BY claim_due LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(path_prefix.to_string())
            .bind(now)
            .bind(limit)
            .fetch_all(self.db().await?)
            .await?;
        rows.iter().map(ticket_from).collect()
    }
}

impl Store {
    /// The facts for statistics: tickets created since `since` in the subtree under `path_prefix`.
    pub async fn ticket_facts(&self, path_prefix: &str, since: i64) -> Result<Vec<TicketFacts>> {
        let mut tx = self.begin_report().await?;
        let facts = tx.ticket_facts(path_prefix, since).await?;
        tx.commit().await?;
        Ok(facts)
    }

    /// A ticket without locking (for reads outside the engine).
    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        let mut tx = self.begin_read().await?;
        let t = tx.ticket(id).await?;
        tx.commit().await?;
        Ok(t)
    }

    pub async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>> {
        let mut tx = self.begin_report().await?;
        let e = tx.events(id).await?;
        tx.commit().await?;
        Ok(e)
    }

    pub async fn ticket_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM tickets")
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }

    /// Tickets of one chat, newest first (the sandbox side panel, tests).
    pub async fn tickets_in_chat(
        &self,
        platform: &str,
        chat: &str,
        limit: i64,
    ) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE platform = $1 AND chat_id = $2 ORDER BY id DESC LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(platform.to_string())
            .bind(chat.to_string())
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(ticket_from).collect()
    }
}
