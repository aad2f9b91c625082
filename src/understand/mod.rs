//! Message understanding: is this text a request, and if so what about, how urgent, and where.
//!
//! The parser is pure: no I/O after [`Parser::load`], safe to share between threads.
//! The readers of command arguments (`42`, `#42`, `QS-DF-01#42`, ratings, categories) are in
//! [`command`]; the commands themselves are in `engine::commands`.
//!
//! How it decides (docs/parser.md has the long version): every lexicon term found in the text
//! (one Aho-Corasick pass) adds to a tally per kind of evidence — topic and issue words per
//! category, generic problems, asks, urgency, and the evidence against a request (resolved,
//! thanks, notices, neighbours' asks, ads, small talk, "never mind"). A fixed linear score over
//! the capped tallies, squashed to 0..1, is the confidence. The best-scoring category wins, the
//! urgency cues decide urgent, and [`place`] finds where.

pub mod cli;
pub mod command;
pub mod eval;
mod followup;
mod lexicon;
mod model;
mod place;
mod score;
mod text;

use crate::domain::{Category, Urgency};
use daachorse::CharwiseDoubleArrayAhoCorasick;
use jieba_rs::Jieba;
use serde::Serialize;
use std::ops::Range;
use std::path::Path;

use lexicon::{Builder, Entry, Kind, Lexicon};
use place::{PlaceHit, PlaceRules};

/// What the parser concluded about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understanding {
    pub is_request: bool,
    pub category: Option<Category>,
    pub urgency: Option<Urgency>,
    /// The place as written ("3栋2单元", "Block 5").
    pub location: Option<String>,
    /// 0.0 ..= 1.0: how sure the parser is of `is_request`.
    pub confidence: f32,
    /// Written in an explicit form (`/report …`, `#诉求 …`, `报修：…`): always a ticket.
    pub explicit: bool,
    /// The text with any explicit prefix removed.
    pub body: String,
    /// For an urgent reading, the cues that decided it, as written in the message (`煤气味`,
    /// `老人`); empty when the learned model alone heard the urgency, and for normal readings.
    pub why: Vec<String>,
}

/// A person's correction of a reading (改类, 改为紧急/一般, 驳回, a confirmation answered), as the
/// learned model learns from it. The stored form is `store::examples`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub text: String,
    pub is_request: bool,
    /// The corrected category, when the correction says one.
    pub category: Option<Category>,
    /// The corrected urgency, when the correction says one.
    pub urgency: Option<Urgency>,
}

/// What the engine should do with a message, by confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Open a ticket.
    Open,
    /// Ask the sender to confirm before opening one.
    Confirm,
    /// Say nothing.
    Silent,
}

impl Understanding {
    /// Not a request, no details: what a staff message reads as unless explicit.
    fn silent(body: String) -> Understanding {
        Understanding {
            is_request: false,
            category: None,
            urgency: None,
            location: None,
            confidence: 0.0,
            explicit: false,
            body,
            why: Vec::new(),
        }
    }

    /// This reading as a person corrected it.
    fn corrected(&mut self, c: &Correction) {
        if c.is_request {
            self.is_request = true;
            self.confidence = self.confidence.max(CORRECTED_REQUEST);
            self.category = c.category.or(self.category).or(Some(Category::Other));
            self.urgency = c.urgency.or(self.urgency).or(Some(Urgency::Normal));
            if self.urgency != Some(Urgency::Urgent) {
                self.why.clear();
            }
        } else {
            *self = Understanding {
                confidence: self.confidence.min(CORRECTED_NOT),
                ..Understanding::silent(std::mem::take(&mut self.body))
            };
        }
    }

    /// This reading of a resident's message as it reads from staff: `parse(text, true)` is
    /// `parse(text, false).as_staff()`, so a message read ahead, before its sender is known,
    /// serves both.
    pub fn as_staff(self) -> Understanding {
        if self.explicit {
            self
        } else {
            Understanding::silent(self.body)
        }
    }

    /// The band for configured thresholds (`parser.open_threshold`, `parser.confirm_threshold`):
    /// explicit reports always open; otherwise confidence at or above `open_threshold` opens,
    /// at or above `confirm_threshold` asks, and anything lower stays silent.
    pub fn band(&self, open_threshold: f32, confirm_threshold: f32) -> Band {
        if self.explicit || self.confidence >= open_threshold {
            Band::Open
        } else if self.confidence >= confirm_threshold && self.confidence > 0.0 {
            Band::Confirm
        } else {
            Band::Silent
        }
    }
}

/// The confidence of a message a person said is a request (opens at the default
/// thresholds) and the most of one they said is not (silent at them).
const CORRECTED_REQUEST: f32 = 0.9;
const CORRECTED_NOT: f32 = 0.1;

/// Loading the lexicons failed: names the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LexiconError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The request parser. Build once at start with [`Parser::load`], then share.
pub struct Parser {
    lex: Lexicon,
    matcher: Matcher,
    jieba: Jieba,
    places: PlaceRules,
    /// The model and the corrected texts, replaced whole when corrections are learned
    /// ([`Parser::learn`]); a message is read with those current when its reading began.
    learned: std::sync::RwLock<std::sync::Arc<Learned>>,
    /// Where the extra lexicons and examples were read from, to learn again from the same.
    dir: Option<std::path::PathBuf>,
}

/// What the parser learned from examples and corrections.
struct Learned {
    model: model::Model,
    /// Corrected messages by their normalised, trimmed text: the same words sent again (a
    /// forwarded advert, a repeated report) are read as the person corrected them.
    exact: std::collections::HashMap<String, Correction>,
}

impl Learned {
    fn new(model: model::Model, corrections: &[Correction]) -> Learned {
        let exact = corrections
            .iter()
            .map(|c| (text::normalise(&c.text).trim().to_string(), c.clone()))
            .collect();
        Learned { model, exact }
    }
}

/// Finds every lexicon term in a text, overlapping ones included, each as the index of its
/// pattern; the patterns are lowercase, so the text is searched lowercased. Matches come in the
/// order of where they end, the longer first where two end together.
type Matcher = CharwiseDoubleArrayAhoCorasick<u32>;

/// Most lexicon hits one message can produce that are looked at; the rest of a very long text
/// adds nothing a person would not have said in its first few hundred words.
const MAX_HITS: usize = 96;

/// Most words named for an urgent reading the model alone made ([`Parser::model_cues`]).
const MODEL_CUES: usize = 3;

/// How far (bytes) before a problem word its object may be named: about eight Chinese
/// characters or thirty English letters.
const HEAD_WINDOW: u32 = 30;

/// A year gone by named in a message ("1998年发大水", "零八年那场雪", "the blackout in 2003"):
/// the past told as a story, weighed as the past-story words of cues.toml are.
const PAST_YEAR: Entry = Entry {
    kind: Kind::Frame,
    category: None,
    weight: 4.5,
    whole_word: false,
    prefix: false,
    ascii_start: false,
    ascii_end: false,
};

/// A supposition governing the problem words ("要是哪天电梯坏了…", "what would we do if the
/// lift broke down"): nothing has happened, weighed as the dreams and "what if one day" of
/// cues.toml are ([`Parser::supposed`]).
/// A reply to a named neighbour or a quoted message (`回复 老陈：卫生院初一就有人值班`,
/// `引用「…」：能 全国通办`): most answer the neighbour, so the reply counts as a neighbour's
/// word unless its own words report a problem of the sender's.
const REPLY: Entry = Entry {
    kind: Kind::Neighbour,
    category: None,
    weight: 1.5,
    whole_word: false,
    prefix: false,
    ascii_start: false,
    ascii_end: false,
};

const SUPPOSED: Entry = Entry {
    kind: Kind::Frame,
    category: None,
    weight: 4.5,
    whole_word: false,
    prefix: false,
    ascii_start: false,
    ascii_end: false,
};

/// Words that open a supposition. English ones must stand as words.
const SUPPOSE: [&str; 13] = [
    "要是",
    "假如",
    "万一",
    "如果",
    "假设",
    "倘若",
    "若是",
    "if",
    "in case",
    "suppose",
    "supposing",
    "hypothetically",
    "imagine",
];

/// After an opener, words that make it no supposition about a danger: the sender asks the
/// reader to act on a sighting ("如果有人看到我爸", "if anyone sees her", "if found") or is
/// polite ("如果方便", "要是能修一下", "if possible").
const NOT_SUPPOSED_AFTER: [&str; 33] = [
    "有人看到",
    "有人看见",
    "有人见到",
    "谁看到",
    "谁看见",
    "看到",
    "看见",
    "见到",
    "捡到",
    "方便",
    "可以",
    "有空",
    "能",
    "有需要",
    "需要",
    "anyone",
    "anybody",
    "any1",
    "someone",
    "somebody",
    "you",
    "u ",
    "ur ",
    "possible",
    "can ",
    "could ",
    "needed",
    "not ",
    "interested",
    "found",
    "seen",
    "spotted",
    "so ",
];

/// English words right before "if" that make it "whether" ("not sure if", "anyone know if")
/// or no supposition ("as if", "even if").
const WHETHER_BEFORE: [&str; 14] = [
    "know",
    "knows",
    "sure",
    "wonder",
    "wondering",
    "wondered",
    "check",
    "see",
    "ask",
    "asking",
    "tell",
    "dunno",
    "as",
    "even",
];

/// Words that say the problem is here now, whatever supposition is made about it: the time
/// ("现在", "already", "since monday") or how long it has lasted ("for a week").
const PRESENT: [&str; 16] = [
    "现在",
    "已经",
    "刚才",
    "刚刚",
    "正在",
    "这会儿",
    "目前",
    "just now",
    "right now",
    "already",
    "currently",
    "at the moment",
    "since",
    "for a week",
    "for days",
    "for weeks",
];

/// Words that turn from small talk to business ("good morning all … btw the manhole cover is
/// missing", "早上好 今天天气好好哦 对了 我们家那个申请…"): the greetings, jokes and stories
/// before them introduce the report, they do not frame it ([`turn`]). "Anyway" is none: it as
/// often closes the business ("anyway it got fixed last wk").
const TURN: [&str; 12] = [
    "对了",
    "顺便说",
    "顺便讲",
    "说个事",
    "想起来个事",
    "另外说",
    "btw",
    "by the way",
    "quick thing",
    "quick question",
    "on another note",
    "separate thing",
];

/// What a strong urgency cue adds to the categories: safety, as much as a topic word, once
/// a message: several alarms in one report say how bad it is, not what it is about.
const DANGER: Entry = Entry {
    kind: Kind::Topic,
    category: Some(Category::Safety),
    weight: 1.5,
    whole_word: false,
    prefix: false,
    ascii_start: false,
    ascii_end: false,
};

/// One term found in the text.
#[derive(Clone, Copy, Default)]
struct Hit {
    start: u32,
    end: u32,
    pattern: u32,
    /// Which of the pattern's first 32 meanings sit on their boundaries in this text (bit k for
    /// meaning k), found once when the hit is kept; later meanings are checked when read.
    ok: u32,
}

/// Meanings per pattern whose boundary check a [`Hit`] remembers.
const MASKED: usize = 32;

impl Parser {
    /// Builds the parser from the built-in lexicons, extended by `*.toml` files in `dir` if given.
    pub fn load(dir: Option<&Path>) -> Result<Parser, LexiconError> {
        Parser::load_with(dir, &[])
    }

    /// [`Parser::load`], the model also learning from people's corrections.
    pub fn load_with(
        dir: Option<&Path>,
        corrections: &[Correction],
    ) -> Result<Parser, LexiconError> {
        // The model's weights are embedded at build time; it trains at start only when
        // examples beyond the built-in ones exist (a coordinator's `*.jsonl`, corrections),
        // then while the lexicons and the segmenter load, on a second core where there is one.
        std::thread::scope(|scope| {
            let trainer = scope.spawn(|| model::Model::load_with(dir, corrections));
            let parts = Parser::load_lexicons(dir);
            let model = trainer.join().map_err(|_| LexiconError {
                file: "(examples)".to_string(),
                line: 0,
                message: "training the model failed".to_string(),
            })??;
            let (lex, matcher, jieba, places) = parts?;
            Ok(Parser {
                lex,
                matcher,
                jieba,
                places,
                learned: std::sync::RwLock::new(std::sync::Arc::new(Learned::new(
                    model,
                    corrections,
                ))),
                dir: dir.map(Path::to_path_buf),
            })
        })
    }

    /// Trains the model again from the built-in examples, the lexicon directory's and
    /// `corrections`, and reads every later message with it; messages being read meanwhile
    /// finish with the model they began with. Training on every example takes about half a
    /// second in a release build: call it off the async threads. Explicit forms (`/report`, `报修：`)
    /// open tickets whatever the model learns: they are decided before it is asked.
    pub fn learn(&self, corrections: &[Correction]) -> Result<(), LexiconError> {
        let model = model::Model::load_with(self.dir.as_deref(), corrections)?;
        let learned = std::sync::Arc::new(Learned::new(model, corrections));
        *self.learned.write().unwrap_or_else(|p| p.into_inner()) = learned;
        Ok(())
    }

    /// The model messages are read with now.
    #[cfg(test)]
    pub(crate) fn model(&self) -> impl std::ops::Deref<Target = model::Model> + '_ {
        struct Current(std::sync::Arc<Learned>);
        impl std::ops::Deref for Current {
            type Target = model::Model;
            fn deref(&self) -> &model::Model {
                &self.0.model
            }
        }
        Current(
            self.learned
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }

    /// The lexicons, their matcher, the segmenter and the place rules.
    fn load_lexicons(
        dir: Option<&Path>,
    ) -> Result<(Lexicon, Matcher, Jieba, PlaceRules), LexiconError> {
        let mut builder = Builder::built_in()?;
        if let Some(dir) = dir {
            builder.add_dir(dir)?;
        }
        let lex = builder.build();
        let internal = |message: String| LexiconError {
            file: "(lexicons)".to_string(),
            line: 0,
            message,
        };
        let matcher = Matcher::with_values(lex.patterns.iter().zip(0u32..))
            .map_err(|e| internal(format!("cannot build the term matcher: {e}")))?;
        let places = PlaceRules::new(&lex)
            .map_err(|e| internal(format!("cannot build the place patterns: {e}")))?;
        let mut jieba = Jieba::new();
        // Multi-character place words stay whole when segmenting ("村委会", "垃圾站").
        for (i, pattern) in lex.patterns.iter().enumerate() {
            let is_place = lex.entries[lex.meanings[i].clone()]
                .iter()
                .any(|e| e.kind == Kind::Place && !e.whole_word);
            if is_place && !pattern.is_ascii() && pattern.chars().count() >= 2 {
                jieba.add_word(pattern, None, Some("s"));
            }
        }
        Ok((lex, matcher, jieba, places))
    }

    /// Understands one message. `from_staff` is true for leaders, deputies and coordinators,
    /// whose messages are requests only in explicit form.
    pub fn parse(&self, text: &str, from_staff: bool) -> Understanding {
        let learned = self.learned.read().unwrap_or_else(|p| p.into_inner());
        let mut u = self.parse_with(text, from_staff, &learned.model, &score::Blend::SHIPPED);
        // A message a person corrected, sent again, is read as corrected; explicit forms
        // always open and staff messages are never requests, whatever was corrected.
        if !u.explicit
            && !from_staff
            && !learned.exact.is_empty()
            && let Some(c) = learned.exact.get(text::normalise(text).trim())
        {
            u.corrected(c);
        }
        u
    }

    /// [`Parser::parse`] with a given model and blend: cross-validation scores held-out rows
    /// with a model that never learned them, through the same code the parser runs.
    #[inline(always)]
    pub(crate) fn parse_with(
        &self,
        text: &str,
        from_staff: bool,
        model: &model::Model,
        blend: &score::Blend,
    ) -> Understanding {
        let norm = text::normalise(text);
        if let Some(body) = text::explicit_body(&norm) {
            let (reading, why) = self.read(body, false, model, blend);
            return Understanding {
                is_request: true,
                category: Some(reading.category.unwrap_or(Category::Other)),
                urgency: Some(reading.urgency),
                location: reading.location,
                confidence: 1.0,
                explicit: true,
                body: body.to_string(),
                why,
            };
        }
        let body = text.trim().to_string();
        if from_staff {
            return Understanding::silent(body);
        }
        // In a reply that quotes another message, the reply says what this message is.
        let own = text::own_words(&norm);
        let (mut reading, why) = self.read(own, own.len() < norm.len(), model, blend);
        if own.len() < norm.len() && reading.location.is_none() && reading.confidence >= 0.3 {
            // "「孙叔：小区路灯坏了」—— 篮球场那边的灯也坏了": the place may be in the quote.
            reading.location = self.tally(&norm).location;
        }
        // A place and nothing else ("在5栋2单元") says where, not what: it belongs to the
        // sender's report of a moment before or after, never a request by itself.
        if reading.confidence >= 0.3
            && reading.location.is_some()
            && own.len() <= 120
            && self.bare_place(own).is_some()
        {
            reading.confidence = reading.confidence.min(0.1);
        }
        let is_request = reading.confidence >= 0.5;
        // Below this the message is plainly not a request: report no details at all.
        let detailed = reading.confidence >= 0.3;
        Understanding {
            is_request,
            category: detailed.then(|| reading.category.unwrap_or(Category::Other)),
            urgency: detailed.then_some(reading.urgency),
            location: if detailed { reading.location } else { None },
            confidence: reading.confidence,
            explicit: false,
            body,
            why: if detailed { why } else { Vec::new() },
        }
    }

