//! The sampling loop: read, format, write once, wait; nothing in it
//! allocates.

use std::os::fd::RawFd;

use crate::charts::{ChartKind, Charts};
use crate::counters::{Source, Values};
use crate::error::Error;
use crate::log::Log;
use crate::schedule::Schedule;
use crate::stop::{Stop, Waiter};
use crate::sys;
use crate::writer::Writer;

/// Netdata 1.41 and later stop a plugin that writes nothing for 120 s; with
/// a longer interval the plugin writes an empty line this often.
pub const KEEPALIVE_US: u64 = 60_000_000;

/// The SYN-cookie setting is re-read at least this often, so that a change
/// by an administrator shows without a restart.
pub const SETTING_REFRESH_S: u64 = 10;

/// A source, the charts it defines, and the output buffer: everything one
/// sample needs, prepared at start-up.
#[derive(Debug)]
pub struct Plugin<S: Source> {
    source: S,
    charts: Charts,
    writer: Writer,
    values: Values,
    /// Samples taken so far.
    samples: u64,
    /// Re-read the setting every this many samples.
    refresh: u64,
}

impl<S: Source> Plugin<S> {
    /// Prepares the charts for `source`. Fails when the resets chart would
    /// have no dimension (the caller then disables the plugin).
    pub fn new(source: S, update_every: u64) -> Result<Plugin<S>, Error> {
        let charts = Charts::new(source.present(), update_every);
        if !charts.has(ChartKind::Resets) {
            return Err(Error::Source {
                path: "the kernel's counters",
                reason: "none of the resets chart's counters exist",
                errno: None,
            });
        }
        let capacity = charts.worst_case_len(|k| source.module(k)) * 2;
        Ok(Plugin {
            source,
            charts,
            writer: Writer::with_capacity(capacity),
            values: Values::default(),
            samples: 0,
            refresh: SETTING_REFRESH_S.div_ceil(update_every.max(1)),
        })
    }

    /// The charts defined on this host.
    pub fn charts(&self) -> &Charts {
        &self.charts
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
        let first = self.samples == 0;
        let setting = if self.samples % self.refresh == 0 && self.source.has_syncookies() {
            self.source.syncookies(log)
        } else {
            None
        };
        if first {
            let source = &self.source;
            self.charts
                .define(&mut self.writer, |k| source.module(k), setting);
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
/// written to `out` with one write.
pub fn run<S: Source>(
    plugin: &mut Plugin<S>,
    update_every: u64,
    iterations: Option<u64>,
    waiter: &mut Waiter,
    out: RawFd,
    log: &mut Log,
) -> Result<Stop, Error> {
    let mut schedule = Schedule::new(update_every);
    let keepalive = schedule.step_us() > KEEPALIVE_US;
    let mut last_output = sys::monotonic_us();
    let mut written: u64 = 0;
    loop {
        loop {
            if waiter.signalled() {
                return Ok(Stop::Signal);
            }
            let mono = sys::monotonic_us();
            let mut wait = schedule.wait_us(sys::realtime_us(), mono);
            if wait == 0 {
                break;
            }
            if keepalive {
                let due = last_output + KEEPALIVE_US;
                if mono >= due {
                    if let Some(stop) = waiter.write(out, b"\n")? {
                        return Ok(stop);
                    }
                    last_output = mono;
                    continue;
                }
                wait = wait.min(due - mono);
            }
            if let Some(stop) = waiter.wait(wait) {
                return Ok(stop);
            }
        }
        let mono = sys::monotonic_us();
        let since = schedule.sampled(sys::realtime_us(), mono);
        let bytes = plugin.sample(since, log);
        if let Some(stop) = waiter.write(out, bytes)? {
            return Ok(stop);
        }
        last_output = mono;
        written += 1;
        if Some(written) == iterations {
            return Ok(Stop::Iterations);
        }
    }
}
