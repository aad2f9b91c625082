//! gridline's integration tests: one binary, real application parts, fake platforms speaking
//! the real wire protocols over loopback.

mod fake_onebot;
mod fake_wecom;
mod onebot;
