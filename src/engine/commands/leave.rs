//! Go on leave until a day (inclusive): `/leave until 2026-12-03` (请假 至 12月3日).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

/// The last day of a leave as written; the year is the next occurrence when left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaveDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leave(pub LeaveDate);

impl ChatCommand for Leave {
    const SPEC: Spec = Spec {
        slash: "leave",
        slash_aliases: &[],
        words: &["请假", "休假"],
        usage: ("/leave until 2026-12-03", "请假 至 12月3日"),
        example: "/leave until 2026-12-03",
        who: Who::OnDuty,
        about: About::Nothing,
        changes_roster: true,
        menu: false,
        told_when_bare: true,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::leave_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        leave_date(rest).map(Leave)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        engine.leave(tx, fx, scene, self.0).await
    }
}

/// "至 12月3日", "until 2026-12-03", "2026/12/3", "12-03", "12月3号", "2026年12月3日".
fn leave_date(rest: &str) -> Result<LeaveDate, Problem> {
    let mut s = rest.trim();
    for prefix in ["至", "到", "until", "till", "to"] {
        if let Some(after) = s.strip_prefix(prefix) {
            s = after.trim();
            break;
        }
    }
    let s = s.trim_end_matches(['日', '号']);
    let numbers: Vec<&str> = s
        .split(['-', '/', '.', '年', '月'])
        .map(str::trim)
        .collect();
    let num = |t: &str| t.parse::<u32>().ok();
    let (year, month, day) = match numbers.as_slice() {
        [y, m, d] if y.len() == 4 => (Some(num(y).ok_or(Problem::BadDate)? as i32), num(m), num(d)),
        [m, d] => (None, num(m), num(d)),
        _ => return Err(Problem::BadDate),
    };
    match (month, day) {
        (Some(month @ 1..=12), Some(day @ 1..=31)) => Ok(LeaveDate { year, month, day }),
        _ => Err(Problem::BadDate),
    }
}
