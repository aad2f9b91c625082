//! Resolve: `/done 42 换了灯泡` (办结 42 …). Staff replying "搞定了，换了灯泡" to the
//! ticket's card resolve it the same way (`Engine::reply_to_card`).

use crate::domain::HistoryKind;
use crate::domain::mask::mask_personal_numbers;
use crate::domain::message::Mention;
use crate::domain::role::Who;
use crate::domain::ticket::Transition;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::tickets::Access;
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::{StoreError, Tx};
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Done(pub TicketNo, pub String);

impl ChatCommand for Done {
    const SPEC: Spec = Spec {
        slash: "done",
        slash_aliases: &[],
        words: &["办结", "完成"],
        usage: ("/done 42 结果", "办结 42 …"),
        example: "/done 42 换了灯泡",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::done_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        Ok(Done(n, rest.trim().to_string()))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0, Self::NAME).await?);
        engine.resolve(tx, fx, scene, n, &self.1).await
    }
}

impl Engine {
    /// The reporter of an active ticket saying it is fixed ("1号修好了", "#2 已经好了，谢谢"):
    /// only those who handle it may resolve it, so the words go into its history and the
    /// assignee is told to confirm with 办结. `None` when the sender is not its reporter or it
    /// is no longer being handled (the refusal stands).
    pub(in crate::engine) async fn reporter_says_fixed(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
        text: &str,
    ) -> Result<Option<Notice>, StoreError> {
        let Some(t) = tx.ticket(n).await? else {
            return Ok(None);
        };
        if !t.state.is_active() || !self.is_reporter(tx, &t, scene, false).await? {
            return Ok(None);
        }
        let said = mask_personal_numbers(text);
        fx.record(
            scene,
            t.id,
            HistoryKind::Note,
            &self.texts.reporter_says_fixed_note(&said),
        );
        let assignee = match &t.assignee {
            Some(code) => tx.person(code, &t.platform).await?,
            None => None,
        };
        let number = scene.number(&t.grid, t.no);
        let mut notice = Notice::plain(
            self.texts
                .reporter_says_fixed(&number, assignee.as_ref().map(|p| p.name.as_str())),
            Some(t.id),
        );
        if let Some(p) = assignee
            && let Some(user_id) = p.user_id
        {
            notice.mentions = vec![Mention {
                user_id,
                name: p.name,
            }];
        }
        Ok(Some(notice))
    }

    /// Resolves ticket `n` with `text` (what was done): the reporter and those who joined the
    /// report are asked to rate it, and the rating window's timer starts.
    pub(in crate::engine) async fn resolve(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
        n: i64,
        text: &str,
    ) -> Outcome {
        let mut t = match self.access(tx, scene, n, Name::Done).await? {
            Access::Granted(t) => t,
            Access::Refused(refusal) => {
                return Ok(vec![
                    self.reporter_says_fixed(tx, fx, scene, n, text)
                        .await?
                        .unwrap_or(refusal),
                ]);
            }
        };
        if let Err(notice) = self
            .transition(tx, scene, &mut t, Transition::Resolve, Name::Done)
            .await?
        {
            return Ok(vec![notice]);
        }
        if let Err(notice) = self.evidence_for_resolve(tx, fx, scene, &t).await? {
            return Ok(vec![notice]);
        }
        Self::staff_responded(&mut t, scene.now);
        t.resolved_at = Some(scene.now);
        if t.claimed_at.is_none() {
            t.claimed_at = Some(scene.now);
        }
        if t.assignee.is_none() {
            t.assignee = scene.person.clone();
        }
        tx.update_ticket(&t).await?;
        let timeout = self.settings.rating.timeout.as_millis();
        tx.add_timers(&[(
            crate::engine::timers::RATING_TIMEOUT,
            t.id,
            scene.now + timeout,
        )]);
        let text = mask_personal_numbers(text);
        fx.record(scene, t.id, HistoryKind::Resolved, &text);
        let buttons = self.buttons_on(&t.platform);
        let mut notice = Notice::plain(
            self.texts.resolved(
                &scene.number(&t.grid, t.no),
                &scene.event.sender.name,
                &text,
                &t.reporter_name,
                buttons,
                t.category == crate::domain::Category::Admin
                    && crate::understand::command::asks_for_information(&t.body),
            ),
            Some(t.id),
        );
        notice.mentions = vec![Mention {
            user_id: t.reporter_id.clone(),
            name: t.reporter_name.clone(),
        }];
        notice.buttons = self.rating_buttons(&t.number());
        let mut notices = vec![notice];
        // Those who joined the report are asked too, in the same chat.
        let co: Vec<_> = tx
            .co_reporters(t.id)
            .await?
            .into_iter()
            .filter(|c| c.platform == t.platform && c.user_id != t.reporter_id)
            .collect();
        if !co.is_empty() {
            let names: Vec<&str> = co.iter().map(|c| c.name.as_str()).collect();
            let until = self.texts.when(self.rating_window_end(&t), self.tz());
            let mut ask = Notice::plain(
                self.texts
                    .rate_prompt_co_reporters(&scene.number(&t.grid, t.no), &names, &until),
                Some(t.id),
            );
            ask.mentions = co
                .iter()
                .map(|c| Mention {
                    user_id: c.user_id.clone(),
                    name: c.name.clone(),
                })
                .collect();
            ask.buttons = self.rating_buttons(&t.number());
            ask.as_reply = false;
            notices.push(ask);
        }
        Ok(notices)
    }
}
