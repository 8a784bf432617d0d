//! The one reading of the clocks: the wall clock for what netdata is told
//! (sample times, when an answer expires, log lines), the monotonic clock
//! for the time between samples. Both come from the vDSO: no syscall.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Both clocks, read at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Microseconds since the Unix epoch (0 if the clock is before it).
    pub wall_us: u64,
    /// Microseconds since the first reading in this process.
    pub mono_us: u64,
}

impl Now {
    /// Whole seconds since the Unix epoch.
    pub fn wall_s(self) -> u64 {
        self.wall_us / 1_000_000
    }
}

/// The clocks now.
pub fn now() -> Now {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let wall_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    Now {
        wall_us,
        mono_us: start.elapsed().as_micros() as u64,
    }
}
