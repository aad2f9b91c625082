//! The pieces of reading a chat command's arguments that several commands share: ticket
//! numbers as people type them (`42`, `#42`, `42号`, `QS-DF-01#42`), ratings, categories,
//! periods, and the phrasings around a number ("3号我来", "#3 办结了").
//!
//! The commands themselves, their words and how each reads its arguments, are in
//! `engine::commands` (one file per command).

use crate::domain::{Category, Rating, TicketRef};

/// A ticket as people type it: `42`, `#42`, `42号`, or `QS-DF-01#42` from another grid's chat.
pub type TicketNo = TicketRef;

/// A statistics period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    Days7,
    Days30,
    All,
}

impl Period {
    pub fn parse(word: &str) -> Option<Period> {
        match word.to_lowercase().as_str() {
            "today" | "今天" | "今日" | "1d" => Some(Period::Today),
            "7d" | "week" | "7天" | "近7天" | "本周" | "一周" => Some(Period::Days7),
            "30d" | "month" | "30天" | "近30天" | "本月" | "一个月" => Some(Period::Days30),
            "all" | "全部" | "累计" => Some(Period::All),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Days7 => "7d",
            Period::Days30 => "30d",
            Period::All => "all",
        }
    }
}

/// Why a recognised command could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    MissingNumber,
    MissingText,
    BadRating,
    MissingTarget,
    BadRole,
    BadPeriod,
    MissingGrid,
    BadDate,
    BadCategory,
    BadUrgency,
    /// The days of an extension (`延期 3 3天`) could not be read.
    BadDays,
    /// Text after a command that takes none (`待办 明天`).
    Trailing,
}

/// Phrasings that say "I take it" after a ticket number: "3号我来", "#3 我来处理".
pub const CLAIM_PHRASES: &[&str] = &[
    "我来处理",
    "我来",
    "我去处理",
    "我去看看",
    "我去",
    "我负责",
    "接了",
    "收到",
];

/// What follows a phrase says it stands alone or before a pause: nothing, or only closing
/// marks ("修好了！"), or a space or a pause mark before what comes next ("收到，马上去看").
pub fn alone_or_paused(rest: &str) -> bool {
    let rest = rest.trim_end_matches(['。', '.', '!', '！', '~', '～']);
    rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || "，,。！!～~、".contains(c))
}

/// A leader's "I take it" with no number and not replying to a card ("我来处理", "我去看看，
/// 十分钟到", "收到，明天上午去看", "5栋垃圾我来处理"): the job it names, before the words of
/// going or handling ("" when it names none; the engine then reads it against the grid's one
/// ticket waiting). `None` for anything else: 收到 and 好的 alone answer notices as often,
/// "我来了" says someone arrived, "我去！" is an exclamation, "你去看看" sends someone else,
/// "我去看看电影" goes elsewhere, and questions ask.
pub fn claim_said(text: &str) -> Option<&str> {
    const ALONE_EN: [&str; 34] = [
        "i'm on my way",
        "im on my way",
        "will check",
        "i'll check",
        "will send someone",
        "sending someone",
        "will look into it",
        "i'll look into it",
        "looking into it",
        "coming now",
        "will be there",
        "be there",
        "on it",
        "i'm on it",
        "i'll handle it",
        "i'll take it",
        "i'll take this",
        "leave it to me",
        "will handle",
        "on my way",
        "omw",
        "heading over",
        "heading there",
        "going over now",
        "i'll go check",
        "will go check",
        "i'll check it",
        "will check it",
        "i'll take a look",
        "will take a look",
        "i'll have a look",
        "will have a look",
        "i'll sort it",
        "will sort it",
    ];
    // Said first, before the plan: "收到，", "好的 ", "ok,".
    const ACKS: [&str; 17] = [
        "yes",
        "yep",
        "sure",
        "alright",
        "收到",
        "好的",
        "好嘞",
        "好",
        "行",
        "嗯",
        "明白",
        "知道了",
        "ok",
        "okay",
        "got it",
        "noted",
        "roger",
    ];
    // When: what may stand between the job named and the going ("明天上午", "我这边马上").
    const WHEN: [&str; 36] = [
        "我这边",
        "我们",
        "我",
        "这边",
        "明天",
        "今天",
        "今晚",
        "明早",
        "上午",
        "下午",
        "晚上",
        "中午",
        "早上",
        "一会儿",
        "一会",
        "等一下",
        "等下",
        "等会儿",
        "等会",
        "待会儿",
        "待会",
        "马上",
        "现在",
        "稍后",
        "晚点",
        "这就",
        "就",
        "先",
        "立刻",
        "立马",
        "尽快",
        "抽空",
        "下班后",
        "亲自",
        "再",
        "点",
    ];
    // The going or the handling. Bare 去 and 来 only straight after who goes or how soon
    // ("我来", "马上去"), as "垃圾车明天来" tells of someone else and "我去！" exclaims.
    const GOING: [&str; 27] = [
        // Someone fetched by the sender ("下午叫人来通", "马上派人过去", "明天找师傅来修").
        "叫人",
        "找人",
        "派人",
        "喊人",
        "叫师傅",
        "找师傅",
        "派师傅",
        "喊师傅",
        "在路上了",
        "在路上",
        "出发了",
        "已出发",
        "快到了",
        "赶过去",
        "过去看",
        "去看",
        "过去",
        "去处理",
        "来处理",
        "去修",
        "来修",
        "上门",
        "到现场",
        "安排",
        "负责",
        "就到",
        "马上到",
    ];
    // 来 after the sender ("我来") or how soon; 去 only after how soon ("我去！" exclaims).
    const SOON: [&str; 5] = ["马上", "这就", "就", "立刻", "现在"];
    const PLANNED: [&str; 8] = [
        "明天",
        "今天",
        "上午",
        "下午",
        "晚上",
        "晚点",
        "稍后",
        "一会儿",
    ];
    // What may follow the going, before the sentence ends or pauses ("过去看看吧", "安排师傅
    // 去处理一下"); "去看看电影" goes on to something else.
    const TAIL: &str = "看一下吧处理去过来修瞧人师傅通弄换清";
    // Someone else sent or asked: not the sender's claim.
    const OTHERS: [&str; 12] = [
        "你", "您", "他", "她", "谁", "大家", "麻烦", "请", "让", "叫", "物业", "谁能",
    ];
    let t = text.trim();
    if t.is_empty() || is_question(t) {
        return None;
    }
    let lower = t.to_lowercase().replace('’', "'");
    // After the English phrase: nothing, a pause, or when ("will check tmr morning"); "will
    // go to the market" goes elsewhere.
    const EN_WHEN: [&str; 16] = [
        "now", "tmr", "tmrw", "tomorrow", "today", "tonight", "later", "this", "in", "asap",
        "first", "soon", "after", "shortly", "right", "before",
    ];
    let english = |s: &str| {
        ALONE_EN.iter().any(|p| {
            english_prefix(s, p).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.is_empty()
                    || rest.starts_with([',', '.', '!', '-', ';', ':'])
                    || rest
                        .split_whitespace()
                        .next()
                        .is_some_and(|w| EN_WHEN.contains(&w.trim_end_matches([',', '.', '!'])))
            })
        })
    };
    // "收到，", "嗯嗯，", "ok ok": an acknowledgement or two before the plan.
    let ack = |s: &'static str, t: &str| -> Option<usize> {
        let rest = if s.is_ascii() {
            english_prefix(t, s)?
        } else {
            t.strip_prefix(s)?
        };
        let after =
            rest.trim_start_matches(|c: char| c.is_whitespace() || "，,。！!～~、".contains(c));
        (after.len() < rest.len() || after.is_empty() || ACKS.iter().any(|a| after.starts_with(a)))
            .then_some(t.len() - after.len())
    };
    let mut after_ack = t;
    for _ in 0..2 {
        if let Some(cut) = ACKS.iter().find_map(|a| ack(a, after_ack)) {
            after_ack = &after_ack[cut..];
        }
    }
    if english(&lower) || english(&after_ack.to_lowercase().replace('’', "'")) {
        return Some("");
    }
    // "我联系了电工，明天上午来修": the arranging names the job before what the others do.
    if let Some(subject) = arranged(after_ack) {
        return Some(subject);
    }
    // "我问一下街道再回复你", "let me check and get back to you": the question taken, to be
    // answered later.
    if answers_later(&lower) {
        return Some("");
    }
    let tail_ok = |rest: &str| {
        let rest = rest.trim_start_matches(|c: char| TAIL.contains(c));
        alone_or_paused(rest)
    };
    // The earliest going whose tail ends the sentence; what comes before it, less the when,
    // is the job named.
    for (at, _) in after_ack.char_indices() {
        let here = &after_ack[at..];
        let before = &after_ack[..at];
        let soon = SOON.iter().any(|w| before.ends_with(w));
        let me = before.ends_with('我') || before.ends_with("我们");
        // 处理 after the sender or a when of theirs ("这个我明天处理"); "尽快处理" asks.
        let planned = me || soon || PLANNED.iter().any(|w| before.ends_with(w));
        let going = GOING
            .iter()
            .any(|g| here.starts_with(g) && tail_ok(&here[g.len()..]))
            || [("去", soon), ("来", soon || me), ("处理", planned)]
                .iter()
                .any(|(g, after)| *after && here.starts_with(g) && tail_ok(&here[g.len()..]));
        if !going {
            continue;
        }
        let mut subject = before.trim_end();
        while let Some(w) = WHEN.iter().find(|w| subject.ends_with(*w)) {
            subject = subject[..subject.len() - w.len()].trim_end();
            subject = subject.trim_end_matches(|c: char| c.is_ascii_digit());
        }
        let subject =
            subject.trim_end_matches(|c: char| c.is_whitespace() || "，,、的".contains(c));
        if OTHERS.iter().any(|w| subject.contains(w)) {
            return None;
        }
        // Pointing at the one job there is ("这个我明天处理"), or an acknowledgement run into
        // the claim ("好的我来").
        return Some(if points_at_the_job(subject) || ACKS.contains(&subject) {
            ""
        } else {
            subject
        });
    }
    None
}

