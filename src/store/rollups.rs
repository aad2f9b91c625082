//! Statistics rollups (tables `rollup_days`, `rollup_times`, `rollup_meta`; migration 0011;
//! per leader `rollup_leaders`, migration 0022).
//!
//! Every ticket change made through a [`Tx`] (a new ticket, [`Tx::update_ticket`]) adds the
//! difference between the ticket's figures after and before ([`crate::domain::rollup`]) to the
//! transaction's pending deltas; the commit writes them, expanded to every node above the
//! ticket's grid, with one multi-row upsert per table. Reads ([`Store::rollup_figures`],
//! [`Store::rollup_children`]) run in read transactions of their own, beside the writer, and
//! read one node's rows for the period's days: the same cost at any number of tickets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures_util::TryStreamExt;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, rows_source};
use super::tickets::{NewTicket, Ticket};
use super::{Result, Store, Tx, col, parse_col};
use crate::domain::rollup::{self, COUNTERS, Contribution, Counts, Facts, LEADER_COUNTERS};
use crate::domain::{Category, Urgency};
use serde_json::Value;

/// Grid code → the nodes its figures count towards (shared by a store's transactions; cleared
/// when the rollups are rebuilt, [`Store::rebuild_rollups`]).
pub(crate) type TreeMemo = Arc<std::sync::Mutex<HashMap<String, Arc<[String]>>>>;

