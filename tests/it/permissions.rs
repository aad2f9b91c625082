//! The permission matrix: every command × every role × the sender's own grid and another grid
//! × a group and a private chat, through the running engine, asserted against the one table in
//! the code (`Name::permitted`, from each command's `Who`); and the README's command table
//! checked against the same table. Nothing here names a command: each is written from its own
//! definition (its `Spec::example`, see [`written`]), so a new command is in the matrix as soon
//! as it is in the list.

use gridline::config::Language;
use gridline::domain::role::{Reach, Who};
use gridline::domain::{Role, TicketRef};
use gridline::engine::commands::{About, Answer, Name, Parsed, parse};
use gridline::i18n::Texts;

use crate::support::{Db, TestApp, seed, spawn_app};

/// Two villages: the senders hold their roles in 一网格 (T1-V1-G1, group g1); 三网格 (T1-V2-G3,
/// group g3) is another grid, outside the coordinator's village too. The tickets are reported
/// by residents who send no command, so no sender is a reporter.
const ROSTER: &str = "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
grid,T1-V2,西门村,T1,village,,,
grid,T1-V2-G3,西门三网格,T1-V2,grid,,,
group,,东门一网格群,T1-V1-G1,,memory,g1,
group,,西门三网格群,T1-V2-G3,,memory,g3,
person,L1,张伟,T1-V1-G1,,memory,leader1,leader
person,D1,刘洋,T1-V1-G1,,memory,deputy1,deputy
person,C1,陈静,T1-V1,,memory,coord1,coordinator
person,R1,王芳,T1-V1-G1,,memory,res1,resident
person,A1,赵敏,,,memory,admin1,admin
person,L3,李强,T1-V2-G3,,memory,leader3,leader
person,R9,孙丽,T1-V1-G1,,memory,res9,resident
person,R8,周杰,T1-V2-G3,,memory,res8,resident
person,P9,吴磊,T1-V1-G1,,memory,p9,resident
";

const ROLES: [Role; 5] = [
    Role::Resident,
    Role::Deputy,
    Role::Leader,
    Role::Coordinator,
    Role::Admin,
];

/// The sender holding each role (user id, name), all on 一网格 or above it.
fn sender(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Resident => ("res1", "王芳"),
        Role::Leader => ("leader1", "张伟"),
        Role::Deputy => ("deputy1", "刘洋"),
        Role::Coordinator => ("coord1", "陈静"),
        Role::Admin => ("admin1", "赵敏"),
    }
}

/// Where a cell's command is sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chat {
    /// A bound group: the sender's own grid's, or the other grid's for a command about the
    /// group it is sent in (`/bind`).
    Group,
    /// The sender's private chat with the bot.
    Private,
}

/// What one cell of the matrix is about: the grid at its reach and what lies there.
struct Cell {
    grid: &'static str,
    /// The ticket acted on, and a second one of the same grid, in the form read from any chat.
    ticket: &'static str,
    second: &'static str,
    /// A leader or deputy there to hand a ticket to.
    colleague: &'static str,
}

fn cell(reach: Reach) -> Cell {
    match reach {
        Reach::Own => Cell {
            grid: "T1-V1-G1",
            ticket: "T1-V1-G1#1",
            second: "T1-V1-G1#2",
            colleague: "@刘洋",
        },
        Reach::Other => Cell {
            grid: "T1-V2-G3",
            ticket: "T1-V2-G3#1",
            second: "T1-V2-G3#2",
            colleague: "@李强",
        },
    }
}