/// A handler handing a job to someone in words, no number ("这个交给吴强处理吧", "楼顶漏水的事
/// 转给吴强", "让吴强去处理一下"): the job named before (empty when it points at the one there
/// is) and who it goes to, without the words around them. The engine hands it over only when
/// that is someone of the roster ("我转给他们" names nobody, and is the sender's own claim).
pub fn handed_to(text: &str) -> Option<(&str, &str)> {
    const TO: [&str; 6] = ["转交给", "转派给", "交给", "转给", "移交给", "让"];
    let t = text.trim();
    if t.is_empty() || is_question(t) || t.chars().count() > 30 {
        return None;
    }
    let (at, w) = TO
        .iter()
        .filter_map(|w| t.find(w).map(|at| (at, w.len())))
        .min_by_key(|&(at, len)| (at, usize::MAX - len))?;
    let mut target = t[at + w..].trim().trim_start_matches('@');
    loop {
        let before = target;
        target = target.trim_end_matches(|c: char| c.is_whitespace() || "。.!！~～，,".contains(c));
        for tail in [
            "来处理一下",
            "去处理一下",
            "处理一下",
            "来处理",
            "去处理",
            "处理",
            "负责",
            "跟进",
            "去看看",
            "看看",
            "去办",
            "办",
            "吧",
            "了",
            "一下",
        ] {
            target = target.strip_suffix(tail).unwrap_or(target);
        }
        if target == before {
            break;
        }
    }
    // A name, not a clause: "让大家注意安全" tells everyone something.
    if target.is_empty() || target.chars().count() > 8 || target.contains(['，', ',', ' ']) {
        return None;
    }
    let mut subject = t[..at]
        .trim_end_matches(|c: char| "，, 的".contains(c))
        .trim();
    for w in ["我这边", "我们", "我", "就", "先", "已经"] {
        subject = subject.strip_suffix(w).unwrap_or(subject).trim_end();
    }
    let subject = subject.trim_end_matches(|c: char| "，, 的".contains(c));
    Some((
        if points_at_the_job(subject) {
            ""
        } else {
            subject
        },
        target,
    ))
}

/// A promise to find out and answer: "我问一下街道再回复你", "我核实一下再答复您", "let me check and
/// get back to you", "will get back to you on that".
fn answers_later(lower: &str) -> bool {
    const FIND_OUT: [&str; 8] = [
        "问一下",
        "问问",
        "核实",
        "了解一下",
        "确认一下",
        "查一下",
        "咨询一下",
        "请示一下",
    ];
    const ANSWER: [&str; 8] = [
        "回复你",
        "回复您",
        "答复你",
        "答复您",
        "告诉你",
        "告诉您",
        "再回复",
        "再答复",
    ];
    (FIND_OUT.iter().any(|w| lower.contains(w)) && ANSWER.iter().any(|w| lower.contains(w)))
        || ["get back to you", "revert to you", "get back to u"]
            .iter()
            .any(|w| lower.contains(w))
}

/// "Called the council, they'll come tomorrow", "I've informed the management", "already
/// reported it to the water board": done (a past form), told to someone who acts, not to "you"
/// or everyone.
fn arranged_en(t: &str) -> bool {
    const DONE: [&str; 7] = [
        "i've", "ive", "i have", "we've", "we have", "already", "just",
    ];
    const VERBS: [&str; 12] = [
        "called",
        "rang",
        "phoned",
        "contacted",
        "informed",
        "notified",
        "reported it to",
        "reported this to",
        "reported to",
        "messaged",
        "texted",
        "emailed",
    ];
    const NOT_TOLD: [&str; 8] = [
        "you",
        "everyone",
        "everybody",
        "all",
        "residents",
        "the group",
        "u",
        "him",
    ];
    // What the sender is about to do: "I'll get animal control out", "will call the council".
    const WILL: [&str; 9] = [
        "i'll",
        "ill",
        "i will",
        "will",
        "let me",
        "gonna",
        "going to",
        "i'm going to",
        "we'll",
    ];
    const WILL_VERBS: [&str; 10] = [
        "get",
        "call",
        "ring",
        "phone",
        "contact",
        "inform",
        "notify",
        "report it to",
        "report this to",
        "arrange for",
    ];
    // Acknowledgements ("ok I'll …") are gone already: `claim_said` reads after them.
    let mut rest = t.trim();
    let lower = rest.to_lowercase().replace('’', "'");
    if let Some(r) = WILL.iter().find_map(|w| english_prefix(&lower, w))
        && let Some(told) = WILL_VERBS
            .iter()
            .find_map(|v| english_prefix(r.trim_start(), v))
    {
        let told = told.trim_start();
        let mut words = told.split_whitespace();
        let first = words.next().unwrap_or("");
        // "I'll get it fixed": the job, done by others.
        if first == "it"
            && words.next().is_some_and(|w| {
                ["fixed", "sorted", "done", "repaired", "cleared", "seen"]
                    .contains(&w.trim_end_matches([',', '.', '!']))
            })
        {
            return true;
        }
        return !first.is_empty()
            && ![
                "you", "u", "back", "everyone", "home", "it", "them", "some", "a",
            ]
            .contains(&first.trim_end_matches([',', '.', '!']));
    }
    while let Some(r) = DONE.iter().find_map(|w| english_prefix(rest, w)) {
        rest = r.trim_start();
    }
    let Some(told) = VERBS.iter().find_map(|v| english_prefix(rest, v)) else {
        return false;
    };
    let told = told.trim_start().to_lowercase();
    let first = told
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .next()
        .unwrap_or("");
    !first.is_empty() && !NOT_TOLD.iter().any(|w| english_prefix(&told, w).is_some())
}

/// A leader's word that they have set others to the job ("垃圾的事已经通知环卫了，下午来拉",
/// "我联系了电工", "这个已经上报街道了", "已安排好了"): the job named before the arranging, as
/// [`claim_said`] gives it. The arranging is done (已/已经/刚 before it, 了 or 好了 after it);
/// "联系电工" alone may be advice. `None` when the notice goes to everyone ("停水的事已经通知
/// 大家了"), when a notice was received ("收到通知了"), or when someone else did the arranging
/// ("物业已经通知了").
fn arranged(t: &str) -> Option<&str> {
    if arranged_en(t) {
        return Some("");
    }
    const VERBS: [&str; 12] = [
        "通知",
        "联系",
        "安排",
        "上报",
        "报给",
        "反映给",
        "打电话给",
        "打过电话给",
        "打了电话给",
        "转给",
        "转交",
        "转到",
    ];
    // Handing it on is the job taken whenever the sender says they do it ("我转给他们"); the
    // others only once done ("我联系一下老王" may be anything).
    const HANDING_ON: [&str; 6] = ["上报", "报给", "反映给", "转给", "转交", "转到"];
    const DONE_BEFORE: [&str; 5] = ["已经", "刚刚", "已", "刚", "都"];
    // Told to all: a notice, not a job taken.
    const EVERYONE: [&str; 7] = ["大家", "各位", "全体", "居民", "业主们", "住户", "群里"];
    if ["收到通知", "接到通知", "看到通知", "的通知", "通知书"]
        .iter()
        .any(|w| t.contains(w))
    {
        return None;
    }
    for (at, _) in t.char_indices() {
        let here = &t[at..];
        let Some(verb) = VERBS.iter().find(|v| here.starts_with(*v)) else {
            continue;
        };
        let after = &here[verb.len()..];
        let mut before = t[..at].trim_end();
        let marked_before = DONE_BEFORE.iter().find(|w| before.ends_with(*w));
        if let Some(w) = marked_before {
            before = before[..before.len() - w.len()].trim_end();
        }
        let marked_after = after.starts_with('了') || after.starts_with("好了");
        let handed_on = HANDING_ON.contains(verb)
            && ["我", "我们", "我这边", "我马上", "我这就", "马上", "这就"]
                .iter()
                .any(|w| before.ends_with(w));
        if marked_before.is_none() && !marked_after && !handed_on {
            continue;
        }
        let told = after
            .split(['，', ',', '。', '！', '!', ' '])
            .next()
            .unwrap_or("");
        if EVERYONE.iter().any(|w| told.contains(w)) {
            return None;
        }
        let mut subject = before;
        while let Some(w) = [
            "我们",
            "我这边",
            "我",
            "这边",
            "今天",
            "刚才",
            "早上",
            "马上",
            "这就",
        ]
        .iter()
        .find(|w| subject.ends_with(*w))
        {
            subject = subject[..subject.len() - w.len()].trim_end();
        }
        let subject =
            subject.trim_end_matches(|c: char| c.is_whitespace() || "，,、的".contains(c));
        // Said over several clauses ("这个不归我们管，化粪池是环卫所的，我转给他们"): the
        // first points at the job, or the last names it.
        let clauses: Vec<&str> = subject
            .split(['，', ',', '。', '；', ';'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let subject = match clauses.as_slice() {
            [first, .., last] => {
                if ["这个", "那个", "这事", "这件事", "那件事"]
                    .iter()
                    .any(|p| first.starts_with(p))
                {
                    ""
                } else {
                    last.trim_end_matches('的')
                }
            }
            _ => subject,
        };
        const OTHERS: [&str; 9] = ["你", "您", "他", "她", "谁", "物业", "社区", "别人", "有人"];
        if OTHERS.iter().any(|w| subject.contains(w)) {
            return None;
        }
        return Some(if points_at_the_job(subject) {
            ""
        } else {
            subject
        });
    }
    None
}

/// Words that point at the job without naming it ("这个我明天处理", "那件事办好了", "that's
/// done"): the one the sender means is the one there is.
pub fn points_at_the_job(subject: &str) -> bool {
    const POINTERS: [&str; 10] = [
        "那个",
        "这个",
        "那件事",
        "这件事",
        "这事",
        "那事",
        "it",
        "that",
        "this",
        "that one",
    ];
    POINTERS.contains(&subject.to_lowercase().as_str())
}

/// Phrasings that say "done" after a ticket number: "3号办结了，杂物已清理", "#3 搞定了".
pub const DONE_PHRASES: &[&str] = &[
    "已办结",
    "办结了",
    "办好了",
    "搞定了",
    "搞好了",
    "修好了",
    "修好啦",
    "已修好",
    "已修复",
    "修复了",
    "处理好了",
    "处理完了",
    "处理完毕",
    "弄好了",
    "弄完了",
    "整好了",
    "已处理",
    "已完成",
    "完成了",
    "已解决",
    "解决了",
    "清理完了",
    "清理好了",
    "换好了",
    "通好了",
    "疏通好了",
    "疏通完了",
    "已疏通",
    "装好了",
    "补好了",
    "修完了",
    "换完了",
    "清完了",
    "收拾好了",
];

/// Shorter ways of saying "done" after a ticket number that count only alone or before a pause:
/// "1号已经清理了", "#2 清运了，车刚走"; "3号处理了一半" and "4号修了两次还是坏" are no such thing.
pub const DONE_ALONE: &[&str] = &[
    "清理了",
    "清理干净了",
    "清理掉了",
    "清运了",
    "清走了",
    "拉走了",
    "已清理",
    "已清运",
    "处理了",
    "修了",
    "维修好了",
    "修理好了",
    "疏通了",
    "通了",
];

/// Words of need between a ticket's number and a command word: "1号需要延期3天", "2号申请延期".
pub const NEED_WORDS: &[&str] = &["我需要", "需要", "我想", "想", "我要", "要", "申请", "得"];

/// English for "done", after the ticket number ("#3 done, replaced the bulb") or in a reply to
/// the card. Longer phrases first.
pub const EN_DONE: &[&str] = &[
    "has been fixed",
    "has been done",
    "all done",
    "is fixed",
    "is done",
    "done",
    "fixed",
    "resolved",
    "completed",
    "finished",
    "sorted",
];

/// English for "I take it", after the ticket number ("#3 on it") or before it ("I'll take #2").
pub const EN_CLAIM: &[&str] = &[
    "i'm on it",
    "im on it",
    "on it",
    "i'll take it",
    "ill take it",
    "i'll take",
    "ill take",
    "i will take",
    "taking it",
    "taking",
    "i'll handle it",
    "i'll handle",
    "i will handle",
    "i'll go",
    "on my way",
    "got it",
    "mine",
    "claimed",
];

/// What follows `phrase` at the start of `s`, compared without regard to ASCII case, when the
/// phrase ends there as a whole word ("done," and "done" but not "doner").
pub fn english_prefix<'a>(s: &'a str, phrase: &str) -> Option<&'a str> {
    let s = s.trim_start();
    let head = s.get(..phrase.len())?;
    let rest = &s[phrase.len()..];
    (head.eq_ignore_ascii_case(phrase) && !rest.starts_with(|c: char| c.is_alphanumeric()))
        .then_some(rest)
}