type DayKey = (String, i32, Category, Urgency);
type TimeKey = (String, i32, &'static str, u8);
/// `(node or grid, day, person, response bucket or -1)`.
type LeaderKey = (String, i32, String, i16);
type LeaderCounts = [i64; LEADER_COUNTERS.len()];

/// Figure changes not yet written, by grid (expanded into nodes when written).
#[derive(Default)]
pub(crate) struct Deltas {
    days: HashMap<DayKey, Counts>,
    times: HashMap<TimeKey, i64>,
    leaders: HashMap<LeaderKey, LeaderCounts>,
    /// The figures of tickets this transaction has read or written, as they now stand, so an
    /// update knows what to subtract without reading the row again.
    seen: HashMap<i64, Facts>,
}

impl Deltas {
    fn apply(&mut self, c: &Contribution, sign: i64) {
        let key = (c.grid.clone(), c.day, c.category, c.urgency);
        rollup::add(
            self.days.entry(key).or_insert([0; COUNTERS.len()]),
            &c.counts,
            sign,
        );
        for (kind, bucket) in [
            (rollup::RESPONSE, c.response),
            (rollup::RESOLUTION, c.resolution),
        ] {
            if let Some(b) = bucket {
                *self
                    .times
                    .entry((c.grid.clone(), c.day, kind, b))
                    .or_default() += sign;
            }
        }
        if let Some(l) = &c.leader {
            let entry = self
                .leaders
                .entry((c.grid.clone(), c.day, l.person.clone(), l.bucket))
                .or_default();
            for (n, d) in entry.iter_mut().zip(l.counts) {
                *n += sign * d;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.days.is_empty() && self.times.is_empty() && self.leaders.is_empty()
    }
}

/// The figures a stored ticket counts with.
pub fn facts_of(t: &Ticket) -> Facts {
    Facts {
        grid: t.grid.clone(),
        state: t.state,
        category: t.category,
        urgency: t.urgency,
        created_at: t.created_at,
        updated_at: t.updated_at,
        first_response_at: t.first_response_at,
        claimed_at: t.claimed_at,
        resolved_at: t.resolved_at,
        claim_due: t.claim_due,
        resolve_due: t.resolve_due,
        ratings: t.ratings,
        escalated: t.escalated.is_some(),
        reopened: t.reopened,
        extensions: t.extensions,
        assignee: t.assignee.clone(),
    }
}

/// The figures of a ticket as it is first written.
fn facts_of_new(t: &NewTicket) -> Facts {
    Facts {
        grid: t.grid.clone(),
        state: crate::domain::TicketState::Open,
        category: t.category,
        urgency: t.urgency,
        created_at: t.created_at,
        updated_at: t.created_at,
        first_response_at: None,
        claimed_at: None,
        resolved_at: None,
        claim_due: t.claim_due,
        resolve_due: t.resolve_due,
        ratings: crate::domain::Ratings::default(),
        escalated: false,
        reopened: 0,
        extensions: 0,
        assignee: t.assignee.clone(),
    }
}

const FACT_COLUMNS: &str = "id, grid, state, category, urgency, created_at, updated_at, \
    first_response_at, claimed_at, resolved_at, claim_due, resolve_due, rated_satisfied, \
    rated_neutral, rated_unsatisfied, escalated, reopened, extensions, assignee";

fn facts_from(row: &AnyRow) -> Result<Facts> {
    Ok(Facts {
        grid: col(row, "grid")?,
        state: parse_col(row, "state")?,
        category: parse_col(row, "category")?,
        urgency: parse_col(row, "urgency")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        first_response_at: col(row, "first_response_at")?,
        claimed_at: col(row, "claimed_at")?,
        resolved_at: col(row, "resolved_at")?,
        claim_due: col(row, "claim_due")?,
        resolve_due: col(row, "resolve_due")?,
        ratings: super::tickets::ratings_from(row)?,
        escalated: col::<Option<String>>(row, "escalated")?.is_some(),
        reopened: col(row, "reopened")?,
        extensions: col(row, "extensions")?,
        assignee: col(row, "assignee")?,
    })
}

impl Tx {
    /// A new ticket's figures (called as the ticket is inserted).
    pub(super) fn rollup_new(&mut self, id: i64, t: &NewTicket) {
        let f = facts_of_new(t);
        let c = rollup::contribution(&f, self.zone);
        self.held.rollup.apply(&c, 1);
        self.held.rollup.seen.insert(id, f);
    }

    /// Adds a whole ticket's figures as it stands (a ticket loaded in bulk, `store::bulk`).
    pub(super) fn rollup_add(&mut self, t: &Ticket) {
        let c = rollup::contribution(&facts_of(t), self.zone);
        self.held.rollup.apply(&c, 1);
    }

    /// Remembers a ticket read in this transaction, for a later update's delta.
    pub(super) fn rollup_seen(&mut self, t: &Ticket) {
        self.held.rollup.seen.insert(t.id, facts_of(t));
    }

    /// A ticket's figures change from what they were to what `t` says.
    pub(super) async fn rollup_change(&mut self, t: &Ticket) -> Result<()> {
        let before = match self.held.rollup.seen.remove(&t.id) {
            Some(f) => Some(f),
            None => {
                let sql = format!("SELECT {FACT_COLUMNS} FROM tickets WHERE id = $1");
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(t.id)
                    .fetch_optional(self.db().await?)
                    .await?;
                row.map(|r| facts_from(&r)).transpose()?
            }
        };
        let after = facts_of(t);
        if before.as_ref() == Some(&after) {
            self.held.rollup.seen.insert(t.id, after);
            return Ok(());
        }
        if let Some(b) = &before {
            let c = rollup::contribution(b, self.zone);
            self.held.rollup.apply(&c, -1);
        }
        let c = rollup::contribution(&after, self.zone);
        self.held.rollup.apply(&c, 1);
        self.held.rollup.seen.insert(t.id, after);
        Ok(())
    }

    /// Writes the pending deltas (at commit).
    pub(super) async fn write_rollups(&mut self) -> Result<()> {
        if self.held.rollup.is_empty() {
            return Ok(());
        }
        let days = std::mem::take(&mut self.held.rollup.days);
        let times = std::mem::take(&mut self.held.rollup.times);
        let leaders = std::mem::take(&mut self.held.rollup.leaders);
        let grids: HashSet<&str> = days
            .keys()
            .map(|k| k.0.as_str())
            .chain(times.keys().map(|k| k.0.as_str()))
            .chain(leaders.keys().map(|k| k.0.as_str()))
            .collect();
        let nodes = self.nodes_of_grids(grids).await?;
        let mut by_node: BTreeMap<DayKey, Counts> = BTreeMap::new();
        for ((grid, day, cat, urg), counts) in days {
            if counts.iter().all(|n| *n == 0) {
                continue;
            }
            for node in nodes.get(&grid).map_or(&[][..], |n| &n[..]) {
                rollup::add(
                    by_node
                        .entry((node.clone(), day, cat, urg))
                        .or_insert([0; COUNTERS.len()]),
                    &counts,
                    1,
                );
            }
        }
        let mut times_by_node: BTreeMap<TimeKey, i64> = BTreeMap::new();
        for ((grid, day, kind, bucket), n) in times {
            if n == 0 {
                continue;
            }
            for node in nodes.get(&grid).map_or(&[][..], |n| &n[..]) {
                *times_by_node
                    .entry((node.clone(), day, kind, bucket))
                    .or_default() += n;
            }
        }
        let mut leaders_by_node: BTreeMap<LeaderKey, LeaderCounts> = BTreeMap::new();
        for ((grid, day, person, bucket), counts) in leaders {
            if counts.iter().all(|n| *n == 0) {
                continue;
            }
            for node in nodes.get(&grid).map_or(&[][..], |n| &n[..]) {
                let entry = leaders_by_node
                    .entry((node.clone(), day, person.clone(), bucket))
                    .or_default();
                for (n, d) in entry.iter_mut().zip(counts) {
                    *n += d;
                }
            }
        }
        let days: Vec<_> = by_node.into_iter().collect();
        let times: Vec<_> = times_by_node.into_iter().collect();
        let leaders: Vec<_> = leaders_by_node.into_iter().collect();
        write_all(&mut self.inner, self.backend, &days, &times).await?;
        upsert_leaders(&mut self.inner, self.backend, &leaders).await?;
        Ok(())
    }

    /// The nodes each grid's figures count towards, from the shared memo or the grid table.
    async fn nodes_of_grids(
        &mut self,
        grids: HashSet<&str>,
    ) -> Result<HashMap<String, Arc<[String]>>> {
        let mut out = HashMap::with_capacity(grids.len());
        let mut missing = Vec::new();
        {
            let memo = self.tree.lock().unwrap_or_else(|e| e.into_inner());
            for g in grids {
                match memo.get(g) {
                    Some(n) => {
                        out.insert(g.to_string(), n.clone());
                    }
                    None => missing.push(g.to_string()),
                }
            }
        }
        if !missing.is_empty() {
            let rows = super::rows_with_codes(
                &mut self.inner,
                self.backend,
                "SELECT code, path FROM grids",
                &missing,
            )
            .await?;
            let mut memo = self.tree.lock().unwrap_or_else(|e| e.into_inner());
            for r in rows {
                let code: String = col(&r, "code")?;
                let path: String = col(&r, "path")?;
                let nodes: Arc<[String]> = rollup::nodes_of(&path).into();
                memo.insert(code.clone(), nodes.clone());
                out.insert(code, nodes);
            }
        }
        // A grid no longer in the tree still counts towards itself and the whole tree.
        for g in missing {
            out.entry(g.clone())
                .or_insert_with(|| vec!["*".to_string(), g].into());
        }
        Ok(out)
    }
}

/// Adds day rows and their months' rows to the rollups: `rollup_days` and `rollup_times`,
/// and the same summed per month to `rollup_months` and `rollup_time_months` (migration 0026).
async fn write_all(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    days: &[(DayKey, Counts)],
    times: &[(TimeKey, i64)],
) -> Result<()> {
    upsert_days(conn, backend, Unit::Day, days).await?;
    upsert_times(conn, backend, Unit::Day, times).await?;
    let (months, time_months) = by_month(days, times);
    upsert_days(conn, backend, Unit::Month, &months).await?;
    upsert_times(conn, backend, Unit::Month, &time_months).await
}

/// Counter rows and histogram rows, keyed by node and day (or month).
type Rows = (Vec<(DayKey, Counts)>, Vec<(TimeKey, i64)>);

/// Day rows summed per month (the key's day becomes its yyyymm).
fn by_month(days: &[(DayKey, Counts)], times: &[(TimeKey, i64)]) -> Rows {
    let mut months: BTreeMap<DayKey, Counts> = BTreeMap::new();
    for ((node, day, cat, urg), k) in days {
        rollup::add(
            months
                .entry((node.clone(), day / 100, *cat, *urg))
                .or_insert([0; COUNTERS.len()]),
            k,
            1,
        );
    }
    let mut time_months: BTreeMap<TimeKey, i64> = BTreeMap::new();
    for ((node, day, kind, bucket), n) in times {
        *time_months
            .entry((node.clone(), day / 100, kind, *bucket))
            .or_default() += n;
    }
    (
        months.into_iter().collect(),
        time_months.into_iter().collect(),
    )
}

/// Which rollup tables: per day (`rollup_days`, `rollup_times`, column `day`, yyyymmdd) or per
/// month (`rollup_months`, `rollup_time_months`, column `month`, yyyymm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Month,
}

impl Unit {
    fn counts(self) -> &'static str {
        match self {
            Unit::Day => "rollup_days",
            Unit::Month => "rollup_months",
        }
    }
    fn times(self) -> &'static str {
        match self {
            Unit::Day => "rollup_times",
            Unit::Month => "rollup_time_months",
        }
    }
    fn column(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Month => "month",
        }
    }
}

