//! Chat commands in slash form (Telegram style) and Chinese words (WeChat style):
//! `/claim 42` = `接单 42`, `/done 42 换了灯泡` = `办结 42 换了灯泡`, `/stats` = `统计`.
//!
//! Each command has one definition ([`Name::spec`]): its slash word and Chinese words, who may
//! use it ([`Who`], the permission table), its help line and whether the platform's command
//! menu lists it. Parsing is pure; the engine checks permissions against the definition.

use crate::domain::role::{Reach, Who};
use crate::domain::{Category, Rating, Role, TicketRef, Urgency};

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

/// What a statistics command shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatsView {
    /// The sentence for one scope.
    #[default]
    Summary,
    /// One line per child unit with its rates (统计明细).
    Detail,
    /// 红黑榜 of the child units by weighted score (统计 排名).
    Ranking,
}

impl StatsView {
    /// `明细` / `detail`, `排名` / `ranking` as the first word of a statistics command.
    fn from_word(word: &str) -> Option<StatsView> {
        match word.to_lowercase().as_str() {
            "明细" | "detail" | "details" => Some(StatsView::Detail),
            "排名" | "排行" | "红黑榜" | "ranking" | "rank" => Some(StatsView::Ranking),
            _ => None,
        }
    }
}

/// A command as written, with its arguments read. Its words, who may use it, its help line
/// and its menu entry are its definition, [`Name::spec`]; a new command adds a variant here,
/// a [`Name`] with its [`Spec`], its arguments in `build`, its handler and its texts.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Report a problem: `/report 3栋楼道灯坏了` (报修 / 诉求).
    Report(String),
    /// Your own tickets: `/my` (我的诉求).
    My,
    /// One ticket's state and history: `/status 42` (查询 42).
    Status(TicketNo),
    /// Withdraw your report: `/cancel 42` (撤销 42).
    Cancel(TicketNo),
    /// Rate the result: `/rate 42 满意|一般|不满意` (评价 42 满意).
    Rate(TicketNo, Rating),
    /// Take a ticket: `/claim 42` (接单 42).
    Claim(TicketNo),
    /// Post progress: `/note 42 已联系电工` (进展 42 …).
    Note(TicketNo, String),
    /// Resolve: `/done 42 换了灯泡` (办结 42 …).
    Done(TicketNo, String),
    /// Hand over to someone else: `/transfer 42 @李强` (转派 42 @李强).
    Transfer(TicketNo, String),
    /// Not a request / duplicate: `/dismiss 42 重复 7` (驳回 42 理由).
    Dismiss {
        ticket: TicketNo,
        reason: String,
        duplicate_of: Option<TicketNo>,
    },
    /// Your to-do list: `/list` (待办).
    List,
    /// Statistics: `/stats [detail|ranking] [period] [grid code or name]` (统计 本月 东风社区,
    /// 统计明细, 统计 排名). The engine reads the period and the scope from `args`
    /// (`stats::split_period_scope`): which words are a period depends on nothing but the words.
    Stats { view: StatsView, args: String },
    /// Overdue tickets: `/overdue` (超时).
    Overdue,
    /// Bind this group to a grid: `/bind T01-V01-G01` (绑定 …).
    Bind(String),
    /// Give someone a role: `/role @王芳 leader [grid]` (设置角色 @王芳 网格长).
    SetRole {
        target: String,
        role: Role,
        grid: Option<String>,
    },
    /// Remind the assignee, on the record: `/urge 42` (督办 42).
    Urge(TicketNo),
    /// Go on leave until a day (inclusive): `/leave until 2026-12-03` (请假 至 12月3日).
    Leave(LeaveDate),
    /// Back from leave: `/back` (销假).
    Back,
    /// Hand your active tickets to someone (default: the grid's on-duty colleague):
    /// `/handover [@刘洋]` (交接 @刘洋).
    Handover(Option<String>),
    /// Who is on leave under your grids: `/onleave` (请假名单).
    OnLeave,
    /// A one-time sign-in link to the web console, sent in a private chat: `/console` (控制台).
    Console,
    /// What you may do: `/help` (帮助).
    Help,
    /// Correct a ticket's category: `/recategorize 42 sanitation` (改类 42 环境卫生).
    Recategorize(TicketNo, Category),
    /// Correct a ticket's urgency: `/urgency 42 urgent|normal` (改为紧急 42, 改为一般 42).
    Urgency(TicketNo, Urgency),
}

/// The last day of a leave as written; the year is the next occurrence when left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
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
}

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

