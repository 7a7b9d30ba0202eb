//! The one place tacit reads the wall clock.
//!
//! Due times are compared with `Clock::now()` and nothing else. If the wall clock
//! jumps forward, everything due by the new time runs at once (as it would after a
//! long outage); if it jumps back, due work waits until the clock reaches its time
//! again. No work is lost or doubled either way, because due times and leases are
//! stored, not counted down in memory.

use jiff::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
