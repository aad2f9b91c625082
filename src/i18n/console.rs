//! The coordinator console's words: page labels, headings, figures, letters and the login link
//! message. Labels are looked up by key ([`Texts::ui`]); sentences with values have methods.

use super::Texts;
use crate::config::Language;

/// `(key, 中文, English)`.
const LABELS: &[(&str, &str, &str)] = &[
    ("console", "网格治理控制台", "Grid console"),
    ("claim_late", "接单超时", "claimed late"),
    ("resolve_late", "办结超时", "resolved late"),
    ("list_sep", "、", ", "),
    ("delivery_pending", "待发送", "waiting"),
    ("delivery_held", "免打扰时段后发送", "after quiet hours"),
    ("delivery_sent", "已送达", "delivered"),
    ("delivery_parked", "发送失败", "failed"),
    ("overview", "概览", "Overview"),
    ("tree", "网格树", "Grid tree"),
    ("ledger", "台账", "Ledger"),
    ("report", "月度报告", "Monthly report"),
    ("logout", "退出登录", "Sign out"),
    ("signed_in_as", "当前用户", "Signed in as"),
    ("scope", "范围", "Scope"),
    ("node", "节点", "Node"),
    ("period", "时间段", "Period"),
    ("show", "查看", "Show"),
    ("filter", "筛选", "Filter"),
    ("reset", "清除筛选", "Clear filters"),
    ("all", "全部", "All"),
    ("from", "起始日期", "From"),
    ("to", "截止日期", "To"),
    ("category", "类别", "Category"),
    ("urgency", "紧急程度", "Urgency"),
    ("urgent", "紧急", "urgent"),
    ("normal", "一般", "normal"),
    ("state", "状态", "State"),
    ("overdue", "超时", "Overdue"),
    ("overdue_only", "只看当前超时", "Overdue now only"),
    ("rating", "评价", "Rating"),
    ("unrated", "未评价", "not rated"),
    ("text", "关键词", "Words"),
    ("sort", "排序", "Order"),
    ("newest", "最新在前", "Newest first"),
    ("oldest", "最早在前", "Oldest first"),
    ("next_page", "下一页", "Next page"),
    ("first_page", "第一页", "First page"),
    ("export_csv", "导出 CSV", "Export CSV"),
    ("export_xlsx", "导出 Excel", "Export Excel"),
    ("no", "编号", "No."),
    ("created", "上报时间", "Reported"),
    ("grid", "网格", "Grid"),
    ("place", "地点", "Place"),
    ("content", "内容", "Content"),
    ("assignee", "负责人", "Assignee"),
    ("reporter", "上报人", "Reporter"),
    ("claim_due", "接单时限", "Claim by"),
    ("resolve_due", "办结时限", "Resolve by"),
    ("claimed_at", "接单时间", "Claimed"),
    ("resolved_at", "办结时间", "Resolved"),
    ("first_response", "首次回复", "First response"),
    ("yes", "是", "yes"),
    ("none", "无", "none"),
    ("history", "办理记录", "History"),
    ("messages", "机器人发出的消息", "Messages the bot sent"),
    ("photos", "照片", "Photos"),
    ("extensions", "延期次数", "Extensions"),
    ("extension_requests", "延期申请", "Requests for more time"),
    ("asked_at", "申请时间", "Asked"),
    ("asked_by", "申请人", "Asked by"),
    ("days", "天数", "Days"),
    ("reason", "理由", "Reason"),
    ("decision", "审批", "Decision"),
    ("decided_by", "审批人", "Decided by"),
    ("due_change", "办结时限", "Resolve by"),
    ("ext_pending", "待审批", "pending"),
    ("ext_approved", "已同意", "approved"),
    ("ext_refused", "未同意", "refused"),
    ("evidence", "办结凭证", "evidence of the work"),
    ("actions", "操作", "Actions"),
    ("time", "时间", "Time"),
    ("actor", "操作人", "By"),
    ("event", "事项", "What"),
    ("detail", "说明", "Detail"),
    ("chat", "群聊", "Chat"),
    ("delivery", "发送状态", "Delivery"),
    ("urge", "督办", "Supervise (督办)"),
    (
        "urge_words",
        "督办意见（可不填）",
        "What to ask for (optional)",
    ),
    (
        "urge_hint",
        "在群里提醒负责人并记录在案",
        "Remind the assignee in the group, on the record",
    ),
    ("transfer", "转派", "Reassign"),
    (
        "transfer_to",
        "转派给（姓名或编号）",
        "Reassign to (name or code)",
    ),
    ("note", "添加进展", "Add a note"),
    ("dismiss", "驳回", "Dismiss"),
    ("change_category", "改类", "Change the category"),
    ("change_urgency", "紧急程度", "Change the urgency"),
    ("reason", "理由", "Reason"),
    ("submit", "提交", "Submit"),
    ("letter_ticket", "督办函", "Supervision letter"),
    ("letter_grid", "提示函", "Reminder letter"),
    ("print", "打印 / 存为 PDF", "Print / save as PDF"),
    ("received", "收到", "Received"),
    ("replied", "已回复", "Replied"),
    ("in_progress", "处理中", "In progress"),
    ("resolved", "已办结", "Resolved"),
    ("dismissed", "不予受理", "Dismissed"),
    ("escalated", "上报", "Escalated"),
    ("reopened", "重办", "Reopened"),
    ("satisfaction", "满意度", "Satisfaction"),
    ("on_time_claim", "及时签收率", "Claimed on time"),
    ("on_time_resolve", "按时办结率", "Resolved on time"),
    ("response_p50", "首次回复中位用时", "First response, median"),
    ("response_p90", "首次回复P90用时", "First response, p90"),
    ("resolution_p50", "办结中位用时", "Resolution, median"),
    ("resolution_p90", "办结P90用时", "Resolution, p90"),
    ("rank", "排名", "Rank"),
    ("children", "下级节点", "Nodes below"),
    ("worst_first", "问题多的在前", "Worst first"),
    (
        "chart_daily",
        "每日收到与办结",
        "Received and resolved per day",
    ),
    ("chart_category", "类别构成", "Requests by category"),
    ("chart_on_time", "按时率", "On-time rates"),
    (
        "chart_satisfaction",
        "满意度趋势（按周）",
        "Satisfaction by week",
    ),
    (
        "chart_times",
        "响应与办结用时",
        "Response and resolution times",
    ),
    ("unit_count", "件", "tickets"),
    ("unit_percent", "%", "%"),
    ("unit_minutes", "分钟", "minutes"),
    ("unit_hours", "小时", "hours"),
    ("p50", "中位数", "median"),
    ("p90", "P90", "p90"),
    ("first_response_short", "首次回复", "First response"),
    ("resolution_short", "办结", "Resolution"),
    ("period_month", "本月", "this month"),
    ("period_last_month", "上月", "last month"),
    ("period_quarter", "本季度", "this quarter"),
    ("period_year", "今年", "this year"),
    ("period_7d", "近7天", "last 7 days"),
    ("period_30d", "近30天", "last 30 days"),
    ("period_all", "全部", "all time"),
    ("claim_overdue", "超时签收", "Claimed late"),
    ("resolve_overdue", "超时办结", "Resolved late"),
    ("score", "综合得分", "Score"),
    (
        "chart_monthly",
        "每月收到与办结",
        "Received and resolved per month",
    ),
    (
        "chart_satisfaction_month",
        "满意度趋势（按月）",
        "Satisfaction by month",
    ),
    ("of_which_resolved", "其中已办结", "of which resolved"),
    (
        "not_found",
        "未找到，或不在您的管辖范围内。",
        "Not found, or outside your scope.",
    ),
    ("login_needed", "请登录", "Please sign in"),
    (
        "login_how",
        "请在与机器人的私聊中发送“控制台”（或 /console），点击收到的一次性链接登录。链接10分钟内有效，只能使用一次。",
        "Send /console (控制台) to the bot in a private chat and open the one-time link it sends. The link works once, within 10 minutes.",
    ),
    (
        "link_refused",
        "链接无效、已使用或已过期",
        "This link is invalid, used or expired",
    ),
    ("signed_out", "您已退出登录。", "You are signed out."),
    (
        "not_staff",
        "只有管理员、协调员和网格长可以使用控制台。",
        "Only admins, coordinators and grid leaders may use the console.",
    ),
    (
        "csrf_refused",
        "表单已失效，请返回刷新页面后重试。",
        "This form has expired: go back, reload the page and try again.",
    ),
    ("signing_in", "正在登录……", "Signing in…"),
    ("continue", "继续", "Continue"),
    ("issuer", "签发单位", "Issued by"),
    ("signature", "签发人：", "Signed:"),
    ("date", "日期", "Date"),
    ("deadline", "办理时限", "Deadline"),
    ("letter_to", "致", "To"),
    ("summary", "汇总", "Summary"),
    ("count", "件数", "Count"),
    ("share", "占比", "Share"),
    ("back", "返回", "Back"),
    ("open_ticket", "查看", "Open"),
    ("done", "已完成", "Done"),
    ("audit", "操作记录", "Audit log"),
    ("action", "操作", "Action"),
    ("overdue_list", "超时未办结诉求", "Tickets still overdue"),
    (
        "no_overdue",
        "当前没有超时诉求。",
        "No overdue tickets now.",
    ),
    ("open_console", "打开控制台", "Open the console"),
];

