//! The ledger as files: CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese
//! right) and XLSX (a sheet per category and a summary sheet).
//!
//! Both read the ledger a page at a time by its keyset and never hold every row: the CSV is
//! streamed to the browser as pages are read; the XLSX writes each sheet in rust_xlsxwriter's
//! constant-memory mode (rows go to temporary files as they come), and only the finished,
//! compressed file is held before it is sent. An export stops at [`MAX_ROWS`].

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::figures::local_time;
use super::pages::{LedgerParams, Names, ledger_query, missed_deadlines};
use super::{ConsoleError, ConsoleState, Viewer};
use crate::domain::mask::mask_personal_numbers;
use crate::domain::{Category, Urgency};
use crate::store::console::LedgerQuery;
use crate::store::tickets::Ticket;

/// Rows read from the database at a time.
const CHUNK: i64 = 1_000;
/// The most rows one export holds.
pub const MAX_ROWS: usize = 200_000;

/// The columns, as label keys.
const COLUMNS: [&str; 17] = [
    "no",
    "created",
    "grid",
    "category",
    "urgency",
    "place",
    "content",
    "reporter",
    "assignee",
    "state",
    "claim_due",
    "resolve_due",
    "extensions",
    "first_response",
    "resolved_at",
    "rating",
    "overdue",
];

fn row(s: &ConsoleState, names: &Names, t: &Ticket, now: i64) -> [String; 17] {
    let tx = &s.texts;
    let tz = s.tz();
    let time = |at: Option<i64>| at.map(|a| local_time(a, tz)).unwrap_or_default();
    [
        t.number().to_string(),
        local_time(t.created_at, tz),
        names.grid(&t.grid),
        tx.category(t.category).to_string(),
        if t.urgency == Urgency::Urgent {
            tx.ui("urgent")
        } else {
            tx.ui("normal")
        }
        .to_string(),
        t.location.clone().unwrap_or_default(),
        mask_personal_numbers(&t.body),
        mask_personal_numbers(&t.reporter_name),
        names.person(t.assignee.as_deref()),
        tx.state(t.state).to_string(),
        local_time(t.claim_due, tz),
        local_time(t.resolve_due, tz),
        t.extensions.to_string(),
        time(t.first_response_at),
        time(t.resolved_at),
        t.rating
            .map(|r| tx.rating(r).to_string())
            .unwrap_or_default(),
        missed_deadlines(t, now, tx).unwrap_or_default(),
    ]
}

fn attachment(content_type: &'static str, name: &str, body: Body) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn prepare(
    s: &ConsoleState,
    headers: &HeaderMap,
    p: &LedgerParams,
    kind: &str,
) -> Result<(Viewer, LedgerQuery), ConsoleError> {
    let v = s.viewer(headers).await?;
    let mut p = p.clone();
    p.after = None;
    let (q, node) = ledger_query(s, &v, &p, CHUNK).await?;
    s.audit(&v, kind, None, &node.path).await?;
    Ok((v, q))
}

/// A page of the ledger and the names it needs; advances `q` past it.
async fn next_chunk(
    s: &ConsoleState,
    v: &Viewer,
    q: &mut LedgerQuery,
) -> Result<(Vec<Ticket>, Names), ConsoleError> {
    let tickets = s.store.console_ledger(&v.scope, q).await?;
    if let Some(last) = tickets.last() {
        q.after = Some((last.created_at, last.id));
    }
    let names = Names::of(s, &tickets).await?;
    Ok((tickets, names))
}

pub(super) async fn csv(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(p): Query<LedgerParams>,
) -> Response {
    let prepared = prepare(&s, &headers, &p, "export_csv").await;
    let (v, q) = match prepared {
        Ok(x) => x,
        Err(e) => return s.fail(e),
    };
    struct Cursor {
        s: ConsoleState,
        v: Viewer,
        q: LedgerQuery,
        written: usize,
        started: bool,
        done: bool,
    }
    let cursor = Cursor {
        s,
        v,
        q,
        written: 0,
        started: false,
        done: false,
    };
    let stream = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let mut out = Vec::new();
        if !c.started {
            c.started = true;
            out.extend_from_slice("\u{feff}".as_bytes());
            let header: Vec<&str> = COLUMNS.iter().map(|k| c.s.texts.ui(k)).collect();
            let mut w = ::csv::Writer::from_writer(&mut out);
            let _ = w.write_record(&header);
            let _ = w.flush();
        }
        match next_chunk(&c.s, &c.v, &mut c.q).await {
            Ok((tickets, names)) => {
                let now = c.s.now();
                {
                    let mut w = ::csv::Writer::from_writer(&mut out);
                    for t in &tickets {
                        let _ = w.write_record(row(&c.s, &names, t, now));
                    }
                    let _ = w.flush();
                }
                c.written += tickets.len();
                if (tickets.len() as i64) < CHUNK || c.written >= MAX_ROWS {
                    c.done = true;
                }
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(out)), c))
            }
            Err(e) => {
                tracing::warn!(error = %e, "CSV export stopped");
                c.done = true;
                Some((Err(std::io::Error::other(e.to_string())), c))
            }
        }
    });
    attachment(
        "text/csv; charset=utf-8",
        "ledger.csv",
        Body::from_stream(stream),
    )
}

