//! Admin commands: binding a group to a grid, granting roles.

use super::commands::Name;
use super::{Engine, Notice, Outcome, Scene};
use crate::domain::Role;
use crate::domain::message::ChatKind;
use crate::domain::role::Subject;
use crate::store::Tx;

impl Engine {
    /// Whether the sender may use `name` (an admin command) here.
    fn may_administer(scene: &Scene<'_>, name: Name) -> bool {
        let subject = Subject {
            grants: &scene.grants,
            grid_path: scene.grid_path(),
            is_reporter: false,
            is_assignee: false,
        };
        name.spec().who.admits(subject)
    }

    pub(super) async fn bind(&self, tx: &mut Tx, scene: &Scene<'_>, code: &str) -> Outcome {
        if !Self::may_administer(scene, Name::Bind) {
            return Ok(vec![self.refusal(scene, Name::Bind, None)]);
        }
        if scene.event.chat.kind != ChatKind::Group {
            return Ok(vec![Notice::plain(self.texts.private_needs_group(), None)]);
        }
        let Some(grid) = tx.grid(code).await? else {
            return Ok(vec![Notice::plain(self.texts.no_such_grid(code), None)]);
        };
        let title = scene.event.chat.title.clone().unwrap_or_default();
        tx.bind_group(scene.platform(), &scene.event.chat.id, &grid.code, &title)
            .await?;
        tracing::info!(chat = %scene.event.chat.id, grid = %grid.code, "group bound");
        Ok(vec![Notice::plain(self.texts.bound(&grid.code), None)])
    }

    pub(super) async fn set_role(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        target: &str,
        role: Role,
        grid: Option<&str>,
    ) -> Outcome {
        if !Self::may_administer(scene, Name::Role) {
            return Ok(vec![self.refusal(scene, Name::Role, None)]);
        }
        let mut people = tx.find_people(target, scene.platform()).await?;
        let person = match people.len() {
            0 => return Ok(vec![Notice::plain(self.texts.no_such_person(target), None)]),
            1 => people.remove(0),
            _ => {
                return Ok(vec![Notice::plain(
                    self.texts.ambiguous_person(target),
                    None,
                )]);
            }
        };
        let grid_code = match (role, grid) {
            (Role::Admin, _) => String::new(),
            (_, Some(code)) => code.to_string(),
            (_, None) => match &scene.group {
                Some(g) => g.grid.clone(),
                None => {
                    return Ok(vec![Notice::plain(
                        self.texts.invalid_command(
                            Name::Role.named(&self.texts),
                            &crate::understand::command::Problem::MissingGrid,
                            scene.typed_slash(),
                        ),
                        None,
                    )]);
                }
            },
        };
        if !grid_code.is_empty() && tx.grid(&grid_code).await?.is_none() {
            return Ok(vec![Notice::plain(
                self.texts.no_such_grid(&grid_code),
                None,
            )]);
        }
        tx.add_grant(&person.code, role, &grid_code).await?;
        tracing::info!(person = %person.code, role = %role, grid = %grid_code, "role granted");
        Ok(vec![Notice::plain(
            self.texts.role_set(
                &person.name,
                role.id(),
                if grid_code.is_empty() {
                    "*"
                } else {
                    &grid_code
                },
            ),
            None,
        )])
    }
}