impl Texts {
    /// A console label by key (the key itself when unknown, so a missing label shows).
    pub fn ui(&self, key: &'static str) -> &'static str {
        LABELS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| match self.lang {
                Language::Zh => *zh,
                Language::En => *en,
            })
            .unwrap_or(key)
    }

    /// A role's name (管理员 / 协调员 / 网格长 …).
    pub fn role_name(&self, role: crate::domain::Role) -> &'static str {
        use crate::domain::Role;
        match role {
            Role::Admin => say!(self, "管理员", "admin"),
            Role::Coordinator => say!(self, "协调员", "coordinator"),
            Role::Leader => say!(self, "网格长", "grid leader"),
            Role::Deputy => say!(self, "副网格长", "deputy leader"),
            Role::Resident => say!(self, "居民", "resident"),
        }
    }

    /// Who is signed in: "周海涛（协调员）" / "周海涛 (coordinator)".
    pub fn signed_in(&self, name: &str, role: &str) -> String {
        say!(
            self,
            format!("{name}（{role}）"),
            format!("{name} ({role})")
        )
    }

    /// The `lang` attribute of console pages.
    pub fn html_lang(&self) -> &'static str {
        say!(self, "zh-CN", "en")
    }

    /// The private message carrying a one-time login link.
    pub fn console_link(&self, url: &str, minutes: i64) -> String {
        say!(
            self,
            format!("控制台登录链接（{minutes}分钟内有效，只能使用一次，请勿转发）：\n{url}"),
            format!(
                "Your console sign-in link (works once, within {minutes} minutes; do not forward it):\n{url}"
            )
        )
    }

    /// Asked in a group: the link goes only to a private chat.
    pub fn console_private_only(&self) -> String {
        say!(
            self,
            "控制台链接只在私聊中发送，请私聊机器人发送“控制台”。".to_string(),
            "The console link is only sent in a private chat: send /console to the bot privately."
                .to_string()
        )
    }

    /// The headline of a node and period, as offices write it.
    pub fn console_sentence(
        &self,
        node: &str,
        period: &str,
        received: i64,
        replied: i64,
        in_progress: i64,
        satisfaction: Option<f64>,
    ) -> String {
        let sat = satisfaction.map(|v| format!("{:.1}%", v * 100.0));
        match self.lang {
            Language::Zh => format!(
                "{node} {period}：收到群众诉求{received}件，已回复{replied}件，{in_progress}件正在处理中，满意度{}",
                sat.unwrap_or_else(|| "暂无评价".into())
            ),
            Language::En => format!(
                "{node}, {period}: {received} requests received, {replied} replied, {in_progress} in progress, satisfaction {}",
                sat.unwrap_or_else(|| "not yet rated".into())
            ),
        }
    }

    /// "2026年11月" / "November 2026".
    pub fn month_label(&self, year: i32, month: u32) -> String {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        say!(
            self,
            format!("{year}年{month}月"),
            format!(
                "{} {year}",
                EN.get(month.saturating_sub(1) as usize).unwrap_or(&"")
            )
        )
    }

    /// A date range label.
    pub fn range_label(&self, from: &str, to: &str) -> String {
        say!(self, format!("{from}至{to}"), format!("{from} to {to}"))
    }

    /// "第 3 页，共 50 条" style count of a ledger page.
    pub fn ledger_count(&self, shown: usize) -> String {
        say!(
            self,
            format!("本页 {shown} 条"),
            format!("{shown} on this page")
        )
    }

    /// The monthly report's title.
    pub fn report_title(&self, node: &str, period: &str) -> String {
        say!(
            self,
            format!("{node}{period}群众诉求办理情况报告"),
            format!("{node}: requests handled, {period}")
        )
    }

    /// A supervision letter's number: 督办〔2026〕第42号.
    pub fn letter_number(&self, kind_zh: &str, year: i32, no: &str) -> String {
        say!(
            self,
            format!("{kind_zh}〔{year}〕{no}号"),
            format!("No. {year}/{no}")
        )
    }

    /// The body of a supervision letter (督办函) about one ticket; `late` is whether it is past
    /// its deadline while being handled (`None`: no longer being handled).
    #[allow(clippy::too_many_arguments)]
    pub fn letter_ticket_body(
        &self,
        no: &str,
        reported: &str,
        grid: &str,
        place: &str,
        content: &str,
        state: &str,
        due: &str,
        late: Option<bool>,
    ) -> String {
        let (standing_zh, standing_en) = match late {
            Some(true) => (
                format!("已超过规定办理时限（{due}）。请按照“接诉即办”要求，立即组织办理"),
                format!(" and has missed its deadline ({due}). Please act on it at once"),
            ),
            Some(false) => (
                format!("规定办理时限为{due}。请按照“接诉即办”要求，抓紧组织办理"),
                format!(" and is due by {due}. Please see that it is handled promptly"),
            ),
            None => (
                "请核实办理情况".to_string(),
                ". Please check how it was handled".to_string(),
            ),
        };
        say!(
            self,
            format!(
                "{reported}，{grid}群众反映（诉求编号 {no}，地点：{place}）：“{content}”。该诉求目前状态为“{state}”，{standing_zh}，并于办理时限前将办理结果书面回复。"
            ),
            format!(
                "On {reported} a resident of {grid} reported (ticket {no}, place: {place}): \"{content}\". The ticket is {state}{standing_en}, and report the result in writing before the deadline below."
            )
        )
    }

    /// The body of a reminder letter (提示函) for a grid's overdue list.
    pub fn letter_grid_body(&self, grid: &str, count: usize) -> String {
        say!(
            self,
            format!(
                "截至目前，{grid}共有{count}件群众诉求超过规定办理时限，明细如下。请逐件落实责任人，限期办结，并将办理情况书面回复。"
            ),
            format!(
                "{grid} has {count} requests past their deadlines, listed below. Please name who answers for each, resolve them by the deadline and report in writing."
            )
        )
    }

    /// Salutation of a letter.
    pub fn letter_salutation(&self, to: &str) -> String {
        say!(self, format!("{to}："), format!("To {to}:"))
    }

    /// A console action the engine did not answer (nothing changed).
    pub fn console_action_done(&self, action: &str, no: &str) -> String {
        say!(
            self,
            format!("已提交：{action} {no}"),
            format!("Submitted: {action} {no}")
        )
    }
}

