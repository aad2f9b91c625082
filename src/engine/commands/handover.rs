//! Hand your active tickets to someone (default: the grid's on-duty colleague):
//! `/handover [@刘洋]` (交接 @刘洋).

use crate::domain::HistoryKind;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::timers::mention_of;
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::roster::Person;
use crate::store::{StoreError, Tx};
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Handover(pub Option<String>);

impl ChatCommand for Handover {
    const SPEC: Spec = Spec {
        slash: "handover",
        slash_aliases: &[],
        words: &["交接", "移交"],
        usage: ("/handover [@姓名]", "交接 [@姓名]"),
        example: "/help",
        who: Who::OnDuty,
        about: About::Nothing,
        changes_roster: true,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::handover_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let target = rest.trim().trim_start_matches('@').trim();
        Ok(Handover((!target.is_empty()).then(|| target.to_string())))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let Some(person) = scene.person.clone().filter(|_| scene.may(Name::Handover)) else {
            return Ok(vec![engine.refusal(scene, Name::Handover, None)]);
        };
        let texts = &engine.texts;
        let ids = tx.active_tickets_of(&person).await?;
        let Some(first) = ids.first() else {
            return Ok(vec![Notice::plain(texts.nothing_to_hand_over(), None)]);
        };
        let target = match self.0.as_deref() {
            Some(who) => {
                let mut people = tx.find_people(who, scene.platform()).await?;
                people.retain(|p| p.code != person);
                match people.len() {
                    0 => return Ok(vec![Notice::plain(texts.no_such_person(who), None)]),
                    1 => people.remove(0),
                    _ => return Ok(vec![Notice::plain(texts.ambiguous_person(who), None)]),
                }
            }
            None => {
                let grid = tx.ticket(*first).await?.map(|t| t.grid).unwrap_or_default();
                match colleague(tx, &grid, &person, scene).await? {
                    Some(p) => p,
                    None => return Ok(vec![Notice::plain(texts.no_colleague(), None)]),
                }
            }
        };
        let mut moved = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(mut t) = tx.ticket(id).await? else {
                continue;
            };
            if !t.state.is_active() {
                continue;
            }
            t.assignee = Some(target.code.clone());
            t.updated_at = scene.now;
            tx.update_ticket(&t).await?;
            fx.record(scene, t.id, HistoryKind::HandedOver, &target.code);
            moved.push(scene.number(&t.grid, t.no));
        }
        tracing::info!(from = %person, to = %target.code, count = moved.len(), "tickets handed over");
        let mut notice = Notice::plain(texts.handed_over(&target.name, &moved), None);
        notice.mentions = mention_of(std::iter::once(&target));
        Ok(vec![notice])
    }
}

/// A leader or deputy of `grid` other than `person`, not on leave.
async fn colleague(
    tx: &mut Tx,
    grid: &str,
    person: &str,
    scene: &Scene<'_>,
) -> Result<Option<Person>, StoreError> {
    for role in ["leader", "deputy"] {
        for p in tx.holders(grid, role, scene.platform()).await? {
            if p.code != person && tx.leave_until(&p.code, scene.now).await?.is_none() {
                return Ok(Some(p));
            }
        }
    }
    Ok(None)
}
