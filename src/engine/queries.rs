//! What the read-only commands share: the listings' shape (`/my`, `/list`, `/overdue`,
//! `/onleave`) and the grid subtree a supervisor asks about (`/overdue`, `/onleave`, `/stats`).

use super::commands::Name;
use super::{Engine, Notice, Scene};
use crate::domain::Role;
use crate::domain::role::Subject;
use crate::stats::StatsTexts as _;
use crate::store::tickets::Ticket;
use crate::store::{StoreError, Tx};

/// Tickets a listing shows at most.
pub(super) const LIST_LIMIT: i64 = 20;

impl Engine {
    /// A listing of tickets under `heading`, one line each, numbered as the chat sees them.
    pub(super) fn ticket_listing(
        &self,
        scene: &Scene<'_>,
        heading: &str,
        tickets: &[Ticket],
    ) -> Notice {
        let lines = tickets
            .iter()
            .map(|t| {
                self.texts
                    .ticket_line(&scene.number(&t.grid, t.no), t.state, t.category, &t.body)
            })
            .collect();
        self.listing(heading, lines)
    }

    /// To-do lines for `tickets`, each with what waits on someone beside its state (an
    /// escalation, an extension to decide); with `extensions_only`, only those with an
    /// extension waiting.
    pub(super) async fn todo_lines(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        tickets: &[Ticket],
        extensions_only: bool,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let pending = tx.pending_extensions(&ids).await?;
        Ok(tickets
            .iter()
            .filter_map(|t| {
                let days = pending.iter().find(|(id, _)| *id == t.id).map(|(_, d)| *d);
                if extensions_only && days.is_none() {
                    return None;
                }
                let notes = self.texts.todo_notes(t.escalated.as_deref(), days);
                Some(self.texts.ticket_line_noted(
                    &scene.number(&t.grid, t.no),
                    t.state,
                    t.category,
                    &t.body,
                    &notes,
                ))
            })
            .collect())
    }

    /// A listing under `heading`, or "nothing" under it.
    pub(super) fn listing(&self, heading: &str, lines: Vec<String>) -> Notice {
        let body = if lines.is_empty() {
            self.texts.nothing()
        } else {
            lines.join("\n")
        };
        Notice::plain(format!("{heading}\n{body}"), None)
    }

    /// The grid subtree a supervisor asks about: the named grid, else the widest they oversee.
    /// The grid a supervisor named for a command's scope: a code, a name or part of one
    /// (东风社区, 下罗), or the name of the one grid's leader or deputy (李建国那边); an
    /// ambiguous or unknown name is answered with the candidates.
    async fn named_scope(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        text: &str,
    ) -> Result<Result<String, Notice>, StoreError> {
        if let Some(g) = tx.grid(text).await? {
            return Ok(Ok(g.code));
        }
        let grids = tx.existing_grids().await?;
        let mut problem = match crate::stats::resolve_scope(text, &grids) {
            Ok(g) => return Ok(Ok(g.code)),
            Err(problem) => problem,
        };
        // Else a grid named by the person who looks after it ("李建国那边", "黄丽华负责的"): the one
        // grid a leader or deputy of that name holds.
        let person = ["那边", "那里", "那儿", "负责的", "负责", "管的", "的"]
            .iter()
            .fold(text.trim(), |t, w| t.strip_suffix(w).unwrap_or(t))
            .trim();
        if !person.is_empty()
            && let [code] = tx.grids_held_by_name(person).await?.as_slice()
        {
            return Ok(Ok(code.clone()));
        }
        // The candidates offered are grids the asker may ask about: a coordinator of one
        // village is not shown the names of another's grids.
        problem.keep(|g| scene.grants.iter().any(|grant| grant.covers(&g.path)));
        Ok(Err(Notice::plain(
            self.texts.scope_problem(text, &problem),
            None,
        )))
    }

    /// [`Engine::scope`] for a grid named as typed (a code or a name, see
    /// [`Engine::named_scope`]), or the asker's widest grid when none is.
    /// Whether a statistics question read from words ("这周东风社区怎么样") names no scope or
    /// one that is a grid: "今天天气怎么样" names 天气, and is chat.
    pub(super) async fn names_a_scope(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        canonical: &str,
    ) -> Result<bool, StoreError> {
        if let Some(grid) = ["未接单 ", "超时 "]
            .iter()
            .find_map(|w| canonical.strip_prefix(w))
        {
            return Ok(self.named_scope(tx, scene, grid).await?.is_ok());
        }
        let Some(args) = canonical.strip_prefix("统计") else {
            return Ok(true);
        };
        // The view word ("统计 排名 上个月") is no scope.
        let args = args.trim();
        let args = ["排名", "明细"]
            .iter()
            .find_map(|w| args.strip_prefix(w))
            .unwrap_or(args);
        let today = crate::stats::today(scene.now, self.settings.general.timezone.0);
        match crate::stats::split_period_scope(args.trim(), today).1 {
            None => Ok(true),
            Some(scope) => Ok(self.named_scope(tx, scene, &scope).await?.is_ok()),
        }
    }

    pub(super) async fn asked_scope(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        asked: Option<&str>,
        command: Name,
    ) -> Result<Result<(String, String), Notice>, StoreError> {
        let code = match asked {
            None => None,
            Some(text) => match self.named_scope(tx, scene, text).await? {
                Ok(code) => Some(code),
                Err(notice) => return Ok(Err(notice)),
            },
        };
        self.scope(tx, scene, code.as_deref(), command).await
    }

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
            if grid.is_some()
                && let Some(notice) = self.out_of_reach(tx, scene, &code, command).await?
            {
                return Ok(Err(notice));
            }
            return Ok(Err(self.refusal(scene, command, None)));
        }
        Ok(Ok((code, path)))
    }

    /// A supervisor who named a grid outside what they oversee is told so and shown what they
    /// do oversee (统计 下罗村 from 东风社区's coordinator), instead of the refusal meant for
    /// those who may not use the command at all.
    async fn out_of_reach(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        code: &str,
        command: Name,
    ) -> Result<Option<Notice>, StoreError> {
        let mut own = Vec::new();
        for grant in &scene.grants {
            let (Role::Leader | Role::Coordinator, Some(path)) = (grant.role, &grant.grid_path)
            else {
                continue;
            };
            let Some(own_code) = path.trim_end_matches('/').rsplit('/').next() else {
                continue;
            };
            if let Some(g) = tx.grid(own_code).await?
                && !own.iter().any(|(_, c): &(String, String)| *c == g.code)
            {
                own.push((g.name, g.code));
            }
        }
        if own.is_empty() {
            return Ok(None);
        }
        let asked = tx.grid(code).await?.map_or_else(
            || (code.to_string(), code.to_string()),
            |g| (g.name, g.code),
        );
        Ok(Some(Notice::plain(
            self.texts
                .outside_your_grids((&asked.0, &asked.1), &own, command.named(&self.texts)),
            None,
        )))
    }
}
