//! Each chat command's own words: its line in the platform's command menu and, for a command
//! that acts on a ticket, the verb of "#42 cannot be … now". One method per command, named after
//! it; the command's definition (`engine::commands`) points at its method, so a command cannot
//! be defined without them.

use super::{Language, Texts};

/// A command's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandWords {
    /// Its entry in the platform's command menu (Telegram's `/` list).
    pub menu: &'static str,
    /// What it does to a ticket, for "#42 cannot be claimed now" and "只有…可以办结 #3"
    /// ("操作" / "changed" for a command that does nothing to a ticket).
    pub action: &'static str,
}

/// A command as sentences about it name it (from `engine::commands::Name::named`): "只有…可以
/// 办结 #3", "To use /claim, add the ticket number, e.g. /claim 42".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named {
    /// The slash word, without its `/`: `claim`.
    pub slash: &'static str,
    /// The preferred Chinese word: `接单`.
    pub word: &'static str,
    /// The example told when its arguments cannot be read: `/claim 42`.
    pub example: &'static str,
    /// Its verb in the configured language ([`CommandWords::action`]).
    pub action: &'static str,
}

type Both = [&'static str; 2];

impl Texts {
    /// `[Chinese, English]` pairs, picked by the configured language.
    fn command_words(&self, menu: Both, action: Option<Both>) -> CommandWords {
        let pick = |[zh, en]: Both| match self.lang {
            Language::Zh => zh,
            Language::En => en,
        };
        CommandWords {
            menu: pick(menu),
            action: pick(action.unwrap_or(["操作", "changed"])),
        }
    }

    pub fn report_command(&self) -> CommandWords {
        self.command_words(
            [
                "报事：/report 什么问题、在哪里",
                "Report a problem: /report what and where",
            ],
            None,
        )
    }

    pub fn my_command(&self) -> CommandWords {
        self.command_words(["我反映的诉求", "Tickets you reported"], None)
    }

    pub fn status_command(&self) -> CommandWords {
        self.command_words(
            ["查询进度：/status 42", "A ticket's state: /status 42"],
            Some(["查询", "looked up"]),
        )
    }

    pub fn cancel_command(&self) -> CommandWords {
        self.command_words(
            ["撤销：/cancel 42", "Withdraw your report: /cancel 42"],
            Some(["撤销", "withdrawn"]),
        )
    }

    pub fn rate_command(&self) -> CommandWords {
        self.command_words(
            [
                "评价：/rate 42 满意|一般|不满意",
                "Rate a result: /rate 42 good|ok|bad",
            ],
            Some(["评价", "rated"]),
        )
    }

    pub fn claim_command(&self) -> CommandWords {
        self.command_words(
            ["接单：/claim 42", "Take a ticket: /claim 42"],
            Some(["接单", "claimed"]),
        )
    }

    pub fn note_command(&self) -> CommandWords {
        self.command_words(
            ["进展：/note 42 内容", "Post progress: /note 42 text"],
            Some(["添加进展", "updated"]),
        )
    }

    pub fn done_command(&self) -> CommandWords {
        self.command_words(
            [
                "办结：/done 42 处理结果",
                "Resolve a ticket: /done 42 what was done",
            ],
            Some(["办结", "resolved"]),
        )
    }

    pub fn transfer_command(&self) -> CommandWords {
        self.command_words(
            ["转派：/transfer 42 @姓名", "Hand over: /transfer 42 @name"],
            Some(["转派", "transferred"]),
        )
    }

    pub fn dismiss_command(&self) -> CommandWords {
        self.command_words(
            ["驳回：/dismiss 42 理由", "Dismiss: /dismiss 42 reason"],
            Some(["驳回", "dismissed"]),
        )
    }

    pub fn list_command(&self) -> CommandWords {
        self.command_words(["我的待办", "Your to-do list"], None)
    }

    pub fn leave_command(&self) -> CommandWords {
        self.command_words(
            ["请假：/leave until 日期", "Go on leave: /leave until date"],
            None,
        )
    }

    pub fn back_command(&self) -> CommandWords {
        self.command_words(["销假", "Back from leave"], None)
    }

    pub fn handover_command(&self) -> CommandWords {
        self.command_words(["交接在办诉求", "Hand over your active tickets"], None)
    }

    pub fn stats_command(&self) -> CommandWords {
        self.command_words(
            [
                "统计：/stats 今天|7天|30天|全部",
                "Statistics: /stats today|7d|30d|all",
            ],
            None,
        )
    }

    pub fn overdue_command(&self) -> CommandWords {
        self.command_words(["超时未办", "Overdue tickets"], None)
    }

    pub fn unclaimed_command(&self) -> CommandWords {
        self.command_words(["尚未接单", "Not claimed yet"], None)
    }

    pub fn urge_command(&self) -> CommandWords {
        self.command_words(
            ["督办：/urge 42", "Supervise: /urge 42"],
            Some(["督办", "supervised"]),
        )
    }

    pub fn extend_command(&self) -> CommandWords {
        self.command_words(
            [
                "申请延期：/extend 42 3d 理由",
                "Ask for more time: /extend 42 3d reason",
            ],
            Some(["申请延期", "extended"]),
        )
    }

    pub fn approve_command(&self) -> CommandWords {
        self.command_words(
            ["同意延期：/approve 42", "Approve an extension: /approve 42"],
            Some(["审批延期", "approved for more time"]),
        )
    }

    pub fn reject_command(&self) -> CommandWords {
        self.command_words(
            [
                "不同意延期：/reject 42 理由",
                "Refuse an extension: /reject 42 reason",
            ],
            Some(["审批延期", "refused more time"]),
        )
    }

    pub fn on_leave_command(&self) -> CommandWords {
        self.command_words(["请假名单", "Who is on leave"], None)
    }

    pub fn bind_command(&self) -> CommandWords {
        self.command_words(
            ["绑定网格：/bind 网格编号", "Bind this group: /bind grid"],
            None,
        )
    }

    pub fn role_command(&self) -> CommandWords {
        self.command_words(
            [
                "设置角色：/role @姓名 角色",
                "Give a role: /role @name role",
            ],
            None,
        )
    }

    pub fn console_command(&self) -> CommandWords {
        self.command_words(
            [
                "控制台登录链接（私聊）",
                "A sign-in link to the web console (private chat)",
            ],
            None,
        )
    }

    pub fn contact_command(&self) -> CommandWords {
        self.command_words(["本群网格员", "Who serves this group"], None)
    }

    pub fn help_command(&self) -> CommandWords {
        self.command_words(["帮助", "What you may do here"], None)
    }

    pub fn recategorize_command(&self) -> CommandWords {
        self.command_words(
            [
                "改类：/recategorize 42 类别",
                "Correct the category: /recategorize 42 category",
            ],
            Some(["改类", "recategorised"]),
        )
    }

    pub fn urgency_command(&self) -> CommandWords {
        self.command_words(
            [
                "改为紧急/一般：/urgency 42 urgent|normal",
                "Correct the urgency: /urgency 42 urgent|normal",
            ],
            Some(["改紧急程度", "changed in urgency"]),
        )
    }
}
