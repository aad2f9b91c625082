//! Statistics questions asked in chat, waiting for their answer. The message's transaction
//! records the question ([`Tx::ask`]); after commit the engine reads the answer from the
//! rollups beside the writer and queues it in a short transaction of its own, which takes the
//! question ([`Tx::take_question`]). See `migrations/*/0021_stats_questions.sql`.

use crate::domain::message::Outbound;

use super::{Result, Store, StoreError, Tx, col};

/// A question as asked: what to read and where the answer goes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuestion {
    pub platform: String,
    pub account: String,
    /// The answer's message; its text follows the figures (often empty).
    pub reply: Outbound,
    /// `summary`, `detail` or `ranking`.
    pub view: String,
    /// The grid node asked about (`*`: every grid).
    pub node: String,
    /// The node's name and the period's label, as the answer shows them.
    pub name: String,
    pub label: String,
    /// The period's local days, `yyyymmdd`, inclusive (`0`: from the start).
    pub from: i32,
    pub to: i32,
}

/// A question waiting for its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: i64,
    pub asked_at: i64,
    pub ask: NewQuestion,
}

impl Tx {
    /// Records questions to answer after commit.
    pub async fn ask(&mut self, questions: &[NewQuestion], now: i64) -> Result<()> {
        for q in questions {
            let reply = serde_json::to_string(&q.reply)
                .map_err(|e| StoreError::Corrupt(format!("question reply: {e}")))?;
            sqlx::query(
                "INSERT INTO stats_questions \
                 (asked_at, platform, account, reply, view, node, name, label, day_from, day_to) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(now)
            .bind(q.platform.clone())
            .bind(q.account.clone())
            .bind(reply)
            .bind(q.view.clone())
            .bind(q.node.clone())
            .bind(q.name.clone())
            .bind(q.label.clone())
            .bind(i64::from(q.from))
            .bind(i64::from(q.to))
            .execute(self.db().await?)
            .await?;
        }
        Ok(())
    }

    /// Takes question `id` to queue its answer in this transaction: false when it is gone
    /// (another replica answered it).
    pub async fn take_question(&mut self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM stats_questions WHERE id = $1")
            .bind(id)
            .execute(self.db().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    /// The oldest `limit` questions waiting for their answer, each by id (an unreadable one as
    /// its error, so that it can be dropped rather than block the others).
    pub async fn waiting_questions(&self, limit: i64) -> Result<Vec<(i64, Result<Question>)>> {
        let rows = sqlx::query(
            "SELECT id, asked_at, platform, account, reply, view, node, name, label, day_from, day_to \
             FROM stats_questions ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let read = |r: &sqlx::any::AnyRow| -> Result<Question> {
            let reply: String = col(r, "reply")?;
            let reply = serde_json::from_str(&reply)
                .map_err(|e| StoreError::Corrupt(format!("question reply: {e}")))?;
            let day = |name: &str| -> Result<i32> {
                let d: i64 = col(r, name)?;
                i32::try_from(d).map_err(|_| StoreError::Corrupt(format!("{name}: {d}")))
            };
            Ok(Question {
                id: col(r, "id")?,
                asked_at: col(r, "asked_at")?,
                ask: NewQuestion {
                    platform: col(r, "platform")?,
                    account: col(r, "account")?,
                    reply,
                    view: col(r, "view")?,
                    node: col(r, "node")?,
                    name: col(r, "name")?,
                    label: col(r, "label")?,
                    from: day("day_from")?,
                    to: day("day_to")?,
                },
            })
        };
        rows.iter().map(|r| Ok((col(r, "id")?, read(r)))).collect()
    }

    /// How many questions wait for their answer.
    pub async fn questions_waiting(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM stats_questions")
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }
}