    /// Every hit with its meanings, after boundary checks and removing hits nested in a longer
    /// hit of the same meaning ("不亮" inside "灯不亮").
    fn hits(&self, hay: &str, out: &mut [Hit; MAX_HITS]) -> usize {
        // The patterns are lowercase; lowercasing ASCII keeps every byte where it was.
        let lower = if hay.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(hay.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(hay)
        };
        let mut n = 0;
        for m in self.matcher.find_overlapping_iter(&*lower) {
            if n == MAX_HITS {
                break;
            }
            let mut hit = Hit {
                start: m.start() as u32,
                end: m.end() as u32,
                pattern: m.value(),
                ok: 0,
            };
            let meanings = self.meanings(&hit);
            for (k, e) in meanings.iter().enumerate().take(MASKED) {
                if self.on_boundary(hay, &hit, e) {
                    hit.ok |= 1 << k;
                }
            }
            let later = meanings.len() > MASKED
                && meanings[MASKED..]
                    .iter()
                    .any(|e| self.on_boundary(hay, &hit, e));
            if hit.ok != 0 || later {
                out[n] = hit;
                n += 1;
            }
        }
        n
    }

    fn meanings(&self, hit: &Hit) -> &[Entry] {
        &self.lex.entries[self.lex.meanings[hit.pattern as usize].clone()]
    }

    /// Whether meaning `k` (`e`) of a kept hit sits on its boundaries: remembered by [`hits`]
    /// for the first [`MASKED`] meanings.
    ///
    /// [`hits`]: Parser::hits
    fn passes(&self, hay: &str, hit: &Hit, k: usize, e: &Entry) -> bool {
        if k < MASKED {
            (hit.ok >> k) & 1 == 1
        } else {
            self.on_boundary(hay, hit, e)
        }
    }

    /// English terms sit on word boundaries; `=` terms (other than places, which [`place`]
    /// checks itself) must not be part of a longer dictionary word.
    fn on_boundary(&self, hay: &str, hit: &Hit, e: &Entry) -> bool {
        let (s, t) = (hit.start as usize, hit.end as usize);
        if e.ascii_start
            && hay[..s]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return false;
        }
        if e.ascii_end
            && !e.prefix
            && hay[t..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return false;
        }
        if e.whole_word && e.kind != Kind::Place && self.inside_longer_word(hay, s..t) {
            return false;
        }
        if (e.whole_word && e.kind != Kind::Place || short_frame(hay, e, s..t))
            && self.crossed_by_word(hay, s..t)
        {
            return false;
        }
        true
    }

    /// True when a dictionary word runs across an edge of `span`, starting inside it and
    /// ending after it or starting before it and ending inside: `当年` in `当年宵花` is cut
    /// `当 / 年宵花`, no "back then".
    fn crossed_by_word(&self, hay: &str, span: Range<usize>) -> bool {
        let inner = || {
            hay[span.clone()]
                .char_indices()
                .skip(1)
                .map(|(i, _)| span.start + i)
        };
        let after = hay[span.end..]
            .char_indices()
            .take(2)
            .map(|(i, c)| span.end + i + c.len_utf8());
        let before = hay[..span.start]
            .char_indices()
            .rev()
            .take(2)
            .map(|(i, _)| i);
        for cut in inner() {
            if after.clone().any(|end| self.jieba.has_word(&hay[cut..end]))
                || before
                    .clone()
                    .any(|start| self.jieba.has_word(&hay[start..cut]))
            {
                return true;
            }
        }
        false
    }

    /// True when the segmenter's dictionary has a word covering `span` and more (水 in 水果).
    fn inside_longer_word(&self, hay: &str, span: Range<usize>) -> bool {
        let before = hay[..span.start]
            .char_indices()
            .rev()
            .take(2)
            .map(|(i, _)| i);
        let after = hay[span.end..]
            .char_indices()
            .take(2)
            .map(|(i, c)| span.end + i + c.len_utf8());
        for start in std::iter::once(span.start).chain(before) {
            for end in std::iter::once(span.end).chain(after.clone()) {
                if (start, end) != (span.start, span.end) && self.jieba.has_word(&hay[start..end]) {
                    return true;
                }
            }
        }
        false
    }

    /// The request score, category, urgency and place of a text.
    #[inline]
    fn read(
        &self,
        hay: &str,
        reply: bool,
        model: &model::Model,
        blend: &score::Blend,
    ) -> (score::Reading, Vec<String>) {
        let mut tally = self.tally(hay);
        // A reply that dismisses the quoted answer or notice ("发通知有啥用") is the sender's
        // complaint, not an answer to a neighbour.
        if reply && !tally.dismissed() {
            tally.add(&REPLY, 0);
        }
        let opinion = model.judge(hay);
        // A recorded opinion replayed in place of the model's (tests::replay_cv).
        #[cfg(test)]
        let opinion = tests::REPLAYED.with(|r| r.get()).unwrap_or(opinion);
        let mut reading = score::decide(&tally, None, Some(&opinion), blend);
        // The place is moved, not copied: the tally is done with.
        reading.location = tally.location.take();
        let why = match reading.urgency {
            Urgency::Urgent if reading.lexicon_urgent => tally.cue_words(hay),
            Urgency::Urgent => self.model_cues(hay, model, opinion.urgent),
            Urgency::Normal => Vec::new(),
        };
        (reading, why)
    }

    /// What the model's urgent vote rests on, when the model alone made a reading urgent
    /// ("污水漫出来" where no lexicon lists the words): each word of the text, as the segmenter
    /// cuts it (two characters or more, four letters in English), is left out in turn, and
    /// the words whose absence lowers the vote most are named in the text's order, at most
    /// [`MODEL_CUES`], none that lowers it by less than a third of the most (when none lowers
    /// it, the one whose absence lifts it least). Only urgent readings pay for it: a dozen
    /// more model judgements.
    fn model_cues(&self, hay: &str, model: &model::Model, urgent: f32) -> Vec<String> {
        let mut drops: Vec<(f32, usize, &str)> = Vec::new();
        let mut without = String::with_capacity(hay.len());
        let mut at = 0;
        for word in self.jieba.cut(hay, false) {
            let start = at;
            at += word.len();
            // A single character ("在", "有") or a short English word ("and", "his") names
            // nothing a leader can read as a reason.
            let letters = word.chars().filter(|c| c.is_alphanumeric()).count();
            if letters < if word.is_ascii() { 4 } else { 2 } {
                continue;
            }
            without.clear();
            without.push_str(&hay[..start]);
            without.push_str(&hay[at..]);
            let drop = urgent - model.judge(&without).urgent;
            drops.push((drop, start, word));
        }
        drops.sort_by(|a, b| b.0.total_cmp(&a.0));
        match drops.first().map(|d| d.0) {
            Some(most) if most > 0.0 => drops.retain(|d| d.0 >= most / 3.0),
            // No word alone lowers the vote: a message's pieces are scaled by 1/√n, so leaving
            // out an ordinary word lifts the rest. The vote rests on them together; the word
            // whose absence lifts it least weighs most and is named.
            _ => drops.truncate(1),
        }
        drops.truncate(MODEL_CUES);
        drops.sort_by_key(|d| d.1);
        // A word alone ("刚才", "一辆") reads as no reason to a leader: each is shown with the
        // clause it stands in ("刚才一辆三轮车滑到桥边护栏上"), once.
        // Clauses that overlap are one.
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(drops.len());
        for (_, start, word) in drops {
            let (left, right) = clause_around(hay, start, start + word.len());
            match spans.last_mut() {
                Some(last) if left <= last.1 => last.1 = last.1.max(right),
                _ => spans.push((left, right)),
            }
        }
        spans
            .into_iter()
            .map(|(l, r)| hay[l..r].trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Tallies the evidence in a text (also used to fit the score's weights).
    fn tally(&self, hay: &str) -> score::Tally {
        let mut buf = [Hit::default(); MAX_HITS];
        let n = self.hits(hay, &mut buf);
        let hits = &buf[..n];
        let mut tally = score::Tally::default();
        let mut danger_counted = false;
        let mut place_hits: Vec<PlaceHit> = Vec::new();
        // Topic hits kept, and where problems were seen, to find what each problem is about.
        let mut topics: [(u32, Category); 16] = [(0, Category::Other); 16];
        let mut n_topics = 0;
        let mut problems: [u32; 16] = [0; 16];
        let mut n_problems = 0;
        // Topic terms already counted: naming the same object twice ("桥上…过桥") is one object.
        let mut counted: [u32; 16] = [u32::MAX; 16];
        let mut n_counted = 0;
        // "“请勿大声喧哗” 贴了有啥用", "【转】“…一经发现罚款” 说得好听": a notice the sender
        // dismisses as no help is what the sender complains of, not the sender's notice.
        let dismissed_before = self.last_start_of(hay, hits, Kind::Dismiss);
        // "Good morning all … haha. Btw the manhole cover on Mabuhay St is missing": the small
        // talk before a turn to business introduces it; it is no chat, story or thanks of the
        // message, when business (a problem, an alarm, an ask) follows the turn.
        let turned_at = turn(hay).filter(|&t| {
            hits.iter().filter(|h| h.start as usize >= t).any(|h| {
                self.meanings(h).iter().enumerate().any(|(k, e)| {
                    matches!(
                        e.kind,
                        Kind::Problem | Kind::Issue | Kind::Urgent | Kind::Ask | Kind::Complaint
                    ) && self.passes(hay, h, k, e)
                })
            })
        });
        // "… btw the corridor light Block 9 level 6 still not fixed. ok see you at the party
        // sat", "… pls kagawad have it covered. Anyway God bless us all": business told between
        // small talk is closed by more of it, which frames the business no more than the
        // greeting before the turn did.
        let closed_at = turned_at.and_then(|t| {
            close(hay, t).filter(|&c| {
                hits.iter()
                    .filter(|h| h.start as usize >= t && (h.end as usize) <= c)
                    .any(|h| {
                        self.meanings(h).iter().enumerate().any(|(k, e)| {
                            matches!(
                                e.kind,
                                Kind::Problem
                                    | Kind::Issue
                                    | Kind::Urgent
                                    | Kind::Ask
                                    | Kind::Complaint
                            ) && self.passes(hay, h, k, e)
                        })
                    })
            })
        });
        for (i, hit) in hits.iter().enumerate() {
            for (k, e) in self.meanings(hit).iter().enumerate() {
                if !self.passes(hay, hit, k, e) {
                    continue;
                }
                if matches!(e.kind, Kind::Notice | Kind::Frame | Kind::Spam)
                    && dismissed_before.is_some_and(|at| hit.end as usize <= at)
                {
                    continue;
                }
                if matches!(
                    e.kind,
                    Kind::Chat | Kind::Frame | Kind::Notice | Kind::Thanks
                ) && (turned_at.is_some_and(|at| hit.end as usize <= at)
                    || closed_at.is_some_and(|at| hit.start as usize >= at))
                {
                    continue;
                }
                if matches!(e.kind, Kind::Place | Kind::Relation) {
                    place_hits.push(PlaceHit {
                        span: hit.start as usize..hit.end as usize,
                        entry: *e,
                    });
                    continue;
                }
                if self.shadowed(hits, i, e) {
                    continue;
                }
                if e.kind.polarity() < 0 && asked_whether(hay, hit) {
                    // "是不是泄漏了" asks whether it is a leak; "不是泄漏" in it denies nothing.
                    continue;
                }
                if e.kind == Kind::Habitual
                    && (((self.routine(hay, hits, hit) || today_after(hay, hit.end as usize))
                        && self.any_of(hay, hits, Kind::Unaccounted))
                        || now_after(hay, hit.end as usize)
                            .is_some_and(|now| self.alarm_after(hay, hits, now))
                        || dates_a_cause(hay, hit.start as usize)
                        || self.exclaimed_before(hay, hits, hit.start as usize))
                {
                    // "平时每天早上都出来遛弯，今天敲门也不应": what is normal for him says that
                    // today is not; it is no standing state. Nor is a habit followed by an
                    // emergency told after a word for now ("天天烧香的那家 现在窗帘都烧起来
                    // 了"): the habit says who, not that the danger stands. An alarm before
                    // the "now" is the past the message looks back on ("上个月着火的仓库到现在
                    // 还没清理").
                    // A past time set against the present ("much worse than last week") or
                    // naming a cause ("washed away after last night's rain") dates what led
                    // to the danger, not the danger; nor does a past told after an alarm
                    // exclaimed ("Child fell into the open manhole!! Cover was stolen last
                    // week"), which says why it happened.
                    continue;
                }
                if matches!(
                    e.kind,
                    Kind::Urgent | Kind::Sign | Kind::Intensifier | Kind::Caution
                ) && names_a_thing(hay, hit.end as usize)
                {
                    // "smoke detector", "emergency exit sign", "on the ground floor": the alarm
                    // word names a fitting or a floor, not a danger.
                    continue;
                }
                if matches!(e.kind, Kind::Notice | Kind::Frame | Kind::Negation)
                    && framing_denied(hay, hit.start as usize)
                {
                    // "not the drill!!", "不是谣言 是我亲眼看到的": a notice, a frame or a "never
                    // mind" the sender denies says the opposite: this is real and happening.
                    continue;
                }
                if matches!(e.kind, Kind::Urgent | Kind::Sign) && denied(hay, hit.start as usize) {
                    // "没冒烟", "里面没看到冒火", "no smell or anything": the sender says the sign
                    // of danger is not there. Like a feared alarm, it says nothing is happening.
                    tally.feared();
                    continue;
                }
                if e.kind == Kind::Issue && denied(hay, hit.start as usize) {
                    // "no overflow or anything", "没漏水": the problem denied says nothing about
                    // what the message is about.
                    continue;
                }
                if e.kind == Kind::Urgent && self.hedged(hay, hits, hit) {
                    // "怕着火" fears a fire and "砸到人咋办" asks what if; neither reports one.
                    // A strong cue counts as a weak one, a weak one as half of one.
                    let weight = if e.weight >= 2.0 { 1.0 } else { e.weight / 2.0 };
                    tally.hedged(&Entry { weight, ..*e }, hit.start as usize);
                    continue;
                }
                if e.kind == Kind::Hedge
                    && (existential_may(hay, hit.start as usize..hit.end as usize)
                        || courtesy_if(hay, hit.start as usize..hit.end as usize))
                {
                    // Tagalog's "may" ("there is") reports; it is no English "may". Nor does
                    // "if you can" suppose anything: it is a courtesy to the reader.
                    continue;
                }
                if e.kind == Kind::Topic {
                    let term = hit.pattern * 16 + e.category.map_or(15, |c| c as u32);
                    if counted[..n_counted].contains(&term) {
                        continue;
                    }
                    if n_counted < counted.len() {
                        counted[n_counted] = term;
                        n_counted += 1;
                    }
                }
                tally.add(e, hit.start as usize);
                if e.kind == Kind::Resolved
                    && IN_HAND
                        .iter()
                        .any(|w| hay[hit.start as usize..hit.end as usize].eq_ignore_ascii_case(w))
                {
                    tally.in_hand += e.weight;
                }
                if e.kind == Kind::Hedge
                    && NEAR_MISS
                        .iter()
                        .any(|w| hay[hit.start as usize..hit.end as usize].eq_ignore_ascii_case(w))
                {
                    tally.near_miss = true;
                }
                if matches!(
                    e.kind,
                    Kind::Urgent
                        | Kind::Agent
                        | Kind::Sign
                        | Kind::Exposure
                        | Kind::Vulnerable
                        | Kind::Unaccounted
                ) {
                    tally.cue(hit.start, hit.end);
                }
                // Danger to people is a safety matter unless the words say what else it is
                // ("晕倒" is a health word as well as an alarm: it counts for health only).
                if e.kind == Kind::Urgent
                    && e.weight >= 2.0
                    && !danger_counted
                    && !self.meanings(hit).iter().any(|o| o.category.is_some())
                {
                    tally.add(&DANGER, hit.start as usize);
                    danger_counted = true;
                }
                // Weak topics (neighbours, older people) say who, not what: never the head.
                // A category's own problem word is an object too: in "在厕所晕倒了 怎么叫都没反应"
                // the fainting, not the toilet, is what nobody answers.
                if let (Kind::Topic | Kind::Issue, Some(c)) = (e.kind, e.category)
                    && e.weight >= 1.5
                    && n_topics < topics.len()
                {
                    topics[n_topics] = (hit.end, c);
                    n_topics += 1;
                }
                // Only generic problem words look for their object; an issue word has its own.
                if matches!(e.kind, Kind::Problem | Kind::NotFixed) && n_problems < problems.len() {
                    problems[n_problems] = hit.start;
                    n_problems += 1;
                }
            }
        }
        // The object named right before a problem is what the problem is about
        // ("车库的灯管坏了" is about the tube, not the garage).
        // In English the subject leads the sentence ("the light by the bus stop is out"), so
        // there the first object named is the head.
        for &at in &problems[..n_problems] {
            let english = hay.as_bytes()[at as usize].is_ascii();
            let head = if english {
                topics[..n_topics]
                    .iter()
                    .filter(|(end, _)| *end <= at)
                    .min_by_key(|(end, _)| *end)
            } else {
                topics[..n_topics]
                    .iter()
                    .filter(|(end, _)| *end <= at + 3 && at.saturating_sub(*end) <= HEAD_WINDOW)
                    .max_by_key(|(end, _)| *end)
            };
            if let Some(&(_, c)) = head {
                tally.head(c);
            }
        }
        if let Some(at) = past_year(hay) {
            tally.add(&PAST_YEAR, at);
        } else if let Some(at) = self.supposed(hay, hits) {
            // A frame word ("要是哪天", "what if the") already says so.
            if !self.any_of(hay, hits, Kind::Frame) {
                tally.add(&SUPPOSED, at);
            }
            // An ask after a supposition that opens the message asks what to do in the case
            // supposed; after a report of what is here ("楼道里那么多电动车停着 万一着火…
            // 能不能管管") it asks for that to be dealt with.
            tally.supposed_ask = !clause_break(hay, 0..at)
                && self
                    .first_start_of(hay, hits, Kind::Ask)
                    .is_none_or(|a| a > at);
        }
        tally.pleads = pleads(hay);
        tally.chars = hay.chars().count();
        tally.substantive = hay.chars().filter(|c| is_content_char(*c)).count();
        let maybe_place = !place_hits.is_empty()
            || hay
                .bytes()
                .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            || has_cjk_numeral(hay)
            // Someone's home: 老周家, "the flat opposite", "their unit".
            || hay.contains('家')
            || hay.contains("flat")
            || hay.contains("unit")
            || hay.contains("house")
            // 老王屋里, or an elder whose home is where: 李奶奶, 老李头.
            || place::may_name_person(hay);
        if maybe_place {
            tally.location = place::locate(&self.places, &self.jieba, hay, &place_hits)
                .map(|r| hay[r].to_string());
        }
        tally
    }

    /// The alarm at this hit is feared or supposed, not reported: a hedge word comes shortly
    /// before it in the same clause ("怕有人掉下去", "someone could fall"), or ends the clause
    /// after it with nothing in between saying it happened ("掉下去砸到人咋办"; but
    /// "着火了怎么办" is a fire).
    fn hedged(&self, hay: &str, hits: &[Hit], hit: &Hit) -> bool {
        let (start, end) = (hit.start as usize, hit.end as usize);
        hits.iter().enumerate().any(|(j, h)| {
            let (hs, he) = (h.start as usize, h.end as usize);
            let is_hedge = || {
                self.meanings(h).iter().enumerate().any(|(k, e)| {
                    e.kind == Kind::Hedge
                        && self.passes(hay, h, k, e)
                        && !self.shadowed(hits, j, e)
                        && !existential_may(hay, hs..he)
                        && !courtesy_if(hay, hs..he)
                })
            };
            // Whether `h` is a hedge is asked first: most hits are not, and it is the cheapest.
            if he <= start {
                is_hedge() && reach(&hay[he..start]) <= HEDGE_REACH && !clause_break(hay, he..start)
            } else if hs < start && he < end {
                // A hedge running into the alarm ("怕有" in "怕有人掉下去" over "有人掉").
                is_hedge()
            } else if hs >= end {
                let between = &hay[end..hs];
                is_hedge()
                    && !hay[start..end].ends_with('了')
                    && !between.contains(['了', '过'])
                    && !clause_break(hay, end..hs)
                    && clause_ends(hay, he)
            } else {
                false
            }
        })
    }

    /// Where a supposition governing `text`'s problem words opens ([`Parser::supposed`]).
    #[cfg(test)]
    fn supposed_at(&self, text: &str) -> Option<usize> {
        let norm = text::normalise(text);
        let hay: &str = &norm;
        let mut buf = [Hit::default(); MAX_HITS];
        let n = self.hits(hay, &mut buf);
        self.supposed(hay, &buf[..n])
    }

    /// Where a supposition that governs the message's problem words opens: an opener
    /// ([`SUPPOSE`]) comes before every problem, issue or alarm word, the first of them is in
    /// the clause it opens ("要是哪天电梯坏了", "if there's ever a fire on our floor"), and
    /// nothing says the problem is here now: no complaint of how long it has lasted or that a
    /// fix did not hold, no word for now ([`PRESENT`]). "楼道里堆满杂物 万一着火" reports
    /// the clutter before supposing; "要是再不修就要出事了 3栋楼道灯坏了一个月了" has lasted a
    /// month; "if anyone sees my dad" asks the reader, it supposes nothing.
    fn supposed(&self, hay: &str, hits: &[Hit]) -> Option<usize> {
        let problem = |h: &Hit| {
            self.meanings(h).iter().enumerate().any(|(k, e)| {
                matches!(
                    e.kind,
                    Kind::Problem | Kind::Issue | Kind::Urgent | Kind::Sign | Kind::Unaccounted
                ) && self.passes(hay, h, k, e)
            })
        };
        // A message without a problem word is done with before its text is searched for an
        // opener.
        let first = hits.iter().find(|h| problem(h))?.start as usize;
        let (open, end) = supposition(hay)?;
        if first < end {
            return None;
        }
        if clause_break(hay, end..first)
            || self.any_of(hay, hits, Kind::Complaint)
            || self.any_of(hay, hits, Kind::NotFixed)
        {
            return None;
        }
        if PRESENT.iter().any(|w| has_word(hay, w)) {
            return None;
        }
        Some(open)
    }

    /// A habitual word says what someone's days are like, not that a danger stands: a word of
    /// routine comes right before it in the same clause ("平时每天", "usually every morning").
    fn routine(&self, hay: &str, hits: &[Hit], hit: &Hit) -> bool {
        let start = hit.start as usize;
        hits.iter().any(|h| {
            let he = h.end as usize;
            he <= start
                && reach(&hay[he..start]) <= ROUTINE_REACH
                && !clause_break(hay, he..start)
                && self
                    .meanings(h)
                    .iter()
                    .enumerate()
                    .any(|(k, e)| e.kind == Kind::Routine && self.passes(hay, h, k, e))
        })
    }

    /// Whether a hit from byte `from` on is a strong urgency cue (weight 2 or more: an
    /// emergency by itself).
    fn alarm_after(&self, hay: &str, hits: &[Hit], from: usize) -> bool {
        hits.iter().filter(|h| h.start as usize >= from).any(|h| {
            self.meanings(h).iter().enumerate().any(|(k, e)| {
                e.kind == Kind::Urgent && e.weight >= 2.0 && self.passes(hay, h, k, e)
            })
        })
    }

    /// Whether a strong alarm comes before `at` in a sentence that ends exclaimed, with `at`
    /// in a later sentence: what is told after it is the background of an emergency told
    /// now ("Child fell into the open manhole in gali 9!! Cover was stolen last week").
    fn exclaimed_before(&self, hay: &str, hits: &[Hit], at: usize) -> bool {
        hits.iter().filter(|h| (h.end as usize) <= at).any(|h| {
            hay[h.end as usize..at].contains(['!', '！'])
                && self.meanings(h).iter().enumerate().any(|(k, e)| {
                    e.kind == Kind::Urgent && e.weight >= 2.0 && self.passes(hay, h, k, e)
                })
        })
    }

    /// Where the hits with a meaning of `kind` start.
    fn starts_of<'a>(
        &'a self,
        hay: &'a str,
        hits: &'a [Hit],
        kind: Kind,
    ) -> impl Iterator<Item = usize> + 'a {
        hits.iter()
            .filter(move |h| {
                self.meanings(h)
                    .iter()
                    .enumerate()
                    .any(|(k, e)| e.kind == kind && self.passes(hay, h, k, e))
            })
            .map(|h| h.start as usize)
    }

    /// Where the last hit with a meaning of `kind` starts.
    fn last_start_of(&self, hay: &str, hits: &[Hit], kind: Kind) -> Option<usize> {
        self.starts_of(hay, hits, kind).max()
    }

    /// Where the first hit with a meaning of `kind` starts.
    fn first_start_of(&self, hay: &str, hits: &[Hit], kind: Kind) -> Option<usize> {
        self.starts_of(hay, hits, kind).min()
    }

    /// Whether any hit has a meaning of `kind`.
    fn any_of(&self, hay: &str, hits: &[Hit], kind: Kind) -> bool {
        hits.iter().any(|h| {
            self.meanings(h)
                .iter()
                .enumerate()
                .any(|(k, e)| e.kind == kind && self.passes(hay, h, k, e))
        })
    }

    /// A hit that a longer or earlier hit already accounts for: nested in a longer term of the
    /// same meaning ("不亮" in "灯不亮"), or overlapping a term of another category that starts
    /// first ("灯坏" in "红绿灯坏了" is about the traffic light).
    fn shadowed(&self, hits: &[Hit], i: usize, e: &Entry) -> bool {
        let hit = hits[i];
        hits.iter().enumerate().any(|(j, other)| {
            if j == i || other.end <= hit.start || other.start >= hit.end {
                return false;
            }
            let longer = (other.end - other.start) > (hit.end - hit.start);
            let contains = other.start <= hit.start && other.end >= hit.end && longer;
            let earlier = other.start < hit.start || (other.start == hit.start && longer);
            self.meanings(other).iter().any(|o| {
                (contains && o.kind == e.kind && o.category == e.category)
                    || (contains && o.kind.polarity() * e.kind.polarity() < 0)
                    // An alarm that only modifies a longer everyday problem is that problem
                    // ("出不来" in "出不来水" is about water, nobody is trapped); an alarm that
                    // ends the phrase is still the point ("卡住了喘不上气").
                    // A longer health or safety problem around an alarm is still an alarm
                    // ("出血了" is bleeding) ...
                    || (contains
                        && other.end > hit.end
                        && e.kind == Kind::Urgent
                        && o.kind == Kind::Issue
                        && !matches!(o.category, Some(Category::Health | Category::Safety)))
                    // ... but an alarm inside a phrase of risk is the risk ("a fire hazard").
                    || (contains && e.kind == Kind::Urgent && o.kind == Kind::Hedge)
                    // ... and a caution inside a report of what happened is none ("小心" in
                    // "一不小心掉进去了").
                    || (contains && e.kind == Kind::Hedge && o.kind.polarity() > 0)
                    // How long an alarm has lasted is no standing state ("好久没" in
                    // "躺在那里好久没动了").
                    || (contains && e.kind == Kind::Habitual && o.kind == Kind::Urgent)
                    // Someone at home alone is exposed, not a missing person come home ("is
                    // home" in "my neighbor is home alone in there with her kids").
                    || (contains && e.kind == Kind::Resolved && o.kind == Kind::Exposure)
                    // Nobody answering at an office is the complaint, not someone missing
                    // ("打不通" in "水厂电话打不通").
                    || (contains
                        && matches!(e.kind, Kind::Unaccounted | Kind::Urgent)
                        && o.kind == Kind::Complaint)
                    || (earlier
                        && e.category.is_some()
                        && o.category.is_some()
                        && o.category != e.category
                        && (contains || o.kind == Kind::Topic))
            })
        })
    }

    /// The score's inputs for a text, for refitting the weights.
    #[cfg(test)]
    pub(crate) fn features(&self, text: &str) -> [f32; 19] {
        let norm = text::normalise(text);
        let hay = text::explicit_body(&norm).unwrap_or(&norm);
        score::features(&self.tally(hay))
    }

    /// The reading [`Parser::parse_with`] rests on for a resident's text, with its trace.
    #[cfg(test)]
    pub(crate) fn traced(
        &self,
        text: &str,
        model: &model::Model,
        blend: &score::Blend,
    ) -> score::Reading {
        let norm = text::normalise(text);
        match text::explicit_body(&norm) {
            Some(body) => self.read(body, false, model, blend).0,
            None => {
                let own = text::own_words(&norm);
                self.read(own, own.len() < norm.len(), model, blend).0
            }
        }
    }

    /// The lexicon's reading of a resident's text, for fitting the blend.
    #[cfg(test)]
    pub(crate) fn lexicon_reading(&self, text: &str) -> score::Reading {
        let norm = text::normalise(text);
        let hay = text::explicit_body(&norm).unwrap_or(&norm);
        let tally = self.tally(hay);
        let location = tally.location.clone();
        score::decide(&tally, location, None, &score::Blend::SHIPPED)
    }

    /// Whether `text` contains a term of `kind` (on word boundaries).
    fn mentions(&self, text: &str, kind: Kind) -> bool {
        let norm = text::normalise(text);
        let mut buf = [Hit::default(); MAX_HITS];
        let n = self.hits(&norm, &mut buf);
        buf[..n].iter().any(|h| {
            self.meanings(h)
                .iter()
                .enumerate()
                .any(|(k, e)| e.kind == kind && self.passes(&norm, h, k, e))
        })
    }
}

