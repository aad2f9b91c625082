//! Photos residents send with or around a report, so that a text and its photos are one ticket
//! (migration 0005_photos).

use super::rows::{ROWS_PER_STATEMENT, Ty, bind_rows, rows_source};
use super::{Result, Store, Tx, col};

/// A photo of a group message, before or after it belongs to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub platform: String,
    pub chat_id: String,
    pub sender_id: String,
    /// The inbox row of the message it came with.
    pub inbox_id: i64,
    /// The platform's file id or URL.
    pub photo: String,
    /// The platform's event time of its message.
    pub sent_at: i64,
    /// Sent by staff as evidence of the work (办结凭证), not by a resident with a report.
    pub evidence: bool,
}

impl Tx {
    /// Stores a message's photos, belonging to `ticket` or (`None`) waiting for a report.
    /// Returns the photos newly stored (a replayed message adds none).
    /// A photo's `evidence` flag says whether it is evidence of the work.
    pub async fn add_photos(
        &mut self,
        photos: &[Photo],
        ticket: Option<i64>,
    ) -> Result<Vec<String>> {
        let mut added = Vec::new();
        for p in photos {
            let done = sqlx::query(
                "INSERT INTO photos (platform, chat_id, sender_id, inbox_id, photo, sent_at, ticket_id, evidence) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (inbox_id, photo) DO NOTHING",
            )
            .bind(p.platform.clone())
            .bind(p.chat_id.clone())
            .bind(p.sender_id.clone())
            .bind(p.inbox_id)
            .bind(p.photo.clone())
            .bind(p.sent_at)
            .bind(ticket)
            .bind(i64::from(p.evidence))
            // The ticket may be one of this transaction's held-back rows: write those first.
            .execute(self.db().await?)
            .await?;
            if done.rows_affected() == 1 {
                added.push(p.photo.clone());
                if ticket.is_none()
                    && let Some(waiting) = &mut self.held.photo_senders
                {
                    waiting.insert((p.platform.clone(), p.chat_id.clone(), p.sender_id.clone()));
                }
            }
        }
        Ok(added)
    }

    /// Reads, for the rest of this transaction, who has photos waiting for a report that was
    /// sent at or after `since`: one statement per batch instead of one per new ticket.
    pub async fn prefetch_waiting_photos(&mut self, since: i64) -> Result<()> {
        let rows = sqlx::query(
            "SELECT DISTINCT platform, chat_id, sender_id FROM photos \
             WHERE ticket_id IS NULL AND sent_at >= $1",
        )
        .bind(since)
        .fetch_all(self.conn())
        .await?;
        let mut waiting = std::collections::HashSet::with_capacity(rows.len());
        for r in &rows {
            waiting.insert((
                col(r, "platform")?,
                col(r, "chat_id")?,
                col(r, "sender_id")?,
            ));
        }
        self.held.photo_senders = Some(waiting);
        Ok(())
    }

    /// Gives `ticket` the photos of one sender in one chat still waiting for a report and sent
    /// between `from` and `to` (event times, inclusive). Returns their references, oldest first.
    pub async fn claim_waiting_photos(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        from: i64,
        to: i64,
        ticket: i64,
    ) -> Result<Vec<String>> {
        self.claim_waiting(platform, chat, sender, (from, to), ticket, false)
            .await
    }

    /// [`Tx::claim_waiting_photos`] for photos staff sent just before their 办结: they become
    /// the ticket's evidence.
    pub async fn claim_waiting_evidence(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        from: i64,
        to: i64,
        ticket: i64,
    ) -> Result<Vec<String>> {
        self.claim_waiting(platform, chat, sender, (from, to), ticket, true)
            .await
    }

    async fn claim_waiting(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        (from, to): (i64, i64),
        ticket: i64,
        evidence: bool,
    ) -> Result<Vec<String>> {
        let key = (platform.to_string(), chat.to_string(), sender.to_string());
        if let Some(waiting) = &self.held.photo_senders
            && !waiting.contains(&key)
        {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id, photo FROM photos WHERE platform = $1 AND chat_id = $2 AND sender_id = $3 \
             AND ticket_id IS NULL AND sent_at >= $4 AND sent_at <= $5 ORDER BY sent_at, id",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(sender.to_string())
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = col(r, "id")?;
            let done = sqlx::query(
                "UPDATE photos SET ticket_id = $1, evidence = $2 WHERE id = $3 AND ticket_id IS NULL",
            )
            .bind(ticket)
            .bind(i64::from(evidence))
            .bind(id)
            .execute(self.db().await?)
            .await?;
            if done.rows_affected() == 1 {
                out.push(col(r, "photo")?);
            }
        }
        Ok(out)
    }

