//! Wiring: build every part from [`Settings`], run until the shutdown signal, drain, stop.
//!
//! Platform adapters mount from the one list in [`crate::platform`].

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::intake::Intake;
use crate::platform::Adapter;
use crate::store::Store;

pub use crate::platform::{Context, Mounted};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::engine::Engine;
use crate::outbox::Worker;
use crate::understand::Parser;

/// A built, not yet running gridline.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    ctx: Context,
    engine: Arc<Engine>,
    /// The engine's parser, to learn corrections again without a restart (crate::learn).
    parser: Arc<Parser>,
    outbox: Arc<Worker>,
    clock: Arc<Clock>,
    outbox_wake: Arc<Notify>,
    intake_task: tokio::task::JoinHandle<()>,
    adapter_tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Opens and migrates the database, loads the parser, mounts the enabled platforms (plus
    /// `extra` adapters, e.g. the in-process one in tests) and binds the HTTP listener.
    pub async fn build(
        settings: Settings,
        extra: Vec<Arc<dyn Adapter>>,
    ) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, extra, Arc::new(Clock::system())).await
    }

    /// [`build`](Self::build) with a given clock (tests move it to cross deadlines).
    pub async fn build_with_clock(
        settings: Settings,
        extra: Vec<Arc<dyn Adapter>>,
        clock: Arc<Clock>,
    ) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        let tz = settings.general.timezone.0;
        let calendar = if settings.sla.calendar.is_empty() {
            crate::domain::calendar::Calendar::always()
        } else {
            crate::domain::calendar::Calendar::load(
                std::path::Path::new(&settings.sla.calendar),
                tz,
            )
            .context("loading the working-time calendar (sla.calendar)")?
        };
        let db = &settings.database;
        let store = Store::open(db.url.expose(), db.max_connections, db.acquire_timeout.0)
            .await
            .context("opening the database (database.url)")?;
        store
            .ensure_rollups(tz)
            .await
            .context("building the statistics rollups")?;
        let lexicons = &settings.general.lexicon_dir;
        // The model learns from people's corrections from the start (crate::learn).
        let stored = crate::store::examples::load_all(&store)
            .await
            .context("reading the labelled examples")?;
        let parser = Parser::load_with(
            (!lexicons.is_empty()).then(|| std::path::Path::new(lexicons)),
            &crate::learn::corrections(&stored),
        )
        .context("loading lexicons (general.lexicon_dir)")?;
        let parser = Arc::new(parser);
        let shutdown = CancellationToken::new();
        // Adapters hold the intake's handle while they mount; the intake itself starts once
        // what applies events (the engine, which needs the adapters' capabilities) exists.
        // Anything submitted meanwhile waits in its queue.
        let (intake, queue) = crate::intake::channel(settings.intake.batch_max);
        let intake = intake.capping(settings.intake.max_text_chars);
        let ctx = Context {
            settings: settings.clone(),
            store: store.clone(),
            intake,
            shutdown: shutdown.clone(),
        };

        let mut adapters: HashMap<String, Arc<dyn Adapter>> = HashMap::new();
        let mut router = axum::Router::new()
            .route("/health", get(health))
            .with_state(store.clone());
        let mut adapter_tasks = Vec::new();
        let mounted = crate::platform::mount_enabled(&ctx).await?;
        for m in mounted {
            adapters.insert(m.adapter.platform().to_string(), m.adapter);
            router = router.merge(m.routes);
            adapter_tasks.extend(m.tasks);
        }
        for a in extra {
            adapters.insert(a.platform().to_string(), a);
        }
        let capabilities: HashMap<String, crate::platform::Capabilities> = adapters
            .iter()
            .map(|(k, a)| (k.clone(), a.capabilities()))
            .collect();
        // After the adapters mounted (the sandbox may have loaded its demo roster): say which
        // nodes would receive escalations with nowhere to receive them.
        let reach = capabilities
            .iter()
            .map(|(k, c)| (k.clone(), c.private_chats))
            .collect();
        match crate::doctor::check(&store, &settings, &reach).await {
            Ok(report) => report.log(&crate::i18n::Texts::new(settings.general.language)),
            Err(e) => tracing::warn!(error = %e, "could not check the escalation channels"),
        }
        let safety = match settings.general.safety_advice.as_str() {
            "" => crate::domain::safety::SafetyAdvice::built_in(),
            path => std::fs::read_to_string(path)
                .map_err(anyhow::Error::from)
                .and_then(|text| Ok(crate::domain::safety::SafetyAdvice::parse(&text)?))
                .with_context(|| {
                    format!("loading safety advice from {path} (general.safety_advice)")
                })?,
        };
        let engine = Arc::new(
            Engine::new(
                parser.clone(),
                settings.clone(),
                capabilities,
                clock.clone(),
                calendar,
            )
            .with_safety(safety),
        );
        let outbox_wake = Arc::new(Notify::new());
        let outbox = Arc::new(Worker::new(
            store.clone(),
            adapters,
            settings.outbox.clone(),
            outbox_wake.clone(),
            clock.clone(),
        ));
        // The coordinator console, with or without the sandbox.
        let router = router.merge(
            crate::console::routes(
                store.clone(),
                settings.clone(),
                engine.clone(),
                outbox_wake.clone(),
                clock.clone(),
            )
            .await
            .context("mounting the console (console.*)")?,
        );
        // Every route's body is bounded, and refusals are counted (crate::limits).
        let max_body = settings.http.max_body_bytes;
        let router = router
            .layer(axum::extract::DefaultBodyLimit::max(max_body))
            .layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    crate::limits::guard(max_body, req, next)
                },
            ));
        let listener = tokio::net::TcpListener::bind(settings.http.listen)
            .await
            .with_context(|| format!("binding http.listen = {}", settings.http.listen))?;
        // Last, once nothing can fail any more: from here on events are applied.
        let intake_task = crate::intake::start(
            queue,
            store.clone(),
            settings.intake.batch_max,
            crate::intake::Handoff::applying(engine.clone(), outbox_wake.clone()),
            shutdown.clone(),
        );
        Ok(Application {
            listener,
            router,
            ctx,
            engine,
            parser,
            outbox,
            clock,
            outbox_wake,
            intake_task,
            adapter_tasks,
        })
    }

    /// The clock every decision is made at.
    pub fn clock(&self) -> Arc<Clock> {
        self.clock.clone()
    }

    /// The engine, for acting on due timers at once (tests, after moving the clock).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.ctx.settings.http.listen)
    }

    pub fn store(&self) -> Store {
        self.ctx.store.clone()
    }

    pub fn intake(&self) -> Intake {
        self.ctx.intake.clone()
    }

    /// Every engine commit from now on, with the events it applied (see [`Engine::watch_commits`]).
    pub fn watch_commits(&self) -> tokio::sync::broadcast::Receiver<Arc<crate::engine::Committed>> {
        self.engine.watch_commits()
    }

    /// Every statistics answer queued from now on (see [`Engine::watch_answers`]).
    pub fn watch_answers(&self) -> tokio::sync::broadcast::Receiver<Arc<crate::engine::Answered>> {
        self.engine.watch_answers()
    }

    /// The store and the parser, to make the parser learn the stored corrections again
    /// (`crate::learn::relearn`).
    pub fn learner(&self) -> (Store, Arc<Parser>) {
        (self.ctx.store.clone(), self.parser.clone())
    }

    /// The token that stops this application; cancel it to shut down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.ctx.shutdown.clone()
    }

    /// Serves until the shutdown token fires, then stops intake, processes what was stored,
    /// delivers what is due and returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            ctx,
            engine,
            parser: _,
            outbox,
            clock: _,
            outbox_wake,
            intake_task,
            adapter_tasks,
        } = self;
        let shutdown = ctx.shutdown.clone();
        info!(addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "gridline listening");
        let http = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let serve = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { shutdown.cancelled().await });
                if let Err(e) = serve.await {
                    warn!(error = %e, "http server stopped with an error");
                }
            })
        };
        // The roster goes into memory while the first messages come in: until then each
        // group is read as it first speaks.
        tokio::spawn(remember_roster(ctx.store.clone()));
        let outbox_task = tokio::spawn(outbox.clone().run(shutdown.clone()));
        let timers = tokio::spawn(timer_loop(
            engine.clone(),
            ctx.store.clone(),
            ctx.settings.sla.check_interval.0,
            outbox_wake.clone(),
            shutdown.clone(),
        ));
        let answers = tokio::spawn(answer_loop(
            engine.clone(),
            ctx.store.clone(),
            ctx.settings.sla.check_interval.0,
            outbox_wake.clone(),
            shutdown.clone(),
        ));
        // Refusals counted by crate::limits are logged once per interval, even after a
        // flood stopped.
        let refusals = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(crate::limits::LOG_INTERVAL);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = every.tick() => crate::limits::flush_all(),
                        () = shutdown.cancelled() => break,
                    }
                }
            })
        };
        shutdown.cancelled().await;
        info!("stopping: intake closed, draining");
        let _ = refusals.await;
        let _ = timers.await;
        let _ = answers.await;
        for t in adapter_tasks {
            let _ = t.await;
        }
        let _ = http.await;
        // The intake stops taking events, applies what it stored last, then the outbox makes
        // its final pass.
        let _ = intake_task.await;
        outbox_wake.notify_one();
        let _ = outbox_task.await;
        ctx.store.close().await;
        info!("stopped");
        Ok(())
    }
}

