//! Statistics: `/stats [detail|ranking] [period] [grid code or name]` (统计 本月 东风社区,
//! 统计明细, 统计 排名). The engine reads the period and the scope from the arguments
//! (`stats::split_period_scope`): which words are a period depends on nothing but the words.

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, split_word};

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
