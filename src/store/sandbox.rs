//! The sandbox's storage: the message history of its group chats, the button presses people
//! made there, and the read-only views of the roster and tickets that its page shows.
//!
//! A message is written here only after the inbox committed it (people's messages) or when the
//! outbox delivers it (the bot's), so the history never shows a message gridline did not take.
//! Its id is taken first ([`Store::sandbox_next_id`]) because the inbox event carries it.

use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

use super::{Result, Store, StoreError, col};
use crate::domain::Role;
use crate::domain::message::{Button, InboundEvent};

/// The sender id of the bot's messages.
pub const BOT: &str = "bot";

/// One message in a sandbox group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxMessage {
    pub id: i64,
    pub group_id: String,
    /// Position in the group: later messages have larger numbers.
    pub seq: i64,
    /// Persona id, or [`BOT`].
    pub from: String,
    pub name: String,
    pub text: String,
    pub reply_to: Option<i64>,
    pub buttons: Vec<Button>,
    pub at: i64,
    pub edited_at: Option<i64>,
    /// An attached photo, as a data URL.
    pub photo: Option<String>,
}

/// A message to append; `id` comes from [`Store::sandbox_next_id`].
#[derive(Debug, Clone)]
pub struct NewSandboxMessage<'a> {
    pub id: i64,
    pub group_id: &'a str,
    pub from: &'a str,
    pub name: &'a str,
    pub text: &'a str,
    pub reply_to: Option<i64>,
    pub buttons: &'a [Button],
    pub at: i64,
    /// An attached photo, as a data URL.
    pub photo: Option<&'a str>,
}

/// A button press, kept so that the bot's answer reaches the person who pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPress {
    pub id: i64,
    pub group_id: String,
    pub persona: String,
    pub message_id: i64,
    pub button: String,
    pub at: i64,
}

/// A chat group bound to a grid on the sandbox platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxGroup {
    pub id: String,
    pub title: String,
    pub grid: String,
    pub grid_name: String,
    pub grid_path: String,
}

/// One role a sandbox persona holds (or none: a person with an identity and no grant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaGrant {
    /// The persona id: the person's user id on the sandbox platform.
    pub persona: String,
    pub person: String,
    pub name: String,
    pub role: Option<Role>,
    /// The grid the role is held on ("" for admins).
    pub grid: String,
    pub grid_path: Option<String>,
    pub grid_level: Option<String>,
}

/// A ticket as the sandbox's side panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTicket {
    pub id: i64,
    /// The number within the grid people see (`#12`).
    pub no: i64,
    pub state: String,
    /// Withdrawn by its reporter (撤销): stored as dismissed, told apart by its history.
    pub withdrawn: bool,
    /// Names of the residents who reported the same problem (我家也是, +1, linked reports).
    pub co_reporters: Vec<String>,
    pub category: String,
    pub urgency: String,
    pub location: Option<String>,
    pub body: String,
    pub reporter_name: String,
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub claim_due: i64,
    pub resolve_due: i64,
    /// The rating that decided the latest resolution.
    pub rating: Option<String>,
    /// Every rating it holds (the reporter's and each co-reporter's).
    pub ratings: i64,
    /// Its photos, and how many of them are evidence of the work (办结凭证).
    pub photos: i64,
    pub evidence: i64,
}

const MESSAGE_COLUMNS: &str =
    "id, group_id, seq, sender, sender_name, text, reply_to, buttons, created_at, edited_at, photo";

fn message_from_row(row: &sqlx::any::AnyRow) -> Result<SandboxMessage> {
    let id: i64 = col(row, "id")?;
    let buttons: String = col(row, "buttons")?;
    let buttons = serde_json::from_str(&buttons)
        .map_err(|e| StoreError::Corrupt(format!("sandbox message {id} buttons: {e}")))?;
    Ok(SandboxMessage {
        id,
        group_id: col(row, "group_id")?,
        seq: col(row, "seq")?,
        from: col(row, "sender")?,
        name: col(row, "sender_name")?,
        text: col(row, "text")?,
        reply_to: col(row, "reply_to")?,
        buttons,
        at: col(row, "created_at")?,
        edited_at: col(row, "edited_at")?,
        photo: col(row, "photo")?,
    })
}

