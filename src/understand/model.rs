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
//! Three models are trained at start from labelled examples: request or not, the preferred
//! category of a request, and urgent or normal (requests labelled `any` are left out). The
//! examples are the corpus's train and dev splits, compiled into the binary, plus any `*.jsonl`
//! files a coordinator puts in the lexicon directory (the corpus schema, see corpus/README.md).
//! The model learns from dev too, because more examples measurably help on text it has never
//! seen. So dev no longer checks the model: the blend's constants (score.rs) are chosen by
//! cross-validation over train+dev (eval.rs, `cross_validate`), and a change to the model is
//! checked on a fresh batch before that batch is committed to the corpus (docs/parser.md,
//! "The learned model"). There is
//! no weights file: the same examples always give the same weights (fixed epochs, a fixed
//! shuffle), and a bad example stops start-up with its file and line.
//!
//! Training is multinomial logistic regression with AdaGrad and a little L2, the piece vector
//! scaled by 1/√n so long messages do not shout.

use std::path::Path;

use super::LexiconError;
use super::eval::Labelled;
use crate::domain::Category;

/// The examples every gridline learns from: the corpus's train and dev splits, never test (the
/// figures of the test split must stay those of text the parser never learned from).
const BUILT_IN: [(&str, &str); 2] = [
    (
        "corpus/train.jsonl",
        include_str!("../../corpus/train.jsonl"),
    ),
    ("corpus/dev.jsonl", include_str!("../../corpus/dev.jsonl")),
];

/// Table size (a power of two). The train split alone has about 41,000 distinct pieces; a larger
/// table collides less but is slower to score, because every piece is a random memory access
/// and the table must stay in the processor's cache (2^16 rows of 16 bytes: 1 MB).
const BITS: u32 = 16;
const BUCKETS: usize = 1 << BITS;
/// Weights per bucket while training: request, not request, urgent, normal, then the 13
/// categories.
const ROW: usize = 4 + 13;
const REQ: usize = 0;
const URG: usize = 2;
const CAT: usize = 4;

/// Most pieces looked at in one message: about 250 Chinese characters or 80 English words.
pub(crate) const MAX_PIECES: usize = 768;

const EPOCHS: usize = 15;
const RATE: f32 = 0.3;
const L2: f32 = 1e-4;

/// What the model thinks of one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Opinion {
    /// Log-odds that the message is a request.
    pub request: f32,
    /// Log-odds that a request is urgent.
    pub urgent: f32,
    /// Probability of each category (order of `Category::ALL`) if it is a request.
    pub categories: [f32; 13],
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
/// category scores in one cache line.
pub(crate) struct Model {
    /// Weights quantised to bytes: the table is a quarter of the size, so it stays in cache.
    rows: Vec<QRow>,
    /// What one unit of a quantised weight is worth, per column.
    unit: [f32; 16],
    bias: Row,
}

/// Scoring columns of a [`Row`].
const S_REQ: usize = 0;
const S_URG: usize = 1;
const S_CAT: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
struct Row([f32; 16]);

/// One bucket's quantised scoring weights; aligned so a row is one access, never split
/// between two cache lines.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(16))]
struct QRow([i8; 16]);

/// The weights while training (two columns per yes/no model, as softmax over two classes).
struct Trainer {
    /// `BUCKETS` rows of [`STRIDE`] numbers: a bucket's `ROW` weights, then AdaGrad's running
    /// sums of their squared gradients, so that one piece's update touches one stretch of
    /// memory rather than two tables far apart.
    weights: Vec<f32>,
    bias: [f32; ROW],
}

/// A training row: the weights, then their squared-gradient sums.
const STRIDE: usize = 2 * ROW;

/// How many times a correction counts beside a corpus example (see [`Model::load_with`]).
const CORRECTION_WEIGHT: usize = 4;

