//! The sampling loop: read, format, write once, wait; nothing in it
//! allocates.

use crate::charts::{ChartKind, Charts, CHART_KINDS};
use crate::counters::Values;
use crate::error::Error;
use crate::function::{Functions, Once};
use crate::input::Event;
use crate::log::Log;
use crate::schedule::{self, Next, Schedule};
use crate::source::{Inventory, Source};
use crate::wait::{Stop, Waiter};
use crate::writer::Writer;

/// The line that tells netdata not to restart the plugin, written when it
/// cannot run on this host.
pub const DISABLE: &str = crate::writer::DISABLE;

/// The SYN-cookie setting is re-read at least this often, so that a change
/// by an administrator shows without a restart.
pub const SETTING_REFRESH_S: u64 = 10;

/// A source, the charts it defines, and the output buffer: everything one
/// sample needs, prepared at start-up.
#[derive(Debug)]
pub struct Plugin<S: Source> {
    source: S,
    syncookies: bool,
    modules: [&'static str; CHART_KINDS],
    charts: Charts,
    writer: Writer,
    values: Values,
    /// Samples taken so far.
    samples: u64,
    /// Re-read the setting every this many samples.
    refresh: u64,
}

impl<S: Source> Plugin<S> {
    /// Prepares the charts for what `source` found at start-up. Fails when
    /// the resets chart would have no dimension (the caller then disables
    /// the plugin).
    pub fn new(source: S, found: Inventory, update_every: u64) -> Result<Plugin<S>, Error> {
        let charts = Charts::new(found.present, update_every);
        if !charts.has(ChartKind::Resets) {
            return Err(Error::Source {
                path: "the kernel's counters",
                reason: "none of the resets chart's counters exist",
                errno: None,
            });
        }
        let capacity = charts.worst_case_len(&found.modules) * 2;
        Ok(Plugin {
            source,
            // The variable lives on the SYN-cookie chart: without it, the
            // setting is never read.
            syncookies: found.syncookies && charts.has(ChartKind::Syncookies),
            modules: found.modules,
            charts,
            writer: Writer::with_capacity(capacity),
            values: Values::default(),
            samples: 0,
            // Every sample at intervals of 10 s or more, else as many
            // samples as fit in 10 s (3 s: every 3rd, each 9 s).
            refresh: (SETTING_REFRESH_S / update_every.max(1)).max(1),
        })
    }

    /// The output buffer's fixed capacity.
    pub fn capacity(&self) -> usize {
        self.writer.capacity()
    }

