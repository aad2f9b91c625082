//! The coordinator console's storage: login links, sessions, the audit log, and the reads the
//! console pages need (the ledger with keyset pagination, a ticket's chat messages, the grid
//! tree). Figures come from the statistics rollups, not from here.
//!
//! Scope is always a list of grid paths (a subtree is every grid whose path starts with one of
//! them); an empty list with `all` means everything. The pages never see a ticket outside it.

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::roster::Grid;
use super::tickets::{COLUMNS, Ticket, ticket_from};
use super::{Result, Store, col, parse_col};
use crate::domain::message::Outbound;
use crate::domain::{Category, Rating, TicketState, Urgency};

/// Which grids a console user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An admin: every grid.
    All,
    /// The subtrees under these grid paths (a coordinator's nodes, a leader's grid).
    Under(Vec<String>),
}

impl Scope {
    /// Whether a grid on `path` is inside.
    pub fn covers(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Under(roots) => roots.iter().any(|r| path.starts_with(r.as_str())),
        }
    }
}

/// One ledger (台账) query: filters, order and where the page starts.
#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    /// The node whose subtree is listed (already checked to be in scope), or the whole scope.
    pub node_path: Option<String>,
    /// `[from, to)` on created_at.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    pub state: Option<TicketState>,
    /// Active and past a deadline at `now`.
    pub overdue: bool,
    /// `Some(None)`: not rated; `Some(Some(r))`: rated `r`.
    pub rating: Option<Option<Rating>>,
    /// Words in the text or place.
    pub text: Option<String>,
    pub oldest_first: bool,
    /// The last row of the previous page: `(created_at, id)`.
    pub after: Option<(i64, i64)>,
    pub limit: i64,
    pub now: i64,
    /// Which index to walk (SQLite; PostgreSQL's planner chooses from its statistics).
    pub plan: LedgerPlan,
}

/// How a ledger page is found. Every plan walks an index in the page's order or reads a
/// bounded set of rows; the console picks the cheapest from the rollups' counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LedgerPlan {
    /// Left to the database's planner.
    #[default]
    Auto,
    /// Walk `tickets_created_filters` (`tickets_created` on PostgreSQL) in the page's order,
    /// checking scope and filters on each entry until the page is full: cheap when the rows
    /// asked for are common.
    ByTime,
    /// Read the scope's grids through `tickets_grid_filters` (`tickets_grid_created` on
    /// PostgreSQL) and sort: cheap when the scope holds few tickets (a grid, a village).
    ByGrid,
    /// Walk `tickets_active_created` (open and claimed tickets only, by time): overdue lists
    /// of the whole tree or of a large share of it.
    Active,
    /// Read the scope's grids' open and claimed tickets through `tickets_active_grid` and
    /// sort: overdue lists of a village or a town, in either order.
    ActiveByGrid,
}

/// A message the bot sent (or will send) about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketMessage {
    pub at: i64,
    pub chat: String,
    pub text: String,
    pub status: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub person: String,
    pub action: String,
    pub ticket_id: Option<i64>,
    pub detail: String,
}

/// A live session, as the console's guard needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub person: String,
    pub csrf: String,
    pub last_seen: i64,
}

/// `path >= $n AND path < $n+1`: the subtree under a path ending in `/`, as a range the
/// grids' path index serves (`0` follows `/`).
fn subtree_end(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(stem) => format!("{stem}0"),
        None => format!("{path}\u{10FFFF}"),
    }
}

