//! Give someone a role: `/role @王芳 leader [grid]` (设置角色 @王芳 网格长).

use crate::domain::Role;
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
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
        if !scene.may(Name::Role) {
            return Ok(vec![engine.refusal(scene, Name::Role, None)]);
        }
        let texts = &engine.texts;
        let target = &self.target;
        let mut people = tx.find_people(target, scene.platform()).await?;
        let person = match people.len() {
            0 => return Ok(vec![Notice::plain(texts.no_such_person(target), None)]),
            1 => people.remove(0),
            _ => return Ok(vec![Notice::plain(texts.ambiguous_person(target), None)]),
        };
        // An admin is one everywhere; any other role is held on a grid: the one named, else
        // the group's.
        let grid_code = match (self.role, self.grid) {
            (Role::Admin, _) => String::new(),
            (_, Some(code)) => code,
            (_, None) => match &scene.group {
                Some(g) => g.grid.clone(),
                None => {
                    return Ok(vec![Notice::plain(
                        texts.invalid_command(
                            Name::Role.named(texts),
                            &Problem::MissingGrid,
                            scene.typed_slash(),
                            None,
                        ),
                        None,
                    )]);
                }
            },
        };
        if !grid_code.is_empty() && tx.grid(&grid_code).await?.is_none() {
            return Ok(vec![Notice::plain(texts.no_such_grid(&grid_code), None)]);
        }
        tx.add_grant(&person.code, self.role, &grid_code).await?;
        tracing::info!(person = %person.code, role = %self.role, grid = %grid_code, "role granted");
        let on = if grid_code.is_empty() {
            "*"
        } else {
            &grid_code
        };
        Ok(vec![Notice::plain(
            texts.role_set(&person.name, self.role.id(), on),
            None,
        )])
    }
}
