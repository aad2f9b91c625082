//! The ticket domain: plain data and pure functions, no I/O.
//!
//! - [`category`]: request categories and urgency.
//! - [`ticket`]: the ticket state machine and ratings.
//! - [`role`]: roles, grants on the grid tree and permission checks.
//! - [`rollup`]: what one ticket adds to the statistics rollups.
//! - [`sla`]: durations and deadline arithmetic.
//! - [`number`]: ticket numbers as shown (`#12`, `QS-DF-01#12`) and as typed.
//! - [`message`]: the platform-neutral message model (inbound events, outbound items, chats).
//! - [`history`]: what a ticket history line and a deadline timer record (stored ids).
//! - [`mask`]: masking phone and ID numbers on bot cards.
//! - [`calendar`]: working-time calendars (working hours, holidays, make-up days).
//! - [`quiet`]: quiet hours during which non-urgent notices are held.
//! - [`token`]: signed one-time console sign-in tokens.
//! - [`safety`]: safety advice on urgent cards, from an editable list.
//! - [`escalation`]: which node above a grid hears a missed deadline.

pub mod calendar;
pub mod category;
pub mod escalation;
pub mod extension;
pub mod history;
pub mod mask;
pub mod message;
pub mod number;
pub mod quiet;
pub mod role;
pub mod rollup;
pub mod safety;
pub mod sla;
pub mod ticket;
pub mod token;

pub use category::{Category, UnknownValue, Urgency};
pub use history::{DigestKind, HistoryKind, TimerKind};
pub use number::{Number, TicketRef};
pub use role::{Grant, Permission, Role, Subject};
pub use sla::{Deadlines, Due, HumanDuration};
pub use ticket::{Rating, Ratings, TicketState, Transition};