    /// Forgets one sender's waiting photos in a chat sent before `before`: no report can claim
    /// them any more.
    pub async fn drop_waiting_photos(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        before: i64,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM photos WHERE platform = $1 AND chat_id = $2 AND sender_id = $3 \
             AND ticket_id IS NULL AND sent_at < $4",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(sender.to_string())
        .bind(before)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    /// Remembers a sender's newest report in a chat: the ticket it opened or joined, and the
    /// event time of its message (for the same ticket, the later of the times given). Written
    /// behind with the batch's new tickets (see `Held`), one statement for the lot.
    pub fn note_report(&mut self, platform: &str, chat: &str, sender: &str, ticket: i64, at: i64) {
        self.held.reports.push((
            platform.to_string(),
            chat.to_string(),
            sender.to_string(),
            ticket,
            at,
        ));
    }

    pub(super) async fn write_reports(
        &mut self,
        reports: &[(String, String, String, i64, i64)],
    ) -> Result<()> {
        // One row per key and statement (an upsert may not touch a row twice); the newest
        // report of a key is the last one noted.
        let mut newest: std::collections::HashMap<(&str, &str, &str), (i64, i64)> =
            std::collections::HashMap::new();
        for (p, c, s, ticket, at) in reports {
            let entry = newest.entry((p, c, s)).or_insert((*ticket, *at));
            if *ticket != entry.0 || *at > entry.1 {
                *entry = (*ticket, *at);
            }
        }
        let rows: Vec<_> = newest.into_iter().collect();
        use Ty::{Int, Text};
        let backend = self.backend;
        let sql = move |count: usize| {
            format!(
                "INSERT INTO photo_reports (platform, chat_id, sender_id, ticket_id, reported_at) \
                 {} ON CONFLICT (platform, chat_id, sender_id) \
                 DO UPDATE SET ticket_id = excluded.ticket_id, reported_at = excluded.reported_at \
                 WHERE photo_reports.ticket_id <> excluded.ticket_id \
                 OR photo_reports.reported_at < excluded.reported_at",
                rows_source(backend, 1, &[Text, Text, Text, Int, Int], count)
            )
        };
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|((p, c, s), (ticket, at))| serde_json::json!([p, c, s, ticket, at]))
                .collect();
            bind_rows(
                backend,
                sqlx::query(sqlx::AssertSqlSafe(sql(chunk.len()))),
                &rows,
            )?
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// The ticket of a sender's newest report in a chat, if its message was sent at or after
    /// `since` (event time).
    pub async fn recent_report(
        &mut self,
        platform: &str,
        chat: &str,
        sender: &str,
        since: i64,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT ticket_id FROM photo_reports WHERE platform = $1 AND chat_id = $2 \
             AND sender_id = $3 AND reported_at >= $4",
        )
        .bind(platform.to_string())
        .bind(chat.to_string())
        .bind(sender.to_string())
        .bind(since)
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| col(&r, "ticket_id")).transpose()
    }

    /// How many photos a ticket has.
    pub async fn photo_count(&mut self, ticket: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM photos WHERE ticket_id = $1")
            .bind(ticket)
            .fetch_one(self.db().await?)
            .await?;
        col(&row, "n")
    }

    /// How many of a ticket's photos are evidence of the work.
    pub async fn evidence_count(&mut self, ticket: i64) -> Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM photos WHERE ticket_id = $1 AND evidence = 1")
                .bind(ticket)
                .fetch_one(self.db().await?)
                .await?;
        col(&row, "n")
    }

    /// The photos of a ticket, in the order they were sent.
    pub async fn ticket_photos(&mut self, ticket: i64) -> Result<Vec<Photo>> {
        let rows = sqlx::query(
            "SELECT platform, chat_id, sender_id, inbox_id, photo, sent_at, evidence FROM photos \
             WHERE ticket_id = $1 ORDER BY sent_at, id",
        )
        .bind(ticket)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Photo {
                    platform: col(r, "platform")?,
                    chat_id: col(r, "chat_id")?,
                    sender_id: col(r, "sender_id")?,
                    inbox_id: col(r, "inbox_id")?,
                    photo: col(r, "photo")?,
                    sent_at: col(r, "sent_at")?,
                    evidence: col::<i64>(r, "evidence")? != 0,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Forgets photos still waiting for a report that were sent before `before`.
    pub async fn forget_stale_photos(&mut self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM photos WHERE ticket_id IS NULL AND sent_at < $1")
            .bind(before)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// How many photos wait for a report.
    pub async fn waiting_photo_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM photos WHERE ticket_id IS NULL")
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }

    /// The photos of a ticket, in the order they were sent.
    pub async fn ticket_photos(&self, ticket: i64) -> Result<Vec<Photo>> {
        let mut tx = self.begin_report().await?;
        let out = tx.ticket_photos(ticket).await?;
        tx.commit().await?;
        Ok(out)
    }
}
