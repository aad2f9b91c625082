//! The command menu Telegram shows when someone types `/`, registered with setMyCommands in
//! Chinese (people whose Telegram speaks Chinese) and English (everyone else).
//!
//! Telegram command names must be Latin (`[a-z0-9_]`), so the menu lists the slash forms; the
//! Chinese command words (接单, 办结 …) keep working as typed text. The two enums list the same
//! commands in the same order (a test checks it); their doc comments are the descriptions.

use teloxide::types::BotCommand;
use teloxide::utils::command::BotCommands;

/// English descriptions.
#[derive(BotCommands, Clone)]
#[command(rename_rule = "lowercase")]
pub enum MenuEn {
    /// Report a problem: /report what and where
    Report,
    /// Take a ticket: /claim 42
    Claim,
    /// Post progress: /note 42 text
    Note,
    /// Resolve a ticket: /done 42 what was done
    Done,
    /// Your to-do list
    List,
    /// Tickets you reported
    My,
    /// A ticket's state: /status 42
    Status,
    /// Rate a result: /rate 42 good|ok|bad
    Rate,
    /// Statistics: /stats today|7d|30d|all
    Stats,
    /// Overdue tickets
    Overdue,
    /// What you may do here
    Help,
}

/// 中文说明。
#[derive(BotCommands, Clone)]
#[command(rename_rule = "lowercase")]
pub enum MenuZh {
    /// 报事：/report 什么问题、在哪里
    Report,
    /// 接单：/claim 42
    Claim,
    /// 进展：/note 42 内容
    Note,
    /// 办结：/done 42 处理结果
    Done,
    /// 我的待办
    List,
    /// 我反映的诉求
    My,
    /// 查询进度：/status 42
    Status,
    /// 评价：/rate 42 满意|一般|不满意
    Rate,
    /// 统计：/stats 今天|7天|30天|全部
    Stats,
    /// 超时未办
    Overdue,
    /// 帮助
    Help,
}

/// The menus to register: (Telegram `language_code`, commands). `None` is the default shown to
/// users whose language has no menu of its own; it follows `general.language`.
pub fn menus(default_chinese: bool) -> Vec<(Option<&'static str>, Vec<BotCommand>)> {
    let zh = bare(MenuZh::bot_commands());
    let en = bare(MenuEn::bot_commands());
    let default = if default_chinese {
        zh.clone()
    } else {
        en.clone()
    };
    vec![(None, default), (Some("zh"), zh), (Some("en"), en)]
}

/// The derive names commands with their `/`; the Bot API wants the bare name.
fn bare(commands: Vec<BotCommand>) -> Vec<BotCommand> {
    commands
        .into_iter()
        .map(|c| BotCommand::new(c.command.trim_start_matches('/'), c.description))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_list_the_same_commands() {
        let names = |cmds: &[BotCommand]| -> Vec<String> {
            cmds.iter().map(|c| c.command.clone()).collect()
        };
        let all = menus(true);
        let en = names(&all[2].1);
        let zh = names(&all[1].1);
        assert_eq!(en, zh);
        assert!(en.iter().any(|c| c == "claim"));
        // setMyCommands rejects names that are not 1-32 of [a-z0-9_] and descriptions of more
        // than 256 characters.
        for (_, cmds) in menus(true) {
            for c in cmds {
                let name = c.command.as_str();
                assert!(
                    (1..=32).contains(&name.len())
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{name}"
                );
                assert!((1..=256).contains(&c.description.chars().count()));
            }
        }
    }

    #[test]
    fn every_menu_command_is_a_gridline_command() {
        use crate::understand::command::{Parsed, parse};
        for (_, commands) in menus(true) {
            for c in commands {
                let text = format!("/{} 1 满意", c.command);
                assert!(
                    !matches!(parse(&text), Parsed::NotCommand | Parsed::Unknown(_)),
                    "{text} is not a gridline command"
                );
            }
        }
    }
}
