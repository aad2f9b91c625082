//! The coordinator console: a web view served by gridline itself at `/console`, with or
//! without the sandbox, for the people who supervise grids.
//!
//! - [`auth`]: one-time login links, session cookies, CSRF tokens.
//! - `pages.rs`: the overview, the grid tree, the ledger (台账), a ticket, actions, the
//!   printable monthly report and supervision letters (督办函 / 提示函).
//! - `export.rs`: the ledger as CSV and XLSX.
//! - `figures.rs`: periods and the figures of a node; `chart.rs`: SVG charts.
//! - `html.rs`: escaping and the page frame.
//!
//! Scope is enforced here, on the server, for every page, export and action: an admin sees
//! every grid, a coordinator the subtree of their node, a leader (or deputy) their grid. A
//! ticket or grid outside it answers 404, the same as one that does not exist. Actions go
//! through the engine's chat commands ([`Engine::console_command`]); each is also written to
//! the console's audit log.

pub mod auth;
mod chart;
mod export;
mod figures;
mod html;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Role;
use crate::engine::Engine;
use crate::i18n::Texts;
use crate::store::console::Scope;
use crate::store::roster::Grid;
use crate::store::{Store, StoreError};

/// What the console's handlers share.
#[derive(Clone)]
pub(crate) struct ConsoleState {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    store: Store,
    settings: Arc<Settings>,
    engine: Arc<Engine>,
    /// Woken after an action wrote to the outbox, so the reminder goes out at once.
    outbox_wake: Arc<Notify>,
    clock: Arc<Clock>,
    texts: Texts,
    secret: Vec<u8>,
}

impl std::ops::Deref for ConsoleState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// Builds the console's routes.
pub async fn routes(
    store: Store,
    settings: Arc<Settings>,
    engine: Arc<Engine>,
    outbox_wake: Arc<Notify>,
    clock: Arc<Clock>,
) -> anyhow::Result<Router> {
    let secret = auth::secret(&store).await?;
    let state = ConsoleState {
        inner: Arc::new(Inner {
            texts: Texts::new(settings.general.language),
            store,
            settings,
            engine,
            outbox_wake,
            clock,
            secret,
        }),
    };
    Ok(Router::new()
        .route("/console", get(pages::overview))
        .route("/console/", get(pages::overview))
        .route("/console/login", get(pages::login))
        .route("/console/logout", post(pages::logout))
        .route("/console/sandbox", get(pages::sandbox_login))
        .route("/console/tree", get(pages::tree))
        .route("/console/ledger", get(pages::ledger))
        .route("/console/ledger.csv", get(export::csv))
        .route("/console/ledger.xlsx", get(export::xlsx))
        .route("/console/tickets/{key}", get(pages::ticket_redirect))
        .route("/console/tickets/{grid}/{no}", get(pages::ticket))
        .route("/console/tickets/{grid}/{no}/action", post(pages::action))
        .route("/console/report", get(pages::report))
        .route("/console/letters/ticket/{key}", get(pages::letter_redirect))
        .route(
            "/console/letters/ticket/{grid}/{no}",
            get(pages::letter_ticket),
        )
        .route("/console/letters/grid/{code}", get(pages::letter_grid))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .with_state(state))
}

async fn not_found(axum::extract::State(s): axum::extract::State<ConsoleState>) -> Response {
    s.fail(ConsoleError::NotFound)
}

/// Why a console request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not there, or outside the person's scope: the same answer for both.
    #[error("not found")]
    NotFound,
    /// No live session.
    #[error("not signed in")]
    SignedOut,
    /// A POST without the session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("bad request: {0}")]
    Bad(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// The signed-in person and what they may see.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub person: String,
    pub name: String,
    pub scope: Scope,
    /// The top nodes of the scope (none for an admin: the whole tree).
    pub roots: Vec<Grid>,
    pub role: Role,
    pub csrf: String,
    session: String,
}

/// A node of the tree a page is about (the whole tree for an admin's default).
#[derive(Debug, Clone)]
pub struct Node {
    pub code: Option<String>,
    pub name: String,
    pub path: String,
}

impl ConsoleState {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn tz(&self) -> chrono_tz::Tz {
        self.settings.general.timezone.0
    }

    /// A refusal as a page.
    fn fail(&self, e: ConsoleError) -> Response {
        let t = &self.texts;
        let (status, text) = match &e {
            ConsoleError::NotFound => (StatusCode::NOT_FOUND, t.ui("not_found").to_string()),
            ConsoleError::SignedOut => (
                StatusCode::UNAUTHORIZED,
                format!("{}。{}", t.ui("login_needed"), t.ui("login_how")),
            ),
            ConsoleError::Csrf => (StatusCode::FORBIDDEN, t.ui("csrf_refused").to_string()),
            ConsoleError::Bad(why) => (StatusCode::BAD_REQUEST, why.clone()),
            ConsoleError::Store(err) => {
                tracing::warn!(error = %err, "console request failed in the database");
                (StatusCode::SERVICE_UNAVAILABLE, err.to_string())
            }
            ConsoleError::Internal(why) => {
                tracing::warn!(error = %why, "console request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, why.clone())
            }
        };
        let body = format!(
            r#"<h1>{}</h1><p class="error">{}</p>"#,
            html::esc(t.ui("console")),
            html::esc(&text)
        );
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Html(html::bare_page(t, t.ui("console"), &body)),
        )
            .into_response()
    }