/// The command as the matrix writes it: its definition's example (`Spec::example`) with the
/// example's placeholders standing for the cell's (ticket `42`, a second ticket `7`, grid
/// `T01-V01-G01`, `@王芳` someone to give a role, `@李强` a colleague), or its bare slash form
/// when it takes nothing (its example is `/help`). A command about a grid whose example names
/// none is asked about the cell's grid by naming it last, as `/stats` reads it.
fn written(name: Name, cell: &Cell) -> String {
    let spec = name.spec();
    if !spec.example.starts_with(&name.slash()) {
        return name.slash();
    }
    let mut text = spec
        .example
        .split(' ')
        .map(|word| match word {
            "42" => cell.ticket,
            "7" => cell.second,
            "T01-V01-G01" => cell.grid,
            "@王芳" => "@吴磊",
            "@李强" => cell.colleague,
            word => word,
        })
        .collect::<Vec<_>>()
        .join(" ");
    if spec.about == About::Grid && !text.contains(cell.grid) {
        text = format!("{text} {}", cell.grid);
    }
    let about_it = match spec.about {
        About::Ticket => text.contains(cell.ticket),
        About::Grid | About::Group => text.contains(cell.grid),
        About::Nothing => true,
    };
    let read_back = matches!(parse(&text), Parsed::Command(c) if c.name() == name);
    assert!(
        about_it && read_back,
        "{}: the matrix cannot write it from its example {:?} (got {text:?}); write the example \
         with the placeholders `42` (the ticket), `T01-V01-G01` (the grid), `@王芳`, `@李强`",
        name.slash(),
        spec.example
    );
    text
}

/// The chat a cell's command is sent in: a command about a group in the group at its reach,
/// every other one in the sender's own group; or the sender's private chat.
fn chat_of(name: Name, reach: Reach, chat: Chat, user: &str) -> String {
    match (chat, name.spec().about, reach) {
        (Chat::Private, _, _) => format!("p-{user}"),
        (Chat::Group, About::Group, Reach::Other) => "g3".into(),
        (Chat::Group, _, _) => "g1".into(),
    }
}