pub(super) async fn xlsx(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(p): Query<LedgerParams>,
) -> Response {
    let r = async {
        let (v, q) = prepare(&s, &headers, &p, "export_xlsx").await?;
        let s2 = s.clone();
        let handle = tokio::runtime::Handle::current();
        // Writing the workbook is blocking work (temporary files, compression): off the
        // runtime's threads, reading pages through the runtime as it goes.
        let bytes = tokio::task::spawn_blocking(move || build_xlsx(&s2, &v, q, &handle))
            .await
            .map_err(|e| ConsoleError::Internal(e.to_string()))??;
        Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ledger.xlsx",
            Body::from(bytes),
        ))
    }
    .await;
    s.respond(r)
}

fn build_xlsx(
    s: &ConsoleState,
    v: &Viewer,
    mut q: LedgerQuery,
    rt: &tokio::runtime::Handle,
) -> Result<Vec<u8>, ConsoleError> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    let x = |e: XlsxError| ConsoleError::Internal(format!("xlsx: {e}"));
    let t = &s.texts;
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();
    // The summary sheet comes first; it is filled in at the end.
    book.add_worksheet_with_constant_memory()
        .map_err(x)?
        .set_name(t.ui("summary"))
        .map_err(x)?;
    // Category → (sheet index, next row).
    let mut sheets: BTreeMap<Category, (usize, u32)> = BTreeMap::new();
    let mut written = 0usize;
    let now = s.now();
    loop {
        let (tickets, names) = rt.block_on(next_chunk(s, v, &mut q))?;
        for tk in &tickets {
            let next_index = sheets.len() + 1;
            let slot = match sheets.get_mut(&tk.category) {
                Some(slot) => slot,
                None => {
                    let sheet = book.add_worksheet_with_constant_memory().map_err(x)?;
                    sheet.set_name(t.category(tk.category)).map_err(x)?;
                    for (c, key) in COLUMNS.iter().enumerate() {
                        sheet
                            .write_string_with_format(0, c as u16, t.ui(key), &bold)
                            .map_err(x)?;
                    }
                    sheet.set_freeze_panes(1, 0).map_err(x)?;
                    sheets.entry(tk.category).or_insert((next_index, 1))
                }
            };
            let sheet = book.worksheet_from_index(slot.0).map_err(x)?;
            for (c, value) in row(s, &names, tk, now).iter().enumerate() {
                sheet.write_string(slot.1, c as u16, value).map_err(x)?;
            }
            slot.1 += 1;
        }
        written += tickets.len();
        if (tickets.len() as i64) < CHUNK || written >= MAX_ROWS {
            break;
        }
    }
    let summary = book.worksheet_from_index(0).map_err(x)?;
    summary
        .write_string_with_format(0, 0, t.ui("category"), &bold)
        .map_err(x)?
        .write_string_with_format(0, 1, t.ui("count"), &bold)
        .map_err(x)?
        .write_string_with_format(0, 2, t.ui("share"), &bold)
        .map_err(x)?;
    let mut r = 1u32;
    for (cat, (_, next_row)) in &sheets {
        let n = f64::from(next_row - 1);
        summary
            .write_string(r, 0, t.category(*cat))
            .map_err(x)?
            .write_number(r, 1, n)
            .map_err(x)?
            .write_number(r, 2, if written > 0 { n / written as f64 } else { 0.0 })
            .map_err(x)?;
        r += 1;
    }
    summary
        .write_string_with_format(r, 0, t.ui("summary"), &bold)
        .map_err(x)?
        .write_number(r, 1, written as f64)
        .map_err(x)?;
    book.save_to_buffer().map_err(x)
}
