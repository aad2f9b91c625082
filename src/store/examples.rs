//! Labelled examples: messages whose reading a person corrected or confirmed (改类, 改为紧急/一般,
//! 驳回 as not a request, the answer to a confirmation question), kept for the parser's learned
//! model to learn from (migration 0015_labelled_examples, `understand::model`).
//!
//! The corrections write them with [`record`] in the transaction that applies the correction;
//! gridline reads them all with [`load_all`] at start and on `gridline retrain` or SIGHUP.

use super::{Result, Store, StoreError, Tx, col, parse_col};
use crate::domain::category::{Category, Urgency};
use std::fmt;
use std::str::FromStr;

/// What produced a labelled example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExampleSource {
    /// A ticket's category was changed (改类): a request of that category.
    Recategorize,
    /// A ticket's urgency was changed (改为紧急 / 改为一般): a request of that urgency.
    Urgency,
    /// A ticket was dismissed as not a request (驳回).
    Dismiss,
    /// The sender answered a confirmation question yes: a request.
    ConfirmYes,
    /// The sender answered a confirmation question no: not a request.
    ConfirmNo,
}

impl ExampleSource {
    pub const ALL: [ExampleSource; 5] = [
        ExampleSource::Recategorize,
        ExampleSource::Urgency,
        ExampleSource::Dismiss,
        ExampleSource::ConfirmYes,
        ExampleSource::ConfirmNo,
    ];

    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            ExampleSource::Recategorize => "recategorize",
            ExampleSource::Urgency => "urgency",
            ExampleSource::Dismiss => "dismiss",
            ExampleSource::ConfirmYes => "confirm_yes",
            ExampleSource::ConfirmNo => "confirm_no",
        }
    }
}

impl fmt::Display for ExampleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ExampleSource {
    type Err = crate::domain::category::UnknownValue;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        ExampleSource::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| crate::domain::category::UnknownValue(s.to_string()))
    }
}

/// One correction, as the model learns from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledExample {
    /// The ticket corrected; `None` when there is none (a confirmation refused).
    pub ticket_id: Option<i64>,
    /// The message as the resident wrote it.
    pub text: String,
    pub is_request: bool,
    /// The corrected category, when the correction says one.
    pub category: Option<Category>,
    /// The corrected urgency, when the correction says one.
    pub urgency: Option<Urgency>,
    pub source: ExampleSource,
    /// Who corrected it: a person code, or the platform user id of a resident who answered.
    pub actor: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A stored example with its row id (ids grow with time: a later correction of the same
/// ticket has a larger id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExample {
    pub id: i64,
    pub example: LabelledExample,
}

/// Stores `example` in the transaction that applies the correction. Returns its id.
pub async fn record(tx: &mut Tx, example: &LabelledExample) -> Result<i64> {
    tx.record_example(example).await
}

/// Every stored example, oldest first.
pub async fn load_all(store: &Store) -> Result<Vec<StoredExample>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, text, is_request, category, urgency, source, actor, created_at \
         FROM labelled_examples ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

impl Tx {
    /// See [`record`].
    pub async fn record_example(&mut self, e: &LabelledExample) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO labelled_examples \
             (ticket_id, text, is_request, category, urgency, source, actor, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(e.ticket_id)
        .bind(e.text.clone())
        .bind(i64::from(e.is_request))
        .bind(e.category.map(|c| c.id().to_string()))
        .bind(e.urgency.map(|u| u.id().to_string()))
        .bind(e.source.id().to_string())
        .bind(e.actor.clone())
        .bind(e.created_at)
        // The ticket may be one of this transaction's held-back rows: write those first.
        .fetch_one(self.db().await?)
        .await?;
        col(&row, "id")
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredExample> {
    let optional = |name: &str| -> Result<Option<String>> { col(row, name) };
    let category = optional("category")?
        .map(|c| {
            c.parse::<Category>()
                .map_err(|_| StoreError::Corrupt(format!("column category: unknown value `{c}`")))
        })
        .transpose()?;
    let urgency = optional("urgency")?
        .map(|u| {
            u.parse::<Urgency>()
                .map_err(|_| StoreError::Corrupt(format!("column urgency: unknown value `{u}`")))
        })
        .transpose()?;
    Ok(StoredExample {
        id: col(row, "id")?,
        example: LabelledExample {
            ticket_id: col(row, "ticket_id")?,
            text: col(row, "text")?,
            is_request: col::<i64>(row, "is_request")? != 0,
            category,
            urgency,
            source: parse_col(row, "source")?,
            actor: col(row, "actor")?,
            created_at: col(row, "created_at")?,
        },
    })
}
