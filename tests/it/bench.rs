//! `gridline bench` end to end, small: every request becomes a ticket, both runs are timed,
//! and replies reach the platform.

use crate::both_backends;
use crate::support::{Db, database_url};
use gridline::bench::{BenchOptions, run};
use std::time::Duration;

async fn small_bench(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = database_url(db, &dir).await;
    let report = run(
        &url,
        BenchOptions {
            messages: 400,
            rate: 200,
            paced_for: Duration::from_secs(1),
            groups: 30,
        },
    )
    .await
    .expect("bench ran");
    // One message in four is a request in the full-load run; every paced message is one.
    assert_eq!(report.full_load.messages, 400);
    assert_eq!(report.full_load.requests, 100);
    assert_eq!(report.paced.messages, 200);
    assert_eq!(report.paced.requests, 200);
    assert_eq!(report.groups, 30);
    for phase in [&report.full_load, &report.paced] {
        assert!(phase.messages_per_s > 0.0, "{phase:?}");
        assert!(
            phase.latency_p50_ms <= phase.latency_p99_ms
                && phase.latency_p99_ms <= phase.latency_max_ms,
            "{phase:?}"
        );
        // The slowest message arrived within its run.
        assert!(
            (0.0..=phase.seconds).contains(&phase.latency_max_at_s),
            "{phase:?}"
        );
    }
    assert!(report.delivered > 0, "{report:?}");
    let text = report.render();
    assert!(
        text.contains("full load: 400 messages (100 requests)"),
        "{text}"
    );

    // A database that already has messages is refused rather than mixed into the figures.
    let again = run(
        &url,
        BenchOptions {
            messages: 10,
            rate: 10,
            paced_for: Duration::from_secs(1),
            groups: 30,
        },
    )
    .await;
    let err = again.expect_err("refused").to_string();
    assert!(err.contains("empty database"), "{err}");
}
both_backends!(bench_pushes_every_request_to_a_ticket, small_bench);
