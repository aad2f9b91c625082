//! The console's pages and actions.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::chart::{self, Scale, Series};
use super::figures::{self, Figures, Period, local_date, local_time, percent};
use super::html::{Frame, Nav, bare_page, esc, options, query};
use super::{ConsoleError, ConsoleState, Node, Viewer, auth};
use crate::domain::mask::mask_personal_numbers;
use crate::domain::{Category, HistoryKind, Rating, TicketRef, TicketState, Urgency};
use crate::engine::commands::{self, Command};
use crate::stats::StatsTexts as _;
use crate::store::console::{LedgerPlan, LedgerQuery, Scope};
use crate::store::roster::Grid;
use crate::store::tickets::Ticket;

/// The sandbox adapter's platform name (its personas' accounts are on it).
const SANDBOX_PLATFORM: &str = "sandbox";

/// Rows on one ledger page.
pub(super) const PAGE_ROWS: i64 = 50;

/// A signed-in page.
fn page(s: &ConsoleState, v: &Viewer, title: &str, nav: Nav, body: &str) -> Response {
    let who = s.texts.signed_in(&v.name, s.texts.role_name(v.role));
    let frame = Frame {
        texts: &s.texts,
        title,
        nav,
        who: &who,
        csrf: &v.csrf,
    };
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(frame.render(body)),
    )
        .into_response()
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

// ---- login ---------------------------------------------------------------------------------

#[derive(Deserialize)]
pub(super) struct LoginQuery {
    token: Option<String>,
}

/// Swaps a one-time link for a session. The answer sets the cookie and moves the browser on to
/// the overview by a page of its own (not a 303): the token leaves the address bar and the
/// history, and the next request is a same-site one, which carries a SameSite=Strict cookie
/// even when the link was opened from a chat app.
pub(super) async fn login(State(s): State<ConsoleState>, Query(q): Query<LoginQuery>) -> Response {
    let r = async {
        let t = &s.texts;
        let token = q.token.unwrap_or_default();
        let now = s.now();
        let person = if auth::well_signed(&s.secret, &token) {
            s.store
                .console_link_redeem(&auth::digest(&token), now)
                .await?
        } else {
            None
        };
        let Some(person) = person else {
            tracing::info!("console link refused (unknown, used or expired)");
            let body = format!(
                r#"<h1>{}</h1><p class="error">{}</p><p>{}</p>"#,
                esc(t.ui("link_refused")),
                esc(t.ui("link_refused")),
                esc(t.ui("login_how"))
            );
            return Ok((
                StatusCode::FORBIDDEN,
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::REFERRER_POLICY, "no-referrer"),
                ],
                Html(bare_page(t, t.ui("link_refused"), &body)),
            )
                .into_response());
        };
        let sid = auth::random_hex(32).map_err(|e| ConsoleError::Internal(e.to_string()))?;
        let csrf = auth::random_hex(16).map_err(|e| ConsoleError::Internal(e.to_string()))?;
        s.store
            .console_session_create(&auth::digest(&sid), &person, &csrf, now)
            .await?;
        s.store
            .console_audit(&crate::store::console::AuditEntry {
                at: now,
                person: person.clone(),
                action: "login".into(),
                ticket_id: None,
                detail: String::new(),
            })
            .await?;
        let body = format!(
            r#"<p>{}</p><p><a href="/console">{}</a></p>"#,
            esc(t.ui("signing_in")),
            esc(t.ui("continue"))
        );
        let html = bare_page(t, t.ui("signing_in"), &body).replace(
            "<title>",
            r#"<meta http-equiv="refresh" content="0;url=/console"><title>"#,
        );
        let mut r = (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            Html(html),
        )
            .into_response();
        let cookie = auth::set_cookie(&sid, s.settings.console.secure_cookies());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        Ok(r)
    }
    .await;
    s.respond(r)
}

#[derive(Deserialize)]
pub(super) struct SandboxLogin {
    #[serde(rename = "as")]
    persona: Option<String>,
    token: Option<String>,
}

/// The sandbox's "open the console" for a staff persona: a fresh one-time link for the person
/// behind the persona, followed at once. Only with the sandbox on, and with its token when it
/// has one (whoever may speak as a persona may act as them).
pub(super) async fn sandbox_login(
    State(s): State<ConsoleState>,
    Query(q): Query<SandboxLogin>,
) -> Response {
    let r = async {
        let sandbox = &s.settings.sandbox;
        if !sandbox.enabled {
            return Err(ConsoleError::NotFound);
        }
        let expected = sandbox.token.expose();
        if !expected.is_empty() && !auth::csrf_matches(expected, q.token.as_deref()) {
            return Err(ConsoleError::NotFound);
        }
        let persona = q.persona.unwrap_or_default();
        let person = s
            .store
            .console_person_of(SANDBOX_PLATFORM, &persona)
            .await?
            .ok_or(ConsoleError::NotFound)?;
        let link = auth::issue_link(&s.store, &s.settings, &person, s.now())
            .await
            .map_err(|_| ConsoleError::NotFound)?;
        let token = link.split("token=").nth(1).unwrap_or_default();
        Ok(see_other(&format!("/console/login?token={token}")))
    }
    .await;
    s.respond(r)
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

pub(super) async fn logout(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        if !auth::csrf_matches(&v.csrf, f.csrf.as_deref()) {
            return Err(ConsoleError::Csrf);
        }
        s.store.console_session_end(&v.session, s.now()).await?;
        s.audit(&v, "logout", None, "").await?;
        let t = &s.texts;
        let body = format!("<p>{}</p>", esc(t.ui("signed_out")));
        let mut r = Html(bare_page(t, t.ui("signed_out"), &body)).into_response();
        if let Ok(c) =
            HeaderValue::from_str(&auth::set_cookie("", s.settings.console.secure_cookies()))
        {
            r.headers_mut().insert(header::SET_COOKIE, c);
        }
        Ok(r)
    }
    .await;
    s.respond(r)
}

// ---- overview ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub(super) struct NodeQuery {
    node: Option<String>,
    period: Option<String>,
}

fn the_period(s: &ConsoleState, key: Option<&str>) -> Result<Period, ConsoleError> {
    let key = key.unwrap_or("month");
    figures::period(key, s.now(), s.tz(), &s.texts)
        .ok_or_else(|| ConsoleError::Bad(format!("period `{key}`")))
}

/// The node and period picker shown above figures.
async fn picker(
    s: &ConsoleState,
    v: &Viewer,
    node: &Node,
    period: &Period,
    action: &str,
) -> Result<String, ConsoleError> {
    let t = &s.texts;
    let mut nodes: Vec<(String, String)> = Vec::new();
    match &v.scope {
        Scope::All => nodes.push((String::new(), s.office_name())),
        Scope::Under(_) => {
            for r in &v.roots {
                nodes.push((r.code.clone(), r.name.clone()));
            }
        }
    }
    if let Some(code) = &node.code
        && !nodes.iter().any(|(c, _)| c == code)
    {
        nodes.push((code.clone(), node.name.clone()));
    }
    for child in s.store.console_children(node.code.as_deref()).await? {
        if v.scope.covers(&child.path) {
            nodes.push((child.code, format!("└ {}", child.name)));
        }
    }
    let mut periods = figures::period_choices(t);
    if !periods.iter().any(|(k, _)| *k == period.key) {
        periods.push((period.key.clone(), period.label.clone()));
    }
    Ok(format!(
        r#"<form class="filters" method="get" action="{action}"><label>{}<select name="node">{}</select></label><label>{}<select name="period">{}</select></label><button type="submit">{}</button></form>"#,
        esc(t.ui("node")),
        options(&nodes, node.code.as_deref().unwrap_or("")),
        esc(t.ui("period")),
        options(&periods, &period.key),
        esc(t.ui("show")),
    ))
}

/// The rollup node of a page's node: its grid code, or `*` for the whole tree.
fn rollup_node(node: &Node) -> &str {
    node.code.as_deref().unwrap_or("*")
}

async fn node_figures(
    s: &ConsoleState,
    node: &Node,
    period: &Period,
) -> Result<Figures, ConsoleError> {
    Ok(figures::figures(&s.store, rollup_node(node), period).await?)
}

/// The headline in the form offices paste upward (the first line of the chat's 统计 answer).
fn sentence(s: &ConsoleState, node: &Node, period: &Period, f: &Figures) -> String {
    let full = s
        .texts
        .stats_sentence(&f.summary, &node.name, &period.label);
    full.lines().next().unwrap_or_default().to_string()
}

/// A median time as the chat's statistics write it ("25分钟", "3.5小时"), or a dash.
fn rounded(t: &crate::i18n::Texts, ms: Option<i64>) -> String {
    use crate::stats::text::StatsTexts as _;
    ms.map_or_else(|| "—".to_string(), |ms| t.duration_rounded(ms))
}

