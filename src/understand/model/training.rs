//! The model's pieces and its training, in plain Rust with nothing of the rest of gridline: the
//! parser uses it to score messages and to train when a coordinator's examples or people's
//! corrections join the built-in ones, and build.rs compiles the same file to train the
//! built-in weights when gridline is built. One copy of the arithmetic is what makes the
//! embedded weights exactly those that training at start-up would give.

use std::borrow::Cow;

/// Table size (a power of two). The train split alone has about 41,000 distinct pieces; a larger
/// table collides less but is slower to score, because every piece is a random memory access
/// and the table must stay in the processor's cache (2^16 rows of 16 bytes: 1 MB).
pub(crate) const BITS: u32 = 16;
pub(crate) const BUCKETS: usize = 1 << BITS;
/// Weights per bucket while training: request, not request, urgent, normal, then the 13
/// categories.
const ROW: usize = 4 + 13;
const REQ: usize = 0;
const URG: usize = 2;
const CAT: usize = 4;
/// Categories, in the order of `Category::ALL`.
pub(crate) const CATEGORIES: usize = 13;

/// Most pieces looked at in one message: about 250 Chinese characters or 80 English words.
pub(crate) const MAX_PIECES: usize = 768;

const EPOCHS: usize = 15;
/// How much of a request's category target is shared among all its acceptable categories
/// (the rest goes to the preferred one). A message about a cracked wall over a path is safety
/// *or* property; learning the preferred one alone taught the model that the other was wrong.
/// 0.7 was the best of 0, 0.3, 0.5, 0.7 and 1 on cross-validated train+dev (category 6349,
/// 6358, 6359, 6369 and 6350 of 6778).
const ALSO: f32 = 0.7;
const RATE: f32 = 0.3;
const L2: f32 = 1e-4;

/// Scoring columns of a [`Row`]: request log-odds, urgency log-odds, then the category scores.
pub(crate) const S_REQ: usize = 0;
pub(crate) const S_URG: usize = 1;
pub(crate) const S_CAT: usize = 2;

/// One bucket's scoring weights, or the biases, in one cache line.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct Row(pub(crate) [f32; 16]);

/// One bucket's quantised scoring weights; aligned so a row is one access, never split
/// between two cache lines.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(16))]
pub(crate) struct QRow(pub(crate) [i8; 16]);

/// Trained weights as scored.
#[derive(Debug, PartialEq)]
pub(crate) struct Weights {
    /// Per bucket, weights quantised to bytes: the table is a quarter of the size of 32-bit
    /// weights, so it stays in cache.
    pub(crate) rows: Vec<QRow>,
    /// What one unit of a quantised weight is worth, per column.
    pub(crate) unit: [f32; 16],
    pub(crate) bias: Row,
}

/// Size of [`Weights::to_bytes`]: the units, the biases, then every bucket's row.
pub(crate) const WEIGHTS_BYTES: usize = 2 * 16 * 4 + BUCKETS * 16;

impl Weights {
    /// The weights as bytes (floats little-endian), as build.rs embeds them in the binary.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(WEIGHTS_BYTES);
        for f in self.unit.iter().chain(&self.bias.0) {
            bytes.extend_from_slice(&f.to_le_bytes());
        }
        for r in &self.rows {
            bytes.extend(r.0.iter().map(|&q| q as u8));
        }
        bytes
    }

    /// Reads [`Weights::to_bytes`] back; `None` if the length is not a whole table.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Weights> {
        if bytes.len() != WEIGHTS_BYTES {
            return None;
        }
        let floats = |at: usize| {
            let mut out = [0.0f32; 16];
            for (f, b) in out.iter_mut().zip(bytes[at..at + 64].chunks_exact(4)) {
                *f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            out
        };
        let rows = bytes[128..]
            .chunks_exact(16)
            .map(|c| {
                let mut q = [0i8; 16];
                for (q, &b) in q.iter_mut().zip(c) {
                    *q = b as i8;
                }
                QRow(q)
            })
            .collect();
        Some(Weights {
            rows,
            unit: floats(0),
            bias: Row(floats(64)),
        })
    }
}

