//! HTML building: plain strings with one escaping helper, the page frame and its stylesheet.
//! Everything a page needs is in the page itself (no scripts, fonts or outside addresses), so
//! the console works on an intranet with no internet and prints as it shows.

use std::fmt::Write as _;

use crate::i18n::Texts;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A query string from pairs, leaving out empty values.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_value(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The stylesheet: screen and A4 print.
pub const CSS: &str = r#"
:root { --ink:#1f2933; --mute:#616e7c; --line:#d9dee3; --accent:#1d5fa8; --warn:#c0392b; --ok:#2e7d32; --bg:#f5f7fa; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.5 "Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif; color:var(--ink); background:var(--bg); }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:8px 16px; display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
header.top .brand { font-weight:bold; color:var(--accent); }
header.top nav a { margin-right:12px; color:var(--ink); text-decoration:none; }
header.top nav a.here { color:var(--accent); font-weight:bold; border-bottom:2px solid var(--accent); }
header.top .who { margin-left:auto; color:var(--mute); }
header.top form { display:inline; }
main { padding:16px; max-width:1280px; margin:0 auto; }
h1 { font-size:20px; margin:8px 0 12px; }
h2 { font-size:16px; margin:20px 0 8px; }
.sentence { font-size:16px; background:#fff; border-left:4px solid var(--accent); padding:10px 14px; margin:8px 0 16px; }
.figures { display:grid; grid-template-columns:repeat(auto-fill,minmax(150px,1fr)); gap:8px; }
.figure { background:#fff; border:1px solid var(--line); border-radius:4px; padding:8px 10px; }
.figure .v { font-size:20px; font-weight:bold; }
.figure .k { color:var(--mute); font-size:12px; }
.charts { display:grid; grid-template-columns:repeat(auto-fill,minmax(420px,1fr)); gap:12px; margin-top:12px; }
figure.chart { background:#fff; border:1px solid var(--line); border-radius:4px; margin:0; padding:8px; }
figure.chart figcaption { font-weight:bold; margin-bottom:4px; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { border:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
th { background:#eef2f6; font-weight:bold; }
td.num, th.num { text-align:right; }
tr.overdue td, td.overdue, .overdue { color:var(--warn); font-weight:bold; }
form.filters { background:#fff; border:1px solid var(--line); padding:8px; display:flex; flex-wrap:wrap; gap:8px; align-items:end; margin-bottom:12px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--mute); }
form.action { background:#fff; border:1px solid var(--line); padding:8px; margin:6px 0; }
input, select, button { font:inherit; padding:3px 6px; }
button { background:var(--accent); color:#fff; border:0; border-radius:3px; padding:4px 12px; cursor:pointer; }
.flash { background:#e8f5e9; border:1px solid #a5d6a7; padding:8px 12px; margin-bottom:12px; white-space:pre-wrap; }
.error { background:#fdecea; border:1px solid #f5b7b1; padding:8px 12px; }
.pager { margin:10px 0; display:flex; gap:16px; }
.muted { color:var(--mute); }
.crumbs a { margin-right:4px; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 12px; background:#fff; border:1px solid var(--line); padding:10px; }
dl.facts dt { color:var(--mute); }
dl.facts dd { margin:0; white-space:pre-wrap; }
.letter { background:#fff; max-width:210mm; margin:0 auto; padding:20mm; border:1px solid var(--line); }
.letter h1 { text-align:center; font-size:24px; letter-spacing:4px; }
.letter .number { text-align:center; margin-bottom:16px; }
.letter p { text-indent:2em; }
.letter .sign { margin-top:40px; text-align:right; line-height:2.2; }
.noprint { }
@media print {
  @page { size: A4; margin: 15mm; }
  body { background:#fff; font-size:12pt; }
  header.top, .noprint, form { display:none !important; }
  main { padding:0; max-width:none; }
  .letter { border:0; padding:0; max-width:none; }
  figure.chart, table, .figure { break-inside: avoid; }
  .charts { grid-template-columns:1fr 1fr; }
  a { color:inherit; text-decoration:none; }
}
"#;

/// Where a page sits in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Tree,
    Ledger,
    Report,
}

/// The signed-in frame around a page's body.
pub struct Frame<'a> {
    pub texts: &'a Texts,
    pub title: &'a str,
    pub nav: Nav,
    /// The person's name and role, shown in the header.
    pub who: &'a str,
    pub csrf: &'a str,
}

impl Frame<'_> {
    pub fn render(&self, body: &str) -> String {
        let t = self.texts;
        let link = |nav: Nav, href: &str, key: &'static str| {
            format!(
                r#"<a href="{href}"{}>{}</a>"#,
                if nav == self.nav {
                    r#" class="here" aria-current="page""#
                } else {
                    ""
                },
                esc(t.ui(key))
            )
        };
        format!(
            r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title} · {console}</title><style>{CSS}</style></head>
<body><header class="top"><span class="brand">{console}</span><nav>{o}{tr}{l}{r}</nav>
<span class="who">{signed}: {who}</span>
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">{logout}</button></form></header>
<main>{body}</main></body></html>"#,
            lang = t.html_lang(),
            title = esc(self.title),
            console = esc(t.ui("console")),
            o = link(Nav::Overview, "/console", "overview"),
            tr = link(Nav::Tree, "/console/tree", "tree"),
            l = link(Nav::Ledger, "/console/ledger", "ledger"),
            r = link(Nav::Report, "/console/report", "report"),
            signed = esc(t.ui("signed_in_as")),
            who = esc(self.who),
            csrf = esc(self.csrf),
            logout = esc(t.ui("logout")),
        )
    }
}

/// A page for someone not signed in (login help, refused links, signed out).
pub fn bare_page(texts: &Texts, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title} · {console}</title><style>{CSS}</style></head>
<body><header class="top"><span class="brand">{console}</span></header><main>{body}</main></body></html>"#,
        lang = texts.html_lang(),
        title = esc(title),
        console = esc(texts.ui("console")),
    )
}

/// `<option>`s with one selected.
pub fn options(items: &[(String, String)], selected: &str) -> String {
    let mut out = String::new();
    for (value, label) in items {
        let _ = write!(
            out,
            r#"<option value="{}"{}>{}</option>"#,
            esc(value),
            if value == selected { " selected" } else { "" },
            esc(label)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url_value("东风 a&b"), "%E4%B8%9C%E9%A3%8E%20a%26b");
        assert_eq!(query(&[("a", "1".into()), ("b", String::new())]), "?a=1");
    }
}