/// Words a leader puts between the number and "done" or "I take it": "1号已经处理好了", "#3 我
/// 这边已处理", "2号刚修好了".
pub const LEAD_INS: &[&str] = &["我这边", "我们", "我已经", "已经", "都", "刚刚", "刚", "我"];

/// `s` without one lead-in word ([`LEAD_INS`]) at its start.
pub fn strip_lead_in(s: &str) -> &str {
    let s = s.trim_start();
    LEAD_INS
        .iter()
        .find_map(|w| s.strip_prefix(w))
        .map_or(s, |rest| {
            // "我已经" after "我这边": at most two lead-ins.
            let rest = rest.trim_start();
            LEAD_INS
                .iter()
                .find_map(|w| rest.strip_prefix(w))
                .unwrap_or(rest)
        })
}

/// A leader's reply to a card or claim notice that says it is done ("搞定了", "修好了，换了灯泡"):
/// what was done, possibly empty. `None` for anything else, and for questions ("修好了吗").
pub fn done_reply(text: &str) -> Option<&str> {
    let t = text.trim();
    if is_question(t) {
        return None;
    }
    let t = strip_lead_in(t);
    DONE_PHRASES
        .iter()
        .chain(&["办结"])
        .find_map(|p| t.strip_prefix(p))
        .or_else(|| EN_DONE.iter().find_map(|p| english_prefix(t, p)))
        .map(trim_joiners)
}

/// A handler telling the group in their own words that a job is done, with no number first
/// and not replying to a card: "灯已经修好了", "3号楼的灯换好了，换了灯泡", "修好了，换了灯泡",
/// "the lamp at block 5 is fixed", "the bins have been cleared". What the job is named by
/// (possibly empty) and what was done after the phrase (possibly empty). A question ("灯修好了
/// 吗"), a negation or a guess before the phrase ("还没修好", "应该修好了吧"), a clause before
/// it ("昨天那个问题物业已经处理好了") and more than a short name before it are no such thing.
pub fn done_said(text: &str) -> Option<(&str, &str)> {
    // Not done: denied or supposed anywhere before the word ("如果修好了"), guessed or still to
    // come just before it ("应该修好了吧", "明天就能修好了", "快弄好了"; 快递柜 is a place).
    const DENIED: [&str; 5] = ["没", "不", "未", "要是", "如果"];
    const NOT_YET: [&str; 17] = [
        "应该", "可能", "估计", "好像", "能", "会", "要", "明天", "后天", "下午", "晚上", "等",
        "快", "马上", "才", "再", "争取",
    ];
    let t = text
        .trim()
        .trim_end_matches(['。', '.', '!', '！', '~', '～']);
    if t.is_empty() || is_question(t) || t.ends_with('吧') {
        return None;
    }
    let clause =
        |s: &str| s.contains([',', '，', '。', '!', '！', '；', ';', '?', '？', '：', ':']);
    // Work made good: a verb of it with 好了 or 完了 ("井盖固定好了", "管子接好了").
    const MADE: [&str; 24] = [
        "固定", "安装", "装", "补", "焊", "封", "盖", "接", "疏通", "清扫", "打扫", "扫", "刷",
        "铺", "填", "挪", "搬", "修剪", "剪", "砍", "收拾", "更换", "拧紧", "扶正",
    ];
    let made = MADE.iter().flat_map(|v| {
        ["好了", "完了"].into_iter().filter_map(move |end| {
            let at = t.find(&format!("{v}{end}"))?;
            Some((at, v.len() + end.len()))
        })
    });
    // The earliest phrase, the longest at a place ("已修好" before "修好").
    if let Some((at, len)) = DONE_PHRASES
        .iter()
        .filter_map(|p| t.find(p).map(|at| (at, p.len())))
        .chain(made)
        .min_by_key(|&(at, len)| (at, usize::MAX - len))
    {
        let mut subject = t[..at].trim_end();
        for _ in 0..2 {
            subject = LEAD_INS
                .iter()
                .find_map(|w| subject.strip_suffix(w))
                .map_or(subject, str::trim_end);
        }
        let short = subject.chars().count() <= 12 && !clause(subject);
        let denied = DENIED.iter().any(|w| subject.contains(w))
            || NOT_YET.iter().any(|w| subject.trim_end().ends_with(w));
        return (short && !denied).then(|| (subject.trim(), trim_joiners(&t[at + len..])));
    }
    // English: "<the job> is fixed", "<the job> has been cleared", in at most eight words.
    const EN_STATE: [&str; 8] = [
        " has been ",
        " have been ",
        " is now ",
        " are now ",
        " is ",
        " are ",
        " was ",
        " got ",
    ];
    const EN_WORDS: [&str; 25] = [
        "fixed",
        "repaired",
        "sorted",
        "resolved",
        "cleared",
        "replaced",
        "done",
        "unblocked",
        "restored",
        "back on",
        "working again",
        "reconnected",
        "collected",
        "removed",
        "cleaned up",
        "caught",
        "taken away",
        "towed",
        "picked up",
        "put out",
        "emptied",
        "patched",
        "trimmed",
        "cut back",
        "switched off",
    ];
    // "sent the plumber, all sorted now", "replaced the fuse - all done": what was done, then
    // the word of done after a pause.
    const DONE_LAST: [&str; 9] = [
        "all sorted now",
        "all sorted",
        "sorted now",
        "all done now",
        "all done",
        "all fixed now",
        "all fixed",
        "fixed now",
        "done now",
    ];
    let ended = t.trim_end_matches(['.', '!', ' ']);
    if ended.is_ascii()
        && !is_question(t)
        && let Some(w) = DONE_LAST
            .iter()
            .find(|w| ended.to_ascii_lowercase().ends_with(*w))
        && let Some(before) = ended[..ended.len() - w.len()]
            .trim_end()
            .strip_suffix([',', '-', ';', '.'])
    {
        let before = before.trim();
        if !before.is_empty() && before.split_whitespace().count() <= 12 {
            return Some(("", before));
        }
    }
    // "done, dog has been caught", "sorted - bins emptied": the word of done first, then what
    // was done, which may name the job.
    if let Some(rest) = ["all done", "done", "fixed", "sorted", "finished"]
        .iter()
        .find_map(|w| english_prefix(t, w))
        && rest
            .trim_start()
            .starts_with([',', '.', '!', '-', ':', ';'])
    {
        let rest = rest.trim_start_matches([',', '.', '!', '-', ':', ';', ' ']);
        if rest.is_empty() || is_question(rest) {
            return None;
        }
        return done_said(rest).or(Some(("", rest)));
    }
    let lower = t.to_ascii_lowercase();
    let Some((at, state)) = EN_STATE
        .iter()
        .filter_map(|w| lower.find(w).map(|at| (at, w.len())))
        .min_by_key(|&(at, len)| (at, usize::MAX - len))
    else {
        return done_texted(t, &EN_WORDS);
    };
    let after = &t[at + state..];
    let Some(rest) = EN_WORDS.iter().find_map(|w| english_prefix(after, w)) else {
        return done_texted(t, &EN_WORDS);
    };
    let subject = t[..at].trim();
    let words = subject.split_whitespace().count();
    let denied = lower[..at]
        .split_whitespace()
        .any(|w| matches!(w, "not" | "isn't" | "if" | "maybe" | "hopefully" | "when"));
    let negated = english_prefix(rest, "not").is_some() || rest.trim_start().starts_with("yet");
    ((1..=8).contains(&words) && !clause(subject) && !denied && !negated)
        .then(|| (subject, trim_joiners(rest)))
        .or_else(|| done_texted(t, &EN_WORDS))
}

