//! The coordinator console over HTTP: sign-in by one-time link, scope on every page, export
//! and action, CSRF on every POST, the ledger's filters and pages, and the XLSX read back.

use std::time::Duration;

use crate::both_backends;
use crate::support::{Db, ROSTER, TestApp, seed, spawn_app};

/// The test roster plus a second village, outside coordinator C1's subtree.
fn roster() -> String {
    format!(
        "{ROSTER}grid,T1-V2,西门村,T1,village,,,
grid,T1-V2-G1,西门一网格,T1-V2,grid,,,
group,,西门一网格群,T1-V2-G1,,memory,g3,
person,L3,孙丽,T1-V2-G1,,memory,leader3,leader
person,R3,周强,T1-V2-G1,,memory,res3,resident
"
    )
}

/// A browser without a cookie jar: the session cookie is carried by hand.
pub struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

/// The token of a link, which names the configured address (port 0 in tests).
pub fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Opens a login link; the session cookie when it was accepted.
async fn open_link(app: &TestApp, token: &str) -> (reqwest::StatusCode, Option<String>) {
    let resp = client()
        .get(format!("http://{}/console/login?token={token}", app.addr))
        .send()
        .await
        .expect("login answers");
    let cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_string());
    (resp.status(), cookie)
}

pub async fn link_for(app: &TestApp, person: &str) -> String {
    gridline::console::auth::issue_link(&app.store, &app.settings, person, app.clock.now())
        .await
        .expect("a link")
}

async fn sign_in(app: &TestApp, person: &str) -> Console {
    let link = link_for(app, person).await;
    let (status, cookie) = open_link(app, &token_of(&link)).await;
    assert_eq!(status, 200);
    let cookie = cookie.expect("a session cookie");
    Console {
        http: client(),
        base: format!("http://{}", app.addr),
        cookie,
    }
}

impl Console {
    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("answer");
        let status = resp.status().as_u16();
        // A redirect answers with where it leads.
        if status == 301 {
            let location = resp.headers().get(reqwest::header::LOCATION);
            return (
                status,
                location
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        (status, resp.text().await.unwrap_or_default())
    }

    async fn bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("answer");
        let status = resp.status().as_u16();
        (
            status,
            resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        )
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .expect("answer");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.text().await.unwrap_or_default();
        (status, if status == 303 { location } else { body })
    }

    /// The CSRF token of the signed-in page.
    async fn csrf(&self) -> String {
        let (_, page) = self.get("/console/ledger").await;
        let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
        page[at..].split('"').next().unwrap_or_default().to_string()
    }
}

/// Three tickets: #1 and #3 in C1's village (grid T1-V1-G1), #2 in the other village.
async fn three_tickets(app: &TestApp) {
    seed(app, &roster()).await;
    app.say("g1", "res1", "王芳", "报修：3栋2单元路灯坏了，晚上很黑")
        .await;
    app.say("g3", "res3", "周强", "报修：西门桥头积水很深过不去")
        .await;
    app.say("g1", "res1", "王芳", "投诉：5栋楼下垃圾三天没人清运")
        .await;
}

