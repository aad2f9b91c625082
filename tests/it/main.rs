//! gridline's integration tests: one binary, the real application on port 0 against real
//! SQLite and a throwaway PostgreSQL 15 server, with platforms faked at their wire protocol.

mod support;

mod architecture;
mod bench;
mod console;
mod console_browser;
mod conversation;
mod core;
mod crash;
mod delivery;
mod extensions;
mod fake_onebot;
mod fake_telegram;
mod fake_wecom;
mod fuzz;
mod limits;
mod numbers;
mod onebot;
mod permissions;
mod pools;
mod reach;
mod replicas;
mod sandbox;
mod sandbox_browser;
mod sla;
mod stats;
mod telegram;
mod understanding;
