//! Give someone a role: `/role @王芳 leader [grid]` (设置角色 @王芳 网格长).

use crate::domain::Role;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct SetRole {
    pub target: String,
    pub role: Role,
    pub grid: Option<String>,
}

impl ChatCommand for SetRole {
    const SPEC: Spec = Spec {
        slash: "role",
        slash_aliases: &[],
        words: &["设置角色"],
        usage: ("/role @姓名 角色 [网格]", "设置角色 @姓名 网格长"),
        example: "/role @王芳 leader T01-V01-G01",
        who: Who::Admins,
        about: About::Grid,
        changes_roster: true,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::role_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let mut words = rest.split_whitespace();
        let target = words.next().ok_or(Problem::MissingTarget)?;
        let role = words
            .next()
            .ok_or(Problem::BadRole)?
            .parse::<Role>()
            .map_err(|_| Problem::BadRole)?;
        let grid = words.next().map(str::to_string);
        Ok(SetRole {
            target: target.trim_start_matches('@').to_string(),
            role,
            grid,
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        engine
            .set_role(tx, scene, &self.target, self.role, self.grid.as_deref())
            .await
    }
}
