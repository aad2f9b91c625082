//! What the OneBot adapter needs from storage: nothing of its own, only a way to tell the
//! outbox that a bridge is back.

use super::{Result, Store};

impl Store {
    /// Makes the pending, unleased outbox rows of `account` on `platform` due at `now`. Called
    /// when a bridge reconnects: replies that waited out its absence in retry backoff go out at
    /// once instead of after the backoff that had grown meanwhile. Returns how many rows moved.
    pub async fn outbox_resume_account(
        &self,
        platform: &str,
        account: &str,
        now: i64,
    ) -> Result<u64> {
        let mut turn = self.write_turn().await?;
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $3 \
             WHERE status = 'pending' AND platform = $1 AND account = $2 \
             AND next_attempt_at > $3 AND (lease_until IS NULL OR lease_until < $3)",
        )
        .bind(platform.to_string())
        .bind(account.to_string())
        .bind(now)
        .execute(turn.conn())
        .await?;
        Ok(done.rows_affected())
    }
}
