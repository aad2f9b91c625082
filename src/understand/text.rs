//! Text preparation: width normalisation and the explicit report forms.

/// Width normalisation lives with the model's pieces, which build.rs compiles too: the weights
/// trained when gridline is built must see the text exactly as the parser does.
pub(crate) use super::model::normalise;

/// Words that, written first and followed by a colon, make an explicit report (`报修：…`).
const COLON_FORMS: [&str; 6] = ["报修", "投诉", "求助", "诉求", "反映", "report"];
/// Hash tags that make an explicit report (`#诉求 …`), with or without a separator.
const HASH_FORMS: [&str; 5] = ["#诉求", "#报修", "#投诉", "#求助", "#report"];
/// Bracketed forms (`【报修】…`).
const BRACKET_FORMS: [&str; 4] = ["【报修】", "【投诉】", "【求助】", "【诉求】"];

/// If `text` is written in an explicit report form, returns the body after the prefix.
///
/// Accepted: `/report …` (also `/report@botname …`), `#诉求 …` and the other hash tags,
/// `报修：…` / `投诉:` / `求助：` / `report: …` with a full- or half-width colon, and `【报修】…`.
pub(crate) fn explicit_body(text: &str) -> Option<&str> {
    let t = text.trim_start();
    if let Some(rest) = strip_prefix_ignore_ascii_case(t, "/report") {
        // `/reporting` is not the command; `/report@bot` is.
        let rest = match rest.strip_prefix('@') {
            Some(after) => {
                after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            }
            None => rest,
        };
        if rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with([':', '：'])
        {
            return Some(trim_separator(rest));
        }
        return None;
    }
    for form in HASH_FORMS {
        if let Some(rest) = strip_prefix_ignore_ascii_case(t, form) {
            if form == "#report" && rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return None;
            }
            return Some(trim_separator(rest));
        }
    }
    for form in BRACKET_FORMS {
        if let Some(rest) = t.strip_prefix(form) {
            return Some(trim_separator(rest));
        }
    }
    for form in COLON_FORMS {
        if let Some(rest) = strip_prefix_ignore_ascii_case(t, form) {
            let rest = rest.trim_start_matches([' ', '\u{3000}']);
            if let Some(body) = rest.strip_prefix([':', '：']) {
                return Some(body.trim());
            }
        }
    }
    None
}

/// Quotation marks that open a quoted message at the start of a reply, with their closers.
const QUOTES: [(char, char); 6] = [
    ('«', '»'),
    ('「', '」'),
    ('『', '』'),
    ('“', '”'),
    ('"', '"'),
    ('【', '】'),
];

/// What separates a quoted message from the reply to it (`「…」—— 已经修好了`).
const REPLY_MARKS: [&str; 4] = ["——", "—", " -- ", " - "];

