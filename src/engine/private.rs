//! Answers that reveal other grids stay private. Each command's definition says where its
//! answer goes when asked in a group ([`Spec::answer`](super::commands::Spec)): `统计` (every
//! view), `超时`, `请假名单` are [`Answer::Private`], `待办` is [`Answer::PrivateUnlessOwnGrid`],
//! `控制台` is [`Answer::PrivateOnly`]. Asked by staff in a group, such an answer goes to the
//! asker's private chat with the bot, with one short line in the group; where no private chat
//! is possible the answer covers only the group's own grid (the console link, a key, is not
//! given at all). This module is the one place that acts on it.
//!
//! Decision: a group bound to a grid with grids below it (a coordinators' group) keeps the
//! answer when everything the asker oversees lies inside that group's subtree (the village
//! coordinator in the village's group), and a leader's own `待办` stays in their own grid's
//! group; everything else goes private.

use super::commands::{Answer, Command};
use super::{Effects, Engine, Notice, Outcome, Scene};
use crate::domain::Role;
use crate::domain::message::{ChatKind, ChatRef, InboundEvent};
use crate::domain::role::{self, Grant};
use crate::store::{StoreError, Tx};

/// Where an answer goes.
enum Audience {
    /// In the chat where it was asked.
    Here,
    /// In the asker's private chat: `(account, chat id)`.
    Privately(String, String),
    /// In the group, covering only the group's own grid.
    Narrowed,
    /// Not at all (a sign-in link with no private chat to carry it).
    Declined,
}

/// Whether a grant oversees nothing outside the grid subtree at `path`.
fn inside(grant: &Grant, path: &str) -> bool {
    match grant.role {
        Role::Admin => false,
        Role::Resident => true,
        _ => grant
            .grid_path
            .as_deref()
            .is_some_and(|p| p.starts_with(path)),
    }
}

/// The grants clipped to the group's grid: what the asker may see there.
fn clipped(grants: &[Grant], path: &str) -> Vec<Grant> {
    grants
        .iter()
        .filter_map(|g| match g.role {
            Role::Resident => Some(g.clone()),
            Role::Admin => Some(Grant {
                role: Role::Coordinator,
                grid_path: Some(path.to_string()),
            }),
            Role::Coordinator => g
                .grid_path
                .as_deref()
                .filter(|p| path.starts_with(p))
                .map(|_| Grant {
                    role: Role::Coordinator,
                    grid_path: Some(path.to_string()),
                }),
            Role::Leader | Role::Deputy => {
                (g.grid_path.as_deref() == Some(path)).then(|| g.clone())
            }
        })
        .collect()
}

impl Engine {
    /// Runs `cmd` for the audience its answer may reach (see the module doc).
    pub(super) async fn run_for_audience(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        cmd: Command,
    ) -> Outcome {
        match self.audience(tx, scene, cmd.name().spec().answer).await? {
            Audience::Here => self.run_command(tx, fx, scene, cmd).await,
            Audience::Privately(account, chat) => {
                self.answer_privately(tx, fx, scene, cmd, account, chat)
                    .await
            }
            Audience::Narrowed => self.answer_narrowed(tx, fx, scene, cmd).await,
            Audience::Declined => Ok(vec![Notice::plain(
                self.texts.write_privately_first(),
                None,
            )]),
        }
    }

    async fn audience(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        answer: Answer,
    ) -> Result<Audience, StoreError> {
        if scene.event.chat.kind != ChatKind::Group
            || answer == Answer::Here
            || !role::is_staff_anywhere(&scene.grants)
        {
            // Private chats answer in place; residents are refused in place.
            return Ok(Audience::Here);
        }
        if let Some(group) = &scene.group
            && answer != Answer::PrivateOnly
        {
            let within = scene.grants.iter().all(|g| inside(g, &group.grid_path));
            let staff_group = tx.first_child_grid(&group.grid).await?.is_some();
            if within && (staff_group || answer == Answer::PrivateUnlessOwnGrid) {
                return Ok(Audience::Here);
            }
        }
        if let Some((account, chat)) = self.private_chat_with(tx, scene).await? {
            return Ok(Audience::Privately(account, chat));
        }
        Ok(match (&scene.group, answer) {
            (Some(_), Answer::Private | Answer::PrivateUnlessOwnGrid) => Audience::Narrowed,
            _ => Audience::Declined,
        })
    }

