//! Who waits for whom among the store's connections: writers never wait behind readers, and
//! statistics and console reads queue among themselves for a pool of their own.

use std::time::Duration;

use crate::both_backends;
use crate::support::{Db, ROSTER, seed, spawn_app};
use gridline::store::Store;

/// Long reads (statistics, console pages, exports) hold every connection of the reports'
/// pool; the writer, the engine's reads and a message's whole way through the intake go on.
/// On SQLite the writer has a connection of its own: it goes on even while the engine's
/// reads hold every other connection too, and nothing writes beside it.
async fn writers_never_wait_behind_readers(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = crate::support::database_url(db, &dir).await;
    // 8: the reports get 2, the engine 6. A short acquire timeout: a writer made to wait for
    // a connection fails here instead of waiting.
    let store = Store::open(&url, 8, Duration::from_secs(1))
        .await
        .expect("store");
    assert_eq!(store.reports().options().get_max_connections(), 2);
    assert_eq!(store.pool().options().get_max_connections(), 6);
    let mut reports = Vec::new();
    for _ in 0..2 {
        reports.push(store.reports().acquire().await.expect("report connection"));
    }
    store
        .reports()
        .acquire()
        .await
        .expect_err("a third statistics read queues behind the two");
    write(&store, "with every report connection held").await;
    store.ping().await.expect("the engine's pool is free");

    if db == Db::Sqlite {
        let mut engine = Vec::new();
        for _ in 0..6 {
            engine.push(store.pool().acquire().await.expect("engine connection"));
        }
        write(&store, "with every reader connection held").await;
        // A write that does not go through the writer fails at once.
        drop(engine);
        let refused = sqlx::query("DELETE FROM cursors")
            .execute(store.pool())
            .await
            .expect_err("the readers' connections do not write");
        assert!(refused.to_string().contains("readonly"), "{refused}");
    }
    drop(reports);
    let row: (String,) = sqlx::query_as("SELECT value FROM cursors WHERE key = 'k'")
        .fetch_one(store.pool())
        .await
        .expect("written");
    assert!(row.0.starts_with("with every"), "{}", row.0);
    store.close().await;
}

async fn write(store: &Store, value: &str) {
    let mut tx = store
        .begin()
        .await
        .expect("the writer does not wait for a reader");
    tx.put_cursor("k", value, 1).await.expect("write");
    tx.commit().await.expect("commit");
}
both_backends!(
    writers_never_wait_behind_readers_in_the_store,
    writers_never_wait_behind_readers
);

/// The same through the application: with every report connection held by long reads, a
/// resident's report still becomes a ticket and its card is queued and sent.
async fn reports_in_progress_hold_up_no_message(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let mut held = Vec::new();
    for _ in 0..app.store.reports().options().get_max_connections() {
        held.push(
            app.store
                .reports()
                .acquire()
                .await
                .expect("report connection"),
        );
    }
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    let card = app.last();
    assert!(card.text.contains("#1"), "{}", card.text);
    drop(held);
    app.stop().await;
}
both_backends!(
    a_message_goes_through_while_reports_hold_their_pool,
    reports_in_progress_hold_up_no_message
);
