//! CQ codes: the string form of a OneBot v11 message.
//!
//! A message such as `报修[CQ:at,qq=10001] 3栋灯坏了[CQ:image,file=a.jpg,url=https://…]` is plain
//! text with segments embedded as `[CQ:type,key=value,…]`. Text outside the codes escapes `&`, `[`
//! and `]` as `&amp;`, `&#91;`, `&#93;`; values inside a code also escape `,` as `&#44;`.

use serde_json::{Map, Value};

/// Turns a CQ-code string into the segment array form (`[{"type","data"}]`), so that both forms
/// are read by the same code. Malformed codes (no closing `]`) are kept as text.
pub fn parse(message: &str) -> Vec<Value> {
    let mut segments = Vec::new();
    let mut rest = message;
    while !rest.is_empty() {
        let Some(start) = rest.find("[CQ:") else {
            push_text(&mut segments, rest);
            break;
        };
        let Some(len) = rest[start..].find(']') else {
            push_text(&mut segments, rest);
            break;
        };
        if start > 0 {
            push_text(&mut segments, &rest[..start]);
        }
        let code = &rest[start + 4..start + len];
        segments.push(parse_code(code));
        rest = &rest[start + len + 1..];
    }
    segments
}

fn push_text(segments: &mut Vec<Value>, escaped: &str) {
    let mut data = Map::new();
    data.insert("text".into(), Value::String(unescape(escaped)));
    segments.push(segment("text", data));
}

/// `type,key=value,key=value` (the part between `[CQ:` and `]`).
fn parse_code(code: &str) -> Value {
    let mut parts = code.split(',');
    let kind = parts.next().unwrap_or_default().trim();
    let mut data = Map::new();
    for part in parts {
        // A part without `=` is not a parameter; bridges never send one, so it is dropped.
        if let Some((key, value)) = part.split_once('=') {
            data.insert(key.trim().to_string(), Value::String(unescape(value)));
        }
    }
    segment(kind, data)
}

fn segment(kind: &str, data: Map<String, Value>) -> Value {
    let mut seg = Map::new();
    seg.insert("type".into(), Value::String(kind.to_string()));
    seg.insert("data".into(), Value::Object(data));
    Value::Object(seg)
}

/// Undoes CQ escaping. `&amp;` goes last so that `&amp;#91;` stays the literal text `&#91;`.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&#91;", "[")
        .replace("&#93;", "]")
        .replace("&#44;", ",")
        .replace("&amp;", "&")
}

/// Escapes text for use outside CQ codes.
pub fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('[', "&#91;")
        .replace(']', "&#93;")
}

/// Escapes a value inside a CQ code.
pub fn escape_value(s: &str) -> String {
    escape_text(s).replace(',', "&#44;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_and_codes_become_segments() {
        let segs = parse("[CQ:reply,id=-2147483000][CQ:at,qq=10001] 接单 42");
        assert_eq!(
            segs,
            vec![
                json!({"type":"reply","data":{"id":"-2147483000"}}),
                json!({"type":"at","data":{"qq":"10001"}}),
                json!({"type":"text","data":{"text":" 接单 42"}}),
            ]
        );
    }

    #[test]
    fn escapes_are_undone_in_text_and_values() {
        let segs =
            parse("&#91;通知&#93; A&amp;B[CQ:image,file=a&#44;b.jpg,url=https://x/?a=1&amp;b=2]尾");
        assert_eq!(segs[0], json!({"type":"text","data":{"text":"[通知] A&B"}}));
        assert_eq!(
            segs[1],
            json!({"type":"image","data":{"file":"a,b.jpg","url":"https://x/?a=1&b=2"}})
        );
        assert_eq!(segs[2], json!({"type":"text","data":{"text":"尾"}}));
    }

    #[test]
    fn a_literal_escape_sequence_survives() {
        // The sender typed "&#91;" literally; the bridge escaped its `&`.
        assert_eq!(unescape("&amp;#91;"), "&#91;");
        assert_eq!(unescape(&escape_text("a[&]b")), "a[&]b");
        assert_eq!(unescape(&escape_value("x,[y]&z")), "x,[y]&z");
    }

    #[test]
    fn unclosed_code_is_text() {
        let segs = parse("看这里[CQ:at,qq=1");
        assert_eq!(
            segs,
            vec![json!({"type":"text","data":{"text":"看这里[CQ:at,qq=1"}})]
        );
        assert!(parse("").is_empty());
    }
}
