//! Texts for deadlines, reminders, escalation, supervision, duty, rating follow-up and digests.

use chrono::TimeZone as _;

use super::Texts;
use crate::config::Language;
use crate::domain::{Number, Rating};

/// Which deadline a reminder or escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Claim,
    Resolve,
}

impl Texts {
    /// A local date and time: "11月25日 14:30" / "Nov 25 14:30".
    /// "07:00": a time later today or tomorrow, for quiet hours.
    pub fn clock_time(&self, at_ms: i64, tz: chrono_tz::Tz) -> String {
        tz.timestamp_millis_opt(at_ms)
            .single()
            .map(|local| local.format("%H:%M").to_string())
            .unwrap_or_default()
    }

    pub fn when(&self, at_ms: i64, tz: chrono_tz::Tz) -> String {
        let Some(local) = tz.timestamp_millis_opt(at_ms).single() else {
            return String::new();
        };
        say!(
            self,
            local.format("%-m月%-d日 %H:%M").to_string(),
            local.format("%b %-d %H:%M").to_string()
        )
    }

    /// A local date: "12月3日" / "Dec 3".
    pub fn day(&self, at_ms: i64, tz: chrono_tz::Tz) -> String {
        let Some(local) = tz.timestamp_millis_opt(at_ms).single() else {
            return String::new();
        };
        say!(
            self,
            local.format("%-m月%-d日").to_string(),
            local.format("%b %-d").to_string()
        )
    }

