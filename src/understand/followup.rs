//! Messages that are not one report: a message that says only where ("3栋", "在5栋2单元", "不好意思
//! 说错了 是4栋", "sorry I meant block 7") names no problem, so it is never a request by itself
//! and belongs to the sender's report of a moment before or after (src/engine/places.rs); a
//! message that reports two problems ("3栋楼道灯坏了，还有5栋门口的垃圾好几天没人清了") is two
//! reports (src/engine/understanding.rs).

use super::{Category, Parser, Understanding, is_content_char, same_problem, text};

/// Words that open a second problem after a first one: "还有", "另外", "also". A marker stands
/// after a clause break ("…坏了，还有…", "…broken. Also …") or an "and".
const SECOND_ZH: &[&str] = &[
    "还有就是",
    "还有",
    "另外",
    "再就是",
    "再有",
    "顺便说一下",
    "顺便",
];
const SECOND_EN: &[&str] = &["and also", "also", "another thing", "oh and", "plus"];

/// Words around a place that add nothing to it: a preposition, "it is", an apology or a
/// correction. Longest first within each language, so "说错了" goes before "说".
const FILLERS_ZH: &[&str] = &[
    "不好意思",
    "我说错了",
    "搞错了",
    "弄错了",
    "看错了",
    "写错地方了",
    "不对不对",
    "不对",
    "刚才说错了",
    "纠正一下",
    "更正一下",
    "补充一下",
    "忘了说",
    "说错了",
    "打错了",
    "写错了",
    "对不起",
    "地址是",
    "地点是",
    "位置是",
    "应该是",
    "具体是",
    "具体在",
    "抱歉",
    "更正",
    "纠正",
    "补充",
    "地址",
    "地点",
    "位置",
    "是在",
    "就在",
    "刚才",
    "那个",
    "一下",
    "在",
    "是",
    "哦",
    "噢",
    "啊",
    "呀",
    "哈",
    "了",
    "的",
    "呢",
    "嗯",
];

/// English words around a place that add nothing to it.
const FILLERS_EN: &[&str] = &[
    "sorry",
    "oops",
    "i",
    "meant",
    "mean",
    "correction",
    "typo",
    "it's",
    "its",
    "it",
    "is",
    "was",
    "at",
    "in",
    "on",
    "the",
    "address",
    "location",
    "actually",
    "my",
    "bad",
    "that",
    "should",
    "be",
    "sry",
    "pls",
    "please",
    "note",
    "no",
    "wait",
    "wrong",
    "block",
];

impl Parser {
    /// The place a message consists of, when it says nothing else: a place with at most a
    /// preposition, "it is", an apology or a correction around it. A place named as wrong
    /// ("不是3栋", "not block 3") is not the place.
    pub fn bare_place(&self, text: &str) -> Option<String> {
        let norm = text::normalise(text);
        let own = text::own_words(&norm).trim();
        if own.is_empty() || own.chars().count() > 40 {
            return None;
        }
        let kept = without_negated(own);
        // Read in lower case, so that a capitalised word before a place ("FIRE Block 5") is
        // not taken for part of its name; lowercasing ASCII keeps every byte where it was.
        let lower = kept.to_ascii_lowercase();
        let tally = self.tally(&lower);
        // Words the lexicon hears as something wrong or wanted: an issue, a problem, an ask, a
        // complaint, an alarm. A topic word may be the place itself (门口, the bin centre).
        if super::score::features(&tally)[1..6]
            .iter()
            .any(|&f| f > 0.0)
        {
            return None;
        }
        let found = tally.location?;
        let at = lower.find(&found)?;
        let end = at + found.len();
        let rest = format!("{} {}", &lower[..at], &lower[end..]);
        let place = kept[at..end].to_string();
        nothing_but_fillers(&rest).then_some(place)
    }

    /// What a message names, whatever it asks: the categories its own words point to, the best
    /// first (the lexicon's alone, none when it names nothing: "我报的事怎么样了"), and its place. A
    /// question about one's reports ("我报的楼道灯修了吗") is no report, yet says which it means.
    pub fn named(&self, text: &str) -> (Vec<Category>, Option<String>) {
        let norm = text::normalise(text);
        let tally = self.tally(text::own_words(&norm));
        (tally.categories_named(), tally.location.clone())
    }
}

