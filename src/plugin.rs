//! The sampling loop: read, format, write once, wait; nothing in it
//! allocates.

use std::cell::RefCell;
use std::convert::Infallible;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;

use crate::charts::{ChartKind, Charts};
use crate::clock;
use crate::counters::Values;
use crate::error::Error;
use crate::functions::Dispatcher;
use crate::log::Log;
use crate::resets::chart::ReasonChart;
use crate::resets::Resets;
use crate::schedule::{Next, Schedule};
use crate::source::{Inventory, Lost, Source};
use crate::stdio::{Halt, Stdio, Stop};
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
    charts: Charts,
    writer: Writer,
    values: Values,
    /// Samples taken so far.
    samples: u64,
    /// Re-read the setting every this many samples.
    refresh: u64,
    /// The reset tracepoints, shared with the Function `tcp-resets`.
    resets: Option<Traced>,
}

/// The tracepoints as the loop sees them.
#[derive(Debug)]
struct Traced {
    resets: Rc<RefCell<Resets>>,
    /// `tcp_resets.sent_reasons`, where sent resets carry a reason.
    chart: Option<ReasonChart>,
    /// A duplicate of the rings' wake descriptor (the original is inside
    /// the shared state).
    wake: OwnedFd,
}

impl<S: Source> Plugin<S> {
    /// Prepares the charts for what `source` found at start-up, and says
    /// (one warning each) what is not defined for what could not be opened.
    /// Fails when the resets chart would have no dimension (the caller then
    /// disables the plugin).
    ///
    /// With `resets`, the rings are drained at every sample and whenever
    /// one fills to half, and `tcp_resets.sent_reasons` is defined where
    /// the kernel gives reasons.
    pub fn new(
        source: S,
        found: Inventory,
        update_every: u64,
        resets: Option<Rc<RefCell<Resets>>>,
        log: &mut Log,
    ) -> Result<Plugin<S>, Error> {
        let charts = Charts::new(found.present, update_every, &|c| source.module(c));
        if !charts.has(ChartKind::Resets) {
            return Err(Error::Source {
                what: "the kernel's counters",
                reason: "none of the resets chart's counters exist",
                errno: None,
            });
        }
        for m in &found.missing {
            let lost = match m.lost {
                Lost::Counters(c) => format!("the {} not defined", Charts::lost(found.present, c)),
                Lost::SyncookiesVariable => "the tcp_syncookies variable is not sent".to_string(),
            };
            log.warning(&[&m.cause, "; ", &lost]);
        }
        let resets = match resets {
            None => None,
            Some(shared) => {
                let r = shared.borrow();
                let chart = ReasonChart::new(r.reasons.as_deref(), update_every);
                let wake = r.wake().try_clone_to_owned().map_err(|e| Error::Setup {
                    what: "duplicate the rings' wake descriptor",
                    errno: e.raw_os_error().map(crate::sys::Errno),
                })?;
                drop(r);
                Some(Traced {
                    resets: shared,
                    chart,
                    wake,
                })
            }
        };
        let capacity = charts.worst_case_len()
            + resets
                .as_ref()
                .and_then(|t| t.chart.as_ref())
                .map_or(0, ReasonChart::worst_case_len);
        Ok(Plugin {
            source,
            // The variable lives on the SYN-cookie chart: without it, the
            // setting is never read.
            syncookies: found.syncookies && charts.has(ChartKind::Syncookies),
            charts,
            writer: Writer::with_capacity(capacity),
            values: Values::default(),
            samples: 0,
            // Every sample at intervals of 10 s or more, else as many
            // samples as fit in 10 s (3 s: every 3rd, each 9 s).
            refresh: (SETTING_REFRESH_S / update_every.max(1)).max(1),
            resets,
        })
    }

    /// What the loop also waits on: readable when the rings need draining.
    pub fn wake(&self) -> Option<BorrowedFd<'_>> {
        self.resets.as_ref().map(|t| t.wake.as_fd())
    }

    /// Drains the rings because [`wake`](Self::wake) was readable.
    pub fn woken(&mut self) {
        if let Some(t) = &self.resets {
            t.resets.borrow_mut().woken(clock::now().wall_s());
        }
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
            self.charts.define(&mut self.writer, setting);
            if let Some(chart) = self.resets.as_ref().and_then(|t| t.chart.as_ref()) {
                chart.define(&mut self.writer);
            }
        }
        self.values.clear();
        self.source.sample(&mut self.values, log);
        self.charts
            .sample(&mut self.writer, &self.values, microseconds, setting);
        if let Some(t) = &mut self.resets {
            let mut r = t.resets.borrow_mut();
            r.drain(clock::now().wall_s());
            if let Some(chart) = &mut t.chart {
                chart.sample(&mut self.writer, &r, microseconds);
            }
        }
        self.samples += 1;
        self.writer.as_bytes()
    }
}

/// Runs the loop until a reason to stop: registers the Functions, then
/// samples on the schedule, each written with one write, a keepalive line
/// when the schedule asks, and answers to Function calls in between.
pub fn run<S: Source>(
    plugin: &mut Plugin<S>,
    update_every: u64,
    iterations: Option<u64>,
    stdio: &mut Stdio,
    functions: &mut Dispatcher,
    log: &mut Log,
) -> Result<Stop, Error> {
    let mut until_halted = || -> Result<Infallible, Halt> {
        stdio.write(functions.registration().as_bytes())?;
        let mut schedule = Schedule::new(update_every);
        let mut written: u64 = 0;
        loop {
            stdio.check_signal()?;
            if stdio.has_events() {
                functions.serve(stdio, update_every, log)?;
            }
            let now = clock::now();
            let (wall, mono) = (now.wall_us, now.mono_us);
            match schedule.next(wall, mono) {
                Next::Wait(us) => {
                    if stdio.sleep(us, plugin.wake())? {
                        plugin.woken();
                    }
                }
                Next::Keepalive => {
                    stdio.write(b"\n")?;
                    schedule.kept_alive(mono);
                }
                Next::Sample => {
                    let since = schedule.sampled(wall, mono);
                    stdio.write(plugin.sample(since, log))?;
                    written += 1;
                    if Some(written) == iterations {
                        return Err(Stop::Iterations.into());
                    }
                }
            }
        }
    };
    match until_halted() {
        Ok(never) => match never {},
        Err(Halt::Stop(stop)) => Ok(stop),
        Err(Halt::Error(e)) => Err(e),
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

        fn module(&self, _counters: CounterSet) -> &'static str {
            "m"
        }
    }

    fn reads_in(seconds: u64, update_every: u64, present: &[Counter]) -> u64 {
        let found = Inventory {
            present: CounterSet::of(present),
            syncookies: true,
            missing: Vec::new(),
        };
        let mut log = Log::memory_for_tests();
        let mut p = Plugin::new(Counted::default(), found, update_every, None, &mut log).unwrap();
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
