//! The sandbox page in a real browser: headless Chromium loads it from the running application,
//! a resident types a report and presses 发送, the bot's card appears, the leader presses 接单
//! on it and the side panel shows the ticket claimed. Chromium is driven over its DevTools
//! protocol (a WebSocket), the way any automation tool drives it.
//!
//! The page is opened with a sandbox token, so it must pass the token on to every API call and
//! to its event stream. Needs Debian's `chromium` package (/usr/bin/chromium); without it the
//! test says so and passes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Db, spawn_app};
use gridline::config::Secret;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser process; killed when the test ends, however it ends.
pub(crate) struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Give a browser asked to close (Browser.close) a moment to stop its helpers itself.
        for _ in 0..40 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub(crate) fn launch(url: &str) -> (Browser, PathBuf) {
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let port_file = profile.path().join("DevToolsActivePort");
        (
            Browser {
                child,
                _profile: profile,
            },
            port_file,
        )
    }
}

/// Chromium writes the port it picked to DevToolsActivePort in its profile.
pub(crate) async fn devtools_port(port_file: &Path) -> u16 {
    for _ in 0..300 {
        if let Ok(text) = std::fs::read_to_string(port_file)
            && let Some(port) = text.lines().next().and_then(|l| l.trim().parse().ok())
        {
            return port;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromium did not open its DevTools port");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One page's DevTools session.
pub(crate) struct Page {
    socket: Socket,
    next_id: u64,
}

impl Page {
    pub(crate) async fn attach(port: u16) -> Page {
        let http = reqwest::Client::new();
        let mut ws_url = None;
        for _ in 0..100 {
            let targets: Value = match http
                .get(format!("http://127.0.0.1:{port}/json/list"))
                .send()
                .await
            {
                Ok(resp) => resp.json().await.unwrap_or(Value::Null),
                Err(_) => Value::Null,
            };
            ws_url = targets.as_array().and_then(|ts| {
                ts.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                    .map(str::to_string)
            });
            if ws_url.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ws_url = ws_url.expect("a page target");
        let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .expect("DevTools WebSocket");
        Page { socket, next_id: 1 }
    }

    /// Calls a DevTools method on the page and returns its result.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let call = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .expect("send to DevTools");
        while let Some(frame) = self.socket.next().await {
            let Ok(Message::Text(text)) = frame else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
        panic!("DevTools closed");
    }

    /// Evaluates `expression` in the page: its value, or the exception it threw.
    pub(crate) async fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let call = json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": {"expression": expression, "returnByValue": true, "awaitPromise": true},
        });
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .expect("send to DevTools");
        while let Some(frame) = self.socket.next().await {
            let Ok(Message::Text(text)) = frame else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if reply["id"] == id {
                if let Some(e) = reply["result"].get("exceptionDetails") {
                    return Err(e["exception"]["description"].to_string());
                }
                return Ok(reply["result"]["result"]["value"].clone());
            }
        }
        panic!("DevTools closed");
    }

    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression)
            .await
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// Asks the browser to quit.
    pub(crate) async fn close_browser(&mut self) {
        let call = json!({"id": self.next_id, "method": "Browser.close"});
        let _ = self.socket.send(Message::text(call.to_string())).await;
    }

    /// Polls `expression` until it yields something other than null or false. Exceptions
    /// count as "not yet" (the page may still be loading) and are reported at the deadline.
    pub(crate) async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let last = match self.try_eval(expression).await {
                Ok(v) if !(v.is_null() || v == json!(false)) => return v,
                Ok(v) => v.to_string(),
                Err(e) => e,
            };
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; last: {last}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_reports_in_the_page_and_sees_the_bot_card() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("skipped: {CHROMIUM} is absent (apt-get install chromium)");
        return;
    }
    // With a token, so that the page must pass it on to every API call and its event stream.
    let app = spawn_app(Db::Sqlite, |s| {
        s.sandbox.enabled = true;
        s.sandbox.demo_roster = true;
        s.sandbox.token = Secret::new("browser-test-token");
    })
    .await;
    let url = format!(
        "http://{}/?group=df-01&as=wangfang&token=browser-test-token",
        app.addr
    );
    let (browser, port_file) = Browser::launch(&url);
    let port = devtools_port(&port_file).await;
    let mut page = Page::attach(port).await;

    // The page loaded the roster, picked the group and the resident, and went live.
    let who = page
        .wait_for(
            "the persona picker",
            "document.getElementById('persona-select').value === 'wangfang' \
             && document.getElementById('conn').dataset.state === 'on' \
             && document.getElementById('whoami').textContent",
        )
        .await;
    assert!(
        who.as_str()
            .is_some_and(|w| w.contains("王芳") && w.contains("居民")),
        "{who}"
    );

    // Type a report and press 发送.
    page.eval(
        "(() => { document.getElementById('input').value = '3栋2单元楼道灯坏了，晚上看不见'; \
         document.getElementById('send').click(); return true; })()",
    )
    .await;

    // The resident's message shows as theirs, and the bot's card appears as a reply to it,
    // with its 接单 button.
    let mine = page
        .wait_for(
            "the resident's message",
            "(() => { const m = document.querySelector('.msg.mine[data-from=\"wangfang\"] .bubble'); \
             return m && m.textContent; })()",
        )
        .await;
    assert_eq!(mine, "3栋2单元楼道灯坏了，晚上看不见");
    let card = page
        .wait_for(
            "the bot's card",
            "(() => { const c = document.querySelector('.msg.bot'); if (!c) return null; \
             return { text: c.querySelector('.card-body').textContent, \
                      quote: (c.querySelector('.quote') || {}).textContent || '', \
                      buttons: [...c.querySelectorAll('.buttons button')].map(b => b.textContent) }; })()",
        )
        .await;
    assert!(
        card["text"]
            .as_str()
            .is_some_and(|t| t.contains("#1") && t.contains("李建国")),
        "{card}"
    );
    assert!(
        card["quote"]
            .as_str()
            .is_some_and(|q| q.contains("3栋2单元")),
        "the card replies to the report: {card}"
    );
    assert!(
        card["buttons"]
            .as_array()
            .is_some_and(|b| b.iter().any(|x| x == "接单")),
        "{card}"
    );
    let panel = page
        .wait_for(
            "the ticket in the side panel",
            "(() => { const t = document.querySelector('.ticket[data-ticket=\"1\"]'); return t && t.dataset.state; })()",
        )
        .await;
    assert_eq!(panel, "open");

    // Become the leader and press 接单 on the card: the panel shows the ticket claimed.
    page.eval(
        "(() => { const s = document.getElementById('persona-select'); s.value = 'lijianguo'; \
         s.dispatchEvent(new Event('change')); \
         document.querySelector('.msg.bot .buttons button').click(); return true; })()",
    )
    .await;
    let claimed = page
        .wait_for(
            "the ticket claimed",
            "(() => { const t = document.querySelector('.ticket[data-ticket=\"1\"]'); \
             return t && t.dataset.state === 'claimed' && t.textContent; })()",
        )
        .await;
    assert!(
        claimed.as_str().is_some_and(|t| t.contains("李建国")),
        "{claimed}"
    );
    // The card itself is edited in place: it shows the state now, and the 办结 button.
    let card = page
        .wait_for(
            "the card showing 处理中",
            "(() => { const c = document.querySelector('.msg.bot'); \
             const t = c && c.querySelector('.card-body').textContent; \
             return t && t.includes('状态：处理中') && \
               { text: t, buttons: [...c.querySelectorAll('.buttons button')].map(b => b.textContent) }; })()",
        )
        .await;
    assert_eq!(card["buttons"], serde_json::json!(["办结"]), "{card}");

    // The leader attaches a photo with 办结 typed as its caption (the page's 📷): it shows in
    // the chat, resolves the ticket and is its evidence, and the card says so.
    page.eval(
        "(() => { document.getElementById('input').value = '办结 1 换了灯泡'; \
         const c = document.createElement('canvas'); c.width = 64; c.height = 48; \
         const g = c.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48); \
         c.toBlob((blob) => { const f = new File([blob], 'light.png', { type: 'image/png' }); \
           const dt = new DataTransfer(); dt.items.add(f); \
           const input = document.getElementById('photo'); input.files = dt.files; \
           input.dispatchEvent(new Event('change')); }, 'image/png'); return true; })()",
    )
    .await;
    let shown = page
        .wait_for(
            "the photo in the leader's message",
            "(() => { const m = document.querySelector('.msg.mine[data-from=\"lijianguo\"] .bubble'); \
             const img = m && m.querySelector('img.photo'); \
             return img && img.complete && img.naturalWidth > 0 && m.textContent; })()",
        )
        .await;
    assert_eq!(shown, "办结 1 换了灯泡");
    let card = page
        .wait_for(
            "the card showing 已办结 with the evidence",
            "(() => { const t = document.querySelector('.msg.bot .card-body').textContent; \
             return t.includes('状态：已办结') && t; })()",
        )
        .await;
    assert!(
        card.as_str()
            .is_some_and(|t| t.contains("办结凭证：照片 1 张")),
        "{card}"
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.state, gridline::domain::TicketState::Resolved);

    page.close_browser().await;
    drop(page);
    drop(browser);
    app.stop().await;
}
