//! The learned half of the parser: logistic regression over character and word pieces, scored
//! beside the lexicon so that words no lexicon lists still count.
//!
//! Pieces of a message (all hashed into one fixed table, so scoring allocates nothing):
//! - Chinese: every run of CJK characters gives its characters, pairs and triples
//!   (`煤气味` → 煤, 气, 味, 煤气, 气味, 煤气味), so `燃起味` still shares `味` and `起味`-like
//!   pieces with what was seen, and an unseen compound shares its characters;
//! - English: lowercased words (digits folded to `0`), pairs of neighbouring words, and the
//!   3–5 letter pieces of every word with its edges marked (`<flood`, `ood>`), so `flooding`,
//!   `flooded` and `floodwater` share most of their pieces.
//!
//! Three models learn from labelled examples: request or not, the preferred category of a
//! request, and urgent or normal (requests labelled `any` are left out). The built-in examples
//! are the corpus's train and dev splits. The model learns from dev too, because more examples
//! measurably help on text it has never seen. So dev no longer checks the model: the blend's
//! constants (score.rs) are chosen by cross-validation over train+dev (eval.rs,
//! `cross_validate`), and a change to the model is checked on a fresh batch before that batch
//! is committed to the corpus (docs/parser.md, "The learned model").
//!
//! The weights of the built-in examples are trained when gridline is built (build.rs, with the
//! same code, [`training`]) and embedded in the binary, so start-up only reads them, however
//! large the corpus grows. Start-up trains instead when there is more to learn from: `*.jsonl`
//! files a coordinator puts in the lexicon directory (the corpus schema, see corpus/README.md)
//! or people's corrections; a bad example then stops start-up with its file and line. The same
//! examples always give the same weights (fixed epochs, a fixed shuffle), so the embedded
//! weights are exactly those training on the built-in examples gives
//! (`embedded_weights_are_those_training_gives`).
//!
//! Training is multinomial logistic regression with AdaGrad and a little L2, the piece vector
//! scaled by 1/√n so long messages do not shout.

use std::path::Path;

use super::LexiconError;
use super::eval::Labelled;
#[cfg(test)]
use crate::domain::Category;

pub(crate) mod training;

#[cfg(test)]
pub(crate) use training::pieces;
use training::{BUCKETS, CATEGORIES, Example, QRow, Row, S_CAT, S_REQ, S_URG, Sink, Weights};
pub(crate) use training::{MAX_PIECES, normalise};

/// The examples every gridline learns from: the corpus's train and dev splits, never test (the
/// figures of the test split must stay those of text the parser never learned from). build.rs
/// reads the same two files.
const BUILT_IN: [(&str, &str); 2] = [
    (
        "corpus/train.jsonl",
        include_str!("../../corpus/train.jsonl"),
    ),
    ("corpus/dev.jsonl", include_str!("../../corpus/dev.jsonl")),
];

/// The weights build.rs trained on [`BUILT_IN`] ([`Weights::to_bytes`]).
const EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/model.bin"));
const _: () = assert!(EMBEDDED.len() == training::WEIGHTS_BYTES);

/// What the model thinks of one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Opinion {
    /// Log-odds that the message is a request.
    pub request: f32,
    /// Log-odds that a request is urgent.
    pub urgent: f32,
    /// Probability of each category (order of `Category::ALL`) if it is a request.
    pub categories: [f32; CATEGORIES],
}

impl Opinion {
    /// The most probable category and its probability.
    #[cfg(test)]
    pub(crate) fn category(&self) -> (Category, f32) {
        let mut best = (Category::Other, -1.0);
        for c in Category::ALL {
            let p = self.categories[c as usize];
            if p > best.1 {
                best = (c, p);
            }
        }
        best
    }
}

/// The trained weights as scored: per bucket, request log-odds, urgency log-odds and the 13
/// category scores in one row.
pub(crate) struct Model {
    /// Weights quantised to bytes: the table is a quarter of the size, so it stays in cache.
    rows: Vec<QRow>,
    /// What one unit of a quantised weight is worth, per column.
    unit: [f32; 16],
    bias: Row,
}

impl From<Weights> for Model {
    fn from(w: Weights) -> Model {
        Model {
            rows: w.rows,
            unit: w.unit,
            bias: w.bias,
        }
    }
}

/// How many times a correction counts beside a corpus example (see [`Model::load_with`]).
const CORRECTION_WEIGHT: usize = 4;

