//! The `gridline` binary: a thin shell over the library. Every subcommand's work lives in the
//! library; this file parses arguments, loads configuration and reports errors.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser as ClapParser, Subcommand};
use gridline::config::Settings;
use gridline::understand::Parser;

/// The daemon allocates many small, short-lived values per message (events, rows, texts); the
/// system allocator spent about a fifth of the benchmark's CPU time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(ClapParser)]
#[command(
    name = "gridline",
    version,
    about = "Group-chat requests to tracked tickets for grid leaders"
)]
struct Cli {
    /// A local configuration file layered over the built-in defaults (also GRIDLINE_CONFIG).
    #[arg(long, global = true, env = "GRIDLINE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Run,
    /// Classify JSON Lines {"id","text"} from stdin; one result object per line on stdout.
    Classify,
    /// Score the parser on a labelled corpus file.
    Eval {
        file: PathBuf,
        /// Print every miss.
        #[arg(short, long)]
        verbose: bool,
        /// Also score it after learning the corrections stored in the database, and print
        /// both (what the office's corrections changed).
        #[arg(long)]
        corrections: bool,
    },
    /// Learn the corrections stored in the database: check them, print how the parser reads
    /// them before and after, and with --pid make the running daemon learn them (SIGHUP).
    Retrain {
        /// The running daemon's process id (`systemctl reload gridline` does the same).
        #[arg(long)]
        pid: Option<u32>,
        /// Also score a labelled file (e.g. the corpus's test split) with and without them.
        #[arg(long)]
        eval: Option<PathBuf>,
    },
    /// Import a roster CSV (grids, groups, people with roles). All or nothing.
    Import { file: PathBuf },
    /// Print statistics for a period and grid subtree (from the rollups).
    Stats {
        /// 今天 昨天 本周 上周 本月 上月 本季度 上季度 今年 去年 近7天 近30天 全部, a month
        /// (11月, 2026-11), a day or a range (2026-11-01..2026-11-15), or the English words
        /// (today, last week, this month, 7d, all …).
        /// 明细 / detail or 排名 / ranking first for those views, as in the chat
        /// (`gridline stats 明细 上月 东风社区`).
        #[arg(default_value = "all")]
        period: String,
        /// A grid code or name (东风社区); the whole tree when omitted.
        grid: Option<String>,
        /// The grid, when a view word came first.
        #[arg(hide = true)]
        third: Option<String>,
        /// One line per child unit with its rates, worst first.
        #[arg(long, conflicts_with = "ranking")]
        detail: bool,
        /// Child units ranked by the weighted score of their rates (stats.weight_*).
        #[arg(long)]
        ranking: bool,
        /// Recount every figure from the tickets and list where the rollups differ (exit
        /// status 1 when they do).
        #[arg(long)]
        verify: bool,
        /// Rebuild the rollups from the tickets (holds the writers while it runs).
        #[arg(long, conflicts_with = "verify")]
        rebuild: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Create or update the database schema, then exit.
    Migrate,
    /// Check the roster: list each grid node that would receive escalations but has no channel
    /// (no bound group, no coordinator reachable privately, no WeCom robot for its level).
    /// Exit status 1 when there is one.
    Doctor,
    /// Print a one-time sign-in link to the coordinator console for a person (by code), for an
    /// operator to hand over. It works once, within console.link_ttl.
    ConsoleLink {
        /// The person's code in the roster (an admin, coordinator or grid leader).
        person: String,
    },
    /// Push synthetic messages through the real pipeline and print messages/s and latency;
    /// with `--scenario stats`, a year of a county's tickets and what supervising it costs
    /// (statistics questions, intake while coordinators ask, console pages, XLSX export).
    Bench {
        /// `intake` (the default): full load and paced runs; `stats`: the supervision scenario;
        /// `drain`: new cards while a digest to every group drains.
        #[arg(long, default_value = "intake")]
        scenario: String,
        /// Drain scenario: reports (cards) per second while the digest drains.
        #[arg(long, default_value_t = 2.0)]
        card_rate: f64,
        /// Drain scenario: seconds the reports come in.
        #[arg(long, default_value_t = 60)]
        drain_seconds: u64,
        /// Stats scenario: tickets loaded before measuring.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        /// Stats scenario: days the tickets spread over, ending today.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Stats scenario: node × period questions asked.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        /// Stats scenario: rows of the XLSX export.
        #[arg(long, default_value_t = 50_000)]
        export_rows: usize,
        /// Stats scenario: coordinators asking `统计 全部` once a second beside the paced
        /// intake (0 measures the intake alone on the same database).
        #[arg(long, default_value_t = 10)]
        coordinators: usize,
        /// Stats scenario: seconds of the same paced intake, coordinators asking, run first
        /// and reported apart (a process's first second reads its roster and fills its
        /// caches).
        #[arg(long, default_value_t = 2)]
        warmup_seconds: u64,
        /// Stats scenario: measure the tickets an earlier run left in `--database` (same
        /// `--groups`) instead of loading new ones; the recount check still runs.
        #[arg(long)]
        loaded: bool,
        /// Stats scenario: which measurements to make, `all` or a comma-separated list of
        /// `questions`, `intake`, `pages`, `export`, `verify` (the recount takes minutes).
        #[arg(long, default_value = "all")]
        parts: String,
        /// Messages for the throughput run.
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        /// Messages per second for the paced latency run.
        #[arg(long, default_value_t = 1_000)]
        rate: u32,
        /// Seconds the paced run lasts.
        #[arg(long, default_value_t = 10)]
        paced_seconds: u64,
        /// Groups (each its own grid with a leader) in the roster the messages come from;
        /// the default is a county's worth.
        #[arg(long, default_value_t = 40_000)]
        groups: usize,
        /// Database to use (default: a new SQLite file in a temporary directory).
        #[arg(long)]
        database: Option<String>,
    },
}

fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    Ok(Settings::load(cli.config.as_deref(), std::env::vars())?)
}