fn buttons_json(buttons: &[Button]) -> Result<String> {
    serde_json::to_string(buttons).map_err(|e| StoreError::Corrupt(format!("buttons: {e}")))
}

impl Store {
    /// Takes the next id for a sandbox message or button press.
    pub async fn sandbox_next_id(&self) -> Result<i64> {
        let mut turn = self.write_turn().await?;
        let row = sqlx::query(
            "UPDATE sandbox_counters SET value = value + 1 WHERE name = 'event' RETURNING value",
        )
        .fetch_one(turn.conn())
        .await?;
        col(&row, "value")
    }

    /// Appends a message with an id already taken.
    pub async fn sandbox_append(&self, msg: &NewSandboxMessage<'_>) -> Result<SandboxMessage> {
        let mut turn = self.write_turn().await?;
        let mut tx = turn.conn().begin().await?;
        let stored = append_in(&mut tx, msg).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Appends one message per text (the bot's, split to the text limit), taking their ids in
    /// the same transaction. `buttons` go on the last part, `reply_to` on the first.
    pub async fn sandbox_append_bot(
        &self,
        group_id: &str,
        parts: &[String],
        reply_to: Option<i64>,
        buttons: &[Button],
        at: i64,
    ) -> Result<Vec<SandboxMessage>> {
        let mut turn = self.write_turn().await?;
        let mut tx = turn.conn().begin().await?;
        let mut stored = Vec::with_capacity(parts.len());
        for (i, text) in parts.iter().enumerate() {
            let row = sqlx::query(
                "UPDATE sandbox_counters SET value = value + 1 WHERE name = 'event' RETURNING value",
            )
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = col(&row, "value")?;
            let last = i + 1 == parts.len();
            let msg = NewSandboxMessage {
                id,
                group_id,
                from: BOT,
                name: "",
                text,
                reply_to: if i == 0 { reply_to } else { None },
                buttons: if last { buttons } else { &[] },
                at,
                photo: None,
            };
            stored.push(append_in(&mut tx, &msg).await?);
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// One message by id.
    pub async fn sandbox_message(&self, id: i64) -> Result<Option<SandboxMessage>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM sandbox_messages WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// Messages of a group in order: those after position `after_seq` (the first `limit`), or
    /// with `after_seq` None the latest `limit`.
    pub async fn sandbox_messages(
        &self,
        group_id: &str,
        after_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<SandboxMessage>> {
        let rows = match after_seq {
            Some(after) => {
                let sql = format!(
                    "SELECT {MESSAGE_COLUMNS} FROM sandbox_messages \
                     WHERE group_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(group_id.to_string())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {MESSAGE_COLUMNS} FROM sandbox_messages \
                     WHERE group_id = $1 ORDER BY seq DESC LIMIT $2"
                );
                let mut rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(group_id.to_string())
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?;
                rows.reverse();
                rows
            }
        };
        rows.iter().map(message_from_row).collect()
    }

    /// Replaces the text and buttons of a message in `group_id`. None when there is no such
    /// message there.
    pub async fn sandbox_edit(
        &self,
        group_id: &str,
        id: i64,
        text: &str,
        buttons: &[Button],
        at: i64,
    ) -> Result<Option<SandboxMessage>> {
        let sql = format!(
            "UPDATE sandbox_messages SET text = $1, buttons = $2, edited_at = $3 \
             WHERE id = $4 AND group_id = $5 RETURNING {MESSAGE_COLUMNS}"
        );
        let mut turn = self.write_turn().await?;
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(text.to_string())
            .bind(buttons_json(buttons)?)
            .bind(at)
            .bind(id)
            .bind(group_id.to_string())
            .fetch_optional(turn.conn())
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// Records a button press (id from [`Store::sandbox_next_id`]).
    pub async fn sandbox_record_press(&self, press: &SandboxPress) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query(
            "INSERT INTO sandbox_presses (id, group_id, persona, message_id, button, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(press.id)
        .bind(press.group_id.clone())
        .bind(press.persona.clone())
        .bind(press.message_id)
        .bind(press.button.clone())
        .bind(press.at)
        .execute(turn.conn())
        .await?;
        Ok(())
    }

    pub async fn sandbox_press(&self, id: i64) -> Result<Option<SandboxPress>> {
        let row = sqlx::query(
            "SELECT id, group_id, persona, message_id, button, created_at \
             FROM sandbox_presses WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(SandboxPress {
                id: col(&r, "id")?,
                group_id: col(&r, "group_id")?,
                persona: col(&r, "persona")?,
                message_id: col(&r, "message_id")?,
                button: col(&r, "button")?,
                at: col(&r, "created_at")?,
            })
        })
        .transpose()
    }

    /// The latest `limit` sandbox events in the inbox, oldest first: where a crash between the
    /// inbox commit and the history write leaves a message the history lacks.
    pub async fn sandbox_recent_events(
        &self,
        account: &str,
        limit: i64,
    ) -> Result<Vec<InboundEvent>> {
        let rows = sqlx::query(
            "SELECT id, payload FROM inbox WHERE platform = 'sandbox' AND account = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(account.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut events = rows
            .iter()
            .map(|row| {
                let id: i64 = col(row, "id")?;
                let payload: String = col(row, "payload")?;
                serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("inbox row {id}: {e}")))
            })
            .collect::<Result<Vec<InboundEvent>>>()?;
        events.reverse();
        Ok(events)
    }

    /// Which of `ids` the history (messages or presses) already holds.
    pub async fn sandbox_known_ids(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let mut known = Vec::new();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let list = list.join(",");
            let sql = format!(
                "SELECT id FROM sandbox_messages WHERE id IN ({list}) \
                 UNION SELECT id FROM sandbox_presses WHERE id IN ({list})"
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.pool()).await? {
                known.push(col(&row, "id")?);
            }
        }
        Ok(known)
    }

    /// The active groups on the sandbox platform, in grid-tree order.
    pub async fn sandbox_groups(&self) -> Result<Vec<SandboxGroup>> {
        let rows = sqlx::query(
            "SELECT c.chat_id, c.title, c.grid, g.name, g.path \
             FROM chat_groups c JOIN grids g ON g.code = c.grid \
             WHERE c.platform = 'sandbox' AND c.active = 1 \
             ORDER BY g.path, c.chat_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SandboxGroup {
                    id: col(r, "chat_id")?,
                    title: col(r, "title")?,
                    grid: col(r, "grid")?,
                    grid_name: col(r, "name")?,
                    grid_path: col(r, "path")?,
                })
            })
            .collect()
    }

    /// Everyone with a sandbox identity and the roles they hold (one row per role).
    pub async fn sandbox_persona_grants(&self) -> Result<Vec<PersonaGrant>> {
        let rows = sqlx::query(
            "SELECT i.user_id, p.code, p.name, r.role, r.grid, g.path, g.level \
             FROM identities i JOIN people p ON p.code = i.person \
             LEFT JOIN (SELECT person, role, grid FROM grants \
                        UNION SELECT person, 'resident' AS role, grid FROM sandbox_residents) r \
               ON r.person = p.code \
             LEFT JOIN grids g ON g.code = r.grid \
             WHERE i.platform = 'sandbox' \
             ORDER BY i.user_id, r.role, r.grid",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let role: Option<String> = col(r, "role")?;
                let role = role
                    .map(|text| {
                        text.parse::<Role>().map_err(|_| {
                            StoreError::Corrupt(format!("column role: unknown value `{text}`"))
                        })
                    })
                    .transpose()?;
                let grid: Option<String> = col(r, "grid")?;
                Ok(PersonaGrant {
                    persona: col(r, "user_id")?,
                    person: col(r, "code")?,
                    name: col(r, "name")?,
                    role,
                    grid: grid.unwrap_or_default(),
                    grid_path: col(r, "path")?,
                    grid_level: col(r, "level")?,
                })
            })
            .collect()
    }

    /// Whether someone has the sandbox identity `persona` (their private thread exists).
    pub async fn sandbox_persona_exists(&self, persona: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM identities WHERE platform = 'sandbox' AND user_id = $1",
        )
        .bind(persona.to_string())
        .fetch_one(self.pool())
        .await?;
        let n: i64 = col(&row, "n")?;
        Ok(n > 0)
    }

    /// Records the grid residents live on (person code, grid code), for group membership.
    pub async fn sandbox_add_residents(&self, residents: &[(String, String)]) -> Result<()> {
        let mut turn = self.write_turn().await?;
        let mut tx = turn.conn().begin().await?;
        for (person, grid) in residents {
            sqlx::query(
                "INSERT INTO sandbox_residents (person, grid) VALUES ($1, $2) \
                 ON CONFLICT (person, grid) DO NOTHING",
            )
            .bind(person.clone())
            .bind(grid.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether any grid exists (the demo roster loads only into an empty roster).
    pub async fn sandbox_roster_is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM grids")
            .fetch_one(self.pool())
            .await?;
        let n: i64 = col(&row, "n")?;
        Ok(n == 0)
    }

    /// The tickets raised in a sandbox group, newest first.
    pub async fn sandbox_group_tickets(
        &self,
        account: &str,
        group_id: &str,
        limit: i64,
    ) -> Result<Vec<GroupTicket>> {
        let rows = sqlx::query(
            "SELECT t.id, t.grid_no, t.state, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id \
             AND e.kind = 'cancelled') THEN 1 ELSE 0 END AS BIGINT) AS withdrawn, \
             t.category, t.urgency, t.location, t.body, t.reporter_name, \
             t.assignee, p.name AS assignee_name, t.created_at, t.claim_due, t.resolve_due, \
             t.rating, CAST(t.rated_satisfied + t.rated_neutral + t.rated_unsatisfied AS BIGINT) AS ratings, \
             CAST((SELECT COUNT(*) FROM photos ph WHERE ph.ticket_id = t.id) AS BIGINT) AS photos, \
             CAST((SELECT COUNT(*) FROM photos ph WHERE ph.ticket_id = t.id AND ph.evidence = 1) AS BIGINT) AS evidence \
             FROM tickets t LEFT JOIN people p ON p.code = t.assignee \
             WHERE t.platform = 'sandbox' AND t.account = $1 AND t.chat_id = $2 \
             ORDER BY t.id DESC LIMIT $3",
        )
        .bind(account.to_string())
        .bind(group_id.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let co_rows = sqlx::query(
            "SELECT c.ticket_id, c.name FROM co_reporters c JOIN tickets t ON t.id = c.ticket_id \
             WHERE t.platform = 'sandbox' AND t.account = $1 AND t.chat_id = $2 \
             ORDER BY c.added_at, c.user_id",
        )
        .bind(account.to_string())
        .bind(group_id.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut co: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for r in &co_rows {
            co.entry(col(r, "ticket_id")?)
                .or_default()
                .push(col(r, "name")?);
        }
        rows.iter()
            .map(|r| {
                let id: i64 = col(r, "id")?;
                Ok(GroupTicket {
                    id,
                    no: col(r, "grid_no")?,
                    state: col(r, "state")?,
                    withdrawn: col::<i64>(r, "withdrawn")? != 0,
                    co_reporters: co.remove(&id).unwrap_or_default(),
                    category: col(r, "category")?,
                    urgency: col(r, "urgency")?,
                    location: col(r, "location")?,
                    body: col(r, "body")?,
                    reporter_name: col(r, "reporter_name")?,
                    assignee: col(r, "assignee")?,
                    assignee_name: col(r, "assignee_name")?,
                    created_at: col(r, "created_at")?,
                    claim_due: col(r, "claim_due")?,
                    resolve_due: col(r, "resolve_due")?,
                    rating: col(r, "rating")?,
                    ratings: col(r, "ratings")?,
                    photos: col(r, "photos")?,
                    evidence: col(r, "evidence")?,
                })
            })
            .collect()
    }
}

/// Appends inside a transaction. Bumping the group's `last_seq` first locks that group's row
/// until commit, so on PostgreSQL two appends to one group commit in `seq` order and a reader
/// asking for "after seq N" never misses a message that commits late.
async fn append_in(
    conn: &mut sqlx::AnyConnection,
    msg: &NewSandboxMessage<'_>,
) -> Result<SandboxMessage> {
    let row = sqlx::query(
        "INSERT INTO sandbox_chats (group_id, last_seq) VALUES ($1, 1) \
         ON CONFLICT (group_id) DO UPDATE SET last_seq = sandbox_chats.last_seq + 1 \
         RETURNING last_seq",
    )
    .bind(msg.group_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = col(&row, "last_seq")?;
    let sql = format!(
        "INSERT INTO sandbox_messages ({MESSAGE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10) RETURNING {MESSAGE_COLUMNS}"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(msg.id)
        .bind(msg.group_id.to_string())
        .bind(seq)
        .bind(msg.from.to_string())
        .bind(msg.name.to_string())
        .bind(msg.text.to_string())
        .bind(msg.reply_to)
        .bind(buttons_json(msg.buttons)?)
        .bind(msg.at)
        .bind(msg.photo.map(str::to_string))
        .fetch_one(&mut *conn)
        .await?;
    message_from_row(&row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::open(&url, 4, Duration::from_secs(5))
            .await
            .expect("store");
        (store, dir)
    }

    async fn post(store: &Store, group: &str, from: &str, text: &str) -> SandboxMessage {
        let id = store.sandbox_next_id().await.expect("id");
        store
            .sandbox_append(&NewSandboxMessage {
                id,
                group_id: group,
                from,
                name: from,
                text,
                reply_to: None,
                buttons: &[],
                at: 1,
                photo: None,
            })
            .await
            .expect("append")
    }

    #[tokio::test]
    async fn messages_keep_their_order_per_group() {
        let (store, _dir) = store().await;
        let a1 = post(&store, "a", "p1", "一").await;
        let b1 = post(&store, "b", "p2", "other group").await;
        let a2 = post(&store, "a", "p1", "二").await;
        let buttons = [Button {
            id: "/claim 1".into(),
            label: "接单".into(),
        }];
        let bot = store
            .sandbox_append_bot("a", &["卡片".into(), "续".into()], Some(a2.id), &buttons, 2)
            .await
            .expect("bot");
        assert_eq!((a1.seq, a2.seq, b1.seq), (1, 2, 1));
        assert_eq!(bot.len(), 2);
        assert_eq!(bot[0].reply_to, Some(a2.id));
        assert!(bot[0].buttons.is_empty(), "buttons go on the last part");
        assert_eq!(bot[1].buttons, buttons);
        assert_eq!(bot[1].from, BOT);

        let all = store.sandbox_messages("a", None, 100).await.expect("list");
        let texts: Vec<&str> = all.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["一", "二", "卡片", "续"]);
        let after = store
            .sandbox_messages("a", Some(a2.seq), 100)
            .await
            .expect("after");
        assert_eq!(after.len(), 2);
        let latest = store.sandbox_messages("a", None, 2).await.expect("latest");
        assert_eq!(
            latest.iter().map(|m| m.id).collect::<Vec<_>>(),
            [bot[0].id, bot[1].id]
        );
        let ids: Vec<i64> = all.iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    #[tokio::test]
    async fn concurrent_appends_to_one_group_get_distinct_positions() {
        let (store, _dir) = store().await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                post(&store, "g", "p", &format!("m{i}")).await
            }));
        }
        for t in tasks {
            t.await.expect("join");
        }
        let all = store
            .sandbox_messages("g", Some(0), 100)
            .await
            .expect("list");
        let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn edits_presses_and_known_ids() {
        let (store, _dir) = store().await;
        let card = store
            .sandbox_append_bot("g", &["工单 #1".into()], None, &[], 1)
            .await
            .expect("bot")
            .remove(0);
        let edited = store
            .sandbox_edit("g", card.id, "工单 #1 已接单", &[], 5)
            .await
            .expect("edit")
            .expect("found");
        assert_eq!(edited.text, "工单 #1 已接单");
        assert_eq!(edited.edited_at, Some(5));
        assert_eq!(edited.seq, card.seq, "an edit does not move the message");
        assert!(
            store
                .sandbox_edit("other", card.id, "x", &[], 5)
                .await
                .expect("edit")
                .is_none(),
            "an edit names the right group"
        );

        let press_id = store.sandbox_next_id().await.expect("id");
        let press = SandboxPress {
            id: press_id,
            group_id: "g".into(),
            persona: "p".into(),
            message_id: card.id,
            button: "/claim 1".into(),
            at: 9,
        };
        store.sandbox_record_press(&press).await.expect("press");
        store
            .sandbox_record_press(&press)
            .await
            .expect("twice is harmless");
        assert_eq!(
            store.sandbox_press(press_id).await.expect("read"),
            Some(press)
        );
        let known = store
            .sandbox_known_ids(&[card.id, press_id, 999])
            .await
            .expect("known");
        let mut known = known;
        known.sort();
        assert_eq!(known, [card.id, press_id]);
    }
}
