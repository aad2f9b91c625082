//! Scoring: from the tallied evidence to a confidence, a category and an urgency.
//!
//! The score is a fixed linear sum over capped tallies, squashed by the logistic function.
//! Capping keeps one chatty message from piling up evidence by repetition; the weights were
//! set on the corpus's train and dev splits (see corpus/README.md) and are deliberately round.

use crate::domain::{Category, Urgency};

use super::lexicon::{Entry, Kind};

/// Evidence found in one message.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    kinds: [f32; Kind::COUNT],
    /// Per category: topic and issue weights, and where the category was first seen.
    categories: [f32; 13],
    first_seen: [usize; 13],
    /// Strong urgency cues (weight ≥ 2) separately: one is enough.
    urgent_strong: f32,
    pub chars: usize,
    pub substantive: usize,
}

impl Tally {
    pub(crate) fn add(&mut self, e: &Entry, at: usize) {
        self.kinds[e.kind as usize] += e.weight;
        if let Some(c) = e.category {
            let i = c as usize;
            if self.categories[i] == 0.0 || at < self.first_seen[i] {
                self.first_seen[i] = at;
            }
            self.categories[i] += e.weight;
            if e.kind == Kind::Issue {
                // A category's own problem words are problems too ("漏水", "不亮").
                self.kinds[Kind::Problem as usize] += 1.0;
            }
        }
        if e.kind == Kind::Urgent && e.weight >= 2.0 {
            self.urgent_strong += 1.0;
        }
    }

    fn get(&self, kind: Kind, cap: f32) -> f32 {
        self.kinds[kind as usize].min(cap)
    }

    /// The best category and its score; ties go to the one mentioned first.
    fn category(&self) -> Option<(Category, f32)> {
        let mut best: Option<(Category, f32, usize)> = None;
        for c in Category::ALL {
            let i = c as usize;
            let s = self.categories[i];
            if s <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, bs, at)) => s > bs || (s == bs && self.first_seen[i] < at),
            };
            if better {
                best = Some((c, s, self.first_seen[i]));
            }
        }
        best.map(|(c, s, _)| (c, s))
    }
}

/// The parser's conclusion before the explicit/staff rules are applied.
pub(crate) struct Reading {
    pub confidence: f32,
    pub category: Option<Category>,
    pub urgency: Urgency,
    pub location: Option<String>,
}

pub(crate) fn decide(t: &Tally, location: Option<String>) -> Reading {
    let category = t.category();
    let topic = category.map_or(0.0, |(_, s)| s.min(4.0));
    let problem = t.get(Kind::Problem, 3.0);
    let ask = t.get(Kind::Ask, 2.0);
    let complaint = t.get(Kind::Complaint, 2.0);
    let urgent = t.get(Kind::Urgent, 4.0);
    let intensifier = t.get(Kind::Intensifier, 1.0);
    let not_fixed = t.get(Kind::NotFixed, 3.0);
    // A fix that did not hold cancels "it was fixed".
    let resolved = if not_fixed > 0.0 { 0.0 } else { t.get(Kind::Resolved, 6.0) };
    let thanks = t.get(Kind::Thanks, 2.0);
    let notice = t.get(Kind::Notice, 6.0);
    let neighbour = t.get(Kind::Neighbour, 6.0);
    let private = t.get(Kind::Private, 4.0);
    let spam = t.get(Kind::Spam, 8.0);
    let chat = t.get(Kind::Chat, 3.0);
    let negation = t.get(Kind::Negation, 3.0);

    let mut s = -2.6;
    s += 0.55 * topic;
    s += 0.7 * problem;
    s += 0.45 * ask;
    s += 0.35 * complaint;
    s += 0.45 * urgent;
    s += 0.2 * intensifier;
    s += 0.35 * not_fixed;
    // What the message is about AND that something is wrong or wanted: the core of a request.
    if topic > 0.0 && (problem > 0.0 || ask > 0.0 || urgent > 0.0) {
        s += 0.9;
    }
    if location.is_some() && (topic > 0.0 || problem > 0.0) {
        s += 0.3;
    }
    s -= 0.75 * resolved;
    s -= 0.35 * thanks;
    s -= 0.7 * notice;
    s -= 0.7 * neighbour;
    s -= 0.45 * private;
    s -= 0.6 * spam;
    s -= 0.4 * chat;
    s -= 0.8 * negation;
    // Stickers, emoji and one-word replies carry no request.
    if t.substantive < 4 {
        s -= 1.5;
    }
    let confidence = 1.0 / (1.0 + (-s).exp());

    let calm = negation > 0.0 || resolved > 0.0 || notice > 0.0;
    let urgency = if !calm && (t.urgent_strong > 0.0 || urgent + intensifier >= 2.0) {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    Reading {
        confidence,
        category: category.map(|(c, _)| c),
        urgency,
        location,
    }
}