    fn level(&self, level: &str) -> &'static str {
        match level {
            "town" => say!(self, "镇级", "the town"),
            "village" => say!(self, "村级", "the village"),
            _ => say!(self, "上级", "the level above"),
        }
    }

    /// What on a to-do list waits on its reader beyond the ticket's state: the level it was
    /// escalated to, an extension asked for and not yet decided.
    pub fn todo_notes(&self, escalated: Option<&str>, extension_days: Option<i64>) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(level) = escalated {
            let level = self.level(level);
            notes.push(say!(
                self,
                format!("已上报{level}"),
                format!("escalated to {level}")
            ));
        }
        if let Some(days) = extension_days {
            notes.push(say!(
                self,
                format!("延期{days}天待审批"),
                format!("{days}-day extension awaiting approval")
            ));
        }
        notes
    }

    pub fn reminder(&self, no: &Number, who: &str, deadline: Deadline, by: &str) -> String {
        match deadline {
            Deadline::Claim => say!(
                self,
                format!("⏰ 提醒 @{who}：{no} 尚未接单，请在 {by} 前接单。"),
                format!("⏰ Reminder @{who}: {no} is not claimed yet; please claim it by {by}.")
            ),
            Deadline::Resolve => say!(
                self,
                format!("⏰ 提醒 @{who}：{no} 请在 {by} 前办结。"),
                format!("⏰ Reminder @{who}: {no} is due to be resolved by {by}.")
            ),
        }
    }

    /// In the ticket's group: the card's status line after a missed deadline.
    pub fn escalated(&self, no: &Number, deadline: Deadline, level: &str) -> String {
        let level = self.level(level);
        match deadline {
            Deadline::Claim => say!(
                self,
                format!("{no} 已超时，已上报{level}（超过接单时限仍未接单）。"),
                format!("{no} is overdue and was escalated to {level} (not claimed in time).")
            ),
            Deadline::Resolve => say!(
                self,
                format!("{no} 已超时，已上报{level}（超过办结时限仍未办结）。"),
                format!("{no} is overdue and was escalated to {level} (not resolved in time).")
            ),
        }
    }

    /// To the coordinators: what was missed, where, and by whom.
    pub fn escalation_report(
        &self,
        no: &Number,
        deadline: Deadline,
        grid: &str,
        category: &str,
        assignee: &str,
    ) -> String {
        let what = match deadline {
            Deadline::Claim => say!(self, "超过接单时限未接单", "was not claimed in time"),
            Deadline::Resolve => say!(self, "超过办结时限未办结", "was not resolved in time"),
        };
        say!(
            self,
            format!(
                "【超时上报】{no}（{grid}，{category}）{what}，负责人：{assignee}。督办请发送「督办 {no}」。"
            ),
            format!(
                "[Escalation] {no} ({grid}, {category}) {what}; assigned to {assignee}. To supervise, send \"/urge {no}\"."
            )
        )
    }

    /// To the coordinators: a resident reopened a resolved ticket.
    /// Under an urgent card: the deputies called beside the leader.
    pub fn also_called(&self, names: &[&str]) -> String {
        let at: Vec<String> = names.iter().map(|n| format!("@{n}")).collect();
        say!(
            self,
            format!("同时通知：{}", at.join(" ")),
            format!("Also called: {}", at.join(" "))
        )
    }

    /// To the village coordinators, at once, for an urgent ticket.
    pub fn urgent_report(
        &self,
        no: &Number,
        grid: &str,
        category: &str,
        body: &str,
        assignee: &str,
    ) -> String {
        // The resident's words, cut at 60 characters, without their own closing mark: the
        // sentence adds its own ("困了个人在里面！。" read as a typo).
        let body = body
            .trim()
            .trim_end_matches(['。', '！', '？', '!', '?', '.', '~', '～', '…']);
        let mut short: String = body.chars().take(60).collect();
        if body.chars().nth(60).is_some() {
            short.push('…');
        }
        say!(
            self,
            format!(
                "【紧急】{no}（{grid}，{category}）：{short}。负责人：{assignee}，已同时通知副网格长。"
            ),
            format!(
                "[URGENT] {no} ({grid}, {category}): {short}. Assigned to {assignee}; the deputies were told too."
            )
        )
    }

    pub fn reopen_report(&self, no: &Number, grid: &str, category: &str, assignee: &str) -> String {
        say!(
            self,
            format!(
                "【退回重办】{no}（{grid}，{category}）居民反馈未解决，已重新打开，负责人：{assignee}。"
            ),
            format!(
                "[Reopened] {no} ({grid}, {category}): the resident says it is not fixed; assigned to {assignee}."
            )
        )
    }

    /// The reminder in the ticket's group; `note` is what the supervisor wrote with it.
    pub fn urged(&self, no: &Number, by: &str, assignee: &str, note: &str) -> String {
        match note {
            "" => say!(
                self,
                format!("【督办】{by} 督办 {no}，请 @{assignee} 尽快处理并回复进展。"),
                format!(
                    "[Supervision] {by} is following up {no}: @{assignee} please act on it and post an update."
                )
            ),
            note => say!(
                self,
                format!("【督办】{by} 督办 {no}：{note}\n请 @{assignee} 尽快处理并回复进展。"),
                format!(
                    "[Supervision] {by} is following up {no}: {note}\n@{assignee} please act on it and post an update."
                )
            ),
        }
    }

    /// The supervisor's answer; `held_until` says when a reminder held by quiet hours goes out.
    pub fn urge_recorded(&self, no: &Number, held_until: Option<&str>) -> String {
        match held_until {
            None => say!(
                self,
                format!("已督办 {no}，已提醒负责人。"),
                format!("Follow-up on {no} recorded; the assignee was reminded.")
            ),
            Some(at) => say!(
                self,
                format!("已督办 {no}，提醒将于 {at} 发出（免打扰时段）。"),
                format!("Follow-up on {no} recorded; the reminder goes out at {at} (quiet hours).")
            ),
        }
    }

    pub fn on_leave(&self, name: &str, until: &str, active: usize) -> String {
        let handover = if active > 0 {
            say!(
                self,
                format!("您还有 {active} 件在办诉求，发送「交接」可交给同事。"),
                format!(
                    "You still have {active} active tickets; send \"/handover\" to pass them on."
                )
            )
        } else {
            String::new()
        };
        say!(
            self,
            format!("{name} 请假至 {until}（含），期间新诉求由副网格长处理。{handover}"),
            format!(
                "{name} is on leave until {until} (inclusive); new tickets go to the deputies meanwhile. {handover}"
            )
        )
    }

    pub fn leave_in_past(&self) -> String {
        say!(
            self,
            "请假结束日期已过，请写今天或以后的日期，例如「请假 至 12月3日」。".to_string(),
            "That day has passed; give today or a later day, e.g. \"/leave until 2026-12-03\"."
                .to_string()
        )
    }

    pub fn back(&self, name: &str) -> String {
        say!(
            self,
            format!("{name} 已销假，新诉求恢复由本人处理。"),
            format!("{name} is back from leave and receives new tickets again.")
        )
    }

    pub fn not_on_leave(&self) -> String {
        say!(
            self,
            "您当前没有请假。".to_string(),
            "You are not on leave.".to_string()
        )
    }

    pub fn handed_over(&self, to: &str, tickets: &[Number]) -> String {
        let list: Vec<String> = tickets.iter().map(Number::to_string).collect();
        say!(
            self,
            format!(
                "已将 {} 件在办诉求交接给 @{to}：{}",
                tickets.len(),
                list.join(" ")
            ),
            format!(
                "Handed {} active tickets to @{to}: {}",
                tickets.len(),
                list.join(" ")
            )
        )
    }

    pub fn nothing_to_hand_over(&self) -> String {
        say!(
            self,
            "您没有在办的诉求，无需交接。".to_string(),
            "You have no active tickets to hand over.".to_string()
        )
    }

    pub fn no_colleague(&self) -> String {
        say!(
            self,
            "本网格没有在岗的同事可以接手，请写明交给谁，例如「交接 @刘洋」。".to_string(),
            "No colleague on duty in this grid; name the person, e.g. \"/handover @Liu\"."
                .to_string()
        )
    }

    pub fn heading_on_leave(&self) -> &'static str {
        say!(self, "请假人员：", "On leave:")
    }

    pub fn absence_line(&self, name: &str, grid: &str, until: &str) -> String {
        say!(
            self,
            format!("{name}（{grid}）至 {until}"),
            format!("{name} ({grid}) until {until}")
        )
    }

    pub fn closed_unrated(&self, no: &Number) -> String {
        say!(
            self,
            format!("{no} 超过评价期限未收到评价，已结案（未评价）。"),
            format!("{no} was closed without a rating: no answer within the rating period.")
        )
    }

    /// To the co-reporters of a resolved ticket: each of them may rate once, until `until`.
    pub fn rate_prompt_co_reporters(&self, no: &Number, who: &[&str], until: &str) -> String {
        let who: Vec<String> = who.iter().map(|n| format!("@{n}")).collect();
        let who = who.join(" ");
        say!(
            self,
            format!(
                "{who} 您也反映过 {no}，请评价处理结果：回复「评价 {no} 满意/一般/不满意」（{until}前有效，每人一次）。"
            ),
            format!(
                "{who} you reported {no} too; please rate the result: \"/rate {no} satisfied|neutral|unsatisfied\" (once each, until {until})."
            )
        )
    }

    /// Someone who already rated this resolution rates again.
    pub fn already_rated(&self, no: &Number, when: &str, rating: Rating) -> String {
        say!(
            self,
            format!(
                "您已于 {when} 评价过 {no}（{}），每人评价一次。",
                self.rating(rating)
            ),
            format!(
                "You rated {no} at {when} ({}); everyone rates once.",
                self.rating(rating)
            )
        )
    }

    /// A rating after the rating window of the latest resolution ended.
    pub fn rating_window_over(&self, no: &Number, ended: &str) -> String {
        say!(
            self,
            format!("{no} 的评价已于 {ended} 截止，不能再评价。"),
            format!("Rating {no} closed at {ended}; it can no longer be rated.")
        )
    }

    /// A 不满意 from a co-reporter after the ticket was closed by another's rating: counted,
    /// and passed on to the assignee.
    pub fn rated_unsatisfied_after_close(&self, no: &Number, by: &str, assignee: &str) -> String {
        let to = if assignee.is_empty() {
            String::new()
        } else {
            say!(
                self,
                format!("，已转告 @{assignee}"),
                format!("; @{assignee} has been told")
            )
        };
        say!(
            self,
            format!(
                "{no} 收到 {by} 的评价：{}{to}。感谢反馈！",
                self.rating(Rating::Unsatisfied)
            ),
            format!(
                "{no} rated {} by {by}{to}. Thank you!",
                self.rating(Rating::Unsatisfied)
            )
        )
    }

    // ---- extensions (延期) ---------------------------------------------------------------

    /// The answer to the handler who asked for more time.
    /// `held_until`: when the request goes out, if quiet hours hold it.
    pub fn extension_asked(
        &self,
        no: &Number,
        days: i64,
        village: &str,
        held_until: Option<&str>,
    ) -> String {
        let sent = match held_until {
            None => String::new(),
            Some(at) => say!(
                self,
                format!("申请将于 {at} 发出（免打扰时段），"),
                format!(" The request goes out at {at} (quiet hours).")
            ),
        };
        say!(
            self,
            format!(
                "已提交 {no} 延期 {days} 天的申请，{sent}等待{village}协调员审批；审批前办结时限不变。"
            ),
            format!(
                "Asked to extend {no} by {days} day(s); waiting for {village}'s coordinator.{sent} The deadline stays until then."
            )
        )
    }

    /// A coordinator who asked for more time does not decide the request too.
    pub fn extension_own_request(&self, no: &Number) -> String {
        say!(
            self,
            format!("{no} 的延期申请是您提交的，请由其他上级协调员审批。"),
            format!("You asked to extend {no}; another coordinator above decides it.")
        )
    }

    /// The card's line after an approved extension: the deadline it has now.
    pub fn card_extended_due(&self, due: &str, times: i64) -> String {
        say!(
            self,
            format!("办结时限：{due}（已延期 {times} 次）"),
            format!("Due: {due} (extended {times}×)")
        )
    }

    /// A deadline already missed, as a request for more time shows it: 「12月7日 18:32（已超时）」.
    pub fn due_missed(&self, due: &str) -> String {
        say!(self, format!("{due}（已超时）"), format!("{due} (missed)"))
    }

    /// To the village coordinators: a request to decide, with how to answer.
    #[allow(clippy::too_many_arguments)]
    pub fn extension_request(
        &self,
        no: &Number,
        grid: &str,
        who: &str,
        days: i64,
        reason: &str,
        due: &str,
        nth: i64,
        buttons: bool,
    ) -> String {
        let how = if buttons {
            say!(self, "点下方按钮，或回复", "tap a button, or reply")
        } else {
            say!(self, "请回复", "reply")
        };
        say!(
            self,
            format!(
                "【延期申请】{no}（{grid}）{who} 申请延期 {days} 天（第 {nth} 次），理由：{reason}。当前办结时限：{due}。\n{how}「同意延期 {no}」或「不同意延期 {no} 理由」。"
            ),
            format!(
                "[Extension] {no} ({grid}): {who} asks for {days} more day(s) (request {nth}), because: {reason}. Due now: {due}.\n{how} \"/approve {no}\" or \"/reject {no} reason\"."
            )
        )
    }

    pub fn button_approve(&self) -> &'static str {
        say!(self, "同意延期", "Approve")
    }

    pub fn button_reject(&self) -> &'static str {
        say!(self, "不同意", "Refuse")
    }

    /// An approval, told in the ticket's group and to the coordinator.
    pub fn extension_approved(&self, no: &Number, days: i64, by: &str, due: &str) -> String {
        say!(
            self,
            format!("{no} 延期 {days} 天已由 {by} 同意，新的办结时限：{due}。"),
            format!("{by} approved extending {no} by {days} day(s); now due {due}.")
        )
    }

    /// A refusal, told in the ticket's group and to the coordinator.
    pub fn extension_refused(&self, no: &Number, by: &str, note: &str, due: &str) -> String {
        let why = if note.is_empty() {
            String::new()
        } else {
            say!(self, format!("（{note}）"), format!(" ({note})"))
        };
        say!(
            self,
            format!("{no} 的延期申请未获 {by} 同意{why}，办结时限不变：{due}。"),
            format!("{by} refused to extend {no}{why}; it is still due {due}.")
        )
    }

    /// No more extensions for this ticket.
    pub fn extension_no_more(&self, no: &Number, max: u32) -> String {
        say!(
            self,
            format!("{no} 已延期 {max} 次，不能再申请延期（每件最多 {max} 次）。"),
            format!("{no} was extended {max} times already, the most a ticket may be.")
        )
    }

    /// More days than one extension may give.
    pub fn extension_too_long(&self, max_days: u32) -> String {
        say!(
            self,
            format!("一次最多延期 {max_days} 天。"),
            format!("One extension gives at most {max_days} days.")
        )
    }

    /// A request is already waiting.
    pub fn extension_pending(&self, no: &Number, who: &str, days: i64, when: &str) -> String {
        say!(
            self,
            format!("{no} 已有延期申请等待审批（{who} 于 {when} 申请 {days} 天）。"),
            format!(
                "{no} already has a request waiting ({who} asked for {days} day(s) at {when})."
            )
        )
    }

    /// Nothing to decide.
    pub fn extension_none_pending(&self, no: &Number) -> String {
        say!(
            self,
            format!("{no} 没有待审批的延期申请。"),
            format!("{no} has no extension request waiting.")
        )
    }

    /// The daily group summary: counts only, no names or numbers of people.
    pub fn daily_digest(&self, day: &str, created: i64, resolved: i64, open: i64) -> String {
        say!(
            self,
            format!(
                "📋 {day}小结：新增诉求 {created} 件，办结 {resolved} 件，仍在处理 {open} 件。"
            ),
            format!("📋 Summary for {day}: {created} new, {resolved} resolved, {open} still open.")
        )
    }

    /// The period a weekly report covers: "近7天" / "last 7 days".
    pub fn last_seven_days(&self) -> &'static str {
        say!(self, "近7天", "last 7 days")
    }

    /// A weekly report around `body`, the statistics as rendered for the period.
    pub fn weekly_report(&self, body: &str, slowest: &[(Number, String, i64)]) -> String {
        let mut text = say!(
            self,
            format!("📊 周报\n{body}"),
            format!("📊 Weekly report\n{body}")
        );
        if !slowest.is_empty() {
            text.push_str(say!(self, "\n最久未办结：", "\nLongest open:"));
            for (no, category, age) in slowest {
                let age = self.duration(*age);
                text.push_str(&say!(
                    self,
                    format!("\n{no} {category} 已受理{age}"),
                    format!("\n{no} {category}, open {age}")
                ));
            }
        }
        text
    }
}
