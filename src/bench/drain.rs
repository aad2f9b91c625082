//! `gridline bench --scenario drain`: a new card while a county's daily digest drains.
//!
//! One bot account with Telegram's limits (30 messages/s, 1/s and 20/min per group) has a
//! digest queued to every one of `--groups` groups (40,000: about 22 minutes of sending). While
//! it drains, residents report at `--card-rate` a second for `--drain-seconds`, each in a group
//! of its own; the figure is the time from a report's arrival (handed to the intake) to its card
//! being handed to the platform: p50, p99, max. Also printed: how many digest messages went
//! out meanwhile, i.e. that the digest kept draining at the account's pace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::{REQUESTS, event, roster};
use crate::app::Application;
use crate::platform::{Adapter, Outbound, OutboundMessage, Rate};
use crate::store::outbox::{NewOutbound, Priority};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct DrainOptions {
    /// Groups with a digest queued (and bound in the roster).
    pub groups: usize,
    /// Reports per second while the digest drains.
    pub card_rate: f64,
    /// How long reports come in.
    pub seconds: u64,
}

/// Figures of the run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DrainReport {
    pub backend: String,
    pub groups: usize,
    pub cards: usize,
    pub card_p50_ms: f64,
    pub card_p99_ms: f64,
    pub card_max_ms: f64,
    pub digest_sent: usize,
    pub seconds: f64,
}

impl DrainReport {
    pub fn render(&self) -> String {
        format!(
            "backend {}, a digest queued to {} groups on one bot account (30/s, 1/s and 20/min per group)\n\
             {} cards while it drained: report arrival → card handed to the platform: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms\n\
             digest messages sent meanwhile: {} in {:.1} s ({:.1}/s)",
            self.backend,
            self.groups,
            self.cards,
            self.card_p50_ms,
            self.card_p99_ms,
            self.card_max_ms,
            self.digest_sent,
            self.seconds,
            self.digest_sent as f64 / self.seconds.max(f64::MIN_POSITIVE)
        )
    }
}

pub async fn run(database_url: &str, opts: DrainOptions) -> anyhow::Result<DrainReport> {
    let settings = super::settings(database_url)?;
    let memory = super::platform(vec![
        Rate {
            max: 1,
            per: Duration::from_secs(1),
        },
        Rate {
            max: 20,
            per: Duration::from_secs(60),
        },
    ]);
    let app = Application::build(settings, vec![memory.clone() as Arc<dyn Adapter>]).await?;
    let store = app.store();
    let intake = app.intake();
    let stop = app.shutdown_token();
    if store.inbox_counts().await?.total > 0 {
        bail!("the bench needs an empty database; {database_url} already has messages");
    }
    let groups = opts.groups.max(1);
    crate::import::import_csv(&store, roster(groups).as_bytes())
        .await
        .context("bench roster")?;
    store.remember_roster().await.context("bench roster")?;
    let backend = format!("{:?}", store.backend());

    // The digest, as the daily digest queues it: one notice per group, in one transaction.
    let now = crate::store::now_millis();
    let digest: Vec<NewOutbound> = (0..groups)
        .map(|g| NewOutbound {
            platform: "memory".into(),
            account: "bench".into(),
            ticket_id: None,
            item: Outbound::Send(OutboundMessage {
                chat: format!("bg{g}"),
                thread: None,
                text: format!("网格{g} 昨日：收到诉求 3 件，已办结 2 件，1 件处理中"),
                reply_to: None,
                mentions: vec![],
                buttons: vec![],
            }),
            not_before: None,
        })
        .collect();
    let mut tx = store.begin().await?;
    tx.enqueue_with(&digest, now, Priority::Digest).await?;
    tx.commit().await?;
    let running = tokio::spawn(app.run_until_stopped());

    // Let the drain reach its pace before the first report.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = Instant::now();
    let sent_before = memory.sent().len();
    let cards = ((opts.card_rate * opts.seconds as f64) as usize).max(1);
    // Groups spread over the roster, each report in a group of its own.
    let group_of = |c: usize| c * (groups / cards).max(1) % groups;
    let submitted = super::pace(opts.card_rate, cards, |c| {
        let intake = intake.clone();
        let ev = event(group_of(c), groups, REQUESTS[c % REQUESTS.len()]);
        async move { intake.submit(vec![ev], None).await }
    })
    .await?;
    let mut arrived = Vec::with_capacity(cards);
    for (c, (at, stored)) in submitted.into_iter().enumerate() {
        stored?;
        arrived.push((format!("bm{}", group_of(c)), at));
    }
    // Every card out (or a minute more).
    let deadline = Instant::now() + Duration::from_secs(60);
    let latencies = loop {
        let sent = memory.sent();
        let mut latencies = Vec::with_capacity(cards);
        for (source, at) in &arrived {
            let card = sent.iter().find(|s| {
                matches!(&s.item, Outbound::Send(m) if m.reply_to.as_deref() == Some(source.as_str()))
            });
            if let Some(card) = card {
                latencies.push(card.at.saturating_duration_since(*at).as_secs_f64() * 1_000.0);
            }
        }
        if latencies.len() == cards || Instant::now() > deadline {
            break latencies;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let sent = memory.sent();
    let digest_sent = sent[sent_before..]
        .iter()
        .filter(|s| matches!(&s.item, Outbound::Send(m) if m.reply_to.is_none() && m.text.contains("昨日")))
        .count();
    stop.cancel();
    let _ = running.await;
    if latencies.len() < cards {
        bail!(
            "{} of {cards} cards were not sent within a minute of the last report",
            cards - latencies.len()
        );
    }
    let mut sorted = latencies;
    sorted.sort_by(|a, b| a.total_cmp(b));
    let pick = |p: f64| {
        sorted
            .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(DrainReport {
        backend,
        groups,
        cards,
        card_p50_ms: pick(0.50),
        card_p99_ms: pick(0.99),
        card_max_ms: sorted.last().copied().unwrap_or(f64::NAN),
        digest_sent,
        seconds,
    })
}