/// The sender's own words in a reply that quotes another message: what follows the quote
/// (`«王姐：3栋电梯又坏了» 已经修好了` → `已经修好了`; `> Mrs Tan: is the lift working? — yes`
/// → `yes`; `回复 老刘：宅基地证明去哪开 —— 先村里盖章` → `先村里盖章`; `回复 @黄阿姨：您说的…` →
/// `您说的…`). A quoted problem is someone else's report: the reply may say it is solved, answer
/// it, or add a problem of its own, and only the reply says which. A message that is all quote
/// (nothing after it) is returned whole.
pub(crate) fn own_words(text: &str) -> &str {
    let t = text.trim_start();
    fn after(rest: &str) -> Option<&str> {
        let own = trim_reply_start(rest);
        (own.chars().filter(|c| c.is_alphanumeric()).count() >= 2).then_some(own)
    }
    let mut chars = t.chars();
    let first = chars.next();
    // `> a: … — reply`, `>> a: … >> b: …`: the reply is after the last mark, else the last
    // quoted turn is the newest word.
    if first == Some('>') {
        if let Some(own) = last_reply(t).and_then(after) {
            return own;
        }
        if let Some(at) = t.rfind(">>")
            && at > 0
            && let Some(own) = after(&t[at + 2..])
        {
            return own;
        }
        // `> 请问快递柜在哪  在3栋和4栋中间`, `> is there water cut tmr? no lah`: a quoted line
        // ends at a line break, a gap of two spaces or its question mark.
        if let Some(own) = quoted_line_end(t).and_then(|at| after(&t[at..])) {
            return own;
        }
        return text;
    }
    if let Some(open) = first
        && let Some(&(_, close)) = QUOTES.iter().find(|(o, _)| *o == open)
        && let Some(end) = t[open.len_utf8()..].find(close)
    {
        let rest = &t[open.len_utf8() + end + close.len_utf8()..];
        // `【停电通知】明天停电` is a headline, not a quote: only a quote with a speaker (`王姐：…`)
        // or a reply mark after it counts.
        let quoted = &t[open.len_utf8()..open.len_utf8() + end];
        let speaker = quoted.contains(['：', ':']);
        let marked = REPLY_MARKS
            .iter()
            .any(|m| rest.trim_start().starts_with(m.trim()));
        if marked || (speaker && open != '【') {
            return after(rest).unwrap_or(text);
        }
        return text;
    }
    for lead in ["回复", "引用", "replying to", "reply to", "re:"] {
        if let Some(rest) = strip_prefix_ignore_ascii_case(t, lead) {
            // `引用「煤气罐放阳台行不行」：不行的…`: the quoted words, then the reply to them.
            let inner = trim_separator(rest);
            if let Some(open) = inner.chars().next()
                && let Some(&(_, close)) = QUOTES.iter().find(|(o, _)| *o == open)
                && let Some(end) = inner[open.len_utf8()..].find(close)
                && let Some(own) = after(&inner[open.len_utf8() + end + close.len_utf8()..])
            {
                return own;
            }
            if let Some(own) = last_reply(rest).and_then(after) {
                return own;
            }
            if let Some(colon) = rest.find(['：', ':'])
                && let Some(own) =
                    after(&rest[colon + rest[colon..].chars().next().map_or(1, char::len_utf8)..])
            {
                return own;
            }
            return text;
        }
    }
    // `路灯坏了找谁啊？ 回复：直接在群里说就行`: a question and its answer pasted as one
    // message, the answer marked after a space or the question's mark; the answer is the
    // sender's word.
    for mark in ANSWER_MARKS {
        if let Some(at) = t.find(mark)
            && t[..at].ends_with(|c: char| c.is_whitespace() || matches!(c, '？' | '?'))
            && let Some(own) = after(&t[at + mark.len()..])
        {
            return own;
        }
    }
    text
}

/// Marks that open the answer to a question pasted before it in the same message.
const ANSWER_MARKS: [&str; 6] = ["回复：", "回复:", "答：", "答:", "Reply:", "reply:"];

/// Where a `>` quote without a reply mark ends: after its first line break, gap of two spaces
/// or question mark followed by a space; and when a named speaker's Chinese words are quoted
/// (`> 小王：楼下是不是停电了 是的，刚才供电局的来了`), after the first space in them: chat
/// in Chinese marks a clause with a space, and the quoted turn is the first clause.
fn quoted_line_end(text: &str) -> Option<usize> {
    let gap = ["\n", "  ", "? ", "？"]
        .iter()
        .filter_map(|m| text.find(m).map(|at| at + m.len()));
    let spoken = speaker_end(text).and_then(|from| {
        let words = &text[from..];
        let first = words.trim_start().chars().next()?;
        if first.is_ascii() {
            return None;
        }
        let start = from + (words.len() - words.trim_start().len());
        let at = text[start..].find(' ')? + start;
        text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_ascii())
            .then_some(at + 1)
    });
    gap.chain(spoken).min()
}

/// After a `>` quote's speaker (`> 2单元王姐：`, `> 老李: `): where the quoted words start, when
/// a colon comes within the first few characters and no space before it.
fn speaker_end(text: &str) -> Option<usize> {
    let body = text.trim_start_matches(['>', ' ']);
    let offset = text.len() - body.len();
    let (at, colon) = body
        .char_indices()
        .take(12)
        .find(|&(_, c)| matches!(c, '：' | ':'))?;
    (!body[..at].contains(' ') && at > 0).then_some(offset + at + colon.len_utf8())
}

/// What follows the last reply mark in `text`, if any.
fn last_reply(text: &str) -> Option<&str> {
    REPLY_MARKS
        .iter()
        .filter_map(|m| text.rfind(m).map(|at| &text[at + m.len()..]))
        .min_by_key(|rest| rest.len())
}

fn trim_reply_start(rest: &str) -> &str {
    rest.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, ':' | '：' | ',' | '，' | '—' | '-' | '>' | '»' | '」')
    })
    .trim_end()
}

fn trim_separator(rest: &str) -> &str {
    rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '：' | ',' | '，'))
        .trim_end()
}

