//! The roster: grids, chat groups bound to them, people, their platform identities and roles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{Result, Store, Tx, col, param, params, row_placeholders};
use crate::domain::{Grant, Role};

/// A group's binding to a grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBinding {
    pub grid: String,
    pub grid_path: String,
    pub title: String,
    pub active: bool,
    /// The bot account last seen serving the group ("" before the first message).
    pub account: String,
}

/// A grid of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub level: String,
    pub path: String,
}

/// A person as the engine needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub code: String,
    pub name: String,
    /// Their user id on the platform asked about, when they have one there.
    pub user_id: Option<String>,
}

/// Who a sender is: their person record (if any) and their grants.
#[derive(Debug, Clone, Default)]
pub struct SenderInfo {
    pub person: Option<String>,
    pub grants: Vec<Grant>,
}

/// Rows for the importer.
#[derive(Debug, Clone)]
pub struct GridRow {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub level: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct GroupRow {
    pub platform: String,
    pub chat_id: String,
    pub grid: String,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct PersonRow {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct IdentityRow {
    pub platform: String,
    pub user_id: String,
    pub person: String,
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub person: String,
    pub role: Role,
    pub grid: String,
}

/// Group bindings, senders and on-duty leaders already read in one transaction. The engine
/// turns it on for a batch of events (most of a burst comes from the same groups and senders)
/// and drops it whenever an event may change the roster; every roster write here drops it too.
#[derive(Debug, Default)]
pub(crate) struct RosterCache {
    groups: HashMap<(String, String), Option<GroupBinding>>,
    senders: HashMap<(String, String), SenderInfo>,
    /// Keyed by grid, platform and the `now` asked about (leave is judged at that time).
    on_duty: HashMap<(String, String, i64), Option<Person>>,
}

/// `(platform, id)` keys grouped by platform, in order.
fn by_platform<'a>(keys: &[&'a (String, String)]) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (platform, id) in keys {
        out.entry(platform.as_str()).or_default().push(id.as_str());
    }
    out
}

/// A [`Person`] from a row with `code`, `name` and `user_id` columns.
pub(crate) fn person_from(row: &AnyRow) -> Result<Person> {
    Ok(Person {
        code: col(row, "code")?,
        name: col(row, "name")?,
        user_id: col(row, "user_id")?,
    })
}

fn grid_from(row: &AnyRow) -> Result<Grid> {
    Ok(Grid {
        code: col(row, "code")?,
        name: col(row, "name")?,
        parent: col(row, "parent")?,
        level: col(row, "level")?,
        path: col(row, "path")?,
    })
}

/// One row of the sender query: the person, and a grant if the row carries a known role.
fn add_sender_row(info: &mut SenderInfo, row: &AnyRow) -> Result<()> {
    info.person = Some(col(row, "person")?);
    let role: Option<String> = col(row, "role")?;
    let Some(role) = role.and_then(|r| r.parse::<Role>().ok()) else {
        return Ok(());
    };
    let path: Option<String> = col(row, "path")?;
    info.grants.push(Grant {
        role,
        grid_path: path,
    });
    Ok(())
}

/// The distinct keys of `keys` that `known` does not already cover, in first-seen order.
fn dedup(
    keys: &[(String, String)],
    known: impl Fn(&(String, String)) -> bool,
) -> Vec<&(String, String)> {
    let mut seen = std::collections::HashSet::new();
    keys.iter()
        .filter(|k| !known(k) && seen.insert(*k))
        .collect()
}