/// A resident's reply to a resolution notice or card saying it is not fixed, in the ways the
/// parser's lexicon may not list: "还是堵着呢", "还没好", "没清干净", "又坏了".
pub fn sounds_not_fixed(text: &str) -> bool {
    let t = text.trim();
    // English: a sentence of at most twenty words that opens on the problem still being there
    // ("still smells bad", "it's still dark", "still not fixed").
    let lower = t.to_lowercase();
    if t.split_whitespace().count() <= 20
        && [
            "still ",
            "it's still ",
            "its still ",
            "it is still ",
            "they're still ",
        ]
        .iter()
        .any(|w| lower.starts_with(w))
    {
        return true;
    }
    if t.is_empty() || t.chars().count() > 40 {
        return false;
    }
    [
        "还是",
        "还没",
        "仍然",
        "依然",
        "根本没",
        "并没有",
        "没有修",
        "没修",
        "没清",
        "没弄",
        "又坏",
        "又堵",
        "不行",
    ]
    .iter()
    .any(|w| t.starts_with(w))
        || [
            "没修好",
            "没好",
            "没清干净",
            "没弄好",
            "还在漏",
            "还是坏",
            "还是不亮",
            "还是堵",
        ]
        .iter()
        .any(|w| t.contains(w))
        || still_wrong(t)
}

/// "电梯门还是关不上", "水管还在漏", "楼下的灯又不亮了": a short name, then "still" or "again",
/// then what is wrong (a negation or a fault word) straight after.
fn still_wrong(t: &str) -> bool {
    const STILL: [&str; 6] = ["还是", "还没", "仍然", "依然", "还在", "又"];
    const WRONG: [char; 12] = [
        '不', '没', '坏', '堵', '漏', '卡', '黑', '臭', '脏', '停', '断', '冒',
    ];
    let Some((at, len)) = STILL
        .iter()
        .filter_map(|w| t.find(w).map(|at| (at, w.len())))
        .min_by_key(|&(at, len)| (at, usize::MAX - len))
    else {
        return false;
    };
    let name = &t[..at];
    name.chars().count() <= 8
        && !name.contains([',', '，', '。', '!', '！', '?', '？', '；', ';'])
        && t[at + len..].chars().take(3).any(|c| WRONG.contains(&c))
}

/// "Me too" in the short forms the parser's lexicon may not list: "我家楼下也是", "我们这也一样",
/// "同". Only a short message: a longer one is a report of its own.
pub fn sounds_me_too(text: &str) -> bool {
    let t = text
        .trim()
        .trim_end_matches(|c: char| "。.!！~～，,".contains(c));
    if t.is_empty() || t.chars().count() > 12 {
        return false;
    }
    matches!(t, "同" | "同+1" | "一样" | "我也" | "也是")
        || ["也是", "也一样", "也这样", "也是这样"]
            .iter()
            .any(|end| t.ends_with(end))
            && ["我", "俺", "咱"].iter().any(|who| t.starts_with(who))
}

/// A ticket reference at the start of a sentence: `#3`, `3号`, `QS-DF-01#3`. A bare number
/// is not one here: "3栋" and "3楼" are places.
pub fn leading_ref(s: &str) -> Option<(TicketRef, &str)> {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let head = &s[..end];
    // "#3接单", "3号我来": the reference ends where its digits do.
    let digits_end = |from: usize| {
        s[from..]
            .char_indices()
            .find(|(_, c)| !c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| from + i)
    };
    if let Some(hash) = head.find('#') {
        let stop = digits_end(hash + 1);
        if stop == hash + 1 {
            return None;
        }
        let r = TicketRef::parse(&s[..stop])?;
        return Some((r, &s[stop..]));
    }
    let stop = digits_end(0);
    if stop == 0 {
        return None;
    }
    let rest = s[stop..].strip_prefix('号')?;
    let no = s[..stop].parse().ok().filter(|n: &i64| *n > 0)?;
    Some((TicketRef::here(no), rest))
}

/// Punctuation and joining words between the number, the verb and the text that follows.
pub fn trim_joiners(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || "，,。.：:、；;-—了!！".contains(c))
        .trim_end()
}

/// Whether a ticket's text asks for information ("高龄补贴怎么申请，需要带什么材料", "where do
/// I renew the parking permit"): a consultation a handler settles by answering it.
pub fn asks_for_information(text: &str) -> bool {
    const ZH: [&str; 16] = [
        "怎么",
        "如何",
        "哪里",
        "哪儿",
        "什么",
        "多少",
        "能不能",
        "可不可以",
        "可以吗",
        "是否",
        "几点",
        "啥时候",
        "咋",
        "请问",
        "哪些",
        "需要带",
    ];
    const EN: [&str; 10] = [
        "how",
        "where",
        "what",
        "when",
        "which",
        "who",
        "can i",
        "do i",
        "is there",
        "are there",
    ];
    let t = text.trim();
    let lower = t.to_lowercase();
    is_question(t)
        || t.contains(['?', '？'])
        || ZH.iter().any(|w| t.contains(w))
        || EN.iter().any(|w| {
            lower.match_indices(w).any(|(at, _)| {
                english_prefix(&lower[at..], w).is_some()
                    && (at == 0 || !lower[..at].ends_with(|c: char| c.is_alphanumeric()))
            })
        })
}

/// Whether a handler's words answer a question: something said ([`progress_reply`]), neither a
/// notice to everyone ("【通知】…", "各位居民…", "@所有人") nor a promise to find out first ("我
/// 问一下街道再回复你", "let me check and get back to you").
pub fn answers(text: &str) -> bool {
    const NOTICE: [&str; 8] = [
        "【",
        "通知",
        "各位",
        "大家",
        "温馨提示",
        "@所有人",
        "@all",
        "dear residents",
    ];
    const LATER: [&str; 17] = [
        "问一下",
        "问问",
        "核实",
        "了解一下",
        "确认一下",
        "查一下",
        "回复你",
        "回复您",
        "再告诉",
        "稍等",
        "等我",
        "let me check",
        "get back to you",
        "i'll ask",
        "will ask",
        "will find out",
        "will check",
    ];
    let t = text.trim();
    let lower = t.to_lowercase();
    progress_reply(t)
        && !NOTICE
            .iter()
            .any(|w| lower.starts_with(w) || lower.contains("@所有人"))
        && !LATER.iter().any(|w| lower.contains(w))
}

/// Whether a handler's reply to a ticket's card says something about the work: not a question,
/// and more than acknowledgements and thanks (收到, 好的, 谢谢, 辛苦了, ok, thanks): at least five
/// characters of Chinese, or three English words, besides them.
pub fn progress_reply(text: &str) -> bool {
    const ACKS: [&str; 14] = [
        "收到",
        "好的",
        "好滴",
        "谢谢",
        "感谢",
        "辛苦了",
        "辛苦",
        "知道了",
        "明白",
        "大家",
        "ok",
        "okay",
        "thanks",
        "thank you",
    ];
    let t = text.trim();
    if t.is_empty() || is_question(t) {
        return false;
    }
    let mut rest = t.to_lowercase();
    for ack in ACKS {
        rest = rest.replace(ack, " ");
    }
    let han = rest
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    let words = rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    han >= 5 || words >= 3
}

/// Does the rest of the sentence ask rather than tell?
pub fn is_question(s: &str) -> bool {
    let s = s.trim_end_matches(|c: char| c.is_whitespace() || "。.!！~～".contains(c));
    s.ends_with(['?', '？', '吗', '么', '呢', '没'])
        || s.ends_with("没有")
        || s.ends_with("了没")
        || s.contains("是不是")
        || s.contains("有没有")
}

/// Words that ask how a ticket stands, after its number ("1号处理了没", "#3 any update?") or
/// in a reporter's question about their report ("我报的灯修了吗").
pub const PROGRESS_ZH: &[&str] = &[
    "处理",
    "办结",
    "办了",
    "修好",
    "修了",
    "修没",
    "好了",
    "好没",
    "怎么样",
    "咋样",
    "进展",
    "进度",
    "接单",
    "有人",
    "搞定",
    "弄好",
    "解决",
    "什么时候",
    "啥时候",
    "几时",
    "还没",
    "到底",
];

/// The English words of [`PROGRESS_ZH`].
pub const PROGRESS_EN: &[&str] = &[
    "any update",
    "update",
    "status",
    "any news",
    "progress",
    "done",
    "fixed",
    "resolved",
    "sorted",
    "anyone",
    "when",
];

/// Words after a ticket's number that withdraw it: "1号不用了", "#2 不用修了", "3号撤销".
pub const WITHDRAW_PHRASES: &[&str] = &[
    "不用了",
    "不用修了",
    "不用管了",
    "不用来了",
    "不需要了",
    "撤销",
    "撤回",
    "取消",
];

/// A short question after who serves the group ("网格员是谁", "我们网格长是哪位", "网格员电话
/// 多少", "有事找谁", "who is our grid leader?"): answered as `/contact`. A report that names the
/// 网格员 ("网格员能不能来看看楼下的灯") asks for something else, as does one with a number.
pub fn asks_contact(text: &str) -> bool {
    const WHO: [&str; 2] = ["网格员", "网格长"];
    const ASK: [&str; 11] = [
        "是谁",
        "是哪位",
        "哪位",
        "谁啊",
        "电话",
        "手机",
        "联系方式",
        "怎么联系",
        "叫什么",
        "微信",
        "号码",
    ];
    // Said whole, after 请问 or 问下 at most.
    const WHOLE: [&str; 8] = [
        "有事找谁",
        "找谁反映",
        "找谁",
        "我们归谁管",
        "谁负责我们这",
        "谁负责我们小区",
        "谁管我们这",
        "谁管我们小区",
    ];
    const EN_WHO: [&str; 4] = ["grid leader", "grid officer", "grid worker", "grid manager"];
    const EN_ASK: [&str; 5] = ["who", "contact", "number", "phone", "reach"];
    const EN_WHOLE: [&str; 5] = [
        "who do i contact",
        "who should i contact",
        "who do we contact",
        "who's in charge here",
        "who is in charge here",
    ];
    let t = normalise(text.trim());
    let t = t.trim_end_matches(|c: char| "？?。.!！~～啊呀呢哈".contains(c));
    let long = if t.is_ascii() {
        t.split_whitespace().count() > 8
    } else {
        t.chars().count() > 20
    };
    if long || t.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let asked = ["请问", "问下", "问一下"]
        .iter()
        .find_map(|w| t.strip_prefix(w))
        .unwrap_or(t)
        .trim_start_matches(['，', ',', ' ']);
    let lower = t.to_lowercase().replace('’', "'");
    (WHO.iter().any(|w| t.contains(w)) && ASK.iter().any(|a| t.contains(a)))
        || WHO.contains(&asked)
        || WHOLE.contains(&asked)
        || (EN_WHO.iter().any(|w| lower.contains(w)) && EN_ASK.iter().any(|a| lower.contains(a)))
        || EN_WHOLE.contains(&lower.as_str())
}