/// SQL and parameters being built together: every value is bound, never spliced.
struct Sql {
    text: String,
    args: Vec<Arg>,
    backend: super::Backend,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Sql {
    fn new(backend: super::Backend, text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
            backend,
        }
    }
    /// Appends `fragment`, in which each `?` is the next argument.
    fn push(&mut self, fragment: &str, args: Vec<Arg>) {
        let mut it = args.into_iter();
        for ch in fragment.chars() {
            if ch == '?' {
                self.args.extend(it.next());
                self.text
                    .push_str(&super::param(self.backend, self.args.len()));
            } else {
                self.text.push(ch);
            }
        }
    }
    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

/// `AND grid IN (grids under the scope and node)`.
fn push_scope(sql: &mut Sql, scope: &Scope, node: Option<&str>) {
    let mut roots: Vec<String> = match scope {
        Scope::All => Vec::new(),
        Scope::Under(r) => r.clone(),
    };
    // The tree's root ("/", every path starts with it) is no restriction: the scope alone
    // decides (listing 40,000 grid codes for every query would only cost time).
    if let Some(n) = node.filter(|n| *n != "/") {
        roots = vec![n.to_string()];
    } else if matches!(scope, Scope::All) {
        return;
    }
    if roots.is_empty() {
        sql.push(" AND 1 = 0", vec![]);
        return;
    }
    sql.push(" AND t.grid IN (SELECT code FROM grids WHERE ", vec![]);
    for (i, r) in roots.iter().enumerate() {
        if i > 0 {
            sql.push(" OR ", vec![]);
        }
        sql.push(
            "(path >= ? AND path < ?)",
            vec![Arg::Text(r.clone()), Arg::Text(subtree_end(r))],
        );
    }
    sql.push(")", vec![]);
}

fn push_filters(sql: &mut Sql, q: &LedgerQuery) {
    if let Some(from) = q.from {
        sql.push(" AND t.created_at >= ?", vec![Arg::Int(from)]);
    }
    if let Some(to) = q.to {
        sql.push(" AND t.created_at < ?", vec![Arg::Int(to)]);
    }
    if let Some(c) = q.category {
        sql.push(" AND t.category = ?", vec![Arg::Text(c.id().into())]);
    }
    if let Some(u) = q.urgency {
        sql.push(" AND t.urgency = ?", vec![Arg::Text(u.id().into())]);
    }
    if let Some(s) = q.state {
        sql.push(" AND t.state = ?", vec![Arg::Text(s.id().into())]);
    }
    if q.overdue {
        // The first term, implied by the rest, lets the partial index of active tickets serve.
        sql.push(
            " AND t.state IN ('open', 'claimed') AND ((t.state = 'open' AND t.claim_due < ?) OR t.resolve_due < ?)",
            vec![Arg::Int(q.now), Arg::Int(q.now)],
        );
    } else if matches!(q.state, Some(TicketState::Open | TicketState::Claimed)) {
        sql.push(" AND t.state IN ('open', 'claimed')", vec![]);
    }
    match &q.rating {
        Some(None) => sql.push(" AND t.rating IS NULL", vec![]),
        Some(Some(r)) => sql.push(" AND t.rating = ?", vec![Arg::Text(r.id().into())]),
        None => {}
    }
    if let Some(text) = q.text.as_ref().filter(|t| !t.trim().is_empty()) {
        // Matched literally: LIKE's wildcards in the words are escaped.
        let escaped = text
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        sql.push(
            " AND (t.body LIKE ? ESCAPE '\\' OR t.location LIKE ? ESCAPE '\\')",
            vec![Arg::Text(pattern.clone()), Arg::Text(pattern)],
        );
    }
}

impl Store {
    // ---- links and sessions ------------------------------------------------------------

    /// Stores a new login link's digest.
    pub async fn console_link_create(
        &self,
        token_hash: &str,
        person: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query(
            "INSERT INTO console_links (token_hash, person, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_string())
        .bind(person.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(turn.conn())
        .await?;
        Ok(())
    }

    /// Uses up a link: the person it was for, when it was unused and unexpired at `now`. A
    /// second use of the same link finds nothing.
    pub async fn console_link_redeem(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        let mut turn = self.write_turn().await?;
        let row = sqlx::query(
            "UPDATE console_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
             AND expires_at > $2 RETURNING person",
        )
        .bind(token_hash.to_string())
        .bind(now)
        .fetch_optional(turn.conn())
        .await?;
        row.map(|r| col(&r, "person")).transpose()
    }

    pub async fn console_session_create(
        &self,
        id_hash: &str,
        person: &str,
        csrf: &str,
        now: i64,
    ) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, person, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id_hash.to_string())
        .bind(person.to_string())
        .bind(csrf.to_string())
        .bind(now)
        .execute(turn.conn())
        .await?;
        Ok(())
    }

