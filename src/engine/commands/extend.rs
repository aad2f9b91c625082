//! Ask for more time: `/extend 42 3d 理由` (延期 42 3天 理由), by whoever handles the ticket.
//! The coordinators of the village above its grid decide (`approve.rs`, `reject.rs`): they are
//! asked in their group (with 同意延期 / 不同意 buttons where the platform has buttons), in
//! their private chats with the bot and by the village's WeCom robot, wherever escalations to
//! the village go.
//!
//! The rules (`[extension]`): at most `max` approved extensions per ticket, each of at most
//! `max_days` days, one request waiting at a time, only while the ticket is being handled.
//! Nothing moves until a coordinator approves.

use crate::domain::HistoryKind;
use crate::domain::escalation::CLAIM_LEVEL as VILLAGE;
use crate::domain::extension::{self, CannotAsk, ExtensionState};
use crate::domain::mask::mask_personal_numbers;
use crate::domain::message::{Button, Outbound, OutboundMessage};
use crate::domain::role::Who;
use crate::engine::commands::{About, Answer, ChatCommand, Name, Spec};
use crate::engine::{Effects, Engine, Notice, Outcome, Scene};
use crate::i18n::Texts;
use crate::store::Tx;
use crate::store::outbox::NewOutbound;
use crate::understand::command::{Problem, TicketNo, number};

#[derive(Debug, Clone, PartialEq)]
pub struct Extend {
    pub ticket: TicketNo,
    pub days: u32,
    pub reason: String,
}

impl ChatCommand for Extend {
    const SPEC: Spec = Spec {
        slash: "extend",
        slash_aliases: &[],
        words: &["延期", "申请延期"],
        usage: ("/extend 42 3d 理由", "延期 42 3天 理由"),
        example: "/extend 42 3d 等待配件",
        who: Who::Handlers,
        about: About::Ticket,
        changes_roster: false,
        menu: false,
        told_when_bare: true,
        after_number: true,
        answer: Answer::Here,
        words_in: Texts::extend_command,
    };

    fn read(_word: &str, rest: &str) -> Result<Self, Problem> {
        let (ticket, rest) = number(rest)?;
        let (days, reason) = days_and_reason(rest).ok_or(Problem::BadDays)?;
        Ok(Extend {
            ticket,
            days,
            // "延期 1 3天，等配件": the pause before the reason is not part of it.
            reason: crate::understand::command::trim_joiners(reason).to_string(),
        })
    }

    async fn run(
        self,
        engine: &Engine,
        tx: &mut Tx,
        fx: &mut Effects,
        scene: &Scene<'_>,
    ) -> Outcome {
        let n = found!(
            engine
                .find_ticket(tx, scene, &self.ticket, Self::NAME)
                .await?
        );
        let t = granted!(engine.access(tx, scene, n, Name::Extend).await?);
        let texts = &engine.texts;
        let no = scene.number(&t.grid, t.no);
        if !t.state.is_active() {
            let action = Name::Extend.words(texts).action;
            return Ok(vec![Notice::plain(
                texts.wrong_state(&no, t.state, action),
                None,
            )]);
        }
        let s = &engine.settings.extension;
        match extension::may_ask(t.extensions, self.days, s.max, s.max_days) {
            Ok(()) => {}
            Err(CannotAsk::NoMore { max }) => {
                return Ok(vec![Notice::plain(texts.extension_no_more(&no, max), None)]);
            }
            Err(CannotAsk::TooLong { max_days }) => {
                return Ok(vec![Notice::plain(
                    texts.extension_too_long(max_days),
                    None,
                )]);
            }
        }
        let asked = tx.extensions_of(t.id).await?;
        if let Some(p) = asked.iter().find(|e| e.state == ExtensionState::Pending) {
            let when = texts.when(p.asked_at, engine.tz());
            return Ok(vec![Notice::plain(
                texts.extension_pending(&no, &p.asked_name, p.days, &when),
                None,
            )]);
        }
        let reason = mask_personal_numbers(self.reason.trim());
        let name = scene.event.sender.name.clone();
        let days = i64::from(self.days);
        tx.ask_extension(t.id, (&scene.actor(), &name), days, &reason, scene.now)
            .await?;
        fx.record(
            scene,
            t.id,
            HistoryKind::ExtensionAsked,
            format!("{days} {reason}").trim_end(),
        );

        // The coordinators above decide: told on every channel an escalation to the village
        // would take, with buttons where the platform has them. A request is no emergency: it
        // waits for the end of quiet hours like any notice about a normal ticket.
        let village = engine.ancestor(tx, &t.grid, VILLAGE).await?;
        let village_name = match &village {
            Some(code) => tx.grid(code).await?.map(|g| g.name).unwrap_or_default(),
            None => String::new(),
        };
        let grid_name = tx.grid(&t.grid).await?.map(|g| g.name).unwrap_or_default();
        let mut due = texts.when(t.resolve_due, engine.tz());
        if t.resolve_due <= scene.now {
            due = texts.due_missed(&due);
        }
        let qualified = t.number();
        let channels = match &village {
            Some(code) => engine.channels(tx, code, VILLAGE).await?,
            None => Vec::new(),
        };
        if channels.is_empty() {
            tracing::warn!(
                ticket = t.id,
                "extension asked, but no coordinator above the grid can be told (see `gridline doctor`)"
            );
        }
        let hold = engine.hold(t.urgency, scene.now);
        for (chat, mentions) in channels {
            let buttons = engine.buttons_on(&chat.platform);
            let reason_shown = if reason.is_empty() { "—" } else { &reason };
            let text = texts.extension_request(
                &qualified,
                &grid_name,
                &name,
                days,
                reason_shown,
                &due,
                t.extensions + 1,
                buttons,
            );
            let buttons = if buttons {
                vec![
                    Button {
                        id: format!("/approve {qualified}"),
                        label: texts.button_approve().to_string(),
                    },
                    Button {
                        id: format!("/reject {qualified}"),
                        label: texts.button_reject().to_string(),
                    },
                ]
            } else {
                Vec::new()
            };
            fx.outbound.push(NewOutbound {
                platform: chat.platform.clone(),
                account: chat.account.clone(),
                ticket_id: Some(t.id),
                item: Outbound::Send(OutboundMessage {
                    chat: chat.chat_id.clone(),
                    thread: None,
                    text,
                    reply_to: None,
                    mentions,
                    buttons,
                }),
                not_before: hold,
            });
        }
        tracing::info!(ticket = t.id, days, "extension asked");
        let at = hold.map(|at| texts.clock_time(at, engine.tz()));
        Ok(vec![Notice::plain(
            texts.extension_asked(&no, days, &village_name, at.as_deref()),
            Some(t.id),
        )])
    }
}

