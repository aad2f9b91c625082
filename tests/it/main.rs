//! gridline's integration tests: one binary (see the crate docs for the layout).

mod fake_telegram;
mod telegram;
