//! The sampling loop: read, format, write once, wait; nothing in it
//! allocates.

use crate::charts::{ChartKind, Charts, CHART_KINDS};
use crate::counters::Values;
use crate::error::Error;
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
            syncookies: found.syncookies,
            modules: found.modules,
            charts,
            writer: Writer::with_capacity(capacity),
            values: Values::default(),
            samples: 0,
            refresh: SETTING_REFRESH_S.div_ceil(update_every.max(1)),
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

/// Runs the loop until a reason to stop: samples on the schedule, each
/// written with one write, and a keepalive line when the schedule asks.
pub fn run<S: Source>(
    plugin: &mut Plugin<S>,
    update_every: u64,
    iterations: Option<u64>,
    waiter: &mut Waiter,
    log: &mut Log,
) -> Result<Stop, Error> {
    let mut schedule = Schedule::new(update_every);
    let mut written: u64 = 0;
    loop {
        if waiter.signalled() {
            return Ok(Stop::Signal);
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