/// Adds counters to `rollup_days` (or `rollup_months`) rows.
async fn upsert_days(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    unit: Unit,
    rows: &[(DayKey, Counts)],
) -> Result<()> {
    use Ty::{Int, Text};
    let key = [
        ("node", Text),
        (unit.column(), Int),
        ("category", Text),
        ("urgency", Text),
    ];
    let rows: Vec<_> = rows
        .iter()
        .map(|((node, day, cat, urg), counts)| {
            let key = [
                node.as_str().into(),
                (*day).into(),
                cat.id().into(),
                urg.id().into(),
            ];
            counter_row(key, counts)
        })
        .collect();
    add_counters(conn, backend, unit.counts(), key, &COUNTERS, &rows).await
}

/// Adds counters to `rollup_leaders` rows.
async fn upsert_leaders(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    rows: &[(LeaderKey, LeaderCounts)],
) -> Result<()> {
    use Ty::{Int, Text};
    let key = [
        ("node", Text),
        ("day", Int),
        ("person", Text),
        ("bucket", Int),
    ];
    let rows: Vec<_> = rows
        .iter()
        .map(|((node, day, person, bucket), counts)| {
            let key = [
                node.as_str().into(),
                (*day).into(),
                person.as_str().into(),
                (*bucket).into(),
            ];
            counter_row(key, counts)
        })
        .collect();
    add_counters(
        conn,
        backend,
        "rollup_leaders",
        key,
        &LEADER_COUNTERS,
        &rows,
    )
    .await
}

/// Adds histogram counts to `rollup_times` (or `rollup_time_months`) rows.
async fn upsert_times(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    unit: Unit,
    rows: &[(TimeKey, i64)],
) -> Result<()> {
    use Ty::{Int, Text};
    let key = [
        ("node", Text),
        (unit.column(), Int),
        ("kind", Text),
        ("bucket", Int),
    ];
    let rows: Vec<_> = rows
        .iter()
        .map(|((node, day, kind, bucket), n)| {
            let key = [
                node.as_str().into(),
                (*day).into(),
                (*kind).into(),
                (*bucket).into(),
            ];
            counter_row(key, &[*n])
        })
        .collect();
    add_counters(conn, backend, unit.times(), key, &["n"], &rows).await
}

/// A row for [`add_counters`]: its key's four values, then its counters.
fn counter_row(key: [Value; 4], counts: &[i64]) -> Value {
    let mut row = key.to_vec();
    row.extend(counts.iter().map(|n| Value::from(*n)));
    Value::Array(row)
}

