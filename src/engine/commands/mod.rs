//! Chat commands: one file per command, and one line per command in the list below.
//!
//! A command's file holds all of it: its definition ([`Spec`]: its slash word and Chinese words,
//! who may use it, what it is about, whether it changes the roster, its help line and whether
//! the menu lists it), how its arguments are read ([`ChatCommand::read`]) and what it does
//! ([`ChatCommand::run`]). Its sentences are in i18n (its menu line and verb in
//! `i18n/commands.rs`, the answers beside the others). The list below is the only other place
//! that names it: it makes [`Name`] (the typed id the permission table, the help and the menus
//! use), [`Command`] (a command as written, with its arguments read) and the dispatch.
//!
//! Reading a text as a command is [`parse`] (`grammar.rs`); the pieces of argument reading
//! several commands share (ticket numbers, ratings, categories) are in `understand::command`.

mod grammar;

use crate::domain::Role;
use crate::domain::role::{Reach, Who};
use crate::i18n::Texts;
use crate::i18n::commands::{CommandWords, Named};
use crate::store::Tx;
use crate::understand::command::Problem;

use super::{Effects, Engine, Outcome, Scene};

pub use grammar::{Parsed, asked_in_words, loose, parse};

/// Makes [`Name`], [`Command`] and the dispatch from the list of commands:
/// `Variant => file::Type`, where `Type` is the command with its arguments read and implements
/// [`ChatCommand`]; the variant names it in [`Name`] and [`Command`].
macro_rules! commands {
    ($($variant:ident => $file:ident :: $ty:ident,)*) => {
        $(pub use $file::$ty;)*

        /// Every command by name: the typed id the engine, the permission table, the help and
        /// the menus use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Name {
            $($variant,)*
        }

        $(impl $ty {
            /// The command's name, for sentences about it.
            pub(in crate::engine) const NAME: Name = Name::$variant;
        })*

        impl Name {
            /// Every command, in the order the help lists them.
            pub const ALL: [Name; [$(Name::$variant,)*].len()] = [$(Name::$variant,)*];

            /// The command's definition.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(Name::$variant => &<$ty as ChatCommand>::SPEC,)*
                }
            }
        }

        /// A command as written, with its arguments read.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Command {
            $($variant($ty),)*
        }

        impl Command {
            pub fn name(&self) -> Name {
                match self {
                    $(Command::$variant(_) => <$ty>::NAME,)*
                }
            }

            /// Does what the command says, as the scene's sender: the notices for the chat.
            pub(in crate::engine) async fn run(
                self,
                engine: &Engine,
                tx: &mut Tx,
                fx: &mut Effects,
                scene: &Scene<'_>,
            ) -> Outcome {
                match self {
                    $(Command::$variant(c) => c.run(engine, tx, fx, scene).await,)*
                }
            }
        }

        /// Reads command `name`'s arguments from what follows its word.
        fn read(name: Name, word: &str, rest: &str) -> Result<Command, Problem> {
            match name {
                $(Name::$variant => <$ty as ChatCommand>::read(word, rest).map(Command::$variant),)*
            }
        }
    };
}

pub mod approve;
pub mod back;
pub mod bind;
pub mod cancel;
pub mod claim;
pub mod console;
pub mod contact;
pub mod dismiss;
pub mod done;
pub mod extend;
pub mod handover;
pub mod help;
pub mod leave;
pub mod list;
pub mod my;
pub mod note;
pub mod on_leave;
pub mod overdue;
pub mod rate;
pub mod recategorize;
pub mod reject;
pub mod report;
pub mod role;
pub mod stats;
pub mod status;
pub mod transfer;
pub mod unclaimed;
pub mod urge;
pub mod urgency;

// The registry: every command, in the order the help and the menus list them.
commands! {
    Report => report::Report,
    My => my::My,
    Status => status::Status,
    Cancel => cancel::Cancel,
    Rate => rate::Rate,
    Claim => claim::Claim,
    Note => note::Note,
    Done => done::Done,
    Transfer => transfer::Transfer,
    Dismiss => dismiss::Dismiss,
    Extend => extend::Extend,
    List => list::List,
    Leave => leave::Leave,
    Back => back::Back,
    Handover => handover::Handover,
    Stats => stats::Stats,
    Overdue => overdue::Overdue,
    Unclaimed => unclaimed::Unclaimed,
    Urge => urge::Urge,
    Approve => approve::Approve,
    Reject => reject::Reject,
    OnLeave => on_leave::OnLeave,
    Bind => bind::Bind,
    Role => role::SetRole,
    Console => console::Console,
    Contact => contact::Contact,
    Help => help::Help,
    Recategorize => recategorize::Recategorize,
    Urgency => urgency::SetUrgency,
}

/// One command: its definition, how its arguments are read, what it does.
pub(in crate::engine) trait ChatCommand: Sized {
    /// The command's definition.
    const SPEC: Spec;

    /// Reads the arguments from `rest`, what follows the command's `word` (the slash word
    /// without its `/`, or the Chinese word written). `rest` is trimmed.
    fn read(word: &str, rest: &str) -> Result<Self, Problem>;

    /// Does it, as the scene's sender, inside the event's transaction: the notices for the
    /// chat. The sender's permission is the command's to check, against [`Spec::who`].
    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome;
}