/// English done as texted, the verb left out: "bins cleared, truck came at 3", "lamp fixed".
/// The job in one to five words, then the word of done; not wanted ("need the lamp fixed") nor
/// still to come ("lamp fixed by tomorrow").
fn done_texted<'a>(t: &'a str, words: &[&str]) -> Option<(&'a str, &'a str)> {
    const WANTED: [&str; 18] = [
        "need", "needs", "want", "wants", "please", "pls", "will", "to", "not", "when", "if",
        "isn't", "aren't", "wasn't", "hasn't", "haven't", "never", "no",
    ];
    const LATER: [&str; 7] = ["by", "soon", "tomorrow", "later", "next", "asap", "yet"];
    let lower = t.to_ascii_lowercase();
    let (at, rest) = lower.char_indices().find_map(|(at, c)| {
        (c == ' ').then_some(())?;
        let after = &t[at + 1..];
        words
            .iter()
            .find_map(|w| english_prefix(after, w))
            .map(|rest| (at, rest))
    })?;
    let subject = t[..at].trim();
    let count = subject.split_whitespace().count();
    let wanted = lower[..at].split_whitespace().any(|w| WANTED.contains(&w));
    let first = rest
        .trim_start_matches([',', '.', '!', ' '])
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let later = LATER.contains(&first.as_str());
    let clause = subject.contains([',', '.', '!', '?', ';', ':']);
    ((1..=5).contains(&count) && !wanted && !later && !clause)
        .then(|| (subject, trim_joiners(rest)))
}

/// A handler's news of an emergency met, in words ("人已经救出来了，孩子没事", "火灭了", "got him
/// out, ambulance here"): the engine records it as progress on their one urgent ticket being
/// handled. Not a question ("救出来了吗").
pub fn emergency_news(text: &str) -> bool {
    const ZH: [&str; 16] = [
        "救出来了",
        "救出来",
        "已救出",
        "被救出",
        "人出来了",
        "火灭了",
        "火已经灭了",
        "扑灭了",
        "已扑灭",
        "送医院了",
        "送医了",
        "120来了",
        "120到了",
        "消防来了",
        "消防到了",
        "人没事",
    ];
    const EN: [&str; 12] = [
        "got him out",
        "got her out",
        "got them out",
        "they're out",
        "fire is out",
        "fire's out",
        "rescued",
        "ambulance is here",
        "ambulance here",
        "ambulance arrived",
        "taken to hospital",
        "everyone is safe",
    ];
    let t = text.trim();
    let lower = t.to_lowercase().replace('’', "'");
    !t.is_empty()
        && !is_question(t)
        && (ZH.iter().any(|w| t.contains(w)) || EN.iter().any(|w| lower.contains(w)))
}

/// A reporter taking back what they reported, without its number, in a short message:
/// "我报错了，不用管了", "刚才那个不用修了，自己好了", "灯又亮了，不用来了", "never mind, it's
/// working again". Not a question ("不用修了吗"), and not 算了 (said as often in despair).
pub fn withdraws(text: &str) -> bool {
    const ZH: [&str; 16] = [
        "没事了",
        "现在好了",
        "恢复正常了",
        "不用麻烦了",
        "不用了",
        "不用修了",
        "不用管了",
        "不用来了",
        "不用处理了",
        "不需要了",
        "不麻烦了",
        "报错了",
        "发错了",
        "自己好了",
        "又好了",
        "撤销吧",
    ];
    const EN: [&str; 19] = [
        "never mind",
        "nevermind",
        "nvm",
        "working now",
        "works now",
        "fixed itself",
        "sorted itself",
        "all good now",
        "it's fine now",
        "its fine now",
        "came back on",
        "no need anymore",
        "no longer needed",
        "not needed anymore",
        "please ignore",
        "pls ignore",
        "sent by mistake",
        "working again",
        "cancel my report",
    ];
    let t = text.trim();
    // "the lift works now but the light is still out": something is still wrong.
    const STILL: [&str; 6] = [" but ", "still", "但是", "还是坏", "还是不亮", "又坏"];
    if is_question(t) || STILL.iter().any(|w| t.to_lowercase().contains(w)) {
        return false;
    }
    if t.is_ascii() {
        let t = t.to_ascii_lowercase().replace('’', "'");
        t.split_whitespace().count() <= 10 && EN.iter().any(|w| t.contains(w))
    } else {
        t.chars().count() <= 20 && ZH.iter().any(|w| t.contains(w))
    }
}

/// A reporter asking how their own report stands without its number: "我报的灯修了吗",
/// "我之前反映的问题怎么样了", "我的报修有人管没", "any update on my report?", "is the light I
/// reported fixed yet?". Both must be there: words for "what I reported" and a question about
/// its progress, in a short message (a longer one may tell something new).
pub fn asks_own_progress(text: &str) -> bool {
    let t = text.trim();
    if t.is_ascii() {
        asks_own_progress_en(&t.to_ascii_lowercase())
    } else {
        t.chars().count() <= 30 && asks_own_progress_zh(t)
    }
}

/// Anyone asking how a problem of the group stands, naming it and not as their own report: "3栋
/// 的灯修好了吗", "电梯什么时候修啊", "垃圾到底有没有人管", "any update on the bins?", "is anyone
/// dealing with the lift?", "is the street light at block 5 fixed yet?". A short question with a
/// word of progress in it; the engine answers only when the words name a ticket being handled.
pub fn asks_progress_of(text: &str) -> bool {
    let t = text.trim();
    if t.is_ascii() {
        const ASKING: [&str; 25] = [
            "anyone handling",
            "anybody handling",
            "someone handling",
            "anyone on this",
            "anyone on it",
            "is someone coming",
            "anyone coming",
            "any idea when",
            "how long until",
            "how much longer",
            "when is it",
            "any update on",
            "any update about",
            "any updates on",
            "any news on",
            "any news about",
            "any progress on",
            "anyone dealing with",
            "anybody dealing with",
            "anyone fixing",
            "anyone looking at",
            "what's happening with",
            "whats happening with",
            "what is happening with",
            "when will",
        ];
        const YET: [&str; 4] = ["fixed yet", "repaired yet", "sorted yet", "done yet"];
        let lower = t.to_ascii_lowercase();
        return t.split_whitespace().count() <= 15
            && (ASKING.iter().any(|w| lower.contains(w))
                || (lower.ends_with('?') && YET.iter().any(|w| lower.contains(w))));
    }
    const ASKING: [&str; 9] = [
        "什么时候",
        "啥时候",
        "几时",
        "怎么还没",
        "咋还没",
        "到底有没有",
        "有没有人",
        "到底谁",
        "到底归谁",
    ];
    // Words of the problem being seen to, not of anything else someone might ask about.
    const HANDLED: [&str; 13] = [
        "修",
        "处理",
        "办结",
        "有人管",
        "人管",
        "谁管",
        "归谁",
        "解决",
        "弄好",
        "搞定",
        "进展",
        "进度",
        "怎么样了",
    ];
    // "…怎么样了", "…咋样了" end a question without a question mark.
    let how_now = ["怎么样了", "咋样了", "如何了"]
        .iter()
        .any(|w| t.trim_end_matches(['。', '.', '!', '！']).ends_with(w));
    t.chars().count() <= 24
        && !t.starts_with('我')
        && HANDLED.iter().any(|w| t.contains(w))
        && (is_question(t) || how_now || ASKING.iter().any(|w| t.contains(w)))
}

/// A supervisor hurrying a job in words ("东风一网格楼道灯那件事抓紧办一下", "3栋电梯的事尽快处理",
/// "please chase the bins at block 5"): what names the job (a grid's name, a category, a
/// place) and what is asked (the words from the hurrying on, kept as the 督办 note). `None`
/// without such words, for questions, and for long messages.
pub fn urged_in_words(text: &str) -> Option<(&str, &str)> {
    const ZH: [&str; 18] = [
        "催一下",
        "催一催",
        "催催",
        "催办",
        "催促一下",
        "催促",
        "抓紧办",
        "抓紧处理",
        "抓紧解决",
        "抓紧",
        "尽快办",
        "尽快处理",
        "尽快解决",
        "加快处理",
        "督促一下",
        "督促",
        "盯一下",
        "盯紧",
    ];
    const EN: [&str; 5] = [
        "please chase",
        "chase up",
        "hurry up",
        "expedite",
        "follow up on",
    ];
    let t = text.trim();
    if is_question(t) {
        return None;
    }
    if t.is_ascii() {
        if t.split_whitespace().count() > 16 {
            return None;
        }
        let lower = t.to_lowercase();
        // The job is named before or after the phrase in English, so the whole text is kept;
        // the phrase alone ("expedite") names none.
        let phrase = EN.iter().find(|w| lower.contains(*w))?;
        return (lower.trim() != *phrase).then_some((t, t));
    }
    if t.chars().count() > 40 {
        return None;
    }
    let at = ZH.iter().filter_map(|w| t.find(w)).min()?;
    let named = t[..at].trim_end_matches(|c: char| "，, 的".contains(c));
    // The hurrying first, the job after it ("帮我催一下二网格电梯那个", "督促一下3栋垃圾的事"):
    // the job is what follows the word, and the whole is what is asked.
    const ASKING: [&str; 6] = ["帮我", "帮忙", "麻烦", "请", "你", "再"];
    if ASKING
        .iter()
        .fold(named, |n, w| n.trim_start_matches(w))
        .is_empty()
    {
        let word = ZH
            .iter()
            .filter(|w| t[at..].starts_with(**w))
            .map(|w| w.len())
            .max()
            .unwrap_or(0);
        let job = t[at + word..].trim_start_matches(|c: char| "，, 把".contains(c));
        return (!job.trim().is_empty()).then_some((job.trim(), &t[at..]));
    }
    Some((named, &t[at..]))
}