/// Adds `rows` (from [`counter_row`]) to `table`, whose primary key is the four `key` columns:
/// a new key is inserted, an existing one has each of its `counters` increased (one statement
/// a chunk; see `rows`).
async fn add_counters(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    table: &str,
    key: [(&str, Ty); 4],
    counters: &[&str],
    rows: &[Value],
) -> Result<()> {
    let key_cols = key.map(|(c, _)| c).join(", ");
    let cols = counters.join(", ");
    let set = counters
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut types = key.map(|(_, t)| t).to_vec();
    types.extend(std::iter::repeat_n(Ty::Int, counters.len()));
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO {table} ({key_cols}, {cols}) {} \
             ON CONFLICT ({key_cols}) DO UPDATE SET {set}",
            rows_source(backend, 1, &types, chunk.len())
        );
        bind_rows(backend, sqlx::query(AssertSqlSafe(sql)), chunk)?
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// One assignee's figures under a node over a range of days (统计明细's per-leader lines).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LeaderFigures {
    /// Person code and name.
    pub person: String,
    pub name: String,
    /// Tickets assigned to them, of which claimed, of which by the claim deadline.
    pub tickets: i64,
    pub claimed: i64,
    pub claimed_in_time: i64,
    /// Their tickets' first response times: `(bucket, tickets)`.
    pub response: Vec<(u8, i64)>,
}

impl LeaderFigures {
    /// 及时签收率: claimed by the deadline / claimed.
    pub fn on_time_claim_rate(&self) -> Option<f64> {
        (self.claimed > 0).then(|| self.claimed_in_time as f64 / self.claimed as f64)
    }

    /// The median first response time (ms), from the buckets.
    pub fn median_response(&self) -> Option<i64> {
        rollup::percentile(&self.response, 50)
    }
}

async fn leaders_on(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    node: &str,
    from: i32,
    to: i32,
) -> Result<Vec<LeaderFigures>> {
    let rows = sqlx::query(
        "SELECT person, bucket, CAST(SUM(tickets) AS BIGINT) AS tickets, \
         CAST(SUM(claimed) AS BIGINT) AS claimed, \
         CAST(SUM(claimed_in_time) AS BIGINT) AS claimed_in_time \
         FROM rollup_leaders WHERE node = $1 AND day >= $2 AND day <= $3 \
         GROUP BY person, bucket ORDER BY person, bucket",
    )
    .bind(node.to_string())
    .bind(i64::from(from))
    .bind(i64::from(to))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<LeaderFigures> = Vec::new();
    for r in &rows {
        let person: String = col(r, "person")?;
        let bucket: i64 = col(r, "bucket")?;
        let tickets = col::<Option<i64>>(r, "tickets")?.unwrap_or(0);
        if out.last().is_none_or(|l| l.person != person) {
            out.push(LeaderFigures {
                person: person.clone(),
                name: person.clone(),
                tickets: 0,
                claimed: 0,
                claimed_in_time: 0,
                response: Vec::new(),
            });
        }
        let Some(l) = out.last_mut() else { continue };
        l.tickets += tickets;
        l.claimed += col::<Option<i64>>(r, "claimed")?.unwrap_or(0);
        l.claimed_in_time += col::<Option<i64>>(r, "claimed_in_time")?.unwrap_or(0);
        if let Ok(b) = u8::try_from(bucket)
            && tickets > 0
        {
            l.response.push((b, tickets));
        }
    }
    out.retain(|l| l.tickets != 0);
    let codes: Vec<String> = out.iter().map(|l| l.person.clone()).collect();
    let names = super::rows_with_codes(conn, backend, "SELECT code, name FROM people", &codes)
        .await?
        .iter()
        .map(|r| Ok((col::<String>(r, "code")?, col::<String>(r, "name")?)))
        .collect::<Result<HashMap<_, _>>>()?;
    for l in &mut out {
        if let Some(name) = names.get(&l.person) {
            l.name = name.clone();
        }
    }
    Ok(out)
}

/// The figures of one node over a range of days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub counts: Counts,
    pub by_category: BTreeMap<Category, Counts>,
    /// `(bucket, tickets)` of the time to first response.
    pub response: Vec<(u8, i64)>,
    /// `(bucket, tickets)` of the time to resolution.
    pub resolution: Vec<(u8, i64)>,
}

/// A difference `gridline stats --verify` found: stored against recounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `node day category urgency` or `node day kind bucket`.
    pub key: String,
    pub figure: String,
    pub stored: i64,
    pub counted: i64,
}

