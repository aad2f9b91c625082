//! `gridline classify` and `gridline eval`: the parser on the command line.

use serde_json::{Value, json};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use super::Parser;
use super::eval::{evaluate, read_corpus, render};

/// Reads JSON Lines `{"id": …, "text": …}` and writes one result object per line, in order
/// (the contract in DESIGN.md). A line that cannot be read gets `{"id": …, "error": …}` in its
/// place so the output stays aligned with the input. Returns how many lines were classified.
pub fn classify(
    parser: &Parser,
    mut input: impl BufRead,
    output: impl Write,
) -> anyhow::Result<usize> {
    let mut out = BufWriter::new(output);
    let mut line = Vec::new();
    let mut classified = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let result = match classify_line(parser, &line) {
            Ok(v) => {
                classified += 1;
                v
            }
            Err((id, error)) => json!({ "id": id, "error": error }),
        };
        serde_json::to_writer(&mut out, &result)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(classified)
}

fn classify_line(parser: &Parser, raw: &[u8]) -> Result<Value, (Value, String)> {
    let text = std::str::from_utf8(raw)
        .map_err(|_| (Value::Null, "line is not valid UTF-8".to_string()))?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Err((Value::Null, "empty line".to_string()));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| (Value::Null, format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err((Value::Null, "not a JSON object".to_string()));
    };
    let id = map.get("id").cloned().unwrap_or(Value::Null);
    let Some(message) = map.get("text").and_then(Value::as_str) else {
        return Err((id, "missing \"text\" string".to_string()));
    };
    let u = parser.parse(message, false);
    Ok(json!({
        "id": id,
        "is_request": u.is_request,
        "category": u.category.map(|c| c.id()),
        "urgency": u.urgency.map(|x| x.id()),
        "location": u.location,
        "confidence": (f64::from(u.confidence) * 1000.0).round() / 1000.0,
        "why": u.why,
    }))
}

/// Scores the parser on a labelled corpus file and prints the metrics (every miss with
/// `verbose`).
pub fn eval(
    parser: &Parser,
    path: &Path,
    verbose: bool,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let rows = read_corpus(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let report = evaluate(parser, &rows);
    output.write_all(render(&report, verbose).as_bytes())?;
    output.flush()?;
    Ok(())
}

/// Scores the parser on a labelled file as shipped, then after learning `corrections`, and
/// prints both: what an office's corrections changed on the same rows. The parser keeps the
/// model with the corrections.
pub fn eval_compare(
    parser: &Parser,
    corrections: &[super::Correction],
    path: &Path,
    verbose: bool,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let rows = read_corpus(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    parser.learn(&[])?;
    let without = evaluate(parser, &rows);
    parser.learn(corrections)?;
    let with = evaluate(parser, &rows);
    writeln!(output, "== without corrections")?;
    output.write_all(render(&without, verbose).as_bytes())?;
    writeln!(output, "== with {} corrections", corrections.len())?;
    output.write_all(render(&with, verbose).as_bytes())?;
    output.flush()?;
    Ok(())
}

/// Prints how many corrections there are and how the parser reads them before and after
/// learning them (the parser keeps the model with them).
pub fn retrain_report(
    parser: &Parser,
    corrections: &[super::Correction],
    mut output: impl Write,
) -> anyhow::Result<()> {
    let agree = |parser: &Parser| {
        corrections
            .iter()
            .filter(|c| {
                let u = parser.parse(&c.text, false);
                u.is_request == c.is_request
                    && (!c.is_request
                        || (c.category.is_none_or(|k| u.category == Some(k))
                            && c.urgency.is_none_or(|x| u.urgency == Some(x))))
            })
            .count()
    };
    let before = agree(parser);
    parser.learn(corrections)?;
    let after = agree(parser);
    let requests = corrections.iter().filter(|c| c.is_request).count();
    writeln!(
        output,
        "{} corrections ({requests} requests, {} not)\nread as corrected: {before} before, {after} after learning them",
        corrections.len(),
        corrections.len() - requests
    )?;
    output.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::tests::parser;

    #[test]
    fn classify_keeps_order_and_reports_bad_lines() {
        let input = concat!(
            r#"{"id": "a", "text": "厨房闻到一股煤气味，10栋2单元"}"#,
            "\n",
            "not json\n",
            r#"{"id": 7}"#,
            "\n",
            "\n",
            r#"{"id": "b", "text": "早上好"}"#,
            "\n",
        );
        let mut out = Vec::new();
        let n = classify(parser(), input.as_bytes(), &mut out).expect("classify runs");
        assert_eq!(n, 2);
        let lines: Vec<Value> = String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[0]["is_request"], true);
        assert_eq!(lines[0]["category"], "safety");
        assert_eq!(lines[0]["urgency"], "urgent");
        assert_eq!(lines[0]["location"], "10栋2单元");
        assert!(
            lines[1]["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("not JSON"))
        );
        assert_eq!(lines[2]["id"], 7);
        assert!(
            lines[2]["error"]
                .as_str()
                .is_some_and(|e| e.contains("text"))
        );
        assert_eq!(lines[3]["error"], "empty line");
        assert_eq!(lines[4]["id"], "b");
        assert_eq!(lines[4]["is_request"], false);
        assert_eq!(lines[4]["category"], Value::Null);
    }

    #[test]
    fn classify_survives_invalid_utf8() {
        let mut input = b"{\"id\":1,\"text\":\"ok\"}\n".to_vec();
        input.extend_from_slice(&[0xff, 0xfe, b'\n']);
        let mut out = Vec::new();
        classify(parser(), input.as_slice(), &mut out).expect("classify runs");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("not valid UTF-8"));
    }
}
