//! Ticket numbers people can type: numbered within each grid, `#1` at home and
//! `T1-V1-G2#1` from elsewhere, and the migration that numbered existing tickets.

use crate::both_backends;
use crate::support::{Db, ROSTER, seed, spawn_app};
use gridline::domain::TicketState;

async fn numbered_within_each_grid(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;

    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g2", "res2", "李华", "/report 5栋门口垃圾没人清")
        .await;
    app.say("g1", "res1", "王芳", "/report 4栋水管漏水").await;
    let card = app.last();
    assert!(card.text.contains("#2"), "{}", card.text);
    // The button works anywhere, so it carries the grid.
    assert_eq!(card.buttons[0].id, "/claim T1-V1-G1#2");

    // Each grid counts from 1.
    let second_grid = app
        .bot_messages()
        .into_iter()
        .find(|(m, _)| m.chat == "g2")
        .expect("card in g2")
        .0;
    assert!(second_grid.text.contains("#1"), "{}", second_grid.text);

    // "#1" in g2 is g2's ticket: g1's leader may not claim it, g2's leader may.
    app.say("g2", "leader2", "李强", "接单 #1").await;
    assert!(
        app.last().text.contains("#1 已由 李强 接单"),
        "{}",
        app.last().text
    );
    app.say("g1", "leader1", "张伟", "接单 1").await;
    assert!(
        app.last().text.contains("#1 已由 张伟 接单"),
        "{}",
        app.last().text
    );

    // The coordinator in a private chat names the grid; a bare number is not enough, and the
    // example names a grid below his village, where tickets are.
    app.say("p-coord1", "coord1", "陈静", "查询 1").await;
    assert!(
        app.last().text.contains("「查询 T1-V1-G1#1」"),
        "{}",
        app.last().text
    );
    app.say("p-coord1", "coord1", "陈静", "查询 t1-v1-g2#1")
        .await;
    let status = app.last().text;
    assert!(status.starts_with("T1-V1-G2#1"), "{status}");
    assert!(status.contains("李强"), "{status}");
    app.say("p-coord1", "coord1", "陈静", "查询 T1-V1-G2#9")
        .await;
    assert!(
        app.last().text.contains("T1-V1-G2#9"),
        "{}",
        app.last().text
    );

    // A qualified number typed in the ticket's own group works too.
    app.say("g1", "leader1", "张伟", "办结 T1-V1-G1#1 换了灯泡")
        .await;
    let mut tx = app.store.begin().await.expect("tx");
    let id = tx
        .ticket_by_number("T1-V1-G1", 1)
        .await
        .expect("db")
        .expect("ticket");
    tx.commit().await.expect("commit");
    let t = app.store.ticket(id).await.expect("db").expect("ticket");
    assert_eq!(t.state, TicketState::Resolved);
    app.stop().await;
}
both_backends!(numbered_within_each_grid, numbered_within_each_grid);

/// The schema as it stood before per-grid numbers, with tickets in it, then migration 0012.
async fn migration_numbers_existing_tickets(db: Db) {
    let mut old = crate::support::schema::SchemaBefore::new(db, 12).await;
    // Two grids whose tickets were numbered across the whole database: 1001 … 1005.
    let setup = "INSERT INTO grids (code, name, parent, level, path) VALUES \
        ('G1', '一网格', NULL, 'grid', '/G1/'), ('G2', '二网格', NULL, 'grid', '/G2/');";
    old.exec(setup).await;
    for (id, grid) in [
        (1001, "G1"),
        (1002, "G2"),
        (1003, "G1"),
        (1004, "G1"),
        (1005, "G2"),
    ] {
        let sql = format!(
            "INSERT INTO tickets (id, grid, platform, account, chat_id, source_message_id, inbox_id, \
             reporter_id, reporter_name, category, urgency, body, state, created_at, claim_due, \
             resolve_due, updated_at) VALUES ({id}, '{grid}', 'memory', 'bot', 'c', 'm{id}', {id}, \
             'r', '王芳', 'other', 'normal', '事', 'open', 0, 0, 0, 0)"
        );
        old.exec(&sql).await;
    }
    old.migrate().await;

    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, grid, grid_no FROM tickets ORDER BY id")
            .fetch_all(&mut old.conn)
            .await
            .expect("tickets");
    assert_eq!(
        rows,
        [
            (1001, "G1".into(), 1),
            (1002, "G2".into(), 1),
            (1003, "G1".into(), 2),
            (1004, "G1".into(), 3),
            (1005, "G2".into(), 2),
        ]
    );
    let counters: Vec<(String, i64)> =
        sqlx::query_as("SELECT code, last_ticket_no FROM grids ORDER BY code")
            .fetch_all(&mut old.conn)
            .await
            .expect("grids");
    assert_eq!(counters, [("G1".into(), 3), ("G2".into(), 2)]);
    // One number per grid: a second #1 in G1 is refused.
    let clash = "UPDATE tickets SET grid_no = 1 WHERE id = 1003";
    assert!(sqlx::raw_sql(clash).execute(&mut old.conn).await.is_err());
    sqlx::Connection::close(old.conn).await.expect("close");
}
both_backends!(
    migration_numbers_existing_tickets,
    migration_numbers_existing_tickets
);
