//! A fake WeCom group-robot webhook (`POST /cgi-bin/webhook/send?key=…`): records every post and
//! answers errcode 45009 ("api freq out of limit") when a robot posts more than its rate.

#![allow(dead_code)]

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Post {
    pub key: String,
    pub body: Value,
    pub at: Instant,
    /// The errcode it was answered with.
    pub errcode: i64,
}

struct Inner {
    max: usize,
    per: Duration,
    posts: Mutex<Vec<Post>>,
}

pub struct FakeWeCom {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl FakeWeCom {
    /// A webhook server allowing `max` posts per `per` for each key.
    pub async fn start(max: usize, per: Duration) -> FakeWeCom {
        let inner = Arc::new(Inner {
            max,
            per,
            posts: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/cgi-bin/webhook/send", axum::routing::post(send))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeWeCom { addr, inner }
    }

    pub fn url(&self, key: &str) -> String {
        format!("http://{}/cgi-bin/webhook/send?key={key}", self.addr)
    }

    pub fn posts(&self) -> Vec<Post> {
        self.inner.posts.lock().expect("posts lock").clone()
    }

    /// Markdown contents accepted (errcode 0) for `key`.
    pub fn accepted(&self, key: &str) -> Vec<String> {
        self.posts()
            .into_iter()
            .filter(|p| p.key == key && p.errcode == 0)
            .filter_map(|p| p.body["markdown"]["content"].as_str().map(str::to_string))
            .collect()
    }
}

async fn send(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let key = query.get("key").cloned().unwrap_or_default();
    let now = Instant::now();
    let mut posts = inner.posts.lock().expect("posts lock");
    let recent = posts
        .iter()
        .filter(|p| p.key == key && p.errcode == 0 && now.duration_since(p.at) < inner.per)
        .count();
    let well_formed = body["msgtype"] == "markdown" && body["markdown"]["content"].is_string();
    let (errcode, errmsg) = if key.is_empty() {
        (93000, "invalid webhook url")
    } else if !well_formed {
        (40008, "invalid message type")
    } else if recent >= inner.max {
        (45009, "api freq out of limit")
    } else {
        (0, "ok")
    };
    posts.push(Post {
        key,
        body,
        at: now,
        errcode,
    });
    Json(json!({"errcode": errcode, "errmsg": errmsg}))
}