fn strip_prefix_ignore_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn width_is_normalised_and_borrowed_when_plain() {
        assert_eq!(normalise("１２栋３单元：ＯＫ"), "12栋3单元:OK");
        assert!(matches!(normalise("3栋路灯坏了"), Cow::Borrowed(_)));
        assert_eq!(normalise("a\u{3000}b"), "a b");
    }

    #[test]
    fn own_words_of_a_reply() {
        let cases = [
            ("«王姐：3栋电梯又坏了» 已经修好了", "已经修好了"),
            (
                "「孙叔：小区路灯坏了没人修」—— 孙叔你看看，今晚已经亮了",
                "孙叔你看看，今晚已经亮了",
            ),
            ("回复 老刘：宅基地证明去哪开 —— 先村里盖章", "先村里盖章"),
            ("引用「身份证能不能在外地补」：能 全国通办", "能 全国通办"),
            ("引用：“村口路灯不亮” 回复：已经报了", "回复：已经报了"),
            (
                "回复 @黄阿姨：您说的那个老年卡去社区办",
                "您说的那个老年卡去社区办",
            ),
            (
                "> Mrs Tan: is the lift at Blk 5 working? — yes working since this morning",
                "yes working since this morning",
            ),
            (
                ">> Uncle Lim: lift spoil >> Mei: same >> Uncle Lim: ok working now",
                "Uncle Lim: ok working now",
            ),
            ("> 请问菜鸟驿站几点关门  晚上八点", "晚上八点"),
            (
                "> 小王：楼下是不是停电了 是的，刚才供电局的来了",
                "是的，刚才供电局的来了",
            ),
            (
                "> 老李: 低保怎么申请 你先写个申请到村委会",
                "你先写个申请到村委会",
            ),
            (
                "> 物业前台：已安排人员处理 处理个鬼啊 水都漫进电梯井了",
                "处理个鬼啊 水都漫进电梯井了",
            ),
            (
                "> any power cut at Blk 7 today? nope that one was last week",
                "nope that one was last week",
            ),
            ("> 2栋的灯又不亮了", "> 2栋的灯又不亮了"),
            // A question and its answer pasted as one message.
            (
                "路灯坏了找谁啊？ 回复：直接在群里说就行",
                "直接在群里说就行",
            ),
            (
                "is the gym open on sundays? Reply: yes from 8",
                "yes from 8",
            ),
            // Not replies: a headline, a whole message in quotes, plain text.
            ("【停电通知】明天9点停电", "【停电通知】明天9点停电"),
            ("「王姐：3栋电梯又坏了」", "「王姐：3栋电梯又坏了」"),
            ("3栋电梯又坏了 — 麻烦看看", "3栋电梯又坏了 — 麻烦看看"),
            ("\"小心地滑\"的牌子倒了", "\"小心地滑\"的牌子倒了"),
        ];
        for (text, want) in cases {
            assert_eq!(own_words(text), want, "{text}");
        }
    }

    #[test]
    fn explicit_forms() {
        let cases = [
            ("/report 路灯坏了", Some("路灯坏了")),
            ("/report@gridline_bot 3栋漏水", Some("3栋漏水")),
            ("/REPORT lift broken", Some("lift broken")),
            ("/report", Some("")),
            (
                "#诉求 学校门口的斑马线都磨没了",
                Some("学校门口的斑马线都磨没了"),
            ),
            ("#诉求学校门口", Some("学校门口")),
            ("#报修：电梯坏了", Some("电梯坏了")),
            ("报修：活动中心的投影仪坏了", Some("活动中心的投影仪坏了")),
            ("报修:投影仪坏了", Some("投影仪坏了")),
            ("投诉：楼下KTV太吵", Some("楼下KTV太吵")),
            ("求助：老人摔倒了", Some("老人摔倒了")),
            ("  求助 ： 老人摔倒了", Some("老人摔倒了")),
            ("report: pothole on Hill Road", Some("pothole on Hill Road")),
            ("Report：pothole", Some("pothole")),
            ("【报修】楼道灯不亮", Some("楼道灯不亮")),
            ("／ｒｅｐｏｒｔ x", None), // full width is normalised by the caller first
            ("/reporting is fun", None),
            ("#reports", None),
            ("我想报修一下路灯", None),
            ("投诉有用吗", None),
            ("report the pothole please", None),
        ];
        for (text, want) in cases {
            assert_eq!(explicit_body(text), want, "{text}");
        }
        assert_eq!(explicit_body(&normalise("／ｒｅｐｏｒｔ x")), Some("x"));
    }
}
