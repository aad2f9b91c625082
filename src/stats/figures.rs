//! Figures for a grid-tree node and a span of days, from the rollups: the API chat commands,
//! the CLI and the console read. Each call reads one node's (or its children's) rows for the
//! span's days, in a read transaction of its own, never inside the engine's write transaction.

use serde::Serialize;
use std::collections::BTreeMap;

use super::period::Span;
use crate::config::StatsSettings;
use crate::domain::Category;
use crate::domain::rollup::{self, Counts, c};
use crate::store::roster::Grid;
use crate::store::{Store, StoreError};

/// One node's figures over a span. `received = open + claimed + resolved + closed + dismissed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub received: i64,
    /// Waiting to be claimed (待接单).
    pub open: i64,
    /// Claimed, being worked on (已接单).
    pub claimed: i64,
    /// Resolved, waiting for the reporter's rating (已办结待评价).
    pub resolved: i64,
    /// Closed after resolution, rated or not (已关闭).
    pub closed: i64,
    pub dismissed: i64,
    /// With a first response from staff (已回复).
    pub replied: i64,
    /// Claimed (or resolved unclaimed) by the claim deadline.
    pub claimed_in_time: i64,
    /// With a resolution.
    pub done: i64,
    /// Resolved by the resolve deadline.
    pub done_in_time: i64,
    pub claim_overdue: i64,
    pub resolve_overdue: i64,
    pub escalated: i64,
    pub reopened: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub neutral: i64,
    pub unsatisfied: i64,
    pub closed_unrated: i64,
    /// Approved extensions of resolve deadlines (延期).
    pub extended: i64,
    pub rates: Rates,
    /// From the histograms: the middle of the bucket the percentile falls in.
    pub response_p50_ms: Option<i64>,
    pub response_p90_ms: Option<i64>,
    pub resolution_p50_ms: Option<i64>,
    pub resolution_p90_ms: Option<i64>,
    pub by_category: BTreeMap<Category, i64>,
}

/// The rates units are ranked by (0–1; `None` when there is nothing to measure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    /// 及时签收率: claimed before the claim deadline / received (dismissed left out).
    pub on_time_claim: Option<f64>,
    /// 按时办结率: resolved before the resolve deadline / resolved.
    pub on_time_resolve: Option<f64>,
    /// 满意率: satisfied / rated.
    pub satisfaction: Option<f64>,
    /// 重办率: reopened / resolved.
    pub reopen: Option<f64>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Summary {
    pub fn in_progress(&self) -> i64 {
        self.open + self.claimed
    }

    /// Resolved or closed: the tickets with a result.
    pub fn finished(&self) -> i64 {
        self.resolved + self.closed
    }

    pub fn from_counts(k: &Counts) -> Summary {
        let rated = k[c::SATISFIED] + k[c::NEUTRAL] + k[c::UNSATISFIED];
        Summary {
            received: k[c::RECEIVED],
            open: k[c::OPEN],
            claimed: k[c::CLAIMED],
            resolved: k[c::RESOLVED],
            closed: k[c::CLOSED],
            dismissed: k[c::DISMISSED],
            replied: k[c::RESPONDED],
            claimed_in_time: k[c::CLAIMED_IN_TIME],
            done: k[c::DONE],
            done_in_time: k[c::DONE_IN_TIME],
            claim_overdue: k[c::CLAIM_OVERDUE],
            resolve_overdue: k[c::RESOLVE_OVERDUE],
            escalated: k[c::ESCALATED],
            reopened: k[c::REOPENED],
            rated,
            satisfied: k[c::SATISFIED],
            neutral: k[c::NEUTRAL],
            unsatisfied: k[c::UNSATISFIED],
            closed_unrated: k[c::CLOSED_UNRATED],
            extended: k[c::EXTENDED],
            rates: Rates {
                // Of the tickets whose claim is settled: claimed in time, or the deadline
                // missed. A ticket still inside its claim window counts for neither yet, so
                // this morning's reports do not read as a 0 % rate before anyone could be late;
                // once every ticket of a period is settled this is claimed in time / received
                // (dismissed left out).
                on_time_claim: ratio(
                    k[c::CLAIMED_IN_TIME],
                    k[c::CLAIMED_IN_TIME] + k[c::CLAIM_OVERDUE],
                ),
                on_time_resolve: ratio(k[c::DONE_IN_TIME], k[c::DONE]),
                satisfaction: ratio(k[c::SATISFIED], rated),
                reopen: ratio(k[c::REOPENED], k[c::DONE].max(k[c::REOPENED])),
            },
            ..Summary::default()
        }
    }

    pub fn from_figures(f: &crate::store::rollups::Figures) -> Summary {
        let mut s = Summary::from_counts(&f.counts);
        s.response_p50_ms = rollup::percentile(&f.response, 50);
        s.response_p90_ms = rollup::percentile(&f.response, 90);
        s.resolution_p50_ms = rollup::percentile(&f.resolution, 50);
        s.resolution_p90_ms = rollup::percentile(&f.resolution, 90);
        s.by_category = f
            .by_category
            .iter()
            .filter(|(_, k)| k[c::RECEIVED] > 0)
            .map(|(cat, k)| (*cat, k[c::RECEIVED]))
            .collect();
        s
    }

    /// A weighted score of the rates (0–100); `None` when no rate can be measured.
    pub fn score(&self, w: &StatsSettings) -> Option<f64> {
        let parts = [
            (self.rates.on_time_claim, w.weight_on_time_claim),
            (self.rates.on_time_resolve, w.weight_on_time_resolve),
            (self.rates.satisfaction, w.weight_satisfaction),
            (self.rates.reopen.map(|r| 1.0 - r), w.weight_reopen),
        ];
        let (sum, weight) = parts
            .iter()
            .filter_map(|(r, w)| r.map(|r| (r * w, *w)))
            .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
        (weight > 0.0).then(|| 100.0 * sum / weight)
    }
}

