//! Every sentence the bot writes, in Simplified Chinese (default) and English.
//! Keeping them here keeps the engine free of wording and lets a translator work in one file.

use crate::config::Language;
use crate::domain::role::Who;
use crate::domain::{Category, HistoryKind, Number, Rating, Role, TicketRef, TicketState, Urgency};
use crate::i18n::commands::Named;
use crate::understand::command::{Period, Problem};

/// The bot's voice in one language.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub lang: Language,
}

macro_rules! say {
    ($self:expr, $zh:expr, $en:expr $(,)?) => {
        match $self.lang {
            Language::Zh => $zh,
            Language::En => $en,
        }
    };
}

// Deadlines, reminders, escalation, duty, ratings and digests.
pub mod sla;
// The coordinator console: pages, figures, letters, the login link.
pub mod console;
// Each chat command's menu line and verb.
pub mod commands;
// Private answers and the channels escalations reach (gridline doctor).
pub mod reach;

impl Texts {
    pub fn new(lang: Language) -> Texts {
        Texts { lang }
    }

    pub fn category(&self, c: Category) -> &'static str {
        say!(self, c.label_zh(), c.label_en())
    }

    pub fn state(&self, s: TicketState) -> &'static str {
        match s {
            TicketState::Open => say!(self, "待接单", "open"),
            TicketState::Claimed => say!(self, "处理中", "in progress"),
            TicketState::Resolved => say!(self, "已办结", "resolved"),
            TicketState::Closed => say!(self, "已关闭", "closed"),
            TicketState::Dismissed => say!(self, "已驳回", "dismissed"),
        }
    }

    /// A ticket's state as the sandbox's side panel labels it ("已接单" rather than the card's
    /// "处理中": the panel lists tickets by what was done to them).
    pub fn state_done(&self, s: TicketState) -> &'static str {
        match s {
            TicketState::Open => say!(self, "待接单", "open"),
            TicketState::Claimed => say!(self, "已接单", "claimed"),
            TicketState::Resolved => say!(self, "已办结", "resolved"),
            TicketState::Closed => say!(self, "已关闭", "closed"),
            TicketState::Dismissed => say!(self, "已驳回", "dismissed"),
        }
    }

    pub fn urgency(&self, u: Urgency) -> &'static str {
        match u {
            Urgency::Urgent => say!(self, "紧急", "urgent"),
            Urgency::Normal => say!(self, "一般", "normal"),
        }
    }

    /// A correction that changes nothing.
    pub fn already_so(&self, no: &Number, what: &str) -> String {
        say!(
            self,
            format!("{no} 已经是「{what}」，无需修改。"),
            format!("{no} is already {what}; nothing changed.")
        )
    }

    /// The reporter said where, after their report.
    pub fn relocated(&self, no: &Number, place: &str) -> String {
        say!(
            self,
            format!("{no} 地点已更新为「{place}」。"),
            format!("{no}: the place is now {place}.")
        )
    }

    pub fn recategorized(&self, no: &Number, category: &str, by: &str) -> String {
        say!(
            self,
            format!("{no} 类别已由 {by} 改为「{category}」。"),
            format!("{no} was recategorised as {category} by {by}.")
        )
    }

    pub fn urgency_changed(
        &self,
        no: &Number,
        urgency: &str,
        claim_within: &str,
        resolve_within: &str,
        by: &str,
    ) -> String {
        say!(
            self,
            format!(
                "{no} 已由 {by} 改为「{urgency}」：受理后 {claim_within}内接单、{resolve_within}内办结。"
            ),
            format!(
                "{no} was marked {urgency} by {by}: to be claimed within {claim_within} and resolved within {resolve_within} of the report."
            )
        )
    }

    /// A "搞定了" reply with nothing on what was done.
    pub fn done_needs_result(&self, no: &Number) -> String {
        say!(
            self,
            format!("请说一下怎么处理的，例如「办结 {no} 换了灯泡」。"),
            format!("Please say what was done, e.g. \"/done {no} replaced the bulb\".")
        )
    }

    /// A ticket its reporter withdrew (stored as dismissed).
    pub fn withdrawn(&self) -> &'static str {
        say!(self, "已撤销", "withdrawn")
    }

    /// A role as people call it; a coordinator with the level of the grid they hold
    /// (`town`, `village`) when known.
    pub fn role_label(&self, role: Role, level: Option<&str>) -> &'static str {
        match (role, level) {
            (Role::Resident, _) => say!(self, "居民", "resident"),
            (Role::Leader, _) => say!(self, "网格长", "grid leader"),
            (Role::Deputy, _) => say!(self, "副网格长", "deputy leader"),
            (Role::Coordinator, Some("town")) => say!(self, "镇级协调员", "town coordinator"),
            (Role::Coordinator, Some("village")) => {
                say!(self, "村级协调员", "village coordinator")
            }
            (Role::Coordinator, _) => say!(self, "协调员", "coordinator"),
            (Role::Admin, _) => say!(self, "管理员", "admin"),
        }
    }

    /// A statistics period: "近7天" / "last 7 days".
    pub fn period(&self, period: Period) -> &'static str {
        match period {
            Period::Today => say!(self, "今天", "today"),
            Period::Days7 => say!(self, "近7天", "last 7 days"),
            Period::Days30 => say!(self, "近30天", "last 30 days"),
            Period::All => say!(self, "累计", "all time"),
        }
    }

    /// The scope of statistics over every grid.
    pub fn all_grids(&self) -> &'static str {
        say!(self, "全部", "all grids")
    }

    pub fn rating(&self, r: Rating) -> &'static str {
        match r {
            Rating::Satisfied => say!(self, "满意", "satisfied"),
            Rating::Neutral => say!(self, "一般", "neutral"),
            Rating::Unsatisfied => say!(self, "不满意", "unsatisfied"),
        }
    }

    /// "2小时" / "2 hours" for a promise on the card.
    pub fn duration(&self, millis: i64) -> String {
        let mins = millis / 60_000;
        let (n, zh, en) = if mins % (24 * 60) == 0 && mins >= 24 * 60 {
            (mins / (24 * 60), "天", "day")
        } else if mins % 60 == 0 && mins >= 60 {
            (mins / 60, "小时", "hour")
        } else {
            (mins.max(1), "分钟", "minute")
        };
        say!(
            self,
            format!("{n}{zh}"),
            format!("{n} {en}{}", if n == 1 { "" } else { "s" })
        )
    }

    /// The card that answers a new ticket.
    pub fn card(&self, card: &Card<'_>) -> String {
        let place = card.location.unwrap_or(say!(self, "未注明", "not given"));
        let urgent = if card.urgency == Urgency::Urgent {
            say!(self, "【紧急】", "[URGENT] ")
        } else {
            ""
        };
        let assignee = match card.assignee {
            Some(name) => format!("@{name}"),
            None => say!(
                self,
                "（暂无网格长，已通知上级）",
                "(no leader on duty; escalated)"
            )
            .to_string(),
        };
        let mut promise = self.duration(card.claim_within);
        if let Some(by) = card.respond_by.as_deref() {
            // Working-time deadlines: the window alone would mislead across nights and holidays.
            promise = say!(
                self,
                format!("工作时间{promise}（最迟 {by}）"),
                format!("{promise} of working time (by {by})")
            );
        }
        let mut text = say!(
            self,
            format!(
                "{urgent}已受理 {no}\n类别：{cat}\n地点：{place}\n负责：{assignee}\n承诺：{promise}内响应",
                no = &card.ticket,
                cat = self.category(card.category)
            ),
            format!(
                "{urgent}Ticket {no} opened\nCategory: {cat}\nPlace: {place}\nAssigned to: {assignee}\nPromise: a response within {promise}",
                no = &card.ticket,
                cat = self.category(card.category)
            )
        );
        if let Some(dup) = &card.linked_to {
            text.push_str(&say!(
                self,
                format!("\n（与 {dup} 可能是同一问题，已关联）"),
                format!("\n(Possibly the same problem as {dup}; linked)")
            ));
        }
        if !card.buttons {
            text.push_str(&say!(
                self,
                format!("\n网格长回复「接单 {}」认领", card.ticket),
                format!("\nLeader: reply \"/claim {}\" to take it", card.ticket)
            ));
        }
        text
    }

    /// One line for the urgent card saying why the report was read as urgent: the cues the
    /// parser found (`Understanding::why`), or, when the learned model alone heard it, that.
    pub fn urgent_why(&self, cues: &[String]) -> String {
        if cues.is_empty() {
            say!(
                self,
                "紧急依据：与以往紧急求助的说法相近",
                "Why urgent: worded like earlier emergencies"
            )
            .to_string()
        } else {
            say!(
                self,
                format!("紧急依据：{}", cues.join("、")),
                format!("Why urgent: {}", cues.join(", "))
            )
        }
    }

    /// The status line under a redrawn card.
    /// The status line under a redrawn card, with who made the latest change and when.
    pub fn card_state(&self, state: TicketState, by: Option<(&str, &str)>) -> String {
        match by {
            Some((who, at)) => say!(
                self,
                format!("状态：{}（{who} {at}）", self.state(state)),
                format!("Status: {} ({who}, {at})", self.state(state))
            ),
            None => say!(
                self,
                format!("状态：{}", self.state(state)),
                format!("Status: {}", self.state(state))
            ),
        }
    }

    pub fn button_claim(&self) -> &'static str {
        say!(self, "接单", "Claim")
    }
    pub fn button_done(&self) -> &'static str {
        say!(self, "办结", "Resolve")
    }

    pub fn claimed(&self, no: &Number, by: &str) -> String {
        say!(
            self,
            format!("{no} 已由 {by} 接单，正在处理。"),
            format!("{no} was claimed by {by} and is being handled.")
        )
    }

    pub fn note(&self, no: &Number, by: &str, text: &str) -> String {
        say!(
            self,
            format!("{no} 进展（{by}）：{text}"),
            format!("{no} update from {by}: {text}")
        )
    }

    pub fn transferred(&self, no: &Number, to: &str) -> String {
        say!(
            self,
            format!("{no} 已转派给 @{to}。"),
            format!("{no} was transferred to @{to}.")
        )
    }

    /// Resolution notice with the rating prompt for the reporter.
    /// The reporter says their ticket is fixed; the assignee confirms it.
    pub fn reporter_says_fixed(&self, no: &Number, assignee: Option<&str>) -> String {
        match assignee {
            Some(name) => say!(
                self,
                format!(
                    "已告知 @{name}：报事人说 {no} 已经好了，请负责人确认后办结（办结 {no}）。"
                ),
                format!(
                    "Told @{name}: the reporter says {no} is fixed. The assignee confirms it with /done {no}."
                )
            ),
            None => say!(
                self,
                format!("已记下：报事人说 {no} 已经好了，请负责人确认后办结（办结 {no}）。"),
                format!(
                    "Noted: the reporter says {no} is fixed. Whoever handles it confirms with /done {no}."
                )
            ),
        }
    }

    /// The history's line for it.
    pub fn reporter_says_fixed_note(&self, said: &str) -> String {
        let said = said.trim();
        if said.is_empty() {
            say!(
                self,
                "报事人说已经好了".to_string(),
                "The reporter says it is fixed".to_string()
            )
        } else {
            say!(
                self,
                format!("报事人说已经好了：{said}"),
                format!("The reporter says it is fixed: {said}")
            )
        }
    }

    pub fn resolved(
        &self,
        no: &Number,
        by: &str,
        result: &str,
        reporter: &str,
        buttons: bool,
        answered: bool,
    ) -> String {
        let result = if result.is_empty() {
            String::new()
        } else {
            say!(self, format!("：{result}"), format!(": {result}"))
        };
        let how = if buttons {
            say!(
                self,
                "点下方按钮".to_string(),
                "tap a button below".to_string()
            )
        } else {
            say!(
                self,
                format!("回复「评价 {no} 满意/一般/不满意」"),
                format!("reply \"/rate {no} satisfied|neutral|unsatisfied\"")
            )
        };
        // A question answered is not "fixed": the way back is said in its own words.
        let back = if answered {
            say!(
                self,
                "如果没有解答您的问题，回复「没解决」",
                "if this does not answer it, reply \"not sorted\""
            )
        } else {
            say!(
                self,
                "如果没有解决，回复「没修好」",
                "if it is not fixed, reply \"not fixed\""
            )
        };
        say!(
            self,
            format!("{no} 已由 {by} 办结{result}\n@{reporter} 请评价处理结果（{how}）；{back}。"),
            format!(
                "{no} was resolved by {by}{result}\n@{reporter} please rate the result ({how}); {back}."
            )
        )
    }

    /// A rating typed on its own by a resident with several tickets waiting for one.
    pub fn rating_which(&self, numbers: &[Number], rating: Rating) -> String {
        let list: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
        let first = numbers.first().map(|n| n.to_string()).unwrap_or_default();
        say!(
            self,
            format!(
                "您有{}件待评价：{}。请回复对应的办结通知，或发「评价 {first} {}」。",
                numbers.len(),
                list.join("、"),
                self.rating(rating)
            ),
            format!(
                "You have {} tickets waiting for a rating: {}. Reply to its resolution notice, or send \"/rate {first} {}\".",
                numbers.len(),
                list.join(", "),
                self.rating(rating)
            )
        )
    }

    pub fn rated(&self, no: &Number, rating: Rating) -> String {
        say!(
            self,
            format!("{no} 评价：{}。感谢反馈！", self.rating(rating)),
            format!("{no} rated {}. Thank you!", self.rating(rating))
        )
    }

    pub fn reopened(&self, no: &Number, assignee: &str) -> String {
        say!(
            self,
            format!("{no} 居民反馈未解决，已重新打开，请 @{assignee} 继续处理。"),
            format!(
                "{no} was reopened: the resident says it is not fixed. @{assignee} please follow up."
            )
        )
    }

    pub fn dismissed(&self, no: &Number, reason: &str) -> String {
        let reason = if reason.is_empty() {
            say!(self, "未说明", "no reason given")
        } else {
            reason
        };
        say!(
            self,
            format!("{no} 已驳回：{reason}"),
            format!("{no} was dismissed: {reason}")
        )
    }

    pub fn duplicate(&self, no: &Number, of: &Number) -> String {
        say!(
            self,
            format!("{no} 与 {of} 重复，已合并到 {of} 跟进。"),
            format!("{no} duplicates {of} and will be followed up there.")
        )
    }

    pub fn cancelled(&self, no: &Number) -> String {
        say!(
            self,
            format!("{no} 已撤销。"),
            format!("{no} was withdrawn.")
        )
    }

    pub fn bound(&self, grid: &str) -> String {
        say!(
            self,
            format!("本群已绑定到网格 {grid}。"),
            format!("This group is now bound to grid {grid}.")
        )
    }

    pub fn role_set(&self, name: &str, role: &str, grid: &str) -> String {
        say!(
            self,
            format!("已将 {name} 设为 {role}（{grid}）。"),
            format!("{name} is now {role} ({grid}).")
        )
    }

    // ---- refusals and errors -------------------------------------------------------------

    /// Who may use a command, as a refusal names them.
    pub fn who_may(&self, who: Who) -> &'static str {
        match who {
            Who::Anyone => say!(self, "任何人", "anyone"),
            Who::TicketViewers => say!(
                self,
                "本群成员、反映人和本网格工作人员",
                "the ticket's group, its reporters and staff over its grid"
            ),
            Who::Reporter => say!(self, "反映人", "whoever reported it"),
            Who::ReporterOrHandler => say!(
                self,
                "反映人或负责人",
                "whoever reported it or whoever handles it"
            ),
            Who::Handlers => say!(
                self,
                "负责人、副网格长或上级协调员",
                "its assignee, the grid's leader or deputy, or a coordinator above"
            ),
            Who::Staff => say!(
                self,
                "网格长、副网格长、协调员和管理员",
                "leaders, deputies, coordinators and admins"
            ),
            Who::OnDuty => say!(self, "网格长或副网格长", "leaders and deputies"),
            Who::Supervisors => say!(
                self,
                "网格长或上级协调员",
                "the grid's leader or a coordinator above it"
            ),
            Who::Coordinators => say!(self, "上级协调员", "a coordinator above the grid"),
            Who::Admins => say!(self, "管理员", "an admin"),
        }
    }

    /// A refusal that names who may do it, in the form the sender wrote (`slash`: they typed
    /// `/done`, not 办结): "抱歉，只有负责人、副网格长或上级协调员可以办结 #3。".
    pub fn not_permitted(
        &self,
        who: Who,
        name: Named,
        ticket: Option<&Number>,
        slash: bool,
    ) -> String {
        let who = self.who_may(who);
        match self.lang {
            Language::Zh => {
                let what = match ticket {
                    Some(no) => format!("{} {no}", name.action),
                    None if slash => format!("使用「/{}」", name.slash),
                    None => format!("使用「{}」", name.word),
                };
                let help = if slash { "/help" } else { "帮助" };
                format!("抱歉，只有{who}可以{what}。发送「{help}」查看您能用的命令。")
            }
            Language::En => {
                let what = match ticket {
                    Some(no) => format!("use /{} on {no}", name.slash),
                    None => format!("use /{}", name.slash),
                };
                format!("Sorry, only {who} may {what}. Send /help to see what you can do.")
            }
        }
    }

    /// The start every refusal of [`Texts::not_permitted`] shares.
    pub fn refusal_head(&self) -> &'static str {
        say!(self, "抱歉，只有", "Sorry, only ")
    }

    /// Someone answers a confirmation question that was asked of another.
    pub fn not_your_question(&self) -> String {
        say!(
            self,
            "抱歉，只有被问到的人可以回答这个问题。".to_string(),
            "Sorry, only the person asked can answer that question.".to_string()
        )
    }

    pub fn no_such_ticket(&self, no: &TicketRef) -> String {
        say!(
            self,
            format!("没有找到诉求 {no}，请核对编号。"),
            format!("There is no ticket {no}; please check the number.")
        )
    }

    /// "#3 已由 黄丽华 于 12月5日 12:05 办结，不能接单。"
    pub fn already_done(
        &self,
        no: &Number,
        who: &str,
        when: &str,
        did: &str,
        action: &str,
    ) -> String {
        say!(
            self,
            format!("{no} 已由 {who} 于 {when} {did}，不能{action}。"),
            format!("{no} was {did} by {who} at {when}, so it cannot be {action}.")
        )
    }

    pub fn wrong_state(&self, no: &Number, state: TicketState, action: &str) -> String {
        say!(
            self,
            format!("{no} 当前状态为「{}」，不能{action}。", self.state(state)),
            format!("{no} is {}, so it cannot be {action}.", self.state(state))
        )
    }

    pub fn unknown_command(&self, word: &str) -> String {
        say!(
            self,
            format!("不认识的命令 {word}。发送 /help 查看可用命令。"),
            format!("Unknown command {word}. Send /help to see what you can do.")
        )
    }

    /// How to write a command whose arguments could not be read, with the example in the form
    /// the sender used (`slash`: `/claim 42`; otherwise the Chinese word: `接单 42`). With
    /// `key_grid`, where a number alone names no ticket, the example's number is a full key
    /// (`督办 QS-DF-01#42`).
    pub fn invalid_command(
        &self,
        name: Named,
        problem: &Problem,
        slash: bool,
        key_grid: Option<&str>,
    ) -> String {
        let what = match problem {
            Problem::MissingNumber => {
                say!(self, "请写上诉求编号，例如", "add the ticket number, e.g.")
            }
            Problem::MissingText => say!(self, "请写上内容，例如", "add the text, e.g."),
            Problem::BadRating => say!(
                self,
                "评价请用 满意/一般/不满意，例如",
                "rate with satisfied/neutral/unsatisfied, e.g."
            ),
            Problem::MissingTarget => say!(self, "请写上转给谁，例如", "name the person, e.g."),
            Problem::BadRole => say!(
                self,
                "角色请用 resident/leader/deputy/coordinator/admin，例如",
                "use a role resident/leader/deputy/coordinator/admin, e.g."
            ),
            Problem::BadPeriod => say!(
                self,
                "时间段请用 today/7d/30d/all，例如",
                "use a period today/7d/30d/all, e.g."
            ),
            Problem::MissingGrid => say!(self, "请写上网格编号，例如", "add the grid code, e.g."),
            Problem::BadDate => say!(
                self,
                "请写上请假到哪一天，例如",
                "give the last day of leave, e.g."
            ),
            Problem::BadCategory => say!(
                self,
                "类别请用 路灯照明/环境卫生/供水排水/供电/道路交通/园林绿化/安全隐患/矛盾纠纷/民生帮扶/医疗卫生/物业设施/政务咨询/其他，例如",
                "use a category id (lighting, sanitation, water, power, road, greenery, safety, dispute, welfare, health, property, admin, other), e.g."
            ),
            Problem::BadUrgency => say!(
                self,
                "请写 urgent（紧急）或 normal（一般），例如",
                "use urgent or normal, e.g."
            ),
            Problem::BadDays => say!(
                self,
                "请写上延期几天（如 3天），例如",
                "give the days (e.g. 3d), e.g."
            ),
            Problem::Trailing => say!(
                self,
                "这个命令后面不用写其他内容，例如",
                "write nothing after it, e.g."
            ),
        };
        let mut example = match (slash, self.lang) {
            (false, Language::Zh) if !name.word.is_empty() => {
                name.example
                    .replacen(&format!("/{}", name.slash), name.word, 1)
            }
            _ => name.example.to_string(),
        };
        if let Some(grid) = key_grid {
            example = example.replacen(" 42", &format!(" {grid}#42"), 1);
        }
        let name = name.slash;
        say!(
            self,
            format!("{what} {example}"),
            format!("To use /{name}, {what} {example}")
        )
    }

    /// A bare number typed where no grid says which ticket it is (a private chat, a village's
    /// group): the full key in command `name`, in the form the sender used.
    pub fn number_needs_grid(&self, name: Named, slash: bool, grid: &str, no: i64) -> String {
        let word = match (slash, self.lang) {
            (false, Language::Zh) if !name.word.is_empty() => name.word.to_string(),
            _ => format!("/{}", name.slash),
        };
        say!(
            self,
            format!(
                "请写上网格编号，例如「{word} {grid}#{no}」（群外的诉求卡片和列表都写着完整编号）。"
            ),
            format!(
                "Please add the grid's code, e.g. \"{word} {grid}#{no}\" (lists and notices outside the group show it)."
            )
        )
    }

    /// Stands for a grid's code in an example when no grid of the sender's is known.
    pub fn grid_code_word(&self) -> &'static str {
        say!(self, "网格编号", "GRID")
    }

    pub fn too_long(&self, max: usize) -> String {
        say!(
            self,
            format!("内容太长（超过 {max} 字），请精简后重新发送。"),
            format!("That is too long (over {max} characters); please shorten it and send again.")
        )
    }

    pub fn unbound_group(&self) -> String {
        say!(
            self,
            "本群还没有绑定网格，暂时不能受理。请管理员发送「绑定 网格编号」。".to_string(),
            "This group is not bound to a grid yet, so requests cannot be taken. An admin can send /bind GRID.".to_string()
        )
    }

    /// A supervisor named a grid outside those they oversee: `asked` and `own` as (name, code).
    /// It starts as every refusal does ([`Texts::refusal_head`]).
    pub fn outside_your_grids(
        &self,
        asked: (&str, &str),
        own: &[(String, String)],
        name: Named,
    ) -> String {
        match self.lang {
            Language::Zh => {
                let own: Vec<String> = own.iter().map(|(n, c)| format!("{n}（{c}）")).collect();
                format!(
                    "抱歉，只有负责{}（{}）的人员可以对它使用「{}」；您负责：{}。",
                    asked.0,
                    asked.1,
                    name.word,
                    own.join("、")
                )
            }
            Language::En => {
                let own: Vec<String> = own.iter().map(|(n, c)| format!("{n} ({c})")).collect();
                format!(
                    "Sorry, only those who oversee {} ({}) may use /{} on it; you oversee {}.",
                    asked.0,
                    asked.1,
                    name.slash,
                    own.join(", ")
                )
            }
        }
    }

    pub fn no_such_grid(&self, code: &str) -> String {
        say!(
            self,
            format!("没有编号为 {code} 的网格。"),
            format!("There is no grid {code}.")
        )
    }

    pub fn no_such_person(&self, who: &str) -> String {
        say!(
            self,
            format!("找不到 {who}，请用名册中的姓名或编号。"),
            format!("Cannot find {who}; use a name or code from the roster.")
        )
    }

    pub fn ambiguous_person(&self, who: &str) -> String {
        say!(
            self,
            format!("名册中有多位 {who}，请改用人员编号。"),
            format!("Several people are called {who}; use their code instead.")
        )
    }

    pub fn private_needs_group(&self) -> String {
        say!(
            self,
            "请在网格群里报事，这样网格长才能看到。".to_string(),
            "Please report in your grid's group so that the leader sees it.".to_string()
        )
    }

    pub fn nothing(&self) -> String {
        say!(self, "暂无。".to_string(), "Nothing.".to_string())
    }

    /// Who serves a group, for `/contact` (网格员) and "网格员是谁".
    pub fn serving(&self, s: &Serving) -> String {
        let zh = self.lang == Language::Zh;
        let join = |names: &[String]| names.join(if zh { "、" } else { ", " });
        let mut lines = vec![say!(
            self,
            format!("本群网格：{}", s.grid),
            format!("This group's grid: {}", s.grid)
        )];
        lines.push(if !s.coordinators.is_empty() {
            say!(
                self,
                format!("负责人：{}", join(&s.coordinators)),
                format!("Coordinators: {}", join(&s.coordinators))
            )
        } else if s.leaders.is_empty() {
            say!(self, "网格长：暂未设置", "Grid leader: none set").to_string()
        } else {
            say!(
                self,
                format!("网格长：{}", join(&s.leaders)),
                format!("Grid leader: {}", join(&s.leaders))
            )
        });
        if !s.deputies.is_empty() {
            lines.push(say!(
                self,
                format!("副网格长：{}", join(&s.deputies)),
                format!("Deputies: {}", join(&s.deputies))
            ));
        }
        if let Some(who) = &s.covering {
            lines.push(say!(
                self,
                format!("网格长今天请假，由 {who} 代班。"),
                format!("The grid leader is on leave today; {who} is covering.")
            ));
        }
        lines.push(
            say!(
                self,
                "有事直接在群里说清是什么问题、在哪里，我会登记并通知负责人。",
                "Just say here what is wrong and where; it is logged and whoever is responsible is told."
            )
            .to_string(),
        );
        lines.join("\n")
    }

    /// `/contact` in a private chat, which serves no grid.
    pub fn contact_in_a_group(&self) -> &'static str {
        say!(
            self,
            "请在您所在的小区群里发「网格员」，查看负责该群的网格员。",
            "Send /contact in your neighbourhood group to see who serves it."
        )
    }

    pub fn heading_my(&self) -> &'static str {
        say!(self, "您的诉求：", "Your tickets:")
    }

    pub fn heading_mine_here(&self) -> &'static str {
        say!(
            self,
            "您在本群报的事（发「查询 编号」看详情）：",
            "What you reported in this group (send \"/status N\" for one):"
        )
    }

    pub fn heading_fitting_here(&self) -> &'static str {
        say!(
            self,
            "本群正在处理的相关诉求（发「查询 编号」看详情）：",
            "Being handled in this group (send \"/status N\" for one):"
        )
    }

    /// A supervisor asking after a job in a grid: that grid's active tickets the words name.
    pub fn heading_fitting_in(&self, grid: &str) -> String {
        say!(
            self,
            format!("{grid}正在处理的相关诉求（发「查询 编号」看详情）："),
            format!("Being handled in {grid} that fits (send \"/status N\" for one):")
        )
    }

    /// 接单 or 办结 alone, with several tickets it could mean: which one.
    pub fn heading_which_ticket(&self, name: Named) -> String {
        match self.lang {
            Language::Zh => format!("有几件可以{}，请发「{} 编号」：", name.action, name.word),
            Language::En => format!(
                "Several tickets fit; which one? Send \"/{} N\":",
                name.slash
            ),
        }
    }

    pub fn heading_withdraw_which(&self) -> &'static str {
        say!(
            self,
            "您在本群有几件在办，要撤销哪一件？请发「撤销 编号」：",
            "You have several reports being handled here; which one? Send \"/cancel N\":"
        )
    }

    /// A reporter asked how their report stands, and nothing of theirs is in this chat.
    pub fn nothing_reported_here(&self) -> &'static str {
        say!(
            self,
            "没有找到您在本群报过的事。有问题请直接描述，例如「3栋楼道灯坏了」。",
            "Nothing you reported in this group was found. To report a problem, just describe it, e.g. \"the stairwell light in Block 3 is out\"."
        )
    }

    /// Asked in a private chat about their reports, with none anywhere.
    pub fn nothing_reported(&self) -> &'static str {
        say!(
            self,
            "没有找到您报过的事。有问题请在所在网格的群里直接描述，例如「3栋楼道灯坏了」。",
            "Nothing you reported was found. To report a problem, describe it in your grid's group, e.g. \"the stairwell light in Block 3 is out\"."
        )
    }

    pub fn heading_todo(&self) -> &'static str {
        say!(self, "待办：", "To do:")
    }

    pub fn heading_extensions_waiting(&self) -> &'static str {
        say!(
            self,
            "待审批的延期申请：",
            "Extensions awaiting a decision:"
        )
    }

    pub fn heading_overdue(&self) -> &'static str {
        say!(self, "超时未办：", "Overdue:")
    }

    pub fn heading_unclaimed(&self) -> &'static str {
        say!(
            self,
            "尚未接单（等待最久的在前）：",
            "Not claimed yet (longest waiting first):"
        )
    }

    pub fn heading_help(&self) -> &'static str {
        say!(self, "可用命令：", "Commands you can use:")
    }

    /// One line of a ticket list.
    pub fn ticket_line(
        &self,
        no: &Number,
        state: TicketState,
        category: Category,
        body: &str,
    ) -> String {
        self.ticket_line_noted(no, state, category, body, &[])
    }

    /// A ticket's line with `notes` beside its state: 「QS-DF-01#1 [处理中，延期待审批3天] …」.
    pub fn ticket_line_noted(
        &self,
        no: &Number,
        state: TicketState,
        category: Category,
        body: &str,
        notes: &[String],
    ) -> String {
        let short: String = body.chars().take(24).collect();
        let ellipsis = if body.chars().count() > 24 { "…" } else { "" };
        let mut state = self.state(state).to_string();
        for note in notes {
            state.push_str(say!(self, "，", ", "));
            state.push_str(note);
        }
        format!(
            "{no} [{state}] {} {short}{ellipsis}",
            self.category(category)
        )
    }

    pub fn status_heading(
        &self,
        no: &Number,
        state: TicketState,
        category: Category,
        assignee: &str,
    ) -> String {
        say!(
            self,
            format!(
                "{no} {}｜{}｜负责：{assignee}",
                self.state(state),
                self.category(category)
            ),
            format!(
                "{no} {} | {} | assigned to {assignee}",
                self.state(state),
                self.category(category)
            )
        )
    }

    pub fn event_kind(&self, kind: HistoryKind) -> &'static str {
        match kind {
            HistoryKind::Opened => say!(self, "受理", "opened"),
            HistoryKind::Claimed => say!(self, "接单", "claimed"),
            HistoryKind::Note => say!(self, "进展", "update"),
            HistoryKind::Resolved => say!(self, "办结", "resolved"),
            HistoryKind::Rated => say!(self, "评价", "rated"),
            HistoryKind::Closed => say!(self, "关闭", "closed"),
            HistoryKind::Reopened => say!(self, "重新打开", "reopened"),
            HistoryKind::Transferred => say!(self, "转派", "transferred"),
            HistoryKind::Dismissed => say!(self, "驳回", "dismissed"),
            HistoryKind::Cancelled => say!(self, "撤销", "withdrawn"),
            HistoryKind::Edited => say!(self, "修改", "edited"),
            HistoryKind::Linked => say!(self, "关联", "linked"),
            HistoryKind::CoReporter => say!(self, "同报", "also reported"),
            HistoryKind::Reminded => say!(self, "提醒", "reminded"),
            HistoryKind::Escalated => say!(self, "超时上报", "escalated"),
            HistoryKind::Urged => say!(self, "督办", "supervised"),
            HistoryKind::ClosedUnrated => say!(self, "未评价结案", "closed without rating"),
            HistoryKind::HandedOver => say!(self, "交接", "handed over"),
            HistoryKind::Photo => say!(self, "照片", "photo"),
            HistoryKind::Recategorized => say!(self, "改类", "recategorised"),
            HistoryKind::UrgencyChanged => say!(self, "改紧急程度", "urgency changed"),
            HistoryKind::Evidence => say!(self, "办结凭证", "evidence photo"),
            HistoryKind::ExtensionAsked => say!(self, "申请延期", "extension asked"),
            HistoryKind::ExtensionApproved => say!(self, "同意延期", "extension approved"),
            HistoryKind::ExtensionRefused => say!(self, "不同意延期", "extension refused"),
            HistoryKind::Relocated => say!(self, "补充地点", "place given"),
        }
    }
}

