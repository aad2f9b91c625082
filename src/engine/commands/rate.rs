//! Rate the result: `/rate 42 满意|一般|不满意` (评价 42 满意).

use crate::domain::Rating;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number, parse_rating};

#[derive(Debug, Clone, PartialEq)]
pub struct Rate(pub TicketNo, pub Rating);

impl ChatCommand for Rate {
    const SPEC: Spec = Spec {
        slash: "rate",
        slash_aliases: &[],
        words: &["评价"],
        usage: ("/rate 42 满意|一般|不满意", "评价 42 满意"),
        example: "/rate 42 满意",
        who: Who::Reporter,
        about: About::Ticket,
        changes_roster: false,
        menu: true,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::rate_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        let rating = parse_rating(rest.trim()).ok_or(Problem::BadRating)?;
        Ok(Rate(n, rating))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        engine.rate(tx, fx, scene, n, self.1).await
    }
}