/// Every command by name: the typed id the engine, the permission table and the help use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    Report,
    My,
    Status,
    Cancel,
    Rate,
    Claim,
    Note,
    Done,
    Transfer,
    Dismiss,
    List,
    Leave,
    Back,
    Handover,
    Stats,
    Overdue,
    Urge,
    OnLeave,
    Bind,
    Role,
    Console,
    Help,
    Recategorize,
    Urgency,
}

/// What grid a command is about, for the permission table's [`Reach`]: the ticket's, a named
/// grid's, the group's it is sent in, or none (the sender's own lists and duty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Ticket,
    Grid,
    Group,
    Nothing,
}

/// One command's definition: its words, who may use it, its help line and menu entry. Its
/// arguments are read by [`build`]; its menu description is in i18n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: Name,
    /// The slash word: `claim` for `/claim`.
    pub slash: &'static str,
    /// Further slash words for it (`/start` opens the help, as Telegram sends it first).
    pub slash_aliases: &'static [&'static str],
    /// Chinese words, the first one preferred.
    pub words: &'static [&'static str],
    /// The help line: the slash form and the Chinese form with their arguments.
    pub usage: (&'static str, &'static str),
    /// An example told when the arguments cannot be read.
    pub example: &'static str,
    pub who: Who,
    pub about: About,
    /// Listed in the platform's command menu (Telegram's `/` list).
    pub menu: bool,
    /// The Chinese word alone, with nothing readable after it, is still answered with how to
    /// write it (otherwise it is ordinary speech: "完成了吗").
    pub told_when_bare: bool,
}

impl Name {
    /// Every command, in the order the help lists them.
    pub const ALL: [Name; 24] = [
        Name::Report,
        Name::My,
        Name::Status,
        Name::Cancel,
        Name::Rate,
        Name::Claim,
        Name::Note,
        Name::Done,
        Name::Transfer,
        Name::Dismiss,
        Name::List,
        Name::Leave,
        Name::Back,
        Name::Handover,
        Name::Stats,
        Name::Overdue,
        Name::Urge,
        Name::OnLeave,
        Name::Bind,
        Name::Role,
        Name::Console,
        Name::Help,
        Name::Recategorize,
        Name::Urgency,
    ];