/// Texts of the understanding step: confirmation questions, co-reports, linked reports.
impl Texts {
    /// The status line counting a ticket's photos, `evidence` of them from staff (办结凭证).
    pub fn photo_count(&self, n: i64, evidence: i64) -> String {
        if evidence == 0 {
            return say!(self, format!("照片 {n} 张"), format!("{n} photo(s)"));
        }
        say!(
            self,
            format!("照片 {n} 张（其中办结凭证 {evidence} 张）"),
            format!("{n} photo(s), {evidence} of them evidence of the work")
        )
    }

    /// The card's line for the evidence photos staff attached.
    pub fn evidence_line(&self, n: i64) -> String {
        say!(
            self,
            format!("办结凭证：照片 {n} 张"),
            format!("Evidence: {n} photo(s)")
        )
    }

    /// 办结 refused for a category that needs a photo (`evidence.photo_required`).
    pub fn evidence_required(&self, no: &Number, category: &str) -> String {
        say!(
            self,
            format!(
                "{no} 属于「{category}」，办结需附现场照片：发照片时附上「办结 {no} 处理结果」，或先回复工单卡片发照片，再办结。"
            ),
            format!(
                "{no} is {category}: resolving it needs a photo of the work. Send the photo with \"/done {no} what was done\", or reply to the ticket's card with the photo first, then resolve."
            )
        )
    }