/// `'*'` (the whole tree) or a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// The node the rollups are kept under: `'*'` or the grid's code.
    pub node: String,
    /// The grid, or `None` for the whole tree.
    pub grid: Option<Grid>,
}

impl Scope {
    pub fn all() -> Scope {
        Scope {
            node: "*".into(),
            grid: None,
        }
    }

    pub fn of(grid: Grid) -> Scope {
        Scope {
            node: grid.code.clone(),
            grid: Some(grid),
        }
    }

    /// The materialised path a subtree query matches ("/" for everything).
    pub fn path(&self) -> &str {
        self.grid.as_ref().map_or("/", |g| g.path.as_str())
    }
}

/// A node's figures over a span.
pub async fn summary(store: &Store, node: &str, span: &Span) -> Result<Summary, StoreError> {
    let (from, to) = span.days();
    let figures = store.rollup_figures(node, from, to).await?;
    Ok(Summary::from_figures(&figures))
}

/// A node's figures for each local day of a span that has anything received, oldest first
/// (the console's charts): one row per day read, never the tickets.
pub async fn daily(
    store: &Store,
    node: &str,
    span: &Span,
) -> Result<Vec<(chrono::NaiveDate, Summary)>, StoreError> {
    let (from, to) = span.days();
    Ok(dated(store.rollup_by_day(node, from, to).await?))
}

/// [`daily`] with each whole month of the span in one row dated its first day (the days at
/// the span's ends stay days): what a chart by month needs, a dozen rows a year.
pub async fn monthly(
    store: &Store,
    node: &str,
    span: &Span,
) -> Result<Vec<(chrono::NaiveDate, Summary)>, StoreError> {
    let (from, to) = span.days();
    Ok(dated(store.rollup_by_month(node, from, to).await?))
}

fn dated(rows: Vec<(i32, Counts)>) -> Vec<(chrono::NaiveDate, Summary)> {
    rows.into_iter()
        .filter_map(|(day, k)| {
            let date = chrono::NaiveDate::from_ymd_opt(
                day / 10_000,
                (day / 100 % 100) as u32,
                (day % 100) as u32,
            )?;
            Some((date, Summary::from_counts(&k)))
        })
        .collect()
}

/// One child node's figures (for detail and ranking).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Child {
    pub code: String,
    pub name: String,
    pub summary: Summary,
}

/// The figures of each child of `node` with anything received in the span, worst score
/// first (units with no rate to score last).
pub async fn children(
    store: &Store,
    node: &str,
    span: &Span,
    weights: &StatsSettings,
) -> Result<Vec<Child>, StoreError> {
    let (from, to) = span.days();
    let rows = store.rollup_children(node, from, to).await?;
    let codes: Vec<String> = rows.iter().map(|(code, _)| code.clone()).collect();
    let names = store.grid_names(&codes).await?;
    Ok(children_from(rows, &names, weights))
}