    /// The command's definition.
    pub fn spec(self) -> &'static Spec {
        const fn spec(
            name: Name,
            slash: &'static str,
            words: &'static [&'static str],
            usage: (&'static str, &'static str),
            example: &'static str,
            who: Who,
            about: About,
        ) -> Spec {
            Spec {
                name,
                slash,
                slash_aliases: &[],
                words,
                usage,
                example,
                who,
                about,
                menu: false,
                told_when_bare: false,
            }
        }
        use About::{Grid, Group, Nothing, Ticket};
        const REPORT: Spec = Spec {
            menu: true,
            ..spec(
                Name::Report,
                "report",
                &["诉求", "报事"],
                ("/report 内容", "诉求 内容"),
                "/report 3栋楼道灯坏了",
                Who::Anyone,
                Nothing,
            )
        };
        const MY: Spec = Spec {
            menu: true,
            ..spec(
                Name::My,
                "my",
                &["我的诉求", "我的工单"],
                ("/my", "我的诉求"),
                "/help",
                Who::Anyone,
                Nothing,
            )
        };
        const STATUS: Spec = Spec {
            menu: true,
            ..spec(
                Name::Status,
                "status",
                &["查询", "进度"],
                ("/status 42", "查询 42"),
                "/status 42",
                Who::TicketViewers,
                Ticket,
            )
        };
        const CANCEL: Spec = Spec {
            told_when_bare: true,
            ..spec(
                Name::Cancel,
                "cancel",
                &["撤销", "撤回"],
                ("/cancel 42", "撤销 42"),
                "/cancel 42",
                Who::ReporterOrHandler,
                Ticket,
            )
        };
        const RATE: Spec = Spec {
            menu: true,
            told_when_bare: true,
            ..spec(
                Name::Rate,
                "rate",
                &["评价"],
                ("/rate 42 满意|一般|不满意", "评价 42 满意"),
                "/rate 42 满意",
                Who::Reporter,
                Ticket,
            )
        };
        const CLAIM: Spec = Spec {
            menu: true,
            told_when_bare: true,
            ..spec(
                Name::Claim,
                "claim",
                &["接单"],
                ("/claim 42", "接单 42"),
                "/claim 42",
                Who::Handlers,
                Ticket,
            )
        };
        const NOTE: Spec = Spec {
            menu: true,
            ..spec(
                Name::Note,
                "note",
                &["进展", "备注"],
                ("/note 42 进展", "进展 42 …"),
                "/note 42 已联系电工",
                Who::Handlers,
                Ticket,
            )
        };
        const DONE: Spec = Spec {
            menu: true,
            told_when_bare: true,
            ..spec(
                Name::Done,
                "done",
                &["办结", "完成"],
                ("/done 42 结果", "办结 42 …"),
                "/done 42 换了灯泡",
                Who::Handlers,
                Ticket,
            )
        };
        const TRANSFER: Spec = spec(
            Name::Transfer,
            "transfer",
            &["转派", "转交"],
            ("/transfer 42 @姓名", "转派 42 @姓名"),
            "/transfer 42 @李强",
            Who::Handlers,
            Ticket,
        );
        const DISMISS: Spec = spec(
            Name::Dismiss,
            "dismiss",
            &["驳回"],
            ("/dismiss 42 理由", "驳回 42 理由"),
            "/dismiss 42 重复 7",
            Who::Handlers,
            Ticket,
        );
        const LIST: Spec = Spec {
            menu: true,
            ..spec(
                Name::List,
                "list",
                &["待办"],
                ("/list", "待办"),
                "/help",
                Who::Staff,
                Nothing,
            )
        };
        const LEAVE: Spec = Spec {
            told_when_bare: true,
            ..spec(
                Name::Leave,
                "leave",
                &["请假", "休假"],
                ("/leave until 2026-12-03", "请假 至 12月3日"),
                "/leave until 2026-12-03",
                Who::OnDuty,
                Nothing,
            )
        };
        const BACK: Spec = spec(
            Name::Back,
            "back",
            &["销假"],
            ("/back", "销假"),
            "/help",
            Who::OnDuty,
            Nothing,
        );
        const HANDOVER: Spec = spec(
            Name::Handover,
            "handover",
            &["交接", "移交"],
            ("/handover [@姓名]", "交接 [@姓名]"),
            "/help",
            Who::OnDuty,
            Nothing,
        );
        const STATS: Spec = Spec {
            menu: true,
            ..spec(
                Name::Stats,
                "stats",
                &["统计", "统计明细", "统计排名"],
                (
                    "/stats [detail|ranking] [本月|上月|11月|…] [网格]",
                    "统计 本月 东风社区",
                ),
                "/stats 7d",
                Who::Supervisors,
                Grid,
            )
        };
        const OVERDUE: Spec = Spec {
            menu: true,
            ..spec(
                Name::Overdue,
                "overdue",
                &["超时", "逾期"],
                ("/overdue", "超时"),
                "/help",
                Who::Supervisors,
                Nothing,
            )
        };
        const URGE: Spec = Spec {
            told_when_bare: true,
            ..spec(
                Name::Urge,
                "urge",
                &["督办", "催办"],
                ("/urge 42", "督办 42"),
                "/urge 42",
                Who::Coordinators,
                Ticket,
            )
        };
        const RECATEGORIZE: Spec = Spec {
            told_when_bare: true,
            ..spec(
                Name::Recategorize,
                "recategorize",
                &["改类", "改类别"],
                ("/recategorize 42 类别", "改类 42 环境卫生"),
                "/recategorize 42 sanitation",
                Who::Supervisors,
                Ticket,
            )
        };
        // 改为紧急 N / 改为一般 N are rewritten to this form before the words are looked up.
        const URGENCY: Spec = Spec {
            told_when_bare: true,
            ..spec(
                Name::Urgency,
                "urgency",
                &["改为紧急", "改为一般"],
                ("/urgency 42 urgent|normal", "改为紧急 42"),
                "/urgency 42 urgent",
                Who::Supervisors,
                Ticket,
            )
        };
        const ON_LEAVE: Spec = spec(
            Name::OnLeave,
            "onleave",
            &["请假名单", "休假名单"],
            ("/onleave", "请假名单"),
            "/help",
            Who::Supervisors,
            Nothing,
        );
        const BIND: Spec = spec(
            Name::Bind,
            "bind",
            &["绑定"],
            ("/bind 网格编号", "绑定 网格编号"),
            "/bind T01-V01-G01",
            Who::Admins,
            Group,
        );
        const ROLE: Spec = spec(
            Name::Role,
            "role",
            &["设置角色"],
            ("/role @姓名 角色 [网格]", "设置角色 @姓名 网格长"),
            "/role @王芳 leader T01-V01-G01",
            Who::Admins,
            Grid,
        );
        const CONSOLE: Spec = spec(
            Name::Console,
            "console",
            &["控制台"],
            ("/console", "控制台"),
            "/console",
            Who::Staff,
            Nothing,
        );
        const HELP: Spec = Spec {
            menu: true,
            slash_aliases: &["start"],
            ..spec(
                Name::Help,
                "help",
                &["帮助", "菜单"],
                ("/help", "帮助"),
                "/help",
                Who::Anyone,
                Nothing,
            )
        };
        match self {
            Name::Report => &REPORT,
            Name::My => &MY,
            Name::Status => &STATUS,
            Name::Cancel => &CANCEL,
            Name::Rate => &RATE,
            Name::Claim => &CLAIM,
            Name::Note => &NOTE,
            Name::Done => &DONE,
            Name::Transfer => &TRANSFER,
            Name::Dismiss => &DISMISS,
            Name::List => &LIST,
            Name::Leave => &LEAVE,
            Name::Back => &BACK,
            Name::Handover => &HANDOVER,
            Name::Stats => &STATS,
            Name::Overdue => &OVERDUE,
            Name::Urge => &URGE,
            Name::OnLeave => &ON_LEAVE,
            Name::Bind => &BIND,
            Name::Role => &ROLE,
            Name::Console => &CONSOLE,
            Name::Help => &HELP,
            Name::Recategorize => &RECATEGORIZE,
            Name::Urgency => &URGENCY,
        }
    }

    /// Whether the command changes the roster (bindings, roles, who is on duty): the engine
    /// forgets what it remembered of the roster before and after one. Exhaustive, so that a
    /// new command must say.
    pub fn changes_roster(self) -> bool {
        match self {
            Name::Bind | Name::Role | Name::Leave | Name::Back | Name::Handover => true,
            Name::Report
            | Name::My
            | Name::Status
            | Name::Cancel
            | Name::Rate
            | Name::Claim
            | Name::Note
            | Name::Done
            | Name::Transfer
            | Name::Dismiss
            | Name::List
            | Name::Stats
            | Name::Overdue
            | Name::Urge
            | Name::OnLeave
            | Name::Console
            | Name::Help
            | Name::Recategorize
            | Name::Urgency => false,
        }
    }

    /// The slash form: `/claim`.
    pub fn slash(self) -> String {
        format!("/{}", self.spec().slash)
    }

    /// Whether someone whose most senior role is `role` may use the command on a grid at
    /// `reach`, being neither the ticket's reporter nor its assignee: the permission table.
    /// Commands about no grid ignore `reach`.
    pub fn permitted(self, role: Role, reach: Reach) -> bool {
        let spec = self.spec();
        let reach = match spec.about {
            About::Nothing => Reach::Own,
            About::Ticket | About::Grid | About::Group => reach,
        };
        spec.who.allows(role, reach)
    }
}

