//! When to take the next sample.
//!
//! Samples fall on multiples of the interval on the wall clock, as netdata's
//! own heartbeat does, so charts of many plugins line up and nothing drifts
//! over hours. The wall clock only places samples: the microseconds reported
//! between samples come from the monotonic clock, and the schedule is built
//! so that a wall clock stepping back or forward neither stalls sampling for
//! more than two intervals nor fires a burst of catch-up samples.
//!
//! The schedule is pure: it is given both clocks' readings and answers how
//! long to wait, so tests drive it with made-up clocks.

/// The sampling schedule.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    step: u64,
    /// The wall-clock time (µs) of the next sample; 0 before the first.
    next_wall: u64,
    /// The monotonic time (µs) of the previous sample.
    last_mono: Option<u64>,
}

impl Schedule {
    /// A schedule of one sample every `interval_s` seconds (at least 1).
    pub fn new(interval_s: u64) -> Schedule {
        Schedule {
            step: interval_s.max(1) * 1_000_000,
            next_wall: 0,
            last_mono: None,
        }
    }

    /// The interval in microseconds.
    pub fn step_us(&self) -> u64 {
        self.step
    }

    /// The first multiple of the interval strictly after `wall`.
    fn align_after(&self, wall: u64) -> u64 {
        (wall / self.step + 1) * self.step
    }

    /// How many microseconds to wait before the next sample, given the wall
    /// and monotonic clocks now; 0 means sample now. Never more than one
    /// interval.
    pub fn wait_us(&mut self, wall: u64, mono: u64) -> u64 {
        let Some(last) = self.last_mono else {
            return 0;
        };
        // Never two samples closer than half an interval, whatever the wall
        // clock does.
        let earliest = last.saturating_add(self.step / 2);
        let by_mono = earliest.saturating_sub(mono);
        if wall >= self.next_wall {
            return by_mono;
        }
        let mut by_wall = self.next_wall - wall;
        if by_wall > self.step {
            // The wall clock went back: place the next sample on the next
            // boundary of the new time instead of waiting for the old one.
            self.next_wall = self.align_after(wall);
            by_wall = self.next_wall - wall;
        }
        by_wall.max(by_mono)
    }

    /// Records that a sample is taken now. Returns the monotonic
    /// microseconds since the previous sample (`None` for the first).
    pub fn sampled(&mut self, wall: u64, mono: u64) -> Option<u64> {
        // From the time now, not from the previous target: after a stall or
        // a forward jump the next sample is one boundary ahead, not a
        // catch-up burst.
        self.next_wall = self.align_after(wall);
        let since = self.last_mono.map(|l| mono.saturating_sub(l));
        self.last_mono = Some(mono);
        since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    /// Runs the schedule against simulated clocks for `total` µs of
    /// monotonic time, applying `jump(mono) -> wall offset change` and
    /// returning (wall, mono) of every sample.
    fn simulate(
        interval: u64,
        start_wall: u64,
        total: u64,
        jump: impl Fn(u64) -> i64,
    ) -> Vec<(u64, u64)> {
        let mut s = Schedule::new(interval);
        let mut mono: u64 = 5 * S;
        let mut offset: i64 = start_wall as i64 - mono as i64;
        let mut samples = Vec::new();
        let mut waits = 0;
        while mono < 5 * S + total {
            offset += jump(mono);
            let wall = (mono as i64 + offset) as u64;
            let w = s.wait_us(wall, mono);
            assert!(w <= s.step_us(), "wait {w} longer than an interval");
            if w == 0 {
                s.sampled(wall, mono);
                samples.push((wall, mono));
                waits = 0;
                mono += 137; // the sample takes a little time
            } else {
                waits += 1;
                assert!(waits < 4, "busy loop at mono {mono}");
                mono += w;
            }
        }
        samples
    }

    #[test]
    fn samples_fall_on_interval_boundaries_without_drift() {
        let samples = simulate(2, 1_700_000_000 * S + 345_678, 3600 * S, |_| 0);
        for &(wall, _) in &samples[1..] {
            assert_eq!(wall % (2 * S), 0);
        }
        assert_eq!(samples.len(), 1801);
    }

    #[test]
    fn wall_clock_stepping_back_an_hour_neither_stalls_nor_bursts() {
        let samples = simulate(1, 1_700_000_000 * S, 30 * S, |m| {
            if (10 * S..10 * S + 138).contains(&m.wrapping_sub(5 * S)) {
                -3600 * S as i64
            } else {
                0
            }
        });
        for pair in samples.windows(2) {
            let gap = pair[1].1 - pair[0].1;
            assert!((S / 2..=2 * S).contains(&gap), "gap {gap}");
        }
        assert!(samples.len() >= 29, "{}", samples.len());
    }

    #[test]
    fn wall_clock_stepping_forward_an_hour_does_not_burst() {
        let samples = simulate(1, 1_700_000_000 * S, 30 * S, |m| {
            if (10 * S + 500_000..10 * S + 500_138).contains(&m.wrapping_sub(5 * S)) {
                3600 * S as i64
            } else {
                0
            }
        });
        for pair in samples.windows(2) {
            let gap = pair[1].1 - pair[0].1;
            assert!((S / 2..=2 * S).contains(&gap), "gap {gap}");
        }
        assert!(samples.len() <= 32, "{}", samples.len());
    }

    #[test]
    fn first_sample_is_immediate_then_aligned() {
        let mut s = Schedule::new(10);
        assert_eq!(s.wait_us(123 * S + 4, 1), 0);
        assert_eq!(s.sampled(123 * S + 4, 1), None);
        assert_eq!(s.wait_us(123 * S + 4, 1), 7 * S - 4);
        assert_eq!(s.sampled(130 * S, 7 * S), Some(7 * S - 1));
    }

    #[test]
    fn early_wake_waits_again_instead_of_sampling_twice() {
        let mut s = Schedule::new(1);
        s.sampled(100 * S, 50 * S);
        // Woken 3 µs before the boundary.
        assert_eq!(s.wait_us(101 * S - 3, 51 * S - 3), 3);
    }
}