/// Child rows with their names, worst score first.
pub fn children_from(
    rows: Vec<(String, Counts)>,
    names: &std::collections::HashMap<String, String>,
    weights: &StatsSettings,
) -> Vec<Child> {
    let mut out: Vec<Child> = rows
        .into_iter()
        .filter(|(_, k)| k[c::RECEIVED] > 0)
        .map(|(code, k)| Child {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            code,
            summary: Summary::from_counts(&k),
        })
        .collect();
    out.sort_by(|a, b| {
        let (x, y) = (a.summary.score(weights), b.summary.score(weights));
        match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.code.cmp(&b.code))
    });
    out
}

/// Splits what follows 统计 into a period and a scope: the longest run of leading words that
/// is a period, else the longest trailing one, else a period written together with the
/// scope in one word ("这周东风社区"); the other words are the scope (a code or a name). No
/// period means 全部.
pub fn split_period_scope(args: &str, today: chrono::NaiveDate) -> (Span, Option<String>) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let is_period = |w: &[&str]| super::period::parse(&w.join(" "), today).ok();
    for k in (1..=words.len()).rev() {
        if let Some(span) = is_period(&words[..k]) {
            let rest = words[k..].join(" ");
            return (span, (!rest.is_empty()).then_some(rest));
        }
    }
    for k in 1..words.len() {
        if let Some(span) = is_period(&words[k..]) {
            return (span, Some(words[..k].join(" ")));
        }
    }
    // Chinese writes them together: "这周东风社区", "东风社区11月". The longest period at the
    // start of a word, else at its end; the word's other part joins the scope.
    for (i, word) in words.iter().enumerate() {
        // Never inside a number ("13月" is no "3月" of grid "1"), and never leaving a part that
        // is itself a period, read or not ("2026年2月30日").
        let cuts: Vec<usize> = word
            .char_indices()
            .map(|(at, _)| at)
            .skip(1)
            .filter(|&at| {
                let digit = |s: &str, back: bool| {
                    let c = if back {
                        s.chars().next_back()
                    } else {
                        s.chars().next()
                    };
                    c.is_some_and(|c| c.is_ascii_digit())
                };
                !(digit(&word[..at], true) && digit(&word[at..], false))
            })
            .collect();
        let joined = |scope: &str| {
            let mut rest: Vec<&str> = words.clone();
            rest[i] = scope;
            rest.join(" ")
        };
        if let Some((span, at)) = cuts
            .iter()
            .rev()
            .filter(|&&at| !super::period::looks_like_period(&word[at..]))
            .find_map(|&at| is_period(&[&word[..at]]).map(|span| (span, at)))
        {
            return (span, Some(joined(&word[at..])));
        }
        if let Some((span, at)) = cuts
            .iter()
            .filter(|&&at| !super::period::looks_like_period(&word[..at]))
            .find_map(|&at| is_period(&[&word[at..]]).map(|span| (span, at)))
        {
            return (span, Some(joined(&word[..at])));
        }
    }
    let all = super::period::parse("全部", today).unwrap_or(Span {
        from: None,
        to: today,
        kind: super::period::SpanKind::All,
    });
    (all, (!words.is_empty()).then(|| words.join(" ")))
}

/// The scope a coordinator names: a code (indexed look-up) or a name (compared with every
/// grid's name). `Ok(Err(_))` carries the grids to suggest.
pub async fn find_scope(
    store: &Store,
    text: &str,
) -> Result<Result<Scope, ScopeError>, StoreError> {
    let t = text.trim();
    for code in [t.to_string(), t.to_uppercase()] {
        if let Some(g) = store.grid(&code).await? {
            return Ok(Ok(Scope::of(g)));
        }
    }
    let grids = store.all_grids().await?;
    Ok(resolve_scope(t, &grids).map(Scope::of))
}

/// Why a scope could not be found; both carry the grids to suggest ("did you mean").
#[derive(Debug, Clone, PartialEq)]
pub enum ScopeError {
    /// Several grids answer to the name.
    Ambiguous(Vec<Grid>),
    /// Nothing answers; the closest names.
    Unknown(Vec<Grid>),
}

impl ScopeError {
    /// Keeps only the candidates `visible` admits.
    pub fn keep(&mut self, visible: impl Fn(&Grid) -> bool) {
        let (ScopeError::Ambiguous(list) | ScopeError::Unknown(list)) = self;
        list.retain(|g| visible(g));
    }
}