impl Command {
    pub fn name(&self) -> Name {
        match self {
            Command::Report(_) => Name::Report,
            Command::My => Name::My,
            Command::Status(_) => Name::Status,
            Command::Cancel(_) => Name::Cancel,
            Command::Rate(..) => Name::Rate,
            Command::Claim(_) => Name::Claim,
            Command::Note(..) => Name::Note,
            Command::Done(..) => Name::Done,
            Command::Transfer(..) => Name::Transfer,
            Command::Dismiss { .. } => Name::Dismiss,
            Command::List => Name::List,
            Command::Stats { .. } => Name::Stats,
            Command::Overdue => Name::Overdue,
            Command::Bind(_) => Name::Bind,
            Command::SetRole { .. } => Name::Role,
            Command::Urge(_) => Name::Urge,
            Command::Leave(_) => Name::Leave,
            Command::Back => Name::Back,
            Command::Handover(_) => Name::Handover,
            Command::OnLeave => Name::OnLeave,
            Command::Console => Name::Console,
            Command::Help => Name::Help,
            Command::Recategorize(..) => Name::Recategorize,
            Command::Urgency(..) => Name::Urgency,
        }
    }
}

/// Reads `text` as a command. Full-width digits, `＃` and the ideographic space are folded first;
/// `/cmd@botname` is accepted.
pub fn parse(text: &str) -> Parsed {
    let text = normalise(text.trim());
    if let Some(canonical) = rephrase(&text) {
        return parse_canonical(canonical);
    }
    parse_canonical(text)
}

/// Command words that take a ticket, as people also write them after the number
/// ("#3 接单", "3号 进展 已联系电工").
const TICKET_WORDS: &[&str] = &[
    "接单", "办结", "完成", "进展", "备注", "转派", "转交", "驳回", "撤销", "撤回", "评价", "查询",
    "进度", "督办", "催办",
];

/// Phrasings that say "I take it" after a ticket number: "3号我来", "#3 我来处理".
const CLAIM_PHRASES: &[&str] = &[
    "我来处理",
    "我来",
    "我去处理",
    "我去看看",
    "我去",
    "我负责",
    "接了",
    "收到",
];

/// Phrasings that say "done" after a ticket number: "3号办结了，杂物已清理", "#3 搞定了".
const DONE_PHRASES: &[&str] = &[
    "已办结",
    "办结了",
    "办好了",
    "搞定了",
    "修好了",
    "处理好了",
    "处理完了",
    "弄好了",
    "已处理",
    "已完成",
    "完成了",
];