/// How far a hedge reaches forward: 8 Chinese characters ("怕晚上路过的人掉下去") or 24
/// letters and spaces, about four English words ("what if a child gets electrocuted").
const HEDGE_REACH: usize = 24;

/// Words for today, or a "but" turning from the habit to now: after a habitual word ("every
/// morning sure go kopitiam, today never see him", "he's always back by 4, it's now 7", "every
/// morning sits outside his door, but 3 days never see him") they set what is normal against
/// what is not, as a word of routine before it does.
const TODAY: [&str; 14] = [
    "今天",
    "今日",
    "今早",
    "今儿",
    "但是",
    "可是",
    "today",
    "this morning",
    "it's now",
    "now it's",
    " but ",
    ", but",
    " yet ",
    "however",
];

/// Whether the word before byte `at` sets what follows against the present or names it as a
/// cause: "than" ("worse than last week"), "after" ("after last night's rain"), 比 ("比上周还
/// 严重").
fn dates_a_cause(hay: &str, at: usize) -> bool {
    let before = hay[..at].trim_end();
    if before.ends_with('比') {
        return true;
    }
    let word = before
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    word.eq_ignore_ascii_case("than") || word.eq_ignore_ascii_case("after")
}

/// Whether a word for today comes after byte `at`.
fn today_after(hay: &str, at: usize) -> bool {
    let rest = &hay[at..];
    TODAY.iter().any(|w| {
        if w.is_ascii() {
            rest.as_bytes()
                .windows(w.len())
                .any(|b| b.eq_ignore_ascii_case(w.as_bytes()))
        } else {
            rest.contains(w)
        }
    })
}

/// English nouns that, after an alarm word, make it the name of a fitting ("smoke detector",
/// "fire door", "emergency exit") or a service ("emergency maintenance", "emergency number").
const THINGS: [&str; 23] = [
    "exit",
    "exits",
    "detector",
    "detectors",
    "alarm",
    "alarms",
    "extinguisher",
    "extinguishers",
    "blanket",
    "hydrant",
    "door",
    "doors",
    "light",
    "lights",
    "lighting",
    "escape",
    "drill",
    "maintenance",
    "number",
    "numbers",
    "line",
    "contact",
    "contacts",
];

/// Whether the English term ending at byte `end` is followed by a noun of [`THINGS`]
/// (the next word, after one space), or ends in "ground" before "floor" ("on the ground
/// floor" is a storey; "lying on her floor" is still someone down).
fn names_a_thing(hay: &str, end: usize) -> bool {
    if !hay[..end].ends_with(|c: char| c.is_ascii_alphabetic()) {
        return false;
    }
    let Some(rest) = hay[end..].strip_prefix(' ') else {
        return false;
    };
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    let ground = end >= 6 && hay.as_bytes()[end - 6..end].eq_ignore_ascii_case(b"ground");
    THINGS.iter().any(|t| t.eq_ignore_ascii_case(word))
        || (ground && word.eq_ignore_ascii_case("floor"))
}

/// Words a sender notices a sign with ("没闻到味", "没看到冒火"): between a negator and
/// the sign they deny it as well.
const PERCEIVE: [&str; 9] = [
    "看到", "看见", "闻到", "闻见", "听到", "听见", "发现", "见", "有",
];

/// Whether the alarm or sign starting at byte `at` is denied: right after 没, 未, 无, 冇 or 不
/// (a noticing word such as 看到 or 有 may come between: "没有冒烟", "没闻到味"), after
/// 没人 ("没人受伤"), or in English right after no, not, without, nobody, no one or a
/// word ending in n't, two words after no ("no gas smell") or after "not a"/"not an"
/// ("not an emergency"). A term that holds its own
/// negation ("没反应", "not responding", "叫不醒") starts with it, so nothing before it is
/// read; "不停冒烟" and "止不住" do not end in a negator.
fn denied(hay: &str, at: usize) -> bool {
    let before = &hay[..at];
    match before.chars().next_back() {
        None => false,
        Some(c) if c.is_ascii() => {
            // The term must start a word, after a space.
            let trimmed = before.trim_end_matches(' ');
            if trimmed.len() == before.len() {
                return false;
            }
            let mut words = trimmed.rsplit(' ');
            let Some(last) = words.next() else {
                return false;
            };
            let is = |w: &str, n: &str| w.eq_ignore_ascii_case(n);
            // Not "never": in Singapore English it says "did not" ("never come down").
            let negator = ["no", "not", "without", "nobody"]
                .iter()
                .any(|n| is(last, n))
                || last.ends_with("n't")
                || last.ends_with("n’t");
            // "no one hurt"; "no gas smell", "no burning smell": one word between; "not an
            // emergency", "not a fire": an article between.
            negator
                || words.next().is_some_and(|w| {
                    (is(w, "no") && last.chars().all(|c| c.is_ascii_alphabetic()))
                        || (is(w, "not") && (is(last, "a") || is(last, "an")))
                })
        }
        Some(_) => {
            let mut rest = before;
            for w in PERCEIVE {
                if let Some(r) = rest.strip_suffix(w) {
                    rest = r;
                    break;
                }
            }
            // "没气味" is 煤气味 typed by voice, no denial; "停不停电" and "有没有冒烟" ask.
            let term = &hay[at..];
            let asks = rest.ends_with("有没")
                || rest
                    .strip_suffix('不')
                    .is_some_and(|r| r.chars().next_back().is_some_and(|c| term.starts_with(c)));
            (rest.ends_with(['没', '未', '无', '不', '冇'])
                && !asks
                && !(rest.ends_with('没') && term.starts_with('气')))
                || rest.ends_with("没人")
                || rest.ends_with("没有人")
        }
    }
}

/// Whether the notice, frame or "never mind" starting at byte `at` is denied: as an alarm
/// is ([`denied`]), after 不是 (not after the question 是不是: "是不是谣言" asks), or after
/// "not the" ("not the drill").
fn framing_denied(hay: &str, at: usize) -> bool {
    let before = hay[..at].trim_end_matches(' ');
    denied(hay, at)
        || (before.ends_with("不是") && !before.ends_with("是不是"))
        || before
            .strip_suffix("the")
            .and_then(|b| b.strip_suffix(' '))
            .is_some_and(|b| {
                let b = b.trim_end_matches(' ').to_ascii_lowercase();
                b == "not" || b.ends_with(" not") || b.ends_with("n't")
            })
}

