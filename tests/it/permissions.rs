//! The permission matrix: every role × every command × the sender's own grid and another grid,
//! through the running engine, asserted against the one table in the code
//! (`Name::permitted`, from each command's `Who`); and the README's command table checked
//! against the same table.

use gridline::config::Language;
use gridline::domain::role::Reach;
use gridline::domain::{Role, TicketRef};
use gridline::engine::commands::{About, Name};
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

/// The text that uses `name` on the grid at `reach`, and the chat it is sent in. `own` and
/// `other` are the two tickets' numbers, in the form that names them from any chat.
fn command(name: Name, reach: Reach, own: &str, other: &str) -> (String, &'static str) {
    let (n, grid, colleague) = match reach {
        Reach::Own => (own, "T1-V1-G1", "@刘洋"),
        Reach::Other => (other, "T1-V2-G3", "@李强"),
    };
    let text = match name {
        Name::Report => "/report 路口的路灯坏了".to_string(),
        Name::My => "/my".into(),
        Name::Status => format!("/status {n}"),
        Name::Cancel => format!("/cancel {n}"),
        Name::Rate => format!("/rate {n} 满意"),
        Name::Claim => format!("/claim {n}"),
        Name::Note => format!("/note {n} 已联系电工"),
        Name::Done => format!("/done {n} 换了灯泡"),
        Name::Transfer => format!("/transfer {n} {colleague}"),
        Name::Dismiss => format!("/dismiss {n} 不属于本网格"),
        Name::List => "/list".into(),
        Name::Leave => "/leave until 2099-12-03".into(),
        Name::Back => "/back".into(),
        Name::Handover => "/handover".into(),
        Name::Stats => format!("/stats all {grid}"),
        Name::Overdue => "/overdue".into(),
        Name::Urge => format!("/urge {n}"),
        Name::Extend => format!("/extend {n} 3d 等配件"),
        Name::Approve => format!("/approve {n}"),
        Name::Reject => format!("/reject {n} 尽快处理"),
        Name::OnLeave => "/onleave".into(),
        Name::Bind => format!("/bind {grid}"),
        Name::Role => format!("/role @吴磊 resident {grid}"),
        Name::Console => "/console".into(),
        Name::Help => "/help".into(),
        Name::Recategorize => format!("/recategorize {n} sanitation"),
        Name::Urgency => format!("/urgency {n} urgent"),
    };
    // A command about a group is sent in that group; every other one in the sender's own.
    // Statistics asked in a group go to a private chat or cover only that group's grid
    // (tests/it/reach.rs): the table is about what may be asked, so ask in a private chat.
    let chat = match (name.spec().about, reach) {
        (About::Group, Reach::Other) => "g3",
        _ if name == Name::Stats => "p1",
        _ => "g1",
    };
    (text, chat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_do_what_the_table_says_and_nothing_else() {
    let app = spawn_app(Db::Sqlite, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res9", "孙丽", "/report 3栋楼道灯坏了").await;
    app.say("g3", "res8", "周杰", "/report 5栋门口积水").await;
    let (own, other) = ("T1-V1-G1#1", "T1-V2-G3#1");
    let texts = Texts::new(Language::Zh);
    let refusal_head = texts.refusal_head().to_string();
    let mut wrong = Vec::new();
    let mut cells = 0;
    for role in [
        Role::Resident,
        Role::Deputy,
        Role::Leader,
        Role::Coordinator,
        Role::Admin,
    ] {
        let (user, person) = sender(role);
        for name in Name::ALL {
            for reach in [Reach::Own, Reach::Other] {
                let (text, chat) = command(name, reach, own, other);
                let id = app.say(chat, user, person, &text).await;
                let replies: Vec<String> = replies_to(&app, &id);
                let ticket = if reach == Reach::Own { own } else { other };
                let refused = replies.iter().any(|r| {
                    r.starts_with(&refusal_head)
                        || name == Name::Status
                            && TicketRef::parse(ticket)
                                .is_some_and(|typed| *r == texts.no_such_ticket(&typed))
                });
                let expected = name.permitted(role, reach);
                cells += 1;
                if refused == expected {
                    wrong.push(format!(
                        "{role:?} {name:?} {reach:?} `{text}`: table says {}, got {replies:?}",
                        if expected { "may" } else { "may not" }
                    ));
                }
                // What a refusal or a hidden ticket says never names the ticket's reporter,
                // state or assignee.
                if refused {
                    for r in &replies {
                        assert!(
                            !r.contains("孙丽") && !r.contains("周杰") && !r.contains("李强"),
                            "{role:?} {name:?} {reach:?}: {r}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(cells, 5 * Name::ALL.len() * 2);
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