/// A ticket history line's detail as a reader of the console understands it. The history
/// stores some details as ids (`property urgent`, `claim village`, `7 <old> <new>`); those are
/// put into words, everything else (notes, reasons) is shown as written.
impl Texts {
    pub fn history_detail(
        &self,
        kind: crate::domain::HistoryKind,
        detail: &str,
        tz: chrono_tz::Tz,
        name_of: impl Fn(&str) -> String,
    ) -> String {
        use crate::domain::{Category, HistoryKind, Rating, Urgency};
        let category = |id: &str| id.parse::<Category>().ok().map(|c| self.category(c));
        let urgency = |id: &str| id.parse::<Urgency>().ok().map(|u| self.urgency(u));
        let deadline = |id: &str| match id {
            "claim" => Some(say!(self, "接单时限", "claim deadline")),
            "resolve" => Some(say!(self, "办结时限", "resolve deadline")),
            _ => None,
        };
        let words: Vec<&str> = detail.split_whitespace().collect();
        let put = match (kind, words.as_slice()) {
            (HistoryKind::Opened, [c, u]) => category(c)
                .zip(urgency(u))
                .map(|(c, u)| format!("{c} · {u}")),
            (HistoryKind::Recategorized, [old, new]) => category(old)
                .zip(category(new))
                .map(|(a, b)| format!("{a} → {b}")),
            (HistoryKind::UrgencyChanged, [old, new]) => urgency(old)
                .zip(urgency(new))
                .map(|(a, b)| format!("{a} → {b}")),
            (HistoryKind::Rated, [r]) => r.parse::<Rating>().ok().map(|r| self.rating(r).into()),
            (HistoryKind::Reminded, [d]) => {
                deadline(d).map(|d| say!(self, format!("{d}将到"), format!("{d} approaching")))
            }
            (HistoryKind::Escalated, [d, level]) => deadline(d).and_then(|d| {
                let to = match *level {
                    "village" => say!(self, "村级", "the village"),
                    "town" => say!(self, "镇级", "the town"),
                    _ => return None,
                };
                Some(say!(
                    self,
                    format!("超过{d}，上报{to}"),
                    format!("{d} missed, escalated to {to}")
                ))
            }),
            (HistoryKind::CoReporter, ["linked"]) => {
                Some(say!(self, "同一问题的后续消息", "a later message about it").into())
            }
            (HistoryKind::CoReporter, ["me_too"]) => {
                Some(say!(self, "附议（我也是）", "\"me too\"").into())
            }
            (HistoryKind::Transferred | HistoryKind::HandedOver, [who]) => Some(name_of(who)),
            (HistoryKind::ExtensionApproved, [days, old, new]) => {
                match (days.parse::<i64>(), old.parse::<i64>(), new.parse::<i64>()) {
                    (Ok(days), Ok(old), Ok(new)) => Some(say!(
                        self,
                        format!(
                            "延期{days}天，办结时限 {} → {}",
                            self.when(old, tz),
                            self.when(new, tz)
                        ),
                        format!(
                            "{days} more days, resolve deadline {} → {}",
                            self.when(old, tz),
                            self.when(new, tz)
                        )
                    )),
                    _ => None,
                }
            }
            (HistoryKind::ExtensionAsked, [days, ..]) => days.parse::<i64>().ok().map(|n| {
                let reason = detail.trim_start()[days.len()..].trim();
                match (reason.is_empty(), self.lang) {
                    (true, Language::Zh) => format!("申请延期{n}天"),
                    (false, Language::Zh) => format!("申请延期{n}天：{reason}"),
                    (true, Language::En) => format!("{n} more days asked"),
                    (false, Language::En) => format!("{n} more days asked: {reason}"),
                }
            }),
            // A file reference means nothing to a reader; the photo is shown above.
            (HistoryKind::Photo | HistoryKind::Evidence, _) => Some(String::new()),
            _ => None,
        };
        put.unwrap_or_else(|| detail.to_string())
    }
}

