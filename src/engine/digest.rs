//! Digests: a daily summary in each group that had activity that day (counts only, no
//! personal data), and a weekly report for each coordinator's grid with the statistics of
//! its subtree and the longest-open tickets.
//!
//! A digest is due at its configured local time. The one replica that inserts its
//! (kind, period) row sends it; a daemon that was down at that time sends it when it comes
//! back, if that is within [`LATE_LIMIT_MS`], and never twice.

use crate::domain::DigestKind;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone as _, Weekday};

use super::{Effects, Engine};
use crate::domain::Urgency;
use crate::stats::StatsTexts as _;
use crate::stats::period::{Span, SpanKind};
use crate::store::roster::Grid;
use crate::store::{Store, StoreError, Tx};

/// How late a missed digest may still go out (a summary days late helps nobody).
pub(super) const LATE_LIMIT_MS: i64 = 12 * 3_600_000;

const SLOWEST: i64 = 5;

impl Engine {
    pub(super) async fn send_digests(&self, store: &Store, now: i64) -> Result<(), StoreError> {
        let tz = self.tz();
        let Some(local) = tz.timestamp_millis_opt(now).single() else {
            return Ok(());
        };
        if let Some(at) = self.settings.digest.daily()
            && let Some(due) = latest_daily(local, at)
            && now - due.timestamp_millis() <= LATE_LIMIT_MS
        {
            self.daily(store, due, now).await?;
        }
        if let Some((day, at)) = self.settings.digest.weekly()
            && let Some(due) = latest_weekly(local, day, at)
            && now - due.timestamp_millis() <= LATE_LIMIT_MS
        {
            self.weekly(store, due, now).await?;
        }
        Ok(())
    }

    async fn daily<Z: chrono::TimeZone>(
        &self,
        store: &Store,
        due: DateTime<Z>,
        now: i64,
    ) -> Result<(), StoreError> {
        let period = due.date_naive().to_string();
        let mut tx = store.begin_background().await?;
        if !tx.claim_digest(DigestKind::Daily, &period, now).await? {
            return Ok(());
        }
        let day_start = due
            .timezone()
            .from_local_datetime(&due.date_naive().and_time(NaiveTime::MIN))
            .earliest()
            .map_or(due.timestamp_millis(), |d| d.timestamp_millis());
        let mut fx = Effects::default();
        let day = self.texts.day(due.timestamp_millis(), self.tz());
        let hold = self.hold(Urgency::Normal, now);
        // Up to the digest's own time: sent late, it says what it would have said on time.
        let groups = tx.group_activity(day_start, due.timestamp_millis()).await?;
        for g in &groups {
            let text = self.texts.daily_digest(&day, g.created, g.resolved, g.open);
            self.to_chat(&mut fx, &g.target, None, text, Vec::new(), hold);
        }
        self.write_effects(&mut tx, fx, now, crate::store::outbox::Priority::Digest)
            .await?;
        tx.commit().await?;
        tracing::info!(%period, groups = groups.len(), "daily digest sent");
        Ok(())
    }

    async fn weekly<Z: chrono::TimeZone>(
        &self,
        store: &Store,
        due: DateTime<Z>,
        now: i64,
    ) -> Result<(), StoreError> {
        let period = format!("{}", due.date_naive());
        // The report covers the seven whole local days before the one it is due on.
        let last = due.date_naive().pred_opt().unwrap_or(due.date_naive());
        let span = Span {
            from: last.checked_sub_days(chrono::Days::new(6)),
            to: last,
            kind: SpanKind::Range,
        };
        // Figures first, in a read transaction of their own: each coordinator's node reads its
        // rollup rows for seven days, never the tickets, and the write turn is not held.
        let mut texts = Vec::new();
        {
            let mut read = store.begin_read().await?;
            for code in read.coordinated_grids().await? {
                if let Some(text) = self.weekly_for(&mut read, &code, &span, now).await? {
                    texts.push(text);
                }
            }
            read.commit().await?;
        }
        let mut tx = store.begin_background().await?;
        if !tx.claim_digest(DigestKind::Weekly, &period, now).await? {
            return Ok(());
        }
        let mut fx = Effects::default();
        let hold = self.hold(Urgency::Normal, now);
        for (grid, text) in &texts {
            // Every channel the grid's coordinators have, as for an escalation.
            let targets = self.channels(&mut tx, &grid.code, &grid.level).await?;
            if targets.is_empty() {
                tracing::warn!(grid = %grid.code, "weekly report reached nobody: no group bound to the grid, no coordinator reachable in a private chat, no WeCom robot for its level (see `gridline doctor`)");
            }
            for (chat, _) in &targets {
                self.to_chat(&mut fx, chat, None, text.clone(), Vec::new(), hold);
            }
        }
        self.write_effects(&mut tx, fx, now, crate::store::outbox::Priority::Digest)
            .await?;
        tx.commit().await?;
        tracing::info!(%period, grids = texts.len(), "weekly reports sent");
        Ok(())
    }

