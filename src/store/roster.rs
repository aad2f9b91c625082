//! The roster: grids, chat groups bound to them, people, their platform identities and roles.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, rows_source};
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

/// Group bindings, senders and on-duty candidates already read. The engine turns it on for a
/// batch of events (most of a burst comes from the same groups and senders) and drops it
/// whenever an event may change the roster; every roster write here drops it too.
#[derive(Debug, Default)]
pub(crate) struct RosterCache {
    groups: HashMap<(String, String), Option<GroupBinding>>,
    senders: HashMap<(String, String), SenderInfo>,
    /// Keyed by grid and platform: leave is judged when asked ([`DutyCandidate::pick`]), so an
    /// entry stays right as time passes.
    on_duty: HashMap<(String, String), Vec<DutyCandidate>>,
    /// Grids by code (`None`: no such grid), for names, paths and levels.
    grids: HashMap<String, Option<Grid>>,
    /// The active groups bound to a grid ([`Tx::groups_of_grid`]).
    grid_groups: HashMap<String, Vec<crate::store::timers::ChatTarget>>,
    /// Holders of a role on a grid, with their user id on a platform ([`Tx::holders`]).
    holders: HashMap<(String, String, String), Vec<Person>>,
}

/// How many entries of one kind the shared memo keeps before it starts afresh: a county's
/// groups and its active senders fit, a runaway does not.
const MEMO_MAX: usize = 200_000;

impl RosterCache {
    /// Takes over `other`'s entries (newer reads win).
    fn absorb(&mut self, other: RosterCache) {
        fn merge<K: std::hash::Hash + Eq, V>(into: &mut HashMap<K, V>, from: HashMap<K, V>) {
            if into.len() + from.len() > MEMO_MAX {
                into.clear();
            }
            into.extend(from);
        }
        merge(&mut self.groups, other.groups);
        merge(&mut self.senders, other.senders);
        merge(&mut self.on_duty, other.on_duty);
        merge(&mut self.grids, other.grids);
        merge(&mut self.grid_groups, other.grid_groups);
        merge(&mut self.holders, other.holders);
    }
}

/// Roster lookups shared by the transactions of one process, valid for one roster generation
/// (migration 0008: every roster change raises it, by trigger). A transaction checks the
/// generation when it turns its cache on ([`Tx::cache_roster`]), reads from here what it lacks,
/// and hands back what it read when it commits without having changed the roster. At county
/// scale this spares each batch most of its roster statements: the busy groups and senders are
/// the same from one batch to the next.
#[derive(Debug, Default)]
pub(crate) struct RosterMemo {
    generation: Option<i64>,
    cache: RosterCache,
    /// Every group of this generation has been read in ([`Store::remember_roster`]).
    whole: bool,
}

impl RosterMemo {
    /// Whether every one of these groups and senders, and who is on duty for the groups'
    /// grids, is remembered (under whatever generation: a stale memo is caught by the
    /// transaction that uses it).
    fn knows(&self, chats: &[(String, String)], senders: &[(String, String)]) -> bool {
        let c = &self.cache;
        senders.iter().all(|k| c.senders.contains_key(k))
            && chats.iter().all(|k| match c.groups.get(k) {
                Some(Some(b)) => c.on_duty.contains_key(&(b.grid.clone(), k.0.clone())),
                Some(None) => true,
                None => false,
            })
    }

    /// Starts afresh for a newer generation. Generations only grow: a reader still on an
    /// older snapshot leaves the newer memo be (and, its generation not matching, neither
    /// uses nor feeds it).
    fn turn_to(&mut self, generation: i64) {
        if self.generation.is_none_or(|g| g < generation) {
            *self = RosterMemo {
                generation: Some(generation),
                cache: RosterCache::default(),
                whole: false,
            };
        }
    }
}

/// A leader or deputy of a grid, as [`Tx::on_duty`] chooses among them.
#[derive(Debug, Clone)]
pub(crate) struct DutyCandidate {
    deputy: bool,
    person: Person,
    on_leave_until: Option<i64>,
}