/// One labelled example as the trainer sees it.
#[derive(Clone)]
struct Example {
    pieces: Vec<u32>,
    request: bool,
    urgent: Option<bool>,
    category: Option<Category>,
}

impl Model {
    /// Trains on the built-in examples and, if given, every `*.jsonl` file in `dir`.
    pub(crate) fn load(dir: Option<&Path>) -> Result<Model, LexiconError> {
        let mut examples = Vec::new();
        // What the weights depend on: the examples' text, in the order they are read.
        let mut key = Key::default();
        for (name, text) in BUILT_IN {
            add_examples(&mut examples, name, text)?;
            key.add(text);
        }
        if let Some(dir) = dir {
            for (name, text) in super::lexicon::data_files(dir, "jsonl")? {
                add_examples(&mut examples, &name, &text)?;
                key.add(&text);
            }
        }
        Ok(trained(&examples, key.0))
    }

    /// [`Model::load`] plus people's corrections (`store::examples`), each counted
    /// [`CORRECTION_WEIGHT`] times: a correction is this office's own reading of its own
    /// residents' words, and one row among thousands would barely move the weights.
    pub(crate) fn load_with(
        dir: Option<&Path>,
        corrections: &[super::Correction],
    ) -> Result<Model, LexiconError> {
        if corrections.is_empty() {
            return Model::load(dir);
        }
        let mut examples = Vec::new();
        for (name, text) in BUILT_IN {
            add_examples(&mut examples, name, text)?;
        }
        if let Some(dir) = dir {
            for (name, text) in super::lexicon::data_files(dir, "jsonl")? {
                add_examples(&mut examples, &name, &text)?;
            }
        }
        for c in corrections {
            let norm = super::text::normalise(&c.text);
            // What the correction is about is the words, not the form they were sent in.
            let body = super::text::explicit_body(&norm).unwrap_or(&norm);
            if body.trim().is_empty() {
                continue;
            }
            let mut buf = [0u32; MAX_PIECES];
            let n = pieces(body, &mut buf);
            let example = Example {
                pieces: buf[..n].to_vec(),
                request: c.is_request,
                urgent: c
                    .is_request
                    .then_some(c.urgency)
                    .flatten()
                    .map(|u| u == crate::domain::Urgency::Urgent),
                category: c.is_request.then_some(c.category).flatten(),
            };
            for _ in 0..CORRECTION_WEIGHT {
                examples.push(example.clone());
            }
        }
        // Not kept in the debug builds' weights file: that holds the model without
        // corrections, which every test process reads.
        Ok(Model::train(&examples))
    }

    /// Trains on labelled rows given directly (for tests).
    #[cfg(test)]
    pub(crate) fn from_rows(name: &str, text: &str) -> Result<Model, LexiconError> {
        let mut examples = Vec::new();
        add_examples(&mut examples, name, text)?;
        Ok(Model::train(&examples))
    }

    fn train(examples: &[Example]) -> Model {
        let t = Trainer::train(examples);
        let row = |w: &[f32]| {
            let mut r = [0.0f32; 16];
            r[S_REQ] = w[REQ] - w[REQ + 1];
            r[S_URG] = w[URG] - w[URG + 1];
            r[S_CAT..S_CAT + 13].copy_from_slice(&w[CAT..CAT + 13]);
            Row(r)
        };
        let rows: Vec<Row> = t
            .weights
            .chunks_exact(STRIDE)
            .map(|r| row(&r[..ROW]))
            .collect();
        let mut unit = [0.0f32; 16];
        for r in &rows {
            for (u, w) in unit.iter_mut().zip(r.0) {
                *u = u.max(w.abs());
            }
        }
        for u in unit.iter_mut() {
            *u = if *u > 0.0 { *u / 127.0 } else { 1.0 };
        }
        let quantise = |r: &Row| {
            let mut q = [0i8; 16];
            for ((q, w), u) in q.iter_mut().zip(r.0).zip(unit) {
                *q = (w / u).round().clamp(-127.0, 127.0) as i8;
            }
            QRow(q)
        };
        Model {
            rows: rows.iter().map(quantise).collect(),
            unit,
            bias: row(&t.bias),
        }
    }
}