impl Model {
    /// The model of the built-in examples and, if given, every `*.jsonl` file in `dir`.
    #[cfg(test)]
    pub(crate) fn load(dir: Option<&Path>) -> Result<Model, LexiconError> {
        Model::load_with(dir, &[])
    }

    /// [`Model::load`] plus people's corrections (`store::examples`), each counted
    /// [`CORRECTION_WEIGHT`] times: a correction is this office's own reading of its own
    /// residents' words, and one row among thousands would barely move the weights.
    ///
    /// With nothing beyond the built-in examples the weights are the embedded ones; otherwise
    /// the model trains on all examples, the built-in ones first.
    pub(crate) fn load_with(
        dir: Option<&Path>,
        corrections: &[super::Correction],
    ) -> Result<Model, LexiconError> {
        let mut extra = Vec::new();
        if let Some(dir) = dir {
            for (name, text) in super::lexicon::data_files(dir, "jsonl")? {
                add_examples(&mut extra, &name, &text)?;
            }
        }
        for c in corrections {
            let norm = normalise(&c.text);
            // What the correction is about is the words, not the form they were sent in.
            let body = super::text::explicit_body(&norm).unwrap_or(&norm);
            if body.trim().is_empty() {
                continue;
            }
            let mut buf = [0u32; MAX_PIECES];
            let n = training::pieces(body, &mut buf);
            let example = Example {
                pieces: buf[..n].to_vec(),
                request: c.is_request,
                urgent: c
                    .is_request
                    .then_some(c.urgency)
                    .flatten()
                    .map(|u| u == crate::domain::Urgency::Urgent),
                category: c
                    .is_request
                    .then_some(c.category)
                    .flatten()
                    .map(|c| c as usize),
                accepted: c
                    .is_request
                    .then_some(c.category)
                    .flatten()
                    .map_or(0, |c| 1 << c as usize),
            };
            for _ in 0..CORRECTION_WEIGHT {
                extra.push(example.clone());
            }
        }
        if extra.is_empty() {
            return Ok(Model::embedded());
        }
        let mut examples = built_in_examples()?;
        examples.append(&mut extra);
        Ok(training::train(&examples).into())
    }

    /// The weights trained on the built-in examples when gridline was built.
    fn embedded() -> Model {
        Weights::from_bytes(EMBEDDED)
            .expect("the embedded weights are a whole table")
            .into()
    }

    /// Trains on labelled rows given directly (for tests and cross-validation).
    #[cfg(test)]
    pub(crate) fn from_rows(name: &str, text: &str) -> Result<Model, LexiconError> {
        let mut examples = Vec::new();
        add_examples(&mut examples, name, text)?;
        Ok(training::train(&examples).into())
    }
}

/// The built-in examples, read from the corpus compiled into the binary.
fn built_in_examples() -> Result<Vec<Example>, LexiconError> {
    let mut examples = Vec::new();
    for (name, text) in BUILT_IN {
        add_examples(&mut examples, name, text)?;
    }
    Ok(examples)
}

impl Model {
    /// The model's opinion of a (width-normalised) text.
    ///
    /// One pass over the text: each piece is hashed, checked against the pieces already seen
    /// and its row added to the sums as it is found; nothing is stored, sorted or allocated.
    /// The sums are integers, so the order pieces are added in does not change the opinion.
    pub(crate) fn judge(&self, text: &str) -> Opinion {
        SEEN.with_borrow_mut(|seen| {
            let mut sink = Score {
                rows: &self.rows,
                seen,
                taken: 0,
                unique: [0; MAX_PIECES],
                n: 0,
                sums: [0; 16],
            };
            training::walk(text, &mut sink);
            // Leave the bit set empty for the next message: only the words touched are cleared.
            for &b in &sink.unique[..sink.n] {
                sink.seen[usize::from(b) >> 6] = 0;
            }
            self.opinion(&sink.sums, sink.n)
        })
    }

    /// The opinion from the summed quantised rows of `n` distinct pieces.
    fn opinion(&self, sums: &[i32; 16], n: usize) -> Opinion {
        let scale = 1.0 / (n.max(1) as f32).sqrt();
        let score = |j: usize| self.bias.0[j] + sums[j] as f32 * self.unit[j] * scale;
        let mut categories = [0.0f32; CATEGORIES];
        if n == 0 {
            // No words, no category: the prior alone must not name one ("/report" bare).
            return Opinion {
                request: score(S_REQ),
                urgent: score(S_URG),
                categories,
            };
        }
        for (j, c) in categories.iter_mut().enumerate() {
            *c = score(S_CAT + j);
        }
        let max = categories.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0.0;
        for c in categories.iter_mut() {
            *c = (*c - max).exp();
            z += *c;
        }
        for c in categories.iter_mut() {
            *c /= z;
        }
        Opinion {
            request: score(S_REQ),
            urgent: score(S_URG),
            categories,
        }
    }