/// A resident saying their problem has been fixed, in a short message: the words of done a
/// leader would use ("修好了，谢谢黄姐", "垃圾清走了"), or what a resident sees once it is
/// ("灯亮了", "来水了", "fixed now, thanks", "lights are back on"). Not a question, a guess, or
/// beside something still wrong.
pub fn fixed_said(text: &str) -> bool {
    const SEEN_ZH: [&str; 10] = [
        "灯亮了",
        "通了",
        "来水了",
        "来电了",
        "清走了",
        "拉走了",
        "清理了",
        "已经清了",
        "修好啦",
        "弄好啦",
    ];
    const SEEN_EN: [&str; 6] = [
        "fixed now",
        "back on",
        "working fine now",
        "all fixed",
        "has been fixed",
        "got fixed",
    ];
    const STILL: [&str; 10] = [
        " but ", "still", "not ", "但是", "还是", "不亮", "没亮", "没通", "又", "吗",
    ];
    let t = text.trim();
    let lower = t.to_lowercase();
    let short = if t.is_ascii() {
        t.split_whitespace().count() <= 10
    } else {
        t.chars().count() <= 20
    };
    short
        && !is_question(t)
        && !STILL.iter().any(|w| lower.contains(w))
        && (done_said(t).is_some()
            || SEEN_ZH.iter().any(|w| t.contains(w))
            || SEEN_EN.iter().any(|w| lower.contains(w)))
}

/// Someone hurrying a problem already told, naming nothing new: "都两个小时了还没人来", "催一下",
/// "能不能快点", "还没人管吗", "still waiting", "what's taking so long". A short message; the
/// engine reads it against the sender's or the chat's problem being handled, as "有人管吗".
pub fn nudges(text: &str) -> bool {
    const ZH: [&str; 16] = [
        "还没人来",
        "师傅还没来",
        "怎么还没人",
        "咋还没人",
        "还没人管",
        "还没人处理",
        "还没人理",
        "没人理",
        "等了半天",
        "等了好久",
        "等了一上午",
        "等了一下午",
        "催一下",
        "催催",
        "能不能快点",
        "快点来",
    ];
    const EN: [&str; 9] = [
        "still waiting",
        "what's taking so long",
        "whats taking so long",
        "nobody has come",
        "no one has come",
        "nobody came",
        "no one came",
        "still nobody",
        "still no one",
    ];
    let t = text.trim();
    if t.is_ascii() {
        let lower = t.to_lowercase().replace('’', "'");
        lower.split_whitespace().count() <= 12 && EN.iter().any(|w| lower.contains(w))
    } else {
        t.chars().count() <= 24 && ZH.iter().any(|w| t.contains(w))
    }
}

/// Where "what I reported" ends in a Chinese text: 我(之前)报的, 我反映的, 我的报修.
fn own_report_zh(t: &str) -> Option<usize> {
    const WHEN: [&str; 14] = [
        "之前",
        "以前",
        "前几天",
        "昨天",
        "前天",
        "上次",
        "上周",
        "早上",
        "上午",
        "下午",
        "刚才",
        "刚刚",
        "那天",
        "今天",
    ];
    const TOLD: [&str; 9] = [
        "报修", "上报", "反映", "投诉", "举报", "报", "提", "说", "问",
    ];
    const MINE: [&str; 6] = ["报修", "投诉", "诉求", "工单", "报事", "反映"];
    t.match_indices('我').find_map(|(i, m)| {
        let after = &t[i + m.len()..];
        if let Some(rest) = after.strip_prefix('的') {
            return MINE
                .iter()
                .find(|w| rest.starts_with(*w))
                .map(|w| t.len() - rest.len() + w.len());
        }
        let after = WHEN
            .iter()
            .find_map(|w| after.strip_prefix(w))
            .unwrap_or(after);
        let told = TOLD.iter().find_map(|w| after.strip_prefix(w))?;
        let told = told.strip_prefix('过').unwrap_or(told);
        told.strip_prefix('的').map(|rest| t.len() - rest.len())
    })
}

fn asks_own_progress_zh(t: &str) -> bool {
    // Beyond the words after a number: 来修, 回复 ("我报的灯怎么还没人来修").
    const MORE: [&str; 2] = ["来修", "回复"]; // Words that ask by themselves, with or without a question mark.
    const ASKING: [&str; 9] = [
        "怎么样",
        "咋样",
        "进展",
        "进度",
        "什么时候",
        "啥时候",
        "几时",
        "怎么还没",
        "咋还没",
    ];
    let Some(end) = own_report_zh(t) else {
        return false;
    };
    let rest = &t[end..];
    PROGRESS_ZH.iter().chain(&MORE).any(|w| rest.contains(w))
        && (is_question(t) || ASKING.iter().any(|w| rest.contains(w)))
}

fn asks_own_progress_en(t: &str) -> bool {
    const MINE: [&str; 14] = [
        "my report",
        "my complaint",
        "my request",
        "my ticket",
        "my case",
        "my issue",
        "my problem",
        "i reported",
        "i complained",
        "i raised",
        "i logged",
        "i sent in",
        "i posted",
        "i flagged",
    ];
    const MORE: [&str; 8] = [
        "news",
        "anybody",
        "happened",
        "happening",
        "coming",
        "looked at",
        "any word",
        "repaired",
    ];
    const ASKING: [&str; 6] = [
        "any update",
        "any news",
        "any progress",
        "what happened",
        "when will",
        "any word",
    ];
    // "my report", and with what it was about between: "my lift report", "my street light
    // complaint".
    const REPORTED: [&str; 7] = [
        "report",
        "complaint",
        "request",
        "ticket",
        "case",
        "issue",
        "problem",
    ];
    let words: Vec<&str> = t
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let my_named = words.iter().enumerate().any(|(i, w)| {
        *w == "my"
            && words[i + 1..]
                .iter()
                .take(3)
                .any(|n| REPORTED.iter().any(|r| n.starts_with(r)))
    });
    t.split_whitespace().count() <= 20
        && (my_named || MINE.iter().any(|w| t.contains(w)))
        && PROGRESS_EN.iter().chain(&MORE).any(|w| t.contains(w))
        && (t.trim_end().ends_with('?') || ASKING.iter().any(|w| t.contains(w)))
}

/// A category as typed: its id (`sanitation`), its Chinese label (`环境卫生`) or the label's
/// first two characters (`卫生` is not one: `环境`), in either language's label.
pub fn category_word(word: &str) -> Option<Category> {
    let w = word.trim().to_lowercase();
    if w.is_empty() {
        return None;
    }
    Category::ALL.into_iter().find(|c| {
        c.id() == w
            || c.label_zh() == w
            || c.label_en().to_lowercase() == w
            || c.label_zh().chars().count() == 4
                && c.label_zh().chars().take(2).collect::<String>() == w
    })
}

/// Ratings in both languages.
pub fn parse_rating(word: &str) -> Option<Rating> {
    match word.to_lowercase().as_str() {
        "满意" | "非常满意" | "satisfied" | "good" | "👍" => Some(Rating::Satisfied),
        "一般" | "基本满意" | "neutral" | "ok" | "okay" => Some(Rating::Neutral),
        "不满意" | "unsatisfied" | "bad" | "👎" => Some(Rating::Unsatisfied),
        _ => None,
    }
}

/// A rating typed on its own, as residents answer a rating request without replying to it:
/// "满意", "很满意！", "满意，谢谢", "一般吧", "不满意😡", "Satisfied, thanks". Only the rating
/// word with thanks, a softening word and punctuation around it: "不满意" stays unsatisfied,
/// and a sentence that says more ("满意是满意，就是…") is not a rating.
pub fn bare_rating(text: &str) -> Option<Rating> {
    const THANKS: [&str; 9] = [
        "谢谢你们",
        "谢谢你",
        "谢谢啦",
        "谢谢了",
        "谢谢",
        "辛苦了",
        "thank you",
        "thanks",
        "thx",
    ];
    let trim = |s: &str| -> String {
        s.trim_matches(|c: char| {
            c.is_whitespace()
                || c.is_ascii_punctuation()
                || "，。！？、；：～…😊🙏😡😠👌".contains(c)
        })
        .to_string()
    };
    let mut t = trim(&text.to_lowercase());
    if t.chars().count() > 24 {
        return None;
    }
    // Thanks before or after the word, in either order with the punctuation.
    for _ in 0..2 {
        for w in THANKS {
            if let Some(rest) = t.strip_suffix(w).or_else(|| t.strip_prefix(w)) {
                t = trim(rest);
            }
        }
    }
    // Thanks to someone named after the rating ("不错不错 谢谢李书记", "满意，辛苦张师傅了").
    if let Some(at) = ["谢谢", "辛苦", "感谢"]
        .iter()
        .filter_map(|w| t.find(w))
        .min()
        && at > 0
        && t[at..].chars().count() <= 7
    {
        t = trim(&t[..at]);
    }
    let t = t.strip_suffix(['吧', '啊', '的', '呀']).unwrap_or(&t);
    let t = ["很", "挺", "蛮", "十分", "very "]
        .iter()
        .find_map(|w| {
            t.strip_prefix(w)
                .filter(|r| r.starts_with("满意") || *r == "satisfied")
        })
        .unwrap_or(t);
    // Said twice over ("不错不错", "满意满意"): once.
    let half = t.len() / 2;
    let t = match (t.get(..half), t.get(half..)) {
        (Some(a), Some(b)) if !a.is_empty() && a == b => a,
        _ => t,
    };
    // Only the rating words themselves: "ok", "good" or a thumb typed alone acknowledge as
    // often as they rate (they count as ratings in a reply to the notice).
    match t {
        "ok" | "okay" | "good" | "bad" | "👍" | "👎" => None,
        "dissatisfied" | "not satisfied" => Some(Rating::Unsatisfied),
        // How residents grade a job in their own words.
        "挺好" | "很好" | "非常好" | "蛮好" | "不错" | "挺不错" | "很不错" | "好评"
        | "五星好评" | "给力" | "很给力" | "点赞" | "very good" | "great" | "excellent" => {
            Some(Rating::Satisfied)
        }
        "还行" | "还可以" | "凑合" | "马马虎虎" | "一般般" | "so so" | "so-so" | "average" => {
            Some(Rating::Neutral)
        }
        "差评" | "很差" | "太差" | "太差了" | "poor" | "terrible" => {
            Some(Rating::Unsatisfied)
        }
        _ => parse_rating(t),
    }
}