impl Trainer {
    fn train(examples: &[Example]) -> Trainer {
        let mut model = Trainer {
            weights: vec![0.0; BUCKETS * STRIDE],
            bias: [0.0; ROW],
        };
        // AdaGrad's running sums of squared gradients start at 1e-8 (the weights' share of
        // each row is set below); the bias's are kept apart.
        for r in model.weights.chunks_exact_mut(STRIDE) {
            r[ROW..].fill(1e-8);
        }
        let mut gb = [1e-8f32; ROW];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut probs = [0.0f32; 13];
        let mut targets: [(usize, usize, usize); 3] = [(0, 0, 0); 3];
        // The columns this example moves and their gradients, for all three models at once.
        let mut active: [(usize, f32); ROW] = [(0, 0.0); ROW];
        for _ in 0..EPOCHS {
            shuffle(&mut order, &mut rng);
            for &i in &order {
                let ex = &examples[i];
                let scale = 1.0 / (ex.pieces.len().max(1) as f32).sqrt();
                // (first weight, classes, target class) of each model this example teaches.
                let mut n = 0;
                targets[n] = (REQ, 2, usize::from(!ex.request));
                n += 1;
                if let Some(u) = ex.urgent {
                    targets[n] = (URG, 2, usize::from(!u));
                    n += 1;
                }
                if let Some(c) = ex.category {
                    targets[n] = (CAT, 13, c as usize);
                    n += 1;
                }
                // The three models own disjoint columns, so each one's probabilities can be
                // taken before any is updated, and every column's weights are then updated
                // in one pass over the pieces: each weight sees exactly the arithmetic, in
                // the order, that a pass per model and class gave it.
                let mut moved = 0;
                let sums = model.sums(&ex.pieces);
                for &(first, k, target) in &targets[..n] {
                    let p = &mut probs[..k];
                    model.softmax(&sums, scale, first, p);
                    for (j, &pj) in p.iter().enumerate() {
                        let g = pj - if j == target { 1.0 } else { 0.0 };
                        // Classes the example no longer moves are skipped: most of the work
                        // after the first epochs.
                        if g.abs() < 1e-4 {
                            continue;
                        }
                        let col = first + j;
                        gb[col] += g * g;
                        model.bias[col] -= RATE * g / gb[col].sqrt();
                        active[moved] = (col, g * scale);
                        moved += 1;
                    }
                }
                let active = &active[..moved];
                for &piece in &ex.pieces {
                    let (w, g2) =
                        model.weights[piece as usize * STRIDE..][..STRIDE].split_at_mut(ROW);
                    for &(col, g) in active {
                        let gg = g + L2 * w[col];
                        g2[col] += gg * gg;
                        w[col] -= RATE * gg / g2[col].sqrt();
                    }
                }
            }
        }
        model
    }

    /// Every column's sum of the example's pieces' weights, in one pass over the pieces (each
    /// column summed in the pieces' order, as a pass per model summed it).
    fn sums(&self, pieces: &[u32]) -> [f32; ROW] {
        let mut sums = [0.0f32; ROW];
        for &piece in pieces {
            let row = &self.weights[piece as usize * STRIDE..][..ROW];
            for (s, w) in sums.iter_mut().zip(row) {
                *s += w;
            }
        }
        sums
    }

    /// Class probabilities of one model (columns `first..first + out.len()`), from the
    /// example's [`Trainer::sums`].
    fn softmax(&self, sums: &[f32; ROW], scale: f32, first: usize, out: &mut [f32]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.bias[first + j];
            *o += sums[first + j] * scale;
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            z += *o;
        }
        for o in out.iter_mut() {
            *o /= z;
        }
    }
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
            walk(text, &mut sink);
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
        let mut categories = [0.0f32; 13];
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

