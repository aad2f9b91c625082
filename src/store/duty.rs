//! Duties that one process of a deployment does at a time, such as polling a Telegram bot
//! (Telegram answers a second concurrent getUpdates with 409 Conflict). A duty is a lease with
//! an end: its holder renews it while it lives; once the end has passed without renewal (the
//! holder was killed, or lost the database), another process takes the duty over.
//!
//! Times are the processes' own clocks: replicas sharing a database are expected to keep their
//! clocks in step (NTP), well within the lease's length.

use super::{Result, Store, col};

impl Store {
    /// Takes the duty `name` for `holder` until `until`, or extends it if `holder` has it
    /// already. `false` while another holder's lease runs (a lease counts as lapsed when its
    /// end is before `lapsed_before`, normally now).
    pub async fn hold_duty(
        &self,
        name: &str,
        holder: &str,
        lapsed_before: i64,
        until: i64,
    ) -> Result<bool> {
        let mut turn = self.write_turn().await?;
        let row = sqlx::query(
            "INSERT INTO duty_leases (name, holder, until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE duty_leases.holder = excluded.holder OR duty_leases.until < $4 \
             RETURNING holder",
        )
        .bind(name.to_string())
        .bind(holder.to_string())
        .bind(until)
        .bind(lapsed_before)
        .fetch_optional(turn.conn())
        .await?;
        Ok(row.is_some())
    }

    /// Takes the duty from `dead`, a holder known to be gone, whatever its lease says; nothing
    /// happens if someone else holds it by now. Returns whether `holder` holds it.
    pub async fn take_duty_from(
        &self,
        name: &str,
        holder: &str,
        dead: &str,
        until: i64,
    ) -> Result<bool> {
        let mut turn = self.write_turn().await?;
        let row = sqlx::query(
            "UPDATE duty_leases SET holder = $2, until = $3 WHERE name = $1 AND holder = $4 \
             RETURNING holder",
        )
        .bind(name.to_string())
        .bind(holder.to_string())
        .bind(until)
        .bind(dead.to_string())
        .fetch_optional(turn.conn())
        .await?;
        Ok(row.is_some())
    }

    /// Gives the duty up (a clean stop): another process may take it at once.
    pub async fn release_duty(&self, name: &str, holder: &str) -> Result<()> {
        let mut turn = self.write_turn().await?;
        sqlx::query("DELETE FROM duty_leases WHERE name = $1 AND holder = $2")
            .bind(name.to_string())
            .bind(holder.to_string())
            .execute(turn.conn())
            .await?;
        Ok(())
    }

    /// Who holds the duty `name` and until when, if anyone took it.
    pub async fn duty_holder(&self, name: &str) -> Result<Option<(String, i64)>> {
        let row = sqlx::query("SELECT holder, until FROM duty_leases WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((col(&r, "holder")?, col(&r, "until")?)))
            .transpose()
    }
}