async fn health(State(store): State<Store>) -> (StatusCode, Json<serde_json::Value>) {
    match store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "degraded", "database": e.to_string()})),
        ),
    }
}

/// Acts on due timers (reminders, escalations, rating timeouts, held notices, digests) every
/// `interval`. A failed pass is logged and repeated: the timers stay stored until acted on.
async fn timer_loop(
    engine: Arc<Engine>,
    store: Store,
    interval: Duration,
    outbox: Arc<Notify>,
    shutdown: CancellationToken,
) {
    // The first pass comes one interval after start, so that start-up (migrations, roster
    // import) settles first; what fell due while the daemon was down is acted on then.
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
        match engine.run_timers(&store).await {
            Ok(n) => {
                if n > 0 {
                    info!(timers = n, "due timers acted on");
                }
                outbox.notify_one();
            }
            Err(e) => warn!(error = %e, "timer pass failed; due timers stay stored"),
        }
    }
}

/// Answers the statistics questions asked in chat, after the commit that recorded them
/// (`engine/commands/stats.rs`): when told one was asked, and every `interval` for those left
/// by a crash or by another replica. A failed pass is logged and repeated: the questions stay
/// stored until answered. Questions still waiting at shutdown are answered after the restart.
async fn answer_loop(
    engine: Arc<Engine>,
    store: Store,
    interval: Duration,
    outbox: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let asked = engine.questions_asked();
    loop {
        // Stopping in the middle is safe: a question is deleted only with its answer queued.
        let pass = tokio::select! {
            pass = engine.answer_questions(&store) => pass,
            () = shutdown.cancelled() => return,
        };
        match pass {
            // A full batch: more may wait.
            Ok(n) if n > 0 => {
                outbox.notify_one();
                continue;
            }
            Ok(_) => {}
            Err(e) => warn!(error = %e, "answering statistics questions failed; they stay stored"),
        }
        tokio::select! {
            () = asked.notified() => {}
            () = tokio::time::sleep(interval) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

async fn remember_roster(store: Store) {
    let started = std::time::Instant::now();
    match store.remember_roster().await {
        Ok(groups) => info!(
            groups,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "roster read into memory"
        ),
        Err(e) => warn!(error = %e, "roster not read into memory; groups are read as they speak"),
    }
}
