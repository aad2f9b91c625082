//! `cargo bench --bench classify`: how fast the parser is on short group messages.
//!
//! Prints the start-up time (lexicons, matcher, segmenter dictionary) and messages per second on
//! one core, over the corpus's messages (mostly 5–40 characters, like a real group).
//!
//! The rate is given twice: per second of wall time, and per second the measuring thread spent
//! on a core (Linux's `/proc/thread-self/schedstat`). On a machine shared with other work the
//! first falls with the machine's load; the second is the parser's own cost, what a core
//! given to gridline alone would do.

use std::time::{Duration, Instant};

use gridline::understand::Parser;

fn main() {
    let started = Instant::now();
    let parser = match Parser::load(None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot load the parser: {e}");
            std::process::exit(1);
        }
    };
    let startup = started.elapsed();

    let corpus = concat!(
        include_str!("../corpus/train.jsonl"),
        include_str!("../corpus/dev.jsonl"),
        include_str!("../corpus/test.jsonl")
    );
    let messages: Vec<String> = corpus
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let chars: usize = messages.iter().map(|m| m.chars().count()).sum();

    // Warm up caches and the allocator.
    let mut requests = 0usize;
    for m in &messages {
        requests += usize::from(parser.parse(m, false).is_request);
    }
    let budget = Duration::from_secs(3);
    let cpu_begin = thread_cpu();
    let begin = Instant::now();
    let mut parsed = 0usize;
    while begin.elapsed() < budget {
        for m in &messages {
            let u = parser.parse(std::hint::black_box(m), false);
            requests += usize::from(std::hint::black_box(u).is_request);
        }
        parsed += messages.len();
    }
    let elapsed = begin.elapsed().as_secs_f64();
    let cpu = thread_cpu()
        .zip(cpu_begin)
        .map(|(end, start)| end.saturating_sub(start).as_secs_f64());
    println!(
        "start-up: {:.0} ms (lexicons, matcher, segmenter dictionary)",
        startup.as_secs_f64() * 1000.0
    );
    println!(
        "classify: {:.0} messages/s on one core ({} distinct messages, {:.1} characters on average; {} parsed)",
        parsed as f64 / elapsed,
        messages.len(),
        chars as f64 / messages.len().max(1) as f64,
        parsed
    );
    if let Some(cpu) = cpu.filter(|&c| c > 0.0) {
        println!(
            "classify: {:.0} messages per second on a core ({:.2} s on a core in {:.2} s of wall time)",
            parsed as f64 / cpu,
            cpu,
            elapsed
        );
    }
    std::hint::black_box(requests);
}

/// The time this thread has spent running on a core, where Linux tells it.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