/// One labelled example as the trainer sees it.
#[derive(Clone)]
pub(crate) struct Example {
    pub(crate) pieces: Vec<u32>,
    pub(crate) request: bool,
    pub(crate) urgent: Option<bool>,
    /// The preferred category (its index in `Category::ALL`).
    pub(crate) category: Option<usize>,
    /// Every acceptable category, the preferred one included, one bit each (bit i is
    /// `Category::ALL[i]`); 0 when not a request.
    pub(crate) accepted: u16,
}

/// The example of one labelled row of the corpus schema, or why it makes no sense as a lesson.
/// `categories` are indices in `Category::ALL`, preferred first.
pub(crate) fn example(
    text: &str,
    is_request: bool,
    categories: Option<&[usize]>,
    urgency: Option<&str>,
) -> Result<Example, String> {
    if text.trim().is_empty() {
        return Err("empty text".to_string());
    }
    let category = match (is_request, categories) {
        (true, Some([first, ..])) => Some(*first),
        (true, _) => return Err("a request needs at least one category".to_string()),
        (false, None | Some([])) => None,
        (false, Some(_)) => return Err("a non-request has no categories".to_string()),
    };
    let urgent = match (is_request, urgency) {
        (true, Some("urgent")) => Some(true),
        (true, Some("normal")) => Some(false),
        (true, Some("any")) => None,
        (false, None) => None,
        (_, other) => {
            return Err(format!(
                "urgency {other:?} does not fit a {}",
                if is_request {
                    "request (normal, urgent or any)"
                } else {
                    "non-request (null)"
                }
            ));
        }
    };
    let norm = normalise(text);
    let mut buf = [0u32; MAX_PIECES];
    let n = pieces(&norm, &mut buf);
    let accepted = match categories {
        Some(cs) if is_request => cs
            .iter()
            .filter(|&&c| c < CATEGORIES)
            .fold(0u16, |m, &c| m | 1 << c),
        _ => 0,
    };
    Ok(Example {
        pieces: buf[..n].to_vec(),
        request: is_request,
        urgent,
        category,
        accepted,
    })
}

/// Trains the three models on `examples` (multinomial logistic regression with AdaGrad and a
/// little L2, the piece vector scaled by 1/√n so long messages do not shout) and quantises
/// their weights. The same examples in the same order always give the same weights.
pub(crate) fn train(examples: &[Example]) -> Weights {
    let t = Trainer::train(examples);
    let row = |w: &[f32]| {
        let mut r = [0.0f32; 16];
        r[S_REQ] = w[REQ] - w[REQ + 1];
        r[S_URG] = w[URG] - w[URG + 1];
        r[S_CAT..S_CAT + CATEGORIES].copy_from_slice(&w[CAT..CAT + CATEGORIES]);
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
    Weights {
        rows: rows.iter().map(quantise).collect(),
        unit,
        bias: row(&t.bias),
    }
}

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
        let mut probs = [0.0f32; CATEGORIES];
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
                    targets[n] = (CAT, CATEGORIES, c);
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
                    // The category's target: part on the preferred category, the rest shared
                    // among every acceptable one as the model already ranks them.
                    let set = if first == CAT {
                        ex.accepted | 1 << target
                    } else {
                        0
                    };
                    let in_set: f32 = p
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| set >> j & 1 == 1)
                        .map(|(_, &pj)| pj)
                        .sum();
                    let also = if set.count_ones() > 1 { ALSO } else { 0.0 };
                    for (j, &pj) in p.iter().enumerate() {
                        let mut t = if j == target { 1.0 - also } else { 0.0 };
                        if set >> j & 1 == 1 && in_set > 0.0 {
                            t += also * pj / in_set;
                        }
                        let g = pj - t;
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

/// Maps full-width ASCII (`１２栋`, `ＯＫ`, `：`) and the ideographic space to their plain forms,
/// so lexicon terms, place patterns and the model's pieces see one spelling. Borrows when
/// nothing changes, which is the common case.
pub(crate) fn normalise(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_mapping) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(map_char).collect())
}

fn needs_mapping(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

fn map_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        // Zero-width characters pasted from other apps would split words; a space is harmless.
        '\u{200B}'..='\u{200D}' | '\u{FEFF}' => ' ',
        _ => c,
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

/// Where [`walk`] sends each piece's bucket, in the order the pieces are found.
pub(crate) trait Sink {
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
pub(crate) fn walk<S: Sink>(text: &str, out: &mut S) {
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
