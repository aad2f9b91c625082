//! Wiring: build every part from [`Settings`], run until the shutdown signal, drain, stop.
//!
//! Platform adapters plug in through [`Context`] and [`Mounted`]: an adapter module exposes
//! `async fn mount(ctx: &Context) -> anyhow::Result<Mounted>`, giving gridline its sender, its
//! HTTP routes (merged into the one listener) and its background tasks.

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::intake::Intake;
use crate::platform::Adapter;
use crate::store::Store;

/// What an adapter may use while mounting.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub intake: Intake,
    /// Fires when gridline is stopping: stop intake, let in-flight work finish.
    pub shutdown: CancellationToken,
}

/// What a mounted adapter gives back.
pub struct Mounted {
    pub adapter: Arc<dyn Adapter>,
    /// Routes merged into the HTTP listener (webhooks, the sandbox page, OneBot endpoints).
    pub routes: axum::Router,
    /// Long-running tasks (a polling loop); awaited at shutdown.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}
