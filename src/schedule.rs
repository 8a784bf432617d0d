//! When to take the next sample.
//!
//! Samples fall on multiples of the interval on the wall clock, as netdata's
//! own heartbeat does, so charts of many plugins line up and nothing drifts
//! over hours. The wall clock only places samples: the microseconds reported
//! between samples come from the monotonic clock, and the schedule is built
//! so that a wall clock stepping back or forward neither stalls sampling for
//! more than two intervals nor fires a burst of catch-up samples.
//!
//! Netdata 1.41 and later end a plugin that writes nothing for 120 s; with
//! an interval above a minute the schedule also asks for an empty line
//! (which every netdata version skips) once a minute between samples.
//!
//! The schedule is pure: it is given both clocks' readings and answers what
//! to do next, so tests drive it with made-up clocks.

/// With an interval longer than this, an empty line is written this often.
pub const KEEPALIVE_US: u64 = 60_000_000;

/// What the loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Take a sample now.
    Sample,
    /// Write the keepalive line now.
    Keepalive,
    /// Sleep this many microseconds (at most one interval), then ask again.
    Wait(u64),
}

/// The sampling schedule.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    step: u64,
    /// The wall-clock time (µs) of the next sample; 0 before the first.
    next_wall: u64,
    /// The monotonic time (µs) of the previous sample.
    last_mono: Option<u64>,
    /// The monotonic time (µs) of the last output, when keepalives are due.
    last_output: Option<u64>,
}

impl Schedule {
    /// A schedule of one sample every `interval_s` seconds (at least 1).
    pub fn new(interval_s: u64) -> Schedule {
        let step = interval_s.max(1) * 1_000_000;
        Schedule {
            step,
            next_wall: 0,
            last_mono: None,
            last_output: (step > KEEPALIVE_US).then_some(0),
        }
    }

    /// The interval in microseconds.
    #[cfg(test)]
    pub fn step_us(&self) -> u64 {
        self.step
    }

    /// What to do next, given the wall and monotonic clocks now.
    pub fn next(&mut self, wall: u64, mono: u64) -> Next {
        let wait = self.wait_us(wall, mono);
        if wait == 0 {
            return Next::Sample;
        }
        match self.last_output {
            Some(last) if mono >= last.saturating_add(KEEPALIVE_US) => Next::Keepalive,
            Some(last) => Next::Wait(wait.min(last + KEEPALIVE_US - mono)),
            None => Next::Wait(wait),
        }
    }

    /// Records that the keepalive line was written at `mono`.
    pub fn kept_alive(&mut self, mono: u64) {
        if self.last_output.is_some() {
            self.last_output = Some(mono);
        }
    }

    /// The first multiple of the interval strictly after `wall`.
    fn align_after(&self, wall: u64) -> u64 {
        (wall / self.step + 1) * self.step
    }

