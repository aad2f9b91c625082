//! One ticket's state and history: `/status 42` (查询 42), for whoever can see the ticket
//! anyway: people in its own group, its reporters, staff over its grid. Anyone else (another
//! grid's group, a stranger in a private chat) is told there is no such ticket, so that nothing
//! about it leaks, not even that it exists.

use crate::domain::HistoryKind;
use crate::domain::role::{Subject, Who};
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number_only};

#[derive(Debug, Clone, PartialEq)]
pub struct Status(pub TicketNo);

impl ChatCommand for Status {
    const SPEC: Spec = Spec {
        slash: "status",
        slash_aliases: &[],
        words: &["查询", "进度"],
        usage: ("/status 42", "查询 42"),
        example: "/status 42",
        who: Who::TicketViewers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::status_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        number_only(rest).map(Status)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        // The history shown includes what this batch wrote before.
        tx.add_events(&std::mem::take(&mut fx.events)).await?;
        let Some(t) = tx.ticket(n).await? else {
            return Ok(vec![Notice::plain(
                engine
                    .texts
                    .no_such_ticket(&crate::domain::TicketRef::here(n)),
                None,
            )]);
        };
        let in_ticket_chat = t.platform == scene.platform() && t.chat_id == scene.event.chat.id;
        let visible = in_ticket_chat || {
            let path = tx.grid(&t.grid).await?.map(|g| g.path);
            let subject = Subject {
                grants: &scene.grants,
                grid_path: path.as_deref(),
                is_reporter: engine.is_reporter(tx, &t, scene, true).await?,
                is_assignee: false,
            };
            Name::Status.spec().who.admits(subject)
        };
        if !visible {
            tracing::info!(ticket = n, sender = %scene.sender_id(), "status refused: not the ticket's group, reporter or staff");
            let typed = match scene.number(&t.grid, t.no) {
                shown if shown.local => crate::domain::TicketRef::here(t.no),
                _ => crate::domain::TicketRef::in_grid(&t.grid, t.no),
            };
            return Ok(vec![Notice::plain(
                engine.texts.no_such_ticket(&typed),
                None,
            )]);
        }
        let assignee = match &t.assignee {
            Some(code) => tx
                .person(code, &t.platform)
                .await?
                .map(|p| p.name)
                .unwrap_or_else(|| code.clone()),
            None => "—".to_string(),
        };
        let zone = engine.settings.general.timezone.0;
        let mut lines = vec![engine.texts.status_heading(
            &scene.number(&t.grid, t.no),
            t.state,
            t.category,
            &assignee,
        )];
        let photos = tx.photo_count(n).await?;
        if photos > 0 {
            let evidence = tx.evidence_count(n).await?;
            lines.push(engine.texts.photo_count(photos, evidence));
        }
        let events = tx.events(n).await?;
        // Those a ticket was handed to are stored by code; the history names them.
        let mut names = std::collections::HashMap::new();
        for e in &events {
            if matches!(e.kind, HistoryKind::Transferred | HistoryKind::HandedOver) {
                let code = e.detail.trim();
                if let Some(p) = tx.person(code, scene.platform()).await? {
                    names.insert(code.to_string(), p.name);
                }
            }
        }
        for e in events {
            let when = chrono::DateTime::from_timestamp_millis(e.at)
                .map(|d| d.with_timezone(&zone).format("%m-%d %H:%M").to_string())
                .unwrap_or_default();
            // A photo's reference is a file id or a long URL: the count above says enough.
            let detail = if e.detail.is_empty()
                || matches!(
                    e.kind,
                    HistoryKind::Opened | HistoryKind::Photo | HistoryKind::Evidence
                ) {
                String::new()
            } else {
                // Details stored as ids ("me_too", "property urgent") in words, as the console
                // shows them.
                let said = engine
                    .texts
                    .history_detail(e.kind, &e.detail, zone, |code| {
                        names.get(code).cloned().unwrap_or_else(|| code.to_string())
                    });
                format!(" {said}")
            };
            lines.push(format!(
                "{when} {} {}{detail}",
                engine.texts.event_kind(e.kind),
                e.actor_name
            ));
        }
        Ok(vec![Notice::plain(lines.join("\n"), None)])
    }
}
