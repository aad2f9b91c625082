//! Approve a request for more time: `/approve 42` (同意延期 42), or the button on the request.
//! A coordinator above the ticket's grid (or an admin) decides; `reject.rs` refuses. See
//! `extend.rs` for how a request is made.
//!
//! An approval moves the resolve deadline by the days asked, from the deadline (or from now
//! when it has passed, so an extension never leaves a ticket overdue); the reminder and the
//! escalation follow the new deadline; the decision is in the ticket's history, counted in the
//! statistics (`tickets.extensions`, the rollups' `extended`), told in the ticket's group with
//! the asker mentioned, and the card shows the new deadline.

use crate::domain::extension::{self, ExtensionState};
use crate::domain::mask::mask_personal_numbers;
use crate::domain::role::Who;
use crate::domain::{HistoryKind, Number};
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::timers::{ESCALATE_RESOLVE, REMIND_RESOLVE, mention_of};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::store::extensions::Decision;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Approve(pub TicketNo);

impl ChatCommand for Approve {
    const SPEC: Spec = Spec {
        slash: "approve",
        slash_aliases: &[],
        words: &["同意延期"],
        usage: ("/approve 42", "同意延期 42"),
        example: "/approve 42",
        who: Who::Coordinators,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::approve_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        // Anything after the number is a remark; an approval needs none.
        number(rest).map(|(n, _)| Approve(n))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        decide(engine, tx, fx, scene, n, Name::Approve, "").await
    }
}

/// Decides ticket `n`'s waiting request: approves it when `name` is [`Name::Approve`],
/// refuses it (with `note`, the coordinator's reason) when it is [`Name::Reject`].
pub(super) async fn decide(
    engine: &Engine,
    tx: &mut Tx,
    fx: &mut Effects,
    scene: &Scene<'_>,
    n: i64,
    name: Name,
    note: &str,
) -> Outcome {
    let mut t = granted!(engine.access(tx, scene, n, name).await?);
    let texts = &engine.texts;
    let no = scene.number(&t.grid, t.no);
    let Some(request) = tx
        .extensions_of(t.id)
        .await?
        .into_iter()
        .find(|e| e.state == ExtensionState::Pending)
    else {
        return Ok(vec![Notice::plain(texts.extension_none_pending(&no), None)]);
    };
    let actor = scene.actor();
    // Whoever asked (a coordinator handling a ticket themselves) does not decide it too.
    if request.asked_by == actor {
        return Ok(vec![Notice::plain(texts.extension_own_request(&no), None)]);
    }
    // A ticket no longer being handled needs no more time: its request can only be refused.
    let approve = name == Name::Approve;
    if approve && !t.state.is_active() {
        let action = name.words(texts).action;
        return Ok(vec![Notice::plain(
            texts.wrong_state(&no, t.state, action),
            None,
        )]);
    }
    let note = mask_personal_numbers(note.trim());
    let by = scene.event.sender.name.clone();
    let days = u32::try_from(request.days).unwrap_or(0);
    let (old, new) = (
        t.resolve_due,
        extension::extended_due(t.resolve_due, scene.now, days),
    );
    let decision = Decision {
        state: if approve {
            ExtensionState::Approved
        } else {
            ExtensionState::Refused
        },
        by: &actor,
        name: &by,
        at: scene.now,
        note: &note,
        due: approve.then_some((old, new)),
    };
    if !tx.decide_extension(request.id, &decision).await? {
        // Decided by someone else in the meantime.
        return Ok(vec![Notice::plain(texts.extension_none_pending(&no), None)]);
    }
    if approve {
        t.resolve_due = new;
        t.extensions += 1;
        t.updated_at = scene.now;
        tx.update_ticket(&t).await?;
        // The reminder and the escalation follow the new deadline: a reminder before it, which
        // brings the escalation at it when it fires (`Engine::fire`).
        tx.cancel_timers(t.id, &[REMIND_RESOLVE, ESCALATE_RESOLVE], scene.now)
            .await?;
        let remind_at = engine.settings.sla.remind_at;
        let remind = scene.now + ((new - scene.now) as f64 * remind_at) as i64;
        tx.add_timers(&[(REMIND_RESOLVE, t.id, remind)]);
        fx.record(
            scene,
            t.id,
            HistoryKind::ExtensionApproved,
            &format!("{days} {old} {new}"),
        );
        tracing::info!(ticket = t.id, days, "extension approved");
    } else {
        fx.record(scene, t.id, HistoryKind::ExtensionRefused, &note);
        tracing::info!(ticket = t.id, "extension refused");
    }
    let told = |no: &Number| {
        let due = texts.when(t.resolve_due, engine.tz());
        if approve {
            texts.extension_approved(no, request.days, &by, &due)
        } else {
            texts.extension_refused(no, &by, &note, &due)
        }
    };
    // The ticket's group hears of it with whoever asked mentioned; the coordinator is
    // answered where they decided.
    let in_ticket_chat = t.platform == scene.platform() && t.chat_id == scene.event.chat.id;
    let asker = tx.person(&request.asked_by, &t.platform).await?;
    if in_ticket_chat {
        let mut notice = Notice::plain(told(&no), Some(t.id));
        notice.mentions = mention_of(asker.iter());
        return Ok(vec![notice]);
    }
    let hold = engine.hold(t.urgency, scene.now);
    engine.to_ticket_chat(
        fx,
        &t,
        told(&Number::local(&t.grid, t.no)),
        mention_of(asker.iter()),
        hold,
    );
    Ok(vec![Notice::plain(told(&no), Some(t.id))])
}
