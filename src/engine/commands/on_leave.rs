//! Who is on leave under your grids: `/onleave [GRID]` (请假名单, 请假名单 东风社区).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

/// The grid asked about, as typed (code or name), if any.
#[derive(Debug, Clone, PartialEq)]
pub struct OnLeave(pub Option<String>);

impl ChatCommand for OnLeave {
    const SPEC: Spec = Spec {
        slash: "onleave",
        slash_aliases: &[],
        words: &["请假名单", "休假名单"],
        usage: ("/onleave [GRID]", "请假名单 [网格编号或名称]"),
        example: "/onleave",
        who: Who::Supervisors,
        about: About::Nothing,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Private,
        words_in: Texts::on_leave_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        Ok(OnLeave((!rest.is_empty()).then(|| rest.to_string())))
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let asked = self.0.as_deref();
        let (_, path) = match engine.asked_scope(tx, scene, asked, Name::OnLeave).await? {
            Ok(scope) => scope,
            Err(notice) => return Ok(vec![notice]),
        };
        let texts = &engine.texts;
        let tz = engine.tz();
        let lines = tx
            .absences(&path, scene.now)
            .await?
            .iter()
            .map(|a| texts.absence_line(&a.name, &a.grid_name, &texts.day(a.until - 1, tz)))
            .collect();
        Ok(vec![engine.listing(texts.heading_on_leave(), lines)])
    }
}
