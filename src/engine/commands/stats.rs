//! Statistics: `/stats [detail|ranking] [period] [grid code or name]` (统计 本月 东风社区,
//! 统计明细, 统计 排名). The engine reads the period and the scope from the arguments
//! (`stats::split_period_scope`): which words are a period depends on nothing but the words.
//!
//! Statistics never run inside the engine's write transaction. In the message's transaction
//! the command only reads the period and the scope (and checks the asker may see it) and
//! records the question with where its answer goes (`store::questions`, a durable row). After
//! commit [`Engine::answer_questions`] reads the figures from the rollups beside the writer
//! (a read transaction: on SQLite it takes no write turn) and queues the answer in a short
//! transaction of its own that also deletes the question. A question recorded just before a
//! crash is answered after the restart; with several replicas the delete decides which one
//! sends it.

use std::sync::Arc;

use crate::domain::message::Outbound;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::stats::StatsTexts as _;
use crate::store::outbox::NewOutbound;
use crate::store::questions::{NewQuestion, Question};
use crate::store::{Store, StoreError, Tx};
use crate::understand::command::{Problem, split_word};

/// Questions answered per pass of [`Engine::answer_questions`].
const ANSWER_BATCH: i64 = 32;
/// How long a pass reads answers before it queues those it has (see
/// [`Engine::answer_questions`]).
const ANSWER_SLICE: std::time::Duration = std::time::Duration::from_millis(250);

/// What a statistics command shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatsView {
    /// The sentence for one scope.
    #[default]
    Summary,
    /// One line per child unit with its rates (统计明细).
    Detail,
    /// 红黑榜 of the child units by weighted score (统计 排名).
    Ranking,
}

