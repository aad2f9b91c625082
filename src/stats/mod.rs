//! The numbers coordinators report.
//!
//! - [`period`]: the periods people report on (今天 … 2026-11-01..2026-11-15), as local days.
//! - [`figures`]: the API every reader uses (chat, CLI, console): [`summary`] of one node and
//!   span, [`children`] for detail and ranking, [`find_scope`] by code or name. Figures come
//!   from the rollups the store keeps with every ticket change (`store::rollups`,
//!   `domain::rollup`): a question reads one node's rows for the span's days, at any number of
//!   tickets, in a read transaction of its own.
//! - [`compute`] / [`render`]: the older figures counted from ticket facts, still used by the
//!   weekly digest.
//!
//! Console use: `let span = period::parse("本月", today(now, zone))?;`
//! `let s = summary(&store, &scope.node, &span).await?;` then `s.received`, `s.rates` …;
//! `children(&store, &scope.node, &span, &settings.stats)` for the per-unit table, worst first.

pub mod figures;
pub mod period;
pub mod text;

pub use text::StatsTexts;

pub use figures::{
    Child, Rates, Scope, ScopeError, Summary, children, children_from, daily, find_scope, monthly,
    resolve_scope, split_period_scope, summary,
};

use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::Language;
use crate::domain::{Category, TicketState};
use crate::i18n::Texts;
use crate::store::tickets::TicketFacts;

/// Statistics for one period and grid subtree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub received: i64,
    /// Tickets with a first response from staff.
    pub replied: i64,
    /// Open or claimed.
    pub in_progress: i64,
    /// Resolved or closed after resolution.
    pub resolved: i64,
    pub dismissed: i64,
    /// A claim or resolution deadline missed (or still missed now).
    pub overdue: i64,
    /// Escalated to the village or town for a missed deadline.
    pub escalated: i64,
    /// Reopened by the reporter at least once (counts against the grid).
    pub reopened: i64,
    /// Closed because the reporter did not rate in time; never counted as satisfied.
    pub closed_unrated: i64,
    pub rated: i64,
    pub satisfied: i64,
    /// satisfied / rated; `None` when nothing was rated (never counts unrated as satisfied).
    pub satisfaction: Option<f64>,
    /// Milliseconds from creation to first staff response.
    pub response_p50_ms: Option<i64>,
    pub response_p90_ms: Option<i64>,
    /// Milliseconds from creation to resolution.
    pub resolution_p50_ms: Option<i64>,
    pub resolution_p90_ms: Option<i64>,
    pub by_category: BTreeMap<Category, i64>,
}

/// Computes the statistics of `facts` as of `now`.
pub fn compute(facts: &[TicketFacts], now: i64) -> Stats {
    let mut response = Vec::new();
    let mut resolution = Vec::new();
    let mut s = Stats {
        received: facts.len() as i64,
        replied: 0,
        in_progress: 0,
        resolved: 0,
        dismissed: 0,
        overdue: 0,
        escalated: 0,
        reopened: 0,
        closed_unrated: 0,
        rated: 0,
        satisfied: 0,
        satisfaction: None,
        response_p50_ms: None,
        response_p90_ms: None,
        resolution_p50_ms: None,
        resolution_p90_ms: None,
        by_category: BTreeMap::new(),
    };
    for f in facts {
        *s.by_category.entry(f.category).or_default() += 1;
        if let Some(t) = f.first_response_at {
            s.replied += 1;
            response.push(t - f.created_at);
        }
        match f.state {
            TicketState::Open | TicketState::Claimed => s.in_progress += 1,
            TicketState::Resolved | TicketState::Closed => s.resolved += 1,
            TicketState::Dismissed => s.dismissed += 1,
        }
        if let Some(t) = f.resolved_at {
            resolution.push(t - f.created_at);
        }
        if f.state != TicketState::Dismissed && is_overdue(f, now) {
            s.overdue += 1;
        }
        s.escalated += i64::from(f.escalated);
        s.reopened += i64::from(f.reopened > 0);
        if f.state == TicketState::Closed && f.ratings.total() == 0 {
            s.closed_unrated += 1;
        }
        // Every rating counts: the reporter's and each co-reporter's.
        s.rated += f.ratings.total();
        s.satisfied += f.ratings.satisfied;
    }
    if s.rated > 0 {
        s.satisfaction = Some(s.satisfied as f64 / s.rated as f64);
    }
    s.response_p50_ms = percentile(&mut response, 50);
    s.response_p90_ms = percentile(&mut response, 90);
    s.resolution_p50_ms = percentile(&mut resolution, 50);
    s.resolution_p90_ms = percentile(&mut resolution, 90);
    s
}

