//! Learning from the people who correct the parser: corrections stored as labelled examples
//! (`store::examples`) become lessons for its learned model (`understand::Correction`), at
//! start and again whenever asked (`gridline retrain`, SIGHUP), without a restart.
//!
//! Several corrections of one ticket are one lesson, the later saying more: a ticket
//! recategorised and then marked urgent is a request of that category and urgency; one
//! dismissed after being recategorised is not a request.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;

use crate::store::Store;
use crate::store::examples::{self, StoredExample};
use crate::understand::{Correction, Parser};

/// The lessons in stored examples (oldest first, as [`examples::load_all`] returns them): one
/// per ticket (or per text, for examples without a ticket), in the order first corrected.
pub fn corrections(stored: &[StoredExample]) -> Vec<Correction> {
    let mut index: HashMap<(Option<i64>, String), usize> = HashMap::new();
    let mut out: Vec<Correction> = Vec::new();
    for s in stored {
        let e = &s.example;
        let key = match e.ticket_id {
            Some(t) => (Some(t), String::new()),
            None => (None, e.text.clone()),
        };
        let slot = *index.entry(key).or_insert_with(|| {
            out.push(Correction {
                text: e.text.clone(),
                is_request: e.is_request,
                category: None,
                urgency: None,
            });
            out.len() - 1
        });
        let c = &mut out[slot];
        c.text.clone_from(&e.text);
        if e.is_request {
            // A correction that says only "a request" keeps what earlier ones said.
            if !c.is_request {
                c.category = None;
                c.urgency = None;
            }
            c.is_request = true;
            c.category = e.category.or(c.category);
            c.urgency = e.urgency.or(c.urgency);
        } else {
            *c = Correction {
                text: e.text.clone(),
                is_request: false,
                category: None,
                urgency: None,
            };
        }
    }
    out
}

/// Reads every stored correction and makes `parser` learn from them (training runs on a
/// blocking thread). Returns how many lessons it learned.
pub async fn relearn(store: &Store, parser: &Arc<Parser>) -> anyhow::Result<usize> {
    let stored = examples::load_all(store)
        .await
        .context("reading the labelled examples")?;
    let lessons = corrections(&stored);
    let n = lessons.len();
    let parser = parser.clone();
    tokio::task::spawn_blocking(move || parser.learn(&lessons))
        .await
        .context("training the model")??;
    Ok(n)
}

/// Relearns whenever the process receives SIGHUP, until `stop` fires. A failure is logged
/// and the model in use stays.
pub fn relearn_on_hangup(
    store: Store,
    parser: Arc<Parser>,
    stop: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                tracing::warn!("cannot listen for SIGHUP: corrections are learned at start only");
                return;
            };
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    got = hangups.recv() => {
                        if got.is_none() {
                            break;
                        }
                        match relearn(&store, &parser).await {
                            Ok(n) => tracing::info!(corrections = n, "parser retrained"),
                            Err(e) => tracing::warn!(error = %format!("{e:#}"), "retraining the parser failed; the model in use stays"),
                        }
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (store, parser);
            stop.cancelled().await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Category, Urgency};
    use crate::store::examples::{ExampleSource, LabelledExample};

    fn stored(id: i64, ticket: Option<i64>, text: &str, request: bool) -> StoredExample {
        StoredExample {
            id,
            example: LabelledExample {
                ticket_id: ticket,
                text: text.into(),
                is_request: request,
                category: None,
                urgency: None,
                source: ExampleSource::ConfirmYes,
                actor: "a".into(),
                created_at: id,
            },
        }
    }

    #[test]
    fn corrections_of_one_ticket_are_one_lesson() {
        let mut recat = stored(1, Some(7), "路灯不亮", true);
        recat.example.category = Some(Category::Lighting);
        let mut urgent = stored(2, Some(7), "路灯不亮", true);
        urgent.example.urgency = Some(Urgency::Urgent);
        let refused = stored(3, None, "谁有梯子", false);
        let mut other = stored(4, Some(8), "水管漏了", true);
        other.example.category = Some(Category::Water);
        let dismissed = stored(5, Some(8), "水管漏了", false);
        let lessons = corrections(&[recat, urgent, refused, other, dismissed]);
        assert_eq!(
            lessons,
            vec![
                Correction {
                    text: "路灯不亮".into(),
                    is_request: true,
                    category: Some(Category::Lighting),
                    urgency: Some(Urgency::Urgent),
                },
                Correction {
                    text: "谁有梯子".into(),
                    is_request: false,
                    category: None,
                    urgency: None,
                },
                Correction {
                    text: "水管漏了".into(),
                    is_request: false,
                    category: None,
                    urgency: None,
                },
            ]
        );
    }
}