    /// How many microseconds to wait before the next sample, given the wall
    /// and monotonic clocks now; 0 means sample now. Never more than one
    /// interval.
    fn wait_us(&mut self, wall: u64, mono: u64) -> u64 {
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
        self.kept_alive(mono);
        since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    /// What the schedule asked for in a simulated run: (wall, mono) of
    /// every sample, mono of every keepalive.
    struct Run {
        samples: Vec<(u64, u64)>,
        keepalives: Vec<u64>,
    }

    /// Runs the schedule as the loop does, against simulated clocks, for
    /// `total` µs of monotonic time, applying `jump(mono) -> wall offset
    /// change`.
    fn simulate(interval: u64, start_wall: u64, total: u64, jump: impl Fn(u64) -> i64) -> Run {
        let mut s = Schedule::new(interval);
        let mut mono: u64 = 5 * S;
        let mut offset: i64 = start_wall as i64 - mono as i64;
        let mut run = Run {
            samples: Vec::new(),
            keepalives: Vec::new(),
        };
        let mut waits = 0;
        while mono < 5 * S + total {
            offset += jump(mono);
            let wall = (mono as i64 + offset) as u64;
            match s.next(wall, mono) {
                Next::Sample => {
                    s.sampled(wall, mono);
                    run.samples.push((wall, mono));
                    waits = 0;
                    mono += 137; // the sample takes a little time
                }
                Next::Keepalive => {
                    s.kept_alive(mono);
                    run.keepalives.push(mono);
                    waits = 0;
                    mono += 11;
                }
                Next::Wait(w) => {
                    assert!(w > 0 && w <= s.step_us(), "wait {w}");
                    waits += 1;
                    assert!(waits < 4, "busy loop at mono {mono}");
                    mono += w;
                }
            }
        }
        run
    }

    /// The (wall, mono) of the samples of a run at an interval of at most
    /// a minute, which never asks for a keepalive.
    fn samples_of(
        interval: u64,
        start_wall: u64,
        total: u64,
        jump: impl Fn(u64) -> i64,
    ) -> Vec<(u64, u64)> {
        let run = simulate(interval, start_wall, total, jump);
        assert!(run.keepalives.is_empty(), "a keepalive at {interval} s");
        run.samples
    }

    #[test]
    fn samples_fall_on_interval_boundaries_without_drift() {
        let samples = samples_of(2, 1_700_000_000 * S + 345_678, 3600 * S, |_| 0);
        for &(wall, _) in &samples[1..] {
            assert_eq!(wall % (2 * S), 0);
        }
        assert_eq!(samples.len(), 1801);
    }

    #[test]
    fn wall_clock_stepping_back_an_hour_neither_stalls_nor_bursts() {
        let samples = samples_of(1, 1_700_000_000 * S, 30 * S, |m| {
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
        let samples = samples_of(1, 1_700_000_000 * S, 30 * S, |m| {
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
        assert_eq!(s.next(123 * S + 4, 1), Next::Sample);
        assert_eq!(s.sampled(123 * S + 4, 1), None);
        assert_eq!(s.next(123 * S + 4, 1), Next::Wait(7 * S - 4));
        assert_eq!(s.sampled(130 * S, 7 * S), Some(7 * S - 1));
    }

    /// The monotonic times of samples and of keepalives of an undisturbed
    /// run of `total` µs.
    fn outputs(interval: u64, total: u64) -> (Vec<u64>, Vec<u64>) {
        let run = simulate(interval, 1_700_000_000 * S + 123_456, total, |_| 0);
        let samples = run.samples.iter().map(|&(_, mono)| mono).collect();
        (samples, run.keepalives)
    }

    #[test]
    fn long_interval_writes_a_keepalive_every_minute_between_samples() {
        let (samples, keepalives) = outputs(600, 1800 * S);
        assert!((3..=4).contains(&samples.len()), "{samples:?}");
        let mut all: Vec<u64> = samples.iter().chain(&keepalives).copied().collect();
        all.sort_unstable();
        // Never more than a minute (plus the sample's own time) of silence.
        for w in all.windows(2) {
            assert!(
                w[1] - w[0] <= KEEPALIVE_US + 200,
                "{} µs silent",
                w[1] - w[0]
            );
        }
        // ... and no keepalive sooner than a minute after any output.
        for k in &keepalives {
            let before = all.iter().filter(|&&t| t < *k).max().unwrap();
            assert!(
                k - before >= KEEPALIVE_US,
                "keepalive {} µs after output",
                k - before
            );
        }
        assert!(keepalives.len() >= 20, "{}", keepalives.len());
    }

    #[test]
    fn no_keepalive_at_an_interval_of_a_minute_or_less() {
        for interval in [1, 10, 60] {
            let (samples, keepalives) = outputs(interval, 600 * S);
            assert!(keepalives.is_empty(), "interval {interval}");
            assert!(
                samples.len() as u64 >= 600 / interval,
                "interval {interval}"
            );
        }
    }

    #[test]
    fn early_wake_waits_again_instead_of_sampling_twice() {
        let mut s = Schedule::new(1);
        s.sampled(100 * S, 50 * S);
        // Woken 3 µs before the boundary.
        assert_eq!(s.next(101 * S - 3, 51 * S - 3), Next::Wait(3));
    }
}