    /// The weekly report of one coordinator's grid: the statistics sentence of its subtree
    /// over `span` (from the rollups) and its longest-open tickets.
    async fn weekly_for(
        &self,
        read: &mut Tx,
        code: &str,
        span: &Span,
        now: i64,
    ) -> Result<Option<(Grid, String)>, StoreError> {
        let Some(grid) = read.grid(code).await? else {
            return Ok(None);
        };
        let (from, to) = span.days();
        let figures = read.rollup_figures(&grid.code, from, to).await?;
        let summary = crate::stats::Summary::from_figures(&figures);
        let slowest: Vec<(crate::domain::Number, String, i64)> = read
            .slowest_open(&grid.path, SLOWEST)
            .await?
            .into_iter()
            .map(|t| {
                (
                    t.number(),
                    self.texts.category(t.category).to_string(),
                    now - t.created_at,
                )
            })
            .collect();
        let label = match self.texts.lang {
            crate::config::Language::Zh => span.label_zh(),
            crate::config::Language::En => span.label_en(),
        };
        let body = self.texts.stats_sentence(&summary, &grid.name, &label);
        Ok(Some((grid, self.texts.weekly_report(&body, &slowest))))
    }
}

/// The latest daily digest time at or before `local`.
fn latest_daily<Z: chrono::TimeZone>(local: DateTime<Z>, at: NaiveTime) -> Option<DateTime<Z>> {
    let tz = local.timezone();
    let mut date = local.date_naive();
    for _ in 0..2 {
        if let Some(t) = tz.from_local_datetime(&date.and_time(at)).earliest()
            && t <= local
        {
            return Some(t);
        }
        date = date.pred_opt()?;
    }
    None
}

/// The latest weekly report time at or before `local`.
fn latest_weekly<Z: chrono::TimeZone>(
    local: DateTime<Z>,
    day: Weekday,
    at: NaiveTime,
) -> Option<DateTime<Z>> {
    let tz = local.timezone();
    let mut date = local.date_naive();
    for _ in 0..8 {
        if date.weekday() == day
            && let Some(t) = tz.from_local_datetime(&date.and_time(at)).earliest()
            && t <= local
        {
            return Some(t);
        }
        date -= Duration::days(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<chrono_tz::Tz> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a local time")
    }

    #[test]
    fn the_latest_digest_time_is_today_or_yesterday() {
        let eight_pm = NaiveTime::from_hms_opt(20, 0, 0).expect("a time");
        assert_eq!(
            latest_daily(at(2026, 11, 22, 21, 0), eight_pm),
            Some(at(2026, 11, 22, 20, 0))
        );
        assert_eq!(
            latest_daily(at(2026, 11, 22, 19, 59), eight_pm),
            Some(at(2026, 11, 21, 20, 0))
        );
    }

    #[test]
    fn the_latest_weekly_time_is_the_last_such_weekday() {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("a time");
        // 2026-11-23 is a Monday.
        assert_eq!(
            latest_weekly(at(2026, 11, 23, 9, 30), Weekday::Mon, nine),
            Some(at(2026, 11, 23, 9, 0))
        );
        assert_eq!(
            latest_weekly(at(2026, 11, 23, 8, 0), Weekday::Mon, nine),
            Some(at(2026, 11, 16, 9, 0))
        );
        assert_eq!(
            latest_weekly(at(2026, 11, 25, 8, 0), Weekday::Mon, nine),
            Some(at(2026, 11, 23, 9, 0))
        );
    }
}
