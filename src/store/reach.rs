//! Who can be reached where: the private chats the bot may write in, the coordinators of a
//! grid with their private chats, and the census `gridline doctor` reads (which grid nodes
//! have a channel for escalations).

use std::collections::HashMap;

use super::{Result, Store, Tx, col};

/// A coordinator's account on one platform, with the private chat the bot may write in there
/// (if it knows one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub person: String,
    pub name: String,
    pub platform: String,
    pub user_id: String,
    /// `(account, chat id)` of a private chat the person opened with the bot.
    pub private: Option<(String, String)>,
}

/// One grid node as `gridline doctor` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChannels {
    pub code: String,
    pub name: String,
    pub level: String,
    pub path: String,
    /// Active groups bound to the node.
    pub groups: i64,
    /// The node's coordinators' accounts.
    pub coordinators: Vec<Contact>,
}

fn contact(r: &sqlx::any::AnyRow) -> Result<Contact> {
    let account: Option<String> = col(r, "account")?;
    let chat: Option<String> = col(r, "chat_id")?;
    Ok(Contact {
        person: col(r, "code")?,
        name: col(r, "name")?,
        platform: col(r, "platform")?,
        user_id: col(r, "user_id")?,
        private: account.zip(chat),
    })
}

const CONTACTS: &str = "SELECT g.grid, p.code, p.name, i.platform, i.user_id, pc.account, pc.chat_id \
     FROM grants g JOIN people p ON p.code = g.person \
     JOIN identities i ON i.person = g.person \
     LEFT JOIN private_chats pc ON pc.platform = i.platform AND pc.user_id = i.user_id \
     WHERE g.role = 'coordinator'";

impl Tx {
    /// Remembers that `user_id` wrote to the bot (`account`) in the private chat `chat_id`.
    pub async fn remember_private_chat(
        &mut self,
        platform: &str,
        user_id: &str,
        account: &str,
        chat_id: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO private_chats (platform, user_id, account, chat_id, seen_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (platform, user_id) DO UPDATE SET account = excluded.account, \
               chat_id = excluded.chat_id, seen_at = excluded.seen_at",
        )
        .bind(platform.to_string())
        .bind(user_id.to_string())
        .bind(account.to_string())
        .bind(chat_id.to_string())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The private chat `user_id` opened with the bot on `platform`: `(account, chat id)`.
    pub async fn private_chat(
        &mut self,
        platform: &str,
        user_id: &str,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT account, chat_id FROM private_chats WHERE platform = $1 AND user_id = $2",
        )
        .bind(platform.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| Ok((col(&r, "account")?, col(&r, "chat_id")?)))
            .transpose()
    }

    /// The coordinators granted on exactly `grid`, one row per account they have.
    pub async fn coordinator_contacts(&mut self, grid: &str) -> Result<Vec<Contact>> {
        let sql = format!("{CONTACTS} AND g.grid = $1 ORDER BY p.code, i.platform, i.user_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(grid.to_string())
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(contact).collect()
    }
}

impl Store {
    /// Forgets the private chat `chat_id` (a send there failed for good: the person blocked
    /// the bot or never started it). Nothing happens for a group chat.
    pub async fn forget_private_chat(&self, platform: &str, chat_id: &str) -> Result<u64> {
        let mut turn = self.write_turn().await?;
        let done = sqlx::query("DELETE FROM private_chats WHERE platform = $1 AND chat_id = $2")
            .bind(platform.to_string())
            .bind(chat_id.to_string())
            .execute(turn.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Every grid node with its bound groups and its coordinators' accounts.
    pub async fn node_channels(&self) -> Result<Vec<NodeChannels>> {
        let grids = sqlx::query(
            "SELECT g.code, g.name, g.level, g.path, \
               (SELECT COUNT(*) FROM chat_groups c WHERE c.grid = g.code AND c.active = 1) AS n \
             FROM grids g ORDER BY g.path",
        )
        .fetch_all(self.pool())
        .await?;
        let sql = format!("{CONTACTS} ORDER BY g.grid, p.code, i.platform, i.user_id");
        let contacts = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        let mut by_grid: HashMap<String, Vec<Contact>> = HashMap::new();
        for r in &contacts {
            let grid: String = col(r, "grid")?;
            by_grid.entry(grid).or_default().push(contact(r)?);
        }
        grids
            .iter()
            .map(|r| {
                let code: String = col(r, "code")?;
                Ok(NodeChannels {
                    coordinators: by_grid.remove(&code).unwrap_or_default(),
                    name: col(r, "name")?,
                    level: col(r, "level")?,
                    path: col(r, "path")?,
                    groups: col(r, "n")?,
                    code,
                })
            })
            .collect()
    }
}