impl DutyCandidate {
    /// Who is on duty at `now`: leaders before deputies, then by code; nobody on leave.
    fn pick(candidates: &[DutyCandidate], now: i64) -> Option<Person> {
        candidates
            .iter()
            .filter(|c| c.on_leave_until.is_none_or(|until| until <= now))
            .min_by(|a, b| (a.deputy, &a.person.code).cmp(&(b.deputy, &b.person.code)))
            .map(|c| c.person.clone())
    }

    fn from_row(row: &AnyRow) -> Result<DutyCandidate> {
        Ok(DutyCandidate {
            deputy: col::<String>(row, "role")? != "leader",
            person: person_from(row)?,
            on_leave_until: col(row, "on_leave_until")?,
        })
    }
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

/// A [`GroupBinding`] from a row with `grid`, `path`, `title`, `active` and `account`.
fn binding_from(row: &AnyRow) -> Result<GroupBinding> {
    Ok(GroupBinding {
        grid: col(row, "grid")?,
        grid_path: col(row, "path")?,
        title: col(row, "title")?,
        active: col::<i64>(row, "active")? != 0,
        account: col(row, "account")?,
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

/// Group bindings with their grid's path, as [`binding_from`] reads them.
const GROUP_BINDINGS: &str = "SELECT g.platform, g.chat_id, g.grid, r.path, g.title, g.active, \
     g.account FROM chat_groups g JOIN grids r ON r.code = g.grid";

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

/// The leaders and deputies of grids, with their user id on the platform bound as parameter
/// `platform` (`$1`, or `?` where every parameter is anonymous: sqlx numbers SQLite's anonymous
/// parameters apart from named ones, so one statement must not mix them) and their leave; the
/// caller adds the grid condition. [`DutyCandidate::pick`] chooses.
fn duty_candidates(platform: &str) -> String {
    format!(
        "SELECT g.grid, g.role, p.on_leave_until, {} \
         FROM grants g JOIN people p ON p.code = g.person \
         WHERE g.role IN ('leader', 'deputy')",
        person_columns(platform)
    )
}

/// The columns [`person_from`] reads, from `people p`: code, name, and the person's user id on
/// the platform bound as parameter `platform` (their first, when they have several).
fn person_columns(platform: &str) -> String {
    format!(
        "p.code, p.name, \
         (SELECT i.user_id FROM identities i WHERE i.person = p.code AND i.platform = {platform} \
         ORDER BY i.user_id LIMIT 1) AS user_id"
    )
}

/// The memo's lock. Its holders only copy maps, so a panic cannot leave it half-changed in a
/// way that matters: a poisoned lock is used as it is.
pub(crate) fn lock_memo(
    memo: &std::sync::Mutex<RosterMemo>,
) -> std::sync::MutexGuard<'_, RosterMemo> {
    memo.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// After a commit: hands a transaction's lookups to the shared memo, unless the roster changed
/// meanwhile (in that transaction, which then has no generation, or, as far as the generation
/// tells, elsewhere).
pub(super) fn remember(
    cache: Option<RosterCache>,
    generation: Option<i64>,
    memo: &std::sync::Mutex<RosterMemo>,
) {
    let (Some(cache), Some(generation)) = (cache, generation) else {
        return;
    };
    let mut memo = lock_memo(memo);
    if memo.generation == Some(generation) {
        memo.cache.absorb(cache);
    }
}

impl Tx {
    pub async fn group(&mut self, platform: &str, chat_id: &str) -> Result<Option<GroupBinding>> {
        let key = (platform.to_string(), chat_id.to_string());
        if let Some(hit) = self.look(|c| c.groups.get(&key).cloned()) {
            return Ok(hit);
        }
        let row = sqlx::query(
            "SELECT g.grid, r.path, g.title, g.active, g.account FROM chat_groups g \
             JOIN grids r ON r.code = g.grid WHERE g.platform = $1 AND g.chat_id = $2",
        )
        .bind(platform.to_string())
        .bind(chat_id.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| binding_from(&r)).transpose().inspect(|g| {
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
        // The binding as this transaction will remember it: a copy of the shared memo's entry
        // with the new account, so the memo learns the account at commit.
        let remembered = self.look(|c| c.groups.get(&key).cloned());
        if let (Some(cache), Some(Some(mut binding))) = (&mut self.roster, remembered) {
            binding.account = account.to_string();
            cache.groups.insert(key, Some(binding));
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
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "UPDATE chat_groups SET account = v.column3 FROM ({}) AS v \
                 WHERE chat_groups.platform = v.column1 AND chat_groups.chat_id = v.column2",
                rows_source(backend, 1, &[Ty::Text, Ty::Text, Ty::Text], count)
            )
        };
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(p, c, a)| serde_json::json!([p, c, a]))
                .collect();
            bind_rows(backend, sqlx::query(AssertSqlSafe(sql(chunk.len()))), &rows)?
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn grid(&mut self, code: &str) -> Result<Option<Grid>> {
        if let Some(hit) = self.look(|c| c.grids.get(code).cloned()) {
            return Ok(hit);
        }
        let row = sqlx::query("SELECT code, name, parent, level, path FROM grids WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(self.conn())
            .await?;
        let grid = row.map(|r| grid_from(&r)).transpose()?;
        if let Some(c) = &mut self.roster {
            c.grids.insert(code.to_string(), grid.clone());
        }
        Ok(grid)
    }

    /// The active groups bound to exactly `grid`, by platform and chat id.
    pub async fn groups_of_grid(
        &mut self,
        grid: &str,
    ) -> Result<Vec<crate::store::timers::ChatTarget>> {
        if let Some(hit) = self.look(|c| c.grid_groups.get(grid).cloned()) {
            return Ok(hit);
        }
        let rows = sqlx::query(
            "SELECT platform, account, chat_id FROM chat_groups WHERE grid = $1 AND active = 1 \
             ORDER BY platform, chat_id",
        )
        .bind(grid.to_string())
        .fetch_all(self.conn())
        .await?;
        let groups = rows
            .iter()
            .map(|r| {
                Ok(crate::store::timers::ChatTarget {
                    platform: col(r, "platform")?,
                    account: col(r, "account")?,
                    chat_id: col(r, "chat_id")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(c) = &mut self.roster {
            c.grid_groups.insert(grid.to_string(), groups.clone());
        }
        Ok(groups)
    }

    /// People holding `role` on exactly `grid`, with their user id on `platform`, by code.
    pub async fn holders(&mut self, grid: &str, role: &str, platform: &str) -> Result<Vec<Person>> {
        let key = (grid.to_string(), role.to_string(), platform.to_string());
        if let Some(hit) = self.look(|c| c.holders.get(&key).cloned()) {
            return Ok(hit);
        }
        // A grid's deputies are among its on-duty candidates, read with the same user id.
        if role == "deputy" {
            let duty = (grid.to_string(), platform.to_string());
            if let Some(mut deputies) = self.look(|c| {
                c.on_duty.get(&duty).map(|candidates| {
                    candidates
                        .iter()
                        .filter(|d| d.deputy)
                        .map(|d| d.person.clone())
                        .collect::<Vec<_>>()
                })
            }) {
                deputies.sort_by(|a, b| a.code.cmp(&b.code));
                return Ok(deputies);
            }
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM grants g JOIN people p ON p.code = g.person \
             WHERE g.grid = $1 AND g.role = $2 ORDER BY p.code",
            person_columns("$3")
        )))
        .bind(grid.to_string())
        .bind(role.to_string())
        .bind(platform.to_string())
        .fetch_all(self.conn())
        .await?;
        let people = rows.iter().map(person_from).collect::<Result<Vec<_>>>()?;
        if let Some(c) = &mut self.roster {
            c.holders.insert(key, people.clone());
        }
        Ok(people)
    }

    /// The grids whose leader or deputy is named `name` (a coordinator's "李建国那边"), by code;
    /// at most 10.
    pub async fn grids_held_by_name(&mut self, name: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT g.grid AS grid FROM grants g JOIN people p ON p.code = g.person \
             WHERE p.name = $1 AND g.role IN ('leader', 'deputy') ORDER BY g.grid LIMIT 10",
        )
        .bind(name.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| col(r, "grid")).collect()
    }

    /// The grids directly under `code` (at most 1,000), by code.
    pub async fn child_grids(&mut self, code: &str) -> Result<Vec<Grid>> {
        let rows = sqlx::query(
            "SELECT code, name, parent, level, path FROM grids WHERE parent = $1 \
             ORDER BY code LIMIT 1000",
        )
        .bind(code.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(grid_from).collect()
    }

    /// A grid directly under `code`, for an example of a full ticket number.
    pub async fn first_child_grid(&mut self, code: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT code FROM grids WHERE parent = $1 ORDER BY code LIMIT 1")
            .bind(code.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| col(&r, "code")).transpose()
    }

    /// The sender's person and grants, through their platform identity.
    pub async fn sender(&mut self, platform: &str, user_id: &str) -> Result<SenderInfo> {
        let key = (platform.to_string(), user_id.to_string());
        if let Some(hit) = self.look(|c| c.senders.get(&key).cloned()) {
            return Ok(hit);
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
        let key = (grid.to_string(), platform.to_string());
        if let Some(hit) = self.look(|c| c.on_duty.get(&key).map(|d| DutyCandidate::pick(d, now))) {
            return Ok(hit);
        }
        let sql = format!("{} AND g.grid = $2", duty_candidates("$1"));
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(platform.to_string())
            .bind(grid.to_string())
            .fetch_all(self.conn())
            .await?;
        let candidates = rows
            .iter()
            .map(DutyCandidate::from_row)
            .collect::<Result<Vec<_>>>()?;
        let person = DutyCandidate::pick(&candidates, now);
        if let Some(c) = &mut self.roster {
            c.on_duty.insert(key, candidates);
        }
        Ok(person)
    }

    /// Remembers roster lookups for the rest of this transaction (until [`Tx::forget_roster`]),
    /// and uses the lookups of earlier transactions while the roster has not changed since
    /// ([`RosterMemo`]).
    pub async fn cache_roster(&mut self) -> Result<()> {
        self.roster.get_or_insert_with(RosterCache::default);
        let Some(generation) = self.roster_generation().await? else {
            return Ok(());
        };
        lock_memo(&self.memo).turn_to(generation);
        self.memo_generation = Some(generation);
        Ok(())
    }

    /// Ends a transaction that only read the roster: what it read goes to the shared memo if
    /// the generation it was read under still holds. On PostgreSQL each statement of a
    /// read-committed transaction sees the latest commits, and a roster change in between
    /// would otherwise be remembered under the generation before it.
    async fn publish_read(mut self) -> Result<()> {
        if self.roster_generation().await? != self.memo_generation {
            self.forget_roster();
        }
        self.commit().await
    }

    /// The roster's generation (migration 0008), raised by every roster change.
    async fn roster_generation(&mut self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT n FROM roster_generation WHERE id = 1")
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| col(&r, "n")).transpose()
    }

    /// Drops what [`Tx::cache_roster`] remembered: the roster may have changed. This
    /// transaction neither reads the shared memo again nor adds to it.
    pub fn forget_roster(&mut self) {
        self.memo_generation = None;
        if let Some(c) = &mut self.roster {
            *c = RosterCache::default();
        }
    }

    /// What this transaction's cache, or else the shared memo while its generation holds,
    /// answers for `pick` (`None` when the cache is off). Entries read from the memo are not
    /// copied into the transaction: it hands back at commit only what it read itself.
    fn look<R>(&self, pick: impl Fn(&RosterCache) -> Option<R>) -> Option<R> {
        let cache = self.roster.as_ref()?;
        if let Some(hit) = pick(cache) {
            return Some(hit);
        }
        let generation = self.memo_generation?;
        let memo = lock_memo(&self.memo);
        (memo.generation == Some(generation))
            .then(|| pick(&memo.cache))
            .flatten()
    }

    /// The distinct keys of `keys` that neither this transaction's cache nor the shared memo
    /// answers for `has` (all of them when the cache is off), in first-seen order.
    fn unknown<'k>(
        &self,
        keys: &'k [(String, String)],
        has: impl Fn(&RosterCache, &(String, String)) -> bool,
    ) -> Vec<&'k (String, String)> {
        let Some(cache) = &self.roster else {
            return dedup(keys, |_| false);
        };
        let memo = lock_memo(&self.memo);
        let current = self.memo_generation.is_some() && memo.generation == self.memo_generation;
        dedup(keys, |k| has(cache, k) || (current && has(&memo.cache, k)))
    }

    /// With the cache on, reads the bindings of `chats`, the identities of `senders`
    /// (`(platform, id)` pairs) and who may be on duty for the chats' grids in a few
    /// statements instead of one each.
    pub async fn prefetch_roster(
        &mut self,
        chats: &[(String, String)],
        senders: &[(String, String)],
    ) -> Result<()> {
        if self.roster.is_none() {
            return Ok(());
        }
        let wanted_chats = chats;
        let chats = self.unknown(chats, |c, k| c.groups.contains_key(k));
        let senders = self.unknown(senders, |c, k| c.senders.contains_key(k));
        let mut groups = HashMap::new();
        for (platform, ids) in by_platform(&chats) {
            let rows = self
                .select_in(platform, &ids, |platform, list| {
                    format!(
                        "{GROUP_BINDINGS} WHERE g.platform = {platform} AND g.chat_id IN ({list})"
                    )
                })
                .await?;
            for r in rows {
                let key: (String, String) = (col(&r, "platform")?, col(&r, "chat_id")?);
                groups.insert(key, binding_from(&r)?);
            }
        }
        let mut infos: HashMap<(String, String), SenderInfo> = HashMap::new();
        for (platform, ids) in by_platform(&senders) {
            let rows = self
                .select_in(platform, &ids, |platform, list| {
                    format!(
                        "SELECT i.platform, i.user_id, i.person, g.role, g.grid, r.path FROM identities i \
                         LEFT JOIN grants g ON g.person = i.person \
                         LEFT JOIN grids r ON r.code = g.grid \
                         WHERE i.platform = {platform} AND i.user_id IN ({list})"
                    )
                })
                .await?;
            for r in rows {
                let key: (String, String) = (col(&r, "platform")?, col(&r, "user_id")?);
                add_sender_row(infos.entry(key).or_default(), &r)?;
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
        let grids: Vec<(String, String)> = wanted_chats
            .iter()
            .filter_map(|key| {
                let binding = self.look(|c| c.groups.get(key).cloned()).flatten()?;
                Some((binding.grid, key.0.clone()))
            })
            .collect();
        self.prefetch_on_duty(&grids).await
    }

    /// [`Tx::on_duty`] for these (grid, platform) keys, one statement per platform.
    async fn prefetch_on_duty(&mut self, keys: &[(String, String)]) -> Result<()> {
        if self.roster.is_none() {
            return Ok(());
        }
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (grid, platform) in self.unknown(keys, |c, k| c.on_duty.contains_key(k)) {
            wanted
                .entry(platform.clone())
                .or_default()
                .insert(grid.clone());
        }
        for (platform, grids) in wanted {
            let grids: Vec<&str> = grids.iter().map(String::as_str).collect();
            let rows = self
                .select_in(&platform, &grids, |platform, list| {
                    format!("{} AND g.grid IN ({list})", duty_candidates(platform))
                })
                .await?;
            let mut found: HashMap<String, Vec<DutyCandidate>> = HashMap::new();
            for r in rows {
                found
                    .entry(col(&r, "grid")?)
                    .or_default()
                    .push(DutyCandidate::from_row(&r)?);
            }
            if let Some(cache) = &mut self.roster {
                for g in grids {
                    let candidates = found.remove(g).unwrap_or_default();
                    cache
                        .on_duty
                        .insert((g.to_string(), platform.clone()), candidates);
                }
            }
        }
        Ok(())
    }

    /// The rows of `sql(platform parameter, id parameters)` for `ids` on `platform`, in
    /// chunks well under the backends' parameter limits. One platform per statement, so that
    /// SQLite searches the primary key (`platform = ? AND id IN (…)`); a row-value IN over
    /// VALUES scans the table.
    async fn select_in(
        &mut self,
        platform: &str,
        ids: &[&str],
        sql: impl Fn(&str, &str) -> String,
    ) -> Result<Vec<AnyRow>> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(400) {
            let text = sql(
                &param(self.backend, 1),
                &params(self.backend, 2, chunk.len()),
            );
            let mut q = sqlx::query(AssertSqlSafe(text)).bind(platform.to_string());
            for id in chunk {
                q = q.bind(id.to_string());
            }
            rows.extend(q.fetch_all(self.conn()).await?);
        }
        Ok(rows)
    }

    /// A person by code, or by name (several matches possible), or by their user id on
    /// `platform`; with their user id on `platform`.
    pub async fn find_people(&mut self, query: &str, platform: &str) -> Result<Vec<Person>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT DISTINCT {} FROM people p WHERE p.code = $1 OR p.name = $1 \
             OR p.code IN (SELECT person FROM identities WHERE platform = $2 AND user_id = $1) \
             ORDER BY p.code LIMIT 10",
            person_columns("$2")
        )))
        .bind(query.to_string())
        .bind(platform.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(person_from).collect()
    }

    /// The person with this code, with their user id on `platform`: one look-up by the
    /// primary key. (Asked through [`find_people`](Self::find_people), the name and user-id
    /// alternatives made SQLite read every person, 8.5 ms with 40,000 people, for each
    /// reminder a timer sent.)
    pub async fn person(&mut self, code: &str, platform: &str) -> Result<Option<Person>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM people p WHERE p.code = $1",
            person_columns("$2")
        )))
        .bind(code.to_string())
        .bind(platform.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(person_from).transpose()
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

    /// The upserts return how many rows were new or changed (an unchanged row is not written).
    pub async fn upsert_grids(&mut self, rows: &[GridRow]) -> Result<u64> {
        self.forget_roster();
        let mut written = 0;
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
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
    }

    pub async fn upsert_groups(&mut self, rows: &[GroupRow]) -> Result<u64> {
        self.forget_roster();
        let mut written = 0;
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
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
    }

    pub async fn upsert_people(&mut self, rows: &[PersonRow]) -> Result<u64> {
        self.forget_roster();
        let mut written = 0;
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
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
    }

    pub async fn upsert_identities(&mut self, rows: &[IdentityRow]) -> Result<u64> {
        self.forget_roster();
        let mut written = 0;
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
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
    }

    pub async fn upsert_grants(&mut self, rows: &[GrantRow]) -> Result<u64> {
        self.forget_roster();
        let mut written = 0;
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
            written += q.execute(self.conn()).await?.rows_affected();
        }
        Ok(written)
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
    /// Reads the roster entries of these groups and senders (and who is on duty for the
    /// groups' grids) that the shared memo lacks, outside any write transaction, and adds them
    /// to the memo. The intake does this for a batch while the batch before it is being
    /// written, so the batch's own transaction finds its roster remembered.
    ///
    pub async fn warm_roster(
        &self,
        chats: &[(String, String)],
        senders: &[(String, String)],
    ) -> Result<()> {
        if lock_memo(&self.memo).knows(chats, senders) {
            return Ok(());
        }
        let mut tx = self.begin_read().await?;
        tx.cache_roster().await?;
        tx.prefetch_roster(chats, senders).await?;
        tx.publish_read().await
    }

    /// The roster's generation (migration 0008): it moves when grids, groups, people, identities
    /// or grants change, and only then, since every move empties the engine's memo.
    pub async fn roster_generation(&self) -> Result<Option<i64>> {
        let mut tx = self.begin_read().await?;
        let n = tx.roster_generation().await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Reads every group binding, and who may be on duty for every bound grid, into the shared
    /// memo: what a running daemon would otherwise read group by group as each first speaks,
    /// inside its write transactions. The application does it in the background at start
    /// (about 0.2 s for a county's 40,000 groups). A roster too big for the memo is left to be
    /// read as it comes; so is a roster already read in. Returns how many groups were read.
    pub async fn remember_roster(&self) -> Result<usize> {
        let mut tx = self.begin_read().await?;
        tx.cache_roster().await?;
        let whole = {
            let memo = lock_memo(&self.memo);
            memo.whole && memo.generation == tx.memo_generation
        };
        if whole || tx.memo_generation.is_none() {
            return Ok(0);
        }
        let rows = sqlx::query(GROUP_BINDINGS).fetch_all(tx.conn()).await?;
        let Some(cache) = tx.roster.as_mut().filter(|_| rows.len() <= MEMO_MAX / 2) else {
            return Ok(0);
        };
        let mut grids = Vec::with_capacity(rows.len());
        for r in &rows {
            let key: (String, String) = (col(r, "platform")?, col(r, "chat_id")?);
            let binding = binding_from(r)?;
            grids.push((binding.grid.clone(), key.0.clone()));
            cache.groups.insert(key, Some(binding));
        }
        tx.prefetch_on_duty(&grids).await?;
        // The whole tree too: names, paths and levels for cards and escalations.
        let tree = sqlx::query("SELECT code, name, parent, level, path FROM grids")
            .fetch_all(tx.conn())
            .await?;
        if tree.len() <= MEMO_MAX / 2
            && let Some(cache) = tx.roster.as_mut()
        {
            for r in &tree {
                let grid = grid_from(r)?;
                cache.grids.insert(grid.code.clone(), Some(grid));
            }
        }
        let generation = tx.memo_generation;
        tx.publish_read().await?;
        let mut memo = lock_memo(&self.memo);
        if generation.is_some() && memo.generation == generation {
            memo.whole = true;
        }
        Ok(rows.len())
    }

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
        let mut tx = self.begin_read().await?;
        let grid = tx.grid(code).await?;
        tx.commit().await?;
        Ok(grid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(code: &str, deputy: bool, on_leave_until: Option<i64>) -> DutyCandidate {
        DutyCandidate {
            deputy,
            person: Person {
                code: code.into(),
                name: code.into(),
                user_id: None,
            },
            on_leave_until,
        }
    }

    #[test]
    fn duty_goes_to_the_first_leader_not_on_leave() {
        let grid = [
            candidate("D1", true, None),
            candidate("L2", false, None),
            candidate("L1", false, Some(1_000)),
        ];
        let on_duty = |now| DutyCandidate::pick(&grid, now).map(|p| p.code);
        // L1 is on leave until 1,000: the other leader, not the deputy.
        assert_eq!(on_duty(999).as_deref(), Some("L2"));
        // The leave ends by itself: the same candidates answer differently later.
        assert_eq!(on_duty(1_000).as_deref(), Some("L1"));
        let only_deputies = [candidate("D2", true, None), candidate("D1", true, None)];
        assert_eq!(
            DutyCandidate::pick(&only_deputies, 0).map(|p| p.code),
            Some("D1".into())
        );
        let all_away = [candidate("L1", false, Some(5))];
        assert_eq!(DutyCandidate::pick(&all_away, 4), None);
    }

    #[test]
    fn the_memo_follows_only_newer_generations() {
        let mut memo = RosterMemo::default();
        memo.turn_to(5);
        memo.cache
            .groups
            .insert(("memory".into(), "g1".into()), None);
        memo.turn_to(4);
        assert_eq!(
            memo.generation,
            Some(5),
            "an older reader does not turn it back"
        );
        assert_eq!(memo.cache.groups.len(), 1);
        memo.turn_to(6);
        assert_eq!(memo.generation, Some(6));
        assert!(
            memo.cache.groups.is_empty(),
            "a newer generation starts afresh"
        );

        // What a transaction read under an older generation is not remembered.
        let shared = std::sync::Mutex::new(memo);
        let mut stale = RosterCache::default();
        stale.groups.insert(("memory".into(), "g2".into()), None);
        remember(Some(stale), Some(5), &shared);
        assert!(lock_memo(&shared).cache.groups.is_empty());
    }

    #[tokio::test]
    async fn a_roster_read_ahead_is_remembered_until_the_roster_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::open(&url, 4, std::time::Duration::from_secs(5))
            .await
            .expect("store");
        let roster = "kind,code,name,parent,level,platform,external_id,role\n\
            grid,T,镇,,town,,,\ngrid,A,甲,T,grid,,,\ngrid,B,乙,T,grid,,,\n\
            group,,群,A,,memory,g1,\nperson,L1,张伟,A,,memory,u1,leader\n";
        crate::import::import_csv(&store, roster.as_bytes())
            .await
            .expect("import");
        let key = ("memory".to_string(), "g1".to_string());
        let sender = ("memory".to_string(), "u1".to_string());
        store
            .warm_roster(std::slice::from_ref(&key), std::slice::from_ref(&sender))
            .await
            .expect("warm");
        {
            let memo = lock_memo(&store.memo);
            assert!(memo.knows(std::slice::from_ref(&key), std::slice::from_ref(&sender)));
            let bound = memo.cache.groups.get(&key).expect("group remembered");
            assert_eq!(bound.as_ref().map(|b| b.grid.as_str()), Some("A"));
            assert!(memo.cache.senders.contains_key(&sender));
            assert!(
                memo.cache
                    .on_duty
                    .contains_key(&("A".to_string(), "memory".to_string()))
            );
        }
        // The group moves: the next transaction reads the new binding, not the memo's.
        crate::import::import_csv(&store, roster.replace("群,A,", "群,B,").as_bytes())
            .await
            .expect("move");
        let mut tx = store.begin().await.expect("begin");
        tx.cache_roster().await.expect("cache");
        let bound = tx.group("memory", "g1").await.expect("group");
        assert_eq!(bound.map(|b| b.grid), Some("B".to_string()));
        tx.commit().await.expect("commit");

        // The whole roster read in at once, and only once per generation.
        assert_eq!(store.remember_roster().await.expect("remember"), 1);
        assert_eq!(store.remember_roster().await.expect("again"), 0);
        {
            let memo = lock_memo(&store.memo);
            let bound = memo.cache.groups.get(&key).expect("group remembered");
            assert_eq!(bound.as_ref().map(|b| b.grid.as_str()), Some("B"));
            assert!(
                memo.cache
                    .on_duty
                    .contains_key(&("B".to_string(), "memory".to_string()))
            );
        }
        crate::import::import_csv(&store, roster.as_bytes())
            .await
            .expect("move back");
        assert_eq!(store.remember_roster().await.expect("after a change"), 1);
    }

    #[test]
    fn the_memo_forgets_everything_past_its_bound() {
        let mut memo = RosterCache::default();
        let mut batch = RosterCache::default();
        batch.groups.insert(("memory".into(), "g1".into()), None);
        memo.absorb(batch);
        assert_eq!(memo.groups.len(), 1);
        let mut big = RosterCache::default();
        for i in 0..MEMO_MAX {
            big.senders
                .insert(("memory".into(), format!("u{i}")), SenderInfo::default());
        }
        memo.absorb(big);
        assert_eq!(memo.senders.len(), MEMO_MAX);
        let mut one_more = RosterCache::default();
        one_more
            .senders
            .insert(("memory".into(), "late".into()), SenderInfo::default());
        memo.absorb(one_more);
        assert_eq!(memo.senders.len(), 1, "started afresh");
        assert_eq!(memo.groups.len(), 1, "other kinds kept");
    }
}
