//! Private answers (统计, 超时, 待办 … asked in a residents' group) and the channels escalations
//! reach: what `gridline doctor` and the start-up check say about a node with none.

use super::Texts;
use crate::config::Language;

impl Texts {
    /// The sandbox's name for a persona's private thread with the bot.
    pub fn sandbox_private_title(&self) -> &'static str {
        say!(self, "与 gridline 私聊", "Private chat with gridline")
    }

    /// The one line a residents' group sees when the answer went to the asker privately.
    pub fn sent_privately(&self, name: &str) -> String {
        say!(
            self,
            format!("已私信发送给 {name}。"),
            format!("Sent to {name} in a private chat.")
        )
    }

    /// Appended to an answer narrowed to the group's own grid because the asker cannot be
    /// written to privately.
    pub fn only_this_grid(&self, grid: &str) -> String {
        say!(
            self,
            format!(
                "（群里只显示本群网格「{grid}」的内容。私聊机器人发一条消息后，完整答复会私信给您。）"
            ),
            format!(
                "(In this group only this group's grid, {grid}, is shown. Write to the bot privately once and full answers will come to you there.)"
            )
        )
    }

    /// A supervisor's question in words about a job of another grid, asked in a group that
    /// must not see it: where to ask instead.
    pub fn ask_privately_about(&self, grid: &str) -> String {
        say!(
            self,
            format!("「{grid}」不是本群的网格，本群不显示它的诉求：请私聊机器人再问一次。"),
            format!(
                "{grid} is not this group's grid and its reports are not shown here: ask the bot in a private chat."
            )
        )
    }

    /// Said in a residents' group instead of an answer that only a private chat may carry
    /// (the console's sign-in link) when the asker cannot be written to privately.
    pub fn write_privately_first(&self) -> String {
        say!(
            self,
            "这条答复只能私信发送：请先私聊机器人（发送任意一条消息），再发一次。".to_string(),
            "This answer can only be sent in a private chat: write to the bot privately once, then ask again."
                .to_string()
        )
    }

    /// A grid level as coordinators say it: 村级, 镇级 … (the level id itself when unknown).
    pub fn level_label(&self, level: &str) -> String {
        match level {
            "town" => say!(self, "镇级", "Town"),
            "village" => say!(self, "村级", "Village"),
            "grid" => say!(self, "网格", "Grid"),
            "county" => say!(self, "县级", "County"),
            "street" => say!(self, "街道", "Street office"),
            other => other,
        }
        .to_string()
    }

    /// `gridline doctor`: a node that would receive escalations but has no channel.
    pub fn no_escalation_channel(&self, level: &str, name: &str, code: &str) -> String {
        let level = self.level_label(level);
        say!(
            self,
            format!("{level} {name}（{code}）：没有接收上报的渠道"),
            format!("{level} {name} ({code}): no channel receives its escalations")
        )
    }

    /// `gridline doctor`: what to do about the nodes listed.
    pub fn no_channel_hint(&self) -> &'static str {
        say!(
            self,
            "给这些节点绑定协调群（群里发“绑定 编号”或导入 group 行）、配置该级别的企业微信机器人（wecom.webhooks），或让其协调员私聊机器人一次。",
            "Bind a coordinators' group to each (send /bind CODE in the group or import a group row), configure a WeCom robot for its level (wecom.webhooks), or have its coordinator write to the bot privately once."
        )
    }

    /// `gridline doctor`: every node that receives escalations has a channel.
    pub fn every_node_has_a_channel(&self, nodes: usize) -> String {
        say!(
            self,
            format!("接收上报的 {nodes} 个节点都有渠道。"),
            format!("All {nodes} nodes that receive escalations have a channel.")
        )
    }
}