impl Parser {
    /// A report of two problems split where the second opens: both halves are requests at
    /// `threshold` or above by themselves, and they are not one problem (another category, or
    /// another place). "3栋楼道灯坏了，还有电梯也坏了" is two; "楼道灯坏了，还有两个也不亮" is one
    /// (the same kind of fault), as is "3栋着火了 还有人在里面" (the second half is no report by
    /// itself). The second half may hold a third problem: it is split again when read.
    /// Returns the first half as read and the second half's text.
    pub fn split_report(&self, text: &str, threshold: f32) -> Option<(Understanding, String)> {
        let text = text.trim();
        if text.chars().count() < 8 {
            return None;
        }
        for (at, end) in second_openers(text) {
            let first = text[..at].trim_end_matches(is_break).trim();
            let second = text[end..]
                .trim_start_matches(|c: char| is_break(c) || c == '：' || c == ':')
                .trim();
            if first.chars().filter(|c| is_content_char(*c)).count() < 3
                || second.chars().filter(|c| is_content_char(*c)).count() < 3
                || points_back(second)
            {
                continue;
            }
            let (a, b) = (self.parse(first, false), self.parse(second, false));
            let both = a.is_request
                && b.is_request
                && a.confidence >= threshold
                && b.confidence >= threshold;
            // In an emergency what follows is the emergency's detail ("还有人在下面挪车",
            // "the cables also pulled down"): one scene, one ticket.
            let urgent = [&a, &b]
                .iter()
                .any(|u| u.urgency == Some(super::Urgency::Urgent));
            if !both || urgent {
                continue;
            }
            // The same kind of fault is one problem unless both halves name places apart.
            let (ca, cb) = (
                a.category.unwrap_or(Category::Other),
                b.category.unwrap_or(Category::Other),
            );
            let apart = match (a.location.as_deref(), b.location.as_deref()) {
                (Some(x), Some(y)) => !same_problem(ca, Some(x), ca, Some(y)),
                _ => false,
            };
            // Another kind of fault needs words of its own: a second half whose category is
            // the model's guess alone ("还有就是晚上很黑 老人不敢下楼") tells what the first
            // fault does to people, not a second one.
            let own_words = ca == cb || self.named(second).0.contains(&cb);
            let one_problem = (ca == cb || !own_words) && !apart;
            if !one_problem {
                return Some((a, second.to_string()));
            }
        }
        None
    }
}

/// A second half that opens on the first's subject ("it smells in there", "那里也很脏") says
/// more about the same problem.
fn points_back(second: &str) -> bool {
    const BACK_ZH: &[&str] = &["它", "那里", "那边", "这里", "这边", "里面", "这个", "那个"];
    const BACK_EN: &[&str] = &[
        "it", "it's", "its", "there", "that", "this", "they", "they're",
    ];
    let lower = second.to_ascii_lowercase();
    let word = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .next()
        .unwrap_or("");
    BACK_ZH.iter().any(|w| second.starts_with(w)) || BACK_EN.contains(&word)
}

/// A clause break, before or after a marker of a second problem.
fn is_break(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '.' | '!' | '！' | '?' | '？' | ';' | '；' | '、' | ' ' | '\n' | '~'
    )
}

/// Where each marker of a second problem stands (start and end, bytes), in order: after a clause
/// break or "and", never at the start.
fn second_openers(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for w in SECOND_ZH.iter().chain(SECOND_EN) {
        let mut from = 0;
        while let Some(i) = lower[from..].find(w) {
            let at = from + i;
            let end = at + w.len();
            from = end;
            let before = &lower[..at];
            let after = lower[end..].chars().next();
            // A space breaks a Chinese clause, not an English one ("tanker also not come").
            let spaced = before.ends_with(' ')
                && !w.is_ascii()
                && !before.trim_end().ends_with(|c: char| c.is_ascii());
            let broken = before
                .trim_end()
                .ends_with(|c: char| c != ' ' && is_break(c))
                || spaced
                || before.trim_end().ends_with(" and");
            let whole = !w.is_ascii() || !after.is_some_and(|c| c.is_ascii_alphanumeric());
            // "还有人在…" is someone still there, not a second problem.
            let whole = whole && !(w.starts_with("还有") && after == Some('人'));
            if at > 0 && broken && whole && !found.iter().any(|&(s, e)| at < e && s < end) {
                found.push((at, end));
            }
        }
    }
    found.sort_unstable();
    found
}

