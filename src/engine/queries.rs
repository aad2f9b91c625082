//! Read-only commands: my tickets, to-do, status, overdue, help.

use super::commands::{Name, help_entries};
use super::{Engine, Notice, Outcome, Scene};
use crate::domain::HistoryKind;
use crate::domain::Role;
use crate::domain::role::Subject;
use crate::store::{StoreError, Tx};

const LIST_LIMIT: i64 = 20;

impl Engine {
    pub(super) async fn my(&self, tx: &mut Tx, scene: &Scene<'_>) -> Outcome {
        let tickets = tx
            .tickets_of_reporter(scene.platform(), scene.sender_id(), LIST_LIMIT)
            .await?;
        let lines: Vec<String> = tickets
            .iter()
            .map(|t| {
                self.texts
                    .ticket_line(&scene.number(&t.grid, t.no), t.state, t.category, &t.body)
            })
            .collect();
        Ok(vec![self.listing(self.texts.heading_my(), lines)])
    }

    pub(super) async fn todo(&self, tx: &mut Tx, scene: &Scene<'_>) -> Outcome {
        let subject = Subject {
            grants: &scene.grants,
            grid_path: scene.grid_path(),
            is_reporter: false,
            is_assignee: false,
        };
        let staff = Name::List.spec().who.admits(subject);
        let Some(person) = scene.person.as_ref().filter(|_| staff) else {
            return Ok(vec![self.refusal(scene, Name::List, None)]);
        };
        let mut tickets = tx.todo(person, LIST_LIMIT).await?;
        if scene.narrowed
            && let Some(group) = &scene.group
        {
            // Asked in a group with no private chat to answer in: that group's grid only.
            tickets.retain(|t| t.grid == group.grid);
        }
        let lines: Vec<String> = tickets
            .iter()
            .map(|t| {
                self.texts
                    .ticket_line(&scene.number(&t.grid, t.no), t.state, t.category, &t.body)
            })
            .collect();
        Ok(vec![self.listing(self.texts.heading_todo(), lines)])
    }

    pub(super) fn listing(&self, heading: &str, lines: Vec<String>) -> Notice {
        let body = if lines.is_empty() {
            self.texts.nothing()
        } else {
            lines.join("\n")
        };
        Notice::plain(format!("{heading}\n{body}"), None)
    }

    /// A ticket's state and history, for whoever can see the ticket anyway: people in its own
    /// group, its reporters, staff over its grid. Anyone else (another grid's group, a stranger
    /// in a private chat) is told there is no such ticket, so that nothing about it leaks, not
    /// even that it exists.
    pub(super) async fn status(&self, tx: &mut Tx, scene: &Scene<'_>, n: i64) -> Outcome {
        let Some(t) = tx.ticket(n).await? else {
            return Ok(vec![Notice::plain(
                self.texts
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
                is_reporter: self.is_reporter(tx, &t, scene, true).await?,
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
            return Ok(vec![Notice::plain(self.texts.no_such_ticket(&typed), None)]);
        }
        let assignee = match &t.assignee {
            Some(code) => tx
                .person(code, &t.platform)
                .await?
                .map(|p| p.name)
                .unwrap_or_else(|| code.clone()),
            None => "—".to_string(),
        };
        let zone = self.settings.general.timezone.0;
        let mut lines = vec![self.texts.status_heading(
            &scene.number(&t.grid, t.no),
            t.state,
            t.category,
            &assignee,
        )];
        let photos = tx.photo_count(n).await?;
        if photos > 0 {
            let evidence = tx.evidence_count(n).await?;
            lines.push(self.texts.photo_count(photos, evidence));
        }
        for e in tx.events(n).await? {
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
                format!(" {}", e.detail)
            };
            lines.push(format!(
                "{when} {} {}{detail}",
                self.texts.event_kind(e.kind),
                e.actor_name
            ));
        }
        Ok(vec![Notice::plain(lines.join("\n"), None)])
    }

    /// The grid subtree a supervisor asks about: the named grid, else the widest they oversee.
    pub(super) async fn scope(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        grid: Option<&str>,
        command: Name,
    ) -> Result<Result<(String, String), Notice>, StoreError> {
        let (code, path) = match grid {
            Some(code) => match tx.grid(code).await? {
                Some(g) => (g.code, g.path),
                None => return Ok(Err(Notice::plain(self.texts.no_such_grid(code), None))),
            },
            None => {
                let widest = scene
                    .grants
                    .iter()
                    .filter(|g| matches!(g.role, Role::Admin | Role::Coordinator | Role::Leader))
                    .max_by_key(|g| {
                        (
                            g.role == Role::Admin,
                            usize::MAX - g.grid_path.as_ref().map_or(0, |p| p.len()),
                        )
                    });
                match widest {
                    Some(g) if g.role == Role::Admin => ("*".to_string(), "/".to_string()),
                    Some(g) => {
                        let path = g.grid_path.clone().unwrap_or_default();
                        let code = path
                            .trim_end_matches('/')
                            .rsplit('/')
                            .next()
                            .unwrap_or("")
                            .to_string();
                        (code, path)
                    }
                    None => {
                        return Ok(Err(self.refusal(scene, command, None)));
                    }
                }
            }
        };
        let subject = Subject {
            grants: &scene.grants,
            grid_path: Some(&path),
            is_reporter: false,
            is_assignee: false,
        };
        if !command.spec().who.admits(subject) {
            return Ok(Err(self.refusal(scene, command, None)));
        }
        Ok(Ok((code, path)))
    }

    pub(super) async fn overdue(&self, tx: &mut Tx, scene: &Scene<'_>) -> Outcome {
        let (_, path) = match self.scope(tx, scene, None, Name::Overdue).await? {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let tickets = tx.overdue(&path, scene.now, LIST_LIMIT).await?;
        let lines: Vec<String> = tickets
            .iter()
            .map(|t| {
                self.texts
                    .ticket_line(&scene.number(&t.grid, t.no), t.state, t.category, &t.body)
            })
            .collect();
        Ok(vec![self.listing(self.texts.heading_overdue(), lines)])
    }

    pub(super) fn help(&self, scene: &Scene<'_>) -> Notice {
        let standing = if scene.group.is_some() {
            scene.standing
        } else {
            scene
                .grants
                .iter()
                .map(|g| g.role)
                .max()
                .unwrap_or(Role::Resident)
        };
        // The sender's own form first: the Chinese words in a Chinese chat, unless they typed
        // the slash command; the slash form in an English one.
        let chinese_first = self.texts.lang == crate::config::Language::Zh && !scene.typed_slash();
        let lines: Vec<String> = help_entries(standing)
            .into_iter()
            .map(|(slash, zh)| {
                if chinese_first {
                    format!("{zh}（{slash}）")
                } else {
                    format!("{slash}  ({zh})")
                }
            })
            .collect();
        Notice::plain(
            format!("{}\n{}", self.texts.heading_help(), lines.join("\n")),
            None,
        )
    }
}