fn sums() -> String {
    COUNTERS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts_from(row: &AnyRow) -> Result<Counts> {
    let mut k = [0; COUNTERS.len()];
    for (i, c) in COUNTERS.iter().enumerate() {
        k[i] = col::<Option<i64>>(row, c)?.unwrap_or(0);
    }
    Ok(k)
}

/// Aggregates all tickets' contributions, expanded to nodes.
type Recount = (
    BTreeMap<DayKey, Counts>,
    BTreeMap<TimeKey, i64>,
    BTreeMap<LeaderKey, LeaderCounts>,
);

impl Store {
    /// Makes the rollups match this zone: when they were built for another (or never, as
    /// after migration 0011 on a database with tickets), rebuilds them from the tickets.
    /// Called at start and by the CLI. Returns whether it rebuilt.
    pub async fn ensure_rollups(&self, zone: chrono_tz::Tz) -> Result<bool> {
        self.set_zone(zone);
        let row = sqlx::query("SELECT value FROM rollup_meta WHERE key = 'built_for'")
            .fetch_optional(self.pool())
            .await?;
        let built: Option<String> = row.map(|r| col(&r, "value")).transpose()?;
        if built.as_deref() == Some(zone.name()) {
            return Ok(false);
        }
        self.rebuild_rollups().await?;
        Ok(true)
    }

    /// Rebuilds the rollups from the tickets, in the store's zone: after a zone change, and
    /// after an import that moved grids to other parents (their figures now count towards
    /// other ancestors). Holds the write turn while it runs (seconds per million tickets).
    pub async fn rebuild_rollups(&self) -> Result<()> {
        let zone = self.zone();
        self.tree.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let started = std::time::Instant::now();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM rollup_days")
            .execute(tx.conn())
            .await?;
        for table in [
            "rollup_times",
            "rollup_months",
            "rollup_time_months",
            "rollup_leaders",
        ] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(tx.conn())
                .await?;
        }
        let (days, times, leaders) = recount(&mut tx, zone).await?;
        let days: Vec<_> = days.into_iter().collect();
        let times: Vec<_> = times.into_iter().collect();
        let leaders: Vec<_> = leaders.into_iter().collect();
        write_all(tx.conn(), self.backend(), &days, &times).await?;
        upsert_leaders(tx.conn(), self.backend(), &leaders).await?;
        sqlx::query(
            "INSERT INTO rollup_meta (key, value) VALUES ('built_for', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(zone.name().to_string())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        self.tree.lock().unwrap_or_else(|e| e.into_inner()).clear();
        tracing::info!(
            rows = days.len(),
            ms = started.elapsed().as_millis() as u64,
            "statistics rollups rebuilt from the tickets"
        );
        Ok(())
    }

    /// Recounts every figure from the tickets and lists where the rollups differ (at most
    /// `limit` differences). Reads in one transaction, so run it when nothing writes, or
    /// expect the differences of tickets changed meanwhile.
    pub async fn verify_rollups(
        &self,
        zone: chrono_tz::Tz,
        limit: usize,
    ) -> Result<(usize, Vec<Difference>)> {
        let mut tx = self.begin_report().await?;
        let (mut days, mut times, leaders) = recount(&mut tx, zone).await?;
        // The month rows are checked with the day rows: a month's key is its yyyymm in place
        // of a yyyymmdd, so the two never meet.
        {
            let day_rows: Vec<_> = std::mem::take(&mut days).into_iter().collect();
            let time_rows: Vec<_> = std::mem::take(&mut times).into_iter().collect();
            let (months, time_months) = by_month(&day_rows, &time_rows);
            days = day_rows.into_iter().chain(months).collect();
            times = time_rows.into_iter().chain(time_months).collect();
        }
        let mut stored_days: HashMap<DayKey, Counts> = HashMap::new();
        let mut stored_times: HashMap<(String, i32, String, u8), i64> = HashMap::new();
        for unit in [Unit::Day, Unit::Month] {
            let (table, day) = (unit.counts(), unit.column());
            let sql = format!(
                "SELECT node, {day} AS day, category, urgency, {} FROM {table}",
                COUNTERS.join(", ")
            );
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(tx.conn());
            while let Some(r) = rows.try_next().await? {
                let key = (
                    col::<String>(&r, "node")?,
                    col::<i64>(&r, "day")? as i32,
                    parse_col::<Category>(&r, "category")?,
                    parse_col::<Urgency>(&r, "urgency")?,
                );
                stored_days.insert(key, counts_from(&r)?);
            }
            drop(rows);
            let sql = format!(
                "SELECT node, {day} AS day, kind, bucket, n FROM {}",
                unit.times()
            );
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(tx.conn());
            while let Some(r) = rows.try_next().await? {
                let key = (
                    col::<String>(&r, "node")?,
                    col::<i64>(&r, "day")? as i32,
                    col::<String>(&r, "kind")?,
                    col::<i64>(&r, "bucket")? as u8,
                );
                stored_times.insert(key, col(&r, "n")?);
            }
        }
        let mut stored_leaders: HashMap<LeaderKey, LeaderCounts> = HashMap::new();
        {
            let sql = format!(
                "SELECT node, day, person, bucket, {} FROM rollup_leaders",
                LEADER_COUNTERS.join(", ")
            );
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(tx.conn());
            while let Some(r) = rows.try_next().await? {
                let key = (
                    col::<String>(&r, "node")?,
                    col::<i64>(&r, "day")? as i32,
                    col::<String>(&r, "person")?,
                    col::<i64>(&r, "bucket")? as i16,
                );
                let mut counts = [0; LEADER_COUNTERS.len()];
                for (n, c) in counts.iter_mut().zip(LEADER_COUNTERS) {
                    *n = col(&r, c)?;
                }
                stored_leaders.insert(key, counts);
            }
        }
        tx.commit().await?;
        let mut found = 0;
        let mut diffs = Vec::new();
        let mut note = |key: String, figure: &str, stored: i64, counted: i64| {
            found += 1;
            if diffs.len() < limit {
                diffs.push(Difference {
                    key,
                    figure: figure.to_string(),
                    stored,
                    counted,
                });
            }
        };
        let zero = [0; COUNTERS.len()];
        let mut keys: Vec<_> = days.keys().chain(stored_days.keys()).cloned().collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let want = days.get(&key).unwrap_or(&zero);
            let have = stored_days.get(&key).unwrap_or(&zero);
            for (i, name) in COUNTERS.iter().enumerate() {
                if want[i] != have[i] {
                    let (n, d, c, u) = &key;
                    note(
                        format!("{n} {d} {} {}", c.id(), u.id()),
                        name,
                        have[i],
                        want[i],
                    );
                }
            }
        }
        let counted_times: HashMap<(String, i32, String, u8), i64> = times
            .into_iter()
            .map(|((n, d, k, b), v)| ((n, d, k.to_string(), b), v))
            .collect();
        let mut keys: Vec<_> = counted_times
            .keys()
            .chain(stored_times.keys())
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let want = counted_times.get(&key).copied().unwrap_or(0);
            let have = stored_times.get(&key).copied().unwrap_or(0);
            if want != have {
                let (n, d, k, b) = &key;
                note(format!("{n} {d} {k} {b}"), "tickets", have, want);
            }
        }
        let none = [0; LEADER_COUNTERS.len()];
        let mut keys: Vec<_> = leaders
            .keys()
            .chain(stored_leaders.keys())
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let want = leaders.get(&key).unwrap_or(&none);
            let have = stored_leaders.get(&key).unwrap_or(&none);
            for (i, name) in LEADER_COUNTERS.iter().enumerate() {
                if want[i] != have[i] {
                    let (n, d, p, b) = &key;
                    note(format!("{n} {d} leader {p} {b}"), name, have[i], want[i]);
                }
            }
        }
        Ok((found, diffs))
    }

    /// The figures of each assignee of tickets under `node` received on the local days
    /// `from..=to`, by person code. Runs beside the writer.
    pub async fn rollup_leaders(
        &self,
        node: &str,
        from: i32,
        to: i32,
    ) -> Result<Vec<LeaderFigures>> {
        let mut tx = self.begin_report().await?;
        let backend = self.backend();
        let out = leaders_on(tx.conn(), backend, node, from, to).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A node's figures for the local days `from..=to` (yyyymmdd). Runs beside the writer.
    pub async fn rollup_figures(&self, node: &str, from: i32, to: i32) -> Result<Figures> {
        let mut tx = self.begin_report().await?;
        let out = figures_on(tx.conn(), node, from, to).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A node's counters per local day over `from..=to` (yyyymmdd), days with rows only,
    /// oldest first. Runs beside the writer.
    pub async fn rollup_by_day(
        &self,
        node: &str,
        from: i32,
        to: i32,
    ) -> Result<Vec<(i32, Counts)>> {
        let sql = format!(
            "SELECT day, {} FROM rollup_days WHERE node = $1 AND day >= $2 AND day <= $3 \
             GROUP BY day ORDER BY day",
            sums()
        );
        let mut tx = self.begin_report().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(node.to_string())
            .bind(i64::from(from))
            .bind(i64::from(to))
            .fetch_all(tx.conn())
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| Ok((col::<i64>(r, "day")? as i32, counts_from(r)?)))
            .collect()
    }

    /// A node's counters over `from..=to` (yyyymmdd) in the pieces the rollups keep: a row
    /// per whole month inside (dated its first day, yyyymm01) and a row per day at the ends;
    /// rows with data only, oldest first. A chart by month needs about 12 rows a year from
    /// this instead of 365 days' rows. Runs beside the writer.
    pub async fn rollup_by_month(
        &self,
        node: &str,
        from: i32,
        to: i32,
    ) -> Result<Vec<(i32, Counts)>> {
        let mut tx = self.begin_read().await?;
        let mut out = Vec::new();
        for (unit, lo, hi) in pieces(from, to) {
            let sql = format!(
                "SELECT {at} AS at, {} FROM {} WHERE node = $1 AND {at} >= $2 AND {at} <= $3 \
                 GROUP BY {at} ORDER BY {at}",
                sums(),
                unit.counts(),
                at = unit.column()
            );
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(node.to_string())
                .bind(i64::from(lo))
                .bind(i64::from(hi))
                .fetch_all(tx.conn())
                .await?;
            for r in &rows {
                let at = col::<i64>(r, "at")? as i32;
                let day = match unit {
                    Unit::Day => at,
                    Unit::Month => at * 100 + 1,
                };
                out.push((day, counts_from(r)?));
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// A node's counters per category over `from..=to`, of one urgency or both, without the
    /// time histograms (what the console needs to size a ledger query).
    pub async fn rollup_counts(
        &self,
        node: &str,
        from: i32,
        to: i32,
        urgency: Option<Urgency>,
    ) -> Result<Figures> {
        let mut tx = self.begin_report().await?;
        let by_category =
            summed(tx.conn(), "category", Nodes::One(node), urgency, from, to).await?;
        tx.commit().await?;
        let mut out = Figures::default();
        for (cat, k) in by_category {
            rollup::add(&mut out.counts, &k, 1);
            out.by_category.insert(parse_category(&cat)?, k);
        }
        Ok(out)
    }

    /// The names of these grids.
    pub async fn grid_names(&self, codes: &[String]) -> Result<HashMap<String, String>> {
        let mut conn = self.reports().acquire().await?;
        names_on(&mut conn, self.backend(), codes).await
    }

    /// Every grid (to find one by name).
    pub async fn all_grids(&self) -> Result<Vec<super::roster::Grid>> {
        let rows = sqlx::query("SELECT code, name, parent, level, path FROM grids ORDER BY path")
            .fetch_all(self.reports())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(super::roster::Grid {
                    code: col(r, "code")?,
                    name: col(r, "name")?,
                    parent: col(r, "parent")?,
                    level: col(r, "level")?,
                    path: col(r, "path")?,
                })
            })
            .collect()
    }

    /// The figures of each child of `node` (`'*'`: the tree's top grids) over `from..=to`,
    /// as `(grid code, counters)`; children with no rows are left out.
    pub async fn rollup_children(
        &self,
        node: &str,
        from: i32,
        to: i32,
    ) -> Result<Vec<(String, Counts)>> {
        let mut tx = self.begin_report().await?;
        let backend = self.backend();
        let out = children_on(tx.conn(), backend, node, from, to).await?;
        tx.commit().await?;
        Ok(out)
    }
}

impl Tx {
    /// [`Store::rollup_figures`] on this transaction's connection (the engine's chat answers:
    /// one node's rows for the period's days, a few milliseconds at most).
    pub async fn rollup_figures(&mut self, node: &str, from: i32, to: i32) -> Result<Figures> {
        figures_on(&mut self.inner, node, from, to).await
    }

    /// [`Store::rollup_children`] on this transaction's connection.
    pub async fn rollup_children(
        &mut self,
        node: &str,
        from: i32,
        to: i32,
    ) -> Result<Vec<(String, Counts)>> {
        children_on(&mut self.inner, self.backend, node, from, to).await
    }

    /// The names of these grids.
    pub async fn grid_names(&mut self, codes: &[String]) -> Result<HashMap<String, String>> {
        names_on(&mut self.inner, self.backend, codes).await
    }
}

async fn names_on(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    codes: &[String],
) -> Result<HashMap<String, String>> {
    let rows = super::rows_with_codes(conn, backend, "SELECT code, name FROM grids", codes).await?;
    rows.iter()
        .map(|r| Ok((col(r, "code")?, col(r, "name")?)))
        .collect()
}

async fn figures_on(
    conn: &mut sqlx::AnyConnection,
    node: &str,
    from: i32,
    to: i32,
) -> Result<Figures> {
    let mut out = Figures::default();
    for (cat, k) in summed(conn, "category", Nodes::One(node), None, from, to).await? {
        rollup::add(&mut out.counts, &k, 1);
        out.by_category.insert(parse_category(&cat)?, k);
    }
    let mut hist: BTreeMap<(String, u8), i64> = BTreeMap::new();
    for (unit, lo, hi) in pieces(from, to) {
        let sql = format!(
            "SELECT kind, bucket, CAST(SUM(n) AS BIGINT) AS n FROM {} \
             WHERE node = $1 AND {day} >= $2 AND {day} <= $3 GROUP BY kind, bucket",
            unit.times(),
            day = unit.column()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(node.to_string())
            .bind(i64::from(lo))
            .bind(i64::from(hi))
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            *hist
                .entry((col(r, "kind")?, col::<i64>(r, "bucket")? as u8))
                .or_default() += col::<Option<i64>>(r, "n")?.unwrap_or(0);
        }
    }
    for ((kind, bucket), n) in hist {
        if kind == rollup::RESPONSE {
            out.response.push((bucket, n));
        } else {
            out.resolution.push((bucket, n));
        }
    }
    Ok(out)
}

/// Which nodes a sum is over.
enum Nodes<'a> {
    One(&'a str),
    /// The children of a node (`'*'`: the tree's top grids).
    ChildrenOf(&'a str),
}

/// The counters of `nodes` over the local days `from..=to`, of one urgency or both, summed
/// per value of `group` (`category` or `node`): whole months from `rollup_months`, the days at
/// the period's ends from `rollup_days`.
async fn summed(
    conn: &mut sqlx::AnyConnection,
    group: &str,
    nodes: Nodes<'_>,
    urgency: Option<Urgency>,
    from: i32,
    to: i32,
) -> Result<BTreeMap<String, Counts>> {
    let (filter, bound) = match nodes {
        Nodes::One(n) => ("node = $1", n),
        Nodes::ChildrenOf("*") => (
            "node IN (SELECT code FROM grids WHERE parent IS NULL OR parent = $1)",
            "",
        ),
        Nodes::ChildrenOf(n) => ("node IN (SELECT code FROM grids WHERE parent = $1)", n),
    };
    let only = if urgency.is_some() {
        " AND urgency = $4"
    } else {
        ""
    };
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for (unit, lo, hi) in pieces(from, to) {
        let sql = format!(
            "SELECT {group}, {} FROM {} WHERE {filter} AND {day} >= $2 AND {day} <= $3{only} \
             GROUP BY {group}",
            sums(),
            unit.counts(),
            day = unit.column()
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(bound.to_string())
            .bind(i64::from(lo))
            .bind(i64::from(hi));
        if let Some(u) = urgency {
            q = q.bind(u.id().to_string());
        }
        for r in &q.fetch_all(&mut *conn).await? {
            rollup::add(
                out.entry(col(r, group)?).or_insert([0; COUNTERS.len()]),
                &counts_from(r)?,
                1,
            );
        }
    }
    Ok(out)
}

/// The local days `from..=to` (yyyymmdd; `from` 0 for the beginning) as the pieces the
/// rollups are read in: the whole months inside (yyyymm..=yyyymm, from the month tables) and
/// the days before and after them (from the day tables). Empty pieces are left out.
fn pieces(from: i32, to: i32) -> Vec<(Unit, i32, i32)> {
    use chrono::{Datelike, NaiveDate};
    let date =
        |d: i32| NaiveDate::from_ymd_opt(d / 10_000, (d / 100 % 100) as u32, (d % 100) as u32);
    let month_of = |d: NaiveDate| d.year() * 100 + d.month() as i32;
    let ymd = |d: NaiveDate| d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32;
    let Some(end) = date(to) else {
        return vec![(Unit::Day, from, to)];
    };
    // The first whole month: `from`'s own if it starts on its first day (or the period has
    // no beginning), else the next.
    let first = if from <= 0 {
        Some(0)
    } else {
        date(from).and_then(|d| {
            if d.day() == 1 {
                Some(month_of(d))
            } else {
                d.with_day(1)
                    .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
                    .map(month_of)
            }
        })
    };
    // The last whole month: `to`'s own if it ends on its last day, else the one before.
    let last = if end.succ_opt().is_none_or(|next| next.day() == 1) {
        Some(month_of(end))
    } else {
        end.with_day(1)
            .and_then(|m| m.checked_sub_months(chrono::Months::new(1)))
            .map(month_of)
    };
    let (Some(first), Some(last)) = (first, last) else {
        return vec![(Unit::Day, from, to)];
    };
    if first > last {
        return vec![(Unit::Day, from, to)];
    }
    let mut out = Vec::with_capacity(3);
    // Days before the first whole month, days after the last.
    let before = NaiveDate::from_ymd_opt(first / 100, (first % 100) as u32, 1)
        .and_then(|d| d.pred_opt())
        .map(ymd);
    if let Some(before) = before
        && from > 0
        && from <= before
    {
        out.push((Unit::Day, from, before));
    }
    out.push((Unit::Month, first, last));
    let after = NaiveDate::from_ymd_opt(last / 100, (last % 100) as u32, 1)
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .map(ymd);
    if let Some(after) = after
        && after <= to
    {
        out.push((Unit::Day, after, to));
    }
    out
}

fn parse_category(id: &str) -> Result<Category> {
    id.parse::<Category>()
        .map_err(|_| super::StoreError::Corrupt(format!("unknown category `{id}` in the rollups")))
}

async fn children_on(
    conn: &mut sqlx::AnyConnection,
    backend: super::Backend,
    node: &str,
    from: i32,
    to: i32,
) -> Result<Vec<(String, Counts)>> {
    // PostgreSQL plans the children's rows (a few thousand at most) in parallel, behind a
    // sequential scan of the grids; starting the workers took longer than the whole read
    // without them (a village over a year: 17-23 ms, 2 ms alone). For this transaction only.
    if backend == super::Backend::Postgres {
        sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
            .execute(&mut *conn)
            .await?;
    }
    Ok(
        summed(conn, "node", Nodes::ChildrenOf(node), None, from, to)
            .await?
            .into_iter()
            .collect(),
    )
}

/// Every ticket's figures, summed per node (the brute-force count).
async fn recount(tx: &mut Tx, zone: chrono_tz::Tz) -> Result<Recount> {
    let paths: HashMap<String, Arc<[String]>> = {
        let rows = sqlx::query("SELECT code, path FROM grids")
            .fetch_all(tx.conn())
            .await?;
        rows.iter()
            .map(|r| {
                let code: String = col(r, "code")?;
                let path: String = col(r, "path")?;
                Ok((code, rollup::nodes_of(&path).into()))
            })
            .collect::<Result<_>>()?
    };
    let mut days: BTreeMap<DayKey, Counts> = BTreeMap::new();
    let mut times: BTreeMap<TimeKey, i64> = BTreeMap::new();
    let mut leaders: BTreeMap<LeaderKey, LeaderCounts> = BTreeMap::new();
    let sql = format!("SELECT {FACT_COLUMNS} FROM tickets");
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(tx.conn());
    while let Some(r) = rows.try_next().await? {
        let f = facts_from(&r)?;
        let c = rollup::contribution(&f, zone);
        let fallback: Arc<[String]> = vec!["*".to_string(), f.grid.clone()].into();
        let nodes = paths.get(&f.grid).unwrap_or(&fallback);
        for node in nodes.iter() {
            rollup::add(
                days.entry((node.clone(), c.day, c.category, c.urgency))
                    .or_insert([0; COUNTERS.len()]),
                &c.counts,
                1,
            );
            for (kind, bucket) in [
                (rollup::RESPONSE, c.response),
                (rollup::RESOLUTION, c.resolution),
            ] {
                if let Some(b) = bucket {
                    *times.entry((node.clone(), c.day, kind, b)).or_default() += 1;
                }
            }
            if let Some(l) = &c.leader {
                let entry = leaders
                    .entry((node.clone(), c.day, l.person.clone(), l.bucket))
                    .or_default();
                for (n, d) in entry.iter_mut().zip(l.counts) {
                    *n += d;
                }
            }
        }
    }
    Ok((days, times, leaders))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_as_whole_months_and_the_days_at_their_ends() {
        use Unit::{Day, Month};
        // A calendar month, a year, everything up to a month's end.
        assert_eq!(pieces(20261101, 20261130), vec![(Month, 202611, 202611)]);
        assert_eq!(pieces(20260101, 20261231), vec![(Month, 202601, 202612)]);
        assert_eq!(pieces(0, 20261130), vec![(Month, 0, 202611)]);
        // Everything up to today; the last 30 days across a month.
        assert_eq!(
            pieces(0, 20261205),
            vec![(Month, 0, 202611), (Day, 20261201, 20261205)]
        );
        assert_eq!(
            pieces(20261015, 20261205),
            vec![
                (Day, 20261015, 20261031),
                (Month, 202611, 202611),
                (Day, 20261201, 20261205)
            ]
        );
        // No whole month inside: days only. February of a leap year ends on the 29th.
        assert_eq!(pieces(20261105, 20261130), vec![(Day, 20261105, 20261130)]);
        assert_eq!(pieces(20261231, 20270101), vec![(Day, 20261231, 20270101)]);
        assert_eq!(pieces(20280201, 20280228), vec![(Day, 20280201, 20280228)]);
        assert_eq!(pieces(20280201, 20280229), vec![(Month, 202802, 202802)]);
        // A year boundary inside.
        assert_eq!(
            pieces(20261210, 20270215),
            vec![
                (Day, 20261210, 20261231),
                (Month, 202701, 202701),
                (Day, 20270201, 20270215)
            ]
        );
    }
}
