//! Reading a text as a command: `/claim 42` = `接单 42` = `接单42` = `#42 接单` = `42号我来`.
//!
//! The words come from each command's [`Spec`](super::Spec); the command reads its own
//! arguments. Parsing is pure.

use super::{About, Name, read};
use crate::understand::command::TicketNo;
use crate::understand::command::{
    CLAIM_PHRASES, DONE_ALONE, DONE_PHRASES, EN_CLAIM, EN_DONE, NEED_WORDS, PROGRESS_EN,
    PROGRESS_ZH, Problem, WITHDRAW_PHRASES, alone_or_paused, english_prefix, is_question,
    leading_ref, normalise, number, split_word, strip_lead_in, trim_joiners,
};

use super::Command;

/// What a text turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Not a command: ordinary text, for the request parser.
    NotCommand,
    Command(Command),
    /// A known command written wrongly.
    Invalid {
        name: Name,
        problem: Problem,
    },
    /// A slash word gridline does not know (`/foo`).
    Unknown(String),
}

/// Reads `text` as a command. Full-width digits, `＃` and the ideographic space are folded first;
/// `/cmd@botname` is accepted.
pub fn parse(text: &str) -> Parsed {
    let text = normalise(text.trim());
    if let Some(canonical) = rephrase(&text) {
        return parse_canonical(canonical);
    }
    let parsed = parse_canonical(text.clone());
    if parsed == Parsed::NotCommand
        && let Some(command) = with_fillers(&text)
            .map(parse_canonical)
            .filter(|p| matches!(p, Parsed::Command(_)))
    {
        return command;
    }
    parsed
}

/// A command said with the words people put around it: "我的待办", "统计一下", "看看统计",
/// "本月统计" (the period before the word), "查一下1号". Only what then reads as a whole
/// command counts: "麻烦接单" (no number) and "看看统计局的通知" stay speech.
fn with_fillers(text: &str) -> Option<String> {
    const BEFORE: [&str; 9] = [
        "帮我看看",
        "帮我看下",
        "帮我",
        "麻烦",
        "看一下",
        "看看",
        "看下",
        "我的",
        "请",
    ];
    const AFTER: [&str; 5] = ["一下", "看看", "吧", "呗", "呢"];
    let t = text.trim_end_matches(['。', '.', '!', '！', '~', '～', '？', '?']);
    // "查一下1号", "查下 #2": 查询.
    if let Some(rest) = ["查一下", "查下", "查查", "查"]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        && number(rest.trim_start()).is_ok_and(|(_, after)| after.trim().is_empty())
    {
        return Some(format!("查询 {}", rest.trim()));
    }
    let head = BEFORE.iter().find_map(|w| t.strip_prefix(w)).unwrap_or(t);
    let core = AFTER
        .iter()
        .find_map(|w| head.strip_suffix(w))
        .unwrap_or(head);
    // "本月统计", "上月统计明细": the period first.
    for word in ["统计明细", "统计排名", "统计"] {
        if let Some(period) = core.strip_suffix(word).filter(|p| !p.is_empty())
            && chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .is_some_and(|d| crate::stats::period::parse(period, d).is_ok())
        {
            return Some(format!("{word} {period}"));
        }
    }
    (core.len() < t.len()).then(|| core.trim().to_string())
}

/// The canonical command for the ways people put the number first or say it in a sentence:
/// "#3 接单" → "接单 #3", "3号我来处理" → "接单 #3", "3号办结了，杂物已清理" → "办结 #3
/// 杂物已清理", "已办结 3" → "办结 #3". A question ("3号办结了没", "#3 接单了吗") and a
/// number that belongs to a place ("3号楼办结了没") are not commands.
fn rephrase(text: &str) -> Option<String> {
    if let Some(canonical) = rephrase_english(text) {
        return Some(canonical);
    }
    for (lead, word) in [("已办结", "办结"), ("已接单", "接单")] {
        if let Some(rest) = text.strip_prefix(lead) {
            let (r, after) = number(rest).ok()?;
            let after = trim_joiners(after);
            return (!is_question(after)).then(|| format!("{word} {r} {after}"));
        }
    }
    let (r, after) = leading_ref(text)?;
    let after = after.trim_start();
    if is_question(after) {
        // "1号处理了没", "#3 怎么样了？": asked how it stands, answered with its state.
        return asks_progress(strip_lead_in(after)).then(|| format!("查询 {r}"));
    }
    let bare = after.trim_end_matches(['。', '.', '!', '！', '~', '～', '，', ',']);
    // "I take it", alone or with what comes next after a pause: "3号我来", "#3 收到，马上去看".
    let claims = |said: &str| {
        CLAIM_PHRASES.iter().any(|p| {
            said.strip_prefix(p)
                .is_some_and(|rest| matches!(rest, "了" | "吧" | "啦") || alone_or_paused(rest))
        })
    };
    if claims(bare) || claims(strip_lead_in(bare)) {
        return Some(format!("接单 {r}"));
    }
    if let Some(rest) = [after, strip_lead_in(after)]
        .into_iter()
        .find_map(|said| DONE_PHRASES.iter().find_map(|p| said.strip_prefix(p)))
    {
        return Some(format!("办结 {r} {}", trim_joiners(rest)));
    }
    if let Some(rest) = [after, strip_lead_in(after)].into_iter().find_map(|said| {
        DONE_ALONE
            .iter()
            .find_map(|p| said.strip_prefix(p).filter(|rest| alone_or_paused(rest)))
    }) {
        return Some(format!("办结 {r} {}", trim_joiners(rest)));
    }
    // "3号好了", "#2 已经好了，换了灯泡": 好了 alone or before a pause.
    for said in [bare, strip_lead_in(bare)] {
        if let Some(rest) = ["好了", "好啦"]
            .iter()
            .find_map(|p| said.strip_prefix(p).filter(|rest| alone_or_paused(rest)))
        {
            return Some(format!("办结 {r} {}", trim_joiners(rest)));
        }
    }
    // "1号不用了", "#2 不用修了，自己好了": the reporter takes it back.
    if WITHDRAW_PHRASES
        .iter()
        .any(|p| bare.strip_prefix(p).is_some_and(alone_or_paused))
    {
        return Some(format!("撤销 {r}"));
    }
    // "1号需要延期3天": words of need before the command word are left out.
    let after = NEED_WORDS
        .iter()
        .find_map(|w| after.strip_prefix(w))
        .filter(|rest| {
            Name::ALL
                .into_iter()
                .map(Name::spec)
                .filter(|spec| spec.after_number)
                .flat_map(|spec| spec.words.iter())
                .any(|w| rest.starts_with(*w))
        })
        .unwrap_or(after);
    let word = Name::ALL
        .into_iter()
        .map(Name::spec)
        .filter(|spec| spec.after_number)
        .flat_map(|spec| spec.words.iter())
        .filter(|w| after.starts_with(*w))
        // The longest word wins: "#3 驳回延期" is 驳回延期, not 驳回.
        .max_by_key(|w| w.len())?;
    let rest = trim_joiners(&after[word.len()..]);
    Some(format!("{word} {r} {rest}").trim_end().to_string())
}