    /// A session that has not ended and was seen after `idle_since`.
    pub async fn console_session(&self, id_hash: &str, idle_since: i64) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT person, csrf, last_seen FROM console_sessions WHERE id_hash = $1 \
             AND ended_at IS NULL AND last_seen > $2",
        )
        .bind(id_hash.to_string())
        .bind(idle_since)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Session {
                person: col(&r, "person")?,
                csrf: col(&r, "csrf")?,
                last_seen: col(&r, "last_seen")?,
            })
        })
        .transpose()
    }

    /// Marks a session as seen (it stays alive while used).
    pub async fn console_session_touch(&self, id_hash: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("UPDATE console_sessions SET last_seen = $2 WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    pub async fn console_session_end(&self, id_hash: &str, now: i64) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("UPDATE console_sessions SET ended_at = $2 WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    /// The console's signing secret, created on first use and shared by every replica.
    pub async fn console_secret(&self, fresh: &str, now: i64) -> Result<String> {
        const KEY: &str = "console.secret";
        if let Some(s) = self.cursor(KEY).await? {
            return Ok(s);
        }
        {
            let mut turn = self.write_turn().await?;
            sqlx::query(
                "INSERT INTO cursors (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            )
            .bind(KEY.to_string())
            .bind(fresh.to_string())
            .bind(now)
            .execute(turn.conn())
            .await?;
        }
        Ok(self.cursor(KEY).await?.unwrap_or_else(|| fresh.to_string()))
    }

    pub async fn console_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query(
            "INSERT INTO console_audit (at, person, action, ticket_id, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.at)
        .bind(entry.person.clone())
        .bind(entry.action.clone())
        .bind(entry.ticket_id)
        .bind(entry.detail.clone())
        .execute(turn.conn())
        .await?;
        Ok(())
    }

    pub async fn console_audit_of(&self, person: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, person, action, ticket_id, detail FROM console_audit WHERE person = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(person.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: col(r, "at")?,
                    person: col(r, "person")?,
                    action: col(r, "action")?,
                    ticket_id: col(r, "ticket_id")?,
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }

    // ---- who ----------------------------------------------------------------------------

    /// A person's name and grants (role, grid code, grid path; admins have no grid).
    pub async fn console_person(
        &self,
        code: &str,
    ) -> Result<Option<(String, Vec<(crate::domain::Role, Option<Grid>)>)>> {
        let row = sqlx::query("SELECT name FROM people WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let name: String = col(&row, "name")?;
        let rows = sqlx::query(
            "SELECT g.role, r.code, r.name, r.parent, r.level, r.path FROM grants g \
             LEFT JOIN grids r ON r.code = g.grid WHERE g.person = $1 ORDER BY g.role, g.grid",
        )
        .bind(code.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut grants = Vec::new();
        for r in &rows {
            let role: crate::domain::Role = parse_col(r, "role")?;
            let grid = match col::<Option<String>>(r, "code")? {
                Some(code) => Some(Grid {
                    code,
                    name: col(r, "name")?,
                    parent: col(r, "parent")?,
                    level: col(r, "level")?,
                    path: col(r, "path")?,
                }),
                None => None,
            };
            grants.push((role, grid));
        }
        Ok(Some((name, grants)))
    }

    /// The person behind a platform account.
    pub async fn console_person_of(&self, platform: &str, user_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT person FROM identities WHERE platform = $1 AND user_id = $2")
            .bind(platform.to_string())
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| col(&r, "person")).transpose()
    }

    /// People's names by code.
    pub async fn console_names(
        &self,
        codes: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut conn = self.reports().acquire().await?;
        let rows = super::rows_with_codes(
            &mut conn,
            self.backend(),
            "SELECT code, name FROM people",
            codes,
        )
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "code")?, col(r, "name")?)))
            .collect()
    }

    // ---- grids --------------------------------------------------------------------------

    /// Every grid in the scope, in path order (a parent before its children).
    pub async fn console_grids(&self, scope: &Scope) -> Result<Vec<Grid>> {
        let mut sql = Sql::new(
            self.backend(),
            "SELECT code, name, parent, level, path FROM grids t WHERE 1 = 1",
        );
        if let Scope::Under(roots) = scope {
            if roots.is_empty() {
                return Ok(Vec::new());
            }
            sql.push(" AND (", vec![]);
            for (i, r) in roots.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ", vec![]);
                }
                sql.push(
                    "(path >= ? AND path < ?)",
                    vec![Arg::Text(r.clone()), Arg::Text(subtree_end(r))],
                );
            }
            sql.push(")", vec![]);
        }
        sql.push(" ORDER BY path LIMIT 100000", vec![]);
        let rows = sql.query().fetch_all(self.reports()).await?;
        rows.iter().map(grid_from).collect()
    }

    /// The grids directly under `parent` (the tree's top grids for none), by code.
    pub async fn console_children(&self, parent: Option<&str>) -> Result<Vec<Grid>> {
        let rows = match parent {
            Some(p) => {
                sqlx::query(
                    "SELECT code, name, parent, level, path FROM grids WHERE parent = $1 ORDER BY code LIMIT 5000",
                )
                .bind(p.to_string())
                .fetch_all(self.reports())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT code, name, parent, level, path FROM grids WHERE parent IS NULL ORDER BY code LIMIT 5000",
                )
                .fetch_all(self.reports())
                .await?
            }
        };
        rows.iter().map(grid_from).collect()
    }

    /// Grids by code (names and paths for a page of tickets).
    pub async fn console_grids_by_code(
        &self,
        codes: &[String],
    ) -> Result<std::collections::HashMap<String, Grid>> {
        let mut conn = self.reports().acquire().await?;
        let rows = super::rows_with_codes(
            &mut conn,
            self.backend(),
            "SELECT code, name, parent, level, path FROM grids",
            codes,
        )
        .await?;
        rows.iter()
            .map(|r| grid_from(r).map(|g| (g.code.clone(), g)))
            .collect()
    }

    // ---- tickets ------------------------------------------------------------------------

    /// One page of the ledger in `scope`: at most `q.limit` tickets after `q.after`.
    pub async fn console_ledger(&self, scope: &Scope, q: &LedgerQuery) -> Result<Vec<Ticket>> {
        let cols = COLUMNS
            .split(", ")
            .map(|c| format!("p.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let active = q.overdue || matches!(q.state, Some(TicketState::Open | TicketState::Claimed));
        // Grid by grid needs grids to go through.
        let scoped =
            q.node_path.as_deref().is_some_and(|n| n != "/") || matches!(scope, Scope::Under(_));
        let index = match (self.backend(), q.plan) {
            (super::Backend::Sqlite, LedgerPlan::ByTime) => " INDEXED BY tickets_created_filters",
            (super::Backend::Sqlite, LedgerPlan::ByGrid) if scoped => {
                " INDEXED BY tickets_grid_filters"
            }
            (super::Backend::Sqlite, LedgerPlan::Active) if active => {
                " INDEXED BY tickets_active_created"
            }
            (super::Backend::Sqlite, LedgerPlan::ActiveByGrid) if active && scoped => {
                " INDEXED BY tickets_active_grid"
            }
            _ => "",
        };
        // The page's ids first, from the index alone where the filters allow (both databases'
        // walk indexes carry the filtered columns), then only those rows: a small scope's
        // tickets are sorted as index entries, not as whole rows read from all over the table.
        let mut sql = Sql::new(
            self.backend(),
            &format!(
                "SELECT {cols} FROM tickets p WHERE p.id IN (SELECT t.id FROM tickets t{index} WHERE 1 = 1"
            ),
        );
        push_scope(&mut sql, scope, q.node_path.as_deref());
        push_filters(&mut sql, q);
        if let Some((at, id)) = q.after {
            let cmp = if q.oldest_first { ">" } else { "<" };
            // A row value, so that both databases start the index walk at the position
            // instead of filtering every row before it.
            sql.push(
                &format!(" AND (t.created_at, t.id) {cmp} (?, ?)"),
                vec![Arg::Int(at), Arg::Int(id)],
            );
        }
        let dir = if q.oldest_first { "ASC" } else { "DESC" };
        sql.push(
            &format!(
                " ORDER BY t.created_at {dir}, t.id {dir} LIMIT ?) ORDER BY p.created_at {dir}, p.id {dir}"
            ),
            vec![Arg::Int(q.limit)],
        );
        let rows = sql.query().fetch_all(self.reports()).await?;
        rows.iter().map(ticket_from).collect()
    }

    /// A ticket if it is in `scope` (otherwise none, as if it did not exist).
    pub async fn console_ticket(&self, scope: &Scope, id: i64) -> Result<Option<Ticket>> {
        let mut sql = Sql::new(
            self.backend(),
            &format!("SELECT {COLUMNS} FROM tickets t WHERE 1 = 1"),
        );
        sql.push(" AND t.id = ?", vec![Arg::Int(id)]);
        push_scope(&mut sql, scope, None);
        let row = sql.query().fetch_optional(self.reports()).await?;
        row.map(|r| ticket_from(&r)).transpose()
    }

    /// The ticket numbered `no` in grid `grid` (the code as written, else in capitals), if it
    /// is in `scope`. One look-up in the (grid, grid_no) index.
    pub async fn console_ticket_by_number(
        &self,
        scope: &Scope,
        grid: &str,
        no: i64,
    ) -> Result<Option<Ticket>> {
        let mut codes = vec![grid.to_string()];
        if grid.to_uppercase() != grid {
            codes.push(grid.to_uppercase());
        }
        for code in codes {
            let mut sql = Sql::new(
                self.backend(),
                &format!("SELECT {COLUMNS} FROM tickets t WHERE 1 = 1"),
            );
            sql.push(
                " AND t.grid = ? AND t.grid_no = ?",
                vec![Arg::Text(code), Arg::Int(no)],
            );
            push_scope(&mut sql, scope, None);
            if let Some(row) = sql.query().fetch_optional(self.reports()).await? {
                return ticket_from(&row).map(Some);
            }
        }
        Ok(None)
    }

    /// The messages the bot wrote about a ticket, oldest first.
    pub async fn console_ticket_messages(&self, ticket: i64) -> Result<Vec<TicketMessage>> {
        let rows = sqlx::query(
            "SELECT created_at, chat, payload, status FROM outbox WHERE ticket_id = $1 ORDER BY id LIMIT 200",
        )
        .bind(ticket)
        .fetch_all(self.reports())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let payload: String = col(r, "payload")?;
            let text = match serde_json::from_str::<Outbound>(&payload) {
                Ok(Outbound::Send(m)) => m.text,
                Ok(Outbound::Edit { text, .. }) => text,
                Ok(Outbound::AnswerButton { .. }) | Err(_) => continue,
            };
            out.push(TicketMessage {
                at: col(r, "created_at")?,
                chat: col::<Option<String>>(r, "chat")?.unwrap_or_default(),
                text,
                status: col(r, "status")?,
            });
        }
        Ok(out)
    }
}