    /// Formats one sample (preceded, the first time, by the chart
    /// definitions) and returns the bytes to write. `microseconds` is the
    /// time since the previous sample, `None` for the first.
    pub fn sample(&mut self, microseconds: Option<u64>, log: &mut Log) -> &[u8] {
        self.writer.clear();
        let setting = if self.syncookies && self.samples.is_multiple_of(self.refresh) {
            self.source.syncookies(log)
        } else {
            None
        };
        if self.samples == 0 {
            self.charts.define(&mut self.writer, &self.modules, setting);
        }
        self.values.clear();
        self.source.sample(&mut self.values, log);
        self.charts
            .sample(&mut self.writer, &self.values, microseconds, setting);
        self.samples += 1;
        self.writer.as_bytes()
    }
}

/// Answers what netdata asked on stdin since the last look: function
/// calls (a call whose caller went away in the meantime gets 499),
/// malformed requests (400 when they name a transaction, else only
/// logged). Each answer is written whole, between samples.
fn serve(
    waiter: &mut Waiter,
    functions: &mut Functions,
    update_every: u64,
    log: &mut Log,
) -> Result<Option<Stop>, Error> {
    let events = waiter.take_events();
    let waiter: &Waiter = waiter;
    let stopped = || waiter.signalled();
    let cancelled = |tx: &str| {
        events
            .iter()
            .any(|(_, e)| matches!(e, Event::Cancel(c) if c == tx))
    };
    for (arrived, event) in &events {
        // A stop wins over answering what is still queued.
        if stopped() {
            return Ok(Some(Stop::Signal));
        }
        let answer = match event {
            Event::Call(call) if cancelled(&call.tx) => {
                Functions::error(&call.tx, 499, "the caller went away")
            }
            Event::Call(call) => functions.answer(call, *arrived, update_every, log, &stopped),
            Event::Malformed { tx, why } => {
                functions.log_once(
                    Once::Malformed,
                    log,
                    &["netdata sent ", why, " on stdin; ignored (said once)"],
                );
                tx.as_deref()
                    .and_then(|tx| Functions::error(tx, 400, &format!("malformed call: {why}")))
            }
            Event::Oversized => {
                functions.log_once(
                    Once::Oversized,
                    log,
                    &["a line of more than 16 KiB arrived on stdin; dropped (said once)"],
                );
                None
            }
            Event::Cancel(_) | Event::Quit => None,
        };
        if let Some(bytes) = answer {
            if let Some(stop) = waiter.write(&bytes)? {
                return Ok(Some(stop));
            }
        }
    }
    Ok(None)
}

/// Runs the loop until a reason to stop: registers the functions, then
/// samples on the schedule, each written with one write, a keepalive line
/// when the schedule asks, and answers to function calls in between.
pub fn run<S: Source>(
    plugin: &mut Plugin<S>,
    update_every: u64,
    iterations: Option<u64>,
    waiter: &mut Waiter,
    functions: &mut Functions,
    log: &mut Log,
) -> Result<Stop, Error> {
    if let Some(stop) = waiter.write(crate::function::registration().as_bytes())? {
        return Ok(stop);
    }
    let mut schedule = Schedule::new(update_every);
    let mut written: u64 = 0;
    loop {
        if waiter.signalled() {
            return Ok(Stop::Signal);
        }
        if waiter.has_events() {
            if let Some(stop) = serve(waiter, functions, update_every, log)? {
                return Ok(stop);
            }
        }
        let (wall, mono) = schedule::clocks();
        match schedule.next(wall, mono) {
            Next::Wait(us) => {
                if let Some(stop) = waiter.wait(us) {
                    return Ok(stop);
                }
            }
            Next::Keepalive => {
                if let Some(stop) = waiter.write(b"\n")? {
                    return Ok(stop);
                }
                schedule.kept_alive(mono);
            }
            Next::Sample => {
                let since = schedule.sampled(wall, mono);
                let bytes = plugin.sample(since, log);
                if let Some(stop) = waiter.write(bytes)? {
                    return Ok(stop);
                }
                written += 1;
                if Some(written) == iterations {
                    return Ok(Stop::Iterations);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::{Counter, CounterSet};

    /// A source that counts how often the setting is read.
    #[derive(Debug, Default)]
    struct Counted {
        setting_reads: u64,
    }

    impl Source for Counted {
        fn sample(&mut self, values: &mut Values, _log: &mut Log) {
            values.set(Counter::AttemptFails, Some(1));
        }

        fn syncookies(&mut self, _log: &mut Log) -> Option<i64> {
            self.setting_reads += 1;
            Some(1)
        }
    }

    fn reads_in(seconds: u64, update_every: u64, present: &[Counter]) -> u64 {
        let found = Inventory {
            present: CounterSet::of(present),
            syncookies: true,
            modules: ["m"; CHART_KINDS],
        };
        let mut p = Plugin::new(Counted::default(), found, update_every).unwrap();
        let mut log = Log::memory_for_tests();
        for _ in 0..seconds / update_every {
            p.sample(Some(1), &mut log);
        }
        p.source.setting_reads
    }

    #[test]
    fn the_setting_is_read_at_least_every_ten_seconds() {
        let with_chart = [Counter::AttemptFails, Counter::SyncookiesSent];
        // Samples at 0, 10, 20 s; at 3 s every 3rd (9 s); from 10 s on,
        // every sample.
        assert_eq!(reads_in(30, 1, &with_chart), 3);
        assert_eq!(reads_in(36, 3, &with_chart), 4);
        assert_eq!(reads_in(63, 7, &with_chart), 9);
        assert_eq!(reads_in(110, 11, &with_chart), 10);
        // Without the SYN-cookie chart the variable has nowhere to go.
        assert_eq!(reads_in(30, 1, &[Counter::AttemptFails]), 0);
    }
}
