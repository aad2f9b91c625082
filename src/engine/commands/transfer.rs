//! Hand a ticket to someone else: `/transfer 42 @李强` (转派 42 @李强), or to the leader on duty
//! of a grid beside the ticket's, named as people say it (转派 42 二网格, 转给第二网格).

use crate::domain::message::Mention;
use crate::domain::role::Who;
use crate::domain::{HistoryKind, TicketState};
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Transfer(pub TicketNo, pub String);

impl ChatCommand for Transfer {
    const SPEC: Spec = Spec {
        slash: "transfer",
        slash_aliases: &[],
        words: &["转派", "转交", "转派给", "转交给", "转给", "交给"],
        usage: ("/transfer 42 @姓名", "转派 42 @姓名"),
        example: "/transfer 42 @李强",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::transfer_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        // "2号转给吴强处理", "转派 2 给 @吴强吧": the person, without the words around them.
        let mut target = rest.trim().trim_start_matches('给').trim_start();
        loop {
            let before = target;
            target =
                target.trim_end_matches(|c: char| c.is_whitespace() || "。.!！~～，,".contains(c));
            for tail in ["来处理", "去处理", "处理", "负责", "跟进", "办", "吧", "了"]
            {
                target = target.strip_suffix(tail).unwrap_or(target);
            }
            if target == before {
                break;
            }
        }
        if target.is_empty() {
            return Err(Problem::MissingTarget);
        }
        Ok(Transfer(n, target.trim_start_matches('@').to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        let who = self.1.as_str();
        let mut t = granted!(engine.access(tx, scene, n, Name::Transfer).await?);
        if let Some(notice) = engine.unless_active(scene, &t, Name::Transfer) {
            return Ok(vec![notice]);
        }
        let mut people = tx.find_people(who, scene.platform()).await?;
        // "@名字" typed by hand may not match; a real mention carries the user id.
        if people.is_empty()
            && let crate::domain::message::EventKind::Message { mentions, .. } = &scene.event.kind
            && let Some(uid) = mentions.first()
        {
            people = tx.find_people(uid, scene.platform()).await?;
        }
        // "转派 2 二网格": no person of that name, but a grid beside the ticket's: its leader
        // on duty.
        if people.is_empty()
            && let Some(leader) = engine.grid_leader_named(tx, scene, &t.grid, who).await?
        {
            people.push(leader);
        }
        let target = match people.len() {
            0 => return Ok(vec![Notice::plain(engine.texts.no_such_person(who), None)]),
            1 => people.remove(0),
            _ => {
                return Ok(vec![Notice::plain(
                    engine.texts.ambiguous_person(who),
                    None,
                )]);
            }
        };
        Engine::staff_responded(&mut t, scene.now);
        t.assignee = Some(target.code.clone());
        tx.update_ticket(&t).await?;
        fx.record(scene, t.id, HistoryKind::Transferred, &target.code);
        let mut notice = Notice::plain(
            engine
                .texts
                .transferred(&scene.number(&t.grid, t.no), &target.name),
            Some(t.id),
        );
        if let Some(uid) = target.user_id {
            notice.mentions = vec![Mention {
                user_id: uid,
                name: target.name.clone(),
            }];
        }
        if t.state == TicketState::Open {
            notice.buttons = vec![engine.claim_button(&t.number())];
        }
        Ok(vec![notice])
    }
}

impl Engine {
    /// The leader on duty of the grid named `name` among the ticket grid's siblings (and the
    /// grids under it): a code or a name as people shorten it (二网格, 第二网格, QS-DF-02).
    async fn grid_leader_named(
        &self,
        tx: &mut Tx,
        scene: &Scene<'_>,
        grid: &str,
        name: &str,
    ) -> Result<Option<crate::store::roster::Person>, crate::store::StoreError> {
        let Some(here) = tx.grid(grid).await? else {
            return Ok(None);
        };
        let mut near = match &here.parent {
            Some(parent) => tx.child_grids(parent).await?,
            None => Vec::new(),
        };
        near.extend(tx.child_grids(grid).await?);
        near.retain(|g| g.code != here.code);
        let Ok(found) = crate::stats::figures::resolve_scope(name, &near) else {
            return Ok(None);
        };
        tx.on_duty(&found.code, scene.platform(), scene.now).await
    }
}