    /// The opinion as it was first computed: pieces collected, sorted and deduplicated, then
    /// summed. [`Model::judge`] must agree with it exactly.
    #[cfg(test)]
    fn judge_sorted(&self, text: &str) -> Opinion {
        let mut buf = [0u32; MAX_PIECES];
        let n = pieces(text, &mut buf);
        let mut sums = [0i32; 16];
        for &piece in &buf[..n] {
            for (s, &w) in sums.iter_mut().zip(&self.rows[piece as usize].0) {
                *s += i32::from(w);
            }
        }
        self.opinion(&sums, n)
    }
}

thread_local! {
    /// Buckets already counted in the message being judged, one bit each (8 KB): a repeated
    /// piece counts once. Kept per thread and cleared after each message, so judging neither
    /// allocates nor zeroes the whole set.
    static SEEN: std::cell::RefCell<[u64; BUCKETS / 64]> =
        const { std::cell::RefCell::new([0; BUCKETS / 64]) };
}

/// Sums the rows of the distinct buckets among the first [`MAX_PIECES`] found.
struct Score<'a> {
    rows: &'a [QRow],
    seen: &'a mut [u64; BUCKETS / 64],
    /// Pieces taken so far, repeats included (the cap counts them, as [`training::pieces`] does).
    taken: usize,
    /// The distinct buckets, to clear `seen` afterwards.
    unique: [u16; MAX_PIECES],
    n: usize,
    sums: [i32; 16],
}

impl Sink for Score<'_> {
    #[inline]
    fn take(&mut self, bucket: u32) {
        if self.taken == MAX_PIECES {
            return;
        }
        self.taken += 1;
        let b = bucket as usize & (BUCKETS - 1);
        let (word, bit) = (b >> 6, 1u64 << (b & 63));
        if self.seen[word] & bit != 0 {
            return;
        }
        self.seen[word] |= bit;
        self.unique[self.n] = b as u16;
        self.n += 1;
        // The row is copied out first: added from a copy, the sixteen sums are one vector
        // addition, where added from the table in place they were sixteen.
        let row = self.rows[b].0;
        for (s, w) in self.sums.iter_mut().zip(row) {
            *s += i32::from(w);
        }
    }

    fn full(&self) -> bool {
        self.taken == MAX_PIECES
    }
}