fn key_figures(s: &ConsoleState, f: &Figures) -> String {
    let t = &s.texts;
    let st = &f.summary;
    let items: Vec<(&'static str, String, bool)> = vec![
        ("received", st.received.to_string(), false),
        ("replied", st.replied.to_string(), false),
        ("in_progress", st.in_progress().to_string(), false),
        ("resolved", st.finished().to_string(), false),
        ("dismissed", st.dismissed.to_string(), false),
        (
            "claim_overdue",
            st.claim_overdue.to_string(),
            st.claim_overdue > 0,
        ),
        (
            "resolve_overdue",
            st.resolve_overdue.to_string(),
            st.resolve_overdue > 0,
        ),
        ("escalated", st.escalated.to_string(), false),
        ("reopened", st.reopened.to_string(), false),
        ("satisfaction", percent(st.rates.satisfaction), false),
        ("on_time_claim", percent(st.rates.on_time_claim), false),
        ("on_time_resolve", percent(st.rates.on_time_resolve), false),
        ("response_p50", rounded(t, st.response_p50_ms), false),
        ("resolution_p50", rounded(t, st.resolution_p50_ms), false),
    ];
    let mut out = String::from(r#"<div class="figures">"#);
    for (k, v, late) in items {
        let class = if late { " overdue" } else { "" };
        let _ = write!(
            out,
            r#"<div class="figure" data-figure="{k}"><div class="v{class}">{}</div><div class="k">{}</div></div>"#,
            esc(&v),
            esc(t.ui(k))
        );
    }
    out.push_str("</div>");
    out
}

/// The five charts of a node and period.
fn charts(s: &ConsoleState, f: &Figures) -> String {
    let t = &s.texts;
    let mut out = String::from(r#"<div class="charts">"#);
    let mut figure = |key: &'static str, svg: String| {
        let _ = write!(
            out,
            r#"<figure class="chart"><figcaption>{}</figcaption>{svg}</figure>"#,
            esc(t.ui(key))
        );
    };
    let step_label = |d: chrono::NaiveDate, step: figures::Step| match step {
        figures::Step::Day => d.format("%d").to_string(),
        figures::Step::Week => d.format("%m-%d").to_string(),
        figures::Step::Month => d.format("%Y-%m").to_string(),
    };
    // Received, and of those resolved by now, per day (per month for long periods).
    let volume_key = if f.volume_step == figures::Step::Day {
        "chart_daily"
    } else {
        "chart_monthly"
    };
    let labels: Vec<String> = f
        .volume
        .iter()
        .map(|p| step_label(p.first, f.volume_step))
        .collect();
    let received: Vec<f64> = f.volume.iter().map(|p| p.received as f64).collect();
    let resolved: Vec<f64> = f.volume.iter().map(|p| p.done as f64).collect();
    let desc = format!(
        "{} {}, {} {}",
        t.ui("received"),
        received.iter().sum::<f64>(),
        t.ui("of_which_resolved"),
        resolved.iter().sum::<f64>()
    );
    figure(
        volume_key,
        chart::columns(
            "daily",
            t.ui(volume_key),
            &desc,
            (t.ui("unit_count"), Scale::Count),
            &labels,
            &[
                Series {
                    name: t.ui("received"),
                    values: received.into_iter().map(Some).collect(),
                    color: "#1d5fa8",
                },
                Series {
                    name: t.ui("of_which_resolved"),
                    values: resolved.into_iter().map(Some).collect(),
                    color: "#2e7d32",
                },
            ],
        ),
    );
    // Category mix, largest first.
    let mut cats: Vec<(String, f64)> = f
        .summary
        .by_category
        .iter()
        .map(|(c, n)| (t.category(*c).to_string(), *n as f64))
        .collect();
    cats.sort_by(|a, b| b.1.total_cmp(&a.1));
    let desc = cats
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let cats: Vec<(String, Option<f64>)> = cats.into_iter().map(|(c, n)| (c, Some(n))).collect();
    figure(
        "chart_category",
        chart::bars(
            "category",
            t.ui("chart_category"),
            &desc,
            (t.ui("unit_count"), Scale::Count),
            &cats,
        ),
    );
    // On-time rates.
    let rates = &f.summary.rates;
    let bars = vec![
        (
            t.ui("on_time_claim").to_string(),
            rates.on_time_claim.map(|r| r * 100.0),
        ),
        (
            t.ui("on_time_resolve").to_string(),
            rates.on_time_resolve.map(|r| r * 100.0),
        ),
    ];
    let desc = format!(
        "{} {}, {} {}",
        t.ui("on_time_claim"),
        percent(rates.on_time_claim),
        t.ui("on_time_resolve"),
        percent(rates.on_time_resolve)
    );
    figure(
        "chart_on_time",
        chart::bars(
            "ontime",
            t.ui("chart_on_time"),
            &desc,
            (t.ui("unit_percent"), Scale::Percent),
            &bars,
        ),
    );
    // Satisfaction by week (by month for long periods).
    let trend_key = if f.trend_step == figures::Step::Month {
        "chart_satisfaction_month"
    } else {
        "chart_satisfaction"
    };
    let share = |p: &figures::Point| (p.rated > 0).then(|| p.satisfied as f64 / p.rated as f64);
    let labels: Vec<String> = f
        .trend
        .iter()
        .map(|p| step_label(p.first, f.trend_step))
        .collect();
    let values: Vec<Option<f64>> = f
        .trend
        .iter()
        .map(|p| share(p).map(|s| s * 100.0))
        .collect();
    let desc = f
        .trend
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                step_label(p.first, f.trend_step),
                percent(share(p))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    figure(
        trend_key,
        chart::columns(
            "satisfaction",
            t.ui(trend_key),
            &desc,
            (t.ui("unit_percent"), Scale::Percent),
            &labels,
            &[Series {
                name: t.ui("satisfaction"),
                values,
                color: "#8e44ad",
            }],
        ),
    );
    // Response and resolution percentiles from the rollups' histograms: in minutes while the
    // longest is under two hours ("0.5 小时" reads worse than "29 分钟"), else in hours.
    let st = &f.summary;
    let times = [
        st.response_p50_ms,
        st.response_p90_ms,
        st.resolution_p50_ms,
        st.resolution_p90_ms,
    ];
    let in_minutes = times.iter().flatten().all(|&ms| ms < 2 * 3_600_000);
    let (per, unit) = if in_minutes {
        (60_000.0, t.ui("unit_minutes"))
    } else {
        (3_600_000.0, t.ui("unit_hours"))
    };
    let h = |ms: Option<i64>| ms.map(|m| m as f64 / per);
    let shown = |ms: Option<i64>| match h(ms) {
        Some(v) if in_minutes => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "—".into(),
    };
    let labels = vec![
        t.ui("first_response_short").to_string(),
        t.ui("resolution_short").to_string(),
    ];
    let desc = format!(
        "{} {} / {}, {} {} / {} ({unit})",
        t.ui("first_response_short"),
        shown(st.response_p50_ms),
        shown(st.response_p90_ms),
        t.ui("resolution_short"),
        shown(st.resolution_p50_ms),
        shown(st.resolution_p90_ms),
    );
    figure(
        "chart_times",
        chart::columns(
            "times",
            t.ui("chart_times"),
            &desc,
            (unit, Scale::Amount),
            &labels,
            &[
                Series {
                    name: t.ui("p50"),
                    values: vec![h(st.response_p50_ms), h(st.resolution_p50_ms)],
                    color: "#1d5fa8",
                },
                Series {
                    name: t.ui("p90"),
                    values: vec![h(st.response_p90_ms), h(st.resolution_p90_ms)],
                    color: "#e67e22",
                },
            ],
        ),
    );
    out.push_str("</div>");
    out
}

pub(super) async fn overview(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NodeQuery>,
) -> Response {
    let r = async {
        let v = match s.viewer(&headers).await {
            Ok(v) => v,
            Err(ConsoleError::SignedOut) => return Ok(login_help(&s)),
            Err(e) => return Err(e),
        };
        let node = s.node(&v, q.node.as_deref()).await?;
        let period = the_period(&s, q.period.as_deref())?;
        let f = node_figures(&s, &node, &period).await?;
        let t = &s.texts;
        let node_q = node.code.clone().unwrap_or_default();
        let body = format!(
            r#"<h1>{} · {}</h1>{}<p class="sentence" id="sentence">{}</p>{}{}<p class="noprint"><a href="/console/report{}">{}</a> · <a href="/console/ledger{}">{}</a></p>"#,
            esc(t.ui("overview")),
            esc(&node.name),
            picker(&s, &v, &node, &period, "/console").await?,
            esc(&sentence(&s, &node, &period, &f)),
            key_figures(&s, &f),
            charts(&s, &f),
            query(&[("node", node_q.clone()), ("period", period.key.clone())]),
            esc(t.ui("report")),
            query(&[("node", node_q)]),
            esc(t.ui("ledger")),
        );
        Ok(page(&s, &v, t.ui("overview"), Nav::Overview, &body))
    }
    .await;
    s.respond(r)
}

fn login_help(s: &ConsoleState) -> Response {
    let t = &s.texts;
    let body = format!(
        r#"<h1>{}</h1><p>{}</p>"#,
        esc(t.ui("login_needed")),
        esc(t.ui("login_how"))
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::CACHE_CONTROL, "no-store")],
        Html(bare_page(t, t.ui("login_needed"), &body)),
    )
        .into_response()
}

