//! The command menu Telegram shows when someone types `/`, registered with setMyCommands in
//! Chinese (people whose Telegram speaks Chinese) and English (everyone else).
//!
//! Telegram command names must be Latin (`[a-z0-9_]`), so the menu lists the slash forms; the
//! Chinese command words (接单, 办结 …) keep working as typed text. Which commands are listed is
//! part of each command's definition (`Spec::menu`); the descriptions come from i18n.

use teloxide::types::BotCommand;

use crate::config::Language;
use crate::engine::commands::Name;
use crate::i18n::Texts;

/// The menu in one language, in the help's order.
fn menu(lang: Language) -> Vec<BotCommand> {
    let texts = Texts::new(lang);
    Name::ALL
        .into_iter()
        .filter(|name| name.spec().menu)
        .map(|name| BotCommand::new(name.spec().slash, name.words(&texts).menu))
        .collect()
}

/// The menus to register: (Telegram `language_code`, commands). `None` is the default shown to
/// users whose language has no menu of its own; it follows `general.language`.
pub fn menus(default_chinese: bool) -> Vec<(Option<&'static str>, Vec<BotCommand>)> {
    let zh = menu(Language::Zh);
    let en = menu(Language::En);
    let default = if default_chinese {
        zh.clone()
    } else {
        en.clone()
    };
    vec![(None, default), (Some("zh"), zh), (Some("en"), en)]
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
        use crate::engine::commands::{Parsed, parse};
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
