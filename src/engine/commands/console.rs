//! A one-time sign-in link to the web console, sent in a private chat: `/console` (控制台).
//! The link is a key: it is never posted where others read. What the console then does runs
//! through the chat commands (`engine/console.rs`).

use crate::domain::message::ChatKind;
use crate::domain::role::{self, Who};
use crate::domain::token;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::understand::command::Problem;

#[derive(Debug, Clone, PartialEq)]
pub struct Console;

impl ChatCommand for Console {
    const SPEC: Spec = Spec {
        slash: "console",
        slash_aliases: &[],
        words: &["控制台"],
        usage: ("/console", "控制台"),
        example: "/console",
        who: Who::Staff,
        about: About::Nothing,
        changes_roster: false,
        menu: false,
        told_when_bare: false,
        after_number: false,
        answer: Answer::PrivateOnly,
        words_in: Texts::console_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        super::bare(rest, Console)
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        _fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let Some(person) = scene
            .person
            .as_deref()
            .filter(|_| role::is_staff_anywhere(&scene.grants))
        else {
            return Ok(vec![engine.refusal(scene, Name::Console, None)]);
        };
        if scene.event.chat.kind != ChatKind::Private {
            return Ok(vec![Notice::plain(
                engine.texts.console_private_only(),
                None,
            )]);
        }
        let secret = tx.console_secret().await?.unwrap_or_default();
        let mut random = [0u8; 16];
        if secret.is_empty() || getrandom::fill(&mut random).is_err() {
            tracing::warn!("no console secret or no randomness: console link not made");
            return Ok(vec![engine.refusal(scene, Name::Console, None)]);
        }
        let token = token::token(secret.as_bytes(), &random);
        let console = &engine.settings.console;
        let ttl = console.link_ttl.as_millis();
        tx.console_link_create(&token::digest(&token), person, scene.now, scene.now + ttl)
            .await?;
        let url = format!(
            "{}/console/login?token={token}",
            console.base_url(engine.settings.http.listen)
        );
        let mut notice = Notice::plain(engine.texts.console_link(&url, ttl / 60_000), None);
        notice.as_reply = false;
        Ok(vec![notice])
    }
}
