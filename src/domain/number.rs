//! Ticket numbers people can type. Each grid numbers its own tickets 1, 2, 3 …; a ticket is
//! shown as `#12` in the chats of its own grid and as `QS-DF-01#12` (grid code, `#`, number)
//! anywhere else: a village group, a private chat, a digest, the console, an export. Both forms
//! are accepted wherever a command takes a ticket. The database's global id stays the key
//! every table refers to and is never shown, so numbers stay short in a county with a million
//! tickets. See docs/numbers.md.

use std::fmt;

/// A ticket as people see it written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// The grid's code (`QS-DF-01`).
    pub grid: String,
    /// The number within the grid.
    pub no: i64,
    /// Shown in one of the grid's own chats: `#12` alone says which ticket.
    pub local: bool,
}

impl Number {
    /// The number as written in the grid's own chats.
    pub fn local(grid: &str, no: i64) -> Number {
        Number {
            grid: grid.to_string(),
            no,
            local: true,
        }
    }

    /// The number as written anywhere else.
    pub fn qualified(grid: &str, no: i64) -> Number {
        Number {
            grid: grid.to_string(),
            no,
            local: false,
        }
    }

    /// The same ticket written in the form that is understood everywhere.
    pub fn everywhere(&self) -> Number {
        Number::qualified(&self.grid, self.no)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.local {
            write!(f, "#{}", self.no)
        } else {
            write!(f, "{}#{}", self.grid, self.no)
        }
    }
}

/// A ticket as typed in a command: `12`, `#12`, `12号`, or `QS-DF-01#12` from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketRef {
    /// The grid code when typed; `None` means the grid of the chat it was typed in.
    pub grid: Option<String>,
    pub no: i64,
}

impl TicketRef {
    /// A number typed without a grid.
    pub fn here(no: i64) -> TicketRef {
        TicketRef { grid: None, no }
    }

    /// A number with its grid.
    pub fn in_grid(grid: &str, no: i64) -> TicketRef {
        TicketRef {
            grid: Some(grid.to_string()),
            no,
        }
    }

    /// Reads a whole word as a ticket reference (full-width characters already folded).
    pub fn parse(word: &str) -> Option<TicketRef> {
        let word = word.trim();
        match word.rsplit_once('#') {
            Some((grid, no)) if !grid.is_empty() => {
                let no = positive(no)?;
                is_grid_code(grid).then(|| TicketRef::in_grid(grid, no))
            }
            Some((_, no)) => positive(no).map(TicketRef::here),
            None => {
                let no = word.strip_suffix('号').unwrap_or(word);
                positive(no).map(TicketRef::here)
            }
        }
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.grid {
            Some(grid) => write!(f, "{grid}#{}", self.no),
            None => write!(f, "#{}", self.no),
        }
    }
}

/// Could `word` be a grid code before `#`: no spaces, not only digits (`12#3` is no reference).
pub fn is_grid_code(word: &str) -> bool {
    !word.is_empty()
        && !word.chars().any(|c| c.is_whitespace() || c == '#')
        && !word.chars().all(|c| c.is_ascii_digit())
}

fn positive(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 12 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_short_at_home_and_with_the_grid_elsewhere() {
        assert_eq!(Number::local("QS-DF-01", 12).to_string(), "#12");
        assert_eq!(Number::qualified("QS-DF-01", 12).to_string(), "QS-DF-01#12");
        assert_eq!(
            Number::local("QS-DF-01", 12).everywhere().to_string(),
            "QS-DF-01#12"
        );
    }

    #[test]
    fn typed_forms() {
        let cases: &[(&str, Option<TicketRef>)] = &[
            ("12", Some(TicketRef::here(12))),
            ("#12", Some(TicketRef::here(12))),
            ("12号", Some(TicketRef::here(12))),
            ("QS-DF-01#12", Some(TicketRef::in_grid("QS-DF-01", 12))),
            ("qs-df-01#3", Some(TicketRef::in_grid("qs-df-01", 3))),
            ("0", None),
            ("#", None),
            ("12a", None),
            ("QS DF#1", None),
            ("东风01#4", Some(TicketRef::in_grid("东风01", 4))),
            ("12#3", None),
            ("QS-DF-01#", None),
            ("9999999999999", None),
        ];
        for (text, want) in cases {
            assert_eq!(&TicketRef::parse(text), want, "{text}");
        }
    }

    #[test]
    fn a_typed_reference_prints_as_it_is_read() {
        for r in [TicketRef::here(7), TicketRef::in_grid("QS-XL-02", 7)] {
            assert_eq!(TicketRef::parse(&r.to_string()), Some(r));
        }
    }
}