fn load_parser(settings: &Settings) -> anyhow::Result<Parser> {
    let dir = &settings.general.lexicon_dir;
    let dir = (!dir.is_empty()).then(|| std::path::Path::new(dir));
    Ok(Parser::load(dir)?)
}

/// One tracing set-up for the process; `RUST_LOG` overrides the default level.
///
/// Log lines go to standard error from a thread of their own: the intake's writer logs every
/// ticket it opens, and a write to a slow terminal or pipe must not hold up the transaction.
/// Nothing is dropped (a full queue makes the logger wait); the returned guard flushes what is
/// queued when `main` ends. Colours only on a terminal.
fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(writer)
        .try_init();
    guard
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        None | Some(Command::Run) | Some(Command::Bench { .. })
    ) {
        end_quietly_on_closed_pipe();
    }
    match real_main(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gridline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A one-shot command whose output is piped into `head` or `less` ends as other command-line
/// tools do when the reader goes away: silently, by SIGPIPE. Rust starts programs with SIGPIPE
/// ignored, so printing to the closed pipe would panic instead. The daemon and the benchmark
/// keep it ignored: a platform connection closed by its peer is an error to handle there, not
/// a reason to stop.
#[cfg(unix)]
#[allow(unsafe_code)]
fn end_quietly_on_closed_pipe() {
    // SAFETY: called once at the start of `main`, before any thread is started; setting a
    // signal's disposition to its default touches no memory of this process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn end_quietly_on_closed_pipe() {}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    let settings = load_settings(&cli)?;
    let _logs = init_tracing();
    match cli.command.as_ref().unwrap_or(&Command::Run) {
        Command::Classify => {
            let parser = load_parser(&settings)?;
            gridline::understand::cli::classify(&parser, io::stdin().lock(), io::stdout().lock())?;
            Ok(())
        }
        Command::Eval {
            file,
            verbose,
            corrections: false,
        } => {
            let parser = load_parser(&settings)?;
            gridline::understand::cli::eval(&parser, file, *verbose, io::stdout().lock())
        }
        Command::Eval {
            corrections: true, ..
        }
        | Command::Retrain { .. }
        | Command::Run
        | Command::Import { .. }
        | Command::Stats { .. }
        | Command::Migrate
        | Command::Doctor
        | Command::ConsoleLink { .. }
        | Command::Bench { .. } => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let result = runtime.block_on(async_main(cli.command, settings));
            // Work abandoned at the end of the shutdown grace (a send with no answer) is not
            // waited for.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            result
        }
    }
}