/// The days and the reason after the ticket number: `3天 等配件`, `3 天 等配件`, `3d parts`,
/// `三天`, `十五天`, `7`. A number of something other than days ("三个月", "2周") is not read.
fn days_and_reason(rest: &str) -> Option<(u32, &str)> {
    let s = rest.trim_start();
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || "零一二两三四五六七八九十".contains(*c)))
        .map_or(s.len(), |(i, _)| i);
    let (amount, after) = s.split_at(end);
    if amount.is_empty() {
        return None;
    }
    let spaced = after.trim_start();
    let unit = ["days", "day", "天", "日", "d", "D"].into_iter().find(|u| {
        spaced.strip_prefix(u).is_some_and(|r| {
            // "3d", "3 days": a unit, not the first letter of a word ("3 due to").
            r.chars().next().is_none_or(|c| !c.is_ascii_alphabetic())
        })
    });
    let reason = match unit {
        Some(u) => &spaced[u.len()..],
        // A bare number must end there: "三个月" is not three days.
        None if after.is_empty() || after.starts_with(char::is_whitespace) => after,
        None => return None,
    };
    let days = extension::parse_days(&format!("{amount}{}", unit.unwrap_or("")))?;
    Some((days, reason.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_as_people_write_them_after_the_number() {
        for (rest, days, reason) in [
            (" 3天 等配件", 3, "等配件"),
            ("3 天 等配件", 3, "等配件"),
            ("3d waiting for parts", 3, "waiting for parts"),
            ("3 days waiting", 3, "waiting"),
            ("三天", 3, ""),
            ("十五天，天气原因", 15, "，天气原因"),
            ("7", 7, ""),
            ("2日 下雨", 2, "下雨"),
            ("3 due to rain", 3, "due to rain"),
        ] {
            assert_eq!(days_and_reason(rest), Some((days, reason)), "{rest:?}");
        }
        for rest in ["", "三个月", "2周", "下周", "0天", "3weeks"] {
            assert_eq!(days_and_reason(rest), None, "{rest:?}");
        }
    }

    #[test]
    fn read_as_a_command() {
        use crate::domain::TicketRef;
        use crate::engine::commands::{Command, Parsed, parse};
        let want = |no, days, reason: &str| {
            Parsed::Command(Command::Extend(Extend {
                ticket: TicketRef::here(no),
                days,
                reason: reason.to_string(),
            }))
        };
        assert_eq!(parse("延期 3 3天 等配件"), want(3, 3, "等配件"));
        assert_eq!(parse("#3 延期 2天"), want(3, 2, ""));
        assert_eq!(parse("/extend 3 5d parts"), want(3, 5, "parts"));
        assert_eq!(parse("申请延期 3 十天 雨季"), want(3, 10, "雨季"));
        assert!(matches!(
            parse("延期 3 三个月"),
            Parsed::Invalid {
                problem: Problem::BadDays,
                ..
            }
        ));
        use crate::engine::commands::{Approve, Reject};
        let approve = Parsed::Command(Command::Approve(Approve(TicketRef::here(3))));
        assert_eq!(parse("同意延期 3"), approve);
        assert_eq!(parse("#3 同意延期"), approve);
        assert_eq!(parse("/approve 3"), approve);
        let reject = |reason: &str| {
            Parsed::Command(Command::Reject(Reject {
                ticket: TicketRef::here(3),
                reason: reason.to_string(),
            }))
        };
        assert_eq!(parse("不同意延期 3 先处理"), reject("先处理"));
        assert_eq!(parse("#3 驳回延期 先处理"), reject("先处理"));
        assert_eq!(parse("/reject 3"), reject(""));
        assert_eq!(parse("延期了吗"), Parsed::NotCommand);
        assert_eq!(parse("活动延期3天"), Parsed::NotCommand);
    }
}