pub fn number_only(rest: &str) -> Result<TicketNo, Problem> {
    let (n, after) = number(rest)?;
    if after.trim().is_empty() {
        Ok(n)
    } else {
        Err(Problem::MissingNumber)
    }
}

/// A leading ticket reference: a number with an optional `#`, `No.` or trailing `号`, or a
/// grid code, `#` and a number (`QS-DF-01#42`).
pub fn number(rest: &str) -> Result<(TicketNo, &str), Problem> {
    let s = rest.trim_start();
    if let Some((code, after)) = s.split_once('#')
        && crate::domain::number::is_grid_code(code)
    {
        let (n, after) = digits(after)?;
        return Ok((TicketRef::in_grid(code, n), after));
    }
    let s = s
        .strip_prefix('#')
        .or_else(|| s.strip_prefix("No."))
        .or_else(|| s.strip_prefix("no."))
        .unwrap_or(s)
        .trim_start();
    let (n, after) = digits(s)?;
    Ok((
        TicketRef::here(n),
        after.strip_prefix('号').unwrap_or(after),
    ))
}

/// A leading positive number of at most 12 digits.
fn digits(s: &str) -> Result<(i64, &str), Problem> {
    let end = s
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    if end == 0 || end > 12 {
        return Err(Problem::MissingNumber);
    }
    let n: i64 = s[..end].parse().map_err(|_| Problem::MissingNumber)?;
    if n <= 0 {
        return Err(Problem::MissingNumber);
    }
    Ok((n, &s[end..]))
}

