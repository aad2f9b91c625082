//! Who serves this group: `/contact` (网格员). Residents ask it in words as often ("网格员是
//! 谁", "网格员电话多少", "who is our grid leader"); those are read as this command too
//! (`understand::command::asks_contact`).

use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::{Serving, Texts};
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Contact;

impl ChatCommand for Contact {
    const SPEC: Spec = Spec {
        slash: "contact",
        slash_aliases: &["leader"],
        words: &["网格员", "网格长", "联系网格员"],
        usage: ("/contact", "网格员"),
        example: "/contact",
        who: Who::Anyone,
        about: About::Nothing,
        changes_roster: false,
        menu: true,
        told_when_bare: false,
        after_number: false,
        answer: Answer::Here,
        words_in: Texts::contact_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        super::bare(rest, Contact)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let texts = &engine.texts;
        // A private chat serves no grid: the group's own answer is asked there.
        let Some(group) = &scene.group else {
            return Ok(vec![Notice::plain(
                texts.contact_in_a_group().to_string(),
                None,
            )]);
        };
        let platform = scene.platform();
        let grid = tx.grid(&group.grid).await?;
        let names = |people: Vec<crate::store::roster::Person>| {
            people.into_iter().map(|p| p.name).collect::<Vec<_>>()
        };
        let mut serving = Serving {
            grid: grid
                .as_ref()
                .map_or_else(|| group.grid.clone(), |g| g.name.clone()),
            ..Serving::default()
        };
        if grid.is_some_and(|g| g.level != "grid") {
            // A village's or town's group (coordinators' groups) is served by its coordinators.
            serving.coordinators = names(tx.holders(&group.grid, "coordinator", platform).await?);
        } else {
            serving.leaders = names(tx.holders(&group.grid, "leader", platform).await?);
            serving.deputies = names(tx.holders(&group.grid, "deputy", platform).await?);
            // The leader away today: whoever new tickets go to instead.
            serving.covering = tx
                .on_duty(&group.grid, platform, scene.now)
                .await?
                .map(|p| p.name)
                .filter(|name| !serving.leaders.is_empty() && !serving.leaders.contains(name));
        }
        Ok(vec![Notice::plain(texts.serving(&serving), None)])
    }
}