/// The canonical command for the ways people put the number first or say it in a sentence:
/// "#3 接单" → "接单 #3", "3号我来处理" → "接单 #3", "3号办结了，杂物已清理" → "办结 #3
/// 杂物已清理", "已办结 3" → "办结 #3". A question ("3号办结了没", "#3 接单了吗") and a
/// number that belongs to a place ("3号楼办结了没") are not commands.
fn rephrase(text: &str) -> Option<String> {
    for (lead, level) in [
        ("改为紧急", "urgent"),
        ("改成紧急", "urgent"),
        ("改为一般", "normal"),
        ("改成一般", "normal"),
    ] {
        if let Some(rest) = text.strip_prefix(lead) {
            return match number(rest) {
                Ok((r, after)) if after.trim().is_empty() => Some(format!("/urgency {r} {level}")),
                // "改为紧急" with no number: told how to write it.
                _ if rest.trim().is_empty() => Some("/urgency".to_string()),
                _ => None,
            };
        }
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
        return None;
    }
    let bare = after.trim_end_matches(['。', '.', '!', '！', '~', '～', '，', ',']);
    if CLAIM_PHRASES.iter().any(|p| {
        bare.strip_prefix(p)
            .is_some_and(|rest| matches!(rest, "" | "了" | "吧" | "啦"))
    }) {
        return Some(format!("接单 {r}"));
    }
    if let Some(rest) = DONE_PHRASES.iter().find_map(|p| after.strip_prefix(p)) {
        return Some(format!("办结 {r} {}", trim_joiners(rest)));
    }
    let word = TICKET_WORDS.iter().find(|w| after.starts_with(*w))?;
    let rest = trim_joiners(&after[word.len()..]);
    Some(format!("{word} {r} {rest}").trim_end().to_string())
}

/// A leader's reply to a card or claim notice that says it is done ("搞定了", "修好了，换了灯泡"):
/// what was done, possibly empty. `None` for anything else, and for questions ("修好了吗").
pub fn done_reply(text: &str) -> Option<&str> {
    let t = text.trim();
    if is_question(t) {
        return None;
    }
    let t = t.strip_prefix("已经").unwrap_or(t);
    DONE_PHRASES
        .iter()
        .chain(&["办结"])
        .find_map(|p| t.strip_prefix(p))
        .map(trim_joiners)
}

