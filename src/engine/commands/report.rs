//! Report a problem: `/report 3栋楼道灯坏了` (诉求 3栋楼道灯坏了).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Report(pub String);

impl ChatCommand for Report {
    const SPEC: Spec = Spec {
        slash: "report",
        slash_aliases: &[],
        words: &["诉求", "报事"],
        usage: ("/report 内容", "诉求 内容"),
        example: "/report 3栋楼道灯坏了",
        who: Who::Anyone,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::report_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        if rest.is_empty() {
            Err(Problem::MissingText)
        } else {
            Ok(Report(rest.to_string()))
        }
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let mut u = engine.read(scene, &self.reading());
        u.explicit = true;
        u.is_request = true;
        engine.open_ticket(tx, fx, scene, &u).await
    }
}

impl Report {
    /// The text the report is read as: its words in explicit form, so that the parser never
    /// takes a report for chatter.
    pub(in crate::engine) fn reading(&self) -> String {
        format!("/report {}", self.0)
    }
}