/// Reads labelled rows (the corpus schema) and checks each makes sense as a lesson.
fn add_examples(out: &mut Vec<Example>, name: &str, text: &str) -> Result<(), LexiconError> {
    for (i, line) in text.lines().enumerate() {
        let fail = |message: String| LexiconError {
            file: name.to_string(),
            line: i + 1,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        let row: Labelled = serde_json::from_str(line).map_err(|e| fail(e.to_string()))?;
        let categories: Option<Vec<usize>> = row
            .categories
            .map(|cs| cs.into_iter().map(|c| c as usize).collect());
        let example = training::example(
            &row.text,
            row.is_request,
            categories.as_deref(),
            row.urgency.as_deref(),
        )
        .map_err(fail)?;
        out.push(example);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str, category: Option<&str>, urgency: &str) -> String {
        match category {
            Some(c) => format!(
                r#"{{"id":"t","text":"{text}","is_request":true,"categories":["{c}"],"urgency":"{urgency}","location":null}}"#
            ),
            None => format!(
                r#"{{"id":"t","text":"{text}","is_request":false,"categories":null,"urgency":null,"location":null}}"#
            ),
        }
    }

    fn tiny() -> String {
        [
            row("楼道的灯不亮了", Some("lighting"), "normal"),
            row("路灯坏了好几天", Some("lighting"), "normal"),
            row("the street lamp is flickering", Some("lighting"), "normal"),
            row("水管漏水了", Some("water"), "normal"),
            row("家里停水一天了", Some("water"), "normal"),
            row("burst pipe leaking everywhere", Some("water"), "normal"),
            row("厨房着火了快来人", Some("safety"), "urgent"),
            row("house on fire help", Some("safety"), "urgent"),
            row("早上好", None, ""),
            row("谢谢大家", None, ""),
            row("good morning all", None, ""),
            row("thanks everyone", None, ""),
        ]
        .join("\n")
        .replace(r#""urgency":"""#, r#""urgency":null"#)
    }

    #[test]
    fn learns_categories_from_pieces_of_words() {
        let model = Model::from_rows("tiny.jsonl", &tiny()).expect("valid rows");
        // Phrasings the examples never used, sharing only characters or letter pieces.
        assert_eq!(
            model.judge("单元门口的灯坏了").category().0,
            Category::Lighting
        );
        assert_eq!(
            model.judge("lamps flicker at night").category().0,
            Category::Lighting
        );
        assert_eq!(model.judge("卫生间水管爆了").category().0, Category::Water);
        assert_eq!(model.judge("pipes leaked").category().0, Category::Water);
        let fire = model.judge("楼下着火了");
        assert_eq!(fire.category().0, Category::Safety);
        assert!(fire.urgent > 0.0, "{fire:?}");
        assert!(model.judge("路灯不亮").urgent < 0.0);
        assert!(model.judge("谢谢").request < 0.0);
        assert!(model.judge("水管漏了").request > 0.0);
    }

    #[test]
    fn acceptable_categories_are_not_taught_as_wrong() {
        // The same rows, once with a second acceptable category and once without: the model
        // that was told safety is also right must not have learned it is wrong.
        let rows = |cats: &str| {
            let mut text = tiny();
            for t in [
                "the wall by the gate is cracked",
                "crack in the stairwell wall getting wider",
                "围墙裂了一条大缝",
            ] {
                text.push('\n');
                text.push_str(&format!(
                    r#"{{"id":"t","text":"{t}","is_request":true,"categories":[{cats}],"urgency":"normal","location":null}}"#
                ));
            }
            Model::from_rows("tiny.jsonl", &text).expect("valid rows")
        };
        let one = rows(r#""property""#);
        let both = rows(r#""property","safety""#);
        let safety = Category::Safety as usize;
        for t in ["cracked wall by the car park", "墙上裂缝"] {
            let (a, b) = (one.judge(t), both.judge(t));
            assert_eq!(b.category().0, Category::Property, "{t}: {b:?}");
            assert!(
                b.categories[safety] > 2.0 * a.categories[safety],
                "{t}: {a:?} → {b:?}"
            );
        }
    }

    #[test]
    fn built_in_examples_are_train_and_dev_never_test() {
        let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["corpus/train.jsonl", "corpus/dev.jsonl"]);
        let test_ids: std::collections::HashSet<String> = include_str!("../../corpus/test.jsonl")
            .lines()
            .filter_map(|l| serde_json::from_str::<Labelled>(l).ok())
            .map(|r| r.id)
            .collect();
        assert!(test_ids.len() > 100, "{}", test_ids.len());
        for (name, text) in BUILT_IN {
            let rows: Vec<Labelled> = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Labelled>(l).ok())
                .collect();
            assert!(rows.len() > 100, "{name}");
            for r in rows {
                assert!(
                    !test_ids.contains(&r.id),
                    "{} of {name} is a test row",
                    r.id
                );
            }
        }
    }

    #[test]
    fn training_is_deterministic() {
        let a = Model::from_rows("tiny.jsonl", &tiny()).expect("valid rows");
        let b = Model::from_rows("tiny.jsonl", &tiny()).expect("valid rows");
        assert_eq!(a.rows, b.rows);
        for t in ["车库灯管一闪一闪", "pipes leaked", "", "🙂"] {
            assert_eq!(a.judge(t), b.judge(t), "{t}");
        }
    }

    #[test]
    fn judging_in_one_pass_agrees_with_sorted_pieces() {
        let model = crate::understand::tests::parser().model();
        let corpus = [
            include_str!("../../corpus/train.jsonl"),
            include_str!("../../corpus/dev.jsonl"),
            include_str!("../../corpus/test.jsonl"),
        ];
        let mut texts: Vec<String> = corpus
            .iter()
            .flat_map(|c| c.lines())
            .filter_map(|l| serde_json::from_str::<Labelled>(l).ok())
            .map(|r| super::super::text::normalise(&r.text).into_owned())
            .collect();
        assert!(texts.len() > 3000, "{}", texts.len());
        // Past the piece cap, repeats, nothing at all, no words.
        texts.push("煤气泄漏了 gas leak in block 5 ".repeat(200));
        texts.push("漏水漏水漏水漏水".to_string());
        texts.push(String::new());
        texts.push("🙂🙂 !!".to_string());
        for t in &texts {
            assert_eq!(model.judge(t), model.judge_sorted(t), "{t}");
        }
    }

    #[test]
    fn embedded_weights_are_those_training_gives() {
        let trained = training::train(&built_in_examples().expect("valid built-in examples"));
        // Bit for bit: the same bytes, so the same floats and the same quantised rows.
        assert!(
            trained.to_bytes() == EMBEDDED,
            "the embedded weights differ"
        );
        let embedded = Weights::from_bytes(EMBEDDED).expect("a whole table");
        assert_eq!(embedded, trained);
        assert!(Weights::from_bytes(&EMBEDDED[1..]).is_none());
    }

    #[test]
    fn only_more_examples_train_at_start() {
        let embedded = Model::embedded();
        let same = |m: &Model| m.rows == embedded.rows && m.unit == embedded.unit;
        assert!(same(&Model::load(None).expect("built in")));
        // A directory with no examples, or only blank lines, adds nothing to learn from.
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(same(&Model::load(Some(dir.path())).expect("no files")));
        std::fs::write(dir.path().join("local.jsonl"), "\n\n").expect("write");
        assert!(same(&Model::load(Some(dir.path())).expect("blank lines")));
        // One row more trains on all of them: `extra_examples_teach_the_model`.
    }

    #[test]
    fn pieces_are_shared_by_related_words_and_counted_once() {
        let mut a = [0u32; MAX_PIECES];
        let mut b = [0u32; MAX_PIECES];
        let na = pieces("flooding", &mut a);
        let nb = pieces("Flooded", &mut b);
        let shared = a[..na].iter().filter(|p| b[..nb].contains(p)).count();
        assert!(shared >= 6, "{shared} of {na}/{nb}");
        // 煤气味 gives 3 characters, 2 pairs and 1 triple; repeating it adds nothing.
        assert_eq!(pieces("煤气味", &mut a), 6);
        assert_eq!(pieces("煤气味，煤气味", &mut a), 6);
        // Numbers fold together.
        let n5 = pieces("block 5", &mut a);
        let n12 = pieces("block 12", &mut b);
        assert_eq!(a[..n5], b[..n12]);
        // A very long text stops at the table's end instead of allocating.
        let long = "煤气泄漏了".repeat(1000);
        assert!(pieces(&long, &mut a) <= MAX_PIECES);
    }

    #[test]
    fn bad_examples_are_refused_with_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bad = [
            (row("路灯坏了", Some("lighting"), "normal"), ""),
            (
                r#"{"id":"x","text":"路灯坏了","is_request":true,"categories":[],"urgency":"normal","location":null}"#.to_string(),
                "needs at least one category",
            ),
            (
                r#"{"id":"x","text":"早上好","is_request":false,"categories":null,"urgency":"urgent","location":null}"#.to_string(),
                "urgency",
            ),
            (
                r#"{"id":"x","text":"路灯坏了","is_request":true,"categories":["lamps"],"urgency":"normal","location":null}"#.to_string(),
                "unknown variant",
            ),
            (
                r#"{"id":"x","text":"  ","is_request":false,"categories":null,"urgency":null,"location":null}"#.to_string(),
                "empty text",
            ),
        ];
        for (line, want) in bad.iter().skip(1) {
            let text = format!("{}\n\n{line}\n", bad[0].0);
            std::fs::write(dir.path().join("local.jsonl"), text).expect("write");
            let err = match Model::load(Some(dir.path())) {
                Err(e) => e,
                Ok(_) => panic!("accepted: {line}"),
            };
            assert!(err.file.ends_with("local.jsonl"), "{err}");
            assert_eq!(err.line, 3, "{err}");
            assert!(err.message.contains(want), "{err}");
        }
    }

    #[test]
    fn extra_examples_teach_the_model() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = "XQ9机器";
        let before = Model::load(None).expect("built-in examples").judge(text);
        let lessons: Vec<String> = [
            "村口XQ9机器坏了",
            "XQ9机器又不转了",
            "活动室的XQ9机器没反应",
        ]
        .iter()
        .map(|t| row(t, Some("property"), "normal"))
        .collect();
        std::fs::write(dir.path().join("local.jsonl"), lessons.join("\n")).expect("write");
        let after = Model::load(Some(dir.path()))
            .expect("valid examples")
            .judge(text);
        let property = Category::Property as usize;
        assert!(
            after.categories[property] > before.categories[property],
            "{before:?} → {after:?}"
        );
    }
}