    /// The answer of a handler: its page, or the refusal as a page.
    fn respond(&self, r: Result<Response, ConsoleError>) -> Response {
        r.unwrap_or_else(|e| self.fail(e))
    }

    /// The signed-in person behind a request's cookie.
    async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, ConsoleError> {
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(auth::session_cookie)
            .ok_or(ConsoleError::SignedOut)?;
        let session = auth::digest(cookie);
        let now = self.now();
        let idle = self.settings.console.idle_timeout.as_millis();
        let found = self
            .store
            .console_session(&session, now - idle)
            .await?
            .ok_or(ConsoleError::SignedOut)?;
        // Seen again: written at most once a minute, not on every page.
        if now - found.last_seen > 60_000 {
            self.store.console_session_touch(&session, now).await?;
        }
        let (name, grants) = self
            .store
            .console_person(&found.person)
            .await?
            .ok_or(ConsoleError::SignedOut)?;
        let role = grants
            .iter()
            .map(|(r, _)| *r)
            .max()
            .unwrap_or(Role::Resident);
        let (scope, roots) = if grants.iter().any(|(r, _)| *r == Role::Admin) {
            (Scope::All, Vec::new())
        } else {
            let mut roots: Vec<Grid> = grants
                .into_iter()
                .filter(|(r, _)| r.is_staff())
                .filter_map(|(_, g)| g)
                .collect();
            roots.sort_by(|a, b| a.path.cmp(&b.path));
            roots.dedup_by(|a, b| a.path.starts_with(b.path.as_str()));
            if roots.is_empty() {
                return Err(ConsoleError::SignedOut);
            }
            (
                Scope::Under(roots.iter().map(|g| g.path.clone()).collect()),
                roots,
            )
        };
        Ok(Viewer {
            person: found.person,
            name,
            scope,
            roots,
            role,
            csrf: found.csrf,
            session,
        })
    }

    /// The node `code` if it is in the viewer's scope; the scope's top when none is asked.
    async fn node(&self, viewer: &Viewer, code: Option<&str>) -> Result<Node, ConsoleError> {
        match code.filter(|c| !c.is_empty()) {
            Some(code) => {
                let grid = self
                    .store
                    .grid(code)
                    .await?
                    .filter(|g| viewer.scope.covers(&g.path))
                    .ok_or(ConsoleError::NotFound)?;
                Ok(Node {
                    code: Some(grid.code),
                    name: grid.name,
                    path: grid.path,
                })
            }
            None => match viewer.roots.first() {
                Some(g) => Ok(Node {
                    code: Some(g.code.clone()),
                    name: g.name.clone(),
                    path: g.path.clone(),
                }),
                None => Ok(Node {
                    code: None,
                    name: self.office_name(),
                    path: "/".to_string(),
                }),
            },
        }
    }

    /// The issuing office on printed documents: the configured `console.office`, else the
    /// top nodes of the reader's scope (a coordinator's village or town; for an admin, the
    /// tree's top nodes).
    async fn issuer(&self, viewer: &Viewer) -> Result<String, ConsoleError> {
        let office = self.settings.console.office.trim();
        if !office.is_empty() {
            return Ok(office.to_string());
        }
        let tops = if viewer.roots.is_empty() {
            self.store.console_children(None).await?
        } else {
            viewer.roots.clone()
        };
        let names: Vec<&str> = tops.iter().map(|g| g.name.as_str()).take(3).collect();
        Ok(if names.is_empty() {
            self.office_name()
        } else {
            names.join("、")
        })
    }

    /// The name of the whole tree (an admin's default node), or the configured office.
    fn office_name(&self) -> String {
        let office = self.settings.console.office.trim();
        if office.is_empty() {
            self.texts.ui("all").to_string()
        } else {
            office.to_string()
        }
    }

    /// Writes an audit line; a failure to write it fails the request.
    async fn audit(
        &self,
        viewer: &Viewer,
        action: &str,
        ticket: Option<i64>,
        detail: &str,
    ) -> Result<(), ConsoleError> {
        self.store
            .console_audit(&crate::store::console::AuditEntry {
                at: self.now(),
                person: viewer.person.clone(),
                action: action.to_string(),
                ticket_id: ticket,
                detail: detail.to_string(),
            })
            .await?;
        Ok(())
    }
}