impl StatsView {
    /// The view as stored with a question.
    fn id(self) -> &'static str {
        match self {
            StatsView::Summary => "summary",
            StatsView::Detail => "detail",
            StatsView::Ranking => "ranking",
        }
    }

    fn from_id(id: &str) -> StatsView {
        match id {
            "detail" => StatsView::Detail,
            "ranking" => StatsView::Ranking,
            _ => StatsView::Summary,
        }
    }

    /// `明细` / `detail`, `排名` / `ranking` as the first word of a statistics command.
    fn from_word(word: &str) -> Option<StatsView> {
        match word.to_lowercase().as_str() {
            "明细" | "detail" | "details" => Some(StatsView::Detail),
            "排名" | "排行" | "红黑榜" | "ranking" | "rank" => Some(StatsView::Ranking),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub view: StatsView,
    /// The period and the scope, as written.
    pub args: String,
}

impl ChatCommand for Stats {
    const SPEC: Spec = Spec {
        slash: "stats",
        slash_aliases: &[],
        words: &["统计", "统计明细", "统计排名"],
        usage: (
            "/stats [detail|ranking] [本月|上月|11月|…] [网格]",
            "统计 本月 东风社区",
        ),
        example: "/stats 7d",
        who: Who::Supervisors,
        about: About::Grid,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Private,
        words_in: Texts::stats_command,
    };

    fn read(word: &str, rest: &str) -> Result<Self, Problem> {
        // 统计明细 and 统计排名 are 统计 明细 and 统计 排名.
        let (view, args) = match word {
            "统计明细" => (StatsView::Detail, rest),
            "统计排名" => (StatsView::Ranking, rest),
            _ => {
                let (first, after) = split_word(rest);
                match StatsView::from_word(first) {
                    Some(view) => (view, after.trim()),
                    None => (StatsView::Summary, rest),
                }
            }
        };
        Ok(Stats {
            view,
            args: args.to_string(),
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        engine.stats(tx, scene, self.view, &self.args).await
    }
}

/// A statistics question whose scope and period are read: what the answer reads after commit.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::engine) struct Asked {
    view: StatsView,
    /// The grid node (`*`: every grid), its name and the period's label as the answer shows them.
    node: String,
    name: String,
    label: String,
    /// The period's local days (`yyyymmdd`, inclusive; `0`: from the start).
    from: i32,
    to: i32,
}

impl Asked {
    /// The question to record, answered in the message `reply` (whose text, often empty,
    /// follows the figures).
    pub(in crate::engine) fn record(
        self,
        platform: String,
        account: String,
        reply: Outbound,
    ) -> NewQuestion {
        NewQuestion {
            platform,
            account,
            reply,
            view: self.view.id().to_string(),
            node: self.node,
            name: self.name,
            label: self.label,
            from: self.from,
            to: self.to,
        }
    }
}

impl Engine {
    /// `统计 [明细|排名] [period] [scope]`: reads the period and the scope and records the
    /// question; the figures are read after commit (see the module doc).
    async fn stats(&self, tx: &mut Tx, scene: &Scene<'_>, view: StatsView, args: &str) -> Outcome {
        let zone = self.settings.general.timezone.0;
        let today = crate::stats::today(scene.now, zone);
        let (span, asked) = crate::stats::split_period_scope(args, today);
        // What is left after the period is the scope, unless it was meant as a period that
        // cannot be read ("13月", "11月15日-11月1日"): that is answered as a period.
        if let Some(text) = &asked {
            use crate::stats::period::{self, PeriodError};
            let words = std::iter::once(text.as_str()).chain(text.split_whitespace());
            for word in words {
                match period::parse(word, today) {
                    Err(PeriodError::Backwards) => {
                        return Ok(vec![Notice::plain(self.texts.backwards_period(word), None)]);
                    }
                    Err(_) if period::looks_like_period(word) && !word.contains(' ') => {
                        return Ok(vec![Notice::plain(self.texts.bad_period(word), None)]);
                    }
                    _ => {}
                }
            }
        }
        let (code, _) = match self
            .asked_scope(tx, scene, asked.as_deref(), Name::Stats)
            .await?
        {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let (node, name) = if code == "*" {
            ("*".to_string(), self.texts.all_grids().to_string())
        } else {
            let name = tx
                .grid(&code)
                .await?
                .map_or_else(|| code.clone(), |g| g.name);
            (code, name)
        };
        let label = match self.texts.lang {
            crate::config::Language::Zh => span.label_zh(),
            crate::config::Language::En => span.label_en(),
        };
        let (from, to) = span.days();
        Ok(vec![Notice::asked(Asked {
            view,
            node,
            name,
            label,
            from,
            to,
        })])
    }

    /// Answers the statistics questions waiting (see the module doc): each read from the
    /// rollups beside the writer, then all of them queued, with their questions deleted, in
    /// one short transaction. One commit for the pass, not one per answer: on SQLite every
    /// commit holds the write turn for an fsync, and ten coordinators asking at the same
    /// moment would otherwise put ten of them between the intake's batches every second.
    /// Returns how many answers were queued.
    pub async fn answer_questions(&self, store: &Store) -> Result<usize, StoreError> {
        let mut ready = Vec::new();
        let mut failed = None;
        let started = std::time::Instant::now();
        for (id, question) in store.waiting_questions(ANSWER_BATCH).await? {
            // Those read so far go out first when reading takes long (a pass over a large
            // database on a busy machine); the rest come in the next pass.
            if started.elapsed() >= ANSWER_SLICE && !ready.is_empty() {
                break;
            }
            // Tests hold answers here to show that intake goes on meanwhile.
            let _turn = self.answers_held.read().await;
            let answer = match question {
                Ok(q) => match self.answer(store, q).await {
                    Ok(a) => Some(a),
                    Err(e) => {
                        // The answers read so far are queued; this one and the rest wait
                        // for the next pass.
                        failed = Some(e);
                        break;
                    }
                },
                Err(e) => {
                    tracing::warn!(question = id, error = %e, "unreadable statistics question dropped");
                    None
                }
            };
            ready.push((id, answer));
        }
        let mut answered = 0;
        if !ready.is_empty() {
            let mut tx = store.begin_background().await?;
            let mut queued = Vec::new();
            for (id, answer) in ready {
                if tx.take_question(id).await?
                    && let Some(answer) = answer
                {
                    if let Outbound::Send(m) = &answer.item {
                        queued.push((answer.platform.clone(), m.chat.clone()));
                    }
                    tx.enqueue(&[answer], self.clock.now()).await?;
                    answered += 1;
                }
            }
            tx.commit().await?;
            if self.answered.receiver_count() > 0 {
                let at = std::time::Instant::now();
                for (platform, chat) in queued {
                    let _ = self.answered.send(Arc::new(crate::engine::Answered {
                        at,
                        platform,
                        chat,
                    }));
                }
            }
        }
        match failed {
            Some(e) if answered == 0 => Err(e),
            Some(e) => {
                tracing::warn!(error = %e, "a statistics answer could not be read; it is tried again");
                Ok(answered)
            }
            None => Ok(answered),
        }
    }

    /// The answer to one question, read from the rollups in read transactions.
    async fn answer(&self, store: &Store, q: Question) -> Result<NewOutbound, StoreError> {
        let ask = q.ask;
        let text = match StatsView::from_id(&ask.view) {
            StatsView::Summary => {
                let figures = store.rollup_figures(&ask.node, ask.from, ask.to).await?;
                let summary = crate::stats::Summary::from_figures(&figures);
                self.texts.stats_sentence(&summary, &ask.name, &ask.label)
            }
            view @ (StatsView::Detail | StatsView::Ranking) => {
                let rows = store.rollup_children(&ask.node, ask.from, ask.to).await?;
                let codes: Vec<String> = rows.iter().map(|(c, _)| c.clone()).collect();
                let names = store.grid_names(&codes).await?;
                let children = crate::stats::children_from(rows, &names, &self.settings.stats);
                if view == StatsView::Detail {
                    let detail = self.texts.stats_detail(&ask.name, &ask.label, &children);
                    let leaders = store.rollup_leaders(&ask.node, ask.from, ask.to).await?;
                    let leaders = self.texts.stats_leaders(&leaders);
                    if leaders.is_empty() {
                        detail
                    } else {
                        format!("{detail}\n{leaders}")
                    }
                } else {
                    let scored: Vec<_> = children
                        .into_iter()
                        .map(|c| {
                            let score = c.summary.score(&self.settings.stats);
                            (c, score)
                        })
                        .collect();
                    self.texts.stats_ranking(&ask.name, &ask.label, &scored)
                }
            }
        };
        let mut item = ask.reply;
        if let Outbound::Send(message) = &mut item {
            message.text = if message.text.is_empty() {
                text
            } else {
                format!("{text}\n{}", message.text)
            };
        }
        tracing::debug!(
            question = q.id,
            asked_at = q.asked_at,
            "statistics question answered"
        );
        Ok(NewOutbound {
            platform: ask.platform,
            account: ask.account,
            ticket_id: None,
            item,
            not_before: None,
        })
    }

    /// Holds answering statistics questions until the guard is dropped (tests: a slow read).
    #[doc(hidden)]
    pub async fn hold_answers(&self) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        Arc::clone(&self.answers_held).write_owned().await
    }
}