/// A progress line on standard error for imports that take more than two seconds, when it is
/// a terminal (a pipe or a log file gets only the summary).
fn import_progress() -> impl FnMut(gridline::import::Progress) {
    use std::io::{IsTerminal as _, Write as _};
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    move |p| {
        if !terminal || started.elapsed() < std::time::Duration::from_secs(2) {
            return;
        }
        let mut err = std::io::stderr();
        let _ = write!(err, "\rwriting rows: {}/{}", p.done, p.total);
        if p.done == p.total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

async fn async_main(command: Option<Command>, settings: Settings) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Run) {
        Command::Run => run(settings).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Doctor => {
            let store = open_existing(&settings).await?;
            let report = doctor(&store, &settings).await?;
            for line in report.lines(&gridline::i18n::Texts::new(settings.general.language)) {
                println!("{line}");
            }
            if !report.missing.is_empty() {
                anyhow::bail!(
                    "{} nodes would receive escalations with no channel",
                    report.missing.len()
                );
            }
            Ok(())
        }
        Command::ConsoleLink { person } => {
            let store = open_store(&settings).await?;
            let link = gridline::console::auth::issue_link(
                &store,
                &settings,
                &person,
                gridline::store::now_millis(),
            )
            .await?;
            println!("{link}");
            Ok(())
        }
        Command::Import { file } => {
            let store = open_existing(&settings).await?;
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let report =
                gridline::import::import_csv_with_progress(&store, reader, import_progress())
                    .await?;
            if let Some(encoding) = report.converted_from {
                println!(
                    "read {} as {encoding} and converted it to UTF-8",
                    file.display()
                );
            }
            let counts = format!(
                "{} grids, {} groups, {} people, {} identities, {} role grants",
                report.grids, report.groups, report.people, report.identities, report.grants
            );
            if report.unchanged() {
                println!(
                    "unchanged: the database already matches {} ({counts})",
                    file.display()
                );
            } else {
                println!("imported {counts} ({} rows new or changed)", report.changed);
            }
            // The roster may have left a node without a channel for its escalations.
            let checked = doctor(&store, &settings).await?;
            if !checked.missing.is_empty() {
                for line in checked.lines(&gridline::i18n::Texts::new(settings.general.language)) {
                    println!("{line}");
                }
            }
            Ok(())
        }
        Command::Stats {
            period,
            grid,
            third,
            detail,
            ranking,
            verify,
            rebuild,
            json,
        } => {
            let store = open_existing(&settings).await?;
            if rebuild {
                store.rebuild_rollups().await?;
                println!("statistics rollups rebuilt from the tickets");
                return Ok(());
            }
            if verify {
                return verify_rollups(&store, &settings).await;
            }
            // A view word first, as in the chat: `统计 明细 上月 东风社区`.
            let word = match period.to_lowercase().as_str() {
                "明细" | "detail" => Some(gridline::stats::View::Detail),
                "排名" | "ranking" => Some(gridline::stats::View::Ranking),
                _ => None,
            };
            let (period, grid) = match word {
                Some(_) => (grid.unwrap_or_else(|| "all".to_string()), third),
                None if third.is_some() => {
                    anyhow::bail!("too many words: at most a view, a period and a grid")
                }
                None => (period, grid),
            };
            let view = match (detail, ranking, word) {
                (true, _, _) => gridline::stats::View::Detail,
                (_, true, _) => gridline::stats::View::Ranking,
                (_, _, Some(view)) => view,
                _ => gridline::stats::View::Summary,
            };
            let report =
                gridline::stats::report_view(&store, &settings, &period, grid.as_deref(), view)
                    .await?;
            let unread = store.unread_count().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", report.render(&settings, view));
                // Platform payloads kept as received because they could not be read.
                if unread > 0 {
                    println!("unreadable platform events kept: {unread}");
                }
            }
            Ok(())
        }
        Command::Bench {
            scenario,
            card_rate,
            drain_seconds,
            tickets,
            days,
            queries,
            export_rows,
            coordinators,
            warmup_seconds,
            loaded,
            parts,
            messages,
            rate,
            paced_seconds,
            groups,
            database,
        } => {
            let dir = std::env::temp_dir().join(format!("gridline-bench-{}", std::process::id()));
            let url = database.unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
            match scenario.as_str() {
                "intake" => {}
                "stats" => {
                    let opts = gridline::bench::stats::StatsOptions {
                        tickets: tickets.max(1),
                        days: days.max(1),
                        groups: groups.max(1),
                        queries: queries.max(1),
                        rate,
                        paced_for: std::time::Duration::from_secs(paced_seconds),
                        export_rows: export_rows.max(1),
                        coordinators,
                        warmup: std::time::Duration::from_secs(warmup_seconds),
                        loaded,
                        parts: parts.parse().map_err(anyhow::Error::msg)?,
                        ..Default::default()
                    };
                    let report = gridline::bench::stats::run(&url, opts).await;
                    let _ = std::fs::remove_dir_all(&dir);
                    println!("{}", report?.render());
                    return Ok(());
                }
                "drain" => {
                    let opts = gridline::bench::drain::DrainOptions {
                        groups: groups.max(1),
                        card_rate,
                        seconds: drain_seconds.max(1),
                    };
                    let report = gridline::bench::drain::run(&url, opts).await;
                    let _ = std::fs::remove_dir_all(&dir);
                    println!("{}", report?.render());
                    return Ok(());
                }
                other => {
                    anyhow::bail!("unknown bench scenario `{other}`: intake, stats or drain")
                }
            }
            let opts = gridline::bench::BenchOptions {
                messages,
                rate,
                paced_for: std::time::Duration::from_secs(paced_seconds),
                groups: groups.max(1),
            };
            let report = gridline::bench::run(&url, opts).await;
            let _ = std::fs::remove_dir_all(&dir);
            println!("{}", report?.render());
            Ok(())
        }
        Command::Eval {
            file,
            verbose,
            corrections: true,
        } => {
            let store = open_store(&settings).await?;
            let lessons = stored_corrections(&store).await?;
            let parser = load_parser(&settings)?;
            gridline::understand::cli::eval_compare(
                &parser,
                &lessons,
                &file,
                verbose,
                io::stdout().lock(),
            )
        }
        Command::Retrain { pid, eval } => {
            let store = open_store(&settings).await?;
            let lessons = stored_corrections(&store).await?;
            let parser = load_parser(&settings)?;
            gridline::understand::cli::retrain_report(&parser, &lessons, io::stdout().lock())?;
            if let Some(file) = eval {
                gridline::understand::cli::eval_compare(
                    &parser,
                    &lessons,
                    &file,
                    false,
                    io::stdout().lock(),
                )?;
            }
            if let Some(pid) = pid {
                let status = std::process::Command::new("kill")
                    .args(["-HUP", &pid.to_string()])
                    .status()
                    .context("running kill")?;
                anyhow::ensure!(status.success(), "could not signal process {pid}");
                println!("process {pid} is learning the corrections now (SIGHUP sent)");
            }
            Ok(())
        }
        Command::Classify | Command::Eval { .. } => unreachable_cli(),
    }
}