async fn scope(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    three_tickets(&app).await;
    let c1 = sign_in(&app, "C1").await;

    // Inside the subtree: the ticket and its history, at its grid and number.
    let (status, page) = c1.get("/console/tickets/T1-V1-G1/1").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("T1-V1-G1#1"), "{page}");
    // Old addresses by database id, and the number as written in chat, move there.
    for old in [
        "/console/tickets/1",
        "/console/tickets/T1-V1-G1%231",
        "/console/tickets/t1-v1-g1%231",
    ] {
        let (status, location) = c1.get(old).await;
        assert_eq!(
            (status, location.as_str()),
            (301, "/console/tickets/T1-V1-G1/1"),
            "{old}"
        );
    }
    let (status, location) = c1.get("/console/letters/ticket/3").await;
    assert_eq!(
        (status, location.as_str()),
        (301, "/console/letters/ticket/T1-V1-G1/2")
    );
    assert!(page.contains("3栋2单元路灯坏了") && page.contains("id=\"history\""));
    // Another subtree's ticket, grid and export: 404, never its data.
    for other in [
        "/console/tickets/T1-V2-G1/1",
        "/console/tickets/2",
        "/console/tickets/T1-V2-G1%231",
    ] {
        let (status, page) = c1.get(other).await;
        assert_eq!(status, 404, "{other}");
        assert!(
            !page.contains("西门桥头") && !page.contains("T1-V2-G1/1"),
            "{page}"
        );
    }
    for path in [
        "/console/tree?node=T1-V2",
        "/console?node=T1-V2-G1",
        "/console/ledger?node=T1-V2",
        "/console/ledger.csv?node=T1-V2",
        "/console/ledger.xlsx?node=T1-V2",
        "/console/letters/ticket/T1-V2-G1/1",
        "/console/letters/grid/T1-V2-G1",
        "/console/report?node=T1",
    ] {
        let (status, page) = c1.get(path).await;
        assert_eq!(status, 404, "{path}: {page}");
        assert!(!page.contains("西门"), "{path} leaked: {page}");
    }
    // The ledger and the export list the subtree only.
    let (_, ledger) = c1.get("/console/ledger").await;
    assert!(
        ledger.contains(r#"data-ticket="T1-V1-G1#1""#)
            && ledger.contains(r#"data-ticket="T1-V1-G1#2""#)
    );
    assert!(!ledger.contains(r#"data-ticket="T1-V2-G1#1""#), "{ledger}");
    let (status, csv) = c1.bytes("/console/ledger.csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with(&[0xEF, 0xBB, 0xBF]),
        "CSV starts with a BOM"
    );
    let csv = String::from_utf8(csv).expect("UTF-8");
    assert_eq!(csv.lines().count(), 3, "a header and two tickets: {csv}");
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.contains("编号") && h.contains("负责人"))
    );
    assert!(!csv.contains("西门桥头"));
    // An action on another subtree's ticket is refused before it runs.
    let csrf = c1.csrf().await;
    let (status, _) = c1
        .post(
            "/console/tickets/T1-V2-G1/1/action",
            &[("csrf", &csrf), ("action", "urge")],
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        !app.store
            .ticket_events(2)
            .await
            .expect("events")
            .iter()
            .any(|e| e.kind.id() == "urged")
    );

    // The overview's tiles use the words of the sentence above them, and a median time reads
    // as the chat writes it: a ticket claimed a few minutes after it came in is minutes, not
    // "0.0 小时"; with nothing resolved, a dash alone.
    app.clock.advance(std::time::Duration::from_secs(5 * 60));
    app.say("g1", "leader1", "张伟", "接单 1").await;
    let (_, overview) = c1.get("/console").await;
    let tile = |key: &str| -> String {
        let at = overview
            .find(&format!(r#"data-figure="{key}""#))
            .unwrap_or_else(|| panic!("tile {key}: {overview}"));
        overview[at..].chars().take(160).collect()
    };
    assert!(
        tile("response_p50").contains("5分钟"),
        "{}",
        tile("response_p50")
    );
    assert!(
        tile("resolution_p50").contains(">—<"),
        "{}",
        tile("resolution_p50")
    );
    // The times chart, too, is in minutes while the longest time is under two hours.
    assert!(
        overview.contains("(分钟)") && !overview.contains("(小时)"),
        "{overview}"
    );
    assert!(
        tile("on_time_claim").contains("及时签收率"),
        "{}",
        tile("on_time_claim")
    );
    assert!(
        tile("dismissed").contains("不予受理"),
        "{}",
        tile("dismissed")
    );

    // A leader sees their own grid only; an admin everything.
    let l1 = sign_in(&app, "L1").await;
    assert_eq!(l1.get("/console/tickets/T1-V1-G1/1").await.0, 200);
    assert_eq!(l1.get("/console/tree?node=T1-V1").await.0, 404);
    let a1 = sign_in(&app, "A1").await;
    let (status, page) = a1.get("/console/tickets/T1-V2-G1/1").await;
    assert_eq!(status, 200);
    assert!(page.contains("西门桥头"));
    let (_, tree) = a1.get("/console/tree?node=T1").await;
    assert!(tree.contains("东门村") && tree.contains("西门村"), "{tree}");
    app.stop().await;
}

both_backends!(console_scope_is_enforced_on_every_page, scope);

/// A supervision letter says what is true when it is printed: a ticket within its time is told
/// its deadline, a late one that it missed it; the letter's own deadline is never later than
/// the ticket's; the issuer is the reader's unit, not "全部".
async fn letters_tell_the_truth(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    three_tickets(&app).await;
    let c1 = sign_in(&app, "C1").await;
    let (status, early) = c1.get("/console/letters/ticket/T1-V1-G1/1").await;
    assert_eq!(status, 200, "{early}");
    assert!(
        early.contains("规定办理时限为") && !early.contains("已超过"),
        "{early}"
    );
    assert!(early.contains("签发单位：东门村"), "{early}");
    assert!(!early.contains("签发单位：全部"), "{early}");
    let (status, report) = c1.get("/console/report").await;
    assert_eq!(status, 200, "{report}");
    assert!(report.contains("签发单位 · 东门村"), "{report}");

    // Three hours on, the two-hour claim deadline has passed.
    app.clock.advance(std::time::Duration::from_secs(3 * 3600));
    let c1 = sign_in(&app, "C1").await;
    let (_, late) = c1.get("/console/letters/ticket/T1-V1-G1/1").await;
    assert!(late.contains("已超过规定办理时限"), "{late}");
    let (_, page) = c1.get("/console/tickets/T1-V1-G1/1").await;
    assert!(
        page.contains(r#"<dd data-field="overdue" class="overdue">接单超时</dd>"#),
        "{page}"
    );
    // The ledger and its export name the missed deadline too.
    let (_, ledger) = c1.get("/console/ledger").await;
    let row = ledger
        .split(r#"<tr data-ticket="T1-V1-G1#1" class="overdue">"#)
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("an overdue row: {ledger}"));
    assert!(row.contains("<td>接单超时</td>"), "{row}");
    let (_, bytes) = c1.bytes("/console/ledger.csv").await;
    let csv = String::from_utf8(bytes).expect("utf-8");
    let line = csv
        .lines()
        .find(|l| l.starts_with("T1-V1-G1#1,"))
        .expect("the ticket's row");
    assert!(line.ends_with(",接单超时"), "{line}");
    app.stop().await;
}
both_backends!(letters_tell_the_truth, letters_tell_the_truth);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_work_once_and_not_after_they_expire() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(&app, &roster()).await;
    // Signed out: the page says how to sign in.
    let (status, page) = {
        let resp = client()
            .get(format!("http://{}/console", app.addr))
            .send()
            .await
            .expect("answer");
        (resp.status(), resp.text().await.unwrap_or_default())
    };
    assert_eq!(status, 401);
    assert!(page.contains("控制台"), "{page}");

    let link = link_for(&app, "C1").await;
    let token = token_of(&link);
    let (status, cookie) = open_link(&app, &token).await;
    assert_eq!(status, 200);
    let cookie = cookie.expect("cookie");
    assert!(cookie.starts_with("gridline_console="));
    // Replayed: refused, no cookie.
    let (status, again) = open_link(&app, &token).await;
    assert_eq!(status, 403);
    assert!(again.is_none());
    // Forged: refused.
    let forged = format!("{}0", &token[..token.len() - 1]);
    assert_eq!(open_link(&app, &forged).await.0, 403);
    // Expired: made eleven minutes ago.
    let old = gridline::console::auth::issue_link(
        &app.store,
        &app.settings,
        "C1",
        app.clock.now() - 11 * 60_000,
    )
    .await
    .expect("link");
    assert_eq!(open_link(&app, &token_of(&old)).await.0, 403);
    // Residents and strangers get no link at all.
    assert!(
        gridline::console::auth::issue_link(&app.store, &app.settings, "R1", app.clock.now())
            .await
            .is_err()
    );
    assert!(
        gridline::console::auth::issue_link(&app.store, &app.settings, "nobody", 0)
            .await
            .is_err()
    );

    // The cookie is a session; logging out ends it.
    let c1 = sign_in(&app, "C1").await;
    assert_eq!(c1.get("/console").await.0, 200);
    let csrf = c1.csrf().await;
    assert_eq!(
        c1.post("/console/logout", &[("csrf", "wrong")]).await.0,
        403
    );
    assert_eq!(c1.get("/console").await.0, 200, "still signed in");
    assert_eq!(c1.post("/console/logout", &[("csrf", &csrf)]).await.0, 200);
    assert_eq!(c1.get("/console").await.0, 401);
    // An idle session ends by itself.
    let c1 = sign_in(&app, "C1").await;
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(c1.get("/console").await.0, 401);
    let audit = app.store.console_audit_of("C1", 10).await.expect("audit");
    assert!(audit.iter().any(|a| a.action == "login"));
    assert!(audit.iter().any(|a| a.action == "logout"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_csrf_token_and_run_the_chat_commands() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    three_tickets(&app).await;
    let c1 = sign_in(&app, "C1").await;
    let before = app.bot_messages().len();
    // No token, a wrong token: refused, nothing recorded or sent.
    assert_eq!(
        c1.post("/console/tickets/T1-V1-G1/1/action", &[("action", "urge")])
            .await
            .0,
        403
    );
    assert_eq!(
        c1.post(
            "/console/tickets/T1-V1-G1/1/action",
            &[("csrf", "0000"), ("action", "urge")]
        )
        .await
        .0,
        403
    );
    assert!(
        !app.store
            .ticket_events(1)
            .await
            .expect("events")
            .iter()
            .any(|e| e.kind.id() == "urged")
    );
    assert_eq!(app.bot_messages().len(), before);
    // With it: 督办 recorded in the history as C1, the reminder in the ticket's group.
    let csrf = c1.csrf().await;
    let (status, location) = c1
        .post(
            "/console/tickets/T1-V1-G1/1/action",
            &[("csrf", &csrf), ("action", "urge")],
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("/console/tickets/T1-V1-G1/1?msg="),
        "{location}"
    );
    app.settle().await;
    let events = app.store.ticket_events(1).await.expect("events");
    let urged = events
        .iter()
        .find(|e| e.kind.id() == "urged")
        .expect("urged");
    assert_eq!(
        (urged.actor.as_str(), urged.actor_name.as_str()),
        ("C1", "陈静")
    );
    let reminder = app.last();
    assert_eq!(reminder.chat, "g1");
    assert!(
        reminder.text.contains("督办") || reminder.text.contains("#1"),
        "{}",
        reminder.text
    );
    // With the coordinator's words: the reminder quotes them.
    let csrf = c1.csrf().await;
    let (status, _) = c1
        .post(
            "/console/tickets/T1-V1-G1/1/action",
            &[
                ("csrf", &csrf),
                ("action", "urge"),
                ("text", "请今天内处理完"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    app.settle().await;
    let reminder = app.last();
    assert!(
        reminder.text.contains("【督办】") && reminder.text.contains("请今天内处理完"),
        "{}",
        reminder.text
    );
    // A note goes to the group too; a leader may not urge (the chat command's rule).
    let (status, _) = c1
        .post(
            "/console/tickets/T1-V1-G1/1/action",
            &[("csrf", &csrf), ("action", "note"), ("text", "已联系电工")],
        )
        .await;
    assert_eq!(status, 303);
    app.settle().await;
    assert!(app.last().text.contains("已联系电工"));
    let l1 = sign_in(&app, "L1").await;
    let l1_csrf = l1.csrf().await;
    let (_, location) = l1
        .post(
            "/console/tickets/T1-V1-G1/2/action",
            &[("csrf", &l1_csrf), ("action", "urge")],
        )
        .await;
    assert!(location.contains("msg="));
    assert!(
        !app.store
            .ticket_events(3)
            .await
            .expect("events")
            .iter()
            .any(|e| e.kind.id() == "urged")
    );
    let audit = app.store.console_audit_of("C1", 10).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "urge" && a.ticket_id == Some(1))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_filters_pages_and_exports_xlsx() {
    use calamine::{Reader, Xlsx};
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    three_tickets(&app).await;
    // 55 more lighting tickets, written straight to the store (the parser would join reports
    // of the same problem and place into one ticket).
    let mut tx = app.store.begin().await.expect("begin");
    let now = app.clock.now();
    for n in 0..55i64 {
        tx.insert_ticket(&gridline::store::tickets::NewTicket {
            grid: "T1-V1-G1".into(),
            platform: "memory".into(),
            account: "bot".into(),
            chat_id: "g1".into(),
            thread: None,
            source_message_id: format!("bulk{n}"),
            inbox_id: 1_000_000 + n,
            reporter_id: "res1".into(),
            reporter_name: "王芳".into(),
            category: gridline::domain::Category::Lighting,
            urgency: gridline::domain::Urgency::Normal,
            location: Some(format!("{n}栋")),
            body: format!("{n}栋楼道灯坏了"),
            assignee: Some("L1".into()),
            created_at: now + n,
            claim_due: now + 7_200_000,
            resolve_due: now + 259_200_000,
            duplicate_of: None,
        })
        .await
        .expect("ticket");
    }
    tx.commit().await.expect("commit");
    let c1 = sign_in(&app, "C1").await;
    // Filtered by category and words.
    let (_, page) = c1.get("/console/ledger?category=sanitation").await;
    assert!(page.contains(r#"data-ticket="T1-V1-G1#2""#));
    assert!(!page.contains(r#"data-ticket="T1-V1-G1#1""#));
    let (_, page) = c1.get("/console/ledger?q=%E5%9E%83%E5%9C%BE").await;
    assert!(
        page.contains(r#"data-ticket="T1-V1-G1#2""#)
            && !page.contains(r#"data-ticket="T1-V1-G1#3""#)
    );
    // Paged by keyset: 57 tickets in scope, 50 on the first page, the rest on the next.
    let (_, first) = c1.get("/console/ledger").await;
    assert_eq!(first.matches("<tr data-ticket=").count(), 50);
    let at = first.find(r#"id="next-page""#).expect("a next page");
    let href_at = first[..at].rfind("href=\"").expect("href") + 6;
    let next = first[href_at..]
        .split('"')
        .next()
        .expect("link")
        .replace("&amp;", "&");
    let (_, second) = c1.get(&next).await;
    assert_eq!(second.matches("<tr data-ticket=").count(), 7, "{next}");
    assert!(
        second.contains(r#"data-ticket="T1-V1-G1#1""#),
        "oldest last"
    );
    // Bad filter values are refused, not ignored.
    assert_eq!(c1.get("/console/ledger?category=lights").await.0, 400);

    // The XLSX: a summary sheet and a sheet per category, Chinese headers, every row.
    let (status, bytes) = c1.bytes("/console/ledger.xlsx").await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let names = book.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("汇总"), "{names:?}");
    assert!(names.iter().any(|n| n == "路灯照明") && names.iter().any(|n| n == "环境卫生"));
    let lights = book.worksheet_range("路灯照明").expect("sheet");
    let rows: Vec<_> = lights.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..4], ["编号", "上报时间", "网格", "类别"]);
    assert_eq!(rows.len(), 1 + 56, "header and 56 lighting tickets");
    assert!(rows.iter().skip(1).all(|r| r[3] == "路灯照明"));
    let summary = book.worksheet_range("汇总").expect("summary");
    let total = summary
        .rows()
        .find(|r| r[0] == "汇总")
        .map(|r| r[1].to_string());
    assert_eq!(total.as_deref(), Some("57"));
    app.stop().await;
}

/// Every way the console finds a ledger page on SQLite (each forced index walk) lists the
/// same tickets in the same order, page after page, as the rows themselves say they should:
/// for the whole tree, a town, a village's grid and a coordinator's subtree, every state
/// filter, overdue or not, newest or oldest first. (PostgreSQL plans by itself: the same
/// pages from its own choice.)
async fn ledger_plans(db: Db) {
    use gridline::domain::{Category, Ratings, TicketState, Urgency};
    use gridline::store::console::{LedgerPlan, LedgerQuery, Scope};
    use gridline::store::tickets::Ticket;
    let app = spawn_app(db, |_| {}).await;
    seed(&app, &roster()).await;
    let now = app.clock.now();
    let grids = [
        ("T1-V1-G1", "/T1/T1-V1/T1-V1-G1/"),
        ("T1-V1-G2", "/T1/T1-V1/T1-V1-G2/"),
        ("T1-V2-G1", "/T1/T1-V2/T1-V2-G1/"),
    ];
    let states = [
        TicketState::Open,
        TicketState::Claimed,
        TicketState::Resolved,
        TicketState::Closed,
        TicketState::Dismissed,
    ];
    let mut rows = Vec::new();
    for i in 0..240i64 {
        let (grid, _) = grids[(i % 3) as usize];
        // Every 7th shares its minute with the one before (the order falls back on the id).
        let created = now - (240 - i + i64::from(i % 7 == 0)) * 3_600_000;
        let state = states[(i * 7 % 5) as usize];
        rows.push((
            Ticket {
                id: 0,
                grid: grid.into(),
                no: i + 1,
                platform: "memory".into(),
                account: "bot".into(),
                chat_id: "g1".into(),
                thread: None,
                source_message_id: format!("plan{i}"),
                reporter_id: "res1".into(),
                reporter_name: "王芳".into(),
                category: Category::Lighting,
                urgency: Urgency::Normal,
                location: None,
                body: format!("{i}号路灯坏了"),
                assignee: None,
                state,
                created_at: created,
                first_response_at: None,
                claimed_at: None,
                resolved_at: None,
                closed_at: None,
                claim_due: created + 2 * 3_600_000,
                // Some of the claimed ones are not late yet.
                resolve_due: created + (i % 4 + 1) * 48 * 3_600_000,
                rating: None,
                ratings: Ratings::default(),
                duplicate_of: None,
                updated_at: created,
                escalated: None,
                reopened: 0,
                extensions: 0,
            },
            5_000_000 + i,
        ));
    }
    app.store.bulk_tickets(&rows).await.expect("tickets");
    let path_of = |grid: &str| {
        grids
            .iter()
            .find(|(g, _)| *g == grid)
            .map(|(_, p)| p.to_string())
            .unwrap_or_default()
    };
    let scopes = [
        (Scope::All, None),
        (Scope::All, Some("/")),
        (Scope::All, Some("/T1/")),
        (Scope::All, Some("/T1/T1-V1/T1-V1-G1/")),
        (Scope::Under(vec!["/T1/T1-V1/".into()]), None),
    ];
    let filters = [
        (false, None),
        (true, None),
        (false, Some(TicketState::Open)),
        (false, Some(TicketState::Claimed)),
        (false, Some(TicketState::Closed)),
    ];
    for (scope, node) in &scopes {
        for (overdue, state) in filters {
            for oldest_first in [false, true] {
                // What the rows say: in scope and matching, in the page order.
                let mut want: Vec<&Ticket> = rows
                    .iter()
                    .map(|(t, _)| t)
                    .filter(|t| {
                        let path = path_of(&t.grid);
                        scope.covers(&path) && node.is_none_or(|n| path.starts_with(n))
                    })
                    .filter(|t| state.is_none_or(|s| t.state == s))
                    .filter(|t| {
                        !overdue
                            || (t.state == TicketState::Open && t.claim_due < now)
                            || (t.state.is_active() && t.resolve_due < now)
                    })
                    .collect();
                want.sort_by_key(|t| t.created_at);
                if !oldest_first {
                    want.reverse();
                }
                let want: Vec<(String, i64)> =
                    want.iter().map(|t| (t.grid.clone(), t.no)).collect();
                assert!(!want.is_empty() || *node == Some("/T1/T1-V1/T1-V1-G1/"));
                for plan in [
                    LedgerPlan::Auto,
                    LedgerPlan::ByTime,
                    LedgerPlan::ByGrid,
                    LedgerPlan::Active,
                    LedgerPlan::ActiveByGrid,
                ] {
                    let mut q = LedgerQuery {
                        node_path: node.map(str::to_string),
                        overdue,
                        state,
                        oldest_first,
                        limit: 7,
                        now,
                        plan,
                        ..Default::default()
                    };
                    let mut got = Vec::new();
                    loop {
                        let page = app
                            .store
                            .console_ledger(scope, &q)
                            .await
                            .unwrap_or_else(|e| {
                                panic!("{plan:?} {node:?} {state:?} overdue={overdue}: {e}")
                            });
                        got.extend(page.iter().map(|t| (t.grid.clone(), t.no)));
                        match page.last() {
                            Some(last) if page.len() == 7 => {
                                q.after = Some((last.created_at, last.id));
                            }
                            _ => break,
                        }
                    }
                    assert_eq!(
                        got, want,
                        "{plan:?} {scope:?} {node:?} {state:?} overdue={overdue} oldest={oldest_first}"
                    );
                }
            }
        }
    }
    app.stop().await;
}

both_backends!(every_ledger_plan_lists_the_same_tickets, ledger_plans);

/// 延期 in the console: a ticket's page lists its requests for more time (approved with the
/// deadline it moved, pending) and how many were approved; the ledger's export has a column
/// of approved extensions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_show_on_the_ticket_page_and_in_the_export() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(
        &app,
        &format!("{}group,,东门村协调群,T1-V1,,memory,v1,\n", roster()),
    )
    .await;
    app.say("g1", "res1", "王芳", "/report 3栋水管漏水").await;
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "延期 1 3天 等配件").await;
    app.say("v1", "coord1", "陈静", "同意延期 T1-V1-G1#1").await;
    app.say("g1", "leader1", "张伟", "延期 1 2天 师傅请假")
        .await;
    app.settle().await;
    let ticket = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(ticket.extensions, 1, "one approved");

    let c1 = sign_in(&app, "C1").await;
    let (status, page) = c1.get("/console/tickets/T1-V1-G1/1").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<table id="extension_requests">"#),
        "{page}"
    );
    let approved = page
        .split(r#"<tr data-extension="approved">"#)
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the approved request");
    assert!(
        approved.contains("张伟")
            && approved.contains("等配件")
            && approved.contains("陈静")
            && approved.contains(" → "),
        "{approved}"
    );
    let pending = page
        .split(r#"<tr data-extension="pending">"#)
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the pending request");
    assert!(
        pending.contains("师傅请假") && pending.contains("待审批"),
        "{pending}"
    );
    assert!(
        page.contains(r#"<dd data-field="extensions">1</dd>"#),
        "{page}"
    );
    // The history in words, not the ids it is stored with; deliveries in words too.
    let row = |kind: &str| {
        page.split(&format!(r#"<tr data-kind="{kind}">"#))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("opened").contains("供水排水 · 一般"),
        "{}",
        row("opened")
    );
    assert!(
        row("extension_asked").contains("申请延期3天：等配件"),
        "{}",
        row("extension_asked")
    );
    assert!(
        row("extension_approved").contains("延期3天，办结时限 ")
            && row("extension_approved").contains(" → "),
        "{}",
        row("extension_approved")
    );
    assert!(
        page.contains("已送达") && !page.contains("<td>sent</td>"),
        "{page}"
    );
    assert!(
        page.contains(r#"<dd data-field="overdue">无</dd>"#),
        "{page}"
    );

    let (status, bytes) = c1.bytes("/console/ledger.csv").await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(bytes).expect("utf-8");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "延期次数")
        .expect("an extensions column");
    let row = lines
        .find(|l| l.starts_with("T1-V1-G1#1,"))
        .expect("the ticket's row");
    assert_eq!(row.split(',').nth(at), Some("1"), "{row}");
    app.stop().await;
}

/// What a coordinator changes in the console, the card in the group shows: the new category,
/// the urgency, a transfer's new assignee and a dismissal, each redrawn in place (the same
/// commands as in chat, so the same redraw).
async fn console_actions_redraw_the_card(db: Db) {
    use gridline::platform::memory::MemoryAdapter;
    use gridline::platform::{Adapter as _, Capabilities};
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = crate::support::spawn_app_with(db, memory).await;
    seed(&app, &roster()).await;
    let source = app
        .say("g1", "res1", "王芳", "报修：3栋2单元路灯坏了，晚上很黑")
        .await;
    let card = app.card_for(&source);
    let card_now = || app.card_redrawn(&card);
    assert_eq!(card_now(), None, "not redrawn before any change");
    let c1 = sign_in(&app, "C1").await;
    let csrf = c1.csrf().await;
    let act = |action: &'static str, text: &'static str| {
        let (c1, csrf) = (&c1, csrf.clone());
        async move {
            let (status, location) = c1
                .post(
                    "/console/tickets/T1-V1-G1/1/action",
                    &[("csrf", &csrf), ("action", action), ("text", text)],
                )
                .await;
            assert_eq!(status, 303, "{action}: {location}");
        }
    };

    act("category", "sanitation").await;
    app.settle().await;
    let text = card_now().expect("redrawn after the category changed");
    assert!(text.contains("类别：环境卫生"), "{text}");
    assert!(!text.contains("路灯照明"), "{text}");

    act("urgency", "urgent").await;
    app.settle().await;
    let text = card_now().expect("redrawn");
    assert!(text.starts_with("【紧急】"), "{text}");
    assert!(
        text.contains("类别：环境卫生"),
        "the category stays: {text}"
    );

    act("dismiss", "重复上报").await;
    app.settle().await;
    let text = card_now().expect("redrawn");
    assert!(text.contains("已驳回"), "{text}");
    let ticket = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(ticket.state, gridline::domain::TicketState::Dismissed);
    app.stop().await;
}
both_backends!(
    a_console_action_redraws_the_card_in_the_group,
    console_actions_redraw_the_card
);