/// The text without the places it says are wrong: "不是3栋" up to the next 是 or clause,
/// "not block 3" up to the next comma, "but" or end.
fn without_negated(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let zh = rest.find("不是");
        let en = find_word(rest, "not");
        let (at, len) = match (zh, en) {
            (Some(z), Some(e)) if e < z => (e, 3),
            (Some(z), _) => (z, "不是".len()),
            (None, Some(e)) => (e, 3),
            (None, None) => break,
        };
        out.push_str(&rest[..at]);
        let after = &rest[at + len..];
        let end = after
            .char_indices()
            .skip(1)
            .find(|&(i, c)| {
                matches!(c, '是' | '，' | ',' | '。' | '.' | ';' | '；' | '!' | '！')
                    || (c == ' ' && !after[i + 1..].starts_with(|n: char| n.is_ascii()))
                    || after[i..].starts_with(" but ")
            })
            .map_or(after.len(), |(i, _)| i);
        // What is negated is a place, a few words long; "社区不是说每月有义诊吗" negates none.
        if after[..end].chars().count() > 12 {
            out.push_str(&rest[at..at + len]);
            rest = after;
            continue;
        }
        out.push(' ');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where `word` stands as a whole ASCII word in `text`, ignoring case.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(word) {
        let at = from + i;
        let end = at + word.len();
        let before = lower[..at].chars().next_back();
        let after = lower[end..].chars().next();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Some(at);
        }
        from = end;
    }
    None
}

/// Whether `rest` holds nothing but filler words, punctuation, spaces and emoji.
fn nothing_but_fillers(rest: &str) -> bool {
    let mut rest = rest.to_lowercase();
    for w in FILLERS_ZH {
        rest = rest.replace(w, " ");
    }
    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\'' || !c.is_ascii()))
        .filter(|w| !w.is_empty())
        .all(|w| FILLERS_EN.contains(&w) || !w.chars().any(is_content_char))
}

#[cfg(test)]
mod tests {
    use crate::understand::tests::parser;

    #[test]
    fn two_problems_in_one_message_are_two_reports() {
        for (text, first, second) in [
            (
                "3栋楼道灯坏了，还有5栋门口的垃圾好几天没人清了",
                "3栋楼道灯坏了",
                "5栋门口的垃圾好几天没人清了",
            ),
            (
                "楼道灯坏了 另外电梯也坏了三天了",
                "楼道灯坏了",
                "电梯也坏了三天了",
            ),
            (
                "the street light outside block 5 is out, also the bins at block 7 are overflowing",
                "the street light outside block 5 is out",
                "the bins at block 7 are overflowing",
            ),
        ] {
            let got = parser().split_report(text, 0.7).map(|(a, b)| (a.body, b));
            assert_eq!(got, Some((first.to_string(), second.to_string())), "{text}");
        }
    }

    #[test]
    fn one_problem_told_in_two_clauses_is_one_report() {
        for text in [
            "3栋楼道灯坏了，还有两个也不亮",
            "3栋着火了 还有人在里面",
            "楼道灯坏了好几天了 还有就是晚上很黑 老人不敢下楼",
            "还有谁家停电了吗",
            "the lift is broken again, also it smells in there",
            "3栋楼道灯坏了",
        ] {
            assert!(parser().split_report(text, 0.7).is_none(), "{text}");
        }
    }

    #[test]
    fn a_place_alone_is_a_bare_place_and_no_request() {
        for (text, want) in [
            ("3栋", "3栋"),
            ("在5栋2单元", "5栋2单元"),
            ("不好意思 说错了 是4栋", "4栋"),
            ("是4栋不是3栋", "4栋"),
            ("不是3栋，是4栋", "4栋"),
            ("地址是8号楼", "8号楼"),
            ("就在5栋2单元门口", "5栋2单元门口"),
            ("sorry I meant block 7", "block 7"),
            ("it's Blk 231 not 213", "Blk 231"),
            ("不对，是9栋", "9栋"),
            ("搞错了 是6栋", "6栋"),
            ("no wait, wrong block, it's block 9", "block 9"),
        ] {
            let got = parser().bare_place(text);
            assert!(
                got.as_deref().is_some_and(|p| p.contains(want)),
                "{text} → {got:?}, want {want}"
            );
            let u = parser().parse(text, false);
            assert!(!u.is_request, "{text} → {u:?}");
        }
    }

    #[test]
    fn a_place_with_a_problem_or_a_question_is_not_bare() {
        for text in [
            "3栋楼道灯坏了",
            "5栋2单元门口的垃圾没人收",
            "3栋在哪",
            "block 7 lift is broken",
            "FIRE Block 5 level 8",
            "社区不是说每月有义诊吗 这个月咋没来 我妈等着量血压",
            "谢谢",
            "好的",
            "",
        ] {
            assert_eq!(parser().bare_place(text), None, "{text}");
        }
    }
}