/// A resident's reply to a resolution notice or card saying it is not fixed, in the ways the
/// parser's lexicon may not list: "还是堵着呢", "还没好", "没清干净", "又坏了".
pub fn sounds_not_fixed(text: &str) -> bool {
    let t = text.trim();
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
fn leading_ref(s: &str) -> Option<(TicketRef, &str)> {
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
fn trim_joiners(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || "，,。.：:、；;-—了".contains(c))
        .trim_end()
}

/// Does the rest of the sentence ask rather than tell?
fn is_question(s: &str) -> bool {
    let s = s.trim_end_matches(|c: char| c.is_whitespace() || "。.!！~～".contains(c));
    s.ends_with(['?', '？', '吗', '么', '呢', '没'])
        || s.ends_with("没有")
        || s.ends_with("了没")
        || s.contains("是不是")
        || s.contains("有没有")
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
    let found = Name::ALL.into_iter().map(Name::spec).find(|spec| {
        let chinese = spec.words.contains(&word.as_str());
        chinese || slash && (spec.slash == word || spec.slash_aliases.contains(&word.as_str()))
    });
    let Some(spec) = found else {
        return if slash && !word.is_empty() {
            Parsed::Unknown(format!("/{word}"))
        } else {
            Parsed::NotCommand
        };
    };
    // 统计明细 and 统计排名 are 统计 明细 and 统计 排名.
    let rest = match word.as_str() {
        "统计明细" => format!("明细 {rest}"),
        "统计排名" => format!("排名 {rest}"),
        _ => rest.to_string(),
    };
    let rest = rest.trim();
    // A Chinese word is a command only when what follows fits; "待办事项都做完了" is not `待办`.
    match build(spec.name, rest) {
        Ok(cmd) => Parsed::Command(cmd),
        // A number followed by a word no category names ("改类 3 外星人") is a command
        // written wrongly, not speech.
        Err(problem)
            if slash
                || (spec.told_when_bare && rest.is_empty())
                || matches!(problem, Problem::BadCategory | Problem::BadUrgency) =>
        {
            Parsed::Invalid {
                name: spec.name,
                problem,
            }
        }
        Err(_) => Parsed::NotCommand,
    }
}

fn build(kind: Name, rest: &str) -> Result<Command, Problem> {
    let no_args = |cmd: Command| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(Problem::MissingText)
        }
    };
    match kind {
        Name::Report => {
            if rest.is_empty() {
                Err(Problem::MissingText)
            } else {
                Ok(Command::Report(rest.to_string()))
            }
        }
        Name::My => no_args(Command::My),
        Name::List => no_args(Command::List),
        Name::Overdue => no_args(Command::Overdue),
        Name::Help => Ok(Command::Help),
        Name::Back => no_args(Command::Back),
        Name::OnLeave => no_args(Command::OnLeave),
        Name::Console => no_args(Command::Console),
        Name::Urge => number_only(rest).map(Command::Urge),
        Name::Recategorize => {
            let (n, rest) = number(rest)?;
            let category = category_word(rest.trim()).ok_or(Problem::BadCategory)?;
            Ok(Command::Recategorize(n, category))
        }
        Name::Urgency => {
            let (n, rest) = number(rest)?;
            let urgency = match rest.trim().to_lowercase().as_str() {
                "urgent" | "紧急" | "急" => Urgency::Urgent,
                "normal" | "一般" | "普通" | "不急" => Urgency::Normal,
                _ => return Err(Problem::BadUrgency),
            };
            Ok(Command::Urgency(n, urgency))
        }
        Name::Leave => leave_date(rest).map(Command::Leave),
        Name::Handover => {
            let target = rest.trim().trim_start_matches('@').trim();
            Ok(Command::Handover(
                (!target.is_empty()).then(|| target.to_string()),
            ))
        }
        Name::Status => number_only(rest).map(Command::Status),
        Name::Cancel => number_only(rest).map(Command::Cancel),
        Name::Claim => number_only(rest).map(Command::Claim),
        Name::Rate => {
            let (n, rest) = number(rest)?;
            let rating = parse_rating(rest.trim()).ok_or(Problem::BadRating)?;
            Ok(Command::Rate(n, rating))
        }
        Name::Note => {
            let (n, rest) = number(rest)?;
            let text = rest.trim();
            if text.is_empty() {
                return Err(Problem::MissingText);
            }
            Ok(Command::Note(n, text.to_string()))
        }
        Name::Done => {
            let (n, rest) = number(rest)?;
            Ok(Command::Done(n, rest.trim().to_string()))
        }
        Name::Transfer => {
            let (n, rest) = number(rest)?;
            let target = rest.trim();
            if target.is_empty() {
                return Err(Problem::MissingTarget);
            }
            Ok(Command::Transfer(
                n,
                target.trim_start_matches('@').to_string(),
            ))
        }
        Name::Dismiss => {
            let (n, rest) = number(rest)?;
            let reason = rest.trim().to_string();
            let duplicate_of = duplicate_reference(&reason);
            Ok(Command::Dismiss {
                ticket: n,
                reason,
                duplicate_of,
            })
        }
        Name::Stats => {
            let (first, after) = split_word(rest);
            let (view, args) = match StatsView::from_word(first) {
                Some(view) => (view, after.trim()),
                None => (StatsView::Summary, rest),
            };
            Ok(Command::Stats {
                view,
                args: args.to_string(),
            })
        }
        Name::Bind => {
            let code = rest.split_whitespace().next().ok_or(Problem::MissingGrid)?;
            Ok(Command::Bind(code.to_string()))
        }
        Name::Role => {
            let mut words = rest.split_whitespace();
            let target = words.next().ok_or(Problem::MissingTarget)?;
            let role = words
                .next()
                .ok_or(Problem::BadRole)?
                .parse::<Role>()
                .map_err(|_| Problem::BadRole)?;
            let grid = words.next().map(str::to_string);
            Ok(Command::SetRole {
                target: target.trim_start_matches('@').to_string(),
                role,
                grid,
            })
        }
    }
}

/// "至 12月3日", "until 2026-12-03", "2026/12/3", "12-03", "12月3号", "2026年12月3日".
fn leave_date(rest: &str) -> Result<LeaveDate, Problem> {
    let mut s = rest.trim();
    for prefix in ["至", "到", "until", "till", "to"] {
        if let Some(after) = s.strip_prefix(prefix) {
            s = after.trim();
            break;
        }
    }
    let s = s.trim_end_matches(['日', '号']);
    let numbers: Vec<&str> = s
        .split(['-', '/', '.', '年', '月'])
        .map(str::trim)
        .collect();
    let num = |t: &str| t.parse::<u32>().ok();
    let (year, month, day) = match numbers.as_slice() {
        [y, m, d] if y.len() == 4 => (Some(num(y).ok_or(Problem::BadDate)? as i32), num(m), num(d)),
        [m, d] => (None, num(m), num(d)),
        _ => return Err(Problem::BadDate),
    };
    match (month, day) {
        (Some(month @ 1..=12), Some(day @ 1..=31)) => Ok(LeaveDate { year, month, day }),
        _ => Err(Problem::BadDate),
    }
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

/// "重复 7", "与7重复", "duplicate of 7", "dup #7" → 7; "重复 QS-DF-01#7" → that ticket.
fn duplicate_reference(reason: &str) -> Option<TicketNo> {
    let lower = reason.to_lowercase();
    if !(lower.contains("重复") || lower.contains("dup")) {
        return None;
    }
    let qualified = reason
        .split(|c: char| c.is_whitespace() || "，,。:：与和".contains(c))
        .filter_map(TicketRef::parse)
        .find(|r| r.grid.is_some());
    if qualified.is_some() {
        return qualified;
    }
    let digits: String = lower
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|n| *n > 0).map(TicketRef::here)
}