    /// Asked when the parser is unsure a message is a request.
    pub fn confirm_question(&self, buttons: bool) -> String {
        match (self.lang, buttons) {
            (Language::Zh, true) => {
                "这是需要处理的诉求吗？回复「是」或点确认；不是请回复「不是」。".to_string()
            }
            (Language::Zh, false) => {
                "这是需要处理的诉求吗？回复「是」或 1 确认；不是请回复「不是」或 0。".to_string()
            }
            (Language::En, true) => {
                "Is this a request for the grid to handle? Reply yes or press Confirm; otherwise reply no."
                    .to_string()
            }
            (Language::En, false) => {
                "Is this a request for the grid to handle? Reply yes (or 1) to confirm, no (or 0) if not."
                    .to_string()
            }
        }
    }

    pub fn button_confirm(&self) -> &'static str {
        say!(self, "确认", "Confirm")
    }

    pub fn button_decline(&self) -> &'static str {
        say!(self, "不是", "No")
    }

    /// The answer to "no, it is not a request".
    pub fn confirm_declined(&self) -> String {
        say!(
            self,
            "好的，这条不作为诉求处理。".to_string(),
            "All right: this is not taken as a request.".to_string()
        )
    }

    /// A confirm button pressed after its question expired (a toast for the presser only).
    pub fn confirm_expired(&self) -> String {
        say!(
            self,
            "这个确认已过期，如需处理请重新发送。".to_string(),
            "This question has expired; please send your request again.".to_string()
        )
    }

    /// "+1" / "我家也是" added the sender to ticket `no`.
    pub fn co_reported(&self, no: &Number) -> String {
        say!(
            self,
            format!("已记录：您也反映了 {no} 的问题，处理进展会一并告知。"),
            format!("Noted: you are affected by {no} too; you will hear of its progress.")
        )
    }

    /// A second report of an open ticket's problem was added to that ticket.
    /// The reporter's own next words about her open report, added to it.
    pub fn added_to_own_report(&self, no: &Number, category: Category, place: &str) -> String {
        say!(
            self,
            format!(
                "已补充到您反映的 {no}（{}），进展会一并告知。",
                self.category_at(category, place, "，")
            ),
            format!(
                "Added to your report {no} ({}); you will hear of its progress.",
                self.category_at(category, place, ", ")
            )
        )
    }

    /// Another resident's report of an open ticket's problem, added to it.
    pub fn linked_report(&self, no: &Number, category: Category, place: &str) -> String {
        say!(
            self,
            format!(
                "{no}（{}）已受理同一问题，您的反映已并入 {no}，进展会一并告知。",
                self.category_at(category, place, "，")
            ),
            format!(
                "{no} ({}) is already open for the same problem; your report was added to {no} and you will hear of its progress.",
                self.category_at(category, place, ", ")
            )
        )
    }

    /// A category and, when known, its place: "供水排水，7栋".
    fn category_at(&self, category: Category, place: &str, sep: &str) -> String {
        let cat = self.category(category);
        if place.is_empty() {
            cat.to_string()
        } else {
            format!("{cat}{sep}{place}")
        }
    }
}