impl Tx {
    pub async fn group(&mut self, platform: &str, chat_id: &str) -> Result<Option<GroupBinding>> {
        let key = (platform.to_string(), chat_id.to_string());
        if let Some(hit) = self.roster.as_ref().and_then(|c| c.groups.get(&key)) {
            return Ok(hit.clone());
        }
        let row = sqlx::query(
            "SELECT g.grid, r.path, g.title, g.active, g.account FROM chat_groups g \
             JOIN grids r ON r.code = g.grid WHERE g.platform = $1 AND g.chat_id = $2",
        )
        .bind(platform.to_string())
        .bind(chat_id.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(GroupBinding {
                grid: col(&r, "grid")?,
                grid_path: col(&r, "path")?,
                title: col(&r, "title")?,
                active: col::<i64>(&r, "active")? != 0,
                account: col(&r, "account")?,
            })
        })
        .transpose()
        .inspect(|g| {
            if let Some(c) = &mut self.roster {
                c.groups.insert(key, g.clone());
            }
        })
    }

    /// Remembers which bot account serves a group. Written behind (see `Held`): at county
    /// scale a burst reaches thousands of groups for the first time, one statement per batch.
    pub fn set_group_account(&mut self, platform: &str, chat_id: &str, account: &str) {
        self.held.accounts.push((
            platform.to_string(),
            chat_id.to_string(),
            account.to_string(),
        ));
        let key = (platform.to_string(), chat_id.to_string());
        if let Some(Some(g)) = self.roster.as_mut().and_then(|c| c.groups.get_mut(&key)) {
            g.account = account.to_string();
        }
    }

    pub(super) async fn write_accounts(
        &mut self,
        mut accounts: Vec<(String, String, String)>,
    ) -> Result<()> {
        // An UPDATE … FROM may not meet a row twice: keep each group's latest account only.
        let mut seen = std::collections::HashSet::new();
        accounts.reverse();
        accounts.retain(|(p, c, _)| seen.insert((p.clone(), c.clone())));
        for chunk in accounts.chunks(500) {
            // VALUES columns are column1, column2 … on both backends.
            let sql = format!(
                "UPDATE chat_groups SET account = v.column3 FROM (VALUES {}) AS v \
                 WHERE chat_groups.platform = v.column1 AND chat_groups.chat_id = v.column2",
                row_placeholders(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (p, c, a) in chunk {
                q = q.bind(p.clone()).bind(c.clone()).bind(a.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn grid(&mut self, code: &str) -> Result<Option<Grid>> {
        let row = sqlx::query("SELECT code, name, parent, level, path FROM grids WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| grid_from(&r)).transpose()
    }

    /// The sender's person and grants, through their platform identity.
    pub async fn sender(&mut self, platform: &str, user_id: &str) -> Result<SenderInfo> {
        let key = (platform.to_string(), user_id.to_string());
        if let Some(hit) = self.roster.as_ref().and_then(|c| c.senders.get(&key)) {
            return Ok(hit.clone());
        }
        let rows = sqlx::query(
            "SELECT i.person, g.role, g.grid, r.path FROM identities i \
             LEFT JOIN grants g ON g.person = i.person \
             LEFT JOIN grids r ON r.code = g.grid \
             WHERE i.platform = $1 AND i.user_id = $2",
        )
        .bind(platform.to_string())
        .bind(user_id.to_string())
        .fetch_all(self.conn())
        .await?;
        let mut info = SenderInfo::default();
        for row in &rows {
            add_sender_row(&mut info, row)?;
        }
        if let Some(c) = &mut self.roster {
            c.senders.insert(key, info.clone());
        }
        Ok(info)
    }

    /// Who gets a new ticket in `grid`: the leader unless on leave at `now`, else a deputy
    /// (the first by code), with their user id on `platform` for the mention.
    pub async fn on_duty(
        &mut self,
        grid: &str,
        platform: &str,
        now: i64,
    ) -> Result<Option<Person>> {
        let key = (grid.to_string(), platform.to_string(), now);
        if let Some(hit) = self.roster.as_ref().and_then(|c| c.on_duty.get(&key)) {
            return Ok(hit.clone());
        }
        let rows = sqlx::query(
            "SELECT p.code, p.name, g.role, \
               (SELECT i.user_id FROM identities i WHERE i.person = p.code AND i.platform = $2 \
                ORDER BY i.user_id LIMIT 1) AS user_id \
             FROM grants g JOIN people p ON p.code = g.person \
             WHERE g.grid = $1 AND g.role IN ('leader', 'deputy') \
               AND (p.on_leave_until IS NULL OR p.on_leave_until <= $3) \
             ORDER BY CASE g.role WHEN 'leader' THEN 0 ELSE 1 END, p.code LIMIT 1",
        )
        .bind(grid.to_string())
        .bind(platform.to_string())
        .bind(now)
        .fetch_all(self.conn())
        .await?;
        let person = rows
            .first()
            .map(|r| -> Result<Person> { person_from(r) })
            .transpose()?;
        if let Some(c) = &mut self.roster {
            c.on_duty.insert(key, person.clone());
        }
        Ok(person)
    }

    /// Remembers roster lookups for the rest of this transaction (until [`Tx::forget_roster`]).
    pub fn cache_roster(&mut self) {
        self.roster.get_or_insert_with(RosterCache::default);
    }

    /// Drops what [`Tx::cache_roster`] remembered: the roster may have changed.
    pub fn forget_roster(&mut self) {
        if let Some(c) = &mut self.roster {
            *c = RosterCache::default();
        }
    }

    /// With the cache on, reads the bindings of `chats`, the identities of `senders`
    /// (`(platform, id)` pairs) and who is on duty at `now` for the chats' grids in a few
    /// statements instead of one each.
    pub async fn prefetch_roster(
        &mut self,
        chats: &[(String, String)],
        senders: &[(String, String)],
        now: i64,
    ) -> Result<()> {
        let Some(cache) = &self.roster else {
            return Ok(());
        };
        let chats: Vec<&(String, String)> = dedup(chats, |k| cache.groups.contains_key(k));
        let senders: Vec<&(String, String)> = dedup(senders, |k| cache.senders.contains_key(k));
        let mut groups = HashMap::new();
        // One platform per statement, so that SQLite searches the primary key
        // (`platform = ? AND chat_id IN (…)`); a row-value IN over VALUES scans the table.
        for (platform, ids) in by_platform(&chats) {
            for chunk in ids.chunks(400) {
                let sql = format!(
                    "SELECT g.platform, g.chat_id, g.grid, r.path, g.title, g.active, g.account FROM chat_groups g \
                     JOIN grids r ON r.code = g.grid WHERE g.platform = {} AND g.chat_id IN ({})",
                    param(self.backend, 1),
                    params(self.backend, 2, chunk.len())
                );
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(platform.to_string());
                for c in chunk {
                    q = q.bind(c.to_string());
                }
                for r in q.fetch_all(self.conn()).await? {
                    let key: (String, String) = (col(&r, "platform")?, col(&r, "chat_id")?);
                    let binding = GroupBinding {
                        grid: col(&r, "grid")?,
                        grid_path: col(&r, "path")?,
                        title: col(&r, "title")?,
                        active: col::<i64>(&r, "active")? != 0,
                        account: col(&r, "account")?,
                    };
                    groups.insert(key, binding);
                }
            }
        }
        let mut infos: HashMap<(String, String), SenderInfo> = HashMap::new();
        for (platform, ids) in by_platform(&senders) {
            for chunk in ids.chunks(400) {
                let sql = format!(
                    "SELECT i.platform, i.user_id, i.person, g.role, g.grid, r.path FROM identities i \
                     LEFT JOIN grants g ON g.person = i.person \
                     LEFT JOIN grids r ON r.code = g.grid \
                     WHERE i.platform = {} AND i.user_id IN ({})",
                    param(self.backend, 1),
                    params(self.backend, 2, chunk.len())
                );
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(platform.to_string());
                for u in chunk {
                    q = q.bind(u.to_string());
                }
                for r in q.fetch_all(self.conn()).await? {
                    let key: (String, String) = (col(&r, "platform")?, col(&r, "user_id")?);
                    add_sender_row(infos.entry(key).or_default(), &r)?;
                }
            }
        }
        let Some(cache) = &mut self.roster else {
            return Ok(());
        };
        for k in chats {
            cache.groups.insert(k.clone(), groups.remove(k));
        }
        for k in senders {
            cache
                .senders
                .insert(k.clone(), infos.remove(k).unwrap_or_default());
        }
        self.prefetch_on_duty(now).await
    }

    /// [`Tx::on_duty`] for the grid of every cached group binding, one statement per platform.
    async fn prefetch_on_duty(&mut self, now: i64) -> Result<()> {
        let Some(cache) = &self.roster else {
            return Ok(());
        };
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for ((platform, _), binding) in &cache.groups {
            let Some(b) = binding else { continue };
            let key = (b.grid.clone(), platform.clone(), now);
            if !cache.on_duty.contains_key(&key) {
                wanted
                    .entry(platform.clone())
                    .or_default()
                    .insert(b.grid.clone());
            }
        }
        for (platform, grids) in wanted {
            let grids: Vec<String> = grids.into_iter().collect();
            for chunk in grids.chunks(400) {
                // The same choice as `on_duty`, for many grids: leaders before deputies, then by
                // code; nobody on leave at `now`.
                let sql = format!(
                    "SELECT g.grid, g.role, p.code, p.name, \
                       (SELECT i.user_id FROM identities i WHERE i.person = p.code AND i.platform = {} \
                        ORDER BY i.user_id LIMIT 1) AS user_id \
                     FROM grants g JOIN people p ON p.code = g.person \
                     WHERE g.role IN ('leader', 'deputy') \
                       AND (p.on_leave_until IS NULL OR p.on_leave_until <= {}) AND g.grid IN ({})",
                    param(self.backend, 1),
                    param(self.backend, 2),
                    params(self.backend, 3, chunk.len())
                );
                let mut q = sqlx::query(AssertSqlSafe(sql))
                    .bind(platform.clone())
                    .bind(now);
                for g in chunk {
                    q = q.bind(g.clone());
                }
                let mut best: HashMap<String, (bool, Person)> = HashMap::new();
                for r in q.fetch_all(self.conn()).await? {
                    let grid: String = col(&r, "grid")?;
                    let deputy = col::<String>(&r, "role")? != "leader";
                    let person = person_from(&r)?;
                    let better = best
                        .get(&grid)
                        .is_none_or(|(d, p)| (deputy, &person.code) < (*d, &p.code));
                    if better {
                        best.insert(grid, (deputy, person));
                    }
                }
                if let Some(cache) = &mut self.roster {
                    for g in chunk {
                        let person = best.remove(g).map(|(_, p)| p);
                        cache
                            .on_duty
                            .insert((g.clone(), platform.clone(), now), person);
                    }
                }
            }
        }
        Ok(())
    }

    /// A person by code, or by name (several matches possible), or by their user id on
    /// `platform`; with their user id on `platform`.
    pub async fn find_people(&mut self, query: &str, platform: &str) -> Result<Vec<Person>> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.code, p.name, \
               (SELECT i.user_id FROM identities i WHERE i.person = p.code AND i.platform = $2 \
                ORDER BY i.user_id LIMIT 1) AS user_id \
             FROM people p WHERE p.code = $1 OR p.name = $1 \
               OR p.code IN (SELECT person FROM identities WHERE platform = $2 AND user_id = $1) \
             ORDER BY p.code LIMIT 10",
        )
        .bind(query.to_string())
        .bind(platform.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(person_from).collect()
    }

    pub async fn person(&mut self, code: &str, platform: &str) -> Result<Option<Person>> {
        let rows = self.find_people(code, platform).await?;
        Ok(rows.into_iter().find(|p| p.code == code))
    }

    pub async fn bind_group(
        &mut self,
        platform: &str,
        chat_id: &str,
        grid: &str,
        title: &str,
    ) -> Result<()> {
        self.forget_roster();
        sqlx::query(
            "INSERT INTO chat_groups (platform, chat_id, grid, title, active) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (platform, chat_id) DO UPDATE SET grid = excluded.grid, title = excluded.title, active = 1",
        )
        .bind(platform.to_string())
        .bind(chat_id.to_string())
        .bind(grid.to_string())
        .bind(title.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A group got a new id (Telegram group → supergroup): move its binding and open tickets.
    pub async fn rebind_chat(&mut self, platform: &str, old: &str, new: &str) -> Result<()> {
        self.forget_roster();
        sqlx::query(
            "UPDATE chat_groups SET chat_id = $3 WHERE platform = $1 AND chat_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM chat_groups WHERE platform = $1 AND chat_id = $3)",
        )
        .bind(platform.to_string())
        .bind(old.to_string())
        .bind(new.to_string())
        .execute(self.conn())
        .await?;
        sqlx::query("UPDATE tickets SET chat_id = $3 WHERE platform = $1 AND chat_id = $2")
            .bind(platform.to_string())
            .bind(old.to_string())
            .bind(new.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The bot left the group: keep the binding for history, stop treating it as live.
    pub async fn deactivate_group(&mut self, platform: &str, chat_id: &str) -> Result<()> {
        self.forget_roster();
        sqlx::query("UPDATE chat_groups SET active = 0 WHERE platform = $1 AND chat_id = $2")
            .bind(platform.to_string())
            .bind(chat_id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn add_grant(&mut self, person: &str, role: Role, grid: &str) -> Result<()> {
        self.forget_roster();
        sqlx::query(
            "INSERT INTO grants (person, role, grid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(person.to_string())
        .bind(role.id().to_string())
        .bind(grid.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ---- bulk upserts for the importer ----------------------------------------------------
    // Multi-row statements in the importer's one transaction. A row that is already as the
    // file says is left alone (the `WHERE` on `DO UPDATE`), so a re-import writes nothing.

    pub async fn upsert_grids(&mut self, rows: &[GridRow]) -> Result<()> {
        self.forget_roster();
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO grids (code, name, parent, level, path) VALUES {} \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent, \
                 level = excluded.level, path = excluded.path \
                 WHERE grids.name <> excluded.name OR grids.level <> excluded.level \
                 OR grids.path <> excluded.path \
                 OR COALESCE(grids.parent, '') <> COALESCE(excluded.parent, '')",
                row_placeholders(self.backend, chunk.len(), 5)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.code.clone())
                    .bind(r.name.clone())
                    .bind(r.parent.clone())
                    .bind(r.level.clone())
                    .bind(r.path.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn upsert_groups(&mut self, rows: &[GroupRow]) -> Result<()> {
        self.forget_roster();
        for chunk in rows.chunks(500) {
            let sql = format!(
                "INSERT INTO chat_groups (platform, chat_id, grid, title) VALUES {} \
                 ON CONFLICT (platform, chat_id) DO UPDATE SET grid = excluded.grid, title = excluded.title \
                 WHERE chat_groups.grid <> excluded.grid OR chat_groups.title <> excluded.title",
                row_placeholders(self.backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.platform.clone())
                    .bind(r.chat_id.clone())
                    .bind(r.grid.clone())
                    .bind(r.title.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn upsert_people(&mut self, rows: &[PersonRow]) -> Result<()> {
        self.forget_roster();
        for chunk in rows.chunks(1_000) {
            let sql = format!(
                "INSERT INTO people (code, name) VALUES {} \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name \
                 WHERE people.name <> excluded.name",
                row_placeholders(self.backend, chunk.len(), 2)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q.bind(r.code.clone()).bind(r.name.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn upsert_identities(&mut self, rows: &[IdentityRow]) -> Result<()> {
        self.forget_roster();
        for chunk in rows.chunks(1_000) {
            let sql = format!(
                "INSERT INTO identities (platform, user_id, person) VALUES {} \
                 ON CONFLICT (platform, user_id) DO UPDATE SET person = excluded.person \
                 WHERE identities.person <> excluded.person",
                row_placeholders(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.platform.clone())
                    .bind(r.user_id.clone())
                    .bind(r.person.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn upsert_grants(&mut self, rows: &[GrantRow]) -> Result<()> {
        self.forget_roster();
        for chunk in rows.chunks(1_000) {
            let sql = format!(
                "INSERT INTO grants (person, role, grid) VALUES {} ON CONFLICT DO NOTHING",
                row_placeholders(self.backend, chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.person.clone())
                    .bind(r.role.id().to_string())
                    .bind(r.grid.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Codes of grids that already exist among `codes` (parents named by an import may be
    /// in the database rather than the file).
    pub async fn existing_grids(&mut self) -> Result<Vec<Grid>> {
        let rows = sqlx::query("SELECT code, name, parent, level, path FROM grids")
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(grid_from).collect()
    }
}

impl Store {
    /// Refreshes PostgreSQL's planner statistics of the roster tables (after an import).
    /// SQLite plans these look-ups from their indexes alone and keeps no statistics here.
    pub async fn refresh_roster_statistics(&self) -> Result<()> {
        if self.backend() == super::Backend::Postgres {
            sqlx::query("ANALYZE grids, chat_groups, people, identities, grants")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    pub async fn grid_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM grids")
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }

    pub async fn grid(&self, code: &str) -> Result<Option<Grid>> {
        let mut tx = self.begin().await?;
        let grid = tx.grid(code).await?;
        tx.commit().await?;
        Ok(grid)
    }
}