/// Finds the grid a coordinator means by a code or a name (东风社区, 东风, qs-df), among
/// `grids`: the code (any case), else the exact name, else the one name containing the text.
pub fn resolve_scope(text: &str, grids: &[Grid]) -> Result<Grid, ScopeError> {
    let t = text.trim();
    if let Some(g) = grids.iter().find(|g| g.code.eq_ignore_ascii_case(t)) {
        return Ok(g.clone());
    }
    let exact: Vec<&Grid> = grids.iter().filter(|g| g.name == t).collect();
    if let [g] = exact.as_slice() {
        return Ok((*g).clone());
    }
    if exact.len() > 1 {
        return Err(ScopeError::Ambiguous(exact.into_iter().cloned().collect()));
    }
    let lower = folded(t);
    let containing: Vec<&Grid> = grids
        .iter()
        .filter(|g| !t.is_empty() && folded(&g.name).contains(&lower))
        .collect();
    // Failing that, a name shortened as people say it: the text's characters in the name in
    // their order (东风一 for 东风社区第一网格, 下罗上罗 for 下罗村上罗组网格).
    let in_order: Vec<&Grid> = if containing.is_empty() && lower.chars().count() >= 2 {
        grids
            .iter()
            .filter(|g| in_order_within(&lower, &folded(&g.name)))
            .collect()
    } else {
        Vec::new()
    };
    let found = if containing.is_empty() {
        in_order
    } else {
        containing
    };
    match found.as_slice() {
        [g] => return Ok((*g).clone()),
        [] => {}
        many => {
            // The highest level first: 东风 → 东风社区 before its grids.
            let mut many: Vec<Grid> = many.iter().map(|g| (*g).clone()).collect();
            many.sort_by_key(|g| (g.path.len(), g.code.clone()));
            if many.len() > 1 && many[0].path.len() < many[1].path.len() {
                let top = many[0].clone();
                if many.iter().all(|g| g.path.starts_with(&top.path)) {
                    return Ok(top);
                }
            }
            many.truncate(8);
            return Err(ScopeError::Ambiguous(many));
        }
    }
    // The names sharing the most of the text's characters (each counted once), the higher
    // level first, then by code.
    let wanted: std::collections::HashSet<char> = lower.chars().collect();
    let mut scored: Vec<(usize, &Grid)> = grids
        .iter()
        .map(|g| {
            let name: std::collections::HashSet<char> = folded(&g.name).chars().collect();
            (wanted.intersection(&name).count(), g)
        })
        .filter(|(n, _)| *n > 0)
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.path.len().cmp(&b.1.path.len()))
            .then_with(|| a.1.code.cmp(&b.1.code))
    });
    Err(ScopeError::Unknown(
        scored.into_iter().take(5).map(|(_, g)| g.clone()).collect(),
    ))
}

/// A name or a typed scope as compared: lower case, spaces gone, digits as the Chinese
/// numerals names are written with (第1网格 is 第一网格).
fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .map(|c| match c.to_digit(10) {
            Some(d) => ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'][d as usize],
            None => c,
        })
        .collect()
}