/// Whether a hit starting "不是" ("不是泄漏", "不是着火") is the second half of the question
/// "是不是…": it asks whether, it does not deny.
fn asked_whether(hay: &str, hit: &Hit) -> bool {
    let start = hit.start as usize;
    hay[start..].starts_with("不是") && hay[..start].ends_with('是')
}

/// The first opener of a supposition in `hay` ([`SUPPOSE`]), as (start, end): English
/// openers standing as words, "if" not meaning "whether" ([`WHETHER_BEFORE`]), and none
/// followed by a sighting asked for or a courtesy ([`NOT_SUPPOSED_AFTER`]).
fn supposition(hay: &str) -> Option<(usize, usize)> {
    // Lowercasing ASCII keeps every byte where it was.
    let lower = if hay.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(hay.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(hay)
    };
    let lower: &str = &lower;
    let mut best: Option<(usize, usize)> = None;
    for w in SUPPOSE {
        let mut from = 0;
        while let Some(i) = lower[from..].find(w) {
            let start = from + i;
            let end = start + w.len();
            from = end;
            if best.is_some_and(|(b, _)| b <= start) {
                break;
            }
            if w.is_ascii() {
                let before = lower[..start].chars().next_back();
                let after = lower[end..].chars().next();
                if before.is_some_and(|c| c.is_ascii_alphanumeric())
                    || after.is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    continue;
                }
                let prev = lower[..start]
                    .trim_end()
                    .rsplit(|c: char| !c.is_ascii_alphanumeric())
                    .next()
                    .unwrap_or("");
                if w == "if" && WHETHER_BEFORE.contains(&prev) {
                    continue;
                }
            }
            let rest = lower[end..].trim_start_matches([' ', '是', '真', '的']);
            let rest = rest
                .strip_prefix("哪天")
                .or_else(|| rest.strip_prefix("ever "))
                .unwrap_or(rest);
            if NOT_SUPPOSED_AFTER.iter().any(|n| rest.starts_with(n)) {
                continue;
            }
            best = Some((start, end));
            break;
        }
    }
    best
}

/// A framing or notice word of two Chinese characters (`当年`, `那年`, `统一`): short enough to be cut
/// apart by the words around it, so it counts only where the segmenter's dictionary does not
/// run a word across its edge ([`Parser::crossed_by_word`]).
fn short_frame(hay: &str, e: &Entry, span: Range<usize>) -> bool {
    matches!(e.kind, Kind::Frame | Kind::Notice)
        && span.len() == 6
        && !hay.as_bytes()[span.start].is_ascii()
}

/// Whether `word` is in `hay` (ASCII case ignored), an English word standing as a word.
fn has_word(hay: &str, word: &str) -> bool {
    if !word.is_ascii() {
        return hay.contains(word);
    }
    let b = hay.as_bytes();
    let w = word.as_bytes();
    b.windows(w.len()).enumerate().any(|(i, s)| {
        s.eq_ignore_ascii_case(w)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + w.len())
                .is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// Tagalog's little words, which English and the estates' other Englishes do not use as
/// words: two of them say a message is written in Tagalog or Taglish ([`existential_may`]).
const TAGALOG: [&str; 24] = [
    "po", "sa", "ng", "yung", "ang", "mga", "kami", "namin", "dito", "naman", "nasa", "kasi",
    "wala", "walang", "siya", "kayo", "natin", "tayo", "niyo", "dyan", "daw", "lang", "din", "rin",
];

/// The hedge "may" at `span` is Tagalog's "there is" ("may lola kami dito na hindi
/// makalakad", "may tao pa sa loob", "may apoy sa wires"): in a message written in Tagalog
/// it reports what is there, it fears nothing.
fn existential_may(hay: &str, span: Range<usize>) -> bool {
    hay[span].eq_ignore_ascii_case("may")
        && TAGALOG.iter().filter(|w| has_word(hay, w)).take(2).count() == 2
}

/// What follows a courteous "if" ("move your cars if you can", "send someone if
/// possible"): the sender leaves the reader free to act, and fears nothing.
const COURTESY: [&str; 8] = [
    "you can",
    "u can",
    "you could",
    "u could",
    "possible",
    "anyone can",
    "someone can",
    "somebody can",
];

/// The hedge "if" at `span` is a courtesy ([`COURTESY`]), not a supposition.
fn courtesy_if(hay: &str, span: Range<usize>) -> bool {
    let rest = hay[span.end..].trim_start_matches(' ');
    hay[span].eq_ignore_ascii_case("if")
        && COURTESY.iter().any(|c| {
            rest.get(..c.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(c))
                && rest[c.len()..]
                    .chars()
                    .next()
                    .is_none_or(|ch| !ch.is_ascii_alphanumeric())
        })
}

/// Words that close business with small talk again ("anyway", "ok see you", "jangan lupa").
const CLOSE: [&str; 8] = [
    "anyway",
    "anyways",
    "see you",
    "see u",
    "that's all",
    "thats all",
    "tu je",
    "jangan lupa",
];

/// Where the first word of [`CLOSE`] after byte `from` of `hay` starts (standing as a word).
fn close(hay: &str, from: usize) -> Option<usize> {
    let b = hay.as_bytes();
    CLOSE
        .iter()
        .filter_map(|w| {
            let n = w.len();
            (from..b.len().saturating_sub(n - 1)).find(|&i| {
                b[i..i + n].eq_ignore_ascii_case(w.as_bytes())
                    && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                    && b.get(i + n).is_none_or(|c| !c.is_ascii_alphanumeric())
            })
        })
        .min()
}

/// Where the last word of [`TURN`] in `hay` ends (English ones standing as words).
fn turn(hay: &str) -> Option<usize> {
    let b = hay.as_bytes();
    TURN.iter()
        .filter_map(|w| {
            if !w.is_ascii() {
                return hay.rfind(w).map(|i| i + w.len());
            }
            let n = w.len();
            (0..b.len().saturating_sub(n - 1))
                .rev()
                .find(|&i| {
                    b[i..i + n].eq_ignore_ascii_case(w.as_bytes())
                        && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                        && b.get(i + n).is_none_or(|c| !c.is_ascii_alphanumeric())
                })
                .map(|i| i + n)
        })
        .max()
}

/// Words for this moment: after a habitual word ("天天烧香的那家 现在火光很大") they set an
/// emergency now against what the habit says about who.
/// Hedges that tell a near miss: something fell, gave way or shot past and just missed
/// someone. The hazard was there; only the harm was not.
/// Resolved words that say help has been called or is coming, not that the danger is over:
/// in a report of an emergency happening ("着火了 火很大 已经有人打119了", "house fire!!! FD is
/// on the way") the danger goes on until help is there.
const IN_HAND: [&str; 16] = [
    "已经有人",
    "已经报",
    "已上报",
    "已经上报",
    "已经打了",
    "已经联系",
    "已经派人",
    "已经在路上",
    "人已经到了",
    "已经到了",
    "is on the way",
    "are on their way",
    "is on its way",
    "on their way now",
    "is on their way",
    "someone is on it",
];

const NEAR_MISS: [&str; 6] = ["差点", "差一点", "险些", "almost", "nearly", "just missed"];

const NOW: [&str; 4] = ["现在", "此刻", "right now", "at the moment"];

/// Where the first word for this moment after byte `at` ends, if there is one.
fn now_after(hay: &str, at: usize) -> Option<usize> {
    let rest = &hay[at..];
    NOW.iter()
        .filter_map(|w| {
            let found = if w.is_ascii() {
                rest.as_bytes()
                    .windows(w.len())
                    .position(|b| b.eq_ignore_ascii_case(w.as_bytes()))
            } else {
                rest.find(w)
            };
            found.map(|i| at + i + w.len())
        })
        .min()
}

/// How far a word of routine reaches forward to a habitual word: six Chinese characters
/// ("平时都是每天") or about three English words ("usually she go market every morning").
const ROUTINE_REACH: usize = 18;

/// The length of a stretch of text for [`HEDGE_REACH`]: a Chinese character is worth three
/// ASCII ones, as it carries about as much as a short word.
fn reach(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 3 }).sum()
}

/// Whether `span` of `hay` crosses a clause boundary: punctuation, or a space next to Chinese
/// (voice typing separates clauses with spaces; in English a space separates words).
fn clause_break(hay: &str, span: Range<usize>) -> bool {
    let between = &hay[span.clone()];
    if between.contains([
        '，', ',', '。', '.', '!', '！', '?', '？', ';', '；', '\n', '~',
    ]) {
        return true;
    }
    let before = hay[..span.start].chars().next_back();
    let after = hay[span.end..].chars().next();
    // Each pair of neighbours, the characters on either side of the span included, walked
    // without collecting them.
    let mut chars = before.into_iter().chain(between.chars()).chain(after);
    let Some(mut prev) = chars.next() else {
        return false;
    };
    chars.any(|c| {
        let space_next_to_cjk = (prev == ' ' && !c.is_ascii()) || (c == ' ' && !prev.is_ascii());
        prev = c;
        space_next_to_cjk
    })
}

/// Whether a clause ends at byte `at`: the text's end, punctuation or a space, after at most
/// a closing particle ("咋办啊", "怎么办呢").
fn clause_ends(hay: &str, at: usize) -> bool {
    let rest = hay[at..].trim_start_matches(['啊', '呀', '呢', '哦', '嘛', '吧']);
    // Punctuation, spaces and emoji all end it; a letter or a character goes on.
    rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// The message ends asking what to do now ("火我都关了 现在咋整", "what do I do?").
fn pleads(hay: &str) -> bool {
    let end = hay.trim_end_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_punctuation() || "？！。，…".contains(c)
    });
    [
        "怎么办",
        "咋办",
        "咋整",
        "怎么弄",
        "怎么搞",
        "点算",
        "what do i do",
        "what should i do",
        "what do we do",
    ]
    .iter()
    .any(|w| {
        end.len() >= w.len()
            && end.is_char_boundary(end.len() - w.len())
            && end[end.len() - w.len()..].eq_ignore_ascii_case(w)
    })
}

/// Where a year before this one is named as the time of what is told: four digits from 1950
/// to 2025 followed by 年 or after "in"/"of" ("in 2003", "the floods of 1998"), or a two-digit
/// year read digit by digit in Chinese (零八年, 九八年, 八五年). Two neighbouring digits in
/// rising order are a count, not a year (六七年没修 is six or seven years), and "since 2019" is
/// no year told: a fault that has lasted since then is a present problem.
fn past_year(hay: &str) -> Option<usize> {
    let b = hay.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let end = b[i..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .map_or(b.len(), |n| i + n);
        if end - i == 4 {
            let year = b[i..end]
                .iter()
                .fold(0u32, |y, d| y * 10 + u32::from(d - b'0'));
            let after = hay[end..].starts_with('年') && !dates_a_thing(&hay[end + 3..]);
            let before = &b[i.saturating_sub(3)..i];
            let told = (before.eq_ignore_ascii_case(b"in ") || before.eq_ignore_ascii_case(b"of "))
                && !dated_before(&hay[..i.saturating_sub(3)]);
            if (1950..=2025).contains(&year) && (after || told) {
                return Some(i);
            }
        }
        i = end;
    }
    if !hay.contains('年') {
        return None;
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or((c == '〇').then_some(0))
    };
    let mut prev: [(usize, char); 2] = [(0, ' '); 2];
    for (at, c) in hay.char_indices() {
        if c == '年'
            && let (Some(x), Some(y)) = (digit(prev[0].1), digit(prev[1].1))
            && (x == 0 || x >= 5)
            && y != x + 1
        {
            return Some(prev[0].0);
        }
        prev = [prev[1], (at, c)];
    }
    None
}

/// A year that dates a thing rather than tells a story: what follows says it was installed,
/// bought, built, serviced or when it expired ("2019年装的电梯", "2021年就过期了").
fn dates_a_thing(after: &str) -> bool {
    let near: String = after.chars().take(6).collect();
    ["过期", "到期", "装", "换", "修", "检", "买", "建", "开始"]
        .iter()
        .any(|w| near.contains(w))
}

/// The word before "in 2021" dates a thing ("expired in 2021", "installed in 2019").
fn dated_before(before: &str) -> bool {
    let word = before
        .trim_end()
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "expired",
        "expires",
        "expire",
        "due",
        "installed",
        "built",
        "serviced",
        "replaced",
        "changed",
        "checked",
        "inspected",
        "fixed",
        "repaired",
        "renewed",
        "done",
        "last",
        "bought",
        "started",
        "painted",
        "laid",
        "put",
    ]
    .contains(&word.as_str())
}

fn has_cjk_numeral(hay: &str) -> bool {
    hay.chars().any(|c| {
        matches!(
            c,
            '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '两'
        )
    })
}

/// Letters, digits and CJK characters: what is left of a message once emoji, stickers'
/// brackets and punctuation are gone.
fn is_content_char(c: char) -> bool {
    // Most characters are ASCII or common Chinese characters, every one of them a letter
    // (`content_chars_fast_path_agrees` checks the whole block); the rest take the table.
    c.is_ascii_alphanumeric()
        || ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Two reports are the same problem: same category and the same or overlapping place
/// ("3栋" and "3栋2单元", "Block 5" and "block5"). Reports without a place never match, since
/// "the light is out" in two different lanes are two tickets; nor do places said from where
/// the sender lives ("我家门口", "楼上", "next door"), which are two places for two senders.
pub fn same_problem(
    a_category: Category,
    a_location: Option<&str>,
    b_category: Category,
    b_location: Option<&str>,
) -> bool {
    if a_category != b_category {
        return false;
    }
    let (Some(a), Some(b)) = (a_location, b_location) else {
        return false;
    };
    if from_the_sender(a) || from_the_sender(b) {
        return false;
    }
    let (a, b) = (place_key(a), place_key(b));
    !a.is_empty() && !b.is_empty() && (holds(&a, &b) || holds(&b, &a))
}

/// Whether the place key `outer` holds `inner` whole: a number in it is not part of a longer
/// one ("3栋" is in "3栋2单元", not in "13栋"; "block3" not in "block35").
pub fn holds(outer: &str, inner: &str) -> bool {
    outer.match_indices(inner).any(|(at, _)| {
        let before = outer[..at].chars().next_back();
        let after = outer[at + inner.len()..].chars().next();
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        let glued_before = digit(before) && inner.starts_with(|c: char| c.is_ascii_digit());
        let glued_after = digit(after) && inner.ends_with(|c: char| c.is_ascii_digit());
        !glued_before && !glued_after
    })
}

/// Whether `place` is somewhere other than `other`: both named, neither from where the sender
/// lives ("我家门口", "楼上"), and neither contains the other ("7栋楼道" and "5栋门口" are
/// apart; "3栋" and "3栋2单元" are not).
pub fn other_place(place: &str, other: Option<&str>) -> bool {
    let Some(other) = other else {
        return false;
    };
    if from_the_sender(place) || from_the_sender(other) {
        return false;
    }
    let (a, b) = (place_key(place), place_key(other));
    !a.is_empty() && !b.is_empty() && !holds(&a, &b) && !holds(&b, &a)
}

/// A place named from where its sender lives: their own home (我家门口, 俺家这片, my door) or
/// a neighbour's by position (楼上, 对门, 隔壁, upstairs, next door).
fn from_the_sender(place: &str) -> bool {
    let p = place.trim();
    p.starts_with(['我', '俺', '咱'])
        || ["楼上", "对门", "隔壁"].contains(&p)
        || [
            "upstairs",
            "downstairs",
            "next door",
            "next-door",
            "my ",
            "our ",
        ]
        .iter()
        .any(|w| p.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w)))
}

/// A place reduced to what identifies it: width-normalised, lowercase, without spaces,
/// punctuation, the relation words after it (门口, 旁边) and Chinese numerals as digits.
fn place_key(place: &str) -> String {
    // English says where a thing is with words between it and the landmark ("the bins at
    // Block 3", "the bins behind Block 3"): they say where as 门口 and 后面 do, and go as
    // those do below.
    const WHERE_EN: [&str; 16] = [
        "the", "a", "at", "by", "in", "on", "of", "near", "behind", "outside", "beside",
        "opposite", "next", "to", "front", "around",
    ];
    let norm = text::normalise(place).to_lowercase();
    let norm = if norm.is_ascii() && norm.contains(' ') {
        norm.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty() && !WHERE_EN.contains(w))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        norm
    };
    let mut key: String = norm
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| match c {
            '一' => '1',
            '二' | '两' => '2',
            '三' => '3',
            '四' => '4',
            '五' => '5',
            '六' => '6',
            '七' => '7',
            '八' => '8',
            '九' => '9',
            '零' => '0',
            _ => c.to_ascii_lowercase(),
        })
        .collect();
    for tail in [
        "门口", "旁边", "后面", "前面", "对面", "附近", "那边", "那里", "里面", "边上",
    ] {
        if key.len() > tail.len()
            && let Some(stripped) = key.strip_suffix(tail)
        {
            key = stripped.to_string();
            break;
        }
    }
    key
}

/// Short replies the engine recognises with this parser's lexicons (so a coordinator's
/// added words count here too).
impl Parser {
    /// Words a message is made of when it only says "me too": a reply adding its sender as a
    /// co-reporter of an open ticket ("我家也是", "+1", "同样的问题", "same here").
    pub fn is_me_too(&self, text: &str) -> bool {
        let t = text.trim();
        // A long message is a report of its own, even if it says "me too" on the way; English
        // by its words ("same here, been like this since morning").
        let short = if t.is_ascii() {
            t.split_whitespace().count() <= 8
        } else {
            t.chars().count() <= 20
        };
        short && self.mentions(t, Kind::MeToo)
    }

