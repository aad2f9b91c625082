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
//! examples are the corpus's train split, compiled into the binary, plus any `*.jsonl` files a
//! coordinator puts in the lexicon directory (the corpus schema, see corpus/README.md). There is
//! no weights file: the same examples always give the same weights (fixed epochs, a fixed
//! shuffle), and a bad example stops start-up with its file and line.
//!
//! Training is multinomial logistic regression with AdaGrad and a little L2, the piece vector
//! scaled by 1/√n so long messages do not shout.

use std::path::Path;

use super::LexiconError;
use super::eval::Labelled;
use crate::domain::Category;

/// The examples every gridline learns from: the corpus's train split (never dev or test).
const BUILT_IN: (&str, &str) = (
    "corpus/train.jsonl",
    include_str!("../../corpus/train.jsonl"),
);

/// Table size (a power of two). Distinct pieces in the corpus are about 60,000; a table four
/// times larger keeps collisions rare.
const BUCKETS: usize = 1 << 18;
/// Weights per bucket: request, not request, urgent, normal, then the 13 categories. One row
/// per bucket keeps a piece's weights in one or two cache lines.
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

/// The trained weights.
pub(crate) struct Model {
    /// `BUCKETS` rows of `ROW` weights.
    weights: Vec<f32>,
    bias: [f32; ROW],
}

/// One labelled example as the trainer sees it.
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
        add_examples(&mut examples, BUILT_IN.0, BUILT_IN.1)?;
        if let Some(dir) = dir {
            for path in example_files(dir)? {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| LexiconError {
                    file: name.clone(),
                    line: 0,
                    message: format!("cannot read: {e}"),
                })?;
                add_examples(&mut examples, &name, &text)?;
            }
        }
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
        let mut model = Model {
            weights: vec![0.0; BUCKETS * ROW],
            bias: [0.0; ROW],
        };
        // AdaGrad's running sums of squared gradients, per weight.
        let mut g2 = vec![1e-8f32; BUCKETS * ROW];
        let mut gb = [1e-8f32; ROW];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut probs = [0.0f32; 13];
        let mut targets: [(usize, usize, usize); 3] = [(0, 0, 0); 3];
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
                for &(first, k, target) in &targets[..n] {
                    let p = &mut probs[..k];
                    model.softmax(&ex.pieces, scale, first, p);
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
                        for &piece in &ex.pieces {
                            let at = piece as usize * ROW + col;
                            let w = model.weights[at];
                            let gg = g * scale + L2 * w;
                            g2[at] += gg * gg;
                            model.weights[at] = w - RATE * gg / g2[at].sqrt();
                        }
                    }
                }
            }
        }
        model
    }

    /// Class probabilities of one model (columns `first..first + out.len()`).
    fn softmax(&self, pieces: &[u32], scale: f32, first: usize, out: &mut [f32]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.bias[first + j];
        }
        let mut sums = [0.0f32; 13];
        for &piece in pieces {
            let row = &self.weights[piece as usize * ROW + first..][..out.len()];
            for (s, w) in sums.iter_mut().zip(row) {
                *s += w;
            }
        }
        for (o, s) in out.iter_mut().zip(sums) {
            *o += s * scale;
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

    /// The model's opinion of a (width-normalised) text.
    pub(crate) fn judge(&self, text: &str) -> Opinion {
        let mut buf = [0u32; MAX_PIECES];
        let n = pieces(text, &mut buf);
        let pieces = &buf[..n];
        let scale = 1.0 / (n.max(1) as f32).sqrt();
        let mut sums = [0.0f32; ROW];
        for &piece in pieces {
            let row = &self.weights[piece as usize * ROW..][..ROW];
            for (s, w) in sums.iter_mut().zip(row) {
                *s += w;
            }
        }
        let score = |j: usize| self.bias[j] + sums[j] * scale;
        let mut categories = [0.0f32; 13];
        for (j, c) in categories.iter_mut().enumerate() {
            *c = score(CAT + j);
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
            request: score(REQ) - score(REQ + 1),
            urgent: score(URG) - score(URG + 1),
            categories,
        }
    }
}

/// The `*.jsonl` files of a directory, in name order.
fn example_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, LexiconError> {
    let unreadable = |message: String| LexiconError {
        file: dir.display().to_string(),
        line: 0,
        message,
    };
    let mut files = Vec::new();
    for item in
        std::fs::read_dir(dir).map_err(|e| unreadable(format!("cannot read directory: {e}")))?
    {
        let path = item
            .map_err(|e| unreadable(format!("cannot read directory: {e}")))?
            .path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
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
    (h >> (64 - 18)) as u32
}

/// Adds one piece (if there is room).
fn push(out: &mut [u32; MAX_PIECES], n: &mut usize, h: u64) {
    if *n < MAX_PIECES {
        out[*n] = bucket(h);
        *n += 1;
    }
}

/// The pieces of one English word: the word, the pair with the word before, its letter pieces.
fn word_pieces(word: &[u8], prev: &mut Option<u64>, out: &mut [u32; MAX_PIECES], n: &mut usize) {
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
    push(out, n, h);
    if let Some(p) = *prev {
        push(out, n, mix(mix(PAIR, p), h));
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
                push(out, n, g);
            }
        }
    }
}

/// Letters of an English word that are looked at; the rest of a longer one is ignored.
const WORD_MAX: usize = 24;

/// The hashed pieces of a text, each once, sorted; returns how many were written.
pub(crate) fn pieces(text: &str, out: &mut [u32; MAX_PIECES]) -> usize {
    let mut n = 0;
    // The last three CJK characters of the current run.
    let mut run: [u64; 3] = [0; 3];
    let mut run_len = 0usize;
    // The current English word (lowercase ASCII, digit runs folded to one '0').
    let mut word = [0u8; WORD_MAX];
    let mut word_len = 0usize;
    // The hash of the previous English word, if no Chinese came between.
    let mut prev_word: Option<u64> = None;
    for c in text.chars() {
        let lower = c.to_ascii_lowercase();
        let english = lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '\'';
        if !english && word_len > 0 {
            word_pieces(&word[..word_len], &mut prev_word, out, &mut n);
            word_len = 0;
        }
        if is_cjk(c) {
            prev_word = None;
            let code = u64::from(u32::from(c));
            run = [run[1], run[2], code];
            run_len += 1;
            push(out, &mut n, mix(CJK, code));
            if run_len >= 2 {
                push(out, &mut n, mix(mix(CJK, run[1]), code));
            }
            if run_len >= 3 {
                push(out, &mut n, mix(mix(mix(CJK, run[0]), run[1]), code));
            }
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
        word_pieces(&word[..word_len], &mut prev_word, out, &mut n);
    }
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
