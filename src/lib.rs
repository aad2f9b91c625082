//! gridline turns what residents write in community group chats into tracked tickets for the
//! grid leader (网格长) who looks after that group, and reports progress back into the chat.
//!
//! The modules, in the order a message flows through them:
//!
//! - [`platform`]: the adapter interface and the adapters (in-process, sandbox, Telegram,
//!   OneBot). The only code that knows a platform's wire format.
//! - [`intake`]: the durable, de-duplicating inbox writer adapters submit events to; it applies
//!   them through [`intake::Apply`] (the engine), in the same transaction when nothing older
//!   is waiting, else in arrival order behind the backlog.
//! - [`understand`]: is a message a request (category, urgency, place)? Also the readers of
//!   command arguments (ticket numbers as people type them, ratings, categories).
//! - [`engine`]: applies an event: opens tickets, runs commands, writes replies to the outbox;
//!   acts on deadlines as they fall due (reminders, escalation, rating timeouts, digests).
//!   Each chat command is one file in [`engine::commands`]: its words, who may use it, how its
//!   arguments are read and what it does.
//! - [`domain`]: the message model, the ticket state machine, roles and the permission table,
//!   deadlines. Pure.
//! - [`store`]: SQLite/PostgreSQL storage; the only module with SQL.
//! - [`outbox`]: the delivery worker: rate limits, retries with backoff, parking.
//! - [`i18n`]: every sentence the bot says, in Chinese and English.
//! - [`stats`]: the numbers coordinators report.
//! - [`import`]: the roster CSV importer.
//! - [`doctor`]: which grid nodes would receive escalations with no channel to receive them.
//! - [`console`]: the coordinator console on the HTTP listener (ledger, charts, exports,
//!   letters).
//! - [`limits`]: bounds on untrusted input (body and message sizes, text caps) and log lines
//!   a flood of refusals cannot multiply.
//! - [`app`]: wiring, HTTP listener, shutdown.
//! - [`config`]: layered, validated configuration.
//! - [`clock`]: the time decisions are made at (tests move it).
//! - [`node`]: which process and machine this is, so that a restarted process takes back at
//!   once what a dead one of the same machine held (outbox leases, the polling duty).

pub mod app;
pub mod bench;
pub mod clock;
pub mod config;
pub mod console;
pub mod doctor;
pub mod domain;
pub mod engine;
pub mod i18n;
pub mod import;
pub mod intake;
pub mod learn;
pub mod limits;
pub mod node;
pub mod outbox;
pub mod platform;
pub mod stats;
pub mod store;
pub mod understand;