/// A section of a page: its title (the UI text `id`) and a table with that id, a header row
/// of UI texts and rows of plain-text cells (escaped here), each row with its attributes.
fn titled_table<const N: usize>(
    s: &ConsoleState,
    id: &'static str,
    heads: &[&'static str; N],
    rows: impl Iterator<Item = (String, [String; N])>,
) -> String {
    let t = &s.texts;
    let mut out = format!(r#"<h2>{}</h2><table id="{id}"><thead><tr>"#, esc(t.ui(id)));
    for h in heads {
        let _ = write!(out, "<th>{}</th>", esc(t.ui(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for (attrs, cells) in rows {
        let _ = write!(out, "<tr{attrs}>");
        for c in cells {
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

// ---- the tree ------------------------------------------------------------------------------

/// One row of the tree: a node below, its figures and its weighted score.
struct Branch {
    grid: Grid,
    summary: crate::stats::Summary,
    score: Option<f64>,
}

/// The figures of every node directly below `node` from the rollups (one read of the
/// children's rows for the period's days), worst first by the weighted score of the rates
/// the ranking (统计 排名) uses; nodes with nothing received last.
async fn branches(
    s: &ConsoleState,
    v: &Viewer,
    node: &Node,
    period: &Period,
) -> Result<Vec<Branch>, ConsoleError> {
    let children: Vec<Grid> = s
        .store
        .console_children(node.code.as_deref())
        .await?
        .into_iter()
        .filter(|c| v.scope.covers(&c.path))
        .collect();
    let weights = &s.settings.stats;
    let ranked = crate::stats::children(&s.store, rollup_node(node), &period.span, weights).await?;
    let mut by_code: HashMap<String, Grid> =
        children.into_iter().map(|g| (g.code.clone(), g)).collect();
    let mut out = Vec::with_capacity(by_code.len());
    for child in ranked {
        if let Some(grid) = by_code.remove(&child.code) {
            out.push(Branch {
                score: child.summary.score(weights),
                grid,
                summary: child.summary,
            });
        }
    }
    let mut quiet: Vec<Grid> = by_code.into_values().collect();
    quiet.sort_by(|a, b| a.code.cmp(&b.code));
    out.extend(quiet.into_iter().map(|grid| Branch {
        grid,
        summary: crate::stats::Summary::default(),
        score: None,
    }));
    Ok(out)
}

fn branch_table(s: &ConsoleState, period: &Period, rows: &[Branch], link: bool) -> String {
    let t = &s.texts;
    let mut out = String::from(r#"<table class="tree"><thead><tr>"#);
    for (key, num) in [
        ("rank", true),
        ("node", false),
        ("received", true),
        ("replied", true),
        ("in_progress", true),
        ("resolved", true),
        ("claim_overdue", true),
        ("resolve_overdue", true),
        ("on_time_claim", true),
        ("on_time_resolve", true),
        ("satisfaction", true),
        ("score", true),
    ] {
        let _ = write!(
            out,
            "<th{}>{}</th>",
            if num { r#" class="num""# } else { "" },
            esc(t.ui(key))
        );
    }
    out.push_str("</tr></thead><tbody>");
    for (i, b) in rows.iter().enumerate() {
        let st = &b.summary;
        let late = st.claim_overdue + st.resolve_overdue > 0;
        let name = if link {
            format!(
                r#"<a href="/console/tree{}">{}</a>"#,
                query(&[
                    ("node", b.grid.code.clone()),
                    ("period", period.key.clone())
                ]),
                esc(&b.grid.name)
            )
        } else {
            esc(&b.grid.name)
        };
        let red = |n: i64| if n > 0 { " overdue" } else { "" };
        let _ = write!(
            out,
            r#"<tr data-node="{}"{}><td class="num">{}</td><td>{name}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num{}">{}</td><td class="num{}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(&b.grid.code),
            if late { r#" class="overdue""# } else { "" },
            i + 1,
            st.received,
            st.replied,
            st.in_progress(),
            st.finished(),
            red(st.claim_overdue),
            st.claim_overdue,
            red(st.resolve_overdue),
            st.resolve_overdue,
            percent(st.rates.on_time_claim),
            percent(st.rates.on_time_resolve),
            percent(st.rates.satisfaction),
            b.score
                .map_or_else(|| "—".to_string(), |x| format!("{x:.1}")),
        );
    }
    out.push_str("</tbody></table>");
    out
}

pub(super) async fn tree(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NodeQuery>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let node = s.node(&v, q.node.as_deref()).await?;
        let period = the_period(&s, q.period.as_deref())?;
        let f = node_figures(&s, &node, &period).await?;
        let rows = branches(&s, &v, &node, &period).await?;
        let t = &s.texts;
        // The way up, as far as the scope reaches.
        let mut crumbs = String::new();
        let mut up = node.code.clone();
        let mut trail = Vec::new();
        while let Some(code) = up {
            let Some(g) = s.store.grid(&code).await? else {
                break;
            };
            if !v.scope.covers(&g.path) {
                break;
            }
            up = g.parent.clone();
            trail.push(g);
            if trail.len() > 10 {
                break;
            }
        }
        for g in trail.iter().rev() {
            let _ = write!(
                crumbs,
                r#"<a href="/console/tree{}">{}</a> › "#,
                query(&[("node", g.code.clone()), ("period", period.key.clone())]),
                esc(&g.name)
            );
        }
        let node_q = node.code.clone().unwrap_or_default();
        let letter = if node.code.is_some() && f.overdue() > 0 {
            format!(
                r#" · <a href="/console/letters/grid/{}">{}</a>"#,
                esc(&html_path(&node_q)),
                esc(t.ui("letter_grid"))
            )
        } else {
            String::new()
        };
        let body = format!(
            r#"<h1>{} · {}</h1>{}<p class="crumbs">{crumbs}</p><p class="sentence">{}</p><h2>{} <span class="muted">({})</span></h2>{}<p class="noprint"><a href="/console/ledger{}">{}</a>{letter}</p>"#,
            esc(t.ui("tree")),
            esc(&node.name),
            picker(&s, &v, &node, &period, "/console/tree").await?,
            esc(&sentence(&s, &node, &period, &f)),
            esc(t.ui("children")),
            esc(t.ui("worst_first")),
            branch_table(&s, &period, &rows, true),
            query(&[("node", node_q)]),
            esc(t.ui("ledger")),
        );
        Ok(page(&s, &v, t.ui("tree"), Nav::Tree, &body))
    }
    .await;
    s.respond(r)
}

/// A grid code as a path segment (codes are letters, digits and dashes; anything else is
/// percent-encoded).
fn html_path(code: &str) -> String {
    super::html::url_value(code)
}

// ---- the ledger ----------------------------------------------------------------------------

/// The ledger's filters, as the form and links carry them.
#[derive(Deserialize, Default, Clone)]
pub(super) struct LedgerParams {
    pub node: Option<String>,
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub state: Option<String>,
    pub overdue: Option<String>,
    pub rating: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

impl LedgerParams {
    /// The filters as query pairs (without the page position).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("node", opt(&self.node).to_string()),
            ("period", opt(&self.period).to_string()),
            ("from", opt(&self.from).to_string()),
            ("to", opt(&self.to).to_string()),
            ("category", opt(&self.category).to_string()),
            ("urgency", opt(&self.urgency).to_string()),
            ("state", opt(&self.state).to_string()),
            ("overdue", opt(&self.overdue).to_string()),
            ("rating", opt(&self.rating).to_string()),
            ("q", opt(&self.q).to_string()),
            ("sort", opt(&self.sort).to_string()),
        ]
    }
}

/// The store query of a ledger request (checked: bad values are refused, not ignored).
pub(super) async fn ledger_query(
    s: &ConsoleState,
    v: &Viewer,
    p: &LedgerParams,
    limit: i64,
) -> Result<(LedgerQuery, Node), ConsoleError> {
    let node = s.node(v, Some(opt(&p.node))).await?;
    let bad = |what: &str, value: &str| ConsoleError::Bad(format!("{what} `{value}`"));
    let tz = s.tz();
    let date = |text: &str, what: &str| -> Result<Option<i64>, ConsoleError> {
        if text.is_empty() {
            return Ok(None);
        }
        let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad(what, text))?;
        Ok(d.and_hms_opt(0, 0, 0)
            .and_then(|d| chrono::TimeZone::from_local_datetime(&tz, &d).earliest())
            .map(|d| d.timestamp_millis()))
    };
    let mut q = LedgerQuery {
        // No node asked: the whole scope (every root of it).
        node_path: (!opt(&p.node).is_empty()).then(|| node.path.clone()),
        limit,
        now: s.now(),
        ..Default::default()
    };
    if !opt(&p.period).is_empty() {
        let period = the_period(s, Some(opt(&p.period)))?;
        q.from = period.from;
        q.to = Some(period.to);
    }
    if let Some(from) = date(opt(&p.from), "from")? {
        q.from = Some(from);
    }
    if let Some(to) = date(opt(&p.to), "to")? {
        // Inclusive of the day named.
        q.to = Some(to + 86_400_000);
    }
    let c = opt(&p.category);
    if !c.is_empty() {
        q.category = Some(c.parse::<Category>().map_err(|_| bad("category", c))?);
    }
    let u = opt(&p.urgency);
    if !u.is_empty() {
        q.urgency = Some(u.parse::<Urgency>().map_err(|_| bad("urgency", u))?);
    }
    let st = opt(&p.state);
    if !st.is_empty() {
        q.state = Some(st.parse::<TicketState>().map_err(|_| bad("state", st))?);
    }
    q.overdue = !opt(&p.overdue).is_empty();
    let r = opt(&p.rating);
    q.rating = match r {
        "" => None,
        "none" => Some(None),
        other => Some(Some(
            other.parse::<Rating>().map_err(|_| bad("rating", other))?,
        )),
    };
    let text = opt(&p.q);
    q.text = (!text.is_empty()).then(|| text.chars().take(100).collect());
    q.oldest_first = opt(&p.sort) == "oldest";
    let after = opt(&p.after);
    if !after.is_empty() {
        let (at, id) = after.split_once('.').ok_or_else(|| bad("after", after))?;
        q.after = Some((
            at.parse().map_err(|_| bad("after", after))?,
            id.parse().map_err(|_| bad("after", after))?,
        ));
    }
    let explicit = (!opt(&p.node).is_empty()).then_some(&node);
    q.plan = ledger_plan(s, v, explicit, &q).await?;
    Ok((q, node))
}

/// The cheapest way to find a ledger page, sized from the rollups (SQLite; PostgreSQL plans
/// from its own statistics). Walking the tickets by time costs about a page's rows divided by
/// the share of tickets that match; reading the scope's grids costs the scope's tickets in
/// the period. Lists of open, claimed or overdue tickets only ever read the active tickets'
/// indexes (walking them by time, or the scope's grids' active tickets), since those tickets
/// all sit at the newest end of any period. Shares the rollups know exactly (node, days,
/// category, urgency, state, rating) are used as they are; words in the text are taken to
/// match one ticket in a hundred.
pub(super) async fn ledger_plan(
    s: &ConsoleState,
    v: &Viewer,
    node: Option<&Node>,
    q: &LedgerQuery,
) -> Result<LedgerPlan, ConsoleError> {
    if s.store.backend() != crate::store::Backend::Sqlite {
        return Ok(LedgerPlan::Auto);
    }
    let tz = s.tz();
    let from = q.from.map_or(0, |f| crate::domain::rollup::day_of(f, tz));
    let to = crate::domain::rollup::day_of(q.to.unwrap_or(q.now + 86_400_000) - 1, tz);
    let nodes: Vec<String> = match (node, &v.scope) {
        (Some(n), _) => vec![rollup_node(n).to_string()],
        (None, Scope::All) => vec!["*".to_string()],
        (None, Scope::Under(_)) => v.roots.iter().map(|g| g.code.clone()).collect(),
    };
    let whole = nodes.iter().all(|n| n == "*");
    let mut sub = [0i64; crate::domain::rollup::COUNTERS.len()];
    let mut by_category = 0;
    for n in &nodes {
        let f = s.store.rollup_counts(n, from, to, q.urgency).await?;
        crate::domain::rollup::add(&mut sub, &f.counts, 1);
        if let Some(c) = q.category {
            by_category += f.by_category.get(&c).map_or(0, |k| k[0]);
        }
    }
    // What the period holds over the whole tree, every urgency: what a walk by time passes.
    let all = if whole && q.urgency.is_none() {
        sub
    } else {
        s.store.rollup_counts("*", from, to, None).await?.counts
    };
    let plan = cheapest_plan(q, whole, &sub, by_category, &all);
    Ok(plan)
}

/// [`ledger_plan`]'s choice from the counts: `sub`, the scope's tickets in the period (of the
/// urgency asked), `by_category` of them in the category asked, `all`, the whole tree's in the
/// period; `whole` when the scope is the whole tree.
fn cheapest_plan(
    q: &LedgerQuery,
    whole: bool,
    sub: &crate::domain::rollup::Counts,
    by_category: i64,
    all: &crate::domain::rollup::Counts,
) -> LedgerPlan {
    use crate::domain::rollup::c;
    let received = sub[c::RECEIVED].max(1) as f64;
    // The share of the scope's tickets the filters other than the state keep.
    let mut share = 1.0;
    if q.category.is_some() {
        share *= by_category as f64 / received;
    }
    match q.rating {
        Some(Some(r)) => {
            let n = sub[match r {
                Rating::Satisfied => c::SATISFIED,
                Rating::Neutral => c::NEUTRAL,
                Rating::Unsatisfied => c::UNSATISFIED,
            }];
            share *= n as f64 / received;
        }
        Some(None) => {
            let rated = sub[c::SATISFIED] + sub[c::NEUTRAL] + sub[c::UNSATISFIED];
            share *= (sub[c::RECEIVED] - rated) as f64 / received;
        }
        None => {}
    }
    if q.text.is_some() {
        share /= 100.0;
    }
    let in_state = |k: &[i64], st: TicketState| {
        k[match st {
            TicketState::Open => c::OPEN,
            TicketState::Claimed => c::CLAIMED,
            TicketState::Resolved => c::RESOLVED,
            TicketState::Closed => c::CLOSED,
            TicketState::Dismissed => c::DISMISSED,
        }] as f64
    };
    let active = |k: &[i64]| in_state(k, TicketState::Open) + in_state(k, TicketState::Claimed);
    let by_grid = if whole {
        f64::INFINITY
    } else {
        2.0 * sub[c::RECEIVED] as f64
    };
    if q.overdue || matches!(q.state, Some(TicketState::Open | TicketState::Claimed)) {
        // Open and claimed tickets are the newest few days', not spread over the period: a
        // walk of every ticket by time would pass over the whole period's closed ones before
        // the first of them when the list is oldest first. They are found among the active
        // tickets only: by time when the scope holds a fair share of them (a walk never
        // passes more than all of them), else grid by grid.
        let wanted = match q.state {
            Some(st) if !q.overdue => in_state(sub, st),
            _ => active(sub),
        } * share;
        let walk = (q.limit as f64 * active(all) / wanted.max(0.5)).min(active(all));
        let by_active_grid = if whole {
            f64::INFINITY
        } else {
            2.0 * active(sub)
        };
        if walk <= by_active_grid && walk <= by_grid {
            LedgerPlan::Active
        } else if by_active_grid <= by_grid {
            LedgerPlan::ActiveByGrid
        } else {
            LedgerPlan::ByGrid
        }
    } else {
        let matching = match q.state {
            Some(st) => in_state(sub, st),
            None => received,
        } * share;
        let by_time = q.limit as f64 * all[c::RECEIVED] as f64 / matching.max(0.5);
        if by_grid < by_time {
            LedgerPlan::ByGrid
        } else {
            LedgerPlan::ByTime
        }
    }
}

/// Names for a page of tickets: grids and assignees.
pub(super) struct Names {
    pub grids: HashMap<String, Grid>,
    pub people: HashMap<String, String>,
}

impl Names {
    pub(super) async fn of(s: &ConsoleState, tickets: &[Ticket]) -> Result<Names, ConsoleError> {
        let mut grids: Vec<String> = tickets.iter().map(|t| t.grid.clone()).collect();
        grids.sort();
        grids.dedup();
        let mut people: Vec<String> = tickets.iter().filter_map(|t| t.assignee.clone()).collect();
        people.sort();
        people.dedup();
        Ok(Names {
            grids: s.store.console_grids_by_code(&grids).await?,
            people: s.store.console_names(&people).await?,
        })
    }
    pub(super) fn grid(&self, code: &str) -> String {
        self.grids
            .get(code)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| code.to_string())
    }
    pub(super) fn person(&self, code: Option<&str>) -> String {
        code.map(|c| self.people.get(c).cloned().unwrap_or_else(|| c.to_string()))
            .unwrap_or_default()
    }
}

/// The deadlines a ticket missed, as the statistics count them: claimed after the claim
/// deadline (or still waiting past it), resolved after the resolve deadline (or still active
/// past it); `None` when it missed none. The ticket page, the ledger and the export show it.
pub(super) fn missed_deadlines(t: &Ticket, now: i64, texts: &crate::i18n::Texts) -> Option<String> {
    let claim = t
        .claimed_at
        .map_or(t.state == TicketState::Open && t.claim_due < now, |at| {
            at > t.claim_due
        });
    let resolve = t
        .resolved_at
        .map_or(t.state.is_active() && t.resolve_due < now, |at| {
            at > t.resolve_due
        });
    let missed: Vec<&str> = [(claim, "claim_late"), (resolve, "resolve_late")]
        .into_iter()
        .filter(|(m, _)| *m)
        .map(|(_, k)| texts.ui(k))
        .collect();
    (!missed.is_empty()).then(|| missed.join(texts.ui("list_sep")))
}

/// Whether a ticket is active and past a deadline at `now`.
pub(super) fn is_overdue(t: &Ticket, now: i64) -> bool {
    (t.state == TicketState::Open && t.claim_due < now)
        || (t.state.is_active() && t.resolve_due < now)
}

pub(super) async fn ledger(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(p): Query<LedgerParams>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let (q, node) = ledger_query(&s, &v, &p, PAGE_ROWS + 1).await?;
        let mut tickets = s.store.console_ledger(&v.scope, &q).await?;
        let more = tickets.len() as i64 > PAGE_ROWS;
        tickets.truncate(PAGE_ROWS as usize);
        let names = Names::of(&s, &tickets).await?;
        let t = &s.texts;
        let tz = s.tz();
        let now = s.now();
        let mut nodes: Vec<(String, String)> = vec![(String::new(), t.ui("all").to_string())];
        match &v.scope {
            Scope::All => {}
            Scope::Under(_) => nodes.extend(v.roots.iter().map(|g| (g.code.clone(), g.name.clone()))),
        }
        if let Some(code) = &node.code
            && !nodes.iter().any(|(c, _)| c == code)
        {
            nodes.push((code.clone(), node.name.clone()));
        }
        for c in s.store.console_children(node.code.as_deref()).await? {
            if v.scope.covers(&c.path) {
                nodes.push((c.code, format!("└ {}", c.name)));
            }
        }
        let mut periods = vec![(String::new(), t.ui("all").to_string())];
        periods.extend(figures::period_choices(t));
        let mut cats = vec![(String::new(), t.ui("all").to_string())];
        cats.extend(Category::ALL.iter().map(|c| (c.id().to_string(), t.category(*c).to_string())));
        let urg = vec![
            (String::new(), t.ui("all").to_string()),
            ("urgent".to_string(), t.ui("urgent").to_string()),
            ("normal".to_string(), t.ui("normal").to_string()),
        ];
        let mut states = vec![(String::new(), t.ui("all").to_string())];
        states.extend(TicketState::ALL.iter().map(|st| (st.id().to_string(), t.state(*st).to_string())));
        let mut ratings = vec![
            (String::new(), t.ui("all").to_string()),
            ("none".to_string(), t.ui("unrated").to_string()),
        ];
        ratings.extend(
            [Rating::Satisfied, Rating::Neutral, Rating::Unsatisfied]
                .iter()
                .map(|r| (r.id().to_string(), t.rating(*r).to_string())),
        );
        let sorts = vec![
            (String::new(), t.ui("newest").to_string()),
            ("oldest".to_string(), t.ui("oldest").to_string()),
        ];
        let mut body = format!(
            r#"<h1>{} · {}</h1><form class="filters" method="get" action="/console/ledger" id="ledger-filters">
<label>{}<select name="node">{}</select></label>
<label>{}<select name="period">{}</select></label>
<label>{}<input type="date" name="from" value="{}"></label>
<label>{}<input type="date" name="to" value="{}"></label>
<label>{}<select name="category">{}</select></label>
<label>{}<select name="urgency">{}</select></label>
<label>{}<select name="state">{}</select></label>
<label>{}<select name="rating">{}</select></label>
<label>{}<input type="checkbox" name="overdue" value="1"{}></label>
<label>{}<input type="search" name="q" value="{}"></label>
<label>{}<select name="sort">{}</select></label>
<button type="submit">{}</button> <a href="/console/ledger">{}</a></form>"#,
            esc(t.ui("ledger")),
            esc(&node.name),
            esc(t.ui("node")),
            options(&nodes, node.code.as_deref().filter(|_| !opt(&p.node).is_empty()).unwrap_or("")),
            esc(t.ui("period")),
            options(&periods, opt(&p.period)),
            esc(t.ui("from")),
            esc(opt(&p.from)),
            esc(t.ui("to")),
            esc(opt(&p.to)),
            esc(t.ui("category")),
            options(&cats, opt(&p.category)),
            esc(t.ui("urgency")),
            options(&urg, opt(&p.urgency)),
            esc(t.ui("state")),
            options(&states, opt(&p.state)),
            esc(t.ui("rating")),
            options(&ratings, opt(&p.rating)),
            esc(t.ui("overdue_only")),
            if q.overdue { " checked" } else { "" },
            esc(t.ui("text")),
            esc(opt(&p.q)),
            esc(t.ui("sort")),
            options(&sorts, opt(&p.sort)),
            esc(t.ui("filter")),
            esc(t.ui("reset")),
        );
        let filters = query(&p.pairs());
        let _ = write!(
            body,
            r#"<p class="noprint"><a href="/console/ledger.csv{filters}" id="export-csv">{}</a> · <a href="/console/ledger.xlsx{filters}" id="export-xlsx">{}</a> · <span class="muted">{}</span></p>"#,
            esc(t.ui("export_csv")),
            esc(t.ui("export_xlsx")),
            esc(&t.ledger_count(tickets.len())),
        );
        let _ = write!(
            body,
            r#"<table id="ledger"><thead><tr><th class="num">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            esc(t.ui("no")),
            esc(t.ui("created")),
            esc(t.ui("grid")),
            esc(t.ui("category")),
            esc(t.ui("place")),
            esc(t.ui("content")),
            esc(t.ui("assignee")),
            esc(t.ui("state")),
            esc(t.ui("overdue")),
        );
        for tk in &tickets {
            let late = is_overdue(tk, now);
            let content: String = mask_personal_numbers(&tk.body).chars().take(40).collect();
            let _ = write!(
                body,
                r#"<tr data-ticket="{no}"{cls}><td class="num"><a href="{href}">{no}</a></td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td data-state="{}">{}</td><td>{}</td></tr>"#,
                esc(&local_time(tk.created_at, tz)),
                esc(&names.grid(&tk.grid)),
                esc(t.category(tk.category)),
                if tk.urgency == Urgency::Urgent {
                    format!(" <span class=\"overdue\">{}</span>", esc(t.ui("urgent")))
                } else {
                    String::new()
                },
                esc(tk.location.as_deref().unwrap_or("")),
                esc(&content),
                esc(&names.person(tk.assignee.as_deref())),
                tk.state.id(),
                esc(t.state(tk.state)),
                esc(&missed_deadlines(tk, now, t).unwrap_or_default()),
                href = esc(&ticket_path(tk)),
                no = esc(&tk.number().to_string()),
                cls = if late { r#" class="overdue""# } else { "" },
            );
        }
        body.push_str("</tbody></table><p class=\"pager noprint\">");
        if !opt(&p.after).is_empty() {
            let _ = write!(
                body,
                r#"<a href="/console/ledger{filters}">{}</a>"#,
                esc(t.ui("first_page"))
            );
        }
        if more && let Some(last) = tickets.last() {
            let mut pairs = p.pairs();
            pairs.push(("after", format!("{}.{}", last.created_at, last.id)));
            let _ = write!(
                body,
                r#"<a href="/console/ledger{}" id="next-page" rel="next">{}</a>"#,
                query(&pairs),
                esc(t.ui("next_page"))
            );
        }
        body.push_str("</p>");
        Ok(page(&s, &v, t.ui("ledger"), Nav::Ledger, &body))
    }
    .await;
    s.respond(r)
}

// ---- one ticket ----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub(super) struct TicketQuery {
    msg: Option<String>,
}

/// Where a ticket's page is: its grid code and its number there (`/console/tickets/QS-DF-01/12`),
/// the number people see in chat as `QS-DF-01#12`.
pub(super) fn ticket_path(tk: &Ticket) -> String {
    format!(
        "/console/tickets/{}/{}",
        super::html::url_value(&tk.grid),
        tk.no
    )
}

/// The ticket numbered `no` in grid `grid`, if it is in the viewer's scope.
async fn scoped_ticket(
    s: &ConsoleState,
    v: &Viewer,
    grid: &str,
    no: &str,
) -> Result<Ticket, ConsoleError> {
    let no: i64 = no
        .trim_start_matches('#')
        .parse()
        .map_err(|_| ConsoleError::NotFound)?;
    s.store
        .console_ticket_by_number(&v.scope, grid, no)
        .await?
        .ok_or(ConsoleError::NotFound)
}

/// A ticket named by one path segment: `QS-DF-01#12` (typed or pasted, `#` encoded as `%23`)
/// or, from links made before tickets were numbered within their grid, the database id.
async fn ticket_by_key(s: &ConsoleState, v: &Viewer, key: &str) -> Result<Ticket, ConsoleError> {
    match TicketRef::parse(key) {
        Some(TicketRef {
            grid: Some(grid),
            no,
        }) => scoped_ticket(s, v, &grid, &no.to_string()).await,
        _ => {
            let id: i64 = key.trim().parse().map_err(|_| ConsoleError::NotFound)?;
            s.store
                .console_ticket(&v.scope, id)
                .await?
                .ok_or(ConsoleError::NotFound)
        }
    }
}

/// An old or pasted ticket address (`/console/tickets/17`, `/console/tickets/QS-DF-01%2312`):
/// a permanent redirect to the ticket's page, when it is in scope.
pub(super) async fn ticket_redirect(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = ticket_by_key(&s, &v, &key).await?;
        Ok(moved(&ticket_path(&tk)))
    }
    .await;
    s.respond(r)
}

/// The same for a supervision letter's old address.
pub(super) async fn letter_redirect(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = ticket_by_key(&s, &v, &key).await?;
        Ok(moved(&ticket_path(&tk).replacen(
            "/console/tickets/",
            "/console/letters/ticket/",
            1,
        )))
    }
    .await;
    s.respond(r)
}

fn moved(to: &str) -> Response {
    let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub(super) async fn ticket(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path((grid, no)): Path<(String, String)>,
    Query(q): Query<TicketQuery>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = scoped_ticket(&s, &v, &grid, &no).await?;
        let names = Names::of(&s, std::slice::from_ref(&tk)).await?;
        let events = s.store.ticket_events(tk.id).await?;
        let messages = s.store.console_ticket_messages(tk.id).await?;
        let photos = s.store.ticket_photos(tk.id).await?;
        let extensions = s.store.ticket_extensions(tk.id).await?;
        let t = &s.texts;
        let tz = s.tz();
        let now = s.now();
        let opt_time = |at: Option<i64>| at.map(|a| local_time(a, tz)).unwrap_or_default();
        let mut body = format!(
            r#"<h1 id="ticket-title">{} · {}</h1>"#,
            esc(&tk.number().to_string()),
            esc(t.category(tk.category))
        );
        if let Some(msg) = q.msg.as_deref().filter(|m| !m.is_empty()) {
            let _ = write!(body, r#"<p class="flash" id="flash">{}</p>"#, esc(msg));
        }
        let late = is_overdue(&tk, now);
        let facts: Vec<(&'static str, String)> = vec![
            ("state", t.state(tk.state).to_string()),
            ("content", mask_personal_numbers(&tk.body)),
            ("place", tk.location.clone().unwrap_or_default()),
            ("grid", names.grid(&tk.grid)),
            (
                "urgency",
                if tk.urgency == Urgency::Urgent {
                    t.ui("urgent")
                } else {
                    t.ui("normal")
                }
                .to_string(),
            ),
            ("reporter", mask_personal_numbers(&tk.reporter_name)),
            ("assignee", names.person(tk.assignee.as_deref())),
            ("created", local_time(tk.created_at, tz)),
            ("first_response", opt_time(tk.first_response_at)),
            ("claimed_at", opt_time(tk.claimed_at)),
            ("resolved_at", opt_time(tk.resolved_at)),
            ("claim_due", local_time(tk.claim_due, tz)),
            ("resolve_due", local_time(tk.resolve_due, tz)),
            ("extensions", tk.extensions.to_string()),
            (
                "rating",
                tk.rating.map(|r| t.rating(r).to_string()).unwrap_or_default(),
            ),
            (
                "overdue",
                missed_deadlines(&tk, now, t).unwrap_or_else(|| t.ui("none").to_string()),
            ),
        ];
        body.push_str(r#"<dl class="facts" id="ticket-facts">"#);
        for (k, val) in facts {
            let _ = write!(
                body,
                r#"<dt>{}</dt><dd data-field="{k}"{}>{}</dd>"#,
                esc(t.ui(k)),
                if k == "overdue" && late {
                    r#" class="overdue""#
                } else {
                    ""
                },
                esc(&val)
            );
        }
        body.push_str("</dl>");
        if !photos.is_empty() {
            let _ = write!(body, "<h2>{}</h2><ul>", esc(t.ui("photos")));
            for ph in &photos {
                let what = if ph.evidence {
                    format!(" · {}", t.ui("evidence"))
                } else {
                    String::new()
                };
                let _ = write!(
                    body,
                    "<li>{} · {}{}</li>",
                    esc(&local_time(ph.sent_at, tz)),
                    esc(&ph.photo),
                    esc(&what)
                );
            }
            body.push_str("</ul>");
        }
        if !extensions.is_empty() {
            use crate::domain::extension::ExtensionState;
            body.push_str(&titled_table(
                &s,
                "extension_requests",
                &[
                    "asked_at",
                    "asked_by",
                    "days",
                    "reason",
                    "decision",
                    "decided_by",
                    "due_change",
                ],
                extensions.iter().map(|x| {
                    let decision = match x.state {
                        ExtensionState::Pending => t.ui("ext_pending"),
                        ExtensionState::Approved => t.ui("ext_approved"),
                        ExtensionState::Refused => t.ui("ext_refused"),
                    };
                    let decision = match x.note.as_deref().filter(|n| !n.is_empty()) {
                        Some(note) => format!("{decision}：{note}"),
                        None => decision.to_string(),
                    };
                    let due = match (x.old_due, x.new_due) {
                        (Some(old), Some(new)) => {
                            format!("{} → {}", local_time(old, tz), local_time(new, tz))
                        }
                        _ => String::new(),
                    };
                    (
                        format!(r#" data-extension="{}""#, x.state.id()),
                        [
                            local_time(x.asked_at, tz),
                            mask_personal_numbers(&x.asked_name),
                            x.days.to_string(),
                            mask_personal_numbers(&x.reason),
                            mask_personal_numbers(&decision),
                            x.decided_name
                                .as_deref()
                                .map(mask_personal_numbers)
                                .unwrap_or_default(),
                            due,
                        ],
                    )
                }),
            ));
        }
        // Those a ticket was handed to are stored by code; the history names them.
        let mut handed: Vec<String> = events
            .iter()
            .filter(|e| matches!(e.kind, HistoryKind::Transferred | HistoryKind::HandedOver))
            .map(|e| e.detail.trim().to_string())
            .collect();
        handed.sort();
        handed.dedup();
        let handed = s.store.console_names(&handed).await?;
        body.push_str(&titled_table(
            &s,
            "history",
            &["time", "actor", "event", "detail"],
            events.iter().map(|e| {
                let detail = t.history_detail(e.kind, &e.detail, tz, |code| {
                    handed.get(code).cloned().unwrap_or_else(|| code.to_string())
                });
                (
                    format!(r#" data-kind="{}""#, e.kind.id()),
                    [
                        local_time(e.at, tz),
                        mask_personal_numbers(&e.actor_name),
                        t.event_kind(e.kind).to_string(),
                        mask_personal_numbers(&detail),
                    ],
                )
            }),
        ));
        body.push_str(&titled_table(
            &s,
            "messages",
            &["time", "chat", "content", "delivery"],
            messages.iter().map(|m| {
                (
                    String::new(),
                    [
                        local_time(m.at, tz),
                        m.chat.clone(),
                        m.text.clone(),
                        match m.status.as_str() {
                            "pending" => t.ui("delivery_pending"),
                            "held" => t.ui("delivery_held"),
                            "sent" => t.ui("delivery_sent"),
                            "parked" => t.ui("delivery_parked"),
                            other => other,
                        }
                        .to_string(),
                    ],
                )
            }),
        ));
        if tk.state.is_active() {
            let form = |action: &str, label: &str, field: Option<&str>, hint: &str| {
                // 督办's words are optional; a note, a transfer and a dismissal need theirs.
                let required = if action == "urge" { "" } else { " required" };
                let input = field
                    .map(|f| {
                        format!(
                            r#"<label>{} <input type="text" name="text"{required} maxlength="500"></label> "#,
                            esc(f)
                        )
                    })
                    .unwrap_or_default();
                format!(
                    r#"<form class="action" method="post" action="{}/action" data-action="{action}"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="{action}">{input}<button type="submit">{}</button> <span class="muted">{}</span></form>"#,
                    esc(&ticket_path(&tk)),
                    esc(&v.csrf),
                    esc(label),
                    esc(hint)
                )
            };
            let select = |action: &str, label: &str, items: Vec<(String, String)>, current: &str| {
                format!(
                    r#"<form class="action" method="post" action="{}/action" data-action="{action}"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="{action}"><label>{} <select name="text">{}</select></label> <button type="submit">{}</button></form>"#,
                    esc(&ticket_path(&tk)),
                    esc(&v.csrf),
                    esc(label),
                    options(&items, current),
                    esc(t.ui("submit")),
                )
            };
            let cats = Category::ALL
                .iter()
                .map(|c| (c.id().to_string(), t.category(*c).to_string()))
                .collect();
            let urgencies = vec![
                ("normal".to_string(), t.ui("normal").to_string()),
                ("urgent".to_string(), t.ui("urgent").to_string()),
            ];
            let _ = write!(
                body,
                r#"<h2 class="noprint">{}</h2><div class="noprint">{}{}{}{}{}{}</div>"#,
                esc(t.ui("actions")),
                form("urge", t.ui("urge"), Some(t.ui("urge_words")), t.ui("urge_hint")),
                form("note", t.ui("note"), Some(t.ui("note")), ""),
                form("transfer", t.ui("transfer"), Some(t.ui("transfer_to")), ""),
                select("category", t.ui("change_category"), cats, tk.category.id()),
                select("urgency", t.ui("change_urgency"), urgencies, tk.urgency.id()),
                form("dismiss", t.ui("dismiss"), Some(t.ui("reason")), ""),
            );
        }
        let _ = write!(
            body,
            r#"<p class="noprint"><a href="{}" id="letter-link">{}</a> · <a href="/console/ledger">{}</a></p>"#,
            esc(&ticket_path(&tk).replacen("/console/tickets/", "/console/letters/ticket/", 1)),
            esc(t.ui("letter_ticket")),
            esc(t.ui("ledger")),
        );
        let title = tk.number().to_string();
        Ok(page(&s, &v, &title, Nav::Ledger, &body))
    }
    .await;
    s.respond(r)
}

#[derive(Deserialize)]
pub(super) struct ActionForm {
    csrf: Option<String>,
    action: Option<String>,
    text: Option<String>,
}

/// A console action on a ticket: the chat command's implementation, for the signed-in person.
pub(super) async fn action(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path((grid, no)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        if !auth::csrf_matches(&v.csrf, f.csrf.as_deref()) {
            tracing::info!(person = %v.person, "console POST without its CSRF token refused");
            return Err(ConsoleError::Csrf);
        }
        let tk = scoped_ticket(&s, &v, &grid, &no).await?;
        let text = f.text.as_deref().unwrap_or("").trim().to_string();
        let action = f.action.as_deref().unwrap_or("");
        let needs_text = |cmd: Command| {
            if text.is_empty() {
                Err(ConsoleError::Bad(format!("`text` is empty for {action}")))
            } else {
                Ok(cmd)
            }
        };
        // The ticket as a command names it from anywhere: its grid and its number there.
        let here = TicketRef::in_grid(&tk.grid, tk.no);
        let cmd = match action {
            "urge" => Command::Urge(commands::Urge(here, text.clone())),
            "note" => needs_text(Command::Note(commands::Note(here, text.clone())))?,
            "transfer" => needs_text(Command::Transfer(commands::Transfer(here, text.clone())))?,
            "category" => Command::Recategorize(commands::Recategorize(
                here,
                text.parse::<Category>()
                    .map_err(|_| ConsoleError::Bad(format!("category `{text}`")))?,
            )),
            "urgency" => Command::Urgency(commands::SetUrgency(
                here,
                text.parse::<Urgency>()
                    .map_err(|_| ConsoleError::Bad(format!("urgency `{text}`")))?,
            )),
            "dismiss" => needs_text(Command::Dismiss(commands::Dismiss {
                ticket: here,
                reason: text.clone(),
                duplicate_of: None,
            }))?,
            other => return Err(ConsoleError::Bad(format!("action `{other}`"))),
        };
        let outcome = s
            .engine
            .console_command(&s.store, &v.person, &v.name, tk.id, cmd)
            .await?;
        s.audit(&v, action, Some(tk.id), &text).await?;
        if outcome.sent > 0 {
            s.outbox_wake.notify_one();
        }
        let msg = if outcome.answers.is_empty() {
            s.texts
                .console_action_done(action, &tk.number().to_string())
        } else {
            outcome.answers.join("\n")
        };
        Ok(see_other(&format!(
            "{}{}",
            ticket_path(&tk),
            query(&[("msg", msg)])
        )))
    }
    .await;
    s.respond(r)
}

// ---- printable documents ---------------------------------------------------------------

/// A printable page: the frame's header is hidden in print.
fn print_page(s: &ConsoleState, v: &Viewer, title: &str, body: &str) -> Response {
    let body = format!(
        r#"<p class="noprint"><button type="button" onclick="window.print()">{}</button></p>{body}"#,
        esc(s.texts.ui("print"))
    );
    page(s, v, title, Nav::Report, &body)
}

pub(super) async fn report(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NodeQuery>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let node = s.node(&v, q.node.as_deref()).await?;
        let period = the_period(&s, q.period.as_deref())?;
        let f = node_figures(&s, &node, &period).await?;
        let rows = branches(&s, &v, &node, &period).await?;
        let t = &s.texts;
        let tz = s.tz();
        // The period's tickets still overdue, oldest first: what the office follows up.
        let mut late_q = LedgerQuery {
            node_path: Some(node.path.clone()),
            from: period.from,
            to: Some(period.to),
            overdue: true,
            oldest_first: true,
            limit: 100,
            now: s.now(),
            ..Default::default()
        };
        late_q.plan = ledger_plan(&s, &v, Some(&node), &late_q).await?;
        let late = s.store.console_ledger(&v.scope, &late_q).await?;
        let names = Names::of(&s, &late).await?;
        let mut overdue = String::new();
        if late.is_empty() {
            let _ = write!(overdue, "<p>{}</p>", esc(t.ui("no_overdue")));
        } else {
            let _ = write!(
                overdue,
                r#"<table id="overdue"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
                esc(t.ui("no")),
                esc(t.ui("grid")),
                esc(t.ui("content")),
                esc(t.ui("assignee")),
                esc(t.ui("state")),
                esc(t.ui("resolve_due")),
            );
            for tk in &late {
                let content: String = mask_personal_numbers(&tk.body).chars().take(40).collect();
                let _ = write!(
                    overdue,
                    r#"<tr><td><a href="{href}">{no}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    esc(&names.grid(&tk.grid)),
                    esc(&content),
                    esc(&names.person(tk.assignee.as_deref())),
                    esc(t.state(tk.state)),
                    esc(&local_time(tk.resolve_due, tz)),
                    href = esc(&ticket_path(tk)),
                    no = esc(&tk.number().to_string()),
                );
            }
            overdue.push_str("</tbody></table>");
        }
        let title = t.report_title(&node.name, &period.label);
        let body = format!(
            r#"<div class="noprint">{}</div><article class="report"><h1 id="report-title">{}</h1><p class="muted">{} · {}</p><p class="sentence">{}</p>{}<h2>{}</h2>{}<h2>{}</h2>{overdue}<h2>{}</h2>{}</article>"#,
            picker(&s, &v, &node, &period, "/console/report").await?,
            esc(&title),
            esc(t.ui("issuer")),
            esc(&s.issuer(&v).await?),
            esc(&sentence(&s, &node, &period, &f)),
            key_figures(&s, &f),
            esc(t.ui("children")),
            branch_table(&s, &period, &rows, false),
            esc(t.ui("overdue_list")),
            esc(t.ui("overview")),
            charts(&s, &f),
        );
        Ok(print_page(&s, &v, &title, &body))
    }
    .await;
    s.respond(r)
}

/// The letterhead and signature of a letter.
fn letter(
    s: &ConsoleState,
    issuer: &str,
    kind: &'static str,
    number: &str,
    to: &str,
    content: &str,
) -> String {
    let t = &s.texts;
    let today = local_date(s.now(), s.tz()).format("%Y-%m-%d").to_string();
    format!(
        r#"<article class="letter"><h1>{}</h1><p class="number">{}</p><p style="text-indent:0">{}</p>{content}<div class="sign"><div>{}：{}</div><div>{}____________</div><div>{}：{}</div></div></article>"#,
        esc(t.ui(kind)),
        esc(number),
        esc(&t.letter_salutation(to)),
        esc(t.ui("issuer")),
        esc(issuer),
        esc(t.ui("signature")),
        esc(t.ui("date")),
        esc(&today),
    )
}

pub(super) async fn letter_ticket(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path((grid, no)): Path<(String, String)>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = scoped_ticket(&s, &v, &grid, &no).await?;
        let names = Names::of(&s, std::slice::from_ref(&tk)).await?;
        let t = &s.texts;
        let tz = s.tz();
        let now = s.now();
        let due = if tk.state == TicketState::Open && tk.claim_due < tk.resolve_due {
            tk.claim_due
        } else {
            tk.resolve_due
        };
        let year = local_date(now, tz)
            .format("%Y")
            .to_string()
            .parse()
            .unwrap_or(0);
        let assignee = names.person(tk.assignee.as_deref());
        let grid = names.grid(&tk.grid);
        let to = if assignee.is_empty() {
            grid.clone()
        } else {
            format!("{grid} {assignee}")
        };
        // Late or not, as of the letter: a ticket being handled within its time is told its
        // deadline, not that it missed it; a finished one is told neither.
        let standing = tk.state.is_active().then_some(due < now);
        // The deadline the letter sets: a day from the letter for a late ticket, and never
        // later than the ticket's own.
        let deadline = local_time(
            match standing {
                Some(false) => due.min(now + 86_400_000),
                _ => now + 86_400_000,
            },
            tz,
        );
        let content = format!(
            r#"<p>{}</p><p>{}：{}</p><p>{}：<a href="{}">{}</a></p>"#,
            esc(&t.letter_ticket_body(
                &tk.number().to_string(),
                &local_time(tk.created_at, tz),
                &grid,
                tk.location.as_deref().unwrap_or("—"),
                &mask_personal_numbers(&tk.body),
                t.state(tk.state),
                &local_time(due, tz),
                standing,
            )),
            esc(t.ui("deadline")),
            esc(&deadline),
            esc(t.ui("no")),
            esc(&ticket_path(&tk)),
            esc(&tk.number().to_string()),
        );
        let number = t.letter_number("督办", year, &tk.number().to_string());
        s.audit(&v, "letter_ticket", Some(tk.id), &number).await?;
        let issuer = s.issuer(&v).await?;
        let body = letter(&s, &issuer, "letter_ticket", &number, &to, &content);
        let title = format!("{} {}", t.ui("letter_ticket"), tk.number());
        Ok(print_page(&s, &v, &title, &body))
    }
    .await;
    s.respond(r)
}

pub(super) async fn letter_grid(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let node = s.node(&v, Some(&code)).await?;
        let t = &s.texts;
        let tz = s.tz();
        let now = s.now();
        let mut q = LedgerQuery {
            node_path: Some(node.path.clone()),
            overdue: true,
            oldest_first: true,
            limit: 500,
            now,
            ..Default::default()
        };
        q.plan = ledger_plan(&s, &v, Some(&node), &q).await?;
        let tickets = s.store.console_ledger(&v.scope, &q).await?;
        let names = Names::of(&s, &tickets).await?;
        let year: i32 = local_date(now, tz).format("%Y").to_string().parse().unwrap_or(0);
        let serial = format!("{}-{}", node.code.as_deref().unwrap_or(""), local_date(now, tz).format("%m%d"));
        let number = t.letter_number("提示", year, &serial);
        let mut content = format!(
            "<p>{}</p>",
            esc(&t.letter_grid_body(&node.name, tickets.len()))
        );
        if tickets.is_empty() {
            let _ = write!(content, "<p>{}</p>", esc(t.ui("no_overdue")));
        } else {
            let _ = write!(
                content,
                r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
                esc(t.ui("no")),
                esc(t.ui("grid")),
                esc(t.ui("content")),
                esc(t.ui("assignee")),
                esc(t.ui("state")),
                esc(t.ui("resolve_due")),
            );
            for tk in &tickets {
                let body: String = mask_personal_numbers(&tk.body).chars().take(40).collect();
                let _ = write!(
                    content,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&tk.number().to_string()),
                    esc(&names.grid(&tk.grid)),
                    esc(&body),
                    esc(&names.person(tk.assignee.as_deref())),
                    esc(t.state(tk.state)),
                    esc(&local_time(tk.resolve_due, tz)),
                );
            }
            content.push_str("</tbody></table>");
        }
        let _ = write!(
            content,
            "<p>{}：{}</p>",
            esc(t.ui("deadline")),
            esc(&local_time(now + 3 * 86_400_000, tz))
        );
        s.audit(&v, "letter_grid", None, &node.path).await?;
        let issuer = s.issuer(&v).await?;
        let body = letter(&s, &issuer, "letter_grid", &number, &node.name, &content);
        Ok(print_page(&s, &v, t.ui("letter_grid"), &body))
    }
    .await;
    s.respond(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rollup::{COUNTERS, Counts, c};

    /// A period's counts: received, open and claimed.
    fn counts(received: i64, open: i64, claimed: i64) -> Counts {
        let mut k = [0; COUNTERS.len()];
        k[c::RECEIVED] = received;
        k[c::OPEN] = open;
        k[c::CLAIMED] = claimed;
        k[c::RESOLVED] = received - open - claimed;
        k
    }

    fn query(overdue: bool, state: Option<TicketState>, oldest_first: bool) -> LedgerQuery {
        LedgerQuery {
            overdue,
            state,
            oldest_first,
            limit: 51,
            ..Default::default()
        }
    }

    /// A county's year: a million tickets, 25,000 of them open or claimed (the last days').
    const COUNTY: (i64, i64, i64) = (1_000_000, 20_000, 5_000);
    const TOWN: (i64, i64, i64) = (100_000, 2_000, 500);
    const VILLAGE: (i64, i64, i64) = (2_500, 50, 12);

    fn plan(q: &LedgerQuery, scope: (i64, i64, i64)) -> LedgerPlan {
        let all = counts(COUNTY.0, COUNTY.1, COUNTY.2);
        let sub = counts(scope.0, scope.1, scope.2);
        cheapest_plan(q, scope == COUNTY, &sub, 0, &all)
    }

    #[test]
    fn lists_of_open_tickets_never_walk_every_ticket_by_time() {
        for scope in [COUNTY, TOWN, VILLAGE] {
            for q in [
                query(true, None, true),
                query(true, None, false),
                query(false, Some(TicketState::Open), true),
                query(false, Some(TicketState::Claimed), false),
            ] {
                let p = plan(&q, scope);
                assert!(
                    matches!(p, LedgerPlan::Active | LedgerPlan::ActiveByGrid),
                    "{scope:?} overdue={} state={:?} oldest={}: {p:?}",
                    q.overdue,
                    q.state,
                    q.oldest_first
                );
            }
        }
        // The whole tree walks the active tickets; a village reads its grids' active tickets.
        assert_eq!(plan(&query(true, None, true), COUNTY), LedgerPlan::Active);
        assert_eq!(
            plan(&query(true, None, true), VILLAGE),
            LedgerPlan::ActiveByGrid
        );
    }

    #[test]
    fn common_rows_walk_by_time_and_a_small_scope_reads_its_grids() {
        let every = query(false, None, false);
        assert_eq!(plan(&every, COUNTY), LedgerPlan::ByTime);
        assert_eq!(plan(&every, TOWN), LedgerPlan::ByTime);
        assert_eq!(plan(&every, VILLAGE), LedgerPlan::ByGrid);
        // Closed tickets are spread over the period like the rest.
        let resolved = query(false, Some(TicketState::Resolved), true);
        assert_eq!(plan(&resolved, COUNTY), LedgerPlan::ByTime);
    }

    #[test]
    fn a_scope_with_more_active_tickets_than_the_period_holds_reads_the_period() {
        // Today in a town: 270 received, but 2,500 open from the days before do not count;
        // the period's own open ones are the day's.
        let q = query(true, None, true);
        let all = counts(2_700, 2_000, 300);
        let sub = counts(270, 200, 30);
        assert_eq!(
            cheapest_plan(&q, false, &sub, 0, &all),
            LedgerPlan::ActiveByGrid
        );
        // A scope whose period holds fewer tickets than its active ones: its grids, read whole.
        let sub = counts(60, 50, 10);
        let p = cheapest_plan(&q, false, &sub, 0, &all);
        assert!(
            matches!(p, LedgerPlan::ActiveByGrid | LedgerPlan::ByGrid),
            "{p:?}"
        );
    }
}
