//! Ratings by everyone asked to rate a ticket: its reporter and each co-reporter, one row per
//! person, their latest (migration 0030_ratings). The ticket's `rated_*` counts, which the
//! statistics add up, are kept by the engine beside these rows.

use super::{Result, Tx, col, parse_col};
use crate::domain::Rating;

/// One person's rating of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRating {
    pub ticket_id: i64,
    pub platform: String,
    pub user_id: String,
    pub name: String,
    pub rating: Rating,
    /// The ticket's `reopened` count when they rated: the resolution they rated.
    pub round: i64,
    pub rated_at: i64,
}

impl Tx {
    /// A person's rating of a ticket, if they rated it.
    pub async fn rating_by(
        &mut self,
        ticket: i64,
        platform: &str,
        user_id: &str,
    ) -> Result<Option<PersonRating>> {
        let row = sqlx::query(
            "SELECT ticket_id, platform, user_id, name, rating, round, rated_at FROM ticket_ratings \
             WHERE ticket_id = $1 AND platform = $2 AND user_id = $3",
        )
        .bind(ticket)
        .bind(platform.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.db().await?)
        .await?;
        row.map(|r| rating_from(&r)).transpose()
    }

    /// Records a person's rating, replacing theirs of an earlier resolution.
    pub async fn put_rating(&mut self, r: &PersonRating) -> Result<()> {
        sqlx::query(
            "INSERT INTO ticket_ratings (ticket_id, platform, user_id, name, rating, round, rated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (ticket_id, platform, user_id) DO UPDATE \
             SET name = excluded.name, rating = excluded.rating, round = excluded.round, \
             rated_at = excluded.rated_at",
        )
        .bind(r.ticket_id)
        .bind(r.platform.clone())
        .bind(r.user_id.clone())
        .bind(r.name.clone())
        .bind(r.rating.id().to_string())
        .bind(r.round)
        .bind(r.rated_at)
        .execute(self.db().await?)
        .await?;
        Ok(())
    }

    /// Everyone's ratings of a ticket, in the order they rated.
    pub async fn ticket_ratings(&mut self, ticket: i64) -> Result<Vec<PersonRating>> {
        let rows = sqlx::query(
            "SELECT ticket_id, platform, user_id, name, rating, round, rated_at FROM ticket_ratings \
             WHERE ticket_id = $1 ORDER BY rated_at, user_id",
        )
        .bind(ticket)
        .fetch_all(self.db().await?)
        .await?;
        rows.iter().map(rating_from).collect()
    }
}

fn rating_from(r: &sqlx::any::AnyRow) -> Result<PersonRating> {
    Ok(PersonRating {
        ticket_id: col(r, "ticket_id")?,
        platform: col(r, "platform")?,
        user_id: col(r, "user_id")?,
        name: col(r, "name")?,
        rating: parse_col(r, "rating")?,
        round: col(r, "round")?,
        rated_at: col(r, "rated_at")?,
    })
}