#[cfg(test)]
mod history_tests {
    use super::*;
    use crate::domain::HistoryKind;

    #[test]
    fn history_ids_are_put_into_words_and_notes_kept() {
        let tz = chrono_tz::Asia::Shanghai;
        let zh = Texts::new(Language::Zh);
        let en = Texts::new(Language::En);
        let name = |code: &str| format!("<{code}>");
        let d = |t: &Texts, k, s: &str| t.history_detail(k, s, tz, name);
        assert_eq!(
            d(&zh, HistoryKind::Opened, "property urgent"),
            "物业设施 · 紧急"
        );
        assert_eq!(d(&zh, HistoryKind::Reminded, "claim"), "接单时限将到");
        assert_eq!(
            d(&zh, HistoryKind::Escalated, "resolve town"),
            "超过办结时限，上报镇级"
        );
        assert_eq!(
            d(&en, HistoryKind::Escalated, "claim village"),
            "claim deadline missed, escalated to the village"
        );
        assert_eq!(
            d(&zh, HistoryKind::Recategorized, "lighting power"),
            "路灯照明 → 供电"
        );
        assert_eq!(d(&zh, HistoryKind::Transferred, "L2"), "<L2>");
        assert_eq!(d(&zh, HistoryKind::Rated, "unsatisfied"), "不满意");
        assert_eq!(d(&zh, HistoryKind::Photo, "AgADBAAD"), "");
        // Notes, and ids nothing knows, are shown as written.
        assert_eq!(d(&zh, HistoryKind::Note, "已联系电工"), "已联系电工");
        assert_eq!(d(&zh, HistoryKind::Opened, "外星人 紧急"), "外星人 紧急");
        assert_eq!(
            en.signed_in("周海涛", "coordinator"),
            "周海涛 (coordinator)"
        );
        assert_eq!(zh.signed_in("周海涛", "协调员"), "周海涛（协调员）");
    }
}
