//! The console in a real browser: a coordinator asks the bot for the console in a private
//! chat, opens the one-time link in headless Chromium, sees the overview with its charts,
//! filters the ledger, opens a ticket and sends 督办 (the reminder reaches the group), and
//! prints the monthly report and a supervision letter to PDF.
//!
//! Needs Debian's `chromium` package; without it the test says so and passes.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use crate::console::token_of;
use crate::sandbox_browser::{Browser, CHROMIUM, Page, devtools_port};
use crate::support::{Db, ROSTER, seed, spawn_app};

/// PDF text strings as Chromium writes them: `(ascii)` or `<FEFF…>` (UTF-16BE).
fn pdf_title(pdf: &[u8]) -> String {
    let text = String::from_utf8_lossy(pdf);
    let Some(at) = text.find("/Title <FEFF") else {
        return text
            .split("/Title (")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_default()
            .to_string();
    };
    let hex: String = text[at + 12..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let units: Vec<u16> = hex
        .as_bytes()
        .chunks(4)
        .filter_map(|c| u16::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect();
    String::from_utf16_lossy(&units)
}

async fn print_pdf(page: &mut Page) -> Vec<u8> {
    let result = page
        .call(
            "Page.printToPDF",
            json!({"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": false}),
        )
        .await;
    base64::engine::general_purpose::STANDARD
        .decode(result["data"].as_str().expect("PDF data"))
        .expect("base64")
}

async fn go(page: &mut Page, url: &str) {
    page.eval(&format!(
        "(() => {{ location.href = {url:?}; return true; }})()"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_works_a_ticket_in_the_console() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is absent (apt-get install chromium)");
        return;
    }
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "报修：3栋2单元路灯坏了，晚上很黑")
        .await;
    app.say("g1", "res1", "王芳", "投诉：5栋楼下垃圾三天没人清运")
        .await;
    // Three hours on, ticket #1 is past its two-hour claim deadline.
    app.clock.advance(Duration::from_secs(3 * 3600));

    // The coordinator asks in a private chat; asked in the group, the bot keeps the link back.
    app.say("g1", "coord1", "陈静", "控制台").await;
    assert!(!app.last().text.contains("token="), "never in a group");
    app.say("pc1", "coord1", "陈静", "控制台").await;
    let answer = app.last();
    assert_eq!(answer.chat, "pc1");
    let link = format!(
        "http://{}/console/login?token={}",
        app.addr,
        token_of(answer.text.trim())
    );

    let (browser, port_file) = Browser::launch(&link);
    let port = devtools_port(&port_file).await;
    let mut page = Page::attach(port).await;
    let base = format!("http://{}", app.addr);

    // Signed in and moved on to the overview: the token is gone from the address bar.
    let sentence = page
        .wait_for(
            "the overview",
            "(() => { const s = document.getElementById('sentence'); return s && s.textContent; })()",
        )
        .await;
    assert!(
        sentence
            .as_str()
            .is_some_and(|s| s.contains("收到群众诉求2件") && s.contains("东门村")),
        "{sentence}"
    );
    let url = page.eval("location.href").await;
    assert_eq!(url, format!("{base}/console"));
    // Five charts, each titled and described for screen readers.
    let charts = page
        .eval(
            "[...document.querySelectorAll('svg[role=img]')].map(s => \
             [s.querySelector('title').textContent, s.querySelector('desc').textContent])",
        )
        .await;
    let charts = charts.as_array().expect("charts").clone();
    assert_eq!(charts.len(), 5, "{charts:?}");
    assert!(charts.iter().any(|c| c[0] == "每日收到与办结"));
    assert!(
        charts
            .iter()
            .all(|c| !c[1].as_str().unwrap_or("").is_empty())
    );

    // The ledger, filtered to sanitation by its form.
    go(&mut page, &format!("{base}/console/ledger")).await;
    page.wait_for(
        "the ledger",
        "document.querySelectorAll('#ledger tr[data-ticket]').length === 2",
    )
    .await;
    page.eval(
        "(() => { const f = document.getElementById('ledger-filters'); \
         f.querySelector('select[name=category]').value = 'sanitation'; f.submit(); return true; })()",
    )
    .await;
    let rows = page
        .wait_for(
            "the filtered ledger",
            "(() => { if (!location.search.includes('category=sanitation') \
             || document.readyState !== 'complete') return null; \
             const rows = [...document.querySelectorAll('#ledger tr[data-ticket]')]; \
             return rows.length > 0 && rows.map(r => r.dataset.ticket); })()",
        )
        .await;
    assert_eq!(rows, json!(["T1-V1-G1#2"]));

    // Ticket #1: its history, then 督办.
    go(&mut page, &format!("{base}/console/tickets/T1-V1-G1/1")).await;
    page.wait_for(
        "the ticket page",
        "(() => { const h = document.getElementById('ticket-title'); return h && h.textContent.includes('#1') \
         && document.querySelector('#history tr[data-kind=opened]') !== null; })()",
    )
    .await;
    page.eval("(() => { document.querySelector('form[data-action=urge] button').click(); return true; })()")
        .await;
    let flash = page
        .wait_for(
            "the action's answer",
            "(() => { const f = document.getElementById('flash'); return f && f.textContent; })()",
        )
        .await;
    assert!(flash.as_str().is_some_and(|f| f.contains("#1")), "{flash}");
    page.wait_for(
        "督办 in the history",
        "document.querySelector('#history tr[data-kind=urged]') !== null",
    )
    .await;
    app.settle().await;
    let reminder = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| m.chat == "g1" && m.text.contains("督办"))
        .expect("the reminder in the group");
    assert!(
        reminder.text.contains("#1") && reminder.text.contains("张伟"),
        "{}",
        reminder.text
    );

    // The monthly report and the letter, printed to PDF: non-empty, with the ticket's number.
    go(&mut page, &format!("{base}/console/report")).await;
    page.wait_for(
        "the report",
        "document.querySelector('#overdue a[href=\"/console/tickets/T1-V1-G1/1\"]') !== null",
    )
    .await;
    let report = print_pdf(&mut page).await;
    assert!(report.starts_with(b"%PDF") && report.len() > 1_000);
    let text = String::from_utf8_lossy(&report);
    assert!(
        text.contains("/console/tickets/T1-V1-G1/1)"),
        "the report links #1"
    );
    go(
        &mut page,
        &format!("{base}/console/letters/ticket/T1-V1-G1/1"),
    )
    .await;
    page.wait_for("the letter", "document.title.includes('#1')")
        .await;
    let letter = print_pdf(&mut page).await;
    assert!(letter.starts_with(b"%PDF") && letter.len() > 1_000);
    assert!(
        pdf_title(&letter).contains("督办函 T1-V1-G1#1"),
        "{}",
        pdf_title(&letter)
    );
    assert!(String::from_utf8_lossy(&letter).contains("/console/tickets/T1-V1-G1/1)"));

    page.close_browser().await;
    drop(page);
    drop(browser);
    app.stop().await;
}
