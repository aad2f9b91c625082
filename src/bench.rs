//! `gridline bench`: pushes synthetic group messages through the real pipeline — intake (inbox
//! commit) → parse → ticket → outbox — on SQLite or PostgreSQL, and prints throughput and the
//! latency from arrival to the reply reaching the (in-process) platform.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::app::Application;
use crate::config::{Secret, Settings};
use crate::platform::memory::MemoryAdapter;
use crate::platform::{Adapter, ChatKind, ChatRef, EventKind, InboundEvent, Outbound, Sender};

const GRIDS: usize = 200;
const CHATTER: [&str; 6] = [
    "谢谢网格长！",
    "收到",
    "大家早上好",
    "好的👍",
    "明天几点开会？",
    "Thanks, all good now",
];
const REQUESTS: [&str; 4] = [
    "/report 3栋楼道灯坏了，晚上看不见",
    "/report 小区门口垃圾好几天没人收",
    "/report 5号楼下水道堵了，污水漫出来",
    "/report The street light outside Block 5 is out",
];

/// Figures of one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub backend: String,
    pub messages: usize,
    pub requests: usize,
    pub throughput_per_s: f64,
    pub paced_rate_per_s: u32,
    pub paced_messages: usize,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
}

fn roster() -> String {
    let mut csv = String::from(
        "kind,code,name,parent,level,platform,external_id,role\ngrid,BT,镇,,town,,,\ngrid,BT-V,村,BT,village,,,\n",
    );
    for g in 0..GRIDS {
        csv.push_str(&format!("grid,BT-V-{g},网格{g},BT-V,grid,,,\ngroup,,群{g},BT-V-{g},,memory,bg{g},\nperson,BL{g},网格长{g},BT-V-{g},,memory,bl{g},leader\n"));
    }
    csv
}

fn event(n: usize, text: &str) -> InboundEvent {
    InboundEvent {
        platform: "memory".into(),
        account: "bench".into(),
        event_id: format!("b{n}"),
        chat: ChatRef {
            id: format!("bg{}", n % GRIDS),
            kind: ChatKind::Group,
            title: None,
            thread: None,
        },
        sender: Sender {
            id: format!("r{}", n % 5_000),
            name: "居民".into(),
            username: None,
        },
        kind: EventKind::Message {
            message_id: format!("bm{n}"),
            text: text.to_string(),
            reply_to: None,
            mentions: vec![],
            photos: vec![],
        },
        at: crate::store::now_millis(),
    }
}

/// One in `every` messages is a request, the rest chatter.
fn text_for(n: usize, every: usize) -> &'static str {
    if n.is_multiple_of(every) {
        REQUESTS[(n / every) % REQUESTS.len()]
    } else {
        CHATTER[n % CHATTER.len()]
    }
}

pub async fn run(database_url: &str, messages: usize, rate: u32) -> anyhow::Result<BenchReport> {
    let mut settings = Settings::defaults()?;
    settings.database.url = Secret::new(database_url);
    settings.http.listen = "127.0.0.1:0".parse()?;
    settings.sandbox.enabled = false;
    settings.sandbox.demo_roster = false;
    let memory = Arc::new(MemoryAdapter::default());
    let app = Application::build(settings, vec![memory.clone() as Arc<dyn Adapter>]).await?;
    let store = app.store();
    let intake = app.intake();
    let stop = app.shutdown_token();
    crate::import::import_csv(&store, roster().as_bytes())
        .await
        .context("bench roster")?;
    let running = tokio::spawn(app.run_until_stopped());
    let backend = format!("{:?}", store.backend());

    // Throughput: producers submit as fast as the intake takes them.
    let every = 4;
    let producers = 32;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..producers {
        let intake = intake.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = p;
            while n < messages {
                let mut batch = Vec::with_capacity(16);
                for _ in 0..16 {
                    if n >= messages {
                        break;
                    }
                    batch.push(event(n, text_for(n, every)));
                    n += producers;
                }
                intake.submit(batch, None).await?;
            }
            Ok::<(), crate::intake::IntakeError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    loop {
        if store.inbox_counts().await?.unprocessed == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = messages.div_ceil(every);

    // Latency at a steady rate: every message a request, timed until its card is delivered.
    let paced = (rate as usize * 5).max(100);
    let base = messages + 1;
    let before = memory.sent().len();
    let mut arrivals: HashMap<String, Instant> = HashMap::with_capacity(paced);
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut ticker = tokio::time::interval(interval);
    let mut pending = Vec::new();
    for i in 0..paced {
        ticker.tick().await;
        let n = base + i;
        arrivals.insert(format!("bm{n}"), Instant::now());
        let intake = intake.clone();
        pending.push(tokio::spawn(async move {
            intake
                .submit(vec![event(n, REQUESTS[n % REQUESTS.len()])], None)
                .await
        }));
    }
    for p in pending {
        p.await??;
    }
    let sent = memory
        .wait_for(before + paced, Duration::from_secs(60))
        .await;
    let mut latencies: Vec<f64> = sent[before..]
        .iter()
        .filter_map(|s| match &s.item {
            Outbound::Send(m) => m
                .reply_to
                .as_ref()
                .and_then(|r| arrivals.get(r))
                .map(|t0| s.at.duration_since(*t0).as_secs_f64() * 1_000.0),
            _ => None,
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let report = BenchReport {
        backend,
        messages,
        requests,
        throughput_per_s: messages as f64 / elapsed,
        paced_rate_per_s: rate,
        paced_messages: latencies.len(),
        latency_p50_ms: pick(0.50),
        latency_p99_ms: pick(0.99),
    };
    stop.cancel();
    let _ = running.await;
    Ok(report)
}