/// Where [`walk`] sends each piece's bucket, in the order the pieces are found.
trait Sink {
    fn take(&mut self, bucket: u32);
    /// True once no further piece would be looked at ([`MAX_PIECES`] taken).
    fn full(&self) -> bool;
}

/// Collects buckets as found (duplicates included), for training and tests.
struct Collect<'a> {
    out: &'a mut [u32; MAX_PIECES],
    n: usize,
}

impl Sink for Collect<'_> {
    fn take(&mut self, bucket: u32) {
        if self.n < MAX_PIECES {
            self.out[self.n] = bucket;
            self.n += 1;
        }
    }

    fn full(&self) -> bool {
        self.n == MAX_PIECES
    }
}

/// Sums the rows of the distinct buckets among the first [`MAX_PIECES`] found.
struct Score<'a> {
    rows: &'a [QRow],
    seen: &'a mut [u64; BUCKETS / 64],
    /// Pieces taken so far, repeats included (the cap counts them, as [`pieces`] does).
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

/// FNV-1a over the example texts, each followed by its length so files cannot run together.
struct Key(u64);

impl Default for Key {
    fn default() -> Key {
        Key(0xcbf2_9ce4_8422_2325)
    }
}

impl Key {
    fn add(&mut self, text: &str) {
        for &b in text
            .as_bytes()
            .iter()
            .chain(&(text.len() as u64).to_le_bytes())
        {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The model trained on `examples`.
#[cfg(not(debug_assertions))]
fn trained(examples: &[Example], _key: u64) -> Model {
    Model::train(examples)
}

/// The model trained on `examples`, or the same weights kept from an earlier run of this
/// executable (see [`cache`]).
#[cfg(debug_assertions)]
fn trained(examples: &[Example], key: u64) -> Model {
    let Some((path, key)) = cache::place(key) else {
        return Model::train(examples);
    };
    if let Some(model) = cache::read(&path, key) {
        return model;
    }
    let model = Model::train(examples);
    cache::write(&path, key, &model);
    model
}

/// Debug builds only: training without optimisation takes seconds, and every test process
/// that builds a parser would pay them again. The weights trained from given examples by a
/// given executable never change, so the first process keeps them in a file next to the
/// executable (`<executable>.model`) and later runs of the same build read them back. The key
/// covers the examples' text and the executable's size and modification time, so a rebuild or
/// a new example retrains. Release builds always train: there is no weights file.
#[cfg(debug_assertions)]
mod cache {
    use std::path::{Path, PathBuf};

    use super::{BUCKETS, Model, QRow, Row};

    const MAGIC: &[u8; 8] = b"GLMODEL1";
    const LEN: usize = 8 + 8 + 2 * 16 * 4 + BUCKETS * 16;

    /// The cache file of this executable and the key mixed with its identity.
    pub(super) fn place(examples: u64) -> Option<(PathBuf, u64)> {
        let exe = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(&exe).ok()?;
        let modified = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let mut key = super::Key(examples);
        key.add(&format!("{}:{}", meta.len(), modified.as_nanos()));
        let mut name = exe.file_name()?.to_os_string();
        name.push(".model");
        Some((exe.with_file_name(name), key.0))
    }

    pub(super) fn read(path: &Path, key: u64) -> Option<Model> {
        let bytes = std::fs::read(path).ok()?;
        if bytes.len() != LEN || &bytes[..8] != MAGIC || bytes[8..16] != key.to_le_bytes() {
            return None;
        }
        let floats = |at: usize| {
            let mut out = [0.0f32; 16];
            for (j, f) in out.iter_mut().enumerate() {
                let b = &bytes[at + 4 * j..at + 4 * j + 4];
                *f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            out
        };
        let unit = floats(16);
        let bias = Row(floats(16 + 64));
        let rows = bytes[16 + 128..]
            .chunks_exact(16)
            .map(|c| {
                let mut q = [0i8; 16];
                for (q, &b) in q.iter_mut().zip(c) {
                    *q = b as i8;
                }
                QRow(q)
            })
            .collect();
        Some(Model { rows, unit, bias })
    }

    /// Writes the file whole under a temporary name and renames it, so a process running at
    /// the same time never reads half of it. A failure only means the next run trains again.
    pub(super) fn write(path: &Path, key: u64, model: &Model) {
        if model.rows.len() != BUCKETS {
            return;
        }
        let mut bytes = Vec::with_capacity(LEN);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&key.to_le_bytes());
        for f in model.unit.iter().chain(&model.bias.0) {
            bytes.extend_from_slice(&f.to_le_bytes());
        }
        for r in &model.rows {
            bytes.extend(r.0.iter().map(|&q| q as u8));
        }
        let mut tmp = path.as_os_str().to_os_string();
        tmp.push(format!(".{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
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
        if row.text.trim().is_empty() {
            return Err(fail("empty text".to_string()));
        }
        let category = match (row.is_request, row.categories.as_deref()) {
            (true, Some([first, ..])) => Some(*first),
            (true, _) => return Err(fail("a request needs at least one category".to_string())),
            (false, None | Some([])) => None,
            (false, Some(_)) => return Err(fail("a non-request has no categories".to_string())),
        };
        let urgent = match (row.is_request, row.urgency.as_deref()) {
            (true, Some("urgent")) => Some(true),
            (true, Some("normal")) => Some(false),
            (true, Some("any")) => None,
            (false, None) => None,
            (_, other) => {
                return Err(fail(format!(
                    "urgency {other:?} does not fit a {}",
                    if row.is_request {
                        "request (normal, urgent or any)"
                    } else {
                        "non-request (null)"
                    }
                )));
            }
        };
        let norm = super::text::normalise(&row.text);
        let mut buf = [0u32; MAX_PIECES];
        let n = pieces(&norm, &mut buf);
        out.push(Example {
            pieces: buf[..n].to_vec(),
            request: row.is_request,
            urgent,
            category,
        });
    }
    Ok(())
}

/// Deterministic Fisher–Yates with xorshift64.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{3400}'..='\u{9fff}').contains(&c)
}

/// Kinds of piece, mixed into the hash so a Chinese character and an English word never share
/// a bucket by construction.
const CJK: u64 = 0x9e37_79b9_7f4a_7c15;
const WORD: u64 = 0xc2b2_ae3d_27d4_eb4f;
const PAIR: u64 = 0x1656_67b1_9e37_79f9;
const GRAM: u64 = 0x27d4_eb2f_1656_67c5;

fn mix(h: u64, x: u64) -> u64 {
    let h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
    h ^ (h >> 29)
}

fn bucket(h: u64) -> u32 {
    let h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - BITS)) as u32
}

/// Adds one piece.
#[inline]
fn push<S: Sink>(out: &mut S, h: u64) {
    out.take(bucket(h));
}

/// The pieces of one English word: the word, the pair with the word before, its letter pieces.
fn word_pieces<S: Sink>(word: &[u8], prev: &mut Option<u64>, out: &mut S) {
    // Apostrophes at the edges are quotes, not part of the word.
    let mut w = word;
    while let [b'\'', rest @ ..] = w {
        w = rest;
    }
    while let [rest @ .., b'\''] = w {
        w = rest;
    }
    if w.is_empty() {
        return;
    }
    let mut h = WORD;
    for &b in w {
        h = mix(h, u64::from(b));
    }
    push(out, h);
    if let Some(p) = *prev {
        push(out, mix(mix(PAIR, p), h));
    }
    *prev = Some(h);
    if w.len() > 2 {
        // Letter pieces of 3 to 5 over the word with its edges marked ("<flo", "ood>").
        let mut marked = [0u8; WORD_MAX + 2];
        marked[0] = b'<';
        marked[1..=w.len()].copy_from_slice(w);
        marked[w.len() + 1] = b'>';
        let m = &marked[..w.len() + 2];
        for k in 3..=5 {
            for piece in m.windows(k) {
                let mut g = mix(GRAM, k as u64);
                for &b in piece {
                    g = mix(g, u64::from(b));
                }
                push(out, g);
            }
        }
    }
}

/// Letters of an English word that are looked at; the rest of a longer one is ignored.
const WORD_MAX: usize = 24;

/// The hashed pieces of a text, each once, sorted; returns how many were written.
pub(crate) fn pieces(text: &str, out: &mut [u32; MAX_PIECES]) -> usize {
    let mut sink = Collect { out, n: 0 };
    walk(text, &mut sink);
    let n = sink.n;
    let pieces = &mut out[..n];
    pieces.sort_unstable();
    let mut kept = 0;
    for i in 0..n {
        if kept == 0 || pieces[i] != pieces[kept - 1] {
            pieces[kept] = pieces[i];
            kept += 1;
        }
    }
    kept
}

/// Finds the pieces of a text in order, repeats included, until the sink is full.
fn walk<S: Sink>(text: &str, out: &mut S) {
    // The hashes of the last character and the last pair of the current CJK run: a pair is its
    // first character's hash mixed with the second, a triple its first pair's hash mixed with
    // the third, so each CJK character costs three mixes.
    let mut last_char = 0u64;
    let mut last_pair = 0u64;
    let mut run_len = 0usize;
    // The current English word (lowercase ASCII, digit runs folded to one '0').
    let mut word = [0u8; WORD_MAX];
    let mut word_len = 0usize;
    // The hash of the previous English word, if no Chinese came between.
    let mut prev_word: Option<u64> = None;
    for c in text.chars() {
        if out.full() {
            // Nothing more would be taken: the rest of a very long text is not read.
            return;
        }
        let lower = c.to_ascii_lowercase();
        let english = lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '\'';
        if !english && word_len > 0 {
            word_pieces(&word[..word_len], &mut prev_word, out);
            word_len = 0;
        }
        if is_cjk(c) {
            prev_word = None;
            let code = u64::from(u32::from(c));
            run_len += 1;
            let single = mix(CJK, code);
            push(out, single);
            let pair = mix(last_char, code);
            if run_len >= 2 {
                push(out, pair);
            }
            if run_len >= 3 {
                push(out, mix(last_pair, code));
            }
            last_char = single;
            last_pair = pair;
            continue;
        }
        run_len = 0;
        if english && word_len < WORD_MAX {
            let b = lower as u8;
            let b = if b.is_ascii_digit() { b'0' } else { b };
            // "2024" and "5" are the same piece: a number.
            if !(b == b'0' && word_len > 0 && word[word_len - 1] == b'0') {
                word[word_len] = b;
                word_len += 1;
            }
        }
    }
    if word_len > 0 {
        word_pieces(&word[..word_len], &mut prev_word, out);
    }
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

    #[cfg(debug_assertions)]
    #[test]
    fn kept_weights_read_back_exactly_and_only_for_their_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gridline.model");
        let model = Model::from_rows("tiny.jsonl", &tiny()).expect("valid rows");
        cache::write(&path, 7, &model);
        let back = cache::read(&path, 7).expect("written");
        assert_eq!(back.rows, model.rows);
        assert_eq!(back.unit, model.unit);
        assert_eq!(back.bias, model.bias);
        for t in ["楼下着火了", "pipes leaked", ""] {
            assert_eq!(back.judge(t), model.judge(t), "{t}");
        }
        assert!(cache::read(&path, 8).is_none(), "another key");
        std::fs::write(&path, b"GLMODEL1 truncated").expect("write");
        assert!(cache::read(&path, 7).is_none(), "a damaged file");
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