fn is_overdue(f: &TicketFacts, now: i64) -> bool {
    use crate::domain::sla::is_overdue as missed;
    missed(f.claim_due, f.claimed_at.or(f.resolved_at), now)
        || missed(f.resolve_due, f.resolved_at, now)
}

/// Nearest-rank percentile.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p as f64 / 100.0) * values.len() as f64).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

/// The statistics as a chat message.
pub fn render(stats: &Stats, scope: &str, period: &str, texts: &Texts) -> String {
    let en = texts.lang == Language::En;
    let dur = |ms: Option<i64>| {
        ms.map(|m| texts.duration(m.max(60_000)))
            .unwrap_or_else(|| "—".into())
    };
    let satisfaction = match stats.satisfaction {
        Some(v) => format!("{:.1}% ({}/{})", v * 100.0, stats.satisfied, stats.rated),
        None => "—".into(),
    };
    let cats: Vec<String> = stats
        .by_category
        .iter()
        .map(|(c, n)| format!("{} {n}", texts.category(*c)))
        .collect();
    if en {
        format!(
            "Statistics ({period}, {scope})\nReceived {} · replied {} · in progress {} · resolved {} · overdue {}\nEscalated {} · reopened {} · closed without rating {}\nSatisfaction {satisfaction}\nFirst response: median {} / p90 {}\nResolution: median {} / p90 {}\nBy category: {}",
            stats.received,
            stats.replied,
            stats.in_progress,
            stats.resolved,
            stats.overdue,
            stats.escalated,
            stats.reopened,
            stats.closed_unrated,
            dur(stats.response_p50_ms),
            dur(stats.response_p90_ms),
            dur(stats.resolution_p50_ms),
            dur(stats.resolution_p90_ms),
            if cats.is_empty() {
                "—".into()
            } else {
                cats.join(", ")
            }
        )
    } else {
        format!(
            "统计（{period}，{scope}）\n受理 {}｜已回复 {}｜处理中 {}｜已办结 {}｜超时 {}\n已上报 {}｜被退回重办 {}｜未评价结案 {}\n满意率 {satisfaction}\n首次响应：中位 {}／P90 {}\n办结用时：中位 {}／P90 {}\n分类：{}",
            stats.received,
            stats.replied,
            stats.in_progress,
            stats.resolved,
            stats.overdue,
            stats.escalated,
            stats.reopened,
            stats.closed_unrated,
            dur(stats.response_p50_ms),
            dur(stats.response_p90_ms),
            dur(stats.resolution_p50_ms),
            dur(stats.resolution_p90_ms),
            if cats.is_empty() {
                "—".into()
            } else {
                cats.join("，")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rating;

    const H: i64 = 3_600_000;

    fn fact(state: TicketState, created: i64) -> TicketFacts {
        TicketFacts {
            state,
            category: Category::Lighting,
            created_at: created,
            first_response_at: None,
            resolved_at: None,
            claim_due: created + 2 * H,
            resolve_due: created + 72 * H,
            ratings: crate::domain::Ratings::default(),
            claimed_at: None,
            escalated: false,
            reopened: 0,
        }
    }

    #[test]
    fn counts_and_satisfaction_never_count_unrated() {
        let mut a = fact(TicketState::Closed, 0);
        a.first_response_at = Some(H);
        a.claimed_at = Some(H);
        a.resolved_at = Some(3 * H);
        a.ratings = crate::domain::Ratings::one(Rating::Satisfied);
        let mut b = fact(TicketState::Resolved, 0);
        b.first_response_at = Some(H / 2);
        b.claimed_at = Some(H / 2);
        b.resolved_at = Some(5 * H);
        let mut c = fact(TicketState::Open, 0);
        c.category = Category::Water;
        let s = compute(&[a, b, c], 10 * H);
        assert_eq!(s.received, 3);
        assert_eq!(s.replied, 2);
        assert_eq!(s.in_progress, 1);
        assert_eq!(s.resolved, 2);
        assert_eq!(s.overdue, 1, "the open ticket missed its 2h claim deadline");
        assert_eq!(s.rated, 1);
        assert_eq!(s.satisfaction, Some(1.0));
        assert_eq!(s.response_p50_ms, Some(H / 2));
        assert_eq!(s.response_p90_ms, Some(H));
        assert_eq!(s.resolution_p50_ms, Some(3 * H));
        assert_eq!(s.by_category.get(&Category::Water), Some(&1));
    }

    /// A ticket rated by its reporter and two co-reporters counts three ratings.
    #[test]
    fn satisfaction_counts_every_rating() {
        let mut a = fact(TicketState::Closed, 0);
        a.resolved_at = Some(H);
        a.ratings = crate::domain::Ratings {
            satisfied: 2,
            neutral: 1,
            unsatisfied: 0,
        };
        let mut b = fact(TicketState::Closed, 0);
        b.resolved_at = Some(H);
        b.ratings = crate::domain::Ratings::one(Rating::Unsatisfied);
        let s = compute(&[a, b], 2 * H);
        assert_eq!((s.rated, s.satisfied, s.closed_unrated), (4, 2, 0));
        assert_eq!(s.satisfaction, Some(0.5));
    }

    #[test]
    fn nothing_rated_means_no_satisfaction_figure() {
        let s = compute(&[fact(TicketState::Open, 0)], 0);
        assert_eq!(s.satisfaction, None);
        assert_eq!(s.overdue, 0);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let mut v = vec![5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
        assert_eq!(percentile(&mut v, 50), Some(5));
        assert_eq!(percentile(&mut v, 90), Some(9));
        assert_eq!(percentile(&mut [], 50), None);
    }
}

/// Today's date in `zone` at `now` (Unix ms).
pub fn today(now: i64, zone: chrono_tz::Tz) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(now)
        .map(|d| d.with_timezone(&zone).date_naive())
        .unwrap_or_default()
}

/// A statistics report as `gridline stats` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The period as named in the sentence ("2026年11月").
    pub period: String,
    /// First and last local day, yyyymmdd (0: from the beginning).
    pub from_day: i32,
    pub to_day: i32,
    /// The grid code, or none for the whole tree.
    pub grid: Option<String>,
    /// The scope's name.
    pub scope: String,
    pub stats: Summary,
    /// Per child unit, worst first, with its weighted score (`--detail`, `--ranking`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<(Child, Option<f64>)>>,
    /// Per assignee under the scope (`--detail`), as in 统计明细.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaders: Option<Vec<crate::store::rollups::LeaderFigures>>,
    pub inbox: crate::store::inbox::InboxCounts,
    pub outbox: crate::store::outbox::OutboxCounts,
}

/// What `gridline stats` shows besides the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Summary,
    Detail,
    Ranking,
}

impl Report {
    pub fn render(&self, settings: &crate::config::Settings, view: View) -> String {
        let texts = Texts::new(settings.general.language);
        let head = match (view, &self.children) {
            (View::Detail, Some(ch)) => {
                let ch: Vec<Child> = ch.iter().map(|(c, _)| c.clone()).collect();
                let detail = texts.stats_detail(&self.scope, &self.period, &ch);
                let leaders = texts.stats_leaders(self.leaders.as_deref().unwrap_or_default());
                if leaders.is_empty() {
                    detail
                } else {
                    format!("{detail}\n{leaders}")
                }
            }
            (View::Ranking, Some(ch)) => texts.stats_ranking(&self.scope, &self.period, ch),
            _ => texts.stats_sentence(&self.stats, &self.scope, &self.period),
        };
        format!(
            "{head}\ninbox: {} stored, {} waiting\noutbox: {} pending, {} sent, {} parked",
            self.inbox.total,
            self.inbox.unprocessed,
            self.outbox.pending,
            self.outbox.sent,
            self.outbox.parked
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Period(String),
    #[error("{0}")]
    Scope(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Statistics for `gridline stats`: the same figures as the chat command, plus delivery health.
/// `period` is any period word or range ([`period::parse`]); `grid` a code or a name.
pub async fn report(
    store: &crate::store::Store,
    settings: &crate::config::Settings,
    period_text: &str,
    grid: Option<&str>,
) -> Result<Report, ReportError> {
    report_view(store, settings, period_text, grid, View::Summary).await
}

/// [`report`] with the per-unit figures for detail or ranking.
pub async fn report_view(
    store: &crate::store::Store,
    settings: &crate::config::Settings,
    period_text: &str,
    grid: Option<&str>,
    view: View,
) -> Result<Report, ReportError> {
    let texts = Texts::new(settings.general.language);
    let zone = settings.general.timezone.0;
    let day = today(crate::store::now_millis(), zone);
    // As in the chat: the period and the grid in either order, or the grid alone
    // (`gridline stats 东风社区`, `gridline stats 东风社区 上月`).
    // A word that is neither a period nor a grid is reported as a period.
    let (period_text, grid) = match (period::parse(period_text, day), grid) {
        (Err(_), None) if find_scope(store, period_text).await?.is_ok() => {
            ("全部", Some(period_text))
        }
        (Err(_), Some(g)) if period::parse(g, day).is_ok() => (g, Some(period_text)),
        (_, grid) => (period_text, grid),
    };
    let span = period::parse(period_text, day).map_err(|e| {
        ReportError::Period(match e {
            period::PeriodError::Backwards => texts.backwards_period(period_text),
            period::PeriodError::Unknown(_) => texts.bad_period(period_text),
        })
    })?;
    let scope = match grid {
        Some(text) => find_scope(store, text)
            .await?
            .map_err(|e| ReportError::Scope(texts.scope_problem(text, &e)))?,
        None => Scope::all(),
    };
    let stats = summary(store, &scope.node, &span).await?;
    let children = match view {
        View::Summary => None,
        View::Detail | View::Ranking => Some(
            figures::children(store, &scope.node, &span, &settings.stats)
                .await?
                .into_iter()
                .map(|c| {
                    let score = c.summary.score(&settings.stats);
                    (c, score)
                })
                .collect(),
        ),
    };
    let (from_day, to_day) = span.days();
    let leaders = match view {
        View::Detail => Some(store.rollup_leaders(&scope.node, from_day, to_day).await?),
        View::Summary | View::Ranking => None,
    };
    Ok(Report {
        period: match texts.lang {
            Language::Zh => span.label_zh(),
            Language::En => span.label_en(),
        },
        from_day,
        to_day,
        grid: scope.grid.as_ref().map(|g| g.code.clone()),
        scope: scope
            .grid
            .as_ref()
            .map_or_else(|| texts.all_grids().to_string(), |g| g.name.clone()),
        stats,
        children,
        leaders,
        inbox: store.inbox_counts().await?,
        outbox: store.outbox_counts().await?,
    })
}