fn unreachable_cli() -> anyhow::Result<()> {
    anyhow::bail!("this subcommand does not use the runtime")
}

/// Recounts the statistics from the tickets and compares them with the rollups.
async fn verify_rollups(store: &gridline::store::Store, settings: &Settings) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (found, diffs) = store
        .verify_rollups(settings.general.timezone.0, 50)
        .await
        .context("recounting the statistics")?;
    let ms = started.elapsed().as_millis();
    if found == 0 {
        println!("statistics rollups match the tickets ({ms} ms)");
        return Ok(());
    }
    for d in &diffs {
        println!(
            "{} {}: stored {}, counted {}",
            d.key, d.figure, d.stored, d.counted
        );
    }
    anyhow::bail!(
        "{found} figures differ from the tickets ({} shown); `gridline stats --rebuild` rebuilds them",
        diffs.len()
    )
}

/// The escalation-channel check over the platforms the configuration enables.
async fn doctor(
    store: &gridline::store::Store,
    settings: &Settings,
) -> anyhow::Result<gridline::doctor::Report> {
    let reach = gridline::platform::private_reach(settings);
    gridline::doctor::check(store, settings, &reach)
        .await
        .context("checking the escalation channels")
}

/// Opens a database that must already exist (every command but `run` and `migrate`).
async fn open_existing(settings: &Settings) -> anyhow::Result<gridline::store::Store> {
    let db = &settings.database;
    let store = gridline::store::Store::open_existing(
        db.url.expose(),
        db.max_connections,
        db.acquire_timeout.0,
    )
    .await
    .context("opening the database (database.url)")?;
    store
        .ensure_rollups(settings.general.timezone.0)
        .await
        .context("building the statistics rollups")?;
    Ok(store)
}

async fn open_store(settings: &Settings) -> anyhow::Result<gridline::store::Store> {
    let db = &settings.database;
    gridline::store::Store::open(db.url.expose(), db.max_connections, db.acquire_timeout.0)
        .await
        .context("opening the database (database.url)")
}

/// The stored corrections as lessons for the parser.
async fn stored_corrections(
    store: &gridline::store::Store,
) -> anyhow::Result<Vec<gridline::understand::Correction>> {
    let stored = gridline::store::examples::load_all(store)
        .await
        .context("reading the labelled examples")?;
    Ok(gridline::learn::corrections(&stored))
}

/// Runs the daemon until SIGTERM/SIGINT, then gives it `shutdown.grace` to stop in order.
/// Whatever is still under way then (a send the network never answers, a database that does
/// not) is abandoned: nothing unconfirmed was marked done, so it is retried after the restart.
async fn run(settings: Settings) -> anyhow::Result<()> {
    let grace = settings.shutdown.grace.0;
    let app = gridline::app::Application::build(settings, Vec::new()).await?;
    let stop = app.shutdown_token();
    let stopping = stop.clone();
    // SIGHUP: learn the stored corrections again, without a restart.
    let (store, parser) = app.learner();
    gridline::learn::relearn_on_hangup(store, parser, stop.clone());
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "signal received; shutting down"
        );
        stop.cancel();
    });
    let deadline = async move {
        stopping.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = app.run_until_stopped() => result,
        () = deadline => {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "shutdown grace over; exiting with work under way (unconfirmed deliveries stay queued)"
            );
            Ok(())
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