/// Every character of `short` appears in `name`, in the same order.
fn in_order_within(short: &str, name: &str) -> bool {
    let mut rest = name.chars();
    short.chars().all(|c| rest.any(|n| n == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(code: &str, name: &str, path: &str) -> Grid {
        Grid {
            code: code.into(),
            name: name.into(),
            parent: None,
            level: "grid".into(),
            path: path.into(),
        }
    }

    fn demo() -> Vec<Grid> {
        vec![
            grid("QS", "青石镇", "/QS/"),
            grid("QS-DF", "东风社区", "/QS/QS-DF/"),
            grid("QS-XL", "下罗村", "/QS/QS-XL/"),
            grid("QS-DF-01", "东风社区第一网格", "/QS/QS-DF/QS-DF-01/"),
            grid("QS-DF-02", "东风社区第二网格", "/QS/QS-DF/QS-DF-02/"),
            grid("QS-XL-01", "下罗村下罗组网格", "/QS/QS-XL/QS-XL-01/"),
            grid("QS-XL-02", "下罗村上罗组网格", "/QS/QS-XL/QS-XL-02/"),
        ]
    }

    #[test]
    fn scope_by_code_name_or_part_of_a_name() {
        let g = demo();
        assert_eq!(
            resolve_scope("qs-df", &g).map(|g| g.code),
            Ok("QS-DF".into())
        );
        assert_eq!(
            resolve_scope("东风社区", &g).map(|g| g.code),
            Ok("QS-DF".into())
        );
        assert_eq!(
            resolve_scope("东风", &g).map(|g| g.code),
            Ok("QS-DF".into())
        );
        assert_eq!(
            resolve_scope("第二网格", &g).map(|g| g.code),
            Ok("QS-DF-02".into())
        );
        match resolve_scope("网格", &g) {
            Err(ScopeError::Ambiguous(list)) => assert!(list.len() >= 4),
            other => panic!("{other:?}"),
        }
        match resolve_scope("东方社区", &g) {
            Err(ScopeError::Unknown(list)) => assert_eq!(list[0].code, "QS-DF"),
            other => panic!("{other:?}"),
        }
        // Shortened as people say it, or with a digit for the numeral.
        for (typed, code) in [
            ("东风一", "QS-DF-01"),
            ("东风二网格", "QS-DF-02"),
            ("东风社区第1网格", "QS-DF-01"),
            ("下罗上罗", "QS-XL-02"),
        ] {
            assert_eq!(
                resolve_scope(typed, &g).map(|g| g.code),
                Ok(code.into()),
                "{typed}"
            );
        }
        // Several in order: the candidates, the higher level first.
        match resolve_scope("东网格", &g) {
            Err(ScopeError::Ambiguous(list)) => {
                let codes: Vec<&str> = list.iter().map(|g| g.code.as_str()).collect();
                assert_eq!(codes, ["QS-DF-01", "QS-DF-02"]);
            }
            other => panic!("{other:?}"),
        }
        // Unknown: the candidates sharing most characters, each counted once, then by code.
        match resolve_scope("西风三", &g) {
            Err(ScopeError::Unknown(list)) => assert_eq!(list[0].code, "QS-DF"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn period_and_scope_in_either_order() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        let (span, scope) = split_period_scope("11月 东风社区", today);
        assert_eq!(span.days(), (20261101, 20261130));
        assert_eq!(scope.as_deref(), Some("东风社区"));
        let (span, scope) = split_period_scope("东风社区 last month", today);
        assert_eq!(span.days(), (20261101, 20261130));
        assert_eq!(scope.as_deref(), Some("东风社区"));
        let (span, scope) = split_period_scope("这周东风社区", today);
        assert_eq!(span.days(), (20261130, 20261205));
        assert_eq!(scope.as_deref(), Some("东风社区"));
        let (span, scope) = split_period_scope("东风社区11月", today);
        assert_eq!(span.days(), (20261101, 20261130));
        assert_eq!(scope.as_deref(), Some("东风社区"));
        // A period that cannot be read stays whole, for the answer to say so.
        for word in ["13月", "2026年2月30日"] {
            let (span, scope) = split_period_scope(word, today);
            assert_eq!((span.from, scope.as_deref()), (None, Some(word)));
        }
        let (span, scope) = split_period_scope("QS-DF", today);
        assert_eq!(span.from, None);
        assert_eq!(scope.as_deref(), Some("QS-DF"));
        let (span, scope) = split_period_scope("", today);
        assert_eq!((span.from, scope), (None, None));
    }

    #[test]
    fn rates_and_score() {
        let mut k = [0; rollup::COUNTERS.len()];
        k[c::RECEIVED] = 10;
        k[c::DISMISSED] = 2;
        k[c::CLAIMED_IN_TIME] = 6;
        k[c::CLAIM_OVERDUE] = 2;
        k[c::DONE] = 4;
        k[c::DONE_IN_TIME] = 3;
        k[c::SATISFIED] = 3;
        k[c::UNSATISFIED] = 1;
        let s = Summary::from_counts(&k);
        assert_eq!(s.rates.on_time_claim, Some(0.75));
        assert_eq!(s.rates.on_time_resolve, Some(0.75));
        assert_eq!(s.rates.satisfaction, Some(0.75));
        assert_eq!(s.rates.reopen, Some(0.0));
        let score = s.score(&StatsSettings::default()).expect("score");
        assert!((score - 77.5).abs() < 1e-9, "{score}");
        assert_eq!(Summary::default().score(&StatsSettings::default()), None);
        // This morning's three tickets, none past its claim deadline: no rate yet, not 0 %.
        let mut k = [0; rollup::COUNTERS.len()];
        k[c::RECEIVED] = 3;
        k[c::OPEN] = 3;
        assert_eq!(Summary::from_counts(&k).rates.on_time_claim, None);
        // One of them past it: 0 of 1.
        k[c::CLAIM_OVERDUE] = 1;
        assert_eq!(Summary::from_counts(&k).rates.on_time_claim, Some(0.0));
    }
}