fn number_only(rest: &str) -> Result<TicketNo, Problem> {
    let (n, after) = number(rest)?;
    if after.trim().is_empty() {
        Ok(n)
    } else {
        Err(Problem::MissingNumber)
    }
}

/// A leading ticket reference: a number with an optional `#`, `No.` or trailing `号`, or a
/// grid code, `#` and a number (`QS-DF-01#42`).
fn number(rest: &str) -> Result<(TicketNo, &str), Problem> {
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

fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// Chinese commands are written with or without a space: `接单42`, `接单 42`, `办结42 换了灯泡`.
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

/// The commands someone whose most senior role is `role` may use, for `/help`: (slash form,
/// Chinese form). Rating and withdrawing are listed for everyone: they are a reporter's.
pub fn help_entries(role: Role) -> Vec<(&'static str, &'static str)> {
    Name::ALL
        .into_iter()
        .map(Name::spec)
        .filter(|spec| {
            spec.who.allows(role, Reach::Own)
                || matches!(spec.who, Who::Reporter | Who::ReporterOrHandler)
        })
        .map(|spec| spec.usage)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let done = |no, text: &str| Command::Done(n(no), text.to_string());
        let cases: &[(&str, Command)] = &[
            ("#3 接单", Command::Claim(n(3))),
            ("#3接单", Command::Claim(n(3))),
            ("3号接单", Command::Claim(n(3))),
            ("3号我来", Command::Claim(n(3))),
            ("3号我来处理", Command::Claim(n(3))),
            ("#3 我去看看", Command::Claim(n(3))),
            ("3号 收到！", Command::Claim(n(3))),
            ("已接单 3", Command::Claim(n(3))),
            (
                "QS-DF-01#3 接单",
                Command::Claim(TicketRef::in_grid("QS-DF-01", 3)),
            ),
            ("3号办结了，杂物已清理", done(3, "杂物已清理")),
            ("#3 办结 换了灯泡", done(3, "换了灯泡")),
            ("3号搞定了", done(3, "")),
            ("#12 修好了：换了水管", done(12, "换了水管")),
            ("已办结 3", done(3, "")),
            ("已办结3号 门已修好", done(3, "门已修好")),
            (
                "#3 进展 已联系电工",
                Command::Note(n(3), "已联系电工".into()),
            ),
            ("3号 查询", Command::Status(n(3))),
        ];
        for (text, want) in cases {
            assert_eq!(&cmd(text), want, "{text}");
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
    fn not_fixed_and_done_replies() {
        for text in ["还是堵着呢，没清干净", "还没好", "又坏了", "灯还是不亮"]
        {
            assert!(sounds_not_fixed(text), "{text}");
        }
        for text in ["好了，谢谢", "修好了", "满意"] {
            assert!(!sounds_not_fixed(text), "{text}");
        }
        assert_eq!(done_reply("修好了，换了灯泡"), Some("换了灯泡"));
        assert_eq!(done_reply("搞定了"), Some(""));
        assert_eq!(done_reply("修好了吗？"), None);
        assert_eq!(done_reply("好的"), None);
    }

    #[test]
    fn corrections() {
        let sanitation = Command::Recategorize(n(3), Category::Sanitation);
        assert_eq!(cmd("改类 3 环境卫生"), sanitation);
        assert_eq!(cmd("改类3 环境"), sanitation);
        assert_eq!(cmd("/recategorize #3 sanitation"), sanitation);
        assert_eq!(cmd("改为紧急 3"), Command::Urgency(n(3), Urgency::Urgent));
        assert_eq!(cmd("改为一般3"), Command::Urgency(n(3), Urgency::Normal));
        assert_eq!(
            cmd("/urgency 3 normal"),
            Command::Urgency(n(3), Urgency::Normal)
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
            "3号办结了没",
            "3号办结了吗？",
            "#3 接单了吗",
            "3号楼的灯修好了",
            "3栋我来看看",
            "搞定了",
            "今天3号，我来值班",
            "已办结的事情就不说了",
        ] {
            assert_eq!(parse(text), Parsed::NotCommand, "{text}");
        }
    }

    #[test]
    fn duty_and_supervision_commands() {
        let dec3 = |year| {
            Command::Leave(LeaveDate {
                year,
                month: 12,
                day: 3,
            })
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
        assert_eq!(cmd("销假"), Command::Back);
        assert_eq!(cmd("/back"), Command::Back);
        assert_eq!(cmd("交接 @刘洋"), Command::Handover(Some("刘洋".into())));
        assert_eq!(cmd("/handover"), Command::Handover(None));
        assert_eq!(cmd("督办 42"), Command::Urge(n(42)));
        assert_eq!(cmd("/urge #42"), Command::Urge(n(42)));
        assert_eq!(cmd("请假名单"), Command::OnLeave);
        assert_eq!(cmd("/onleave"), Command::OnLeave);
    }

    #[test]
    fn slash_and_chinese_forms_agree() {
        assert_eq!(cmd("/claim 42"), Command::Claim(n(42)));
        assert_eq!(cmd("接单 42"), Command::Claim(n(42)));
        assert_eq!(cmd("接单42"), Command::Claim(n(42)));
        assert_eq!(cmd("接单 ＃４２"), Command::Claim(n(42)));
        assert_eq!(cmd("/claim@gridline_bot 42"), Command::Claim(n(42)));
        assert_eq!(cmd("/CLAIM #42"), Command::Claim(n(42)));
        assert_eq!(
            cmd("/done 42 换了灯泡"),
            Command::Done(n(42), "换了灯泡".into())
        );
        assert_eq!(
            cmd("办结 42 换了灯泡"),
            Command::Done(n(42), "换了灯泡".into())
        );
        assert_eq!(cmd("/done 42"), Command::Done(n(42), String::new()));
        let stats = |view, args: &str| Command::Stats {
            view,
            args: args.into(),
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
        assert_eq!(cmd("/my"), Command::My);
        assert_eq!(cmd("我的诉求"), Command::My);
        assert_eq!(cmd("/list"), Command::List);
        assert_eq!(cmd("待办"), Command::List);
        assert_eq!(cmd("/rate 7 满意"), Command::Rate(n(7), Rating::Satisfied));
        assert_eq!(
            cmd("评价 7 不满意"),
            Command::Rate(n(7), Rating::Unsatisfied)
        );
        assert_eq!(
            cmd("/note 3 已联系电工"),
            Command::Note(n(3), "已联系电工".into())
        );
        assert_eq!(
            cmd("/transfer 3 @李强"),
            Command::Transfer(n(3), "李强".into())
        );
        assert_eq!(
            cmd("/report 3栋楼道灯坏了"),
            Command::Report("3栋楼道灯坏了".into())
        );
        assert_eq!(
            cmd("/bind T01-V01-G01"),
            Command::Bind("T01-V01-G01".into())
        );
        assert_eq!(
            cmd("/role @王芳 leader T01-V01-G01"),
            Command::SetRole {
                target: "王芳".into(),
                role: Role::Leader,
                grid: Some("T01-V01-G01".into())
            }
        );
        assert_eq!(
            cmd("设置角色 王芳 网格长").clone(),
            Command::SetRole {
                target: "王芳".into(),
                role: Role::Leader,
                grid: None
            }
        );
        assert_eq!(cmd("/help"), Command::Help);
        assert_eq!(cmd("帮助"), Command::Help);
    }

    #[test]
    fn dismiss_reads_duplicate_references() {
        assert_eq!(
            cmd("/dismiss 9 重复 7"),
            Command::Dismiss {
                ticket: n(9),
                reason: "重复 7".into(),
                duplicate_of: Some(n(7))
            }
        );
        assert_eq!(
            cmd("驳回 9 duplicate of #7"),
            Command::Dismiss {
                ticket: n(9),
                reason: "duplicate of #7".into(),
                duplicate_of: Some(n(7))
            }
        );
        assert_eq!(
            cmd("/dismiss 9 不属于本网格"),
            Command::Dismiss {
                ticket: n(9),
                reason: "不属于本网格".into(),
                duplicate_of: None
            }
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
    fn help_grows_with_role() {
        assert!(help_entries(Role::Resident).len() < help_entries(Role::Leader).len());
        assert!(help_entries(Role::Leader).len() < help_entries(Role::Admin).len());
        assert!(
            !help_entries(Role::Resident)
                .iter()
                .any(|(s, _)| s.starts_with("/claim"))
        );
    }
}