fn grid_from(r: &AnyRow) -> Result<Grid> {
    Ok(Grid {
        code: col(r, "code")?,
        name: col(r, "name")?,
        parent: col(r, "parent")?,
        level: col(r, "level")?,
        path: col(r, "path")?,
    })
}

impl super::Tx {
    /// The console's signing secret, when the console has made one.
    pub async fn console_secret(&mut self) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM cursors WHERE key = 'console.secret'")
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| col(&r, "value")).transpose()
    }

    /// Stores a new login link's digest (in the engine's transaction, for `/console`).
    pub async fn console_link_create(
        &mut self,
        token_hash: &str,
        person: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO console_links (token_hash, person, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_string())
        .bind(person.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A person's grants by person code (the console knows people, not platform accounts).
    pub async fn console_grants(&mut self, person: &str) -> Result<Vec<crate::domain::Grant>> {
        let rows = sqlx::query(
            "SELECT g.role, r.path FROM grants g LEFT JOIN grids r ON r.code = g.grid WHERE g.person = $1",
        )
        .bind(person.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::domain::Grant {
                    role: parse_col(r, "role")?,
                    grid_path: col(r, "path")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_is_a_range_of_paths() {
        assert_eq!(subtree_end("/QS/QS-DF/"), "/QS/QS-DF0");
        let end = subtree_end("/QS/");
        for inside in ["/QS/", "/QS/QS-DF/", "/QS/QS-XL/QS-XL-01/"] {
            assert!(inside >= "/QS/" && inside < end.as_str(), "{inside}");
        }
        for outside in ["/QS0/", "/QT/", "/Q/", "/QSX/"] {
            assert!(!(outside >= "/QS/" && outside < end.as_str()), "{outside}");
        }
    }

    #[test]
    fn scope_covers_subtrees_only() {
        let s = Scope::Under(vec!["/T1/T1-V1/".into()]);
        assert!(s.covers("/T1/T1-V1/T1-V1-G1/"));
        assert!(!s.covers("/T1/T1-V2/T1-V2-G1/"));
        assert!(Scope::All.covers("/anything/"));
    }
}