pub fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// Full-width digits and signs to ASCII; ideographic space to space.
pub fn normalise(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＃' => '#',
            '／' => '/',
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_without_a_number_is_said_alone() {
        for t in [
            "我来处理",
            "我去看看，十分钟到",
            "我这边来处理！",
            "我来吧",
            "我负责",
            "我去处理一下",
            "on it",
            "On it, there in 10",
            "I’ll take this",
        ] {
            assert_eq!(claim_said(t), Some(""), "{t}");
        }
        for t in [
            "我来了",
            "我去！",
            "收到",
            "我来处理一下家里的事",
            "我来处理吗？",
            "我去看看电影",
            "我负责的网格",
            "on its way",
            "on it?",
        ] {
            assert_eq!(claim_said(t), None, "{t}");
        }
    }

    #[test]
    fn a_claim_in_words_names_its_job_or_none() {
        for (t, job) in [
            ("收到，明天上午去看", ""),
            ("好的，马上过去", ""),
            ("收到 我下午过去看看", ""),
            ("嗯嗯，马上去", ""),
            ("好的，这就安排人去处理", ""),
            ("马上到", ""),
            ("收到，3点过去", ""),
            ("ok, heading over now", ""),
            ("Got it, will take a look", ""),
            ("will check tmr morning", ""),
            ("noted, will send someone", ""),
            ("yes I'm on my way", ""),
            ("Sure, coming now", ""),
            ("on it, be there in 10", ""),
            ("5栋垃圾我来处理", "5栋垃圾"),
            ("3栋楼道灯的事我明天去看", "3栋楼道灯的事"),
            ("收到，路灯我下午过去修", "路灯"),
            ("这个我明天处理", ""),
            ("好的 我马上处理", ""),
            ("在路上了", ""),
            ("好的我来", ""),
            ("收到我去处理", ""),
            ("收到，已出发", ""),
            ("快到了，五分钟", ""),
            ("电梯的事我下午处理", "电梯的事"),
            ("垃圾的事已经通知环卫了，下午来拉", "垃圾的事"),
            ("我联系了电工，明天上午来修", ""),
            ("收到，已安排", ""),
            ("这个已经上报街道了", ""),
            ("已经打电话给供电所了", ""),
            ("3栋的灯我刚通知物业了", "3栋的灯"),
            ("好的 安排好了", ""),
            ("这个不归我们管，化粪池是环卫所的，我转给他们", ""),
            ("谢谢提醒，3栋的灯我已经通知电工了", "3栋的灯"),
            ("我马上报给街道", ""),
            ("收到，下午叫人来通", ""),
            ("下水道我明天找师傅来弄", "下水道"),
            ("好的 马上派人过去", ""),
            ("Called the council, they'll come tomorrow", ""),
            ("noted, I've informed the management office", ""),
            ("already reported it to the water board", ""),
            ("ok I'll get animal control out", ""),
            ("will call the council now", ""),
            ("Sure, I'll contact the management office", ""),
            ("I'll get it fixed tomorrow", ""),
            ("我问一下街道再回复你", ""),
            ("好的，我核实一下再答复您", ""),
            ("let me check and get back to you", ""),
            ("I'll get back to you", ""),
        ] {
            assert_eq!(claim_said(t), Some(job), "{t}");
        }
        for t in [
            "好的",
            "你去看看",
            "3栋灯你去看看",
            "麻烦物业去处理一下",
            "谁去看看？",
            "明天去看吗",
            "垃圾车明天来",
            "过去的事就算了",
            "这个我去年就说过",
            "我们明天去春游",
            "明天上午去看病",
            "ok thanks",
            "will go to the market first",
            "will check with my wife",
            "yes",
            "yes the lift is broken again",
            "尽快处理",
            "请尽快处理",
            "这个我处理不了",
            "收到通知了",
            "停水的事已经通知大家了",
            "物业已经通知了",
            "联系电工",
            "你联系了吗",
            "有人通知物业了吗",
            "社区已经安排了",
            "我联系一下老王",
            "我们出发了去春游",
            "谁在路上",
            "转给我吧",
            "你叫人来通一下",
            "物业叫人来修了",
            "能不能叫人来看看？",
            "I've told you already",
            "called everyone twice",
            "informed",
            "asked around, nobody knows",
            "will call you later",
            "I'll get some milk",
            "ill get it",
        ] {
            assert_eq!(claim_said(t), None, "{t}");
        }
    }

    #[test]
    fn a_consultation_asks_for_information() {
        for t in [
            "请问一下，老年人高龄补贴怎么申请，需要带什么材料",
            "居住证在哪里办",
            "社保卡丢了咋补",
            "where do I renew the parking permit",
            "How do I apply for the senior allowance",
        ] {
            assert!(asks_for_information(t), "{t}");
        }
        for t in [
            "帮我开个居住证明，明天要用",
            "the form for the allowance has not arrived",
            "somehow the permit got lost, need a new one",
        ] {
            assert!(!asks_for_information(t), "{t}");
        }
    }

    #[test]
    fn an_answer_is_neither_a_notice_nor_a_promise_to_find_out() {
        for t in [
            "身份证、户口本，到社区服务站办理",
            "带身份证户口本到社区办就行",
            "You can renew it at the estate office, bring your ID",
        ] {
            assert!(answers(t), "{t}");
        }
        for t in [
            "【通知】明天上午停水",
            "各位居民，本周六开展消防演练",
            "我问一下街道再回复你",
            "let me check and get back to you",
            "收到",
            "要带什么？",
        ] {
            assert!(!answers(t), "{t}");
        }
    }

    #[test]
    fn questions_after_who_serves_the_group() {
        for t in [
            "网格员是谁",
            "我们网格员是谁啊？",
            "网格员电话多少",
            "请问网格长是哪位",
            "有事找谁？",
            "网格员？",
            "Who is our grid leader?",
            "what's the grid officer's number",
            "who do I contact",
        ] {
            assert!(asks_contact(t), "{t}");
        }
        for t in [
            "网格员能不能来看看楼下的灯，晚上黑漆漆的",
            "网格员电话打了3次没人接",
            "谢谢网格员",
            "物业电话多少",
            "停水了找谁修啊，家里一滴水都没有",
            "who do I contact about the burst pipe flooding the stairs",
        ] {
            assert!(!asks_contact(t), "{t}");
        }
    }

    #[test]
    fn news_of_an_emergency_met() {
        for t in [
            "人已经救出来了，孩子没事",
            "火灭了",
            "got him out, ambulance here",
        ] {
            assert!(emergency_news(t), "{t}");
        }
        for t in ["救出来了吗", "人出来了没", "is the fire out?", "电梯修好了"] {
            assert!(!emergency_news(t), "{t}");
        }
    }

    #[test]
    fn me_too_in_short_forms() {
        for text in [
            "我家楼下也是",
            "我们这也一样",
            "同",
            "我也是！",
            "俺家也这样",
        ] {
            assert!(sounds_me_too(text), "{text}");
        }
        for text in [
            "也是醉了，楼道灯又坏了还没人修",
            "他们家也是",
            "同意",
            "今天也是晴天",
        ] {
            assert!(!sounds_me_too(text), "{text}");
        }
    }

    #[test]
    fn ratings_typed_on_their_own() {
        for (text, rating) in [
            ("满意", Rating::Satisfied),
            ("很满意！", Rating::Satisfied),
            ("满意，谢谢", Rating::Satisfied),
            ("谢谢，非常满意", Rating::Satisfied),
            ("满意 谢谢你们🙏", Rating::Satisfied),
            ("一般吧", Rating::Neutral),
            ("不满意😡", Rating::Unsatisfied),
            ("不满意。", Rating::Unsatisfied),
            ("Satisfied, thanks!", Rating::Satisfied),
            ("very satisfied", Rating::Satisfied),
            ("Not satisfied.", Rating::Unsatisfied),
            ("挺好的 谢谢", Rating::Satisfied),
            ("不错不错", Rating::Satisfied),
            ("还行吧", Rating::Neutral),
            ("差评！", Rating::Unsatisfied),
            ("Great, thanks", Rating::Satisfied),
            ("不错不错 谢谢李书记", Rating::Satisfied),
            ("满意，辛苦张师傅了", Rating::Satisfied),
        ] {
            assert_eq!(bare_rating(text), Some(rating), "{text}");
        }
        for text in [
            "满意是满意，就是来得太晚了",
            "谢谢",
            "一般般的小事也要报吗",
            "很不满意这个物业",
            "",
            "好",
            "ok",
            "Good!",
            "👍",
        ] {
            assert_eq!(bare_rating(text), None, "{text}");
        }
    }

    #[test]
    fn progress_in_a_handlers_reply() {
        for yes in [
            "已联系物业，下午来疏通",
            "电工说要等配件，明天再来",
            "收到，已经放了警示锥",
            "waiting for the electrician until Monday",
        ] {
            assert!(progress_reply(yes), "{yes}");
        }
        for no in [
            "收到",
            "好的谢谢",
            "辛苦了大家",
            "是哪一盏灯？",
            "明天能修好吗",
            "ok thanks",
            "👍",
            "",
        ] {
            assert!(!progress_reply(no), "{no}");
        }
    }

    #[test]
    fn not_fixed_and_done_replies() {
        for text in [
            "还是堵着呢，没清干净",
            "还没好",
            "又坏了",
            "灯还是不亮",
            "电梯门还是关不上，刚才又卡住了",
            "水管还在漏水",
            "楼下的灯又不亮了",
            "垃圾仍然没人收",
            "still smells bad tbh",
            "It's still dark at night",
        ] {
            assert!(sounds_not_fixed(text), "{text}");
        }
        for text in [
            "好了，谢谢",
            "修好了",
            "电梯已经好了，又快又稳",
            "昨天说的那个事，我还是想问一下怎么办不了",
            "满意",
            "stillness at night",
            "thanks, all good",
        ] {
            assert!(!sounds_not_fixed(text), "{text}");
        }
        assert_eq!(done_reply("修好了，换了灯泡"), Some("换了灯泡"));
        assert_eq!(done_reply("搞定了"), Some(""));
        assert_eq!(done_reply("修好了吗？"), None);
        assert_eq!(done_reply("好的"), None);
        assert_eq!(
            done_reply("Done, replaced the bulb"),
            Some("replaced the bulb")
        );
        assert_eq!(done_reply("fixed"), Some(""));
        assert_eq!(done_reply("done?"), None);
        assert_eq!(done_reply("doner kebab anyone"), None);
    }

    #[test]
    fn done_said_in_own_words() {
        for (text, subject, what) in [
            ("灯已经修好了", "灯", ""),
            ("下水道通好了", "下水道", ""),
            ("2栋的化粪池已疏通", "2栋的化粪池", ""),
            ("快递柜修好了", "快递柜", ""),
            ("井盖固定好了", "井盖", ""),
            ("管子已经接好了，可以用水了", "管子", "可以用水了"),
            ("3号楼的灯换好了，换了灯泡", "3号楼的灯", "换了灯泡"),
            ("1号灯换好了", "1号灯", ""),
            ("修好了，换了个灯泡", "", "换了个灯泡"),
            ("5栋门口的垃圾我这边已经清理完了", "5栋门口的垃圾", ""),
            ("The lamp at Block 5 is fixed", "The lamp at Block 5", ""),
            (
                "bins have been cleared, truck came at 9",
                "bins",
                "truck came at 9",
            ),
            ("Lift is now repaired.", "Lift", ""),
            ("water is back on now", "water", "now"),
            ("Power has been restored to Block 7", "Power", "to Block 7"),
            ("bins cleared, truck came at 3", "bins", "truck came at 3"),
            ("lamp at blk 5 fixed", "lamp at blk 5", ""),
            (
                "Drain unblocked. Was full of leaves",
                "Drain",
                "Was full of leaves",
            ),
            ("done, dog has been caught", "dog", ""),
            ("Sorted - replaced the fuse", "", "replaced the fuse"),
            ("sent the plumber, all sorted now", "", "sent the plumber"),
            ("replaced the fuse - all done.", "", "replaced the fuse"),
        ] {
            assert_eq!(done_said(text), Some((subject, what)), "{text}");
        }
        for text in [
            "灯修好了吗",
            "灯修好了没",
            "还没修好",
            "应该修好了吧",
            "明天就能修好了",
            "快弄好了",
            "电工说下午换好了再来",
            "估计明天能弄好了",
            "昨天说的那个问题，物业已经处理好了",
            "我们小区门口那条路上个月那个坑已经修好了",
            "路灯",
            "the lamp is not fixed",
            "is the lamp fixed?",
            "the lamp isn't fixed yet",
            "if the lamp is fixed we can all go home early tonight",
            "the lamp is flickering",
            "the smell is back again",
            "need the lamp fixed",
            "lamp fixed by tomorrow hopefully",
            "pls get the drain unblocked",
            "when will the bins get collected",
            "done?",
            "done, is it working now?",
            "is it all sorted now?",
            "not sure it's all sorted",
        ] {
            assert_eq!(done_said(text), None, "{text}");
        }
    }

    #[test]
    fn progress_of_a_named_problem() {
        for text in [
            "3栋的灯修好了吗",
            "电梯什么时候修啊",
            "垃圾到底有没有人管",
            "那到底谁管啊",
            "这个到底归谁管",
            "any update on the bins?",
            "Is anyone dealing with the lift?",
            "is the street light at block 5 fixed yet?",
            "thanks Huang, any idea when it'll be back?",
            "什么时候能修好啊",
        ] {
            assert!(asks_progress_of(text), "{text}");
        }
        for text in [
            "3栋楼道灯坏了",
            "电梯坏了，谁来修一下",
            "the bins are overflowing again",
            "我报的灯修了吗",
            "有没有人知道社区医院几点开门",
            "3栋楼道灯坏了好几天了，晚上黑乎乎的什么都看不见，到底有没有人管啊",
        ] {
            assert!(!asks_progress_of(text), "{text}");
        }
    }

    #[test]
    fn a_job_handed_to_someone_in_words() {
        for (text, job, to) in [
            ("这个交给吴强处理吧", "", "吴强"),
            ("楼顶漏水的事转给吴强", "楼顶漏水的事", "吴强"),
            ("让@吴强去处理一下", "", "吴强"),
            ("这个我转给他们", "", "他们"),
        ] {
            assert_eq!(handed_to(text), Some((job, to)), "{text}");
        }
        for text in [
            "交给谁处理？",
            "让大家注意安全，晚上锁好门窗",
            "3栋楼道灯坏了",
        ] {
            assert_eq!(handed_to(text), None, "{text}");
        }
    }

    #[test]
    fn a_supervisor_hurries_in_words() {
        assert_eq!(
            urged_in_words("东风一网格楼道灯那件事抓紧办一下"),
            Some(("东风一网格楼道灯那件事", "抓紧办一下"))
        );
        assert_eq!(
            urged_in_words("3栋电梯的事尽快处理，今天要回复居民"),
            Some(("3栋电梯的事", "尽快处理，今天要回复居民"))
        );
        assert!(urged_in_words("please chase the bins at block 5").is_some());
        // The hurrying first, the job after it.
        assert_eq!(
            urged_in_words("帮我催一下二网格电梯那个"),
            Some(("二网格电梯那个", "催一下二网格电梯那个"))
        );
        assert_eq!(
            urged_in_words("督促一下一网格把垃圾清了"),
            Some(("一网格把垃圾清了", "督促一下一网格把垃圾清了"))
        );
        for text in [
            "抓紧办吗？",
            "3栋楼道灯坏了",
            "expedite",
            "帮我催一下",
            "能不能催一下？",
        ] {
            assert_eq!(urged_in_words(text), None, "{text}");
        }
    }

    #[test]
    fn a_resident_says_it_is_fixed() {
        for text in [
            "修好了，谢谢黄姐",
            "灯亮了，谢谢",
            "垃圾清走了",
            "fixed now, thanks!",
            "lights are back on",
        ] {
            assert!(fixed_said(text), "{text}");
        }
        for text in [
            "修好了吗",
            "灯还是不亮",
            "修好了又坏了",
            "lights back on but the lift is still broken",
            "3栋楼道灯坏了",
            "天亮了",
        ] {
            assert!(!fixed_said(text), "{text}");
        }
    }

    #[test]
    fn nudges_hurry_what_was_told() {
        for text in [
            "都两个小时了还没人来",
            "催一下",
            "能不能快点啊",
            "still waiting...",
            "what's taking so long??",
        ] {
            assert!(nudges(text), "{text}");
        }
        for text in [
            "3栋楼道灯坏了",
            "快递还没来",
            "the bus is still waiting at the gate with the engine running and fumes everywhere in the car park",
        ] {
            assert!(!nudges(text), "{text}");
        }
    }

    #[test]
    fn own_progress_questions() {
        for text in [
            "我报的灯修了吗",
            "我报的灯修了吗？",
            "我之前反映的问题怎么样了",
            "我昨天报修的那个水管有人管没",
            "我的报修有进展吗",
            "我说的那个路灯怎么还没修",
            "请问我上周投诉的噪音处理了没有",
            "我提过的那个事到底有没有人管",
            "any update on my report?",
            "any update on my lift report?",
            "what's happening with my street light complaint?",
            "Is the light I reported fixed yet?",
            "what happened to my complaint",
            "I reported the leak on Monday, when will someone come?",
        ] {
            assert!(asks_own_progress(text), "{text}");
        }
        for text in [
            // No question about progress.
            "我报的灯又坏了",
            "我反映的问题已经好了，谢谢",
            "I reported the light, thanks for fixing it.",
            // Not about what the sender reported.
            "3栋楼道灯修了吗",
            "路灯什么时候修",
            "你报的灯修好了吗",
            "is the lift fixed yet?",
            "my lift is fine, any update on the hall booking?",
            "我的快递到了吗",
            // "我报了警": no report to gridline in the words.
            "我报了警，警察什么时候来",
            // Too long to be only a question: it may tell something new.
            "我报的灯修了吗？还有5栋的下水道也堵了，楼下全是水，味道很大，麻烦尽快派人来处理一下",
        ] {
            assert!(!asks_own_progress(text), "{text}");
        }
    }

    #[test]
    fn withdrawals() {
        for text in [
            "我报错了，不用管了",
            "刚才那个不用修了，自己好了",
            "灯又好了，不用来了",
            "不用了，谢谢",
            "Never mind, it's working again",
            "please ignore, sent by mistake",
            "nvm it's working now",
            "all good now, thanks",
            "没事了，现在好了",
            "算了还是不用了",
        ] {
            assert!(withdraws(text), "{text}");
        }
        for text in [
            "不用修了吗？",
            "算了，反正也没人管",
            "3栋楼道灯坏了",
            "我家的灯又好了又坏了，一闪一闪的，麻烦来看看是不是线路有问题",
            "is it working again?",
            "lift works now but the light is still out",
            "灯现在好了，但是电梯还是坏的",
        ] {
            assert!(!withdraws(text), "{text}");
        }
    }
}
