//! The console's pages and actions.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::chart::{self, Series};
use super::figures::{self, Figures, Period, hours, local_date, local_time, percent};
use super::html::{Frame, Nav, bare_page, esc, options, query};
use super::{ConsoleError, ConsoleState, Node, Viewer, auth};
use crate::domain::mask::mask_personal_numbers;
use crate::domain::{Category, Rating, TicketRef, TicketState, Urgency};
use crate::engine::commands::{self, Command};
use crate::store::console::{ConsoleFact, LedgerQuery, Scope};
use crate::store::roster::Grid;
use crate::store::tickets::Ticket;

/// The sandbox adapter's platform name (its personas' accounts are on it).
const SANDBOX_PLATFORM: &str = "sandbox";

/// Rows on one ledger page.
pub(super) const PAGE_ROWS: i64 = 50;

/// A signed-in page.
fn page(s: &ConsoleState, v: &Viewer, title: &str, nav: Nav, body: &str) -> Response {
    let who = format!("{}（{}）", v.name, s.texts.role_name(v.role));
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

async fn node_figures(
    s: &ConsoleState,
    node: &Node,
    period: &Period,
) -> Result<(Figures, Vec<ConsoleFact>), ConsoleError> {
    let facts = s
        .store
        .console_facts(&node.path, period.from, period.to)
        .await?;
    Ok((figures::figures(&facts, period, s.now(), s.tz()), facts))
}

fn sentence(s: &ConsoleState, node: &Node, period: &Period, f: &Figures) -> String {
    s.texts.console_sentence(
        &node.name,
        &period.label,
        f.stats.received,
        f.stats.replied,
        f.stats.in_progress,
        f.stats.satisfaction,
    )
}

fn key_figures(s: &ConsoleState, f: &Figures) -> String {
    let t = &s.texts;
    let st = &f.stats;
    let items: Vec<(&'static str, String)> = vec![
        ("received", st.received.to_string()),
        ("replied", st.replied.to_string()),
        ("in_progress", st.in_progress.to_string()),
        ("resolved", st.resolved.to_string()),
        ("overdue", st.overdue.to_string()),
        ("escalated", st.escalated.to_string()),
        ("satisfaction", percent(st.satisfaction)),
        ("on_time_claim", percent(f.on_time_claim)),
        ("on_time_resolve", percent(f.on_time_resolve)),
        (
            "response_p50",
            format!("{} {}", hours(st.response_p50_ms), t.ui("unit_hours")),
        ),
        (
            "resolution_p50",
            format!("{} {}", hours(st.resolution_p50_ms), t.ui("unit_hours")),
        ),
    ];
    let mut out = String::from(r#"<div class="figures">"#);
    for (k, v) in items {
        let class = if k == "overdue" && st.overdue > 0 {
            " overdue"
        } else {
            ""
        };
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
    // Received and resolved per day.
    let labels: Vec<String> = f
        .daily
        .iter()
        .map(|(d, _, _)| d.format("%d").to_string())
        .collect();
    let received: Vec<f64> = f.daily.iter().map(|(_, r, _)| *r as f64).collect();
    let resolved: Vec<f64> = f.daily.iter().map(|(_, _, r)| *r as f64).collect();
    let desc = format!(
        "{} {}, {} {}",
        t.ui("received"),
        received.iter().sum::<f64>(),
        t.ui("resolved"),
        resolved.iter().sum::<f64>()
    );
    figure(
        "chart_daily",
        chart::columns(
            "daily",
            t.ui("chart_daily"),
            &desc,
            t.ui("unit_count"),
            &labels,
            &[
                Series {
                    name: t.ui("received"),
                    values: received,
                    color: "#1d5fa8",
                },
                Series {
                    name: t.ui("resolved"),
                    values: resolved,
                    color: "#2e7d32",
                },
            ],
        ),
    );
    // Category mix, largest first.
    let mut cats: Vec<(String, f64)> = f
        .stats
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
    figure(
        "chart_category",
        chart::bars(
            "category",
            t.ui("chart_category"),
            &desc,
            t.ui("unit_count"),
            &cats,
        ),
    );
    // On-time rates.
    let rates = vec![
        (
            t.ui("on_time_claim").to_string(),
            f.on_time_claim.unwrap_or(0.0) * 100.0,
        ),
        (
            t.ui("on_time_resolve").to_string(),
            f.on_time_resolve.unwrap_or(0.0) * 100.0,
        ),
    ];
    let desc = format!(
        "{} {}, {} {}",
        t.ui("on_time_claim"),
        percent(f.on_time_claim),
        t.ui("on_time_resolve"),
        percent(f.on_time_resolve)
    );
    figure(
        "chart_on_time",
        chart::bars(
            "ontime",
            t.ui("chart_on_time"),
            &desc,
            t.ui("unit_percent"),
            &rates,
        ),
    );
    // Satisfaction by week.
    let labels: Vec<String> = f
        .weekly_satisfaction
        .iter()
        .map(|(d, _)| d.format("%m-%d").to_string())
        .collect();
    let values: Vec<f64> = f
        .weekly_satisfaction
        .iter()
        .map(|(_, v)| v.unwrap_or(0.0) * 100.0)
        .collect();
    let desc = f
        .weekly_satisfaction
        .iter()
        .map(|(d, v)| format!("{} {}", d.format("%m-%d"), percent(*v)))
        .collect::<Vec<_>>()
        .join(", ");
    figure(
        "chart_satisfaction",
        chart::columns(
            "satisfaction",
            t.ui("chart_satisfaction"),
            &desc,
            t.ui("unit_percent"),
            &labels,
            &[Series {
                name: t.ui("satisfaction"),
                values,
                color: "#8e44ad",
            }],
        ),
    );
    // Response and resolution percentiles, in hours.
    let h = |ms: Option<i64>| ms.map(|m| m as f64 / 3_600_000.0).unwrap_or(0.0);
    let st = &f.stats;
    let labels = vec![
        t.ui("first_response_short").to_string(),
        t.ui("resolution_short").to_string(),
    ];
    let desc = format!(
        "{} {} / {}, {} {} / {} ({})",
        t.ui("first_response_short"),
        hours(st.response_p50_ms),
        hours(st.response_p90_ms),
        t.ui("resolution_short"),
        hours(st.resolution_p50_ms),
        hours(st.resolution_p90_ms),
        t.ui("unit_hours")
    );
    figure(
        "chart_times",
        chart::columns(
            "times",
            t.ui("chart_times"),
            &desc,
            t.ui("unit_hours"),
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
        let (f, _) = node_figures(&s, &node, &period).await?;
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

// ---- the tree ------------------------------------------------------------------------------

/// One row of the tree: a node below and its figures.
struct Branch {
    grid: Grid,
    figures: Figures,
}

/// The figures of every node directly below `node`, worst first (most overdue, then the
/// lowest on-time resolve rate, then the most in progress).
async fn branches(
    s: &ConsoleState,
    v: &Viewer,
    node: &Node,
    period: &Period,
    facts: &[ConsoleFact],
) -> Result<Vec<Branch>, ConsoleError> {
    let children: Vec<Grid> = s
        .store
        .console_children(node.code.as_deref())
        .await?
        .into_iter()
        .filter(|c| v.scope.covers(&c.path))
        .collect();
    let codes: Vec<String> = {
        let mut c: Vec<String> = facts.iter().map(|f| f.grid.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    let grids = s.store.console_grids_by_code(&codes).await?;
    let mut per_child: HashMap<String, Vec<ConsoleFact>> = HashMap::new();
    for f in facts {
        let Some(path) = grids.get(&f.grid).map(|g| g.path.as_str()) else {
            continue;
        };
        if let Some(child) = children.iter().find(|c| path.starts_with(c.path.as_str())) {
            per_child
                .entry(child.code.clone())
                .or_default()
                .push(f.clone());
        }
    }
    let now = s.now();
    let mut out: Vec<Branch> = children
        .into_iter()
        .map(|grid| {
            let facts = per_child.remove(&grid.code).unwrap_or_default();
            Branch {
                figures: figures::figures(&facts, period, now, s.tz()),
                grid,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.figures
            .stats
            .overdue
            .cmp(&a.figures.stats.overdue)
            .then(
                a.figures
                    .on_time_resolve
                    .unwrap_or(1.0)
                    .total_cmp(&b.figures.on_time_resolve.unwrap_or(1.0)),
            )
            .then(
                b.figures
                    .stats
                    .in_progress
                    .cmp(&a.figures.stats.in_progress),
            )
            .then(a.grid.code.cmp(&b.grid.code))
    });
    Ok(out)
}

fn branch_table(s: &ConsoleState, period: &Period, rows: &[Branch], link: bool) -> String {
    let t = &s.texts;
    let mut out = format!(
        r#"<table class="tree"><thead><tr><th class="num">{}</th><th>{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th><th class="num">{}</th></tr></thead><tbody>"#,
        esc(t.ui("rank")),
        esc(t.ui("node")),
        esc(t.ui("received")),
        esc(t.ui("replied")),
        esc(t.ui("in_progress")),
        esc(t.ui("resolved")),
        esc(t.ui("overdue")),
        esc(t.ui("on_time_claim")),
        esc(t.ui("on_time_resolve")),
        esc(t.ui("satisfaction")),
    );
    for (i, b) in rows.iter().enumerate() {
        let st = &b.figures.stats;
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
        let _ = write!(
            out,
            r#"<tr data-node="{}"{}><td class="num">{}</td><td>{name}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num{}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(&b.grid.code),
            if st.overdue > 0 {
                r#" class="overdue""#
            } else {
                ""
            },
            i + 1,
            st.received,
            st.replied,
            st.in_progress,
            st.resolved,
            if st.overdue > 0 { " overdue" } else { "" },
            st.overdue,
            percent(b.figures.on_time_claim),
            percent(b.figures.on_time_resolve),
            percent(st.satisfaction),
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
        let (f, facts) = node_figures(&s, &node, &period).await?;
        let rows = branches(&s, &v, &node, &period, &facts).await?;
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
        let letter = if node.code.is_some() && f.stats.overdue > 0 {
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
        q.from = Some(period.from);
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
    Ok((q, node))
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
                r#"<tr data-ticket="{id}"{cls}><td class="num"><a href="/console/tickets/{id}">{no}</a></td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td data-state="{}">{}</td><td>{}</td></tr>"#,
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
                if late { esc(t.ui("yes")) } else { String::new() },
                id = tk.id,
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

async fn scoped_ticket(s: &ConsoleState, v: &Viewer, id: &str) -> Result<Ticket, ConsoleError> {
    let id: i64 = id
        .trim_start_matches('#')
        .parse()
        .map_err(|_| ConsoleError::NotFound)?;
    s.store
        .console_ticket(&v.scope, id)
        .await?
        .ok_or(ConsoleError::NotFound)
}

pub(super) async fn ticket(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<TicketQuery>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = scoped_ticket(&s, &v, &id).await?;
        let names = Names::of(&s, std::slice::from_ref(&tk)).await?;
        let events = s.store.ticket_events(tk.id).await?;
        let messages = s.store.console_ticket_messages(tk.id).await?;
        let photos = s.store.ticket_photos(tk.id).await?;
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
            (
                "rating",
                tk.rating.map(|r| t.rating(r).to_string()).unwrap_or_default(),
            ),
            (
                "overdue",
                if late { t.ui("yes") } else { t.ui("none") }.to_string(),
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
        let _ = write!(
            body,
            r#"<h2>{}</h2><table id="history"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            esc(t.ui("history")),
            esc(t.ui("time")),
            esc(t.ui("actor")),
            esc(t.ui("event")),
            esc(t.ui("detail")),
        );
        for e in &events {
            let _ = write!(
                body,
                r#"<tr data-kind="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                e.kind.id(),
                esc(&local_time(e.at, tz)),
                esc(&mask_personal_numbers(&e.actor_name)),
                esc(t.event_kind(e.kind)),
                esc(&mask_personal_numbers(&e.detail)),
            );
        }
        body.push_str("</tbody></table>");
        let _ = write!(
            body,
            r#"<h2>{}</h2><table id="messages"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            esc(t.ui("messages")),
            esc(t.ui("time")),
            esc(t.ui("chat")),
            esc(t.ui("content")),
            esc(t.ui("delivery")),
        );
        for m in &messages {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&local_time(m.at, tz)),
                esc(&m.chat),
                esc(&m.text),
                esc(&m.status),
            );
        }
        body.push_str("</tbody></table>");
        if tk.state.is_active() {
            let form = |action: &str, label: &str, field: Option<&str>, hint: &str| {
                let input = field
                    .map(|f| {
                        format!(
                            r#"<label>{} <input type="text" name="text" required maxlength="500"></label> "#,
                            esc(f)
                        )
                    })
                    .unwrap_or_default();
                format!(
                    r#"<form class="action" method="post" action="/console/tickets/{}/action" data-action="{action}"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="{action}">{input}<button type="submit">{}</button> <span class="muted">{}</span></form>"#,
                    tk.id,
                    esc(&v.csrf),
                    esc(label),
                    esc(hint)
                )
            };
            let select = |action: &str, label: &str, items: Vec<(String, String)>, current: &str| {
                format!(
                    r#"<form class="action" method="post" action="/console/tickets/{}/action" data-action="{action}"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="{action}"><label>{} <select name="text">{}</select></label> <button type="submit">{}</button></form>"#,
                    tk.id,
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
                form("urge", t.ui("urge"), None, t.ui("urge_hint")),
                form("note", t.ui("note"), Some(t.ui("note")), ""),
                form("transfer", t.ui("transfer"), Some(t.ui("transfer_to")), ""),
                select("category", t.ui("change_category"), cats, tk.category.id()),
                select("urgency", t.ui("change_urgency"), urgencies, tk.urgency.id()),
                form("dismiss", t.ui("dismiss"), Some(t.ui("reason")), ""),
            );
        }
        let _ = write!(
            body,
            r#"<p class="noprint"><a href="/console/letters/ticket/{}" id="letter-link">{}</a> · <a href="/console/ledger">{}</a></p>"#,
            tk.id,
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
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        if !auth::csrf_matches(&v.csrf, f.csrf.as_deref()) {
            tracing::info!(person = %v.person, "console POST without its CSRF token refused");
            return Err(ConsoleError::Csrf);
        }
        let tk = scoped_ticket(&s, &v, &id).await?;
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
            "urge" => Command::Urge(commands::Urge(here)),
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
            "/console/tickets/{}{}",
            tk.id,
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
        let (f, facts) = node_figures(&s, &node, &period).await?;
        let rows = branches(&s, &v, &node, &period, &facts).await?;
        let t = &s.texts;
        let tz = s.tz();
        // The period's tickets still overdue, oldest first: what the office follows up.
        let late = s
            .store
            .console_ledger(
                &v.scope,
                &LedgerQuery {
                    node_path: Some(node.path.clone()),
                    from: Some(period.from),
                    to: Some(period.to),
                    overdue: true,
                    oldest_first: true,
                    limit: 100,
                    now: s.now(),
                    ..Default::default()
                },
            )
            .await?;
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
                    r#"<tr><td><a href="/console/tickets/{id}">{no}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    esc(&names.grid(&tk.grid)),
                    esc(&content),
                    esc(&names.person(tk.assignee.as_deref())),
                    esc(t.state(tk.state)),
                    esc(&local_time(tk.resolve_due, tz)),
                    id = tk.id,
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
            esc(&s.office_name()),
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
fn letter(s: &ConsoleState, kind: &'static str, number: &str, to: &str, content: &str) -> String {
    let t = &s.texts;
    let today = local_date(s.now(), s.tz()).format("%Y-%m-%d").to_string();
    format!(
        r#"<article class="letter"><h1>{}</h1><p class="number">{}</p><p style="text-indent:0">{}</p>{content}<div class="sign"><div>{}：{}</div><div>{}____________</div><div>{}：{}</div></div></article>"#,
        esc(t.ui(kind)),
        esc(number),
        esc(&t.letter_salutation(to)),
        esc(t.ui("issuer")),
        esc(&s.office_name()),
        esc(t.ui("signature")),
        esc(t.ui("date")),
        esc(&today),
    )
}

pub(super) async fn letter_ticket(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let r = async {
        let v = s.viewer(&headers).await?;
        let tk = scoped_ticket(&s, &v, &id).await?;
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
        // The new deadline: one day from the letter.
        let deadline = local_time(now + 86_400_000, tz);
        let content = format!(
            r#"<p>{}</p><p>{}：{}</p><p>{}：<a href="/console/tickets/{}">{}</a></p>"#,
            esc(&t.letter_ticket_body(
                &tk.number().to_string(),
                &local_time(tk.created_at, tz),
                &grid,
                tk.location.as_deref().unwrap_or("—"),
                &mask_personal_numbers(&tk.body),
                t.state(tk.state),
                &local_time(due, tz),
            )),
            esc(t.ui("deadline")),
            esc(&deadline),
            esc(t.ui("no")),
            tk.id,
            esc(&tk.number().to_string()),
        );
        let number = t.letter_number("督办", year, &tk.number().to_string());
        s.audit(&v, "letter_ticket", Some(tk.id), &number).await?;
        let body = letter(&s, "letter_ticket", &number, &to, &content);
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
        let q = LedgerQuery {
            node_path: Some(node.path.clone()),
            overdue: true,
            oldest_first: true,
            limit: 500,
            now,
            ..Default::default()
        };
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
        let body = letter(&s, "letter_grid", &number, &node.name, &content);
        Ok(print_page(&s, &v, t.ui("letter_grid"), &body))
    }
    .await;
    s.respond(r)
}
