//! Correct a ticket's urgency: `/urgency 42 urgent|normal` (改为紧急 42, 改为一般 42).

use crate::domain::Urgency;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::corrections::Correction;
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct SetUrgency(pub TicketNo, pub Urgency);

impl ChatCommand for SetUrgency {
    const SPEC: Spec = Spec {
        slash: "urgency",
        slash_aliases: &[],
        words: &["改为紧急", "改为一般", "改成紧急", "改成一般"],
        usage: ("/urgency 42 urgent|normal", "改为紧急 42"),
        example: "/urgency 42 urgent",
        who: Who::Supervisors,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::urgency_command,
    };

    fn read(word: &str, rest: &str) -> Result<Self, Problem> {
        let (n, rest) = number(rest)?;
        // 改为紧急 42 says the level in its word; /urgency 42 urgent after the number.
        let level = match rest.trim() {
            "" => word
                .strip_prefix("改为")
                .or_else(|| word.strip_prefix("改成")),
            level => Some(level),
        };
        let urgency = match level.map(str::to_lowercase).as_deref() {
            Some("urgent" | "紧急" | "急") => Urgency::Urgent,
            Some("normal" | "一般" | "普通" | "不急") => Urgency::Normal,
            _ => return Err(Problem::BadUrgency),
        };
        Ok(SetUrgency(n, urgency))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(engine.find_ticket(tx, scene, &self.0).await?);
        let to = Correction::Urgency(self.1);
        engine.correct(tx, fx, scene, n, to).await
    }
}