    /// The asker's private chat with the bot on the platform they asked on, if the bot can
    /// write there: `(account, chat id)`.
    async fn private_chat_with(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
    ) -> Result<Option<(String, String)>, StoreError> {
        let reach = self
            .capabilities
            .get(scene.platform())
            .map(|c| c.private_chats)
            .unwrap_or_default();
        if let Some(chat) = reach.always_with(scene.sender_id()) {
            return Ok(Some(chat));
        }
        match reach {
            crate::domain::message::PrivateChats::AfterContact => {
                tx.private_chat(scene.platform(), scene.sender_id()).await
            }
            _ => Ok(None),
        }
    }

    /// Runs the command as if asked in the private chat, posts its answer there, and tells
    /// the group it was sent.
    async fn answer_privately(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        cmd: Command,
        account: String,
        chat: String,
    ) -> Outcome {
        let ev = scene.event;
        let event = InboundEvent {
            platform: ev.platform.clone(),
            account,
            event_id: ev.event_id.clone(),
            chat: ChatRef {
                id: chat,
                kind: ChatKind::Private,
                title: None,
                thread: None,
            },
            sender: ev.sender.clone(),
            kind: ev.kind.clone(),
            at: ev.at,
        };
        let private = Scene {
            event: &event,
            inbox_id: scene.inbox_id,
            now: scene.now,
            group: None,
            person: scene.person.clone(),
            grants: scene.grants.clone(),
            standing: role::standing(&scene.grants, None),
            message_id: None,
            callback: None,
            card: None,
            readings: scene.readings,
            narrowed: false,
        };
        tracing::info!(sender = %ev.sender.id, "answer revealing other grids sent privately");
        for mut n in self.run_command(tx, fx, &private, cmd).await? {
            n.as_reply = false;
            self.post(fx, &private, n);
        }
        Ok(vec![Notice::plain(
            self.texts.sent_privately(&ev.sender.name),
            None,
        )])
    }

    /// Runs the command with the asker's grants clipped to the group's grid, and says so.
    async fn answer_narrowed(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        cmd: Command,
    ) -> Outcome {
        let Some(group) = &scene.group else {
            return Ok(vec![Notice::plain(
                self.texts.write_privately_first(),
                None,
            )]);
        };
        let grants = clipped(&scene.grants, &group.grid_path);
        let narrowed = Scene {
            event: scene.event,
            inbox_id: scene.inbox_id,
            now: scene.now,
            group: scene.group.clone(),
            person: scene.person.clone(),
            standing: role::standing(&grants, Some(&group.grid_path)),
            grants,
            message_id: scene.message_id.clone(),
            callback: scene.callback.clone(),
            card: scene.card,
            readings: scene.readings,
            narrowed: true,
        };
        let mut notices = self.run_command(tx, fx, &narrowed, cmd).await?;
        let name = tx
            .grid(&group.grid)
            .await?
            .map_or_else(|| group.grid.clone(), |g| g.name);
        if let Some(last) = notices.last_mut() {
            last.append_line(&self.texts.only_this_grid(&name));
        }
        Ok(notices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, path: Option<&str>) -> Grant {
        Grant {
            role,
            grid_path: path.map(str::to_string),
        }
    }

    #[test]
    fn grants_are_clipped_to_the_group_grid() {
        let g1 = "/QS/QS-DF/QS-DF-01/";
        let village = grant(Role::Coordinator, Some("/QS/QS-DF/"));
        let other = grant(Role::Coordinator, Some("/QS/QS-XL/"));
        let admin = grant(Role::Admin, None);
        let leader = grant(Role::Leader, Some(g1));
        let clipped = clipped(&[village.clone(), other, admin, leader.clone()], g1);
        assert_eq!(
            clipped,
            [
                grant(Role::Coordinator, Some(g1)),
                grant(Role::Coordinator, Some(g1)),
                leader.clone(),
            ]
        );
        assert!(!inside(&village, g1));
        assert!(inside(&village, "/QS/QS-DF/"));
        assert!(inside(&leader, g1));
        assert!(!inside(&grant(Role::Admin, None), "/QS/"));
    }
}