    /// A leader's reply to a ticket card that takes the ticket (接单, 收到, 好的, 马上去, OK, on it),
    /// and is not a refusal (接不了, can't).
    pub fn claim_word(&self, text: &str) -> bool {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > 30 {
            return false;
        }
        let lower = t.to_lowercase();
        const REFUSALS: [&str; 12] = [
            "不接",
            "接不了",
            "不是我",
            "没空",
            "没时间",
            "去不了",
            "来不了",
            "不行",
            "can't",
            "cannot",
            "not mine",
            "unable",
        ];
        if REFUSALS.iter().any(|r| lower.contains(r)) {
            return false;
        }
        self.mentions(t, Kind::Claim)
    }

    /// A resident saying a resolved ticket is not fixed (没修好, 还是坏的, 不行, still broken).
    pub fn not_fixed(&self, text: &str) -> bool {
        let t = text.trim();
        if t.is_empty() {
            return false;
        }
        if t.chars().count() <= 6
            && ["不行", "没好", "还没好", "坏的", "no", "nope"]
                .iter()
                .any(|w| t.to_lowercase().starts_with(w))
        {
            return true;
        }
        self.mentions(t, Kind::NotFixed)
    }
}

/// The clause of `hay` around the word at `start..end`: between the nearest marks of
/// punctuation or spaces (a Chinese clause) on either side, at most eighteen characters, or in
/// English at most three words either side, as byte offsets. The word itself when it has no
/// clause to speak of.
fn clause_around(hay: &str, start: usize, end: usize) -> (usize, usize) {
    const MAX_CHARS: usize = 18;
    let english = hay[start..end].is_ascii();
    let stop = |c: char| {
        "，。！？；、,.!?;:：~～…()（）【】「」“”\"\n".contains(c)
            || (!english && c.is_whitespace())
    };
    let mut left = hay[..start]
        .char_indices()
        .rev()
        .find(|(_, c)| stop(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let mut right = hay[end..].find(stop).map_or(hay.len(), |i| end + i);
    if english {
        // Three words either side, within the clause.
        let before = word_starts(&hay[left..start]);
        if before.len() > 3 {
            left += before[before.len() - 3];
        }
        let after = word_starts(&hay[end..right]);
        if after.len() > 3 {
            right = end + after[3];
        }
    } else if hay[left..right].chars().count() > MAX_CHARS {
        // Keep the word, and what fits around it, evenly.
        let word_chars = hay[start..end].chars().count();
        let side = MAX_CHARS.saturating_sub(word_chars) / 2;
        left = hay[left..start]
            .char_indices()
            .rev()
            .nth(side.saturating_sub(1))
            .map_or(left, |(i, _)| left + i);
        right = hay[end..right]
            .char_indices()
            .nth(side)
            .map_or(right, |(i, _)| end + i);
    }
    if hay[left..right].trim().is_empty() {
        (start, end)
    } else {
        (left, right)
    }
}

/// Where each word of `s` (split at whitespace) starts, in bytes.
fn word_starts(s: &str) -> Vec<usize> {
    s.split_whitespace()
        .map(|w| w.as_ptr() as usize - s.as_ptr() as usize)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One parser for all tests: building the segmenter's dictionary is the slow part.
    pub(crate) fn parser() -> &'static Parser {
        static PARSER: std::sync::OnceLock<Parser> = std::sync::OnceLock::new();
        PARSER.get_or_init(|| Parser::load(None).expect("built-in lexicons load"))
    }

    fn req(text: &str) -> Understanding {
        let u = parser().parse(text, false);
        assert!(u.is_request, "expected a request: {text} → {u:?}");
        u
    }

    fn not_req(text: &str) {
        let u = parser().parse(text, false);
        assert!(!u.is_request, "expected no request: {text} → {u:?}");
    }

    #[test]
    fn laughs_likenesses_worries_and_adverts_are_not_requests() {
        // Sixteenth round: a fault made a joke of (by emoji, sticker or shorthand), a likeness, a
        // worry with nothing happening, a trade's advert, news seen elsewhere.
        for t in [
            "我妈说我一进厨房家里就着火 [捂脸]",
            "my wife says the lift broke down because it's tired of carrying my shopping 😂",
            "本周的我就像那个爆了的水管 停不下来",
            "我一直在想要是发大水咱们村会怎样",
            "sometimes i wonder if the old blocks can take an earthquake",
            "专业疏通下水道 有需要的打电话 老师傅二十年经验",
            "saw on FB got a lorry fire along the expressway this morning",
        ] {
            not_req(t);
        }
        // A laugh followed by the report in earnest is still a request.
        req("电梯里的灯一闪一闪的 xswl 但是真的该修了");
    }

    #[test]
    fn water_in_the_electrics_a_growing_fire_and_a_scam_on_the_line_are_emergencies() {
        for t in [
            "地下车库进水了 水已经流进配电房了",
            "rubbish burning behind the bin centre, fire getting bigger",
            "the toilet overflowed and I cannot stop the water, it's all over the flat",
            "a caller is telling my grandma to transfer money now, she won't hang up",
            "独居的刘奶奶 报纸堆在门口 电话也不接",
            "my girl 9 yrs old didnt come home after school, she's always back by 6, it's now 9, pls help",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
    }

    #[test]
    fn a_smell_gone_since_and_smoking_every_night_are_not_emergencies() {
        for t in [
            "smelled some gas near the meter last night but it's gone now, can someone check the pipes",
            "昨晚闻到一点煤气味 开窗就没了 能不能来查一下",
            "the flat below smoking at the window every night, smoke comes into my room",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
    }

    #[test]
    fn a_reading_made_ahead_serves_staff_too() {
        for text in [
            "3栋楼道灯坏了",
            "#报修 5号楼电梯困人",
            "/report the bins on Hill Road are overflowing",
            "明天上午停水，请大家提前储水",
            "谢谢网格长",
        ] {
            let resident = parser().parse(text, false);
            assert_eq!(
                resident.clone().as_staff(),
                parser().parse(text, true),
                "{text}"
            );
        }
        assert!(parser().parse("3栋楼道灯坏了", false).is_request);
        assert!(!parser().parse("3栋楼道灯坏了", true).is_request);
    }

    thread_local! {
        // The model's opinion to read with instead of its judgement (`replay_cv`).
        pub(crate) static REPLAYED: std::cell::Cell<Option<model::Opinion>> =
            const { std::cell::Cell::new(None) };
    }

    /// Reads every row of a cross-validation dump (eval.rs, `dump_cv`) again with the current
    /// lexicons and code, each with the model opinion recorded in its trace: a change that
    /// leaves the model alone is measured out of fold without training a model.
    /// `GRIDLINE_REPLAY_IN=cv.jsonl GRIDLINE_REPLAY_OUT=new.jsonl cargo test --lib replay_cv
    /// -- --ignored`.
    #[test]
    #[ignore = "a tool for measuring lexicon changes out of fold, not a check"]
    fn replay_cv() {
        use crate::understand::eval::{overlaps, read_corpus};
        let (Ok(input), Ok(out)) = (
            std::env::var("GRIDLINE_REPLAY_IN"),
            std::env::var("GRIDLINE_REPLAY_OUT"),
        ) else {
            return;
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut rows = std::collections::HashMap::new();
        for name in ["train.jsonl", "dev.jsonl"] {
            let text = std::fs::read_to_string(dir.join(name)).expect("corpus file");
            for row in read_corpus(&text).expect("valid rows") {
                rows.insert(row.id.clone(), row);
            }
        }
        let p = parser();
        let learned = p.learned.read().unwrap_or_else(|e| e.into_inner());
        let mut text = String::new();
        for line in std::fs::read_to_string(input).expect("dump").lines() {
            let mut v: serde_json::Value = serde_json::from_str(line).expect("dump row");
            let row = &rows[v["id"].as_str().expect("id")];
            let t = &v["trace"];
            let f = |x: &serde_json::Value| x.as_f64().expect("number") as f32;
            let mut categories = [0.0; 13];
            for (c, x) in categories
                .iter_mut()
                .zip(t["m_cat"].as_array().expect("m_cat"))
            {
                *c = f(x);
            }
            REPLAYED.with(|r| {
                r.set(Some(model::Opinion {
                    request: f(&t["m_req"]),
                    urgent: f(&t["m_urg"]),
                    categories,
                }))
            });
            let blend = score::Blend::SHIPPED;
            let r = p.traced(&row.text, &learned.model, &blend);
            let u = p.parse_with(&row.text, false, &learned.model, &blend);
            REPLAYED.with(|r| r.set(None));
            v["got_request"] = u.is_request.into();
            v["got_category"] = u.category.map(|c| c.id()).into();
            v["got_urgency"] = u.urgency.map(|x| x.id()).into();
            v["location_ok"] = row
                .location
                .as_ref()
                .map(|w| {
                    u.location
                        .as_deref()
                        .is_some_and(|g| overlaps(&row.text, w, g))
                })
                .into();
            v["trace"] = r.trace;
            text.push_str(&v.to_string());
            text.push('\n');
        }
        std::fs::write(out, text).expect("write replay");
    }

    /// Prints, for each line of the file `GRIDLINE_HITS_IN`, the lexicon terms found in it and
    /// their kinds, for reading why a message was read as it was:
    /// `GRIDLINE_HITS_IN=texts.txt cargo test --lib show_hits -- --ignored --nocapture`.
    #[test]
    #[ignore = "a tool for reading the lexicon's hits, not a check"]
    fn show_hits() {
        let Ok(path) = std::env::var("GRIDLINE_HITS_IN") else {
            return;
        };
        let p = parser();
        for line in std::fs::read_to_string(path).expect("texts").lines() {
            let norm = text::normalise(line);
            let hay = text::explicit_body(&norm).unwrap_or_else(|| text::own_words(&norm));
            let lower = hay.to_ascii_lowercase();
            let mut buf = [Hit::default(); MAX_HITS];
            let n = p.hits(&lower, &mut buf);
            let mut out = Vec::new();
            for hit in &buf[..n] {
                for (k, e) in p.meanings(hit).iter().enumerate() {
                    let ok = if p.passes(&lower, hit, k, e) {
                        ""
                    } else {
                        "✗"
                    };
                    out.push(format!(
                        "{}{}:{:?}{}{}",
                        ok,
                        &lower[hit.start as usize..hit.end as usize],
                        e.kind,
                        e.category.map_or(String::new(), |c| format!("/{}", c.id())),
                        if e.weight == 1.0 {
                            String::new()
                        } else {
                            format!("×{}", e.weight)
                        }
                    ));
                }
            }
            println!("{line}\n    {}", out.join(" "));
        }
    }

    /// The tally reads hits in the order the term matcher finds them, which must stay the
    /// same: by where they end, the longer first where two end together ("灯不亮", then
    /// "不亮"), upper case found as lower.
    #[test]
    fn hits_come_by_end_the_longer_first() {
        let p = parser();
        let mut ending_together = 0;
        for line in include_str!("../../corpus/train.jsonl").lines() {
            let row: serde_json::Value = serde_json::from_str(line).expect("corpus row");
            let text = row["text"].as_str().expect("text").to_uppercase();
            let mut buf = [Hit::default(); MAX_HITS];
            let n = p.hits(&text, &mut buf);
            for pair in buf[..n].windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert!((a.end, a.start) < (b.end, b.start), "{text}");
                ending_together += usize::from(a.end == b.end);
            }
        }
        assert!(ending_together > 100);
        let mut buf = [Hit::default(); MAX_HITS];
        let n = p.hits("Lift BROKEN", &mut buf);
        assert!(n >= 2, "upper-case terms are found");
    }

    #[test]
    fn content_chars_fast_path_agrees() {
        for c in ('\0'..='\u{FFFF}').chain('\u{20000}'..='\u{20100}') {
            assert_eq!(is_content_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn plain_requests_are_understood() {
        let u = req("9栋门口的路灯坏了一个星期了，晚上倒垃圾都看不清");
        assert_eq!(u.category, Some(Category::Lighting));
        assert_eq!(u.urgency, Some(Urgency::Normal));
        let u = req("3号楼电梯又停了，里面的按钮都不亮");
        assert_eq!(u.category, Some(Category::Property));
        let u = req("Overflowing bins behind the supermarket on Hill Road, smells terrible.");
        assert_eq!(u.category, Some(Category::Sanitation));
        let u = req("请问新生儿上户口要带什么材料");
        assert_eq!(u.category, Some(Category::Admin));
        let u = req("楼下KTV每天唱到凌晨两点，投诉了好几次没用");
        assert_eq!(u.category, Some(Category::Dispute));
    }

    #[test]
    fn urgency() {
        let urgent = [
            "厨房闻到一股煤气味，不敢开火，10栋2单元501",
            "仓库那边冒烟了！！快来人",
            "Downed power line across Cedar Street, sparks everywhere!",
            "我爷爷胸口疼喘不上气，救护车还没到",
            "雨下大了，一楼住户家里进水了，快来帮忙排水！2号楼",
            "电梯困人了，有人被困在里面出不来",
            "my mum has fallen and can't get up, flat 4B",
        ];
        for t in urgent {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        let normal = [
            "我们12组停水两天了，水厂电话打不通",
            "这两天老是跳闸停电，5组好几户都这样",
            "学校门口的斑马线都磨没了，孩子过马路很危险",
            "Big pothole outside No. 8 Station Road, nearly lost a wheel.",
        ];
        for t in normal {
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
    }

    #[test]
    fn urgency_composed_from_hazard_agent_and_exposure() {
        // A hazard seen happening with people in its way, or a dangerous agent with a sign of
        // it loose, is urgent in words no lexicon lists as one phrase.
        for t in [
            "阳台上的铁皮一直往下掉，下面有人在走",
            "楼下那根电线被大风刮断了，耷拉在路边",
            "There's a whiff of gas by the back door of block 2",
            "The storm brought the cables down, they're lying in the road outside the school",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        // A judgement of danger, a standing risk or an agent with nothing loose stays normal.
        for t in [
            "学校门口那段路很危险，孩子天天从那过，能不能装个护栏",
            "电线杆上贴满了小广告，谁来清一下",
            "瓷砖经常往下掉，下面是停车位，能不能找人看看",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
    }

    /// What the lexicon alone makes of a text (the model learned the corpus, so only the
    /// lexicon's reading shows whether a rule, not a remembered row, does the work).
    fn lexicon_urgency(text: &str) -> Urgency {
        parser().lexicon_reading(text).urgency
    }

    #[test]
    fn an_emergency_still_on_while_help_is_called_is_urgent() {
        // Calling 120 or the ambulance is part of the emergency, not its end; telling someone
        // is the sender's ask, not a notice; an empty flat is nobody to stop it; lying still
        // for long is how long it has lasted.
        for t in [
            "广场上一个大爷突然倒地抽搐 已经打了120 有没有懂急救的快来",
            "a man collapsed outside the chemist and isn't breathing right, ambulance called, anyone know CPR",
            "地下车库进水了 水越来越深 赶紧通知车主把车开出来",
            "strong smell of gas from 5A and nobody is home, someone call the gas board",
            "公园长椅上有个老人躺了好久没动了 叫他也不应",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
            assert_eq!(
                parser().parse(t, false).urgency,
                Some(Urgency::Urgent),
                "{t}"
            );
        }
        // Settled after the call, or a standing state: not urgent.
        for t in [
            "昨天那个摔倒的大爷已经打了120送医院了 现在已经出院了",
            "报修单交上去好久没动静了 路灯还是不亮",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn a_hazard_that_has_not_happened_yet_is_to_be_fixed() {
        for t in [
            "the big branch over the footpath has cracked but not fallen yet, can the council cut it",
            "3栋外墙的广告牌松了 下面就是人行道 趁还没掉下来赶紧找人加固",
            "the switch room smells hot but no smoke yet, can maintenance check today",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            let u = parser().parse(t, false);
            assert_eq!(u.urgency, Some(Urgency::Normal), "{t} → {u:?}");
        }
    }

    #[test]
    fn updates_overflows_and_courtesies_are_read_for_what_they_say() {
        // Someone accounted for after an emergency, an illness told as what brought someone
        // home, a sewer overflowing: no emergency now.
        for t in [
            "update: fire at 22 is out, family is ok and staying with relatives",
            "The lady stuck in the lift earlier is out and fine, engineer is on site now",
            "my neighbour's just come out of hospital after a stroke and theres nobody visiting, she can't get to the shops",
            "The manhole on Mill Road is overflowing with sewage.",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // "if you can" leaves the reader free to act; it supposes nothing.
        let hedge = |t: &str| parser().tally(t).kind(Kind::Hedge);
        assert_eq!(
            hedge("move your cars if you can, the basement is flooding"),
            0.0
        );
        assert_eq!(hedge("send someone if possible"), 0.0);
        assert!(hedge("if the wall falls it will hit the kids") > 0.0);
        assert!(hedge("tell me if it happens again") > 0.0);
    }

    #[test]
    fn small_talk_closing_business_frames_it_no_more_than_before_it() {
        let frame = |t: &str| parser().tally(t).kind(Kind::Frame);
        assert_eq!(
            frame(
                "Hey all! Quick thing - the gate code at Building 4 hasn't worked since Tuesday. Anyway the fireworks were awesome lol"
            ),
            0.0
        );
        // No turn to business before it: the laugh is the message's.
        assert!(frame("the gate code hasn't worked since Tuesday. anyway lol") > 0.0);
    }

    #[test]
    fn settled_events_are_not_urgent() {
        for t in [
            "上礼拜中风的那个大伯已经出院了 谢谢大家挂念",
            "河水退了 大家可以回家收拾了",
            "The burning smell earlier was the neighbour's barbecue, all clear",
            "The alarm earlier was a test, all clear now",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            let u = parser().parse(t, false);
            assert!(
                !u.is_request || u.urgency == Some(Urgency::Normal),
                "{t} → {u:?}"
            );
        }
    }

    #[test]
    fn someone_vulnerable_and_unaccounted_for_is_urgent() {
        // Who cannot look after themselves alone, not seen, not answering or not back: the
        // lexicon hears it in any order and register, without an alarm word.
        for t in [
            "五楼独居的孙大爷两天没见人了 敲门也不应",
            "我家孩子放学冇回来 平时早到屋了",
            "old Mrs Begum lives alone at no. 7, nobody has seen her since Sunday",
            "our grandpa has dementia and walked out this morning, not back yet",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // Found again, or only one of the two: not an emergency.
        for t in [
            "走丢的那个爷爷找到了 在他女儿家",
            "物业电话打不通 电梯坏了两天了",
            "老人家的高龄补贴怎么申请",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn words_of_framing_do_not_misread_an_emergency() {
        // The sender away, an injury already done, a barbecue or a charcoal fire that poisons,
        // a child found collapsed, "no adults came back", an accident that happened: none of
        // these settles or frames the emergency.
        for t in [
            "我爸一个人在乡下 电话都不接 我在外地赶不回去 谁去看一眼",
            "楼下几个人在屋里烤炭火 现在都头晕呕吐",
            "found my neighbour on the landing, not breathing properly",
            "孙子一不小心掉进化粪池了 爬不上来",
            "bush fire coming over the ridge behind the scout hall",
            "my dad was supposed to be back from his walk two hours ago, no sign of him",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // Bites of insects, a button that will not move, an injury denied, a cry that was the
        // television: everyday matters, or none.
        for t in [
            "楼下草丛蚊子太多 小孩被蚊子咬了一身包",
            "电梯的按钮按不动了 老人家只能爬楼",
            "dogs chasing kids near the bus stop, nobody hurt but the kids are scared",
            "刚才喊救命的是电视的声音 没事",
            // "快啲" is "hurry", not a hazard; a fire lit every evening is a standing nuisance.
            "垃圾房又满晒 唔该快啲清",
            "someone burns garden waste every evening, smoke all over the block",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn a_routine_set_against_today_is_no_standing_state() {
        // A habitual word followed by "today", or a routine word a few words before it, with
        // someone not seen: what is normal for them says today is not.
        for t in [
            "the old man at 12 every morning walk his dog, today never see him, curtains shut",
            "对面的婆婆每天早上都去菜市场 今天一直没见人 敲门也不应",
            "old Mr Lee usually goes out every morning, nobody has seen him since yesterday",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // Without anyone unaccounted for it stays a standing state.
        assert_eq!(
            lexicon_urgency("the bins catch fire every morning, today again smoke everywhere"),
            Urgency::Normal
        );
    }

    #[test]
    fn a_broken_routine_is_no_standing_state() {
        // "Usually every morning …, today no answer": what is normal says today is not.
        for t in [
            "隔壁的张大爷三天没开门了，平时每天早上都出来遛弯，今天敲门也不应",
            "The old man at the end of our row hasn't taken his milk in for three days, his lights are off",
            "隔篱屋個阿伯今日成日冇見佢，拍門又冇人應",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        let u = req(
            "The old man at the end of our row hasn't taken his milk in for three days, I'm worried",
        );
        assert_eq!(u.category, Some(Category::Welfare));
        // A habitual word without a person gone missing is still a standing state, and a
        // routine word does not change that.
        for t in [
            "井盖平时经常有小孩在上面玩 很危险",
            "井盖松了 平时每天都有小孩在上面玩 很危险",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn everyday_reports_the_model_is_sure_of_are_not_emergencies() {
        // The lexicon hears an alarm word (被咬, overflowing, hit by a van); the model, which
        // has read the whole message, is all but sure it is an everyday report.
        for t in [
            "最近小区蚊子特别多，晚上被咬得睡不着，物业能不能打一下药",
            "The barrier at the garage entrance got hit by a van and has been broken for weeks",
        ] {
            let u = req(t);
            assert_eq!(u.urgency, Some(Urgency::Normal), "{t}");
        }
        // A real emergency keeps its alarm.
        for t in [
            "楼道里着火了 好大的烟 快来人",
            "Strong smell of gas on the 3rd floor landing, please come now",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        // Tap water is the supply, not water coming into a home.
        assert_eq!(
            lexicon_urgency("drinking water coming in our tap is muddy and smelling"),
            Urgency::Normal
        );
    }

    #[test]
    fn things_done_warnings_issued_and_admiring_are_not_requests() {
        for t in [
            "The leaning tree on Church Walk was taken down by the council this morning.",
            "Power cut at 4pm was because the contractors dug through a cable, the electric company says it's fixed now.",
            "The cherry trees on the green are in full bloom, gorgeous",
            "晚上吃什么？火锅还是烧烤",
        ] {
            not_req(t);
        }
    }

    #[test]
    fn near_misses_and_stories_are_not_emergencies() {
        for t in [
            "路口那个坑昨天有辆电动车差点摔进去 麻烦补一下",
            "a scooter nearly knocked a kid over on the footpath, can something be done",
            "八几年那场大水把整条街都淹了",
            "刚才说的烟味原来是楼下在熏腊肉 冇得事",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn framed_messages_are_not_requests_whatever_their_problem_words() {
        // The past, somewhere else, an alarm explained away, an advert: the problem words are
        // the story's, so neither the lexicon nor the model makes a request of them.
        for t in [
            "2008年冰灾的时候整个镇停电半个月 大家烧柴取暖",
            "零八年那场雪把村里的电线杆都压断了",
            "我表姐他们小区昨天停水了一整天 我们这边还好",
            "不是停电 是你家跳闸了 去电箱推上去就好",
            "the big storm in 1987 brought down half the trees on this road",
            "Aircon servicing promo this month, chemical wash only $60, reasonable rates",
        ] {
            not_req(t);
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // A fault that has lasted years, or since a year, is a present problem; so is a
        // framed message that asks for something.
        for t in [
            "这条路六七年没修了 坑坑洼洼的 请修一下",
            "Lift at Block 4 broken since 2019 and still nobody fixing it, please help",
        ] {
            assert!(req(t).is_request, "{t}");
        }
    }

    #[test]
    fn a_supposition_governing_the_problem_words_is_no_request() {
        // A conditional opens the message and governs its problem words, and nothing says
        // the problem is here now: nothing has happened. Asking whom to call or where to run
        // in a case supposed is a neighbour's question, not a problem for the grid.
        for t in [
            "要是哪天电梯坏了我这老腿可爬不上18楼",
            "假如真的着火了我们往哪跑",
            "万一停电了冰箱里的东西咋办",
            "如果电梯坏了我们老人怎么下楼",
            "假如下大雨地下车库被淹了咋办",
            "What would we even do if the lift broke down",
            "if there's ever a fire on our floor, which way do we go?",
            "in case the lift breaks down at night, who do we call?",
        ] {
            not_req(t);
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            assert!(
                parser().supposed_at(t).is_some(),
                "expected a supposition: {t}"
            );
        }
        // "Who do we call" asks, but for a case supposed: a neighbour can answer it. After a
        // report of what is there now, the ask is about that.
        not_req("in case the pipes freeze this winter, who do we call?");
        req("我们楼道里那么多电动车停着 万一着火跑都跑不掉 能不能管管");
        // A problem reported before the supposition, one that has lasted, a word for now, a
        // plea to the reader: each is here now.
        for t in [
            "要是再不修就要出事了 3栋楼道灯坏了一个月了",
            "楼道里堆满杂物 万一着火人都跑不出去 物业管管吧",
            "5栋电梯坏了 要是今天不修老人下不了楼",
            "if the lift breaks down again I'm calling the council, it's been stuck since monday",
        ] {
            assert!(req(t).is_request, "{t}");
            assert!(parser().supposed_at(t).is_none(), "{t}");
        }
        for t in [
            "if anyone sees my dad please call, he went out and is not back",
            "what do I do, the pipe just burst",
            "如果有人看到我家狗请联系我",
            "如果方便的话麻烦物业来看看 5栋楼道灯坏了",
            "not sure if the lift is broken again",
        ] {
            assert!(parser().supposed_at(t).is_none(), "{t}");
        }
    }

    #[test]
    fn asking_which_is_good_and_things_read_elsewhere_are_not_requests() {
        // Asking the neighbours which one is good, a public-service note, a thing read in the
        // paper: whatever their problem words.
        for t in [
            "你们知道哪家医院看牙比较好吗 我牙疼好几天了",
            "拼多多上那种感应灯好用不 想给楼道装几个",
            "PSA: bulky item collection is on Thursday, leave stuff by the bins",
            "The council is resurfacing every road in town next year, read it in the paper",
        ] {
            not_req(t);
        }
    }

    #[test]
    fn a_denied_sign_of_danger_is_a_hazard_to_fix() {
        // The sender says the smoke, the fire or the smell is not there.
        for t in [
            "配电箱的门掉了 关不上 里面没看到冒火 麻烦来修一下",
            "燃气表箱的门掉了 没闻到味道 麻烦物业来修一下",
            "the gas meter box door is hanging off, no smell of gas, can someone fix it",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
        // A term that holds its own negation is still the alarm, and 没 typed for 煤 by voice
        // denies nothing.
        for t in [
            "我妈在厕所摔倒了 叫她没反应",
            "燃气管那边没气味好重 不晓得哪家漏的 整栋楼都是",
            "the uncle at Blk 18 never come down for his kopi 2 days, lives alone, no answer",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // Nor is an alarm word denied across a clause: the fire is there.
        assert_eq!(lexicon_urgency("没人在家 厨房冒烟了"), Urgency::Urgent);
    }

    #[test]
    fn reassurance_leaves_only_strong_alarms_urgent() {
        // Someone not seen but heard going about the day; a hazard still holding.
        for t in [
            "对门张奶奶两天没出门了 不过听见她在屋里咳嗽 有空去看看",
            "the railing on the 3rd floor walkway is rusty and flaking, still solid though",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
        // Heard calling out after a fall is no reassurance, nor is a fire "still holding".
        for t in [
            "old uncle at 3/F lives alone, he fell in the toilet, I can hear him calling, door locked",
            "对门张奶奶两天没出门了 敲门不应",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
    }

    #[test]
    fn an_alarm_word_naming_a_fitting_or_a_storey_is_no_alarm() {
        for t in [
            "smoke detector on our landing keeps beeping, needs a new battery",
            "the emergency exit sign by the lifts is out, please replace",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // Someone lying on a floor is still someone down.
        let t = "elderly man on the 4th floor has been lying on his floor since last night, not answering";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn family_away_and_a_phone_switched_off_leave_someone_unaccounted_for() {
        for t in [
            "3栋的刘大爷平时天天下楼打牌 这两天没见人 敲门没人应 他女儿在外地",
            "我爸出门三个钟头了 平时一会就回 他有点糊涂 打电话关机",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
    }

    #[test]
    fn asking_who_has_seen_someone_vulnerable_is_a_plea_not_a_favour() {
        let t = "我家老人早上出门到现在没回来 七十多了 穿灰色外套 谁看见了告诉我一声";
        assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        // A lost cat asked after is still the neighbours' business.
        not_req("我家橘猫早上跑出去没回来 谁看见了告诉我一声");
    }

    #[test]
    fn open_shafts_taken_children_and_wet_sockets_are_emergencies() {
        for t in [
            "电梯门开了但是没到楼层 里面空的 黑乎乎的",
            "有个男的刚才在学校门口想拉小孩走",
            "楼上漏水 厨房插座都湿了",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // All the time, in Cantonese, is a standing state.
        assert_eq!(
            lexicon_urgency("後樓梯成日有人掉煙頭 好臭"),
            Urgency::Normal
        );
    }

    #[test]
    fn heating_snow_litter_and_unpaid_power_take_their_conventions() {
        // The building's heating not heating is property; snow and ice left on a path is
        // road; what fireworks leave behind is litter; power cut off for a bill is power; a
        // traffic light is road.
        for (t, want) in [
            (
                "5栋暖气一直不热 屋里才十度 啥时候来人看看",
                Category::Property,
            ),
            (
                "the heating's off in Block 2 again, radiators stone cold",
                Category::Property,
            ),
            ("楼前那条路没人扫雪 都踩成冰板了", Category::Road),
            (
                "the path by the shops is a sheet of ice, nobody's salted it",
                Category::Road,
            ),
            (
                "楼下空地全是放鞭炮留下的纸屑 谁来扫一下",
                Category::Sanitation,
            ),
            (
                "the car park is covered in spent firework casings, please clear",
                Category::Sanitation,
            ),
            ("李奶奶家的电欠费被停了 屋里黑灯瞎火的", Category::Power),
            (
                "the intersection light at King St is stuck on red",
                Category::Road,
            ),
        ] {
            assert_eq!(parser().lexicon_reading(t).category, Some(want), "{t}");
        }
    }

    #[test]
    fn a_hazard_that_comes_with_the_weather_or_is_said_to_be_no_emergency_is_to_fix() {
        for t in [
            "广告牌松了 风一大就往下掉 底下是公交站",
            "the fairy lights on the gate spark whenever it rains, kids walk past there",
            "娃发烧了找不到人看 卫生室也关门了",
            "sooty smell in the boiler room, not an emergency I think but someone should look",
            "locked out of my flat and it's cold, is there emergency maintenance?",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // A swindle under way is an emergency.
        for t in [
            "我爸接了个电话 让他把钱转到安全账户 他现在正往银行走 快帮忙拦一下",
            "my nan gave them her pin on the phone ten minutes ago, what do we do",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
    }

    #[test]
    fn asking_when_a_supply_comes_back_is_a_request() {
        let u = req(
            "Power keeps going every hour since morning, battery is flat. When will it be restored?",
        );
        assert_eq!(u.category, Some(Category::Power));
        not_req("Is the library open on Boxing Day? I want to return some books");
    }

    #[test]
    fn a_short_frame_cut_across_by_a_dictionary_word_frames_nothing() {
        let p = parser();
        // "当年宵花" is 当 / 年宵花 (to serve as New Year flowers): no "back then".
        assert!(!p.mentions("说是拿回去当年宵花 光秃秃的", Kind::Frame));
        assert!(p.mentions("当年我们住平房的时候 冬天冷得很", Kind::Frame));
        let t = "小区绿化带里被人挖了好几棵冬青 说是拿回去当年宵花 光秃秃的";
        assert!(p.lexicon_reading(t).confidence >= 0.5, "{t}");
    }

    #[test]
    fn a_notice_or_answer_dismissed_as_no_help_is_the_senders_complaint() {
        let p = parser();
        // The quoted notice is what the sender complains of: the notice words do not count.
        for t in [
            "“禁止高空抛物”的牌子挂了有啥用 楼上照样往下扔烟头 物业能不能上门管管",
            "「物业：请文明养犬」—— 发通知有啥用，那只大狗天天不拴绳，请你们直接上门管",
            "\"No ball games\" sign on the green, what's the point, kids kick balls at our windows every evening, can the office enforce it",
        ] {
            assert!(p.lexicon_reading(t).confidence >= 0.5, "{t}");
            assert!(req(t).is_request, "{t}");
        }
        // Not dismissed, the same notice is one.
        let t = "“请勿高空抛物”的牌子挂好了 大家互相监督";
        assert!(p.lexicon_reading(t).confidence < 0.5, "{t}");
        not_req(t);
    }

    #[test]
    fn asking_the_neighbours_pasted_answers_amusement_and_stories_mended_are_not_requests() {
        for t in [
            "问一下大家 空调外机冬天要不要罩起来啊 怕冻坏",
            "物业电话是多少？ 回复：在群公告里 自己看",
            "is the lift at Blk 4 fixed? Reply: yes working since noon",
            "楼下两个大爷打牌吵起来了 为了一张牌 笑死我了",
            "前年那座桥被大水冲坏了 后来政府重修的 现在结实得很",
            "the ice on the ramp by the clinic has been gritted now",
        ] {
            not_req(t);
        }
    }

    #[test]
    fn a_problem_denied_says_nothing_about_the_category() {
        let t = "Smell of sewage by the drain at Blk 6 when it's hot, no overflow or anything";
        assert_eq!(
            parser().lexicon_reading(t).category,
            Some(Category::Sanitation),
            "{t}"
        );
        // Asking whether is no denial.
        let t = "明天还停不停电啊 冰箱里有药";
        assert_eq!(
            parser().lexicon_reading(t).category,
            Some(Category::Power),
            "{t}"
        );
        let t = "楼道里有没有冒烟 谁去看一下 好大一股焦味";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn a_hazard_that_might_hurt_is_not_an_emergency_but_a_plea_is() {
        // "might", "怕", "almost": a hazard to fix, whatever the model hears in its words.
        for t in [
            "滑梯裂了个口子 小孩怕划伤手 请换一下",
            "the see-saw handle is loose, a kid might get hurt, please fix",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
        // Asking what to do in the middle of it is no "what if".
        let t = "液化气罐一直往外漏 火我都关了 怎么办";
        assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
    }

    #[test]
    fn rescued_but_not_breathing_is_still_an_emergency() {
        for t in [
            "孩子掉河里了 刚救上来 没有呼吸了 快叫救护车",
            "they pulled the old man out of the canal, he's not breathing",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        // Rescued and well: over.
        not_req("落水的人已经救上来了 送医院了 没事");
    }

    #[test]
    fn past_years_are_found_but_counts_and_since_are_not() {
        for (t, year) in [
            ("1998年发大水", true),
            ("记得零八年那场雪", true),
            ("九八年那次", true),
            ("the blackout in 2003 was worse", true),
            ("the floods of 1998", true),
            ("六七年没修了", false),
            ("broken since 2019", false),
            ("2026年1月的物业费", false),
            ("call 1998 7788", false),
            ("一两年了", false),
            ("the extinguisher expired in 2021", false),
            ("2019年装的电梯又坏了", false),
        ] {
            assert_eq!(past_year(t).is_some(), year, "{t}");
        }
    }

    #[test]
    fn a_habit_that_says_who_an_asked_whether_and_a_sender_away_do_not_calm() {
        // A habit naming the household, then an emergency after a word for now; a question
        // "是不是…" about a leak; the sender away pleading for someone to go.
        for t in [
            "对门天天打麻将的那家 现在厨房里着火了 烟都冒出来了",
            "化工厂那边一股刺鼻的味道 好多人咳嗽 是不是泄漏了",
            "我爸刚打电话说胸口痛 然后就没声音了 我在外地 求求大家去看一下 5栋302",
        ] {
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        // An alarm told before the "now" is the past the message looks back on; a denial is
        // still a denial.
        for t in [
            "上个月着火的那个仓库到现在还没清理 天天有野猫",
            "闻着有点刺鼻 问了燃气公司 不是泄漏 是隔壁在刷油漆",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            assert_ne!(
                parser().parse(t, false).urgency,
                Some(Urgency::Urgent),
                "{t}"
            );
        }
    }

    #[test]
    fn an_accident_last_time_or_again_and_again_is_a_hazard_to_fix() {
        for t in [
            "楼梯口的灯坏了 晚上看不见台阶 上次有个老人在那摔了一跤",
            "菜市场门口的地砖滑得很 老人摔了好几回了",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
        // Someone falling now is still an emergency.
        let t = "菜市场门口有个老人摔了 躺在地上起不来";
        assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
    }

    #[test]
    fn a_hedge_running_into_the_alarm_still_hedges_it() {
        // "怕有" overlaps "有人掉": the fall is feared, not reported.
        for t in [
            "路口的井盖没了 晚上怕有人掉下去",
            "桥上栏杆断了 晚上黑灯瞎火的 怕有人掉下去",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn feared_dangers_are_not_urgent_but_real_ones_are() {
        // A hedge before the alarm, a "what if" ending its clause, a hunch.
        for t in [
            "井盖松了 晚上路过的怕有人踩空掉下去",
            "阳台上的花盆摆在外沿 掉下去砸到人咋办",
            "总觉得楼道里有点燃气味 能不能派人来查查",
            "The cover of the junction box by the swings is off, what if a child gets electrocuted",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
            assert_eq!(req(t).urgency, Some(Urgency::Normal), "{t}");
        }
        // 了 says it happened; a space or a comma ends the hedge's clause.
        for t in [
            "厨房着火了怎么办 烟越来越大",
            "好怕 楼下着火了 烟都冲上来了",
            "怎么办，有人掉进河里了",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
            assert_eq!(req(t).urgency, Some(Urgency::Urgent), "{t}");
        }
        // A hedge must be a word of its own: 防 in 防盗窗 is no hedge.
        let t = "防盗窗掉下来一半 下面就是人行道";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn harm_told_with_the_experiential_guo_is_a_standing_hazard() {
        // 过 says it has happened before: a risk to fix, however many were hurt.
        let t = "防盗窗掉下来一半 下面就是人行道";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        for t in [
            "防盗窗掉下来一半 下面就是人行道 已经砸到过人",
            "防盗窗掉下来一半 下面就是人行道 好几个人差点被砸 还砸伤过一个",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // A direction after 过 is happening now.
        let t = "那条大黄狗挣脱了绳子 朝小孩扑过来了";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn a_snake_loose_with_people_in_its_way_is_an_emergency() {
        let t = "big snake under the slide at the Block 9 playground, kids all around it";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        // Seen now and then, or alone: a matter for the catcher.
        for t in [
            "saw a snake near the bin centre twice this week, kids play there",
            "snake in the long grass behind Block 9, can the council send a catcher",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn asks_and_thieves_in_the_englishes_of_the_estates() {
        let p = parser();
        for t in [
            "abeg make una send person check the borehole",
            "pakicheck po the gate lock",
            "Kindly do the needful for the streetlight",
        ] {
            assert!(p.mentions(t, Kind::Ask), "{t}");
        }
        // Thieves there now with an urgency word: an emergency; told afterwards, a report.
        let t = "thieves dey inside Block C compound now, security abeg come";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        let t = "thieves in the car park last week took two batteries, can we get more lights";
        assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
    }

    #[test]
    fn help_called_or_on_its_way_does_not_end_an_emergency() {
        // The fire, the gas and the bottles go on until help is there.
        for t in [
            "菜市场后面那排铁皮房着火了 火很大 已经有人打119了 住那边的赶紧出来",
            "有人在楼上往下扔酒瓶子！！刚砸在我脚边 碎了一地 这是要出人命啊 已经报警",
            "house fire at Lot 22!!! FD is on the way, everybody stay back from the propane tank",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
            assert_eq!(
                parser().parse(t, false).urgency,
                Some(Urgency::Urgent),
                "{t}"
            );
        }
        // Put out, or someone coming for an everyday fault: settled, or in hand.
        for t in [
            "3栋楼道着火了 已经扑灭了 已经有人在清理",
            "路灯坏了好几天 已经有人报了",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn a_notice_or_frame_denied_says_it_is_real() {
        // "Not the drill", "不是谣言": the sender says it is happening, not announced or heard.
        let t = "Fire alarm ringing at Tower 3 and got real smoke in the 20/F corridor this time, \
                 not the drill!! My mum cannot walk down stairs, someone pls help";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        let t = "转发个事 不是谣言 是我亲眼看到的 有人半夜在河边倒建筑垃圾 就在老桥底下 车牌没看清 村上管管";
        assert!(req(t).is_request, "{t}");
        // A drill announced, a rumour put down, and a rumour asked about stay what they are.
        for t in [
            "Fire drill at Tower 3 tomorrow 10am, the alarm will ring for 15 minutes",
            "群里说3栋要停水三天 是谣言 别信",
        ] {
            not_req(t);
        }
        let asks = parser().lexicon_reading("3栋着火了是不是谣言");
        assert!(asks.trace["f"][10].as_f64().is_some_and(|n| n > 0.0));
    }

    #[test]
    fn tagalogs_may_reports_what_is_there_and_fears_nothing() {
        let hedged = |t: &str| parser().lexicon_reading(t).trace["hedged"] == true;
        // Tagalog's "may" is "there is": the live wire and the children are there now.
        for t in [
            "may matanda po na hinimatay dito sa kanto ng Mabini, hindi gumagalaw",
            "may live wire po na nakabitin sa kalsada dito sa Purok 9, may mga bata pa",
        ] {
            assert!(!hedged(t), "{t}");
        }
        let t = "may live wire po na nakabitin sa kalsada dito sa Purok 9, may mga bata pa";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        // English "may" fears, in the estates' Englishes too.
        for t in [
            "the old wall at the car park may fall on the kids walking past",
            "the branch may come down on the footpath, pls cut it",
        ] {
            assert!(hedged(t), "{t}");
        }
    }

    #[test]
    fn nobody_answering_behind_a_locked_door_is_welfare_and_labour_is_health() {
        for t in [
            "楼上独居的大爷两天没露面 门反锁着 喊了没人应",
            "My neighbour is elderly and not answering the door, her lights have been on for two days",
        ] {
            let u = req(t);
            assert!(
                matches!(u.category, Some(Category::Welfare | Category::Health)),
                "{t} → {u:?}"
            );
            let lex = parser().lexicon_reading(t).category;
            assert!(
                matches!(lex, Some(Category::Welfare | Category::Health)),
                "{t} → {lex:?}"
            );
        }
        let t = "儿媳妇刚破水了 家里没车 能不能帮忙叫个车";
        let u = req(t);
        assert_eq!(
            (u.category, u.urgency),
            (Some(Category::Health), Some(Urgency::Urgent))
        );
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn explicit_forms_always_open() {
        for t in [
            "/report 随便写点什么",
            "#诉求 学校门口",
            "报修：投影仪",
            "投诉：太吵",
            "求助：有人吗",
            "report: hi",
            "报修:活动中心",
        ] {
            let u = parser().parse(t, true);
            assert!(u.is_request && u.explicit, "{t}");
            assert_eq!(u.confidence, 1.0);
            assert_eq!(u.band(0.7, 0.45), Band::Open);
        }
        let u = parser().parse("报修：活动中心的投影仪坏了", false);
        assert_eq!(u.body, "活动中心的投影仪坏了");
        assert_eq!(u.category, Some(Category::Property));
        assert_eq!(u.location.as_deref(), Some("活动中心"));
        let u = parser().parse("/report", false);
        assert_eq!(u.category, Some(Category::Other));
    }

    /// Corrections are learned (and unlearned) without a new parser; a corrected text is read
    /// as corrected, but explicit forms and staff messages are untouched by any correction.
    #[test]
    fn corrections_are_learned_but_never_silence_explicit_forms() {
        let lamp = "3栋楼道的灯坏了好几天了，晚上上楼看不见";
        let ladder = "谁家有梯子借用一下，明天还";
        let p = Parser::load(None).expect("parser");
        assert!(p.parse(lamp, false).is_request);
        assert!(!p.parse(ladder, false).is_request);
        let lessons = [
            Correction {
                text: lamp.into(),
                is_request: false,
                category: None,
                urgency: None,
            },
            Correction {
                text: format!("/report {lamp}"),
                is_request: false,
                category: None,
                urgency: None,
            },
            Correction {
                text: ladder.into(),
                is_request: true,
                category: Some(Category::Welfare),
                urgency: Some(Urgency::Urgent),
            },
        ];
        p.learn(&lessons).expect("learn");
        let u = p.parse(lamp, false);
        assert!(!u.is_request && u.category.is_none(), "{u:?}");
        assert!(
            !p.parse(&format!(" {lamp} "), false).is_request,
            "the same words, spaced"
        );
        let u = p.parse(ladder, false);
        assert!(u.is_request, "{u:?}");
        assert_eq!(u.category, Some(Category::Welfare));
        assert_eq!(u.urgency, Some(Urgency::Urgent));
        assert!(!p.parse(ladder, true).is_request, "staff: never a request");
        for explicit in [
            format!("/report {lamp}"),
            format!("报修：{lamp}"),
            format!("#诉求 {lamp}"),
        ] {
            let u = p.parse(&explicit, false);
            assert!(u.explicit && u.is_request, "{explicit}: {u:?}");
            assert_eq!(u.band(0.7, 0.45), Band::Open);
        }
        // Forgetting them restores the reading.
        p.learn(&[]).expect("learn");
        assert!(p.parse(lamp, false).is_request);
        assert!(!p.parse(ladder, false).is_request);
    }

    /// An urgent reading names the cues it rests on; a normal one names none.
    #[test]
    fn urgent_readings_say_why() {
        let u = req("厨房闻到一股很浓的煤气味，10栋2单元");
        assert_eq!(u.urgency, Some(Urgency::Urgent));
        assert!(u.why.iter().any(|w| w.contains("煤气")), "{:?}", u.why);
        // Cues that overlap or touch are one phrase, as written: no cue inside another.
        for text in [
            "3栋楼道里好大一股煤气味，谁家的",
            "6栋电梯又坏了，困了个人在里面！",
        ] {
            let u = req(text);
            assert_eq!(u.urgency, Some(Urgency::Urgent), "{text}");
            for (i, a) in u.why.iter().enumerate() {
                assert!(text.contains(a.as_str()), "{text}: {:?}", u.why);
                for b in &u.why[i + 1..] {
                    assert!(
                        !a.contains(b.as_str()) && !b.contains(a.as_str()),
                        "{text}: {:?}",
                        u.why
                    );
                }
            }
        }
        // Made urgent by the model alone: the words its vote rests on, as written.
        let text = "地下室的水管爆了 水哗哗往外喷";
        let p = parser();
        let learned = p.learned.read().expect("model");
        let (reading, _) = p.read(text, false, &learned.model, &score::Blend::SHIPPED);
        assert!(!reading.lexicon_urgent);
        let u = req(text);
        assert_eq!(u.urgency, Some(Urgency::Urgent));
        assert!(
            !u.why.is_empty() && u.why.len() <= MODEL_CUES,
            "{:?}",
            u.why
        );
        assert!(
            u.why.iter().all(|w| text.contains(w.as_str())),
            "{:?}",
            u.why
        );
        // Each word the vote rests on is shown in its clause: "一辆", "起来" alone say nothing.
        let text = "三岔路口一辆三轮车跟小轿车撞了 三轮车上的老头躺着没起来";
        let (reading, _) = p.read(text, false, &learned.model, &score::Blend::SHIPPED);
        assert!(
            !reading.lexicon_urgent,
            "the model's reading is what is tested"
        );
        let u = req(text);
        assert!(
            !u.why.is_empty()
                && u.why
                    .iter()
                    .all(|w| w.chars().count() >= 6 && text.contains(w.as_str())),
            "{:?}",
            u.why
        );
        let said = "his face has dropped, his speech is slurred, we need help now";
        let (l, r) = clause_around(said, 36, 43);
        assert_eq!(said[l..r].trim(), "his speech is slurred");
        let said = "Kid climbed over the fence into the building site next to the school";
        let (l, r) = clause_around(said, 27, 31);
        assert_eq!(said[l..r].trim(), "over the fence into the building site");
        let u = req("3栋楼道的灯坏了好几天了，晚上上楼看不见");
        assert_eq!(u.urgency, Some(Urgency::Normal));
        assert!(u.why.is_empty(), "{:?}", u.why);
    }

    #[test]
    fn staff_messages_are_requests_only_when_explicit() {
        let u = parser().parse("3栋路灯坏了，明天安排师傅", true);
        assert!(!u.is_request);
        assert_eq!(u.band(0.7, 0.45), Band::Silent);
        assert!(parser().parse("#诉求 3栋路灯坏了", true).is_request);
    }

    #[test]
    fn hard_negatives() {
        let cases = [
            "谢谢网格长，灯修好了",
            "电梯已经修好了，谢谢物业",
            "刚才的问题已经有师傅去处理了",
            "Thanks, all sorted now!",
            "【通知】本周四下午小区进行消防演练，听到警报请勿惊慌。",
            "各位请注意，明天下午停电检修，请提前做好准备",
            "温馨提示：连日降雨，后山有塌方风险，请大家不要靠近",
            "谁家有梯子借我用一下",
            "Has anyone seen my cat? Grey tabby, answers to Momo.",
            "有没有靠谱的修空调师傅推荐一个，我家空调不制冷了",
            "出售二手电动车一辆，九成新，有意私聊",
            "家人们帮我砍一刀 https://p.example.com/x",
            "[红包]恭喜发财，大吉大利",
            "[捂脸]",
            "👌",
            "早上好呀",
            "收到，谢谢",
            "【转】震惊！这些食物千万别一起吃，赶紧转给家人",
            "Reminder: the recycling schedule changes next week.",
            "没事了，是我看错了",
        ];
        for t in cases {
            not_req(t);
        }
    }

    #[test]
    fn greetings_mixed_with_requests_still_count() {
        req("早上好，麻烦问一下3栋的路灯什么时候修");
        req("谢谢网格长，另外2单元门口的下水道又堵了");
        req("上次修好的路灯又坏了");
        req("hi all, the lift in Block 5 is out of order again");
    }

    #[test]
    fn bands() {
        let mut u = parser().parse("路灯", false);
        u.explicit = false;
        for (confidence, band) in [
            (0.95, Band::Open),
            (0.7, Band::Open),
            (0.6, Band::Confirm),
            (0.45, Band::Confirm),
            (0.2, Band::Silent),
            (0.0, Band::Silent),
        ] {
            u.confidence = confidence;
            assert_eq!(u.band(0.7, 0.45), band, "{confidence}");
        }
        u.confidence = 0.1;
        u.explicit = true;
        assert_eq!(u.band(0.7, 0.45), Band::Open);
        // Real messages land where they should with the default thresholds.
        assert_eq!(
            parser()
                .parse("厨房闻到一股煤气味，10栋2单元", false)
                .band(0.7, 0.45),
            Band::Open
        );
        assert_eq!(
            parser().parse("早上好", false).band(0.7, 0.45),
            Band::Silent
        );
    }

    #[test]
    fn me_too() {
        for t in [
            "我家也是",
            "我们家也是这样",
            "+1",
            "＋1",
            "同样的问题",
            "me too",
            "Same here!",
            "同上",
            "yes same in block 7",
            "me also lah",
        ] {
            assert!(parser().is_me_too(t), "{t}");
        }
        for t in [
            "好的",
            "3栋路灯坏了",
            "thanks",
            "same old story every week",
            "我也是网格员，我来说两句关于今天停水的通知，大家注意储水哈",
        ] {
            assert!(!parser().is_me_too(t), "{t}");
        }
    }

    #[test]
    fn same_problem_links_by_category_and_place() {
        use Category::*;
        assert!(same_problem(
            Lighting,
            Some("3栋"),
            Lighting,
            Some("3栋2单元")
        ));
        assert!(same_problem(Lighting, Some("三栋"), Lighting, Some("3栋")));
        assert!(same_problem(Road, Some("Block 5"), Road, Some("block5")));
        assert!(same_problem(
            Sanitation,
            Some("bins at block 3"),
            Sanitation,
            Some("the bins behind Block 3")
        ));
        assert!(same_problem(
            Lighting,
            Some("outside block 5"),
            Lighting,
            Some("Block 5")
        ));
        assert!(!same_problem(
            Sanitation,
            Some("bins at block 3"),
            Sanitation,
            Some("bins at block 5")
        ));
        // A number inside a longer one is another place.
        assert!(!same_problem(Lighting, Some("3栋"), Lighting, Some("13栋")));
        assert!(!same_problem(Road, Some("Block 3"), Road, Some("block 35")));
        assert!(same_problem(
            Road,
            Some("Block 3"),
            Road,
            Some("block 3 lift lobby")
        ));
        assert!(same_problem(
            Water,
            Some("西门门口"),
            Water,
            Some("小区西门")
        ));
        assert!(same_problem(Water, Some("１２组"), Water, Some("12组")));
        assert!(!same_problem(Lighting, Some("3栋"), Water, Some("3栋")));
        assert!(!same_problem(Lighting, Some("3栋"), Lighting, Some("5栋")));
        assert!(!same_problem(Lighting, None, Lighting, None));
        assert!(!same_problem(Lighting, Some("3栋"), Lighting, None));
        // A place said from the sender's home is a different place for each sender.
        assert!(!same_problem(
            Water,
            Some("我家门口"),
            Water,
            Some("我家门口")
        ));
        assert!(!same_problem(Dispute, Some("楼上"), Dispute, Some("楼上")));
        assert!(!same_problem(
            Dispute,
            Some("next door"),
            Dispute,
            Some("Next door")
        ));
        assert!(same_problem(
            Water,
            Some("老周家门口"),
            Water,
            Some("老周家")
        ));
    }

    #[test]
    fn claim_words() {
        for t in [
            "接单",
            "收到",
            "好的",
            "马上去",
            "OK",
            "ok 马上到",
            "on it",
            "On my way",
            "我看看",
            "好，我过去看看",
            "will check after lunch",
        ] {
            assert!(parser().claim_word(t), "{t}");
        }
        for t in [
            "",
            "接不了，我在外地",
            "can't today",
            "谢谢",
            "3栋路灯怎么还没修",
            "not mine",
        ] {
            assert!(!parser().claim_word(t), "{t}");
        }
    }

    #[test]
    fn not_fixed_replies() {
        for t in [
            "没修好",
            "还是坏的",
            "不行",
            "还是不亮",
            "又坏了",
            "still broken",
            "Nope, still not working",
        ] {
            assert!(parser().not_fixed(t), "{t}");
        }
        for t in ["修好了，谢谢", "好的", "thanks, all sorted"] {
            assert!(!parser().not_fixed(t), "{t}");
        }
    }

    #[test]
    fn extra_lexicon_dir_extends_and_bad_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A word the built-in lexicon does not know makes a request once a file adds it.
        let before = parser().parse("村口的XQ9机器坏了", false);
        std::fs::write(
            dir.path().join("local.toml"),
            "[[group]]\nkind = \"topic\"\ncategory = \"property\"\nweight = 2.0\nterms = [\"XQ9机器\"]\n",
        )
        .expect("write");
        let extended = Parser::load(Some(dir.path())).expect("valid extension");
        let after = extended.parse("村口的XQ9机器坏了", false);
        assert_eq!(after.category, Some(Category::Property));
        assert!(after.confidence > before.confidence);

        std::fs::write(
            dir.path().join("more.toml"),
            "[[group]]\nkind = \"issue\"\ncategory = \"water\"\nweight = 2.0\nterms = [\n  \"水管\",\n  \"   \",\n]\n",
        )
        .expect("write");
        let err = match Parser::load(Some(dir.path())) {
            Err(e) => e,
            Ok(_) => panic!("a blank term was accepted"),
        };
        assert!(err.file.ends_with("more.toml"), "{err}");
        assert_eq!(err.line, 7, "{err}");
    }

    #[test]
    fn hedged_alarms_are_one_fear_however_many_words_tell_it() {
        // "怕有人掉河里" is heard as "有人掉" and as "掉河里": both hedged, they are one fear,
        // not two weak cues adding up to an emergency.
        for t in [
            "村口那座木桥的扶手断了一截，天黑了看不清，怕有人掉河里",
            "塘边的栏杆松了好几根，夜里又没灯，怕有人掉到塘里去",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        // Someone in the water now is an emergency.
        assert_eq!(lexicon_urgency("有人掉河里了 快来人"), Urgency::Urgent);
    }

    #[test]
    fn a_routine_turned_from_with_but_is_no_standing_state() {
        // "Every morning …, but three days not seen": the habit says what is normal for him.
        for t in [
            "the auntie at #07-231 stays alone, every morning sure go market, but 2 days never see her already",
            "独居的刘奶奶每天早上都在楼下晒太阳，但是这两天没见人，敲门也不应",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // Without anyone unaccounted for, a habit is still a standing hazard.
        assert_eq!(
            lexicon_urgency("井盖松了 平时每天都有小孩在上面玩 但是没人管 很危险"),
            Urgency::Normal
        );
    }

    #[test]
    fn a_hazard_back_every_storm_or_month_is_to_fix_but_gunfire_is_danger_now() {
        for t in [
            "the storm drains on our street overflowing every storm, water pouring across the footpath",
            "someone trying car door handles on Elm St at 3am again, caught on camera, 2nd time this month",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
        assert_eq!(
            lexicon_urgency(
                "robbers for Phase 3 now now, we hear gunshots, security where una dey"
            ),
            Urgency::Urgent
        );
    }

    #[test]
    fn news_from_family_far_away_prices_and_adverts_are_no_request() {
        // Told by relatives elsewhere, watched on a phone, a province away, a price rise, an
        // advert: the problem words are someone else's or nobody's to fix.
        for t in [
            "老家来电话说我二叔在田里摔了，住院了，离得远也回不去",
            "听说河南那边又发大水了，我老家村子也进水了，在这边干着急",
            "刷抖音看到一个小区煤气爆炸，整栋楼都震坏了",
            "我原来住的那个小区，一下雨地下室就淹，搬到这边好多了",
            "Breaking: landslide on the road to the next town, video inside, avoid that way",
            "Water tariff going up next month again, how are we supposed to cope 😩",
            "Advert: cheap land plots near the highway, title deeds ready, call 0800 123 456",
            "The council says the recycling is a day late this week because of the bank holiday. pass it on",
            "Big branch came down on a van in Ferntree last night. Check your trees folks!!",
        ] {
            not_req(t);
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn small_talk_before_a_turn_to_business_frames_nothing() {
        // Twentieth round: greetings, a story and a laugh, then "btw" or "对了" and the report.
        // The lexicon alone reads them (the model has learned rows like them).
        for t in [
            "Morning all, hope everyone enjoyed the long weekend haha. btw the drain cover by the \
             laundrette on Kent St is gone, pls get it covered",
            "大家晚上好 今天包了饺子哈哈 对了 5栋门口那盏路灯不亮了 麻烦看看",
        ] {
            let f = parser().features(t);
            // chat, notice (frames count as notices), thanks
            assert_eq!((f[14], f[10], f[9]), (0.0, 0.0, 0.0), "{t}");
            req(t);
        }
        // With no business after the turn, the small talk is the message.
        let f = parser().features("Morning all haha, btw lovely sunset tonight 🌅");
        assert!(f[14] > 0.0);
    }

    #[test]
    fn asking_whether_it_is_reported_is_no_neighbours_favour() {
        // "Has anyone reported it?" wants the fault dealt with; "anyone know why?" about an
        // outage asks after it.
        for t in [
            "Street lights on the whole of Birch Row out since 8pm. Has anyone reported it?",
            "no gas supply in our block since lunch, anyone know why?",
        ] {
            let f = parser().features(t);
            assert_eq!(f[11], 0.0, "neighbour: {t}");
            assert!(f[3] > 0.0, "ask: {t}");
        }
    }

    #[test]
    fn malay_and_tagalog_asks_thanks_and_fixes_are_heard() {
        // Asks of the estates' Englishes ("sapa boleh", "tolong", "pakicheck naman po").
        for t in [
            "pokok kelapa depan surau dah nak tumbang, sapa boleh tebang?",
            "yung ilaw sa basketball court patay na, pakicheck naman po",
        ] {
            assert!(parser().features(t)[3] > 0.0, "ask: {t}");
        }
        // Thanks, and found or fixed: over.
        for t in [
            "salamat po sa barangay, ayos na yung poste sa amin 🙏",
            "kucing Pak Ali dah jumpa, terima kasih semua",
        ] {
            let f = parser().features(t);
            assert!(f[8] > 0.0 && f[9] > 0.0, "resolved and thanks: {t}");
            not_req(t);
        }
    }

    #[test]
    fn tips_passed_on_and_things_found_for_their_owner_are_notices() {
        for t in [
            "tip for anyone whose boiler keeps cutting out: bleed the radiators first, worked for us",
            "Found - black umbrella at the lift lobby, owner pls collect from the guard house",
        ] {
            let f = parser().features(t);
            assert!(f[10] >= 3.0 || f[11] >= 3.0, "notice or neighbour: {t}");
            not_req(t);
        }
    }

    #[test]
    fn asking_the_neighbours_for_a_tradesman_is_a_favour() {
        for t in [
            "哪个认得修空调的师傅 我家空调不制冷了",
            "Abeg who get plumber number? my tap no dey stop since yesterday",
        ] {
            not_req(t);
        }
    }

    #[test]
    fn news_or_fiction_from_elsewhere_is_no_request() {
        // However the watching is said, the fire, the fall or the lift is someone else's.
        for t in [
            "刚看了个新闻 有个小区燃气爆炸了 太吓人了",
            "新闻又说哪里有老人摔倒没人发现 大家多看看家里老人",
            "电视剧里那场大火烧得也太假了",
            "News says a block in Tampines had a gas leak, stay safe everyone",
            "The lift at my office building got stuck twice this week, glad ours is fine",
        ] {
            not_req(t);
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn a_fix_of_the_senders_own_is_no_request() {
        // Tried, under way or done by the sender, or seen to by the company since.
        for t in [
            "厨房下水有点慢 倒了开水加小苏打 现在通了",
            "阳台漏雨我自己爬上去垫了块板 先将就用着",
            "楼下那根滴水的管子 师傅上午来焊好了",
            "Blew the fuse with the hair dryer again, my bad, working on it now",
            "Tripped the breaker with the kettle and heater, my bad, resetting it now",
        ] {
            not_req(t);
        }
    }

    #[test]
    fn fun_notices_and_adverts_said_so_are_no_requests() {
        for t in [
            "今天放假 孩子们在外面打雪仗 一个个乐疯了",
            "The geese by the pond chased the postman again, absolute legends",
            "From the grid office: heavy rain tonight, keep your windows shut",
            "Waterproofing specialist here, 10 years warranty, free site visit",
            "The leak was at Block 3 not Block 4, for the record",
        ] {
            not_req(t);
        }
    }
    #[test]
    fn asking_for_the_emergency_services_is_a_plea_not_a_notice() {
        // "Please call the police / the fire brigade" in a report of danger now asks for them:
        // no notice calms it.
        for t in [
            "Mudslide on the hill road just now!! two houses cracking, people inside, please call fire and rescue",
            "man in 4B beating his wife right now, we hear her screaming, please call police",
            "the stairwell reeks of gas and nobody opens the doors, can someone ring the emergency line for me",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // A lost pet's number to call is still no request.
        not_req(
            "Lost: grey tabby, answers to Smokey, last seen by the garages. Please call 07xxx if seen",
        );
    }

    #[test]
    fn a_fall_about_to_happen_is_danger_now_not_a_fear() {
        // "could" inside "could go any second" reports a danger now.
        assert_eq!(
            lexicon_urgency(
                "the big gum by the school crossing is leaning badly since the storm, looks like it could go any second"
            ),
            Urgency::Urgent
        );
        // A "could" before a hazard still fears it.
        assert_eq!(
            lexicon_urgency("that dead branch could fall on someone one day, please cut it"),
            Urgency::Normal
        );
    }

    #[test]
    fn someone_home_alone_is_exposed_not_found() {
        // "is home" says a missing person is back; "is home alone" says who is in danger.
        let f = parser().features(
            "a man just tried to kick in the door of flat 9, my neighbour is home alone in there with her baby, is security on?",
        );
        assert_eq!(f[8], 0.0, "resolved");
        assert_eq!(
            lexicon_urgency(
                "a man just tried to kick in the door of flat 9, my neighbour is home alone in there with her baby, is security on?"
            ),
            Urgency::Urgent
        );
        let f = parser().features("Mr Osei is home now, his son found him at the bus station");
        assert!(f[8] > 0.0, "resolved");
    }

    #[test]
    fn a_past_that_dates_a_cause_or_a_comparison_does_not_calm_an_emergency() {
        // "after last night's rain", "worse than last week", and a past told after an alarm
        // exclaimed say why or how much, not that the danger is over.
        for t in [
            "the footbridge at Mill Lane half washed away after last night's rain, kids still trying to cross",
            "Block 4 stairwell smelling of gas again, much worse than last week, please send someone now",
            "Boy fell into the open drain at lane 6!! The grating was stolen last week. Bring a rope, hurry",
            "3栋楼道煤气味比上周还重 老人在家 快来人",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
        }
        // A past event told as the story stays calm.
        for t in [
            "Last week a kid fell into the open drain at lane 6, the grating is still missing",
            "上个月3栋楼道有煤气味 后来查了是灶台没关",
        ] {
            assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        }
    }

    #[test]
    fn a_near_miss_with_the_hazard_still_there_is_judged_not_feared() {
        // "just missed", "差点" report a hazard that happened: the model's urgent vote counts.
        let t = "chunks of plaster dropping from the ledge of Block 3, one just missed a woman with a pram";
        // The lexicon alone hears a hazard to fix; the model hears an emergency.
        assert_eq!(lexicon_urgency(t), Urgency::Normal, "{t}");
        let u = parser().parse(t, false);
        assert!(u.is_request, "{t} → {u:?}");
        assert_eq!(u.urgency, Some(Urgency::Urgent), "{t} → {u:?}");
        // Things still coming off in the wind, with people below, are heard by the lexicon too.
        let t = "slates blowing off the roof of Block 2 in this wind, one just missed an old man at the bus stop";
        assert_eq!(lexicon_urgency(t), Urgency::Urgent, "{t}");
    }

    #[test]
    fn an_alarm_said_to_be_false_or_a_danger_dealt_with_is_no_request() {
        for t in [
            "3栋那个燃气报警是误报 探测器老化了自己响",
            "B1车库的积水昨晚已经抽干了 车都开出来了",
            "村口那条疯狗已经打死了 派出所处理的",
        ] {
            not_req(t);
        }
        // A detector that keeps going off is a fault to fix.
        req("5栋烟感老是误报 半夜响好几次 物业来修一下");
    }
}

#[cfg(test)]
mod crisis_cues {
    use super::tests::parser;
    use crate::domain::{Category, Urgency};

    /// Both the lexicon on its own and the whole parser read the text as an urgent request,
    /// the lexicon of `category`; returns the whole parser's reading.
    fn urgent(text: &str, category: Category) -> crate::understand::Understanding {
        let lexicon = parser().lexicon_reading(text);
        assert!(lexicon.confidence >= 0.5, "lexicon: not a request: {text}");
        assert_eq!(lexicon.urgency, Urgency::Urgent, "lexicon: {text}");
        assert_eq!(lexicon.category, Some(category), "lexicon: {text}");
        let u = parser().parse(text, false);
        assert!(u.is_request, "{text} → {u:?}");
        assert_eq!(u.urgency, Some(Urgency::Urgent), "{text} → {u:?}");
        u
    }

    fn urgent_safety(text: &str) {
        urgent(text, Category::Safety);
    }

    #[test]
    fn someone_who_will_take_their_life_is_an_emergency() {
        urgent_safety("我表哥刚打电话说活不下去了 现在在大桥上");
        urgent_safety("隔壁阿姨说不想活了 一个人坐在天台边");
        urgent_safety("my flatmate texted that he wants to end it and now his phone is off");
        urgent_safety("a girl on the footbridge says she doesn't want to live anymore");
    }

    #[test]
    fn a_lost_child_or_older_person_is_an_emergency_for_their_welfare() {
        // A missing person is filed under welfare first (safety acceptable; docs/parser.md,
        // "Seventh round"), in any register, and is urgent.
        for t in [
            "在菜市场跟丢了 我家娃娃不见了 穿红衣服 大家帮忙找找",
            "lost my 6yo near the playground, blue cap, please help",
            "my son is missing, he was at the bus stop ten minutes ago",
            "我公公有老年痴呆 下午出门走失了 穿灰色夹克 大家帮忙留意",
            "Grandad wandered off from the day centre after lunch, he has dementia, last seen by the shops",
        ] {
            let u = urgent(t, Category::Welfare);
            assert_eq!(u.category, Some(Category::Welfare), "{t} → {u:?}");
        }
        // A child gone under in the water is a danger the words name: safety.
        urgent_safety("两个娃在塘边玩 一个掉水里了 扑腾两下就看不见了");
    }

    #[test]
    fn losing_a_parent_to_illness_is_not_a_lost_person() {
        let lexicon = parser().lexicon_reading("lost my mum last year, still miss her");
        assert_ne!(lexicon.urgency, Urgency::Urgent);
    }
}

#[cfg(test)]
mod categories_by_class {
    use super::tests::parser;
    use crate::domain::Category;

    fn lexicon_category(text: &str) -> Option<Category> {
        parser().lexicon_reading(text).category
    }

    /// The lexicon counts the text for `category` and the whole parser files it there.
    fn filed_as(text: &str, category: Category) {
        let lexicon = parser().lexicon_reading(text);
        assert!(
            lexicon.category_scores[category as usize] > 0.0,
            "lexicon: {text} → {:?}",
            lexicon.category_scores
        );
        let u = parser().parse(text, false);
        assert_eq!(u.category, Some(category), "{text} → {u:?}");
    }

    #[test]
    fn what_residents_ask_the_community_to_put_on_is_other_business() {
        for t in [
            "活动室能不能开个书法班 退休的都想学",
            "村里能不能搞个茶话会 我们几个老的想去",
            "能不能帮忙组织一下团购大米 自己买太贵",
            "can the RC please arrange an interpreter for the Tamil-speaking aunties at the meeting",
            "could the residents committee run a shuttle to the clinic on Tuesdays",
        ] {
            filed_as(t, Category::Other);
        }
        // 班 inside a word of its own (上班, 值班) is no class.
        assert_eq!(
            lexicon_category("上班路上那段路灯不亮 黑漆漆的"),
            Some(Category::Lighting)
        );
    }
}
