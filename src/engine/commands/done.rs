//! Resolve: `/done 42 换了灯泡` (办结 42 …).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
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
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.resolve(tx, fx, scene, n, &self.1).await
    }
}