/// The reading of a command that takes nothing after its word (`/my`, `待办`, `销假`): the
/// command, or the problem of text after it.
fn bare<C>(rest: &str, command: C) -> Result<C, Problem> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(Problem::Trailing)
    }
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

/// One command's definition. Every field is written out in the command's file: a new command
/// cannot leave one to a default.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
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
    /// Who may use it: its row of the permission table.
    pub who: Who,
    pub about: About,
    /// Whether it changes the roster (bindings, roles, who is on duty): the engine forgets what
    /// it remembered of the roster before and after one.
    pub changes_roster: bool,
    /// Listed in the platform's command menu (Telegram's `/` list).
    pub menu: bool,
    /// The Chinese word alone, with nothing readable after it, is still answered with how to
    /// write it (otherwise it is ordinary speech: "完成了吗").
    pub told_when_bare: bool,
    /// Its Chinese words may also follow the ticket number: "#3 接单", "3号 查询".
    pub after_number: bool,
    /// Where its answer goes when it is asked in a group.
    pub answer: Answer,
    /// Its menu line and verb, from i18n.
    pub words_in: fn(&Texts) -> CommandWords,
}

/// Where a command's answer goes when staff ask it in a group (`engine/private.rs` acts on
/// it). Residents are always answered in place (with a refusal, for these commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// In the chat where it was asked.
    Here,
    /// It can show other grids' tickets or figures: it goes to the asker's private chat with
    /// one short line in the group ("已私信发送"), or, where the bot cannot write to the asker
    /// privately, it covers only the group's own grid. It stays in a coordinators' group (a
    /// grid with grids below it) when everything the asker oversees lies inside that group's
    /// grid.
    Private,
    /// As [`Answer::Private`], and it also stays in a residents' group when everything the
    /// asker oversees is that group's grid (a leader's own 待办 in their grid's group).
    PrivateUnlessOwnGrid,
    /// A key (a sign-in link): only ever in a private chat; asked in a group with no private
    /// chat to carry it, the asker is told to write to the bot privately first.
    PrivateOnly,
}

impl Name {
    /// Whether the command changes the roster ([`Spec::changes_roster`]).
    pub fn changes_roster(self) -> bool {
        self.spec().changes_roster
    }

    /// The slash form: `/claim`.
    pub fn slash(self) -> String {
        format!("/{}", self.spec().slash)
    }

    /// Its menu line and verb in the language of `texts`.
    pub fn words(self, texts: &Texts) -> CommandWords {
        (self.spec().words_in)(texts)
    }

    /// The command as sentences about it name it, in the language of `texts`.
    pub fn named(self, texts: &Texts) -> Named {
        let spec = self.spec();
        Named {
            slash: spec.slash,
            word: spec.words.first().copied().unwrap_or(spec.slash),
            example: spec.example,
            action: self.words(texts).action,
        }
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

    /// Every command is complete: a help line whose two forms are read back as the command,
    /// an example that is, a menu line and a verb in both languages, and words no other
    /// command uses. A command defined without them fails here.
    #[test]
    fn every_command_has_its_help_menu_and_texts() {
        use crate::config::Language;
        let (zh, en) = (Texts::new(Language::Zh), Texts::new(Language::En));
        let mut slash_words = std::collections::HashSet::new();
        let mut chinese_words = std::collections::HashSet::new();
        for name in Name::ALL {
            let spec = name.spec();
            let what = name.slash();
            assert!(
                !spec.slash.is_empty() && spec.slash.bytes().all(|b| b.is_ascii_lowercase()),
                "{what}: a slash word of a-z (Telegram's menu takes no other)"
            );
            for word in std::iter::once(&spec.slash).chain(spec.slash_aliases) {
                assert!(slash_words.insert(*word), "/{word} names two commands");
            }
            assert!(!spec.words.is_empty(), "{what}: no Chinese word");
            for word in spec.words {
                assert!(chinese_words.insert(*word), "{word} names two commands");
            }
            let (slash_form, chinese_form) = spec.usage;
            assert!(
                slash_form.starts_with(&what),
                "{what}: help line {slash_form:?}"
            );
            let read = |text: &str| match parse(text) {
                Parsed::Command(c) => Some(c.name()),
                _ => None,
            };
            assert_eq!(
                read(chinese_form),
                Some(name),
                "{what}: help {chinese_form:?}"
            );
            if spec.example.starts_with(&what) {
                assert_eq!(read(spec.example), Some(name), "{what}: example");
            } else {
                assert_eq!(spec.example, "/help", "{what}: example");
            }
            for texts in [zh, en] {
                let words = name.words(&texts);
                assert!(
                    !words.menu.trim().is_empty() && !words.action.trim().is_empty(),
                    "{what}: menu line or verb missing in {:?}",
                    texts.lang
                );
            }
            assert_ne!(
                name.words(&zh).menu,
                name.words(&en).menu,
                "{what}: menu line not translated"
            );
            // A command that acts on a ticket says what it does to it in its own verb.
            if spec.about == About::Ticket && spec.who != Who::TicketViewers {
                assert_ne!(
                    name.words(&en).action,
                    "changed",
                    "{what}: no verb for \"#42 cannot be … now\""
                );
            }
        }
    }
}
