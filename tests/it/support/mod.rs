//! The harness: start the real application in-process on port 0 and talk to it.

#![allow(dead_code)]

pub mod postgres;
pub mod schema;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gridline::app::Application;
use gridline::clock::Clock;
use gridline::config::Settings;
use gridline::engine::Engine;
use gridline::intake::{Intake, IntakeError, Stored};
use gridline::platform::memory::{MemoryAdapter, Sent};
use gridline::platform::{
    ChatKind, ChatRef, EventKind, InboundEvent, Outbound, OutboundMessage, Sender,
};
use gridline::store::Store;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub store: Store,
    pub memory: Arc<MemoryAdapter>,
    pub intake: Intake,
    pub settings: Settings,
    pub db_url: String,
    /// The application's clock: move it to cross deadlines, then call [`TestApp::tick`].
    pub clock: Arc<Clock>,
    pub engine: Arc<Engine>,
    /// The engine's parser (to make it learn corrections, as SIGHUP does).
    pub parser: Arc<gridline::understand::Parser>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

/// Settings for tests: port 0, the given database, no sandbox unless a test turns it on.
pub fn test_settings(db_url: &str) -> Settings {
    let mut s = Settings::defaults().expect("defaults");
    s.database.url = gridline::config::Secret::new(db_url);
    s.http.listen = "127.0.0.1:0".parse().expect("addr");
    s.sandbox.enabled = false;
    s.sandbox.demo_roster = false;
    // Tests that need quiet hours or digests turn them on and set the clock; the rest must
    // not depend on the hour they happen to run at.
    s.sla.quiet_hours = String::new();
    s.digest.daily_at = String::new();
    s.digest.weekly_at = String::new();
    // Timers are acted on when a test calls `tick`, not by the background pass.
    s.sla.check_interval = "1h".parse().expect("duration");
    s
}

pub async fn database_url(db: Db, dir: &tempfile::TempDir) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}/gridline.db", dir.path().display()),
        Db::Postgres => postgres::fresh_database().await,
    }
}

/// Starts gridline with the in-process adapter, after `configure` adjusted the settings.
pub async fn spawn_app(db: Db, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = database_url(db, &dir).await;
    let mut settings = test_settings(&db_url);
    configure(&mut settings);
    start(
        settings,
        db_url,
        Arc::new(Clock::system()),
        dir,
        MemoryAdapter::default(),
    )
    .await
}

/// [`spawn_app`] with an in-process adapter of the given capabilities (e.g. message edits).
pub async fn spawn_app_with(db: Db, memory: MemoryAdapter) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = database_url(db, &dir).await;
    let settings = test_settings(&db_url);
    start(settings, db_url, Arc::new(Clock::system()), dir, memory).await
}

/// Starts gridline on `settings` (whose database already exists or is created).
async fn start(
    settings: Settings,
    db_url: String,
    clock: Arc<Clock>,
    dir: tempfile::TempDir,
    memory: MemoryAdapter,
) -> TestApp {
    let memory = Arc::new(memory);
    let app = Application::build_with_clock(
        settings.clone(),
        vec![memory.clone() as Arc<dyn gridline::platform::Adapter>],
        clock.clone(),
    )
    .await
    .expect("application builds");
    let addr = app.local_addr();
    let store = app.store();
    let intake = app.intake();
    let shutdown = app.shutdown_token();
    let engine = app.engine();
    let (_, parser) = app.learner();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        addr,
        store,
        memory,
        intake,
        settings,
        db_url,
        clock,
        engine,
        parser,
        shutdown,
        task,
        _dir: dir,
    }
}

/// Imports a roster CSV.
pub async fn seed(app: &TestApp, csv: &str) {
    gridline::import::import_csv(&app.store, csv.as_bytes())
        .await
        .expect("roster imports");
}

/// The roster most tests use: one grid with its group on the in-process platform.
pub const ROSTER: &str = "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
grid,T1-V1-G2,东门二网格,T1-V1,grid,,,
group,,东门一网格群,T1-V1-G1,,memory,g1,
group,,东门二网格群,T1-V1-G2,,memory,g2,
person,L1,张伟,T1-V1-G1,,memory,leader1,leader
person,D1,刘洋,T1-V1-G1,,memory,deputy1,deputy
person,L2,李强,T1-V1-G2,,memory,leader2,leader
person,C1,陈静,T1-V1,,memory,coord1,coordinator
person,R1,王芳,T1-V1-G1,,memory,res1,resident
person,A1,赵敏,,,memory,admin1,admin
";

static NEXT_EVENT: AtomicU64 = AtomicU64::new(1);