/// Who serves a group: its grid by name, its leaders and deputies, and who covers for a leader
/// on leave today.
#[derive(Debug, Clone, Default)]
pub struct Serving {
    pub grid: String,
    pub leaders: Vec<String>,
    pub deputies: Vec<String>,
    pub covering: Option<String>,
    /// A village's or town's group: its coordinators, in place of a grid's leaders.
    pub coordinators: Vec<String>,
}

/// What a ticket card shows.
#[derive(Debug, Clone)]
pub struct Card<'a> {
    pub ticket: Number,
    pub category: Category,
    pub urgency: Urgency,
    pub location: Option<&'a str>,
    pub assignee: Option<&'a str>,
    /// Milliseconds within which the ticket will be claimed.
    pub claim_within: i64,
    /// The claim deadline spelled out, when deadlines count working time only.
    pub respond_by: Option<String>,
    pub linked_to: Option<Number>,
    /// Whether the platform shows buttons (else the card says what to type).
    pub buttons: bool,
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_urgent_report_quotes_the_words_once_punctuated() {
        let zh = Texts::new(Language::Zh);
        let no = Number::local("QS-DF-02", 1);
        let text = zh.urgent_report(
            &no,
            "二网格",
            "物业设施",
            "6栋电梯困了个人在里面！",
            "黄丽华",
        );
        assert!(text.contains("困了个人在里面。负责人"), "{text}");
        let long = "电梯困人".repeat(20);
        let text = zh.urgent_report(&no, "二网格", "物业设施", &long, "黄丽华");
        assert!(text.contains("…。负责人"), "{text}");
    }

    use super::*;

    #[test]
    fn card_names_number_category_place_leader_and_promise() {
        let zh = Texts::new(Language::Zh);
        let card = Card {
            ticket: Number::local("QS-DF-01", 42),
            category: Category::Lighting,
            urgency: Urgency::Normal,
            location: Some("3栋"),
            assignee: Some("张伟"),
            claim_within: 2 * 3_600_000,
            respond_by: None,
            linked_to: None,
            buttons: true,
        };
        let text = zh.card(&card);
        for part in ["#42", "路灯照明", "3栋", "@张伟", "2小时"] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        let en = Texts::new(Language::En).card(&Card {
            buttons: false,
            urgency: Urgency::Urgent,
            claim_within: 15 * 60_000,
            ..card
        });
        for part in ["#42", "Lighting", "15 minutes", "[URGENT]", "/claim #42"] {
            assert!(en.contains(part), "{en} lacks {part}");
        }
    }

    #[test]
    fn a_weekly_report_says_how_long_tickets_have_been_open() {
        let slowest = [(
            Number::qualified("QS-DF-02", 1),
            "安全隐患".to_string(),
            3 * 86_400_000,
        )];
        let zh = Texts::new(Language::Zh).weekly_report("…", &slowest);
        assert!(
            zh.ends_with("\n最久未办结：\nQS-DF-02#1 安全隐患 已受理3天"),
            "{zh}"
        );
        let en = Texts::new(Language::En).weekly_report("…", &slowest);
        assert!(en.ends_with("QS-DF-02#1 安全隐患, open 3 days"), "{en}");
    }

    #[test]
    fn durations_read_naturally() {
        let zh = Texts::new(Language::Zh);
        assert_eq!(zh.duration(3 * 86_400_000), "3天");
        assert_eq!(zh.duration(90 * 60_000), "90分钟");
        let en = Texts::new(Language::En);
        assert_eq!(en.duration(3_600_000), "1 hour");
        assert_eq!(en.duration(4 * 3_600_000), "4 hours");
    }
}