/// A question after a ticket's number that asks how it stands: 处理了没, 修好了吗, 怎么样了,
/// 有人管吗, "any update?", "fixed yet?". Words of a place after the number ("3号楼办结了没")
/// are no such question: the number is the building's.
fn asks_progress(after: &str) -> bool {
    PROGRESS_ZH.iter().any(|w| after.starts_with(w))
        || PROGRESS_EN
            .iter()
            .any(|w| english_prefix(after, w).is_some())
}

/// English leaders write the number and the word in either order: "#3 on it", "#3 done,
/// replaced the bulb", "I'll take #2", "fixed #4: new tube", and the commands without their
/// slash when a ticket follows ("claim 4", "done 4 changed the tube", "status QS-DF-01#4"). A
/// phrase before the number needs `#` or a grid code ("fixed 3 lamps" is no command);
/// a question ("#3 done?") asks for the ticket's state.
fn rephrase_english(text: &str) -> Option<String> {
    if !text.starts_with(|c: char| c.is_ascii()) {
        return None;
    }
    if let Some((r, after)) = leading_ref(text) {
        let after = after.trim_start();
        if is_question(after) {
            return asks_progress(after).then(|| format!("/status {r}"));
        }
        if let Some(rest) = EN_DONE.iter().find_map(|p| english_prefix(after, p)) {
            return Some(format!("办结 {r} {}", trim_joiners(rest)));
        }
        let claimed = EN_CLAIM.iter().find_map(|p| english_prefix(after, p));
        if claimed.is_some_and(|rest| trim_joiners(rest).is_empty()) {
            return Some(format!("接单 {r}"));
        }
        return None;
    }
    // The command's own English word, slash left out, then a ticket.
    let (word, rest) = split_word(text);
    let word = word.to_ascii_lowercase();
    let named = Name::ALL.into_iter().find(|n| {
        let spec = n.spec();
        spec.about == About::Ticket
            && (spec.slash == word || spec.slash_aliases.contains(&word.as_str()))
    });
    if named.is_some() && number(rest).is_ok() {
        return Some(format!("/{}", text.trim()));
    }
    // Any other command's English word alone, slash left out ("stats", "overdue", "list",
    // "help?"), and stats with a period or its views ("stats this month", "stats ranking").
    // Sentences that start with such a word ("stats show crime is down", "report says …",
    // "help me the lift is stuck") stay messages: an explicit report needs its slash.
    let (word, rest) = split_word(text.trim().trim_end_matches(['?', '.']));
    let word = word.to_ascii_lowercase();
    let rest = rest.trim();
    let other = Name::ALL.into_iter().find(|n| {
        let spec = n.spec();
        spec.about != About::Ticket
            && *n != Name::Report
            && (spec.slash == word || spec.slash_aliases.contains(&word.as_str()))
    });
    // A grid named after `stats`: in Chinese (stats 下罗村) or by its code (stats QS-DF); an
    // English word after it is a sentence ("stats show …").
    let names_a_grid = |rest: &str| {
        rest.split_whitespace().any(|w| {
            w.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                || (w.contains('-')
                    && w.chars().any(|c| c.is_ascii_uppercase())
                    && w.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'))
        })
    };
    let fits = |name: Name| {
        rest.is_empty()
            || name == Name::Stats
                && (["detail", "ranking"]
                    .iter()
                    .any(|v| english_prefix(rest, v).is_some())
                    || names_a_grid(rest)
                    || chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                        .is_some_and(|d| crate::stats::period::parse(rest, d).is_ok()))
    };
    if let Some(name) = other
        && fits(name)
        && read(name, &word, rest).is_ok()
    {
        return Some(format!("/{word} {rest}").trim_end().to_string());
    }
    // A phrase, then the ticket with `#`.
    fn with_hash(rest: &str) -> Option<(TicketNo, &str)> {
        let (r, after) = number(rest).ok()?;
        rest[..rest.len() - after.len()]
            .contains('#')
            .then_some((r, after))
    }
    for p in EN_DONE {
        if let Some((r, after)) = english_prefix(text, p).and_then(with_hash) {
            return (!is_question(after)).then(|| format!("办结 {r} {}", trim_joiners(after)));
        }
    }
    for p in EN_CLAIM {
        if let Some((r, after)) = english_prefix(text, p).and_then(with_hash) {
            let after = trim_joiners(after).trim_end_matches(['.', '!']);
            return matches!(after.to_ascii_lowercase().as_str(), "" | "now" | "thanks")
                .then(|| format!("接单 {r}"));
        }
    }
    None
}

/// Chinese commands are written with or without a space: `接单42`, `接单 42`, `办结42 换了灯泡`.
/// The longest word wins (`请假名单` over `请假`).
fn split_chinese_word(s: &str) -> (&str, &str) {
    let mut best: Option<&str> = None;
    for spec in Name::ALL.map(Name::spec) {
        for w in spec.words {
            if s.starts_with(w) && best.is_none_or(|b| w.len() > b.len()) {
                best = Some(w);
            }
        }
    }
    match best {
        Some(w) => (&s[..w.len()], &s[w.len()..]),
        None => ("", s),
    }
}

/// For a text [`parse`] read as speech: a Chinese command word standing alone (a space, a
/// number or `#` after it) whose rest does not fit the command ("接单 了吗", "待办 明天",
/// "督办 我看看"), or a ticket command's English word alone without its slash ("claim",
/// "done."). Residents write such sentences; from staff, who write commands and not reports,
/// it is a command written wrongly and gets the command's usage.
pub fn loose(text: &str) -> Option<(Name, Problem)> {
    let text = normalise(text.trim());
    // A ticket command's English word alone, slash left out: "claim", "Done.".
    let alone = text.trim_end_matches(['.', '!', '?']).to_ascii_lowercase();
    if let Some(name) = Name::ALL.into_iter().find(|n| {
        let spec = n.spec();
        spec.about == About::Ticket
            && (spec.slash == alone || spec.slash_aliases.contains(&alone.as_str()))
    }) {
        return read(name, &alone, "").err().map(|problem| (name, problem));
    }
    let (word, rest) = split_chinese_word(&text);
    if word.is_empty()
        || !rest
            .chars()
            .next()
            .is_some_and(|c| c.is_whitespace() || c.is_ascii_digit() || c == '#')
    {
        return None;
    }
    let name = Name::ALL
        .into_iter()
        .find(|name| name.spec().words.contains(&word))?;
    read(name, word, rest.trim())
        .err()
        .map(|problem| (name, problem))
}

/// A supervisor's question in words, as the command it asks for: "哪些超时了", "有没有超时的",
/// "what's overdue?" → 超时; "这周东风社区怎么样", "上个月情况如何", "本月的数据", "stats for last
/// month" → 统计 with the period and scope named. Read only for staff (a resident's "这周怎么样"
/// is chat), and only when a period is named for 统计: "东风社区怎么样" says no period.
pub fn asked_in_words(text: &str) -> Option<String> {
    let t = normalise(text.trim());
    let t = t.trim_end_matches(['？', '?', '。', '.', '!', '！', '啊', '呢', '呀', '吗']);
    let long = if t.is_ascii() {
        t.split_whitespace().count() > 12
    } else {
        t.chars().count() > 30
    };
    if long {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    // Overdue: the word and a question about which or how many.
    const WHICH: [&str; 9] = [
        "哪些",
        "哪几",
        "多少",
        "几件",
        "有没有",
        "看看",
        "列一下",
        "列出",
        "有啥",
    ];
    let overdue_en = [
        "what's overdue",
        "whats overdue",
        "what is overdue",
        "anything overdue",
    ]
    .iter()
    .any(|w| lower.starts_with(w))
        || (lower.contains("overdue") && lower.starts_with("which"));
    if overdue_en {
        return Some("超时".to_string());
    }
    if (t.contains("超时") || t.contains("逾期"))
        && (WHICH.iter().any(|w| t.contains(w)) || is_question(text.trim()))
    {
        // The grid named before the question, if any ("李建国那边有没有超时的").
        let cut = ["超时", "逾期", "有没有", "有哪些", "有多少"]
            .iter()
            .chain(WHICH.iter())
            .filter_map(|w| t.find(w))
            .min()
            .unwrap_or(0);
        return Some(listed_under("超时", &t[..cut]));
    }
    // Not claimed yet: "哪些还没接单", "谁还没接单", "东风社区还有几件没人接", "有没有没签收的",
    // "what hasn't been claimed?": `未接单`, under the grid named before the question if any
    // (the engine checks that it names one).
    let unclaimed_en = [
        "unclaimed",
        "not been claimed",
        "hasn't been claimed",
        "haven't been claimed",
        "not claimed yet",
        "nobody has claimed",
        "no one has claimed",
        "nobody's claimed",
    ]
    .iter()
    .any(|w| lower.contains(w))
        && ["what", "which", "any", "how many", "list", "show"]
            .iter()
            .any(|w| lower.starts_with(w));
    if unclaimed_en {
        return Some("未接单".to_string());
    }
    const UNCLAIMED: [&str; 6] = ["没接单", "未接单", "没人接", "没签收", "未签收", "没有接单"];
    if let Some(at) = UNCLAIMED.iter().filter_map(|w| t.find(w)).min()
        && ([
            "哪",
            "多少",
            "几件",
            "几个",
            "有没有",
            "谁",
            "列一下",
            "列出",
        ]
        .iter()
        .any(|w| t.contains(w))
            || is_question(text.trim()))
    {
        const ASKING: [&str; 9] = [
            "哪",
            "多少",
            "几件",
            "有没有",
            "看看",
            "列",
            "谁",
            "还",
            "现在",
        ];
        let cut = ASKING
            .iter()
            .filter_map(|w| t.find(w))
            .min()
            .map_or(at, |c| c.min(at));
        return Some(listed_under("未接单", &t[..cut]));
    }
    // Which unit does best or worst: the ranking ("哪个网格超时最多", "哪个村满意率最低",
    // "which grid is the slowest"), over the period named if one is.
    const WHICH_UNIT: [&str; 6] = ["哪个", "哪些", "哪几个", "谁家", "排名", "排第"];
    const MOST: [&str; 12] = [
        "最多", "最少", "最差", "最好", "最慢", "最快", "最高", "最低", "排名", "靠后", "靠前",
        "倒数",
    ];
    const UNIT: [&str; 7] = ["网格", "村", "社区", "街道", "镇", "单位", "网格员"];
    let ranking_en = [
        "which grid",
        "which village",
        "which community",
        "ranking",
        "league table",
    ]
    .iter()
    .any(|w| lower.contains(w))
        && [
            "most", "worst", "best", "slowest", "fastest", "lowest", "highest", "ranking", "table",
        ]
        .iter()
        .any(|w| lower.contains(w));
    if ranking_en
        || (WHICH_UNIT.iter().any(|w| t.contains(w))
            && MOST.iter().any(|w| t.contains(w))
            && UNIT.iter().any(|w| t.contains(w)))
    {
        // The period: before the question in Chinese ("上个月哪个村…"), the last words in
        // English ("… this month").
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?;
        let before = WHICH_UNIT
            .iter()
            .filter_map(|w| t.find(w))
            .min()
            .map_or("", |at| t[..at].trim());
        let words: Vec<&str> = t.split_whitespace().collect();
        let last = |k: usize| words[words.len().saturating_sub(k)..].join(" ");
        let period = [before.to_string(), last(2), last(1)]
            .into_iter()
            .find(|p| {
                !p.is_empty()
                    && crate::stats::period::parse(p, today)
                        .is_ok_and(|span| span.kind != crate::stats::period::SpanKind::All)
            });
        return Some(match period {
            Some(p) => format!("统计 排名 {p}"),
            None => "统计 排名".to_string(),
        });
    }
    // How many: the period and scope before a count asked ("这个月东风社区收到多少件诉求",
    // "上周办结了几件", "how many reports this month").
    // One's own to-do ("我手上还有几件", "我还有哪些没办的", "我的单子", "还有啥没处理的"):
    // `待办`. A count without "我" ("还有几件没办完") is the figures, below.
    const UNDONE: [&str; 8] = [
        "没办",
        "没处理",
        "没弄",
        "没做",
        "没完",
        "未办",
        "单子",
        "工单",
    ];
    const LISTED: [&str; 4] = ["哪些", "哪几", "啥", "什么"];
    let undone = UNDONE.iter().any(|w| t.contains(w));
    let mine = ["我手上", "我手头", "我的单", "我这边还有", "我还有"]
        .iter()
        .any(|w| t.contains(w))
        && (undone || t.contains("手上") || t.contains("手头"));
    let left = undone
        && (t.contains("还有") || t.contains("还剩"))
        && LISTED.iter().any(|w| t.contains(w));
    if mine || left {
        return Some("待办".to_string());
    }
    const HOW_MANY: [&str; 5] = ["多少", "几件", "几单", "几起", "几宗"];
    if HOW_MANY.iter().any(|w| t.contains(w)) {
        // Where the period and scope end: what is counted, or the rate asked
        // ("这个月满意度多少", "东风社区上个月及时签收率是多少").
        const COUNTED: [&str; 27] = [
            "收到",
            "受理",
            "办结",
            "处理",
            "解决",
            "接了",
            "新增",
            "一共",
            "总共",
            "共",
            "还有",
            "还剩",
            "有",
            "满意度",
            "满意率",
            "及时签收率",
            "签收率",
            "按时办结率",
            "重办率",
            "回复率",
            "接单率",
            "评价",
            "多少",
            "几件",
            "几单",
            "几起",
            "几宗",
        ];
        // What is still outstanding ("东风社区还有几件没办完", "还剩多少没处理"): the figures
        // in full show it, whatever the period.
        let outstanding = (t.contains("还有") || t.contains("还剩"))
            && ["没", "未"].iter().any(|w| t.contains(w));
        let cut = COUNTED
            .iter()
            .filter_map(|w| t.find(w))
            .min()
            .unwrap_or(t.len());
        let core = t[..cut].trim_end_matches(['的', ' ', '，', ',']).trim();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?;
        let (span, _) = crate::stats::split_period_scope(core, today);
        if outstanding {
            return Some(format!("统计 {core}").trim_end().to_string());
        }
        if span.kind != crate::stats::period::SpanKind::All && !core.is_empty() {
            return Some(format!("统计 {core}"));
        }
    }
    // The report for a period ("把上个月的报表发我", "发一下本月月报"): its figures, the
    // sentence offices paste upward.
    const REPORT: [&str; 5] = ["报表", "月报", "周报", "汇总", "报告"];
    if let Some(at) = REPORT.iter().filter_map(|w| t.find(w)).min() {
        const LEADING: [&str; 8] = [
            "发一下",
            "发下",
            "给我",
            "发我",
            "把",
            "帮我",
            "看看",
            "看下",
        ];
        let core = LEADING
            .iter()
            .fold(t[..at].trim(), |c, w| c.strip_prefix(w).unwrap_or(c))
            .trim_end_matches(['的', ' '])
            .trim();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?;
        let (span, _) = crate::stats::split_period_scope(core, today);
        if span.kind != crate::stats::period::SpanKind::All && !core.is_empty() {
            return Some(format!("统计 {core}"));
        }
    }
    if let Some(rest) = [
        "how many reports ",
        "how many tickets ",
        "how many complaints ",
    ]
    .iter()
    .find_map(|w| lower.strip_prefix(w).map(|_| &t[w.len()..]))
    {
        let core = rest.trim();
        let core = ["did we get ", "were there ", "came in "]
            .iter()
            .find_map(|w| core.strip_prefix(w))
            .unwrap_or(core)
            .trim();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?;
        let (span, _) = crate::stats::split_period_scope(core, today);
        if span.kind != crate::stats::period::SpanKind::All && !core.is_empty() {
            return Some(format!("统计 {core}"));
        }
    }
    // Statistics: the period (and a scope) with words that ask how things stand around it.
    const ASKING: [&str; 13] = [
        "情况怎么样",
        "情况如何",
        "怎么样了",
        "怎么样",
        "咋样",
        "如何",
        "的情况",
        "情况",
        "的数据",
        "数据",
        "的统计",
        "统计",
        "的数字",
    ];
    const LEAD: [&str; 5] = ["看看", "说说", "我想看", "想看", "看下"];
    let en = ["stats for ", "numbers for ", "figures for "]
        .iter()
        .find_map(|w| lower.strip_prefix(w).map(|_| &t[w.len()..]));
    let core = match en {
        Some(rest) => rest,
        None => {
            let head = LEAD.iter().find_map(|w| t.strip_prefix(w)).unwrap_or(t);
            ASKING.iter().find_map(|w| head.strip_suffix(w))?
        }
    }
    .trim();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?;
    let (span, _) = crate::stats::split_period_scope(core, today);
    (span.kind != crate::stats::period::SpanKind::All && !core.is_empty())
        .then(|| format!("统计 {core}"))
}

/// A list asked in words (`超时`, `未接单`) under the grid named in `before`, the words before
/// the question; a period there is dropped (the lists are of now), and words that name no grid
/// are the engine's to drop (`Engine::names_a_scope`).
fn listed_under(word: &str, before: &str) -> String {
    let core = before.trim_end_matches(['的', '有', ' ', '，', ',']).trim();
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 1, 1) else {
        return word.to_string();
    };
    match crate::stats::split_period_scope(core, today).1 {
        Some(scope) if !scope.trim().is_empty() => format!("{word} {}", scope.trim()),
        _ => word.to_string(),
    }
}

fn parse_canonical(text: String) -> Parsed {
    let (word, rest, slash) = match text.strip_prefix('/') {
        Some(after) => {
            let (word, rest) = split_word(after);
            // Telegram appends the bot's name in groups: /claim@gridline_bot 42.
            let word = word.split('@').next().unwrap_or(word);
            (word.to_lowercase(), rest, true)
        }
        None => {
            let (word, rest) = split_chinese_word(&text);
            // A Chinese word must stand alone: "统计局的人来了" is not `统计`.
            let stands_alone = rest.chars().next().is_none_or(|c| {
                c.is_whitespace()
                        || c.is_ascii_digit()
                        || c == '#'
                        || c == '@'
                        // 请假至12月3日
                        || (word == "请假" && (c == '至' || c == '到'))
            });
            if !stands_alone {
                return Parsed::NotCommand;
            }
            (word.to_string(), rest, false)
        }
    };
    let found = Name::ALL.into_iter().find(|name| {
        let spec = name.spec();
        spec.words.contains(&word.as_str())
            || slash && (spec.slash == word || spec.slash_aliases.contains(&word.as_str()))
    });
    let Some(name) = found else {
        return if slash && !word.is_empty() {
            Parsed::Unknown(format!("/{word}"))
        } else {
            Parsed::NotCommand
        };
    };
    let rest = rest.trim();
    // A Chinese word is a command only when what follows fits; "待办事项都做完了" is not `待办`.
    match read(name, &word, rest) {
        Ok(cmd) => Parsed::Command(cmd),
        // A number followed by a word no category names ("改类 3 外星人") is a command
        // written wrongly, not speech.
        Err(problem)
            if slash
                || (name.spec().told_when_bare && rest.is_empty())
                || matches!(
                    problem,
                    Problem::BadCategory | Problem::BadUrgency | Problem::BadDays
                ) =>
        {
            Parsed::Invalid { name, problem }
        }
        Err(_) => Parsed::NotCommand,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Category, Rating, Role, TicketRef, Urgency};
    use crate::engine::commands::leave::LeaveDate;
    use crate::engine::commands::stats::StatsView;
    use crate::engine::commands::*;
    use crate::understand::command::TicketNo;

    fn n(no: i64) -> TicketNo {
        TicketRef::here(no)
    }

    fn cmd(text: &str) -> Command {
        match parse(text) {
            Parsed::Command(c) => c,
            other => panic!("{text:?} → {other:?}"),
        }
    }

    #[test]
    fn phrasings_people_use() {
        let done = |no, text: &str| Command::Done(Done(n(no), text.to_string()));
        let cases: &[(&str, Command)] = &[
            ("#3 接单", Command::Claim(Claim(n(3)))),
            ("#3接单", Command::Claim(Claim(n(3)))),
            ("3号接单", Command::Claim(Claim(n(3)))),
            ("3号我来", Command::Claim(Claim(n(3)))),
            ("3号我来处理", Command::Claim(Claim(n(3)))),
            ("1号不用了", Command::Cancel(Cancel(n(1)))),
            ("3号好了", done(3, "")),
            ("1号已经清理了", done(1, "")),
            ("#2 清运了，车刚走", done(2, "车刚走")),
            ("5号疏通了", done(5, "")),
            (
                "2号转给吴强",
                Command::Transfer(Transfer(n(2), "吴强".into())),
            ),
            (
                "#2 交给吴强处理吧",
                Command::Transfer(Transfer(n(2), "吴强".into())),
            ),
            (
                "转派 2 给 @吴强",
                Command::Transfer(Transfer(n(2), "吴强".into())),
            ),
            (
                "1号需要延期3天，等配件",
                Command::Extend(Extend {
                    ticket: n(1),
                    days: 3,
                    reason: "等配件".into(),
                }),
            ),
            (
                "#2 申请延期 2天 师傅请假",
                Command::Extend(Extend {
                    ticket: n(2),
                    days: 2,
                    reason: "师傅请假".into(),
                }),
            ),
            ("#2 已经好了，换了灯泡", done(2, "换了灯泡")),
            ("#2 不用修了，自己好了", Command::Cancel(Cancel(n(2)))),
            ("3号撤销", Command::Cancel(Cancel(n(3)))),
            ("#3 我去看看", Command::Claim(Claim(n(3)))),
            ("3号 收到！", Command::Claim(Claim(n(3)))),
            ("已接单 3", Command::Claim(Claim(n(3)))),
            (
                "QS-DF-01#3 接单",
                Command::Claim(Claim(TicketRef::in_grid("QS-DF-01", 3))),
            ),
            ("3号办结了，杂物已清理", done(3, "杂物已清理")),
            ("#3 办结 换了灯泡", done(3, "换了灯泡")),
            ("3号搞定了", done(3, "")),
            ("#12 修好了：换了水管", done(12, "换了水管")),
            ("已办结 3", done(3, "")),
            ("已办结3号 门已修好", done(3, "门已修好")),
            (
                "#3 进展 已联系电工",
                Command::Note(Note(n(3), "已联系电工".into())),
            ),
            ("3号 查询", Command::Status(Status(n(3)))),
            // Leaders' own words around the number.
            ("1号已经处理好了", done(1, "")),
            ("#2 我这边已处理，垃圾已清运", done(2, "垃圾已清运")),
            ("5号刚修好了 换了新的灯管", done(5, "换了新的灯管")),
            ("#4 已解决", done(4, "")),
            ("3号收到，马上去看", Command::Claim(Claim(n(3)))),
            ("#6 我来处理，十分钟到", Command::Claim(Claim(n(6)))),
            ("7号我这边收到", Command::Claim(Claim(n(7)))),
            // Asked how it stands: its state, whoever asks.
            ("3号办结了没", Command::Status(Status(n(3)))),
            ("3号办结了吗？", Command::Status(Status(n(3)))),
            ("#3 接单了吗", Command::Status(Status(n(3)))),
            ("1号处理了没", Command::Status(Status(n(1)))),
            ("#2 怎么样了？", Command::Status(Status(n(2)))),
            ("5号到底有人管没有", Command::Status(Status(n(5)))),
            ("#3 any update?", Command::Status(Status(n(3)))),
            ("#3 done?", Command::Status(Status(n(3)))),
            ("2号都解决了吗", Command::Status(Status(n(2)))),
            ("#2 我们已经处理好了吗", Command::Status(Status(n(2)))),
            // English, number first or last, or the command word without its slash.
            ("#1 on it", Command::Claim(Claim(n(1)))),
            ("#1 I'm on it!", Command::Claim(Claim(n(1)))),
            ("I'll take #2", Command::Claim(Claim(n(2)))),
            ("taking #2 now", Command::Claim(Claim(n(2)))),
            ("claim 4", Command::Claim(Claim(n(4)))),
            ("#3 done, replaced the bulb", done(3, "replaced the bulb")),
            ("#3 Fixed - new bulb", done(3, "new bulb")),
            ("fixed #4: new tube", done(4, "new tube")),
            ("done 4 changed the tube", done(4, "changed the tube")),
            ("Done #5", done(5, "")),
            ("status 4", Command::Status(Status(n(4)))),
        ];
        for (text, want) in cases {
            assert_eq!(&cmd(text), want, "{text}");
        }
    }

    #[test]
    fn corrections() {
        let sanitation = Command::Recategorize(Recategorize(n(3), Category::Sanitation));
        assert_eq!(cmd("改类 3 环境卫生"), sanitation);
        assert_eq!(cmd("改类3 环境"), sanitation);
        assert_eq!(cmd("/recategorize #3 sanitation"), sanitation);
        assert_eq!(
            cmd("改为紧急 3"),
            Command::Urgency(SetUrgency(n(3), Urgency::Urgent))
        );
        assert_eq!(
            cmd("改为一般3"),
            Command::Urgency(SetUrgency(n(3), Urgency::Normal))
        );
        assert_eq!(
            cmd("/urgency 3 normal"),
            Command::Urgency(SetUrgency(n(3), Urgency::Normal))
        );
        assert_eq!(
            parse("改类 3 外星人"),
            Parsed::Invalid {
                name: Name::Recategorize,
                problem: Problem::BadCategory
            }
        );
        assert!(matches!(
            parse("改为紧急"),
            Parsed::Invalid {
                name: Name::Urgency,
                ..
            }
        ));
        assert_eq!(parse("改为紧急的事情要快"), Parsed::NotCommand);
    }

    #[test]
    fn near_misses_do_not_act() {
        for text in [
            "我来了",
            "我来处理一下家里的事",
            "3号楼办结了没",
            "3号楼的灯修好了",
            "3栋我来看看",
            "搞定了",
            "今天3号，我来值班",
            "已办结的事情就不说了",
            "3号我来不了",
            "3号我来处理不了，明天吧",
            "5号我已经说过了",
            "3号楼不用修了",
            "3号好了又坏了",
            "3号处理了一半",
            "4号修了两次还是坏",
            "3号楼通了暖气",
            "3号不用了吗",
            "#3 thanks?",
            "fixed 3 lamps last week",
            "done with this group lol",
            "taking my dog out, back at 5",
            "I'll take #2 tomorrow maybe",
            "#2 on its way",
            "claim your free gift 100 now",
        ] {
            assert_eq!(parse(text), Parsed::NotCommand, "{text}");
        }
    }

    #[test]
    fn duty_and_supervision_commands() {
        let dec3 = |year| {
            Command::Leave(Leave(LeaveDate {
                year,
                month: 12,
                day: 3,
            }))
        };
        assert_eq!(cmd("请假 至 12月3日"), dec3(None));
        assert_eq!(cmd("请假至12月3号"), dec3(None));
        assert_eq!(cmd("/leave until 2026-12-03"), dec3(Some(2026)));
        assert_eq!(cmd("/leave 12/3"), dec3(None));
        assert_eq!(cmd("请假 2026年12月3日"), dec3(Some(2026)));
        assert_eq!(
            parse("/leave until someday"),
            Parsed::Invalid {
                name: Name::Leave,
                problem: Problem::BadDate
            }
        );
        assert_eq!(
            parse("/leave 13/40"),
            Parsed::Invalid {
                name: Name::Leave,
                problem: Problem::BadDate
            }
        );
        assert_eq!(parse("请假的事情明天再说"), Parsed::NotCommand);
        assert_eq!(cmd("销假"), Command::Back(Back));
        assert_eq!(cmd("/back"), Command::Back(Back));
        assert_eq!(
            cmd("交接 @刘洋"),
            Command::Handover(Handover(Some("刘洋".into())))
        );
        assert_eq!(cmd("/handover"), Command::Handover(Handover(None)));
        assert_eq!(cmd("督办 42"), Command::Urge(Urge(n(42), String::new())));
        assert_eq!(cmd("/urge #42"), Command::Urge(Urge(n(42), String::new())));
        assert_eq!(
            cmd("督办 QS-DF-02#1 请今天内处理完"),
            Command::Urge(Urge(
                TicketRef::in_grid("QS-DF-02", 1),
                "请今天内处理完".into()
            ))
        );
        assert_eq!(cmd("请假名单"), Command::OnLeave(OnLeave(None)));
        assert_eq!(cmd("/onleave"), Command::OnLeave(OnLeave(None)));
        assert_eq!(
            cmd("请假名单 东风社区"),
            Command::OnLeave(OnLeave(Some("东风社区".into())))
        );
        assert_eq!(
            cmd("超时 QS-DF"),
            Command::Overdue(Overdue(Some("QS-DF".into())))
        );
    }

    #[test]
    fn slash_and_chinese_forms_agree() {
        assert_eq!(cmd("/claim 42"), Command::Claim(Claim(n(42))));
        assert_eq!(cmd("接单 42"), Command::Claim(Claim(n(42))));
        assert_eq!(cmd("接单42"), Command::Claim(Claim(n(42))));
        assert_eq!(cmd("接单 ＃４２"), Command::Claim(Claim(n(42))));
        assert_eq!(cmd("/claim@gridline_bot 42"), Command::Claim(Claim(n(42))));
        assert_eq!(cmd("/CLAIM #42"), Command::Claim(Claim(n(42))));
        assert_eq!(
            cmd("/done 42 换了灯泡"),
            Command::Done(Done(n(42), "换了灯泡".into()))
        );
        assert_eq!(
            cmd("办结 42 换了灯泡"),
            Command::Done(Done(n(42), "换了灯泡".into()))
        );
        assert_eq!(cmd("/done 42"), Command::Done(Done(n(42), String::new())));
        let stats = |view, args: &str| {
            Command::Stats(Stats {
                view,
                args: args.into(),
            })
        };
        assert_eq!(cmd("/stats"), stats(StatsView::Summary, ""));
        assert_eq!(cmd("统计"), stats(StatsView::Summary, ""));
        assert_eq!(
            cmd("统计 7天 T01-V01"),
            stats(StatsView::Summary, "7天 T01-V01")
        );
        assert_eq!(cmd("统计明细"), stats(StatsView::Detail, ""));
        assert_eq!(cmd("统计明细 上月"), stats(StatsView::Detail, "上月"));
        assert_eq!(cmd("统计 排名 本季度"), stats(StatsView::Ranking, "本季度"));
        assert_eq!(cmd("/stats ranking"), stats(StatsView::Ranking, ""));
        assert_eq!(
            cmd("/stats detail last month"),
            stats(StatsView::Detail, "last month")
        );
        assert_eq!(parse("统计明细表做好了"), Parsed::NotCommand);
        assert_eq!(cmd("/my"), Command::My(My));
        assert_eq!(cmd("我的诉求"), Command::My(My));
        assert_eq!(cmd("/list"), Command::List(List));
        assert_eq!(cmd("待办"), Command::List(List));
        assert_eq!(
            cmd("/rate 7 满意"),
            Command::Rate(Rate(n(7), Rating::Satisfied))
        );
        assert_eq!(
            cmd("评价 7 不满意"),
            Command::Rate(Rate(n(7), Rating::Unsatisfied))
        );
        assert_eq!(
            cmd("/note 3 已联系电工"),
            Command::Note(Note(n(3), "已联系电工".into()))
        );
        assert_eq!(
            cmd("/transfer 3 @李强"),
            Command::Transfer(Transfer(n(3), "李强".into()))
        );
        assert_eq!(
            cmd("/report 3栋楼道灯坏了"),
            Command::Report(Report("3栋楼道灯坏了".into()))
        );
        assert_eq!(
            cmd("/bind T01-V01-G01"),
            Command::Bind(Bind("T01-V01-G01".into()))
        );
        assert_eq!(
            cmd("/role @王芳 leader T01-V01-G01"),
            Command::Role(SetRole {
                target: "王芳".into(),
                role: Role::Leader,
                grid: Some("T01-V01-G01".into())
            })
        );
        assert_eq!(
            cmd("设置角色 王芳 网格长").clone(),
            Command::Role(SetRole {
                target: "王芳".into(),
                role: Role::Leader,
                grid: None
            })
        );
        assert_eq!(cmd("/help"), Command::Help(Help));
        assert_eq!(cmd("帮助"), Command::Help(Help));
    }

    #[test]
    fn dismiss_reads_duplicate_references() {
        assert_eq!(
            cmd("/dismiss 9 重复 7"),
            Command::Dismiss(Dismiss {
                ticket: n(9),
                reason: "重复 7".into(),
                duplicate_of: Some(n(7))
            })
        );
        assert_eq!(
            cmd("驳回 9 duplicate of #7"),
            Command::Dismiss(Dismiss {
                ticket: n(9),
                reason: "duplicate of #7".into(),
                duplicate_of: Some(n(7))
            })
        );
        assert_eq!(
            cmd("/dismiss 9 不属于本网格"),
            Command::Dismiss(Dismiss {
                ticket: n(9),
                reason: "不属于本网格".into(),
                duplicate_of: None
            })
        );
    }

    #[test]
    fn bad_commands_say_what_is_wrong() {
        assert_eq!(
            parse("/claim"),
            Parsed::Invalid {
                name: Name::Claim,
                problem: Problem::MissingNumber
            }
        );
        assert_eq!(
            parse("/rate 4 great"),
            Parsed::Invalid {
                name: Name::Rate,
                problem: Problem::BadRating
            }
        );
        assert_eq!(
            parse("/report"),
            Parsed::Invalid {
                name: Name::Report,
                problem: Problem::MissingText
            }
        );
        assert_eq!(
            parse("/frobnicate 3"),
            Parsed::Unknown("/frobnicate".into())
        );
        assert_eq!(
            parse("接单"),
            Parsed::Invalid {
                name: Name::Claim,
                problem: Problem::MissingNumber
            }
        );
    }

    #[test]
    fn commands_with_the_words_around_them() {
        for (text, name) in [
            ("我的待办", Name::List),
            ("统计一下", Name::Stats),
            ("看看统计", Name::Stats),
            ("本月统计", Name::Stats),
            ("上月统计明细", Name::Stats),
            ("查一下1号", Name::Status),
            ("查下 #2", Name::Status),
            ("帮我看看超时", Name::Overdue),
        ] {
            assert_eq!(cmd(text).name(), name, "{text}");
        }
        for text in [
            "看看统计局的通知",
            "麻烦接单",
            "查一下1号楼的水表",
            "我的天",
            "请假条怎么写",
            "查查看",
        ] {
            assert!(!matches!(parse(text), Parsed::Command(_)), "{text}");
        }
    }

    #[test]
    fn english_command_words_without_the_slash() {
        for (text, name) in [
            ("stats", Name::Stats),
            ("Stats this month", Name::Stats),
            ("stats ranking", Name::Stats),
            ("stats 下罗村", Name::Stats),
            ("stats this month QS-DF", Name::Stats),
            ("overdue", Name::Overdue),
            ("list", Name::List),
            ("help?", Name::Help),
            ("my", Name::My),
        ] {
            assert_eq!(cmd(text).name(), name, "{text}");
        }
        for text in [
            "stats show crime is down in our area",
            "stats on T-shirts sold at the fair",
            "report says the water is off tomorrow",
            "help me the lift is stuck",
            "HELP!!!",
            "list of things to fix",
            "my lift is broken",
        ] {
            assert_eq!(parse(text), Parsed::NotCommand, "{text}");
        }
    }

    #[test]
    fn staff_words_that_do_not_fit_get_the_usage() {
        for (text, name) in [
            ("督办 我看看", Name::Urge),
            ("待办 明天", Name::List),
            ("claim", Name::Claim),
            ("Done.", Name::Done),
            ("status?", Name::Status),
        ] {
            assert_eq!(loose(text).map(|(n, _)| n), Some(name), "{text}");
        }
        for text in [
            "claim it later",
            "done with the meeting",
            "ok",
            "3栋楼道灯坏了",
            "my",
        ] {
            assert_eq!(loose(text), None, "{text}");
        }
    }

    #[test]
    fn ordinary_speech_is_not_a_command() {
        for text in [
            "3栋楼道灯坏了",
            "待办事项都做完了吗",
            "统计局的人来了",
            "完成了吗？",
            "谢谢网格长",
            "",
            "/",
            "http://example.com/x",
        ] {
            assert_eq!(parse(text), Parsed::NotCommand, "{text:?}");
        }
    }

    #[test]
    fn supervisors_ask_in_words() {
        for (text, canonical) in [
            ("哪些超时了？", "超时"),
            ("有没有超时的", "超时"),
            ("逾期的有多少", "超时"),
            ("What's overdue?", "超时"),
            ("哪些还没接单？", "未接单"),
            ("东风社区今天哪些还没接单", "未接单 东风社区"),
            ("今天哪些还没接单", "未接单"),
            ("李建国那边有没有超时的", "超时 李建国那边"),
            ("帮我看看有没有超时的", "超时 帮我"),
            ("谁还没接单", "未接单"),
            ("东风社区还有几件没人接", "未接单 东风社区"),
            ("二网格有哪些没签收的", "未接单 二网格"),
            ("现在还有没接单的吗", "未接单"),
            ("Which reports haven't been claimed yet?", "未接单"),
            ("anything unclaimed?", "未接单"),
            ("这周东风社区怎么样", "统计 这周东风社区"),
            ("上个月情况如何？", "统计 上个月"),
            ("看看本月的数据", "统计 本月"),
            ("东风社区11月的情况", "统计 东风社区11月"),
            ("stats for last month", "统计 last month"),
            // The scope is the engine's to check: 天气 is no grid, so it stays chat there.
            ("今天天气怎么样", "统计 今天天气"),
            ("这个月东风社区收到多少件诉求", "统计 这个月东风社区"),
            ("上周办结了几件", "统计 上周"),
            ("这个月满意度多少", "统计 这个月"),
            ("我手上还有几件", "待办"),
            ("我还有哪些没办的", "待办"),
            ("我的单子", "待办"),
            ("还有啥没处理的？", "待办"),
            ("东风社区上个月及时签收率是多少", "统计 东风社区上个月"),
            ("黄丽华这个月接了几单", "统计 黄丽华这个月"),
            ("本周新增几件", "统计 本周"),
            ("把上个月的报表发我", "统计 上个月"),
            ("发一下东风社区本月月报", "统计 东风社区本月"),
            // What is still outstanding, with a period or without.
            ("东风社区这周还有几件没办完", "统计 东风社区这周"),
            ("二网格还有多少没处理", "统计 二网格"),
            ("还剩几件没办结？", "统计"),
            ("how many reports this month?", "统计 this month"),
            ("哪个网格超时最多", "统计 排名"),
            ("上个月哪个村满意率最低", "统计 排名 上个月"),
            (
                "which grid is the slowest this month",
                "统计 排名 this month",
            ),
        ] {
            assert_eq!(asked_in_words(text).as_deref(), Some(canonical), "{text}");
        }
        for text in [
            "东风社区怎么样",
            "大家好，这周末社区有活动，欢迎参加，情况如何请看通知",
            "超时",
            "3栋楼道灯坏了",
            "哪个最好吃",
            "这个多少钱",
            "电梯坏了多少天了",
            "一网格的灯还没人接单，我先去看看了",
            "我接单了",
            "今天几个人来开会",
            "我还有啥要带的吗",
            "还有什么问题吗",
            "把报表发我",
            "这个报告写得不错",
        ] {
            assert_eq!(asked_in_words(text), None, "{text}");
        }
        // What they ask for reads as the command.
        for text in ["统计 这周东风社区", "统计 上个月"] {
            assert!(matches!(parse(text), Parsed::Command(_)), "{text}");
        }
    }
}