pub fn message(
    chat: &str,
    user: &str,
    name: &str,
    text: &str,
    reply_to: Option<&str>,
) -> InboundEvent {
    let n = NEXT_EVENT.fetch_add(1, Ordering::SeqCst);
    InboundEvent {
        platform: "memory".into(),
        account: "bot".into(),
        event_id: format!("e{n}"),
        chat: ChatRef {
            id: chat.into(),
            kind: if chat.starts_with('p') {
                ChatKind::Private
            } else {
                ChatKind::Group
            },
            title: None,
            thread: None,
        },
        sender: Sender {
            id: user.into(),
            name: name.into(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: format!("m{n}"),
            text: text.into(),
            reply_to: reply_to.map(str::to_string),
            mentions: vec![],
            photos: vec![],
        },
        at: gridline::store::now_millis(),
    }
}

impl TestApp {
    /// Submits one event and waits for it to be stored.
    pub async fn submit(&self, ev: InboundEvent) -> Result<Stored, IntakeError> {
        self.intake.submit(vec![ev], None).await
    }

    /// Someone writes in a chat; returns the message id. Waits until gridline has answered
    /// (or decided not to).
    pub async fn say(&self, chat: &str, user: &str, name: &str, text: &str) -> String {
        self.say_reply(chat, user, name, text, None).await
    }

    pub async fn say_reply(
        &self,
        chat: &str,
        user: &str,
        name: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> String {
        let ev = message(chat, user, name, text, reply_to);
        let EventKind::Message { message_id, .. } = &ev.kind else {
            unreachable!()
        };
        let id = message_id.clone();
        self.submit(ev).await.expect("stored");
        self.settle().await;
        id
    }

    /// Presses a button on a bot message.
    pub async fn press(&self, chat: &str, user: &str, name: &str, message_id: &str, button: &str) {
        let mut ev = message(chat, user, name, "", None);
        ev.kind = EventKind::Button {
            message_id: message_id.into(),
            button: button.into(),
            callback_id: Some(format!("cb-{}", ev.event_id)),
        };
        self.submit(ev).await.expect("stored");
        self.settle().await;
    }

    /// Waits until every stored event is processed, every statistics question answered and
    /// every due outbox row delivered.
    ///
    /// Read upstream first: each stage consumes its input and writes its output in one
    /// transaction (an event → questions and outbox rows; a question → its answer's outbox
    /// row), so a stage read as empty has already committed everything it feeds downstream.
    /// Read the other way round, a question answered between the two reads would leave its
    /// answer unseen.
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let inbox = self.store.inbox_counts().await.expect("inbox counts");
            let questions = self.store.questions_waiting().await.expect("questions");
            let outbox = self.store.outbox_counts().await.expect("outbox counts");
            if inbox.unprocessed == 0 && outbox.pending == 0 && questions == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "did not settle: {inbox:?} {outbox:?}, {questions} statistics questions waiting"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Messages the bot sent (not toasts or edits), in order.
    /// The platform id of the card the bot sent for a report: the first bot message replying to
    /// the report's message `source`.
    pub fn card_for(&self, source: &str) -> String {
        self.bot_messages()
            .into_iter()
            .find(|(m, _)| m.reply_to.as_deref() == Some(source))
            .and_then(|(_, ids)| ids.into_iter().next())
            .expect("a card answered the report")
    }

    /// The last text the card `card` was edited to; None while it was never redrawn.
    pub fn card_redrawn(&self, card: &str) -> Option<String> {
        self.memory
            .sent()
            .into_iter()
            .filter_map(|s| match s.item {
                gridline::platform::Outbound::Edit {
                    message_id, text, ..
                } if message_id == card => Some(text),
                _ => None,
            })
            .next_back()
    }

    pub fn bot_messages(&self) -> Vec<(OutboundMessage, Vec<String>)> {
        self.memory
            .sent()
            .into_iter()
            .filter_map(
                |Sent {
                     item, message_ids, ..
                 }| match item {
                    Outbound::Send(m) => Some((m, message_ids)),
                    _ => None,
                },
            )
            .collect()
    }

    /// The last message the bot sent.
    pub fn last(&self) -> OutboundMessage {
        self.bot_messages().pop().expect("the bot said something").0
    }

    /// The text of the last message the bot sent that contains `needle`. Replies and background
    /// notices (escalations, reminders) are paced separately and may leave in either order, so
    /// an answer is found by what it says, not by being last.
    pub fn last_with(&self, needle: &str) -> String {
        let sent = self.bot_messages();
        sent.iter()
            .rev()
            .find(|(m, _)| m.text.contains(needle))
            .map(|(m, _)| m.text.clone())
            .unwrap_or_else(|| {
                let texts: Vec<&str> = sent.iter().map(|(m, _)| m.text.as_str()).collect();
                panic!("no message contains {needle:?}: {texts:#?}")
            })
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(15), self.task).await;
    }

    /// Acts on whatever timers are due at the clock's time, then waits for delivery.
    pub async fn tick(&self) -> usize {
        let n = self
            .engine
            .run_timers(&self.store)
            .await
            .expect("timers run");
        self.settle().await;
        n
    }

    /// Stops this daemon, runs `while_down` (e.g. moves the clock), and starts a new one on
    /// the same database and clock (a restart).
    pub async fn restart(self, while_down: impl FnOnce(&Clock)) -> TestApp {
        let TestApp {
            settings,
            db_url,
            clock,
            shutdown,
            task,
            _dir,
            ..
        } = self;
        shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        while_down(&clock);
        start(settings, db_url, clock, _dir, MemoryAdapter::default()).await
    }

    /// A second daemon (replica) on the same database and clock, with its own adapter.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(MemoryAdapter::default()).await
    }

    /// [`TestApp::replica`] with an in-process adapter of the given capabilities.
    pub async fn replica_with(&self, memory: MemoryAdapter) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = self.settings.clone();
        settings.http.listen = "127.0.0.1:0".parse().expect("addr");
        start(
            settings,
            self.db_url.clone(),
            self.clock.clone(),
            dir,
            memory,
        )
        .await
    }
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::support::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::support::Db::Postgres).await;
            }
        }
    };
}