/// What the table says `role` gets from `name` at `reach` sent in `chat`.
fn expected(name: Name, role: Role, reach: Reach, chat: Chat) -> bool {
    let spec = name.spec();
    let table = name.permitted(role, reach);
    match chat {
        // Nobody writes from the ticket's group in a private chat: only staff over the
        // ticket's grid see it there (its reporters send nothing here).
        Chat::Private if spec.who == Who::TicketViewers => table && role.is_staff(),
        Chat::Private => table,
        Chat::Group => match spec.answer {
            Answer::Here => table,
            // Staff asking in a group where no private chat can carry the answer are answered
            // about the group's own grid only (tests/it/reach.rs): another grid is refused.
            Answer::Private | Answer::PrivateUnlessOwnGrid | Answer::PrivateOnly => {
                table && (reach == Reach::Own || spec.about == About::Nothing)
            }
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_do_what_the_table_says_and_nothing_else() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(&app, ROSTER).await;
    for (chat, user, name) in [("g1", "res9", "孙丽"), ("g3", "res8", "周杰")] {
        app.say(chat, user, name, "/report 3栋楼道灯坏了").await;
        app.say(chat, user, name, "/report 5栋门口积水").await;
    }
    let texts = Texts::new(Language::Zh);
    let refusal_head = texts.refusal_head().to_string();
    let mut wrong = Vec::new();
    let mut cells = 0;
    for role in ROLES {
        let (user, person) = sender(role);
        for name in Name::ALL {
            for reach in [Reach::Own, Reach::Other] {
                let cell = cell(reach);
                let text = written(name, &cell);
                for chat in [Chat::Group, Chat::Private] {
                    let chat_id = chat_of(name, reach, chat, user);
                    let before = app.bot_messages().len();
                    let id = app.say(&chat_id, user, person, &text).await;
                    let replies = answers(
                        &app,
                        &id,
                        before,
                        (chat == Chat::Private).then_some(&chat_id),
                    );
                    // A ticket hidden from the sender is one that does not exist.
                    let hidden = TicketRef::parse(cell.ticket)
                        .map(|typed| texts.no_such_ticket(&typed))
                        .filter(|_| name.spec().who == Who::TicketViewers);
                    let refused = replies
                        .iter()
                        .any(|r| r.starts_with(&refusal_head) || Some(r) == hidden.as_ref());
                    let expected = expected(name, role, reach, chat);
                    cells += 1;
                    if replies.is_empty() || refused == expected {
                        wrong.push(format!(
                            "{role:?} {name:?} {reach:?} {chat:?} `{text}`: table says {}, got \
                             {replies:?}",
                            if expected { "may" } else { "may not" }
                        ));
                    }
                    // What a refusal or a hidden ticket says never names the ticket's
                    // reporter, state or assignee.
                    if refused {
                        for r in &replies {
                            assert!(
                                !r.contains("孙丽") && !r.contains("周杰") && !r.contains("李强"),
                                "{role:?} {name:?} {reach:?} {chat:?}: {r}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cells, ROLES.len() * Name::ALL.len() * 2 * 2);
    assert!(
        wrong.is_empty(),
        "{} cells disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    app.stop().await;
}

/// `查询 N` sent from another grid's group says nothing about the ticket: the same answer as
/// for a ticket that does not exist. In its own group, or from its reporter, it shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_from_another_grid_shows_nothing_about_the_ticket() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res9", "孙丽", "/report 3栋楼道灯坏了").await;
    let texts = Texts::new(Language::Zh);

    let hidden = texts.no_such_ticket(&TicketRef::in_grid("T1-V1-G1", 1));
    let asked = app.say("g3", "res8", "周杰", "查询 T1-V1-G1#1").await;
    assert_eq!(replies_to(&app, &asked), std::slice::from_ref(&hidden));
    let asked = app.say("g3", "leader3", "李强", "查询 T1-V1-G1#1").await;
    assert_eq!(replies_to(&app, &asked), std::slice::from_ref(&hidden));
    let asked = app.say("p-res8", "res8", "周杰", "查询 T1-V1-G1#1").await;
    assert_eq!(replies_to(&app, &asked), [hidden]);

    // In its own group, from its reporter in private, and from staff over the grid: shown.
    for (chat, user, name) in [
        ("g1", "res1", "王芳"),
        ("p-res9", "res9", "孙丽"),
        ("p-coord1", "coord1", "陈静"),
    ] {
        let asked = app.say(chat, user, name, "查询 T1-V1-G1#1").await;
        let replies = replies_to(&app, &asked);
        assert!(
            replies
                .iter()
                .any(|r| r.contains("#1") && r.contains("孙丽")),
            "{user}: {replies:?}"
        );
    }
    app.stop().await;
}

/// The bot's answers to the message `id`, the bot having sent `before` messages before it: its
/// replies, and in a private chat everything it then said there (a sign-in link is no reply).
fn answers(app: &TestApp, id: &str, before: usize, private: Option<&String>) -> Vec<String> {
    app.bot_messages()
        .into_iter()
        .enumerate()
        .filter(|(i, (m, _))| {
            m.reply_to.as_deref() == Some(id) || *i >= before && private == Some(&m.chat)
        })
        .map(|(_, (m, _))| m.text)
        .collect()
}

/// The bot's answers to the message `id`.
fn replies_to(app: &TestApp, id: &str) -> Vec<String> {
    app.bot_messages()
        .into_iter()
        .filter(|(m, _)| m.reply_to.as_deref() == Some(id))
        .map(|(m, _)| m.text)
        .collect()
}

/// The README's command table lists every command once, with who may use it in the words of
/// the permission table (`Who::describe`).
#[test]
fn the_readme_command_table_matches_the_permission_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Chat commands")
        .nth(1)
        .expect("a Chat commands section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let rows: Vec<Vec<String>> = section
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(cells)
        .collect();
    let mut seen = Vec::new();
    for row in &rows {
        let slash = row
            .get(1)
            .and_then(|c| c.split('`').nth(1))
            .and_then(|code| code.split_whitespace().next())
            .expect("a slash form in the second column");
        let name = Name::ALL
            .into_iter()
            .find(|n| n.slash() == slash)
            .unwrap_or_else(|| panic!("README lists {slash}, which is no command"));
        assert_eq!(
            row[0],
            name.spec().who.describe(),
            "README's who for {slash}"
        );
        assert!(!seen.contains(&name), "{slash} is listed twice");
        seen.push(name);
    }
    for name in Name::ALL {
        assert!(
            seen.contains(&name),
            "README does not list {}",
            name.slash()
        );
    }
}

/// A Markdown table row's cells, trimmed; `\|` is a `|` inside a cell.
fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = line.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_string()),
            c => current.push(c),
        }
    }
    cells
}
