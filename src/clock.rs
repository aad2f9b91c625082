//! The time every decision is made at. Production reads the system clock; tests move it
//! forward to cross deadlines, quiet hours and digest times without sleeping.
//!
//! The clock keeps flowing after a jump (it is the system time plus an offset), so retries,
//! leases and waits behave as in production while the test controls where "now" is.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The system time in Unix milliseconds (UTC), unshifted: for what measures real time
/// (commit times, leases) rather than deciding on deadlines.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Unix milliseconds (UTC), shifted by an offset that only tests change.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> i64 {
        now_millis() + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock so that `now()` reads `at` at this moment (tests).
    pub fn set(&self, at: i64) {
        self.offset_ms.store(at - now_millis(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let c = Clock::system();
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() >= before + 3_600_000);
        c.set(1_000_000);
        assert!((c.now() - 1_000_000).abs() < 1_000);
    }
}
